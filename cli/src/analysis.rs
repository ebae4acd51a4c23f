//! `explain` and `connectivity`: the engine's answers, printed.

use std::io::Write;
use std::process::ExitCode;

use clap::ValueEnum;
use ipnet::IpNet;
use netpolkit::engine::{ConnectivityOptions, FlowQuery};
use netpolkit::profile::{ProfileKind, ProfileSettings};
use netpolkit::{AnalyzeOptions, CiliumVersion, Severity, SourceMap};

use crate::input::Input;

/// The profile flags shared by `explain` and `connectivity`.
#[derive(clap::Args)]
pub struct ProfileArgs {
    /// Whose semantics apply: upstream, cilium, aks or azure-npm (default: cilium, or the input's ClusterProfile).
    #[arg(long, value_name = "NAME")]
    profile: Option<ProfileKind>,
    /// A file with a ClusterProfile document.
    #[arg(long, value_name = "FILE")]
    profile_file: Option<String>,
    /// The Cilium version (1.14 to 1.20).
    #[arg(long, value_name = "VERSION")]
    cilium_version: Option<CiliumVersion>,
    /// The cluster's pod address ranges; repeatable.
    #[arg(long = "pod-cidr", value_name = "CIDR")]
    pod_cidrs: Vec<IpNet>,
    /// The cluster's node address ranges; repeatable.
    #[arg(long = "node-cidr", value_name = "CIDR")]
    node_cidrs: Vec<IpNet>,
    /// The cluster's service address ranges; repeatable.
    #[arg(long = "service-cidr", value_name = "CIDR")]
    service_cidrs: Vec<IpNet>,
    /// AKS: Advanced Container Networking Services is enabled (FQDN and L7 policies).
    #[arg(long)]
    acns: bool,
    /// Cilium's policy-cidr-match-mode: nodes, pods, or nodes,pods.
    #[arg(long, value_name = "MODES", value_delimiter = ',')]
    cidr_match_mode: Vec<String>,
    /// The cluster's name (ClusterMesh).
    #[arg(long, value_name = "NAME")]
    cluster_name: Option<String>,
    /// The Kubernetes version (on AKS it picks the Cilium line: 1.29-1.30 run 1.14, 1.31 runs 1.16, 1.32+ run 1.17).
    #[arg(long, value_name = "VERSION")]
    kubernetes_version: Option<netpolkit::KubernetesVersion>,
    /// AKS LocalDNS is enabled (pods resolve through 169.254.10.0/24 and the host).
    #[arg(long)]
    local_dns: bool,
    /// The API server's addresses; repeatable.
    #[arg(long = "api-server-cidr", value_name = "CIDR")]
    api_server_cidrs: Vec<IpNet>,
}

impl ProfileArgs {
    pub fn settings(&self) -> Result<ProfileSettings, String> {
        let nets = |v: &Vec<IpNet>| (!v.is_empty()).then(|| v.clone());
        let mut flags = ProfileSettings {
            kind: self.profile,
            cilium_version: self.cilium_version,
            acns: self.acns.then_some(true),
            cluster_name: self.cluster_name.clone(),
            pod_cidrs: nets(&self.pod_cidrs),
            node_cidrs: nets(&self.node_cidrs),
            service_cidrs: nets(&self.service_cidrs),
            api_server_cidrs: nets(&self.api_server_cidrs),
            kubernetes_version: self.kubernetes_version,
            local_dns: self.local_dns.then_some(true),
            ..ProfileSettings::default()
        };
        if !self.cidr_match_mode.is_empty() {
            for mode in &self.cidr_match_mode {
                if !matches!(mode.as_str(), "nodes" | "pods") {
                    return Err(format!(
                        "unknown policy-cidr-match-mode `{mode}`: use nodes, pods or nodes,pods"
                    ));
                }
            }
            flags.cidr_match_nodes = Some(self.cidr_match_mode.iter().any(|m| m == "nodes"));
            flags.cidr_match_pods = Some(self.cidr_match_mode.iter().any(|m| m == "pods"));
        }
        if let Some(file) = &self.profile_file {
            let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {file}: {e}"))?;
            let parsed = netpolkit::check(&text, &netpolkit::Options::default());
            if let Some(d) = parsed.diagnostics.iter().find(|d| d.severity == Severity::Error) {
                return Err(format!("{file}: {}", d.message));
            }
            let from_file = ProfileSettings::from_documents(&parsed.documents)
                .ok_or_else(|| format!("{file} has no ClusterProfile document"))?;
            flags = flags.or(from_file);
        }
        Ok(flags)
    }
}

/// All inputs as one text, so that policies and workloads from different
/// files meet; locations map back to the files.
pub fn combined(inputs: &[Input]) -> SourceMap {
    let mut sources = SourceMap::default();
    for input in inputs {
        sources.add(&input.name, &input.text);
    }
    sources
}

/// All inputs joined and analysed under the profile flags; a bad flag is a
/// usage error (exit 2), already printed.
pub fn analyze_inputs(inputs: &[Input], profile: &ProfileArgs) -> Result<(SourceMap, netpolkit::Analysis), ExitCode> {
    let settings = profile.settings().map_err(usage)?;
    let sources = combined(inputs);
    let analysis = netpolkit::analyze(
        sources.text(),
        &AnalyzeOptions {
            profile: settings,
            ..AnalyzeOptions::default()
        },
    );
    Ok((sources, analysis))
}

pub fn usage(message: String) -> ExitCode {
    eprintln!("netpolkit: {message}");
    ExitCode::from(2)
}

/// Errors in the input are reported on stderr: those policies take no part.
fn report_errors(analysis: &netpolkit::Analysis) {
    let errors = analysis
        .parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if errors > 0 {
        eprintln!(
            "netpolkit: the input has {errors} error{} (see `netpolkit check`); policies with errors take no part",
            if errors == 1 { "" } else { "s" }
        );
    }
    for skipped in &analysis.lowered.skipped {
        eprintln!(
            "netpolkit: {} is not applied: {}",
            skipped.policy.display_name(),
            skipped.reason
        );
    }
}

pub fn explain(inputs: &[Input], from: &str, to: &str, port: &str, json: bool, profile: &ProfileArgs) -> ExitCode {
    let (sources, analysis) = match analyze_inputs(inputs, profile) {
        Ok(done) => done,
        Err(code) => return code,
    };
    report_errors(&analysis);
    let query = FlowQuery {
        from: from.to_owned(),
        to: to.to_owned(),
        port: port.to_owned(),
    };
    let explanation = match analysis.explain(&query) {
        Ok(e) => e,
        Err(e) => return usage(e),
    };
    let out = if json {
        let mut s =
            serde_json::to_string_pretty(&explanation.report_in(&analysis.lowered, &sources)).unwrap_or_default();
        s.push('\n');
        s
    } else {
        explanation.text_in(&analysis.lowered, &sources)
    };
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    // Like `check`, the exit code carries the answer: 0 allowed, 1 denied.
    if explanation.allowed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum MatrixOutput {
    Text,
    Json,
    Csv,
    Dot,
}

pub fn connectivity(
    inputs: &[Input],
    output: MatrixOutput,
    ports: &[String],
    externals: &[String],
    without_nodes: bool,
    profile: &ProfileArgs,
) -> ExitCode {
    let (_, analysis) = match analyze_inputs(inputs, profile) {
        Ok(done) => done,
        Err(code) => return code,
    };
    report_errors(&analysis);
    let mut options = ConnectivityOptions {
        without_nodes,
        ..ConnectivityOptions::default()
    };
    for p in ports {
        match netpolkit::engine::parse_flow_port(p) {
            Ok(flow) => options.ports.push(flow),
            Err(e) => return usage(e),
        }
    }
    for e in externals {
        match analysis.cluster.resolve(e) {
            Ok(endpoint) if endpoint.kind == netpolkit::cluster::EndpointKind::External => {
                options.externals.push(endpoint)
            }
            Ok(endpoint) => {
                return usage(format!(
                    "{e} is {} in the cluster, not an external address",
                    endpoint.name
                ))
            }
            Err(err) => return usage(err),
        }
    }
    let matrix = analysis.connectivity(&options);
    let out = netpolkit::engine::render_matrix(
        &matrix,
        match output {
            MatrixOutput::Text => netpolkit::engine::MatrixFormat::Text,
            MatrixOutput::Json => netpolkit::engine::MatrixFormat::Json,
            MatrixOutput::Csv => netpolkit::engine::MatrixFormat::Csv,
            MatrixOutput::Dot => netpolkit::engine::MatrixFormat::Dot,
        },
    );
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    ExitCode::SUCCESS
}
