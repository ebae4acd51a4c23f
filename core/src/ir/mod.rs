//! The intermediate representation: Cilium's own policy entries
//! (cilium-semantics §1, §2.14, §3; `pkg/policy/types/policyentry.go`).
//!
//! Every policy kind lowers to the same flat list of [`PolicyEntry`]s: a
//! subject, a direction, a verdict, the peers (L3), the ports (L4, with L7
//! attached), whether it puts its subject into default deny, its tier and
//! priority, and where it came from. The engine decides every flow from
//! entries alone, exactly as the Cilium agent does.

mod labels;
pub mod lower;

use std::fmt;

use ipnet::IpNet;

pub use labels::{is_cilium_derived, split_source, Label, Labels, Op, Selector, SelectorKey, Source};
pub use lower::{lower, Lowered};

use crate::model::{Direction, Entity, Kind};
use crate::source::Span;

/// What an entry decides for the traffic it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    Allow,
    Deny,
    /// ClusterNetworkPolicy only: leave the decision to the next tier.
    Pass,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Deny => "deny",
            Verdict::Pass => "pass",
        }
    }
}

/// Precedence tiers (main: Admin 100, Normal 200, Baseline 250, §3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    Admin,
    /// KNP, CNP and CCNP: all at this one level.
    Normal,
    Baseline,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Admin => "Admin",
            Tier::Normal => "Normal",
            Tier::Baseline => "Baseline",
        }
    }
}

/// Which endpoints an entry applies to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    /// Endpoints (pods) whose identity the selector matches.
    Endpoints(Selector),
    /// The node itself (host policies, `nodeSelector`): node labels.
    Host(Selector),
}

/// One peer of an entry's L3 list.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Peer {
    /// Identities matched by a selector (pods, reserved identities).
    Selector(Selector),
    /// Addresses outside the cluster (and, by profile, node or pod addresses).
    Cidr { cidr: IpNet, except: Vec<IpNet> },
    /// A Cilium entity.
    Entity(Entity),
    /// Nodes by their labels (`fromNodes`/`toNodes`, KCNP `nodes`).
    Nodes { selector: Selector, include_local: bool },
    /// DNS names learnt by the DNS proxy (`toFQDNs`, KCNP `domainNames`).
    Fqdn(FqdnMatch),
    /// Something that never matches in-cluster traffic and cannot be
    /// resolved offline (cloud provider groups, CIDR groups, selector-less services).
    Unresolved(String),
}

/// A `toFQDNs` selector.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FqdnMatch {
    Name(String),
    Pattern(String),
}

impl FqdnMatch {
    /// Whether `name` matches, as Cilium's DNS proxy matches (§2.5): a
    /// pattern's `*` stands for any DNS characters but no dot (so
    /// `*.example.com` does not match `example.com`, but `*example.com`
    /// does), a lone `*` matches every name, and a leading `**.` any number
    /// of labels (1.19+).
    pub fn matches(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        match self {
            FqdnMatch::Name(n) => n.trim_end_matches('.').eq_ignore_ascii_case(&name),
            FqdnMatch::Pattern(p) => {
                let p = p.trim().trim_end_matches('.').to_ascii_lowercase();
                if p == "*" {
                    return true;
                }
                if let Some(rest) = p.strip_prefix("**.") {
                    return name
                        .char_indices()
                        .filter(|(_, c)| *c == '.')
                        .any(|(i, _)| i > 0 && glob(rest.as_bytes(), &name.as_bytes()[i + 1..]));
                }
                glob(p.as_bytes(), name.as_bytes())
            }
        }
    }
}

/// `*` matches any run of characters other than a dot.
fn glob(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob(&p[1..], s) || (s.first().is_some_and(|c| *c != b'.') && glob(p, &s[1..])),
        (Some(a), Some(b)) if a == b => glob(&p[1..], &s[1..]),
        _ => false,
    }
}

/// The L3 part of an entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum L3 {
    /// Selects nothing: `fromEndpoints: []`, a default-deny entry.
    Nothing,
    Peers(Vec<Peer>),
}

/// Transport (or ICMP) protocol of a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Proto {
    Tcp,
    Udp,
    Sctp,
    /// TCP, UDP and SCTP.
    Any,
    Icmp,
    Icmpv6,
    /// IP protocols without ports (`--enable-extended-ip-protocols`).
    Other(crate::model::Protocol),
}

impl Proto {
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "TCP",
            Proto::Udp => "UDP",
            Proto::Sctp => "SCTP",
            Proto::Any => "ANY",
            Proto::Icmp => "ICMP",
            Proto::Icmpv6 => "ICMPv6",
            Proto::Other(p) => p.as_str(),
        }
    }

    /// Whether a port of this protocol covers traffic of protocol `flow`.
    pub fn covers(self, flow: Proto) -> bool {
        self == flow || (self == Proto::Any && matches!(flow, Proto::Tcp | Proto::Udp | Proto::Sctp))
    }
}

/// A port as written: a number (0 = every port) or a container port name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PortNumber {
    Number(u16),
    Named(String),
}

/// One port, port range, ICMP type or protocol.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PortProto {
    pub port: PortNumber,
    /// The last port of a range; 0 or absent for a single port.
    pub end_port: Option<u16>,
    pub protocol: Proto,
}

impl fmt::Display for PortProto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.port {
            PortNumber::Number(n) => write!(f, "{n}")?,
            PortNumber::Named(name) => f.write_str(name)?,
        }
        if let Some(end) = self.end_port.filter(|e| *e > 0) {
            write!(f, "-{end}")?;
        }
        write!(f, "/{}", self.protocol.as_str())
    }
}

/// L7 rules attached to a port rule; kept as text (the engine decides L4
/// verdicts, and reports which L7 rules then filter the traffic).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct L7 {
    /// `http`, `dns`, `kafka` or a generic parser name.
    pub protocol: String,
    pub rules: Vec<String>,
}

/// One `toPorts` item or ICMP rule: the ports and what L7 applies to them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PortRule {
    pub ports: Vec<PortProto>,
    pub l7: Option<L7>,
}

/// Where an entry comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// Index into [`Lowered::policies`].
    pub policy: usize,
    /// The rule's path in its document (`spec.ingress[0]`), or the policy's
    /// `spec` for implicit entries (default deny from policyTypes).
    pub path: String,
    /// The rule's text.
    pub span: Span,
    /// The rule's index in its list (ingress[i]); `None` for implicit entries.
    pub rule: Option<usize>,
}

/// A policy whose entries are in the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyInfo {
    pub kind: Kind,
    pub namespace: Option<String>,
    pub name: String,
    /// Index of its document in the input.
    pub document: usize,
    pub span: Span,
    /// Cilium's policy labels (`io.cilium.k8s.policy.derived-from`, `name`,
    /// `namespace`, `uid`), §1.7.
    pub labels: Vec<Label>,
}

impl PolicyInfo {
    /// `CiliumNetworkPolicy shop/allow-web`.
    pub fn display_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind.name(), self.name),
            None => format!("{} {}", self.kind.name(), self.name),
        }
    }
}

/// One policy entry.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyEntry {
    pub subject: Subject,
    pub direction: Direction,
    pub verdict: Verdict,
    pub l3: L3,
    /// Empty: every port and protocol.
    pub l4: Vec<PortRule>,
    /// Whether a subject selected by this entry is in default deny for its direction.
    pub default_deny: bool,
    pub tier: Tier,
    /// Lower is earlier; KNP/CNP/CCNP are all 0.
    pub priority: f64,
    pub origin: Origin,
}

impl fmt::Display for PolicyEntry {
    /// `ingress allow default-deny subject={...} peers=[...] ports=[80/TCP]`, the
    /// form the vector fixtures are written in.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.direction.as_str(), self.verdict.as_str())?;
        if self.default_deny {
            f.write_str(" default-deny")?;
        }
        if self.tier != Tier::Normal || self.priority != 0.0 {
            write!(f, " tier={} priority={}", self.tier.as_str(), self.priority)?;
        }
        match &self.subject {
            Subject::Endpoints(s) => write!(f, " subject={s}")?,
            Subject::Host(s) => write!(f, " host={s}")?,
        }
        match &self.l3 {
            L3::Nothing => f.write_str(" peers=nothing")?,
            L3::Peers(peers) => {
                f.write_str(" peers=[")?;
                for (i, p) in peers.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{p}")?;
                }
                f.write_str("]")?;
            }
        }
        if self.l4.is_empty() {
            f.write_str(" ports=all")
        } else {
            f.write_str(" ports=[")?;
            let mut first = true;
            for rule in &self.l4 {
                for p in &rule.ports {
                    if !first {
                        f.write_str(", ")?;
                    }
                    first = false;
                    write!(f, "{p}")?;
                }
                if let Some(l7) = &rule.l7 {
                    write!(f, " {}({})", l7.protocol, l7.rules.join(" | "))?;
                }
            }
            f.write_str("]")
        }
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Selector(s) => write!(f, "{s}"),
            Peer::Cidr { cidr, except } => {
                write!(f, "cidr {cidr}")?;
                if !except.is_empty() {
                    let list: Vec<String> = except.iter().map(|e| e.to_string()).collect();
                    write!(f, " except {}", list.join(","))?;
                }
                Ok(())
            }
            Peer::Entity(e) => write!(f, "entity {}", e.as_str()),
            Peer::Nodes {
                selector,
                include_local,
            } => {
                write!(f, "nodes {selector}")?;
                if *include_local {
                    f.write_str(" +host")?;
                }
                Ok(())
            }
            Peer::Fqdn(FqdnMatch::Name(n)) => write!(f, "fqdn {n}"),
            Peer::Fqdn(FqdnMatch::Pattern(p)) => write!(f, "fqdn-pattern {p}"),
            Peer::Unresolved(what) => write!(f, "unresolved {what}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fqdn_patterns_follow_cilium() {
        let p = |s: &str| FqdnMatch::Pattern(s.to_owned());
        assert!(p("*.example.com").matches("api.example.com"));
        assert!(!p("*.example.com").matches("example.com"), "`*.` needs a label");
        assert!(
            p("*example.com").matches("example.com"),
            "a leading * without a dot matches the bare name"
        );
        assert!(!p("*.example.com").matches("a.b.example.com"));
        assert!(p("**.example.com").matches("a.b.example.com"));
        assert!(!p("**.example.com").matches("example.com"));
        assert!(p("api-*.example.com").matches("api-v1.example.com"));
        assert!(p("*").matches("anything.at.all"));
        assert!(FqdnMatch::Name("Example.com".into()).matches("example.com."));
    }
}
