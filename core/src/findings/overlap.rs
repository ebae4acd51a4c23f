//! Findings about two entries at once (cilium-semantics §3.2–§3.5): a rule
//! decided first by another with the other verdict, an allow that adds
//! nothing, an L4 allow that neutralises an L7 rule, a clusterwide allow
//! read as an override, ClusterNetworkPolicy rules at one priority, Pass
//! chains and Baseline rules no flow reaches.
//!
//! Pairs come from an index by direction and subject namespace, so an
//! entry is only compared with those that can select the same pods. Entries
//! no test here tells apart (same sets, verdict, tier, priority, default
//! deny, L7 and kind) form a class, and an entry is judged against each
//! class once, the pairs it stands for counted: clusterwide policies that
//! select by namespace labels meet every namespaced rule, and comparing
//! them one by one made the analysis quadratic.

use std::collections::{BTreeMap, HashMap};

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

pub(super) fn run(f: &mut Finder<'_>) {
    let analysis = f.analysis;
    let entries = &analysis.lowered.entries;
    let shapes: Vec<Option<Shape>> = entries.iter().map(Shape::of).collect();
    let classes = classify(f, &shapes);
    let mut groups: BTreeMap<Group, Vec<usize>> = BTreeMap::new();
    let mut rules: HashMap<(usize, &str), Vec<usize>> = HashMap::new();
    let pins: Vec<Vec<(&str, &str)>> = shapes
        .iter()
        .map(|s| s.as_ref().map_or_else(Vec::new, |s| s.subject.pins().collect()))
        .collect();
    for (i, shape) in shapes.iter().enumerate() {
        if let Some(s) = shape {
            let ns = namespace_of(&s.subject).map(str::to_owned);
            groups.entry((entries[i].direction, s.host, ns)).or_default().push(i);
            let origin = &entries[i].origin;
            rules.entry((origin.policy, origin.path.as_str())).or_default().push(i);
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
        let index = SubjectIndex::new(candidates, &pins);
        let mut parts: Vec<Option<Vec<Part>>> = vec![None; index.lists.len()];
        let mut judged: HashMap<(u32, usize), Vec<(usize, Outcome)>> = HashMap::new();
        for &y in members {
            let Some(ys) = &shapes[y] else { continue };
            let ye = &entries[y];
            let own = &rules[&(ye.origin.policy, ye.origin.path.as_str())];
            let same_rule = |x: usize| {
                let xe = &entries[x];
                xe.origin.policy == ye.origin.policy && xe.origin.path == ye.origin.path
            };
            // Findings about `y` (code, position of the first other rule, it, pairs)
            // and about others (position, other, code).
            let mut at_y: Vec<(Code, (usize, u32), usize, usize)> = Vec::new();
            let mut at_x: Vec<((usize, u32), usize, Code)> = Vec::new();
            for (n, &list) in index.lists_for(&pins[y]).iter().enumerate() {
                if index.lists[list].is_empty() {
                    continue;
                }
                let parts = parts[list].get_or_insert_with(|| partition(&index.lists[list], &classes));
                let outcomes = judged
                    .entry((classes[y], list))
                    .or_insert_with(|| judge_list(f, (y, ys), parts, &shapes));
                for &(p, outcome) in outcomes.iter() {
                    let part = &parts[p];
                    // The rule's own entries are never compared with it.
                    let own_in = |below: usize| {
                        own.iter()
                            .filter(|&&o| {
                                o < below && classes[o] == part.class && part.sorted.binary_search(&o).is_ok()
                            })
                            .count()
                    };
                    let (code, before) = match outcome {
                        Outcome::AtY(code) => (code, usize::MAX),
                        Outcome::Redundant { unless_later: false } => (Code::RedundantAllow, usize::MAX),
                        // Two identical allows: only the later one is reported.
                        Outcome::Redundant { unless_later: true } => (Code::RedundantAllow, y),
                        Outcome::AtX(code) => {
                            for &(pos, x) in &part.members {
                                if !same_rule(x) {
                                    at_x.push(((n, pos), x, code));
                                }
                            }
                            continue;
                        }
                        Outcome::PerPair => {
                            for &(pos, x) in &part.members {
                                let Some(xs) = &shapes[x] else { continue };
                                match judge_pair(f, (x, xs), (y, ys)) {
                                    Some(Outcome::AtY(code)) => at_y.push((code, (n, pos), x, 1)),
                                    Some(Outcome::AtX(code)) => at_x.push(((n, pos), x, code)),
                                    _ => {}
                                }
                            }
                            continue;
                        }
                    };
                    let count = part.sorted.partition_point(|&x| x < before) - own_in(before);
                    let first = part.members.iter().find(|&&(_, x)| x < before && !same_rule(x));
                    if let Some(&(pos, x)) = first {
                        at_y.push((code, (n, pos), x, count));
                    }
                }
            }
            // Per code: the first other rule in judging order is named, every pair counted.
            crate::sort::sort_by_key(&mut at_y, |&(code, pos, _, _)| (code, pos));
            let mut i = 0;
            while i < at_y.len() {
                let (code, _, x, _) = at_y[i];
                let mut count = 0;
                while i < at_y.len() && at_y[i].0 == code {
                    count += at_y[i].3;
                    i += 1;
                }
                seen.record(f, code, (y, ys), (x, shapes[x].as_ref()), count);
            }
            crate::sort::sort_by_key(&mut at_x, |&(pos, _, _)| pos);
            for (_, x, code) in at_x {
                seen.record(f, code, (x, shapes[x].as_ref().unwrap_or(ys)), (y, Some(ys)), 1);
            }
        }
    }
    seen.finish(f);
}

/// What an entry learns from every entry of a class, whichever they are.
#[derive(Clone, Copy, Debug)]
enum Outcome {
    /// A finding about the entry.
    AtY(Code),
    /// The entry is a redundant allow; `unless_later`: the two allow the
    /// same flows, and only the later of them is reported.
    Redundant { unless_later: bool },
    /// A finding about the class's entry (a clusterwide allow read as an override).
    AtX(Code),
    /// Depends on which two policies they are (ClusterNetworkPolicy
    /// priorities): judged pair by pair.
    PerPair,
}

/// Everything the pair tests read of an entry besides which entry it is.
#[derive(PartialEq, Eq, Hash)]
struct ClassKey<'s> {
    shape: &'s Shape,
    tier: Tier,
    priority: u64,
    verdict: Verdict,
    default_deny: bool,
    l7: bool,
    kind: Option<Kind>,
}

/// Each entry's class (`u32::MAX` for entries matching no flow).
fn classify(f: &Finder<'_>, shapes: &[Option<Shape>]) -> Vec<u32> {
    let mut ids: HashMap<ClassKey<'_>, u32> = HashMap::new();
    let entries = &f.analysis.lowered.entries;
    entries
        .iter()
        .zip(shapes)
        .map(|(e, shape)| {
            let Some(shape) = shape else { return u32::MAX };
            let key = ClassKey {
                shape,
                tier: e.tier,
                priority: e.priority.to_bits(),
                verdict: e.verdict,
                default_deny: e.default_deny,
                l7: has_l7(e),
                kind: f.kind(e),
            };
            let next = ids.len() as u32;
            *ids.entry(key).or_insert(next)
        })
        .collect()
}

/// The entries of one class in a candidate list.
#[derive(Clone)]
struct Part {
    class: u32,
    /// (position in the list, entry), in list order.
    members: Vec<(u32, usize)>,
    /// The entries, ascending.
    sorted: Vec<usize>,
}

/// A list's entries by class, classes in the order of their first entry.
fn partition(list: &[usize], classes: &[u32]) -> Vec<Part> {
    let mut slot: HashMap<u32, usize> = HashMap::new();
    let mut parts: Vec<Part> = Vec::new();
    for (pos, &x) in list.iter().enumerate() {
        let p = *slot.entry(classes[x]).or_insert_with(|| {
            parts.push(Part {
                class: classes[x],
                members: Vec::new(),
                sorted: Vec::new(),
            });
            parts.len() - 1
        });
        parts[p].members.push((pos as u32, x));
    }
    for part in &mut parts {
        part.sorted = part.members.iter().map(|&(_, x)| x).collect();
        crate::sort::sort_unstable(&mut part.sorted);
    }
    parts
}

/// The classes of a list that tell `y` something, with what.
fn judge_list(f: &Finder<'_>, y: (usize, &Shape), parts: &[Part], shapes: &[Option<Shape>]) -> Vec<(usize, Outcome)> {
    parts
        .iter()
        .enumerate()
        .filter_map(|(p, part)| {
            let x = part.members[0].1;
            let xs = shapes[x].as_ref()?;
            Some((p, judge_class(f, (x, xs), y)?))
        })
        .collect()
}

/// Entries by the subject labels they pin (`app=web`): two subjects that
/// pin one key to different values never select the same pod, and every
/// finding needs its two subjects to meet. For an entry, the candidates
/// are those pinning one of its keys to its value, or not pinning that key
/// at all — through the key that leaves the fewest.
struct SubjectIndex<'s> {
    /// Candidate lists, each in candidate order: all of them, none, then
    /// those `pinned` and `free` name.
    lists: Vec<Vec<usize>>,
    pinned: BTreeMap<&'s str, BTreeMap<&'s str, usize>>,
    free: BTreeMap<&'s str, usize>,
}

const ALL: usize = 0;
const NONE: usize = 1;

impl<'s> SubjectIndex<'s> {
    fn new(candidates: Vec<usize>, pins: &[Vec<(&'s str, &'s str)>]) -> SubjectIndex<'s> {
        let mut by_pin: BTreeMap<&str, BTreeMap<&str, Vec<usize>>> = BTreeMap::new();
        for &i in &candidates {
            for &(k, v) in &pins[i] {
                by_pin.entry(k).or_default().entry(v).or_default().push(i);
            }
        }
        let free: Vec<(&str, Vec<usize>)> = by_pin
            .keys()
            .map(|&k| {
                let without: Vec<usize> = candidates
                    .iter()
                    .copied()
                    .filter(|&i| !pins[i].iter().any(|&(p, _)| p == k))
                    .collect();
                (k, without)
            })
            .collect();
        let mut lists = vec![candidates, Vec::new()];
        let mut add = |list: Vec<usize>| {
            lists.push(list);
            lists.len() - 1
        };
        let pinned = by_pin
            .into_iter()
            .map(|(k, values)| (k, crate::sort::map(values.into_iter().map(|(v, list)| (v, add(list))))));
        let pinned = crate::sort::map(pinned);
        let free = crate::sort::map(free.into_iter().map(|(k, list)| (k, add(list))));
        SubjectIndex { lists, pinned, free }
    }

    /// The lists of candidates a subject pinning `pins` can meet, in judging order.
    fn lists_for(&self, pins: &[(&str, &str)]) -> [usize; 2] {
        let best = pins
            .iter()
            .filter_map(|&(k, v)| {
                let same = self.pinned.get(k)?.get(v).copied().unwrap_or(NONE);
                let free = self.free.get(k).copied().unwrap_or(NONE);
                Some((self.lists[same].len() + self.lists[free].len(), same, free))
            })
            .min_by_key(|(n, _, _)| *n);
        match best {
            Some((_, same, free)) => [same, free],
            None => [ALL, NONE],
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
    /// `pairs` pairs make finding `code` about `at`; the first names `other`.
    fn record(
        &mut self,
        f: &mut Finder<'e>,
        code: Code,
        at: (usize, &Shape),
        other: (usize, Option<&Shape>),
        pairs: usize,
    ) {
        let e = &f.analysis.lowered.entries[at.0];
        let key = (e.origin.policy, e.origin.path.as_str(), code);
        match self.found.get_mut(&key) {
            Some((_, more)) => *more += pairs,
            None => {
                self.found.insert(key, (f.out.len(), pairs - 1));
                let Some(os) = other.1 else { return };
                let (message, hint) = match code {
                    // The clusterwide allow is the finding's rule.
                    Code::ClusterwideNotOverride => describe(f, code, at, (other.0, os)),
                    _ => describe(f, code, (other.0, os), at),
                };
                f.pair_finding(code, at.0, other.0, message, hint);
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

/// What `x` tells about `y` for any two entries of their classes.
fn judge_class(f: &Finder<'_>, x: (usize, &Shape), y: (usize, &Shape)) -> Option<Outcome> {
    let entries = &f.analysis.lowered.entries;
    let (xe, ye) = (&entries[x.0], &entries[y.0]);
    if f.kind(xe) == Some(Kind::ClusterNetworkPolicy) && f.kind(ye) == Some(Kind::ClusterNetworkPolicy) {
        return Some(Outcome::PerPair);
    }
    judge(f, x, y)
}

/// What `x` tells about `y` (these two entries): a finding about `y`, or about `x`.
fn judge_pair(f: &Finder<'_>, x: (usize, &Shape), y: (usize, &Shape)) -> Option<Outcome> {
    let profile = &f.analysis.profile;
    let entries = &f.analysis.lowered.entries;
    let (xe, ye) = (&entries[x.0], &entries[y.0]);
    if xe.origin.policy == ye.origin.policy && xe.origin.path == ye.origin.path {
        return None; // peers of one rule
    }
    // ClusterNetworkPolicy rules of two policies at the same spec priority.
    if f.kind(xe) == Some(Kind::ClusterNetworkPolicy)
        && f.kind(ye) == Some(Kind::ClusterNetworkPolicy)
        && xe.origin.policy != ye.origin.policy
        && xe.tier == ye.tier
        && xe.priority.floor() == ye.priority.floor()
        && xe.verdict != ye.verdict
        && x.0 < y.0
        && y.1.meets(x.1, profile)
    {
        return Some(Outcome::AtY(Code::SamePriorityOverlap));
    }
    match judge(f, x, y)? {
        Outcome::Redundant { unless_later } if unless_later && x.0 > y.0 => None,
        Outcome::Redundant { .. } => Some(Outcome::AtY(Code::RedundantAllow)),
        outcome => Some(outcome),
    }
}

/// Everything `x` can tell about `y` but ClusterNetworkPolicy priorities;
/// reads only what [`ClassKey`] holds.
fn judge(f: &Finder<'_>, x: (usize, &Shape), y: (usize, &Shape)) -> Option<Outcome> {
    let profile = &f.analysis.profile;
    let entries = &f.analysis.lowered.entries;
    let (xe, ye) = (&entries[x.0], &entries[y.0]);
    let covers = || y.1.within(x.1, profile);
    let meets = || y.1.meets(x.1, profile);
    let at_y = |found: bool, code: Code| found.then_some(Outcome::AtY(code));
    if decides_first(xe, ye) && xe.verdict != ye.verdict && xe.verdict != Verdict::Pass {
        if ye.tier == Tier::Baseline && xe.tier < Tier::Baseline {
            return at_y(covers(), Code::BaselineUnreached);
        }
        if xe.tier == Tier::Admin && ye.tier == Tier::Normal && xe.verdict == Verdict::Deny {
            return at_y(meets(), Code::AdminDenyOverrides);
        }
        if ye.verdict == Verdict::Pass {
            return None;
        }
        if covers() {
            return Some(Outcome::AtY(Code::ShadowedRule));
        }
        return at_y(meets(), Code::PartlyShadowedRule);
    }
    let same_level = xe.tier == ye.tier && xe.priority == ye.priority;
    if same_level && xe.verdict == Verdict::Allow && ye.verdict == Verdict::Allow {
        // An L4-only allow merged with an L7 allow appends an allow-all to the L7 set (§3.3).
        if has_l7(ye) && !has_l7(xe) && meets() {
            return Some(Outcome::AtY(Code::L7Neutralised));
        }
        if !has_l7(ye) && !has_l7(xe) && (xe.default_deny || !ye.default_deny) && covers() {
            return Some(Outcome::Redundant {
                unless_later: x.1.within(y.1, profile),
            });
        }
        // "A CCNP overrides a CNP": it does not; allows are a union (§3.4).
        if f.kind(xe) == Some(Kind::CiliumClusterwideNetworkPolicy)
            && matches!(f.kind(ye), Some(Kind::NetworkPolicy | Kind::CiliumNetworkPolicy))
            && x.1.traffic_within(y.1, profile)
            && !y.1.traffic_within(x.1, profile)
            && x.1.subject.meets(&y.1.subject)
        {
            return Some(Outcome::AtX(Code::ClusterwideNotOverride));
        }
    }
    None
}

/// The message and hint of finding `code`, where `x` decides about `y`.
fn describe(f: &Finder<'_>, code: Code, x: (usize, &Shape), y: (usize, &Shape)) -> (String, String) {
    let profile = &f.analysis.profile;
    let entries = &f.analysis.lowered.entries;
    let (xe, ye) = (&entries[x.0], &entries[y.0]);
    let (yn, xn) = (rule_name(f, ye), rule_name(f, xe));
    let covers = || y.1.within(x.1, profile);
    let (ykind, xkind) = (ye.verdict.as_str(), xe.verdict.as_str());
    match code {
        Code::SamePriorityOverlap => (
            format!(
                "{yn} and {xn} have the same priority {} in the {} tier and overlap with different actions: the Kubernetes API leaves their order undefined (Cilium lets the deny win)",
                ye.priority.floor(),
                ye.tier.as_str()
            ),
            "give the two ClusterNetworkPolicies different priorities".to_owned(),
        ),
        Code::BaselineUnreached => (
            format!(
                "Baseline rule {yn} is never reached: {xn} ({} tier) decides every flow it matches first",
                xe.tier.as_str()
            ),
            "Baseline rules only see flows no Admin rule and no namespace policy decided; remove it or narrow the rule above".to_owned(),
        ),
        Code::AdminDenyOverrides => {
            let how = if covers() { "every flow" } else { "some flows" };
            (
                format!(
                    "Admin-tier deny {xn} overrides {yn} on {how} it allows: Admin rules come before every NetworkPolicy, CiliumNetworkPolicy and clusterwide policy (§3.5)"
                ),
                "if those flows should pass, add a Pass or Accept rule above the deny in the ClusterNetworkPolicy".to_owned(),
            )
        }
        Code::ShadowedRule => (
            format!("{ykind} rule {yn} never takes effect: {xkind} rule {xn} decides every flow it matches first"),
            match xe.verdict {
                Verdict::Deny => "a deny wins over every allow, whichever policy it comes from (§3.2): narrow the deny (`except`, ports, selectors) or remove the allow".to_owned(),
                _ => "the other rule is in an earlier tier or priority: change the ClusterNetworkPolicy's priority or remove this rule".to_owned(),
            },
        ),
        Code::PartlyShadowedRule => (
            format!(
                "{xkind} rule {xn} overrides part of {ykind} rule {yn}: flows both match are {}",
                if xe.verdict == Verdict::Deny {
                    "denied"
                } else {
                    "allowed"
                }
            ),
            "deny rules win regardless of the kind of policy (§3.4); if the overlap is meant, nothing to do".to_owned(),
        ),
        Code::L7Neutralised => {
            let how = if covers() {
                "entirely"
            } else {
                "for the flows both match"
            };
            (
                format!("the L7 rules of {yn} have no effect {how}: {xn} allows the same port at L4 without L7 rules, and Cilium then allows every request (§3.3)"),
                "add the same L7 rules to the L4-only allow, or narrow its peers or ports so they do not overlap".to_owned(),
            )
        }
        Code::RedundantAllow => (
            format!("allow rule {yn} adds nothing: {xn} already allows every flow it matches"),
            "remove it, or keep it on purpose if the two policies are owned by different teams".to_owned(),
        ),
        // ClusterwideNotOverride: `x` is the clusterwide allow.
        _ => (
            format!(
                "clusterwide allow {xn} is narrower than {yn} on the same pods, but does not restrict it: allows are a union at one level, so the flows {yn} allows beyond it stay allowed (§3.4)"
            ),
            "to block those flows cluster-wide, write them as an ingressDeny/egressDeny rule; a clusterwide allow never overrides a namespaced one".to_owned(),
        ),
    }
}
