//! Findings about two entries at once (cilium-semantics §3.2–§3.5): a rule
//! decided first by another with the other verdict, an allow that adds
//! nothing, an L4 allow that neutralises an L7 rule, a clusterwide allow
//! read as an override, ClusterNetworkPolicy rules at one priority, Pass
//! chains and Baseline rules no flow reaches.
//!
//! Pairs come from an index by direction and subject namespace, so an
//! entry is only compared with those that can select the same pods.

use std::collections::BTreeMap;

use super::space::{namespace_of, Shape};
use super::{rule_name, Finder};
use crate::diagnostic::Code;
use crate::ir::{PolicyEntry, Tier, Verdict};
use crate::model::{Direction, Kind};

/// Which entry the flows both match go to first (§3.2, §3.8).
fn decides_first(x: &PolicyEntry, y: &PolicyEntry) -> bool {
    (x.tier, x.priority) < (y.tier, y.priority)
        || (x.tier == y.tier && x.priority == y.priority && rank(x.verdict) > rank(y.verdict))
}

/// At one level: deny over allow over pass.
fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::Deny => 2,
        Verdict::Allow => 1,
        Verdict::Pass => 0,
    }
}

fn has_l7(e: &PolicyEntry) -> bool {
    e.l4.iter().any(|r| r.l7.is_some())
}

type Group = (Direction, bool, Option<String>);

pub(super) fn run<'e>(f: &mut Finder<'e>) {
    let analysis = f.analysis;
    let entries = &analysis.lowered.entries;
    let shapes: Vec<Option<Shape>> = entries.iter().map(Shape::of).collect();
    let mut groups: BTreeMap<Group, Vec<usize>> = BTreeMap::new();
    for (i, shape) in shapes.iter().enumerate() {
        if let Some(s) = shape {
            let ns = namespace_of(&s.subject).map(str::to_owned);
            groups.entry((entries[i].direction, s.host, ns)).or_default().push(i);
        }
    }
    let mut seen = Seen::default();
    for ((direction, host, ns), members) in &groups {
        // Candidates: the same namespace, and entries pinned to none; an
        // entry pinned to none meets every namespace.
        let mut candidates: Vec<usize> = Vec::new();
        for ((d, h, n), others) in &groups {
            if d == direction && h == host && (n == ns || n.is_none() || ns.is_none()) {
                candidates.extend(others);
            }
        }
        let index = SubjectIndex::new(&candidates, &shapes);
        for &y in members {
            let Some(ys) = &shapes[y] else { continue };
            for &x in index.candidates(ys, &candidates) {
                if x == y {
                    continue;
                }
                let Some(xs) = &shapes[x] else { continue };
                pair(f, &mut seen, (x, xs), (y, ys));
            }
        }
    }
    seen.finish(f);
}

/// Entries by the subject labels they pin (`app=web`): two subjects that
/// pin one key to different values never select the same pod, and every
/// finding needs its two subjects to meet. For an entry, the candidates
/// are those pinning one of its keys to its value, or not pinning that key
/// at all — through the key that leaves the fewest.
struct SubjectIndex<'s> {
    pinned: BTreeMap<&'s str, BTreeMap<&'s str, Vec<usize>>>,
    free: BTreeMap<&'s str, Vec<usize>>,
}

impl<'s> SubjectIndex<'s> {
    fn new(candidates: &[usize], shapes: &'s [Option<Shape>]) -> SubjectIndex<'s> {
        let mut pinned: BTreeMap<&str, BTreeMap<&str, Vec<usize>>> = BTreeMap::new();
        for &i in candidates {
            if let Some(s) = &shapes[i] {
                for (k, v) in s.subject.pins() {
                    pinned.entry(k).or_default().entry(v).or_default().push(i);
                }
            }
        }
        let free = pinned
            .keys()
            .map(|&k| {
                let without: Vec<usize> = candidates
                    .iter()
                    .copied()
                    .filter(|&i| shapes[i].as_ref().is_some_and(|s| s.subject.pinned(k).is_none()))
                    .collect();
                (k, without)
            })
            .collect();
        SubjectIndex { pinned, free }
    }

    /// The candidates `shape` can meet, in candidate order.
    fn candidates<'c>(&'c self, shape: &Shape, all: &'c [usize]) -> Box<dyn Iterator<Item = &'c usize> + 'c> {
        let best = shape
            .subject
            .pins()
            .filter_map(|(k, v)| {
                let same = self.pinned.get(k)?.get(v).map_or(&[][..], Vec::as_slice);
                let free = self.free.get(k).map_or(&[][..], Vec::as_slice);
                Some((same.len() + free.len(), same, free))
            })
            .min_by_key(|(n, _, _)| *n);
        match best {
            Some((_, same, free)) => Box::new(same.iter().chain(free)),
            None => Box::new(all.iter()),
        }
    }
}

/// One finding per rule and code: the first other rule found is named, the
/// others are counted (a clusterwide deny can shadow hundreds of allows, and
/// each of them needs one finding, not one per pair).
#[derive(Default)]
struct Seen<'e> {
    found: BTreeMap<(usize, &'e str, Code), (usize, usize)>,
}

impl<'e> Seen<'e> {
    /// Whether to make the finding about `at`; counts it otherwise.
    fn first(&mut self, f: &Finder<'_>, at: &'e PolicyEntry, code: Code) -> bool {
        let key = (at.origin.policy, at.origin.path.as_str(), code);
        match self.found.get_mut(&key) {
            Some((_, more)) => {
                *more += 1;
                false
            }
            None => {
                self.found.insert(key, (f.out.len(), 0));
                true
            }
        }
    }

    /// Adds "and N more" to the findings that stood for several pairs.
    fn finish(self, f: &mut Finder<'_>) {
        for (index, more) in self.found.into_values() {
            if more > 0 {
                let d = &mut f.out[index];
                d.message.push_str(&format!(
                    " (and {more} other rule{} likewise)",
                    if more == 1 { "" } else { "s" }
                ));
            }
        }
    }
}

/// Everything `x` can tell about `y`.
fn pair<'e>(f: &mut Finder<'e>, seen: &mut Seen<'e>, x: (usize, &Shape), y: (usize, &Shape)) {
    let profile = &f.analysis.profile;
    let analysis = f.analysis;
    let (xe, ye) = (&analysis.lowered.entries[x.0], &analysis.lowered.entries[y.0]);
    if xe.origin.policy == ye.origin.policy && xe.origin.path == ye.origin.path {
        return; // peers of one rule
    }
    let (xk, yk) = (f.kind(xe), f.kind(ye));
    let covers = || y.1.within(x.1, profile);
    let meets = || y.1.meets(x.1, profile);
    let mut emit = |f: &mut Finder<'e>, code: Code, message: String, hint: String| {
        if seen.first(f, ye, code) {
            f.pair_finding(code, y.0, x.0, message, hint);
        }
    };
    // ClusterNetworkPolicy rules of two policies at the same spec priority.
    if xk == Some(Kind::ClusterNetworkPolicy)
        && yk == Some(Kind::ClusterNetworkPolicy)
        && xe.origin.policy != ye.origin.policy
        && xe.tier == ye.tier
        && xe.priority.floor() == ye.priority.floor()
        && xe.verdict != ye.verdict
        && x.0 < y.0
        && meets()
    {
        let (yn, xn) = (rule_name(f, ye), rule_name(f, xe));
        emit(
            f,
            Code::SamePriorityOverlap,
            format!(
                "{yn} and {xn} have the same priority {} in the {} tier and overlap with different actions: the Kubernetes API leaves their order undefined (Cilium lets the deny win)",
                ye.priority.floor(),
                ye.tier.as_str()
            ),
            "give the two ClusterNetworkPolicies different priorities".to_owned(),
        );
        return;
    }
    if decides_first(xe, ye) && xe.verdict != ye.verdict && xe.verdict != Verdict::Pass {
        // Named only when a finding is made: most candidate pairs make none.
        let names = |f: &Finder<'_>| (rule_name(f, ye), rule_name(f, xe));
        if ye.tier == Tier::Baseline && xe.tier < Tier::Baseline {
            if covers() {
                let (yn, xn) = names(f);
                emit(
                    f,
                    Code::BaselineUnreached,
                    format!(
                        "Baseline rule {yn} is never reached: {xn} ({} tier) decides every flow it matches first",
                        xe.tier.as_str()
                    ),
                    "Baseline rules only see flows no Admin rule and no namespace policy decided; remove it or narrow the rule above".to_owned(),
                );
            }
            return;
        }
        if xe.tier == Tier::Admin && ye.tier == Tier::Normal && xe.verdict == Verdict::Deny {
            if meets() {
                let how = if covers() { "every flow" } else { "some flows" };
                let (yn, xn) = names(f);
                emit(
                    f,
                    Code::AdminDenyOverrides,
                    format!(
                        "Admin-tier deny {xn} overrides {yn} on {how} it allows: Admin rules come before every NetworkPolicy, CiliumNetworkPolicy and clusterwide policy (§3.5)"
                    ),
                    "if those flows should pass, add a Pass or Accept rule above the deny in the ClusterNetworkPolicy".to_owned(),
                );
            }
            return;
        }
        if ye.verdict == Verdict::Pass {
            return;
        }
        let ykind = ye.verdict.as_str();
        let xkind = xe.verdict.as_str();
        if covers() {
            let (yn, xn) = names(f);
            emit(
                f,
                Code::ShadowedRule,
                format!("{ykind} rule {yn} never takes effect: {xkind} rule {xn} decides every flow it matches first"),
                match xe.verdict {
                    Verdict::Deny => "a deny wins over every allow, whichever policy it comes from (§3.2): narrow the deny (`except`, ports, selectors) or remove the allow".to_owned(),
                    _ => "the other rule is in an earlier tier or priority: change the ClusterNetworkPolicy's priority or remove this rule".to_owned(),
                },
            );
        } else if meets() {
            let (yn, xn) = names(f);
            emit(
                f,
                Code::PartlyShadowedRule,
                format!(
                    "{xkind} rule {xn} overrides part of {ykind} rule {yn}: flows both match are {}",
                    if xe.verdict == Verdict::Deny {
                        "denied"
                    } else {
                        "allowed"
                    }
                ),
                "deny rules win regardless of the kind of policy (§3.4); if the overlap is meant, nothing to do"
                    .to_owned(),
            );
        }
        return;
    }
    let same_level = xe.tier == ye.tier && xe.priority == ye.priority;
    if same_level && xe.verdict == Verdict::Allow && ye.verdict == Verdict::Allow {
        let names = |f: &Finder<'_>| (rule_name(f, ye), rule_name(f, xe));
        // An L4-only allow merged with an L7 allow appends an allow-all to the L7 set (§3.3).
        if has_l7(ye) && !has_l7(xe) && meets() {
            let how = if covers() {
                "entirely"
            } else {
                "for the flows both match"
            };
            let (yn, xn) = names(f);
            emit(
                f,
                Code::L7Neutralised,
                format!("the L7 rules of {yn} have no effect {how}: {xn} allows the same port at L4 without L7 rules, and Cilium then allows every request (§3.3)"),
                "add the same L7 rules to the L4-only allow, or narrow its peers or ports so they do not overlap".to_owned(),
            );
            return;
        }
        if !has_l7(ye) && !has_l7(xe) && (xe.default_deny || !ye.default_deny) && covers() {
            // Two identical allows: report the later one only.
            if x.1.within(y.1, profile) && x.0 > y.0 {
                return;
            }
            let (yn, xn) = names(f);
            emit(
                f,
                Code::RedundantAllow,
                format!("allow rule {yn} adds nothing: {xn} already allows every flow it matches"),
                "remove it, or keep it on purpose if the two policies are owned by different teams".to_owned(),
            );
            return;
        }
        // "A CCNP overrides a CNP": it does not; allows are a union (§3.4).
        if xk == Some(Kind::CiliumClusterwideNetworkPolicy)
            && matches!(yk, Some(Kind::NetworkPolicy | Kind::CiliumNetworkPolicy))
            && x.1.traffic_within(y.1, profile)
            && !y.1.traffic_within(x.1, profile)
            && x.1.subject.meets(&y.1.subject)
            && seen.first(f, xe, Code::ClusterwideNotOverride)
        {
            let (yn, xn) = names(f);
            f.pair_finding(
                Code::ClusterwideNotOverride,
                x.0,
                y.0,
                format!(
                    "clusterwide allow {xn} is narrower than {yn} on the same pods, but does not restrict it: allows are a union at one level, so the flows {yn} allows beyond it stay allowed (§3.4)"
                ),
                "to block those flows cluster-wide, write them as an ingressDeny/egressDeny rule; a clusterwide allow never overrides a namespaced one".to_owned(),
            );
        }
    }
}
