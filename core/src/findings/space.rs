//! Sets of flows written as entries describe them, and the two questions the
//! findings ask of them: does one contain the other, and do they surely
//! meet. Both answers are conservative: `true` only when it holds for every
//! cluster, so a finding never claims a shadow or an overlap that a
//! particular cluster could contradict.
//!
//! A selector is read as a region of label space: for each key, whether the
//! label may be absent and which values it may take (a finite set, or all
//! but a finite set). Labels are maps, so one value per key; that makes
//! containment and intersection exact per key.

use std::collections::{BTreeMap, BTreeSet};

use ipnet::IpNet;

use crate::cluster::{NAMESPACE, NAMESPACE_LABELS};
use crate::ir::{Op, Peer, PolicyEntry, PortNumber, PortRule, Proto, Selector, SelectorKey, Source, Subject, L3};
use crate::model::Entity;
use crate::profile::Profile;

/// The values one key may take.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Values {
    Only(BTreeSet<String>),
    AllBut(BTreeSet<String>),
}

/// What a selector allows for one key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct KeySet {
    absent: bool,
    values: Values,
}

impl KeySet {
    const fn any() -> KeySet {
        KeySet {
            absent: true,
            values: Values::AllBut(BTreeSet::new()),
        }
    }

    fn of(op: Op, values: &[String]) -> KeySet {
        let set = || crate::sort::set(values.iter().cloned());
        match op {
            Op::In => KeySet {
                absent: false,
                values: Values::Only(set()),
            },
            Op::NotIn => KeySet {
                absent: true,
                values: Values::AllBut(set()),
            },
            Op::Exists => KeySet {
                absent: false,
                values: Values::AllBut(BTreeSet::new()),
            },
            Op::DoesNotExist => KeySet {
                absent: true,
                values: Values::Only(BTreeSet::new()),
            },
        }
    }

    fn is_empty(&self) -> bool {
        !self.absent && matches!(&self.values, Values::Only(v) if v.is_empty())
    }

    fn intersect(&self, other: &KeySet) -> KeySet {
        let values = match (&self.values, &other.values) {
            (Values::Only(a), Values::Only(b)) => Values::Only(a.intersection(b).cloned().collect()),
            (Values::Only(a), Values::AllBut(b)) | (Values::AllBut(b), Values::Only(a)) => {
                Values::Only(a.difference(b).cloned().collect())
            }
            (Values::AllBut(a), Values::AllBut(b)) => Values::AllBut(a.union(b).cloned().collect()),
        };
        KeySet {
            absent: self.absent && other.absent,
            values,
        }
    }

    /// Whether some value (or absence) is admitted by both, without
    /// building the intersection.
    fn meets(&self, other: &KeySet) -> bool {
        if self.absent && other.absent {
            return true;
        }
        match (&self.values, &other.values) {
            (Values::Only(a), Values::Only(b)) => a.iter().any(|v| b.contains(v)),
            (Values::Only(a), Values::AllBut(b)) | (Values::AllBut(b), Values::Only(a)) => {
                a.iter().any(|v| !b.contains(v))
            }
            // Infinitely many values, finitely many excluded.
            (Values::AllBut(_), Values::AllBut(_)) => true,
        }
    }

    /// The one value it admits, if absence is not admitted either.
    fn pinned(&self) -> Option<&str> {
        match self {
            KeySet {
                absent: false,
                values: Values::Only(v),
            } if v.len() == 1 => v.iter().next().map(String::as_str),
            _ => None,
        }
    }

    fn within(&self, other: &KeySet) -> bool {
        if self.absent && !other.absent {
            return false;
        }
        match (&self.values, &other.values) {
            (Values::Only(a), Values::Only(b)) => a.is_subset(b),
            (Values::Only(a), Values::AllBut(b)) => a.is_disjoint(b),
            (Values::AllBut(_), Values::Only(_)) => false,
            (Values::AllBut(a), Values::AllBut(b)) => b.is_subset(a),
        }
    }
}

/// A selector as a region of label space. Keys are normalised: `any:`
/// (what a Cilium selector means by a bare key) is a pod's `k8s:` label, and
/// the namespace's `kubernetes.io/metadata.name` label is its name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Region {
    keys: BTreeMap<String, KeySet>,
}

/// The normalised key a requirement is about.
pub fn key_name(key: &SelectorKey) -> String {
    let source = match key.source {
        Source::Any => "k8s",
        ref s => s.as_str(),
    };
    if source == "k8s" && key.key.strip_prefix(NAMESPACE_LABELS) == Some("kubernetes.io/metadata.name") {
        return format!("k8s:{NAMESPACE}");
    }
    format!("{source}:{}", key.key)
}

impl Region {
    pub fn of(selector: &Selector) -> Region {
        let mut region = Region::default();
        for (key, value) in &selector.match_labels {
            region.add(key_name(key), KeySet::of(Op::In, std::slice::from_ref(value)));
        }
        for (key, op, values) in &selector.expressions {
            region.add(key_name(key), KeySet::of(*op, values));
        }
        region
    }

    fn add(&mut self, key: String, set: KeySet) {
        let merged = match self.keys.get(&key) {
            Some(old) => old.intersect(&set),
            None => set,
        };
        self.keys.insert(key, merged);
    }

    /// Selects no labels at all (contradicting requirements).
    pub fn is_empty(&self) -> bool {
        self.keys.values().any(KeySet::is_empty)
    }

    /// Every label set this region admits, the other admits too.
    pub fn within(&self, other: &Region) -> bool {
        self.is_empty()
            || other
                .keys
                .iter()
                .all(|(k, set)| self.keys.get(k).unwrap_or(&KeySet::any()).within(set))
    }

    /// Some label set is admitted by both.
    pub fn meets(&self, other: &Region) -> bool {
        !self.is_empty()
            && !other.is_empty()
            && self
                .keys
                .iter()
                .all(|(k, set)| other.keys.get(k).is_none_or(|o| set.meets(o)))
    }

    /// The one value the region pins `key` to, if it does.
    pub fn pinned(&self, key: &str) -> Option<&str> {
        self.keys.get(key).and_then(KeySet::pinned)
    }

    /// The keys pinned to one value, with that value.
    pub fn pins(&self) -> impl Iterator<Item = (&str, &str)> {
        self.keys
            .iter()
            .filter_map(|(k, set)| Some((k.as_str(), set.pinned()?)))
    }

    /// Whether the region says anything about the `reserved:` labels
    /// (entities written as selectors).
    fn reserved(&self) -> bool {
        self.keys.keys().any(|k| k.starts_with("reserved:"))
    }

    pub fn is_everything(&self) -> bool {
        self.keys.is_empty()
    }
}

/// The namespace an entry's subject is pinned to.
pub fn namespace_of(region: &Region) -> Option<&str> {
    region.pinned(NAMESPACE_KEY)
}

/// [`key_name`] of the namespace label.
const NAMESPACE_KEY: &str = "k8s:io.kubernetes.pod.namespace";

/// One port item: a protocol and a port range (ICMP: a type), or a name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum PortItem {
    Range(Proto, u16, u16),
    Named(Proto, String),
}

/// The ports of an entry; `None` is every port and protocol.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ports(Option<Vec<PortItem>>);

fn overlaps(a: Proto, b: Proto) -> bool {
    a.covers(b) || b.covers(a)
}

impl Ports {
    pub fn of(rules: &[PortRule]) -> Ports {
        if rules.is_empty() {
            return Ports(None);
        }
        let mut items = Vec::new();
        for rule in rules {
            for p in &rule.ports {
                items.push(match &p.port {
                    PortNumber::Named(name) => PortItem::Named(p.protocol, name.clone()),
                    PortNumber::Number(0) if !matches!(p.protocol, Proto::Icmp | Proto::Icmpv6) => {
                        PortItem::Range(p.protocol, 0, u16::MAX)
                    }
                    PortNumber::Number(n) => {
                        PortItem::Range(p.protocol, *n, p.end_port.filter(|e| *e > *n).unwrap_or(*n))
                    }
                });
            }
        }
        Ports(Some(items))
    }

    pub fn within(&self, other: &Ports) -> bool {
        let Some(theirs) = &other.0 else { return true };
        let Some(mine) = &self.0 else { return false };
        mine.iter().all(|item| match item {
            PortItem::Named(proto, name) => theirs.iter().any(|t| match t {
                PortItem::Named(p, n) => n == name && p.covers(*proto),
                PortItem::Range(p, 0, u16::MAX) => p.covers(*proto),
                PortItem::Range(..) => false,
            }),
            PortItem::Range(proto, lo, hi) => {
                // The union of their ranges for this protocol must cover [lo, hi].
                let mut ranges: Vec<(u16, u16)> = theirs
                    .iter()
                    .filter_map(|t| match t {
                        PortItem::Range(p, a, b) if p.covers(*proto) => Some((*a, *b)),
                        _ => None,
                    })
                    .collect();
                crate::sort::sort_unstable(&mut ranges);
                let mut next = u32::from(*lo);
                for (a, b) in ranges {
                    if u32::from(a) > next {
                        break;
                    }
                    next = next.max(u32::from(b) + 1);
                }
                next > u32::from(*hi)
            }
        })
    }

    pub fn meets(&self, other: &Ports) -> bool {
        let (Some(a), Some(b)) = (&self.0, &other.0) else {
            return true;
        };
        a.iter().any(|x| {
            b.iter().any(|y| match (x, y) {
                (PortItem::Range(p, a1, b1), PortItem::Range(q, a2, b2)) => overlaps(*p, *q) && a1 <= b2 && a2 <= b1,
                (PortItem::Named(p, n), PortItem::Named(q, m)) => overlaps(*p, *q) && n == m,
                (PortItem::Named(p, _), PortItem::Range(q, 0, u16::MAX))
                | (PortItem::Range(q, 0, u16::MAX), PortItem::Named(p, _)) => overlaps(*p, *q),
                _ => false,
            })
        })
    }
}

/// An entry as sets: its subject, peers and ports.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Shape {
    pub host: bool,
    pub subject: Region,
    pub peers: Vec<(Peer, Option<Region>)>,
    pub ports: Ports,
}

impl Shape {
    /// `None` for entries that match no flow (default-deny entries, `peers=nothing`).
    pub fn of(entry: &PolicyEntry) -> Option<Shape> {
        let L3::Peers(peers) = &entry.l3 else { return None };
        if peers.is_empty() {
            return None;
        }
        let (host, subject) = match &entry.subject {
            Subject::Endpoints(s) => (false, Region::of(s)),
            Subject::Host(s) => (true, Region::of(s)),
        };
        Some(Shape {
            host,
            subject,
            peers: peers
                .iter()
                .map(|p| {
                    let region = match p {
                        Peer::Selector(s) => Some(Region::of(s)),
                        _ => None,
                    };
                    (p.clone(), region)
                })
                .collect(),
            ports: Ports::of(&entry.l4),
        })
    }

    /// Every flow of `self` is a flow of `other`.
    pub fn within(&self, other: &Shape, profile: &Profile) -> bool {
        self.host == other.host
            && self.subject.within(&other.subject)
            && self.ports.within(&other.ports)
            && self
                .peers
                .iter()
                .all(|p| other.peers.iter().any(|q| peer_within(p, q, profile)))
    }

    /// Some flow is a flow of both.
    pub fn meets(&self, other: &Shape, profile: &Profile) -> bool {
        self.host == other.host
            && self.subject.meets(&other.subject)
            && self.ports.meets(&other.ports)
            && self
                .peers
                .iter()
                .any(|p| other.peers.iter().any(|q| peers_meet(p, q, profile)))
    }

    /// Peers and ports of `self` within those of `other` (subjects aside).
    pub fn traffic_within(&self, other: &Shape, profile: &Profile) -> bool {
        self.ports.within(&other.ports)
            && self
                .peers
                .iter()
                .all(|p| other.peers.iter().any(|q| peer_within(p, q, profile)))
    }
}

type PeerSet = (Peer, Option<Region>);

fn everything(p: &PeerSet) -> bool {
    match p {
        (Peer::Entity(Entity::All), _) => true,
        (Peer::Selector(_), Some(r)) => r.is_everything(),
        _ => false,
    }
}

fn net_within(a: &IpNet, b: &IpNet) -> bool {
    b.contains(&a.network()) && b.prefix_len() <= a.prefix_len()
}

fn nets_overlap(a: &IpNet, b: &IpNet) -> bool {
    net_within(a, b) || net_within(b, a)
}

/// CIDR rules match only addresses outside the cluster (§3.6).
fn cidrs_are_world(profile: &Profile) -> bool {
    profile.is_cilium() && !profile.cidr_match_nodes && !profile.cidr_match_pods
}

/// `p` ⊆ `q` for every cluster.
fn peer_within(p: &PeerSet, q: &PeerSet, profile: &Profile) -> bool {
    if everything(q) {
        return true;
    }
    match (p, q) {
        ((Peer::Selector(_), Some(a)), (Peer::Selector(_), Some(b))) => a.within(b),
        ((Peer::Cidr { cidr: c1, except: e1 }, _), (Peer::Cidr { cidr: c2, except: e2 }, _)) => {
            net_within(c1, c2)
                && e2
                    .iter()
                    .all(|x| !nets_overlap(x, c1) || e1.iter().any(|e| net_within(x, e)))
        }
        ((Peer::Cidr { .. }, _), (Peer::Entity(Entity::World), _)) => cidrs_are_world(profile),
        ((Peer::Entity(a), _), (Peer::Entity(b), _)) => {
            a == b || (*b == Entity::Cluster && matches!(a, Entity::Host | Entity::RemoteNode))
        }
        ((Peer::Fqdn(a), _), (Peer::Fqdn(b), _)) => {
            a == b
                || match (a, b) {
                    (crate::ir::FqdnMatch::Name(n), pattern) => pattern.matches(n),
                    _ => false,
                }
        }
        (
            (
                Peer::Nodes {
                    selector: a,
                    include_local: la,
                },
                _,
            ),
            (
                Peer::Nodes {
                    selector: b,
                    include_local: lb,
                },
                _,
            ),
        ) => (*lb || !*la) && Region::of(a).within(&Region::of(b)),
        _ => false,
    }
}

/// `p` ∩ `q` is non-empty for every cluster that has what they name.
fn peers_meet(p: &PeerSet, q: &PeerSet, profile: &Profile) -> bool {
    if everything(p) || everything(q) {
        return true;
    }
    let pod_selector = |r: &Option<Region>| r.as_ref().is_some_and(|r| !r.reserved());
    match (p, q) {
        ((Peer::Selector(_), Some(a)), (Peer::Selector(_), Some(b))) => a.meets(b),
        ((Peer::Cidr { cidr: c1, except: e1 }, _), (Peer::Cidr { cidr: c2, except: e2 }, _)) => {
            if !nets_overlap(c1, c2) {
                return false;
            }
            let common = if net_within(c1, c2) { c1 } else { c2 };
            !e1.iter().chain(e2).any(|e| net_within(common, e))
        }
        ((Peer::Cidr { .. }, _), (Peer::Entity(Entity::World), _))
        | ((Peer::Entity(Entity::World), _), (Peer::Cidr { .. }, _)) => cidrs_are_world(profile),
        ((Peer::Entity(Entity::Cluster), _), (Peer::Selector(_), r))
        | ((Peer::Selector(_), r), (Peer::Entity(Entity::Cluster), _)) => pod_selector(r),
        ((Peer::Entity(a), _), (Peer::Entity(b), _)) => {
            a == b
                || matches!(
                    (a, b),
                    (Entity::Cluster, Entity::Host | Entity::RemoteNode)
                        | (Entity::Host | Entity::RemoteNode, Entity::Cluster)
                )
        }
        ((Peer::Fqdn(a), _), (Peer::Fqdn(b), _)) => {
            a == b
                || match (a, b) {
                    (crate::ir::FqdnMatch::Name(n), other) | (other, crate::ir::FqdnMatch::Name(n)) => other.matches(n),
                    _ => false,
                }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(labels: &[(&str, &str)], exprs: &[(&str, Op, &[&str])]) -> Region {
        let mut s = Selector::default();
        for (k, v) in labels {
            s.add_label(SelectorKey::new(Source::K8s, *k), *v);
        }
        for (k, op, vs) in exprs {
            s.add_expression(
                SelectorKey::new(Source::Any, *k),
                *op,
                vs.iter().map(|v| v.to_string()).collect(),
            );
        }
        Region::of(&s)
    }

    #[test]
    fn the_namespace_key_is_normalised_as_key_name_does() {
        assert_eq!(NAMESPACE_KEY, key_name(&SelectorKey::new(Source::Any, NAMESPACE)));
    }

    #[test]
    fn regions_follow_label_selector_semantics() {
        let web = sel(&[("app", "web")], &[]);
        let web_prod = sel(&[("app", "web"), ("env", "prod")], &[]);
        let not_web = sel(&[], &[("app", Op::NotIn, &["web"])]);
        let web_or_api = sel(&[], &[("app", Op::In, &["web", "api"])]);
        let has_app = sel(&[], &[("app", Op::Exists, &[])]);
        let everything = sel(&[], &[]);
        assert!(web_prod.within(&web));
        assert!(!web.within(&web_prod));
        assert!(web.within(&web_or_api) && web.within(&has_app) && web.within(&everything));
        assert!(!web.meets(&not_web), "app=web and app NotIn [web] never meet");
        assert!(not_web.meets(&everything));
        assert!(!has_app.within(&web_or_api));
        assert!(
            sel(&[], &[("app", Op::DoesNotExist, &[])]).within(&not_web),
            "NotIn admits absence"
        );
        assert!(sel(&[("app", "a")], &[("app", Op::In, &["b"])]).is_empty());
        // `any:` is a pod's k8s label.
        assert!(sel(&[], &[("app", Op::In, &["web"])]).within(&web));
    }

    #[test]
    fn port_sets_cover_ranges_by_their_union() {
        use crate::ir::PortProto;
        let rule = |ports: &[(u16, Option<u16>, Proto)]| {
            vec![PortRule {
                ports: ports
                    .iter()
                    .map(|(p, e, proto)| PortProto {
                        port: PortNumber::Number(*p),
                        end_port: *e,
                        protocol: *proto,
                    })
                    .collect(),
                l7: None,
            }]
        };
        let wide = Ports::of(&rule(&[(80, Some(90), Proto::Tcp), (91, Some(100), Proto::Tcp)]));
        assert!(Ports::of(&rule(&[(85, Some(95), Proto::Tcp)])).within(&wide));
        assert!(!Ports::of(&rule(&[(85, Some(101), Proto::Tcp)])).within(&wide));
        assert!(!Ports::of(&rule(&[(85, None, Proto::Udp)])).within(&wide));
        assert!(Ports::of(&rule(&[(85, None, Proto::Tcp)])).within(&Ports::of(&rule(&[(0, None, Proto::Any)]))));
        assert!(wide.within(&Ports::of(&[])));
        assert!(!Ports::of(&[]).within(&wide));
        assert!(wide.meets(&Ports::of(&rule(&[(100, None, Proto::Any)]))));
        assert!(!wide.meets(&Ports::of(&rule(&[(101, None, Proto::Tcp)]))));
    }
}
