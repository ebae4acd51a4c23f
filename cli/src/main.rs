//! The `netpolkit` command: files and terminals only. Everything it decides
//! comes from the `netpolkit` crate; this binary reads inputs, renders
//! diagnostics and sets the exit code (0 clean, 1 errors, 2 usage).

mod analysis;
mod check;
mod convert;
mod diff;
mod input;
mod migrate;
mod render;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use netpolkit::emit::Format;
use netpolkit::Severity;

use input::Input;

/// Reading and converting make and free millions of small strings; mimalloc
/// frees them several times faster than glibc's malloc (BENCHMARKS.md,
/// Conversion). Only the binary chooses: the library leaves it to its users.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "netpolkit",
    version,
    about = "Check and convert Kubernetes and Cilium network policies"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Report every problem the API server or the Cilium agent would have with the policies, and the precedence
    /// findings across them (shadowed, redundant or never-matching rules, default-deny surprises).
    Check {
        /// Files, directories (searched for .yaml, .yml and .json) or `-` for stdin.
        #[arg(value_name = "PATH", required = true)]
        paths: Vec<String>,
        /// Output format.
        #[arg(short, long, value_enum, default_value_t = check::CheckOutput::Text)]
        output: check::CheckOutput,
        /// Exit with 1 on warnings too.
        #[arg(long)]
        deny_warnings: bool,
        /// Only validate each file; skip the precedence findings (NP5xx).
        #[arg(long)]
        no_findings: bool,
        #[command(flatten)]
        profile: analysis::ProfileArgs,
    },
    /// For each workload and direction: isolated or not, the policies selecting it, what they allow and deny.
    Summary {
        /// Policies and workloads: files, directories or `-` for stdin.
        #[arg(value_name = "PATH", required = true)]
        paths: Vec<String>,
        #[arg(short, long, value_enum, default_value_t = CheckOutput::Text)]
        output: CheckOutput,
        #[command(flatten)]
        profile: analysis::ProfileArgs,
    },
    /// Explain whether one flow is allowed, and which rules decide it.
    Explain {
        /// The source: NAMESPACE/POD (or a controller's name), node/NAME, an IP address.
        #[arg(long, value_name = "ENDPOINT")]
        from: String,
        /// The destination: NAMESPACE/POD, node/NAME, an IP address or a DNS name.
        #[arg(long, value_name = "ENDPOINT")]
        to: String,
        /// The port: 80, 80/TCP, 53/UDP, a named port of the destination, or 8/ICMP.
        #[arg(long)]
        port: String,
        /// Policies and workloads: files, directories or `-` for stdin.
        #[arg(value_name = "PATH", required = true)]
        paths: Vec<String>,
        #[arg(short, long, value_enum, default_value_t = CheckOutput::Text)]
        output: CheckOutput,
        #[command(flatten)]
        profile: analysis::ProfileArgs,
    },
    /// Print which endpoints can reach which, on the ports the policies mention.
    Connectivity {
        /// Policies and workloads: files, directories or `-` for stdin.
        #[arg(value_name = "PATH", required = true)]
        paths: Vec<String>,
        #[arg(short, long, value_enum, default_value_t = analysis::MatrixOutput::Text)]
        output: analysis::MatrixOutput,
        /// Also check these ports (80, 53/UDP...); repeatable.
        #[arg(long = "port", value_name = "PORT")]
        ports: Vec<String>,
        /// Also include these addresses or DNS names outside the cluster; repeatable.
        #[arg(long = "external", value_name = "ADDRESS")]
        externals: Vec<String>,
        /// Leave nodes out of the matrix.
        #[arg(long)]
        without_nodes: bool,
        #[command(flatten)]
        profile: analysis::ProfileArgs,
    },
    /// Convert policies to another kind, report what has no equivalent, and prove the result allows the same flows.
    Convert {
        /// The kind to convert to.
        #[arg(long, value_enum)]
        to: convert::TargetArg,
        /// Namespaces (comma-separated) a clusterwide policy goes to when converted to a namespaced kind; default:
        /// the input's namespaces its subject selects.
        #[arg(long, value_name = "NS")]
        namespace: Option<String>,
        /// Treat every loss (a construct without equivalent, a flow that changes) as an error.
        #[arg(long)]
        strict: bool,
        /// Skip the flow-by-flow comparison of input and output.
        #[arg(long)]
        no_proof: bool,
        /// Policies (and the workloads they apply to): files, directories or `-` for stdin.
        #[arg(value_name = "PATH", required = true)]
        paths: Vec<String>,
        #[arg(short, long, value_enum, default_value_t = convert::OutputArg::Yaml)]
        output: convert::OutputArg,
        #[command(flatten)]
        profile: analysis::ProfileArgs,
    },
    /// Print the flows whose verdict differs between two policy sets (or one set under two profiles).
    Diff {
        /// The policies before (and workloads).
        #[arg(value_name = "OLD")]
        old: String,
        /// The policies after (and workloads); the same file with --profile-old/--profile-new.
        #[arg(value_name = "NEW")]
        new: String,
        #[arg(short, long, value_enum, default_value_t = diff::OutputArg::Text)]
        output: diff::OutputArg,
        /// The profile of OLD (overrides --profile).
        #[arg(long, value_name = "NAME")]
        profile_old: Option<netpolkit::profile::ProfileKind>,
        /// The profile of NEW (overrides --profile).
        #[arg(long, value_name = "NAME")]
        profile_new: Option<netpolkit::profile::ProfileKind>,
        /// Only the workloads the inputs describe, no generated pods, nodes and addresses.
        #[arg(long)]
        workloads_only: bool,
        /// Explain at most this many differing flows (all are counted).
        #[arg(long, default_value_t = 200)]
        limit: usize,
        #[command(flatten)]
        profile: analysis::ProfileArgs,
    },
    /// Rewrite what Azure CNI powered by Cilium cannot honour (ipBlock peers on pod or node addresses, Azure NPM's
    /// implicit allows, endPort before Cilium 1.17) so that the flows allowed today stay allowed, proven flow by flow.
    /// Exit code: 0 every flow restored, 1 some cannot be (NP621), 2 usage.
    Rewrite {
        /// Policies and workloads: files, directories or `-` for stdin.
        #[arg(value_name = "PATH", required = true)]
        paths: Vec<String>,
        /// The dataplane the policies run on today.
        #[arg(long, value_enum, default_value_t = migrate::MigrateFrom::AzureNpm)]
        from: migrate::MigrateFrom,
        #[arg(short, long, value_enum, default_value_t = migrate::RewriteOutput::Yaml)]
        output: migrate::RewriteOutput,
        /// Apply the edits to the files in place.
        #[arg(long)]
        write: bool,
        /// The target (default aks) and the cluster's facts.
        #[command(flatten)]
        profile: analysis::ProfileArgs,
    },
    /// Report whether moving onto Azure CNI powered by Cilium is safe: every breaking change located, the proposed
    /// rewrites as diffs, and the flows that change before and after. Exit code: 0 safe, 1 needs changes, 3 blocked,
    /// 2 usage.
    Migrate {
        /// Policies and workloads (a `kubectl get -A -o yaml` dump works): files, directories or `-` for stdin.
        #[arg(value_name = "PATH", required = true)]
        paths: Vec<String>,
        /// The dataplane the policies run on today.
        #[arg(long, value_enum, default_value_t = migrate::MigrateFrom::AzureNpm)]
        from: migrate::MigrateFrom,
        /// The target dataplane.
        #[arg(long, value_enum, default_value_t = migrate::MigrateTo::Aks)]
        to: migrate::MigrateTo,
        #[arg(short, long, value_enum, default_value_t = migrate::MigrateOutput::Md)]
        output: migrate::MigrateOutput,
        /// The cluster's facts (versions, ACNS, address ranges).
        #[command(flatten)]
        profile: analysis::ProfileArgs,
    },
    /// Print the manifests normalised: kubectl's layout, a stable key order, safe quoting.
    Fmt {
        /// Files, directories or `-` for stdin.
        #[arg(value_name = "PATH", required = true)]
        paths: Vec<String>,
        /// Output format.
        #[arg(short, long, value_enum, default_value_t = FmtOutput::Yaml)]
        output: FmtOutput,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum CheckOutput {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum FmtOutput {
    Yaml,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check {
            paths,
            output,
            deny_warnings,
            no_findings,
            profile,
        } => match read_inputs(&paths) {
            Ok(inputs) => check::run(
                inputs,
                &check::Args {
                    output,
                    deny_warnings,
                    no_findings,
                    profile: &profile,
                },
            ),
            Err(code) => code,
        },
        Command::Summary { paths, output, profile } => match read_inputs(&paths) {
            Ok(inputs) => check::summary(&inputs, matches!(output, CheckOutput::Json), &profile),
            Err(code) => code,
        },
        Command::Fmt { paths, output } => fmt(&paths, output),
        Command::Explain {
            from,
            to,
            port,
            paths,
            output,
            profile,
        } => match read_inputs(&paths) {
            Ok(inputs) => analysis::explain(
                &inputs,
                &from,
                &to,
                &port,
                matches!(output, CheckOutput::Json),
                &profile,
            ),
            Err(code) => code,
        },
        Command::Convert {
            to,
            namespace,
            strict,
            no_proof,
            paths,
            output,
            profile,
        } => match read_inputs(&paths) {
            Ok(inputs) => convert::run(
                &inputs,
                &convert::Args {
                    to,
                    namespace,
                    strict,
                    no_proof,
                    output,
                    profile: &profile,
                },
            ),
            Err(code) => code,
        },
        Command::Diff {
            old,
            new,
            output,
            profile_old,
            profile_new,
            workloads_only,
            limit,
            profile,
        } => diff::run(&diff::Args {
            old: &old,
            new: &new,
            output,
            profile_old,
            profile_new,
            workloads_only,
            limit,
            profile: &profile,
        }),
        Command::Rewrite {
            paths,
            from,
            output,
            write,
            profile,
        } => match read_inputs(&paths) {
            Ok(inputs) => migrate::rewrite(
                inputs,
                &migrate::RewriteArgs {
                    from,
                    output,
                    write,
                    profile: &profile,
                },
            ),
            Err(code) => code,
        },
        Command::Migrate {
            paths,
            from,
            to,
            output,
            profile,
        } => match read_inputs(&paths) {
            Ok(inputs) => migrate::run(
                inputs,
                &migrate::MigrateArgs {
                    from,
                    to,
                    output,
                    profile: &profile,
                },
            ),
            Err(code) => code,
        },
        Command::Connectivity {
            paths,
            output,
            ports,
            externals,
            without_nodes,
            profile,
        } => match read_inputs(&paths) {
            Ok(inputs) => analysis::connectivity(&inputs, output, &ports, &externals, without_nodes, &profile),
            Err(code) => code,
        },
    }
}

fn read_inputs(paths: &[String]) -> Result<Vec<Input>, ExitCode> {
    input::collect(paths).map_err(|e| {
        eprintln!("netpolkit: {e}");
        ExitCode::from(2)
    })
}

fn fmt(paths: &[String], output: FmtOutput) -> ExitCode {
    let inputs = match read_inputs(paths) {
        Ok(inputs) => inputs,
        Err(code) => return code,
    };
    let format = match output {
        FmtOutput::Yaml => Format::Yaml,
        FmtOutput::Json => Format::Json,
    };
    let mut failed = false;
    let mut documents = Vec::new();
    for input in &inputs {
        let parsed = netpolkit::parse(&input.text);
        for d in parsed.diagnostics.iter().filter(|d| d.severity == Severity::Error) {
            let at = netpolkit::LineIndex::new(&input.text).line_col(&input.text, d.span.start);
            eprintln!(
                "{}:{}:{}: {} [{}] {}",
                input.name,
                at.line,
                at.column,
                d.severity.as_str(),
                d.code.id(),
                d.message
            );
            failed = true;
        }
        documents.extend(netpolkit::emit::formatted(&input.text, &parsed));
    }
    let text = netpolkit::emit::render(&documents, format);
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
