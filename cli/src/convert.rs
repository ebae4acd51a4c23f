//! `convert`: policies of one kind rewritten as another, with every loss
//! reported at its source and the proof's verdict.

use std::io::Write;
use std::process::ExitCode;

use clap::ValueEnum;
use netpolkit::convert::{convert, ConvertOptions, Target};
use netpolkit::emit::Format;
use netpolkit::Severity;

use crate::analysis::{combined, usage, ProfileArgs};
use crate::input::Input;
use crate::render;

#[derive(Clone, Copy, ValueEnum)]
pub enum TargetArg {
    /// NetworkPolicy (networking.k8s.io/v1)
    Knp,
    /// CiliumNetworkPolicy (cilium.io/v2)
    Cnp,
    /// CiliumClusterwideNetworkPolicy (cilium.io/v2)
    Ccnp,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum OutputArg {
    Yaml,
    Json,
}

pub struct Args<'a> {
    pub to: TargetArg,
    pub namespace: Option<String>,
    pub strict: bool,
    pub no_proof: bool,
    pub output: OutputArg,
    pub profile: &'a ProfileArgs,
}

/// Writes the converted manifests to stdout and the diagnostics and the
/// proof to stderr. Exit code 1 when the conversion has errors (input or
/// output errors, a policy without a namespace to go to, or any loss under
/// `--strict`).
pub fn run(inputs: &[Input], args: &Args) -> ExitCode {
    let settings = match args.profile.settings() {
        Ok(s) => s,
        Err(e) => return usage(e),
    };
    let sources = combined(inputs);
    let options = ConvertOptions {
        to: match args.to {
            TargetArg::Knp => Target::Knp,
            TargetArg::Cnp => Target::Cnp,
            TargetArg::Ccnp => Target::Ccnp,
        },
        namespace: args.namespace.clone(),
        strict: args.strict,
        profile: settings,
        format: match args.output {
            OutputArg::Yaml => Format::Yaml,
            OutputArg::Json => Format::Json,
        },
        prove: !args.no_proof,
    };
    let conversion = convert(sources.text(), &options);
    let color = render::color_wanted_stderr();
    let mut err = String::new();
    // Problems of the input come first: those policies were not converted.
    let input_problems: Vec<_> = conversion
        .source
        .parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .cloned()
        .collect();
    err.push_str(&render::joined(inputs, &sources, &input_problems, color));
    err.push_str(&render::joined(inputs, &sources, &conversion.diagnostics, color));
    for d in &conversion.checked.parsed.diagnostics {
        // The output is ours: any problem in it is a bug worth seeing plainly.
        err.push_str(&format!(
            "netpolkit: the output has a problem ({} {}): {} at {}\n",
            d.code.id(),
            d.code.name(),
            d.message,
            d.path
        ));
    }
    if let Some(proof) = &conversion.proof {
        err.push_str(&proof_summary(proof));
    }
    let _ = std::io::stderr().lock().write_all(err.as_bytes());
    let _ = std::io::stdout().lock().write_all(conversion.text.as_bytes());
    if conversion.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn proof_summary(proof: &netpolkit::convert::Proof) -> String {
    let verdict = |allowed: bool| if allowed { "allowed" } else { "denied" };
    let cut = if proof.truncated {
        " (the generated universe was cut down to fit in memory)"
    } else {
        ""
    };
    if proof.equivalent {
        return format!(
            "proof: equivalent: the same verdict for all {} flows between {} endpoints (given and generated){cut}\n",
            proof.flows, proof.endpoints
        );
    }
    let mut out = format!(
        "proof: NOT equivalent: {} of {} flows between {} endpoints get a different verdict\n",
        proof.differing, proof.flows, proof.endpoints
    );
    for d in &proof.differences {
        out.push_str(&format!(
            "  {} -> {} {}: {} before, {} after\n",
            d.from,
            d.to,
            d.port,
            verdict(d.old_allowed),
            verdict(d.new_allowed)
        ));
        for r in &d.old_reasons {
            out.push_str(&format!("    before: {r}\n"));
        }
        for r in &d.new_reasons {
            out.push_str(&format!("    after:  {r}\n"));
        }
    }
    if (proof.differences.len() as u64) < proof.differing {
        out.push_str(&format!(
            "  ... and {} more\n",
            proof.differing - proof.differences.len() as u64
        ));
    }
    out
}
