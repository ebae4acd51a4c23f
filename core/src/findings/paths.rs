//! Findings the engine decides flow by flow: paths allowed at one end and
//! dropped at the other (§3.7: policy applies at both ends), and egress
//! isolation that blocks DNS to kube-dns.

use std::collections::{BTreeMap, HashMap};

use super::Finder;
use crate::cluster::{Endpoint, EndpointKind, NAMESPACE, NAMESPACE_LABELS};
use crate::diagnostic::Code;
use crate::engine::{Engine, Flow, Reason};
use crate::ir::{Label, Labels, Op, PortNumber, PortRule, Proto, Selector, Source, Subject, Tier, Verdict, L3};
use crate::model::Direction;
use crate::profile::Profile;

/// At most this many (source, destination) pairs are decided per rule for
/// half-open paths, so that large inputs stay near-linear.
const PAIRS_PER_RULE: usize = 4096;

pub(super) fn run(f: &mut Finder<'_>) {
    let engine = f.analysis.engine();
    let mut selecting = Selecting::new(&engine);
    dns(f, &engine, &mut selecting);
    half_open(f, &engine, &mut selecting);
}

/// The entries selecting an endpoint, memoised, and looked for among those
/// of its namespace and those pinned to none: every policy of a namespace
/// pins it, and scanning all entries for each pod made this quadratic.
struct Selecting<'e> {
    /// Entries by direction and the namespace their subject requires (`None`: none).
    by_namespace: BTreeMap<(Direction, Option<&'e str>), Vec<usize>>,
    /// Each entry's subject, numbered: entries with one subject select the same endpoints.
    subjects: Vec<u32>,
    /// Each entry's say in a verdict, numbered: entries differing only in
    /// subject and origin allow or deny the same flows.
    decisions: Vec<u32>,
    /// Per subject and per decision: the look-up that last saw it (and the subject's answer).
    subject_seen: Vec<(u32, bool)>,
    decision_seen: Vec<u32>,
    lookup: u32,
    /// By endpoint, direction and whether one entry per decision is enough.
    memo: BTreeMap<(usize, Direction, bool), Vec<usize>>,
}

/// What [`Engine::decide_with`] reads of an entry, besides its subject.
#[derive(PartialEq, Eq, Hash)]
struct DecisionKey<'e> {
    verdict: Verdict,
    l3: &'e L3,
    l4: &'e [PortRule],
    default_deny: bool,
    tier: Tier,
    priority: u64,
}

impl<'e> Selecting<'e> {
    fn new(engine: &Engine<'e>) -> Selecting<'e> {
        let mut by_namespace: BTreeMap<(Direction, Option<&str>), Vec<usize>> = BTreeMap::new();
        let mut subject_ids: HashMap<&Subject, u32> = HashMap::new();
        let mut decision_ids: HashMap<DecisionKey<'_>, u32> = HashMap::new();
        let (mut subjects, mut decisions) = (Vec::new(), Vec::new());
        for (i, e) in engine.lowered.entries.iter().enumerate() {
            let namespace = match &e.subject {
                Subject::Endpoints(s) => s
                    .match_labels
                    .iter()
                    .find(|(k, _)| k.source == Source::K8s && k.key == NAMESPACE)
                    .map(|(_, v)| v.as_str()),
                Subject::Host(_) => None,
            };
            by_namespace.entry((e.direction, namespace)).or_default().push(i);
            let next = subject_ids.len() as u32;
            subjects.push(*subject_ids.entry(&e.subject).or_insert(next));
            let key = DecisionKey {
                verdict: e.verdict,
                l3: &e.l3,
                l4: &e.l4,
                default_deny: e.default_deny,
                tier: e.tier,
                priority: e.priority.to_bits(),
            };
            let next = decision_ids.len() as u32;
            decisions.push(*decision_ids.entry(key).or_insert(next));
        }
        Selecting {
            by_namespace,
            subject_seen: vec![(u32::MAX, false); subject_ids.len()],
            decision_seen: vec![u32::MAX; decision_ids.len()],
            subjects,
            decisions,
            lookup: 0,
            memo: BTreeMap::new(),
        }
    }

    /// The entries selecting endpoint `i` of the cluster, ascending, as
    /// [`Engine::selecting`] finds them; `distinct`: only the first of
    /// those deciding alike, which changes whether a flow is allowed in no
    /// way (only which entries the verdict names).
    fn at(&mut self, engine: &Engine<'_>, i: usize, at: &Endpoint, direction: Direction, distinct: bool) -> &[usize] {
        if !self.memo.contains_key(&(i, direction, distinct)) {
            let list = self.find(engine, at, direction, distinct);
            self.memo.insert((i, direction, distinct), list);
        }
        &self.memo[&(i, direction, distinct)]
    }

    fn find(&mut self, engine: &Engine<'_>, at: &Endpoint, direction: Direction, distinct: bool) -> Vec<usize> {
        let list = |ns| self.by_namespace.get(&(direction, ns)).map_or(&[][..], Vec::as_slice);
        let pinned = match at.labels.get(Source::K8s, NAMESPACE) {
            Some(ns) => list(Some(ns)),
            None => &[],
        };
        let mut all: Vec<usize> = pinned.iter().chain(list(None)).copied().collect();
        crate::sort::sort_unstable(&mut all);
        // Lookups are numbered, so the per-subject answers need no clearing.
        self.lookup += 1;
        let lookup = self.lookup;
        all.retain(|&e| {
            let (seen, selects) = &mut self.subject_seen[self.subjects[e] as usize];
            if *seen != lookup {
                *seen = lookup;
                *selects = engine.selects(&engine.lowered.entries[e], at);
            }
            *selects
                && (!distinct
                    || std::mem::replace(&mut self.decision_seen[self.decisions[e] as usize], lookup) != lookup)
        });
        all
    }
}

fn decide(
    engine: &Engine<'_>,
    selecting: &mut Selecting<'_>,
    (i, at): (usize, &Endpoint),
    direction: Direction,
    other: &Endpoint,
    flow: &Flow,
    distinct: bool,
) -> crate::engine::DirectionVerdict {
    if engine.not_enforced(at).is_some() {
        return engine.decide(at, direction, other, flow);
    }
    let selecting = selecting.at(engine, i, at, direction, distinct);
    let l3 = |e: usize| engine.l3_matches(&engine.lowered.entries[e].l3, at, other);
    engine.decide_with(at, direction, other, flow, selecting, &l3)
}

/// A pod with the labels a selector requires (the first value of `In`,
/// some value for `Exists`), in the namespace it pins or `default`.
pub(crate) fn representative(s: &Selector, profile: &Profile) -> Option<Endpoint> {
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    let key = |k: &crate::ir::SelectorKey| match k.source {
        Source::Any | Source::K8s => Some(k.key.clone()),
        _ => None,
    };
    for (k, v) in &s.match_labels {
        labels.insert(key(k)?, v.clone());
    }
    for (k, op, values) in &s.expressions {
        match op {
            Op::In => {
                labels.entry(key(k)?).or_insert(values.first()?.clone());
            }
            Op::Exists => {
                labels.entry(key(k)?).or_insert_with(|| "x".to_owned());
            }
            Op::NotIn | Op::DoesNotExist => {}
        }
    }
    let namespace = labels.remove(NAMESPACE).unwrap_or_else(|| "default".to_owned());
    let mut identity = vec![
        Label::new(Source::K8s, NAMESPACE, namespace.clone()),
        Label::new(
            Source::K8s,
            format!("{NAMESPACE_LABELS}kubernetes.io/metadata.name"),
            namespace.clone(),
        ),
    ];
    for (k, v) in &labels {
        identity.push(Label::new(Source::K8s, k.clone(), v.clone()));
    }
    for (k, v) in [
        ("io.cilium.k8s.policy.cluster", profile.cluster_name.clone()),
        ("io.cilium.k8s.policy.serviceaccount", "default".to_owned()),
    ] {
        if !labels.contains_key(k) {
            identity.push(Label::new(Source::K8s, k, v));
        }
    }
    let labels = Labels::new(identity);
    if !s.matches(&labels) {
        return None;
    }
    let mut pod = Endpoint::external(None, None);
    pod.name = format!("{namespace}/<pod selected by {s}>");
    pod.kind = EndpointKind::Pod;
    pod.namespace = Some(namespace);
    pod.labels = labels;
    Some(pod)
}

/// kube-dns from the input's workloads, or as AKS and kubeadm deploy it.
fn kube_dns(f: &Finder<'_>) -> Endpoint {
    let mut dns = Selector::wildcard();
    dns.add_label(crate::ir::SelectorKey::new(Source::K8s, "k8s-app"), "kube-dns");
    if let Some(e) = f
        .analysis
        .cluster
        .endpoints
        .iter()
        .find(|e| e.is_pod() && dns.matches(&e.labels))
    {
        return e.clone();
    }
    dns.add_label(crate::ir::SelectorKey::new(Source::K8s, NAMESPACE), "kube-system");
    let mut pod = representative(&dns, &f.analysis.profile).unwrap_or_else(|| Endpoint::external(None, None));
    pod.name = "kube-system/kube-dns".to_owned();
    pod.ports = vec![
        crate::cluster::ContainerPort {
            name: Some("dns".to_owned()),
            port: 53,
            protocol: Proto::Udp,
        },
        crate::cluster::ContainerPort {
            name: Some("dns-tcp".to_owned()),
            port: 53,
            protocol: Proto::Tcp,
        },
    ];
    pod
}

/// Egress default deny that drops DNS to kube-dns (UDP and TCP 53).
fn dns(f: &mut Finder<'_>, engine: &Engine<'_>, selecting: &mut Selecting<'_>) {
    let dns = kube_dns(f);
    let pods: Vec<(usize, &Endpoint)> = f
        .analysis
        .cluster
        .endpoints
        .iter()
        .enumerate()
        .filter(|(_, e)| e.is_pod())
        .collect();
    // Synthetic pods get indices past the cluster's.
    let mut synthetic: BTreeMap<String, (usize, Option<Endpoint>)> = BTreeMap::new();
    let mut verdicts: BTreeMap<usize, Vec<Proto>> = BTreeMap::new();
    let entries = &f.analysis.lowered.entries;
    let mut reported = std::collections::BTreeSet::new();
    let mut first_selected: HashMap<&Selector, Vec<(usize, &Endpoint)>> = HashMap::new();
    for e in entries {
        if e.direction != Direction::Egress || !e.default_deny || reported.contains(&e.origin.policy) {
            continue;
        }
        let Subject::Endpoints(s) = &e.subject else { continue };
        let candidates: Vec<(usize, Endpoint)> = if !pods.is_empty() {
            // Policies repeat their selectors: each is matched against the pods once.
            let selected = first_selected.entry(s).or_insert_with(|| {
                pods.iter()
                    .copied()
                    .filter(|(_, p)| s.matches(&p.labels))
                    .take(3)
                    .collect()
            });
            selected.iter().map(|(i, p)| (*i, (*p).clone())).collect()
        } else {
            let next = f.analysis.cluster.endpoints.len() + synthetic.len();
            let (i, pod) = synthetic
                .entry(s.to_string())
                .or_insert_with(|| (next, representative(s, &f.analysis.profile)))
                .clone();
            pod.into_iter().map(|p| (i, p)).collect()
        };
        for (i, pod) in candidates {
            let blocked = verdicts.entry(i).or_insert_with(|| {
                [Proto::Udp, Proto::Tcp]
                    .into_iter()
                    .filter(|proto| {
                        let flow = Flow {
                            protocol: *proto,
                            port: 53,
                        };
                        !decide(engine, selecting, (i, &pod), Direction::Egress, &dns, &flow, true).allowed
                    })
                    .collect()
            });
            if blocked.is_empty() {
                continue;
            }
            let what: Vec<&str> = blocked.iter().map(|p| p.as_str()).collect();
            reported.insert(e.origin.policy);
            let info = f.policy(e);
            f.at_policy(
                Code::DnsBlocked,
                info,
                e.origin.span,
                &e.origin.path,
                format!(
                    "egress isolation blocks DNS: {} cannot reach kube-dns ({}) on {} port 53, so name lookups fail",
                    pod.name,
                    dns.name,
                    what.join(" and ")
                ),
                "allow egress to kube-dns: `to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]` on port 53 UDP and TCP".to_owned(),
            );
            break;
        }
    }
}

/// Given workloads: an allow at one end of a path that the other end drops.
fn half_open(f: &mut Finder<'_>, engine: &Engine<'_>, selecting: &mut Selecting<'_>) {
    let endpoints = &f.analysis.cluster.endpoints;
    let pods: Vec<(usize, &Endpoint)> = endpoints.iter().enumerate().filter(|(_, e)| e.is_pod()).collect();
    if pods.len() < 2 {
        return;
    }
    let entries = &f.analysis.lowered.entries;
    // By (subject pod, direction, other pod, protocol, port); indices as u32 keep it small.
    let mut answers: HashMap<(u32, Direction, u32, Proto, u16), bool> = HashMap::new();
    let mut selected: HashMap<&Selector, Vec<(usize, &Endpoint)>> = HashMap::new();
    let mut peers_of: HashMap<&L3, Vec<(usize, &Endpoint)>> = HashMap::new();
    for (y, e) in entries.iter().enumerate() {
        if e.verdict != Verdict::Allow || !matches!(e.l3, L3::Peers(_)) {
            continue;
        }
        let Subject::Endpoints(s) = &e.subject else { continue };
        // One flow per port the rule names; rules on every port say nothing about one.
        let flows: Vec<Flow> =
            e.l4.iter()
                .flat_map(|r| &r.ports)
                .filter_map(|p| match (&p.port, p.protocol) {
                    (PortNumber::Number(n), proto @ (Proto::Tcp | Proto::Udp | Proto::Sctp)) if *n > 0 => Some(Flow {
                        protocol: proto,
                        port: *n,
                    }),
                    _ => None,
                })
                .collect();
        if flows.is_empty() {
            continue;
        }
        // Policies repeat their selectors and peers: each is matched against the pods once.
        let subjects = selected
            .entry(s)
            .or_insert_with(|| pods.iter().copied().filter(|(_, p)| s.matches(&p.labels)).collect());
        let Some(&(_, first)) = subjects.first() else { continue };
        // Which pods are peers does not depend on the subject pod: only a
        // node-like peer (never one of `pods`) is seen differently from each node.
        let peers = peers_of.entry(&e.l3).or_insert_with(|| {
            pods.iter()
                .copied()
                .filter(|(_, other)| engine.l3_matches(&e.l3, first, other))
                .collect()
        });
        let mut found: Option<(String, String, crate::engine::DirectionVerdict)> = None;
        let mut count = 0usize;
        let mut pairs = 0usize;
        'outer: for &(i, at) in subjects.iter() {
            for &(j, other) in peers.iter() {
                if i == j {
                    continue;
                }
                pairs += 1;
                if pairs > PAIRS_PER_RULE {
                    break 'outer;
                }
                for flow in &flows {
                    let back = match e.direction {
                        Direction::Egress => Direction::Ingress,
                        Direction::Ingress => Direction::Egress,
                    };
                    // Rules selecting the same pods ask the same questions: answers are kept.
                    let mut allowed = |(i, at): (usize, &Endpoint), direction, (j, other): (usize, &Endpoint)| {
                        *answers
                            .entry((i as u32, direction, j as u32, flow.protocol, flow.port))
                            .or_insert_with(|| decide(engine, selecting, (i, at), direction, other, flow, true).allowed)
                    };
                    if !allowed((i, at), e.direction, (j, other)) || allowed((j, other), back, (i, at)) {
                        continue;
                    }
                    count += 1;
                    if found.is_none() {
                        let there = decide(engine, selecting, (j, other), back, at, flow, false);
                        found = Some((at.name.clone(), other.name.clone(), there));
                    }
                }
            }
        }
        let Some((here, there, verdict)) = found else { continue };
        let why = match &verdict.reason {
            Reason::Decided { entries: by, .. } => by.first().copied(),
            Reason::DefaultDeny { selected_by } => selected_by.first().copied(),
            _ => None,
        };
        let (flow_text, end) = match e.direction {
            Direction::Egress => (format!("{here} → {there}"), "its ingress"),
            Direction::Ingress => (format!("{there} → {here}"), "its egress"),
        };
        let message = format!(
            "half-open path: {} allows {flow_text}, but {there} drops it at {end} ({} flow{} like this); traffic needs an allow at both ends",
            super::rule_name(f, e),
            count,
            if count == 1 { "" } else { "s" }
        );
        let hint = "add the matching allow at the other end, or remove this one if the path is not wanted".to_owned();
        match why {
            Some(o) => f.pair_finding(Code::HalfOpenPath, y, o, message, hint),
            None => {
                let info = f.policy(e);
                f.at_policy(Code::HalfOpenPath, info, e.origin.span, &e.origin.path, message, hint);
            }
        }
    }
}
