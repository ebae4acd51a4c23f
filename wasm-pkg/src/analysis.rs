//! `explain` and `connectivity` for JavaScript: the options and results.

use serde::{Deserialize, Serialize};
use tsify::Tsify;

use netpolkit::profile::ProfileSettings;

use crate::options::{ClusterFacts, Fields, Profile};

/// The profile and cluster facts for `explain`, `connectivity` and
/// `analyze`. They override a `ClusterProfile` document in the text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct AnalyzeOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    #[serde(flatten)]
    pub facts: ClusterFacts,
}

impl Fields for AnalyzeOptions {
    const OWN: &'static [&'static str] = &["profile"];
    const FACTS: bool = true;
}

impl AnalyzeOptions {
    /// The core's settings; a malformed version or CIDR is an error message.
    pub fn settings(&self) -> Result<ProfileSettings, String> {
        self.facts.settings(self.profile)
    }
}

/// One flow to explain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct FlowQuery {
    /// `namespace/pod` (or a controller's name), `node/NAME`, an IP address.
    pub from: String,
    /// `namespace/pod`, `node/NAME`, an IP address or a DNS name.
    pub to: String,
    /// `80`, `80/TCP`, `53/UDP`, a named port of the destination, or `8/ICMP`.
    pub port: String,
}

impl Fields for FlowQuery {
    const OWN: &'static [&'static str] = &["from", "to", "port"];
    const FACTS: bool = false;
}

/// A rule that decided a verdict, or put the endpoint into default deny.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct RuleRef {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    /// `spec.ingress[0].from[1]`.
    pub path: String,
    pub verdict: String,
    pub document: usize,
    pub start: usize,
    pub end: usize,
    pub start_utf16: usize,
    pub end_utf16: usize,
    pub line: usize,
    pub column: usize,
}

impl From<netpolkit::engine::RuleRef> for RuleRef {
    fn from(r: netpolkit::engine::RuleRef) -> Self {
        let netpolkit::engine::RuleRef {
            kind,
            namespace,
            name,
            path,
            verdict,
            document,
            start,
            end,
            start_utf16,
            end_utf16,
            // JavaScript passes one text: lines count from its start.
            file: _,
            line,
            column,
        } = r;
        RuleRef {
            kind: kind.to_owned(),
            namespace,
            name,
            path,
            verdict: verdict.to_owned(),
            document,
            start,
            end,
            start_utf16,
            end_utf16,
            line,
            column,
        }
    }
}

/// The verdict of one direction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct DirectionResult {
    /// The endpoint the verdict is taken at.
    pub at: String,
    pub verdict: Verdict,
    /// Whether any policy applies there in this direction.
    pub enforced: bool,
    /// Why, in one word.
    pub reason: Reason,
    /// A sentence saying why.
    pub summary: String,
    /// With reason `decided`, the rules that decided; otherwise the rules
    /// that select the endpoint.
    pub rules: Vec<RuleRef>,
    /// The L7 rules the traffic is then filtered by.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[tsify(optional)]
    pub l7: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    Deny,
}

/// Why a direction has its verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
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

impl From<netpolkit::engine::ReasonKind> for Reason {
    fn from(r: netpolkit::engine::ReasonKind) -> Self {
        use netpolkit::engine::ReasonKind as K;
        match r {
            K::Decided => Reason::Decided,
            K::DefaultDeny => Reason::DefaultDeny,
            K::Host => Reason::Host,
            K::NotDefaultDeny => Reason::NotDefaultDeny,
            K::NotSelected => Reason::NotSelected,
            K::NotEnforced => Reason::NotEnforced,
            K::NodeEgress => Reason::NodeEgress,
            K::ServiceBypass => Reason::ServiceBypass,
        }
    }
}

fn verdict(v: &str) -> Verdict {
    if v == "allow" {
        Verdict::Allow
    } else {
        Verdict::Deny
    }
}

impl From<netpolkit::engine::DirectionReport> for DirectionResult {
    fn from(d: netpolkit::engine::DirectionReport) -> Self {
        let netpolkit::engine::DirectionReport {
            at,
            verdict: v,
            enforced,
            reason,
            summary,
            rules,
            l7,
        } = d;
        DirectionResult {
            at,
            verdict: verdict(v),
            enforced,
            reason: reason.into(),
            summary,
            rules: rules.into_iter().map(RuleRef::from).collect(),
            l7,
        }
    }
}

/// Whether a flow is allowed: only when both the egress at the source and
/// the ingress at the destination allow it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct ExplainResult {
    pub verdict: Verdict,
    pub from: String,
    pub to: String,
    pub protocol: String,
    pub port: u16,
    /// The profile the verdict was taken under, in words.
    pub profile: String,
    pub egress: DirectionResult,
    pub ingress: DirectionResult,
}

impl From<netpolkit::engine::ExplainReport> for ExplainResult {
    fn from(r: netpolkit::engine::ExplainReport) -> Self {
        let netpolkit::engine::ExplainReport {
            verdict: v,
            from,
            to,
            protocol,
            port,
            profile,
            egress,
            ingress,
        } = r;
        ExplainResult {
            verdict: verdict(v),
            from,
            to,
            protocol: protocol.to_owned(),
            port,
            profile,
            egress: egress.into(),
            ingress: ingress.into(),
        }
    }
}

/// Options of `connectivity`: the profile options of `explain`, plus what
/// to put in the matrix.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct ConnectivityOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    #[serde(flatten)]
    pub facts: ClusterFacts,
    /// Ports to check besides those the policies mention (`80`, `53/UDP`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<String>>,
    /// Addresses or DNS names outside the cluster to include.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub externals: Option<Vec<String>>,
    /// Leave nodes out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub without_nodes: Option<bool>,
}

impl Fields for ConnectivityOptions {
    const OWN: &'static [&'static str] = &["profile", "ports", "externals", "withoutNodes"];
    const FACTS: bool = true;
}

impl ConnectivityOptions {
    /// The core's settings; a malformed version or CIDR is an error message.
    pub fn settings(&self) -> Result<ProfileSettings, String> {
        self.facts.settings(self.profile)
    }
}

/// Which endpoints reach which. A thousand pods on ten ports are ten
/// million cells, so the matrix is one flat byte array rather than nested
/// JavaScript arrays: `allowed[(from * endpoints.length + to) *
/// ports.length + port]` is 1 when the flow is allowed, 0 when denied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct ConnectivityResult {
    pub endpoints: Vec<String>,
    /// `TCP/80`, `UDP/53`...
    pub ports: Vec<String>,
    /// How many groups of endpoints no rule tells apart.
    pub classes: usize,
    #[serde(with = "serde_bytes")]
    #[tsify(type = "Uint8Array")]
    pub allowed: Vec<u8>,
}

impl ConnectivityResult {
    /// Whether `from` reaches `to` on the `port`-th port.
    pub fn is_allowed(&self, from: usize, to: usize, port: usize) -> bool {
        let cell = (from * self.endpoints.len() + to) * self.ports.len() + port;
        self.allowed.get(cell) == Some(&1)
    }
}
