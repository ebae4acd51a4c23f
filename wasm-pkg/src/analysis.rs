//! `explain` and `connectivity` for JavaScript: the options and results.

use serde::{Deserialize, Serialize};
use tsify::Tsify;

use netpolkit::profile::{ProfileKind, ProfileSettings};

/// Whose semantics decide verdicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// Kubernetes as documented: NetworkPolicy only, ipBlock matches any address.
    Upstream,
    /// Cilium (default: the newest version, stock settings).
    Cilium,
    /// Azure CNI powered by Cilium as AKS ships it.
    Aks,
    /// Azure Network Policy Manager.
    AzureNpm,
}

/// Which addresses CIDR rules may match besides those outside the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "lowercase")]
pub enum CidrMatchMode {
    Nodes,
    Pods,
}

/// The profile and cluster facts for `explain` and `connectivity`. They
/// override a `ClusterProfile` document in the text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnalyzeOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// `"1.19"`, `"v1.19.5"`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cilium_version: Option<String>,
    /// AKS: Advanced Container Networking Services (FQDN and L7 policies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acns: Option<bool>,
    /// Cilium's `policy-cidr-match-mode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_match_mode: Option<Vec<CidrMatchMode>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_cidrs: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_cidrs: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_cidrs: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    /// `"1.31"`: on AKS it picks the Cilium line (1.29-1.30: 1.14, 1.31: 1.16, 1.32+: 1.17).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
    /// AKS LocalDNS is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_dns: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_server_cidrs: Option<Vec<String>>,
}

impl AnalyzeOptions {
    /// The core's settings; a malformed version or CIDR is an error message.
    pub fn settings(&self) -> Result<ProfileSettings, String> {
        let nets = |list: &Option<Vec<String>>| -> Result<Option<Vec<ipnet::IpNet>>, String> {
            list.as_ref()
                .map(|l| {
                    l.iter()
                        .map(|s| s.parse().map_err(|_| format!("`{s}` is not a CIDR")))
                        .collect()
                })
                .transpose()
        };
        Ok(ProfileSettings {
            kind: self.profile.map(|p| match p {
                Profile::Upstream => ProfileKind::Upstream,
                Profile::Cilium => ProfileKind::Cilium,
                Profile::Aks => ProfileKind::Aks,
                Profile::AzureNpm => ProfileKind::AzureNpm,
            }),
            cilium_version: self
                .cilium_version
                .as_ref()
                .map(|v| v.parse::<netpolkit::CiliumVersion>())
                .transpose()
                .map_err(|e| e.to_string())?,
            acns: self.acns,
            cidr_match_nodes: self.cidr_match_mode.as_ref().map(|m| m.contains(&CidrMatchMode::Nodes)),
            cidr_match_pods: self.cidr_match_mode.as_ref().map(|m| m.contains(&CidrMatchMode::Pods)),
            pod_cidrs: nets(&self.pod_cidrs)?,
            node_cidrs: nets(&self.node_cidrs)?,
            service_cidrs: nets(&self.service_cidrs)?,
            cluster_name: self.cluster_name.clone(),
            api_server_cidrs: nets(&self.api_server_cidrs)?,
            kubernetes_version: self
                .kubernetes_version
                .as_ref()
                .map(|v| v.parse::<netpolkit::KubernetesVersion>())
                .transpose()
                .map_err(|e| e.to_string())?,
            local_dns: self.local_dns,
            ..ProfileSettings::default()
        })
    }
}

/// One flow to explain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FlowQuery {
    /// `namespace/pod` (or a controller's name), `node/NAME`, an IP address.
    pub from: String,
    /// `namespace/pod`, `node/NAME`, an IP address or a DNS name.
    pub to: String,
    /// `80`, `80/TCP`, `53/UDP`, a named port of the destination, or `8/ICMP`.
    pub port: String,
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
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectivityOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cilium_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acns: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_match_mode: Option<Vec<CidrMatchMode>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_cidrs: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_cidrs: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_cidrs: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
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

impl ConnectivityOptions {
    /// The profile part, as `explain` takes it.
    pub fn analyze(&self) -> AnalyzeOptions {
        AnalyzeOptions {
            profile: self.profile,
            cilium_version: self.cilium_version.clone(),
            acns: self.acns,
            cidr_match_mode: self.cidr_match_mode.clone(),
            pod_cidrs: self.pod_cidrs.clone(),
            node_cidrs: self.node_cidrs.clone(),
            service_cidrs: self.service_cidrs.clone(),
            cluster_name: self.cluster_name.clone(),
            ..AnalyzeOptions::default()
        }
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
