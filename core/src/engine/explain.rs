//! `explain`: one flow, both directions, and the rules that decide it.

use serde::Serialize;

use super::{DirectionVerdict, Engine, Flow, Reason};
use crate::cluster::Endpoint;
use crate::ir::{Lowered, Proto, Verdict};
use crate::model::Direction;
use crate::source::{LineIndex, Location, SourceMap};

/// A flow as a user names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowQuery {
    /// `NS/POD`, `NAME`, `node/NAME`, an IP address or a DNS name.
    pub from: String,
    pub to: String,
    /// `80`, `80/TCP`, `53/UDP`, `http` (a named port of the destination), `8/ICMP`.
    pub port: String,
}

/// A port spec, before named ports are resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortSpec {
    Number(u16, Proto),
    Named(String, Proto),
}

/// Reads `80`, `80/TCP`, `53/udp`, `http`, `http/TCP`, `8/ICMP`, `128/ICMPv6`.
pub fn parse_port(text: &str) -> Result<PortSpec, String> {
    let (port, proto) = match text.split_once('/') {
        Some((p, proto)) => (p, proto),
        None => (text, "TCP"),
    };
    let protocol = match proto.to_ascii_uppercase().as_str() {
        "TCP" => Proto::Tcp,
        "UDP" => Proto::Udp,
        "SCTP" => Proto::Sctp,
        "ICMP" => Proto::Icmp,
        "ICMPV6" => Proto::Icmpv6,
        other => {
            return Err(format!(
                "unknown protocol `{other}`: use TCP, UDP, SCTP, ICMP or ICMPv6"
            ))
        }
    };
    let icmp = matches!(protocol, Proto::Icmp | Proto::Icmpv6);
    match port.parse::<u16>() {
        Ok(n) if icmp && n > 255 => Err(format!("ICMP type {n} is out of range 0..255")),
        Ok(0) if !icmp => Err("port 0 is not a port a flow can use".to_owned()),
        Ok(n) => Ok(PortSpec::Number(n, protocol)),
        Err(_) if !icmp && !port.is_empty() && port.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
            Ok(PortSpec::Named(port.to_ascii_lowercase(), protocol))
        }
        Err(_) => Err(format!("`{text}` is not a port: write e.g. 80, 53/UDP, http or 8/ICMP")),
    }
}

impl PortSpec {
    /// The flow for this port towards `destination` (named ports are the
    /// destination's container ports).
    pub fn resolve(&self, destination: &Endpoint) -> Result<Flow, String> {
        match self {
            PortSpec::Number(port, protocol) => Ok(Flow {
                protocol: *protocol,
                port: *port,
            }),
            PortSpec::Named(name, protocol) => destination
                .ports
                .iter()
                .find(|p| p.name.as_deref() == Some(name.as_str()) && p.protocol.covers(*protocol))
                .map(|p| Flow {
                    protocol: *protocol,
                    port: p.port,
                })
                .ok_or_else(|| format!("{} has no container port named `{name}`", destination.name)),
        }
    }
}

/// The answer to one flow: allowed only if both directions allow it.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    pub from: Endpoint,
    pub to: Endpoint,
    pub flow: Flow,
    pub allowed: bool,
    /// At the source.
    pub egress: DirectionVerdict,
    /// At the destination.
    pub ingress: DirectionVerdict,
    pub profile: String,
}

impl Engine<'_> {
    /// Explains the flow `from → to` on `port`.
    pub fn explain(&self, query: &FlowQuery) -> Result<Explanation, String> {
        let from = self.cluster.resolve(&query.from)?;
        let to = self.cluster.resolve(&query.to)?;
        let flow = parse_port(&query.port)?.resolve(&to)?;
        let egress = self.decide(&from, Direction::Egress, &to, &flow);
        let ingress = self.decide(&to, Direction::Ingress, &from, &flow);
        Ok(Explanation {
            allowed: egress.allowed && ingress.allowed,
            from,
            to,
            flow,
            egress,
            ingress,
            profile: self.profile.describe(),
        })
    }
}

/// An entry as a front end shows it: which policy, which rule, where.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleRef {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    /// `spec.ingress[0].from[1]`.
    pub path: String,
    pub verdict: &'static str,
    pub document: usize,
    /// Byte offsets of the rule in the input.
    pub start: usize,
    pub end: usize,
    /// The same range in UTF-16 units, for JavaScript strings and editors.
    pub start_utf16: usize,
    pub end_utf16: usize,
    /// The file the rule is in, when the input was several files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based, within the file.
    pub line: usize,
    pub column: usize,
}

/// Why a direction has its verdict, in one word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReasonKind {
    /// The rules allow or deny the flow.
    Decided,
    /// The rules select the endpoint and none allows the flow.
    DefaultDeny,
    /// Cilium lets the local node in.
    Host,
    /// Selected, but no policy asks for default deny.
    NotDefaultDeny,
    NotSelected,
    /// Nothing applies to this kind of endpoint.
    NotEnforced,
    /// Azure NPM never blocks egress to the pod's own node.
    NodeEgress,
    /// Azure NPM does not enforce ingress through some services.
    ServiceBypass,
}

/// One direction, for front ends.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectionReport {
    /// The endpoint the verdict is taken at.
    pub at: String,
    pub verdict: &'static str,
    /// Whether any policy applies there in this direction.
    pub enforced: bool,
    pub reason: ReasonKind,
    /// A sentence: "allowed by CiliumNetworkPolicy shop/api, egress[0] (line 12)".
    pub summary: String,
    /// With reason `decided`, the rules that decided; otherwise the rules
    /// that select the endpoint (their own verdicts may not be this one).
    pub rules: Vec<RuleRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub l7: Vec<String>,
}

/// The whole answer, for `-o json` and JavaScript.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExplainReport {
    pub verdict: &'static str,
    pub from: String,
    pub to: String,
    pub protocol: &'static str,
    pub port: u16,
    pub profile: String,
    pub egress: DirectionReport,
    pub ingress: DirectionReport,
}

impl Explanation {
    /// The report of this explanation; `text` is the input it came from.
    pub fn report(&self, lowered: &Lowered, text: &str) -> ExplainReport {
        self.report_in(lowered, &SourceMap::single(text))
    }

    /// The report, with rule locations in the files the input was joined from.
    pub fn report_in(&self, lowered: &Lowered, sources: &SourceMap) -> ExplainReport {
        let index = LineIndex::new(sources.text());
        ExplainReport {
            verdict: if self.allowed { "allow" } else { "deny" },
            from: self.from.name.clone(),
            to: self.to.name.clone(),
            protocol: self.flow.protocol.as_str(),
            port: self.flow.port,
            profile: self.profile.clone(),
            egress: direction_report(&self.egress, &self.from, &self.flow, lowered, sources, &index),
            ingress: direction_report(&self.ingress, &self.to, &self.flow, lowered, sources, &index),
        }
    }

    /// The explanation as a few readable lines.
    pub fn text(&self, lowered: &Lowered, input: &str) -> String {
        self.text_in(lowered, &SourceMap::single(input))
    }

    /// [`Explanation::text`] for an input joined from files.
    pub fn text_in(&self, lowered: &Lowered, sources: &SourceMap) -> String {
        let report = self.report_in(lowered, sources);
        format!(
            "{} {} -> {} {} ({})\n  egress at {}: {}\n  ingress at {}: {}\n",
            report.verdict.to_uppercase(),
            report.from,
            report.to,
            self.flow,
            report.profile,
            report.egress.at,
            report.egress.summary,
            report.ingress.at,
            report.ingress.summary,
        )
    }
}

fn rule_ref(i: usize, lowered: &Lowered, sources: &SourceMap, index: &LineIndex) -> RuleRef {
    let text = sources.text();
    let entry = &lowered.entries[i];
    let policy = &lowered.policies[entry.origin.policy];
    let at = sources.locate(entry.origin.span.start);
    RuleRef {
        kind: policy.kind.name(),
        namespace: policy.namespace.clone(),
        name: policy.name.clone(),
        path: entry.origin.path.clone(),
        verdict: entry.verdict.as_str(),
        document: policy.document,
        start: entry.origin.span.start,
        end: entry.origin.span.end,
        start_utf16: index.utf16(text, entry.origin.span.start),
        end_utf16: index.utf16(text, entry.origin.span.end),
        file: at.name.map(str::to_owned),
        line: at.line,
        column: at.column,
    }
}

/// "CiliumNetworkPolicy shop/api, egress[0] (line 12)".
fn describe(r: &RuleRef) -> String {
    let name = match &r.namespace {
        Some(ns) => format!("{} {ns}/{}", r.kind, r.name),
        None => format!("{} {}", r.kind, r.name),
    };
    let rule = r.path.strip_prefix("spec.").unwrap_or(&r.path);
    let at = Location {
        name: r.file.as_deref(),
        line: r.line,
        column: r.column,
    };
    if rule == "spec" {
        format!("{name} ({at})")
    } else {
        format!("{name}, {rule} ({at})")
    }
}

/// The policies behind a list of entries, each named once.
fn policies(entries: &[usize], lowered: &Lowered) -> String {
    let mut names: Vec<String> = Vec::new();
    for &i in entries {
        let name = lowered.policies[lowered.entries[i].origin.policy].display_name();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(", ")
}

fn direction_report(
    v: &DirectionVerdict,
    at: &Endpoint,
    flow: &Flow,
    lowered: &Lowered,
    sources: &SourceMap,
    index: &LineIndex,
) -> DirectionReport {
    let refs =
        |entries: &[usize]| -> Vec<RuleRef> { entries.iter().map(|&i| rule_ref(i, lowered, sources, index)).collect() };
    let reason = match &v.reason {
        Reason::NotSelected => ReasonKind::NotSelected,
        Reason::NotEnforced(_) => ReasonKind::NotEnforced,
        Reason::Decided { .. } => ReasonKind::Decided,
        Reason::HostAllowed { .. } => ReasonKind::Host,
        Reason::DefaultDeny { .. } => ReasonKind::DefaultDeny,
        Reason::NotDefaultDeny { .. } => ReasonKind::NotDefaultDeny,
        Reason::NodeEgress => ReasonKind::NodeEgress,
        Reason::ServiceBypass { .. } => ReasonKind::ServiceBypass,
    };
    let (enforced, summary, rules) = match &v.reason {
        Reason::NotSelected => (false, "allowed: no policy selects it".to_owned(), Vec::new()),
        Reason::NotEnforced(why) => (false, format!("allowed: no policy applies, {why}"), Vec::new()),
        Reason::Decided { verdict, entries } => {
            let rules = refs(entries);
            let list: Vec<String> = rules.iter().map(describe).collect();
            let what = match verdict {
                Verdict::Deny => "denied by",
                _ => "allowed by",
            };
            (true, format!("{what} {}", list.join("; ")), rules)
        }
        Reason::HostAllowed { selected_by } => (
            true,
            format!(
                "allowed: from the local node, which Cilium always lets in (selected by {}, default deny)",
                policies(selected_by, lowered)
            ),
            refs(selected_by),
        ),
        Reason::DefaultDeny { selected_by } => (
            true,
            format!(
                "denied: selected by {} (default deny), no rule allows {flow}",
                policies(selected_by, lowered)
            ),
            refs(selected_by),
        ),
        Reason::NotDefaultDeny { selected_by } => (
            true,
            format!(
                "allowed: selected by {}, but none of it asks for default deny (enableDefaultDeny: false)",
                policies(selected_by, lowered)
            ),
            refs(selected_by),
        ),
        Reason::NodeEgress => (true, "allowed: Azure NPM never blocks egress to the pod's own node".to_owned(), Vec::new()),
        Reason::ServiceBypass { service } => (
            true,
            format!("allowed: Azure NPM does not enforce ingress arriving through service {service} (externalTrafficPolicy: Cluster)"),
            Vec::new(),
        ),
    };
    let l7: Vec<String> =
        v.l7.iter()
            .flatten()
            .flat_map(|l| l.rules.iter().map(move |r| format!("{}: {r}", l.protocol)))
            .collect();
    let summary = if l7.is_empty() {
        summary
    } else {
        format!("{summary}; then only these L7 requests pass: {}", l7.join(", "))
    };
    DirectionReport {
        at: at.name.clone(),
        verdict: if v.allowed { "allow" } else { "deny" },
        enforced,
        reason,
        summary,
        rules,
        l7,
    }
}
