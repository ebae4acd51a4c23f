//! `policy.networking.k8s.io/v1alpha2` ClusterNetworkPolicy (KCNP), the
//! Kubernetes successor of AdminNetworkPolicy, which Cilium 1.20 implements
//! behind a flag (cilium-semantics §3.5).

use super::{LabelSelector, List, ObjectMeta, Spanned, Str};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterNetworkPolicy {
    pub metadata: Spanned<ObjectMeta>,
    pub spec: Option<Spanned<ClusterNetworkPolicySpec>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterNetworkPolicySpec {
    pub tier: Option<Spanned<Tier>>,
    pub priority: Option<Spanned<i64>>,
    pub subject: Option<Spanned<ClusterNetworkPolicySubject>>,
    pub ingress: Option<List<ClusterNetworkPolicyRule>>,
    pub egress: Option<List<ClusterNetworkPolicyRule>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    Admin,
    Baseline,
}

impl Tier {
    pub const fn as_str(self) -> &'static str {
        match self {
            Tier::Admin => "Admin",
            Tier::Baseline => "Baseline",
        }
    }
}

/// Exactly one of `namespaces` or `pods`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterNetworkPolicySubject {
    pub namespaces: Option<Spanned<LabelSelector>>,
    pub pods: Option<Spanned<NamespacedPod>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct NamespacedPod {
    pub namespace_selector: Option<Spanned<LabelSelector>>,
    pub pod_selector: Option<Spanned<LabelSelector>>,
}

/// An ingress (`from`) or egress (`to`) rule.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterNetworkPolicyRule {
    pub name: Option<Str>,
    pub action: Option<Spanned<Action>>,
    pub peers: Option<List<ClusterNetworkPolicyPeer>>,
    pub protocols: Option<List<ClusterNetworkPolicyProtocol>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Accept,
    Deny,
    Pass,
}

impl Action {
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "Accept",
            Action::Deny => "Deny",
            Action::Pass => "Pass",
        }
    }
}

/// Exactly one field set; `nodes`, `networks` and `domainNames` only on egress.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterNetworkPolicyPeer {
    pub namespaces: Option<Spanned<LabelSelector>>,
    pub pods: Option<Spanned<NamespacedPod>>,
    pub nodes: Option<Spanned<LabelSelector>>,
    pub networks: Option<Spanned<Vec<Str>>>,
    pub domain_names: Option<Spanned<Vec<Str>>>,
}

/// Exactly one of `tcp`, `udp`, `sctp` or `destinationNamedPort`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterNetworkPolicyProtocol {
    pub tcp: Option<Spanned<ProtocolPort>>,
    pub udp: Option<Spanned<ProtocolPort>>,
    pub sctp: Option<Spanned<ProtocolPort>>,
    pub destination_named_port: Option<Str>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProtocolPort {
    pub destination_port: Option<Spanned<PortMatch>>,
}

/// Exactly one of `number` or `range`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PortMatch {
    pub number: Option<Spanned<i64>>,
    pub range: Option<Spanned<PortRange>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PortRange {
    pub start: Option<Spanned<i64>>,
    pub end: Option<Spanned<i64>>,
}
