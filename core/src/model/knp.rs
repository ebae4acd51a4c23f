//! `networking.k8s.io/v1` NetworkPolicy.

use super::{IntOrString, LabelSelector, List, ObjectMeta, Spanned, Str};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct NetworkPolicy {
    pub metadata: Spanned<ObjectMeta>,
    pub spec: Option<Spanned<NetworkPolicySpec>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct NetworkPolicySpec {
    /// `None` for a missing or null podSelector, which selects every pod of
    /// the namespace, like `{}`.
    pub pod_selector: Option<Spanned<LabelSelector>>,
    pub policy_types: Option<Spanned<Vec<Spanned<PolicyType>>>>,
    pub ingress: Option<List<NetworkPolicyRule>>,
    pub egress: Option<List<NetworkPolicyRule>>,
}

/// An ingress (`from`) or egress (`to`) rule; the direction is where it sits.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NetworkPolicyRule {
    /// `from` or `to`. Missing and `[]` both mean "every peer".
    pub peers: Option<List<NetworkPolicyPeer>>,
    pub ports: Option<List<NetworkPolicyPort>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct NetworkPolicyPeer {
    pub pod_selector: Option<Spanned<LabelSelector>>,
    pub namespace_selector: Option<Spanned<LabelSelector>>,
    pub ip_block: Option<Spanned<IpBlock>>,
}

/// `ipBlock`; strings are kept as written (Cilium copies them verbatim, §1.4).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IpBlock {
    pub cidr: Option<Str>,
    pub except: Option<Spanned<Vec<Str>>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct NetworkPolicyPort {
    pub protocol: Option<Spanned<Protocol>>,
    pub port: Option<Spanned<IntOrString>>,
    pub end_port: Option<Spanned<i64>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyType {
    Ingress,
    Egress,
}

impl PolicyType {
    pub const fn as_str(self) -> &'static str {
        match self {
            PolicyType::Ingress => "Ingress",
            PolicyType::Egress => "Egress",
        }
    }
}

/// Transport protocols as Kubernetes and Cilium name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
    Vrrp,
    Igmp,
    Gre,
    Ipip,
    Ipv6,
    Esp,
    Ah,
    /// Cilium only: TCP, UDP and SCTP.
    Any,
}

impl Protocol {
    /// The values a NetworkPolicy accepts.
    pub const KUBERNETES: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp];
    /// The values of the newest Cilium CRD enum.
    pub const CILIUM: [Protocol; 11] = [
        Protocol::Tcp,
        Protocol::Udp,
        Protocol::Sctp,
        Protocol::Vrrp,
        Protocol::Igmp,
        Protocol::Gre,
        Protocol::Ipip,
        Protocol::Ipv6,
        Protocol::Esp,
        Protocol::Ah,
        Protocol::Any,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
            Protocol::Vrrp => "VRRP",
            Protocol::Igmp => "IGMP",
            Protocol::Gre => "GRE",
            Protocol::Ipip => "IPIP",
            Protocol::Ipv6 => "IPV6",
            Protocol::Esp => "ESP",
            Protocol::Ah => "AH",
            Protocol::Any => "ANY",
        }
    }

    pub fn from_name(name: &str) -> Option<Protocol> {
        Protocol::CILIUM.into_iter().find(|p| p.as_str() == name)
    }

    /// IP protocols without ports, behind `--enable-extended-ip-protocols`.
    pub const fn is_extended(self) -> bool {
        !matches!(self, Protocol::Tcp | Protocol::Udp | Protocol::Sctp | Protocol::Any)
    }
}
