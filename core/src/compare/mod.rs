//! Semantic comparison of two policy sets: the flows whose verdict differs.
//!
//! Both sides are decided by the engine over one universe of endpoints: the
//! workloads given, plus endpoints generated to cover every label value,
//! namespace, CIDR boundary, entity and port either side mentions
//! ([`universe`]). The conversion proof and `netpolkit diff` are both this
//! comparison.
//!
//! Verdicts are computed per class of endpoints, as the connectivity matrix
//! computes them: endpoints that neither side's rules tell apart share a
//! joint class, and a pair of joint classes is decided once per port. When
//! both sides have the same profile, an endpoint whose selecting entries are
//! the same on both sides (in one direction) gets the same verdict there for
//! every peer, so only pairs with a changed side are decided at all.

mod diff;
pub(crate) mod universe;

use std::collections::{BTreeMap, HashMap, HashSet};

pub use diff::{diff, render, Diff, DiffFormat, DiffOptions};

use crate::cluster::{Cluster, Endpoint, EndpointKind};
use crate::engine::{Engine, Flow, Reason, Rows};
use crate::ir::{Lowered, PolicyEntry};
use crate::model::{Direction, Document};
use crate::profile::Profile;

/// One side: its profile and its lowered policies.
#[derive(Clone, Copy, Debug)]
pub struct Side<'a> {
    pub profile: &'a Profile,
    pub lowered: &'a Lowered,
}

/// What to compare over.
#[derive(Clone, Debug, Default)]
pub struct CompareOptions {
    /// Add generated endpoints to the given workloads.
    pub generate: bool,
    /// At most this many differing flows are explained (all are counted); 0 = no limit.
    pub max_explained: usize,
}

/// The result.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comparison {
    /// Endpoints of the universe (given and generated).
    pub endpoints: usize,
    /// Flows compared (pairs × ports).
    pub flows: u64,
    /// Flows whose verdict differs, grouped by endpoint pair and port.
    pub differences: Vec<Difference>,
    /// Number of differing flows (may exceed `differences.len()` when capped).
    pub differing: u64,
    /// Of those, the flows the old side allows and the new one denies (the
    /// others are allowed only on the new side).
    pub lost: u64,
    /// The generated universe stopped at its bound (the policies mention
    /// more values than it holds): flows beyond it were not compared.
    pub truncated: bool,
}

/// One flow whose verdict differs.
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    /// `shop/web`, or a generated endpoint described by its labels
    /// (`gen:shop/pod{app=web}`).
    pub from: String,
    pub to: String,
    /// `TCP/80`.
    pub port: String,
    pub old_allowed: bool,
    pub new_allowed: bool,
    /// The deciding rules on each side, one line each, as `explain` prints them.
    pub old_reasons: Vec<String>,
    pub new_reasons: Vec<String>,
}

/// Compares `old` and `new` over `workloads` (Namespace, Pod, Node, Service
/// and controller documents; policies among them are ignored).
pub fn compare(workloads: &[Document], old: Side, new: Side, options: &CompareOptions) -> Comparison {
    let universe = universe::build(workloads, [old, new], options.generate);
    let sides = [old, new];
    let clusters: [Cluster; 2] = [universe.cluster(old.profile), universe.cluster(new.profile)];
    let endpoints: [Vec<Endpoint>; 2] = [0, 1].map(|k| {
        let mut list = clusters[k].endpoints.clone();
        list.extend(universe.externals.iter().cloned());
        list
    });
    let engines = [0, 1].map(|k| Engine::new(sides[k].profile, sides[k].lowered, &clusters[k]));
    let flows = universe::flows(
        [old.lowered, new.lowered],
        &endpoints[0],
        &clusters[0],
        [old.profile, new.profile],
    );
    let classes = [0, 1].map(|k| engines[k].classes(&endpoints[k]));
    // Both sides are built from the same documents, so their endpoints are
    // the same, in the same order.
    let n = endpoints[0].len().min(endpoints[1].len());
    let class = |k: usize, i: usize| classes[k].class_of[i];

    // The universe without generated endpoints that some earlier endpoint
    // already stands for (same class on both sides, and, for the pods put
    // on a node to be its own, the same node).
    let mut kept: Vec<usize> = Vec::new();
    let mut seen: HashSet<(usize, usize, Option<String>)> = HashSet::new();
    let mut seen_outside: HashSet<(Vec<bool>, Vec<bool>)> = HashSet::new();
    for (i, e) in endpoints[0].iter().enumerate().take(n) {
        let (co, cn) = (class(0, i), class(1, i));
        let probe = universe.is_probe(e);
        let key = (co, cn, probe.then(|| e.node.clone()).flatten());
        if !universe.is_generated(e) {
            seen.insert(key);
            kept.push(i);
        } else if e.kind == EndpointKind::External {
            let answers = (classes[0].answers[co].clone(), classes[1].answers[cn].clone());
            if seen_outside.insert(answers) {
                kept.push(i);
            }
        } else if e.is_node_like() || seen.insert(key) {
            kept.push(i);
        }
    }

    // Joint classes of the kept endpoints.
    let mut joint_index: HashMap<(usize, usize), usize> = HashMap::new();
    let mut joint: Vec<(usize, usize)> = Vec::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    let mut joint_of: HashMap<usize, usize> = HashMap::new();
    for &i in &kept {
        let key = (class(0, i), class(1, i));
        let next = joint.len();
        let j = *joint_index.entry(key).or_insert(next);
        if j == next {
            joint.push(key);
            members.push(Vec::new());
        }
        members[j].push(i);
        joint_of.insert(i, j);
    }
    let node_like: Vec<bool> = joint.iter().map(|&(co, _)| classes[0].node_like[co]).collect();

    // Which joint classes may decide differently in each direction.
    let same_profile = old.profile == new.profile;
    let changed = |direction: usize| -> Vec<bool> {
        joint
            .iter()
            .map(|&(co, cn)| {
                !same_profile
                    || !same_entries(
                        old.lowered,
                        &classes[0].selecting[co][direction],
                        new.lowered,
                        &classes[1].selecting[cn][direction],
                    )
            })
            .collect()
    };
    let (ingress_changed, egress_changed) = (changed(0), changed(1));

    let p = flows.len();
    let mut differing: u64 = 0;
    let mut lost: u64 = 0;
    // Pairs of joint classes without a node-like side: the differing ports.
    // Each direction's verdicts are rows shared by every pair that looks
    // the same to the entries deciding them.
    let mut rows = [0, 1].map(|k| Rows::new(&classes[k], &endpoints[k]));
    let mut class_diffs: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    let pods: Vec<usize> = (0..joint.len()).filter(|&a| !node_like[a]).collect();
    let mut allowed = [vec![0u64; p.div_ceil(64)], vec![0u64; p.div_ceil(64)]];
    for &a in &pods {
        for &b in &pods {
            if !(egress_changed[a] || ingress_changed[b]) {
                continue;
            }
            for k in 0..2 {
                let (ca, cb) = if k == 0 {
                    (joint[a].0, joint[b].0)
                } else {
                    (joint[a].1, joint[b].1)
                };
                let (engine, cl, eps) = (&engines[k], &classes[k], &endpoints[k]);
                let egress = engine.direction_row(cl, eps, &mut rows[k], ca, Direction::Egress, cb, &flows);
                let ingress = engine.direction_row(cl, eps, &mut rows[k], cb, Direction::Ingress, ca, &flows);
                let (e, i) = (rows[k].row(egress), rows[k].row(ingress));
                for (w, out) in allowed[k].iter_mut().enumerate() {
                    *out = e[w] & i[w];
                }
            }
            if allowed[0] == allowed[1] {
                continue;
            }
            let ports: Vec<usize> = (0..p)
                .filter(|&k| (allowed[0][k / 64] ^ allowed[1][k / 64]) & (1 << (k % 64)) != 0)
                .collect();
            let pairs = (members[a].len() * members[b].len()) as u64;
            differing += pairs * ports.len() as u64;
            lost += pairs
                * ports
                    .iter()
                    .filter(|&&k| allowed[0][k / 64] & (1 << (k % 64)) != 0)
                    .count() as u64;
            class_diffs.insert((a, b), ports);
        }
    }
    // Pairs with a node-like side, endpoint by endpoint (rows memoised as the matrix does).
    let mut rows: [HashMap<crate::engine::NodePairKey, Vec<bool>>; 2] = [HashMap::new(), HashMap::new()];
    let mut pair_diffs: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    let nodes: Vec<usize> = kept
        .iter()
        .copied()
        .filter(|i| endpoints[0][*i].is_node_like())
        .collect();
    for &i in &kept {
        let others: &[usize] = if endpoints[0][i].is_node_like() { &kept } else { &nodes };
        for &j in others {
            let (a, b) = (joint_of[&i], joint_of[&j]);
            if !(egress_changed[a] || ingress_changed[b]) {
                continue;
            }
            let mut verdicts: [Vec<bool>; 2] = [Vec::new(), Vec::new()];
            for k in 0..2 {
                let (engine, cl, eps) = (&engines[k], &classes[k], &endpoints[k]);
                let row = rows[k].entry(engine.node_pair_key(cl, eps, i, j)).or_insert_with(|| {
                    let (ci, cj) = (cl.class_of[i], cl.class_of[j]);
                    engine.pair_row(cl, &eps[i], ci, &eps[j], cj, &flows)
                });
                verdicts[k].clone_from(row);
            }
            let ports: Vec<usize> = (0..p).filter(|&k| verdicts[0][k] != verdicts[1][k]).collect();
            if !ports.is_empty() {
                differing += ports.len() as u64;
                lost += ports.iter().filter(|&&k| verdicts[0][k]).count() as u64;
                pair_diffs.insert((i, j), ports);
            }
        }
    }

    // The first differing flows, by source, destination and port.
    let cap = if options.max_explained == 0 {
        usize::MAX
    } else {
        options.max_explained
    };
    let mut by_source: HashMap<usize, Vec<(usize, &Vec<usize>)>> = HashMap::new();
    for ((a, b), ports) in &class_diffs {
        by_source.entry(*a).or_default().push((*b, ports));
    }
    let mut listed: Vec<(usize, usize, usize)> = Vec::new();
    'rows: for &i in &kept {
        if listed.len() >= cap {
            break;
        }
        let mut row: Vec<(usize, &Vec<usize>)> = Vec::new();
        if let Some(targets) = by_source.get(&joint_of[&i]) {
            for (b, ports) in targets {
                row.extend(members[*b].iter().map(|&j| (j, *ports)));
            }
        }
        row.extend(pair_diffs.range((i, 0)..(i + 1, 0)).map(|((_, j), ports)| (*j, ports)));
        crate::sort::sort_by_key(&mut row, |(j, _)| *j);
        for (j, ports) in row {
            for &k in ports {
                if listed.len() >= cap {
                    break 'rows;
                }
                listed.push((i, j, k));
            }
        }
    }
    let differences = listed
        .into_iter()
        .map(|(i, j, k)| {
            let flow = flows[k];
            let verdicts = [0, 1].map(|side| {
                let (from, to) = (&endpoints[side][i], &endpoints[side][j]);
                let engine = &engines[side];
                let egress = engine.decide(from, Direction::Egress, to, &flow);
                let ingress = engine.decide(to, Direction::Ingress, from, &flow);
                (egress.allowed && ingress.allowed, reasons(engine, from, to, &flow))
            });
            let [(old_allowed, old_reasons), (new_allowed, new_reasons)] = verdicts;
            Difference {
                from: endpoints[0][i].name.clone(),
                to: endpoints[0][j].name.clone(),
                port: flow.to_string(),
                old_allowed,
                new_allowed,
                old_reasons,
                new_reasons,
            }
        })
        .collect();

    let endpoint_count = kept.len();
    Comparison {
        endpoints: endpoint_count,
        flows: (endpoint_count as u64) * (endpoint_count as u64) * (p as u64),
        differences,
        differing,
        lost,
        truncated: universe.capped,
    }
}

/// Whether two entries decide alike (everything but where they come from).
fn same_entry(a: &PolicyEntry, b: &PolicyEntry) -> bool {
    a.subject == b.subject
        && a.direction == b.direction
        && a.verdict == b.verdict
        && a.l3 == b.l3
        && a.l4 == b.l4
        && a.default_deny == b.default_deny
        && a.tier == b.tier
        && a.priority == b.priority
}

/// Whether two lists of entries are the same multiset, origins aside.
fn same_entries(old: &Lowered, a: &[usize], new: &Lowered, b: &[usize]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut used = vec![false; b.len()];
    a.iter().all(|&i| {
        let found = (0..b.len()).find(|&k| !used[k] && same_entry(&old.entries[i], &new.entries[b[k]]));
        if let Some(k) = found {
            used[k] = true;
        }
        found.is_some()
    })
}

/// The deciding rules of both directions, one line each.
fn reasons(engine: &Engine, from: &Endpoint, to: &Endpoint, flow: &Flow) -> Vec<String> {
    let policy = |i: &usize| {
        let entry = &engine.lowered.entries[*i];
        let info = &engine.lowered.policies[entry.origin.policy];
        format!("{} {}", info.display_name(), entry.origin.path)
    };
    let list = |entries: &[usize]| entries.iter().map(policy).collect::<Vec<_>>().join("; ");
    [
        (Direction::Egress, from, to, "egress at"),
        (Direction::Ingress, to, from, "ingress at"),
    ]
    .into_iter()
    .map(|(direction, at, other, label)| {
        let v = engine.decide(at, direction, other, flow);
        let verdict = if v.allowed { "allowed" } else { "denied" };
        let why = match &v.reason {
            Reason::NotSelected => "no policy selects it".to_owned(),
            Reason::NotEnforced(why) => why.clone(),
            Reason::Decided { verdict: d, entries } => format!("{} by {}", d.as_str(), list(entries)),
            Reason::HostAllowed { .. } => "the local node is always allowed in".to_owned(),
            Reason::DefaultDeny { selected_by } => format!("default deny of {}, no rule allows it", list(selected_by)),
            Reason::NotDefaultDeny { selected_by } => {
                format!("selected by {}, none of them in default deny", list(selected_by))
            }
            Reason::NodeEgress => "Azure NPM allows egress to the pod's own node".to_owned(),
            Reason::ServiceBypass { service } => format!("Azure NPM does not enforce ingress through {service}"),
        };
        format!("{label} {}: {verdict} ({why})", at.name)
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{analyze, Analysis, AnalyzeOptions};
    use crate::profile::{ProfileKind, ProfileSettings};

    fn read(text: &str, profile: ProfileKind) -> Analysis {
        analyze(
            text,
            &AnalyzeOptions {
                profile: ProfileSettings {
                    kind: Some(profile),
                    ..ProfileSettings::default()
                },
                ..AnalyzeOptions::default()
            },
        )
    }

    fn side(a: &Analysis) -> Side<'_> {
        Side {
            profile: &a.profile,
            lowered: &a.lowered,
        }
    }

    /// Compares two texts under two profiles over both texts' workloads.
    fn run(old: &str, new: &str, profiles: [ProfileKind; 2], generate: bool) -> Comparison {
        let (a, b) = (read(old, profiles[0]), read(new, profiles[1]));
        let workloads: Vec<Document> = a.parsed.documents.clone();
        compare(
            &workloads,
            side(&a),
            side(&b),
            &CompareOptions {
                generate,
                max_explained: 0,
            },
        )
    }

    fn flows(c: &Comparison) -> Vec<String> {
        c.differences
            .iter()
            .map(|d| {
                format!(
                    "{} -> {} {}: {} -> {}",
                    d.from, d.to, d.port, d.old_allowed, d.new_allowed
                )
            })
            .collect()
    }

    const WORKLOADS: &str = "apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: a}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ops, labels: {team: b}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {nodeName: n1, containers: [{name: c, image: x, ports: [{name: pg, containerPort: 5432}]}]}
status: {podIP: 10.244.0.5}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {nodeName: n1, containers: [{name: c, image: x, ports: [{name: pg, containerPort: 5432}]}]}
status: {podIP: 10.244.0.6}
---
apiVersion: v1
kind: Pod
metadata: {name: tool, namespace: ops, labels: {app: web}}
spec: {nodeName: n1, containers: [{name: c, image: x}]}
status: {podIP: 10.244.0.7}
";

    fn policy(from: &str, ports: &str) -> String {
        format!(
            "{WORKLOADS}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: db, namespace: shop}}
spec:
  podSelector: {{matchLabels: {{app: db}}}}
  ingress:
  - from: [{from}]
    ports: [{ports}]
"
        )
    }

    const WEB: &str = "{podSelector: {matchLabels: {app: web}}}";

    #[test]
    fn identical_sets_do_not_differ() {
        let text = policy(WEB, "{port: 5432}");
        for generate in [false, true] {
            let c = run(&text, &text, [ProfileKind::Cilium; 2], generate);
            assert_eq!(c.differing, 0, "{:#?}", c.differences);
            assert!(c.flows > 0 && c.endpoints >= 4);
        }
    }

    #[test]
    fn a_changed_port_changes_exactly_its_flows() {
        let old = policy(WEB, "{port: 5432}");
        let new = policy(WEB, "{port: 5433}");
        let c = run(&old, &new, [ProfileKind::Cilium; 2], false);
        // Over the given workloads: web reaches db on 5432 no more, on 5433 now.
        assert_eq!(
            flows(&c),
            [
                "shop/web -> shop/db TCP/5432: true -> false",
                "shop/web -> shop/db TCP/5433: false -> true",
            ]
        );
        assert_eq!(c.differing, 2);
        let d = &c.differences[0];
        assert_eq!(
            d.old_reasons[1],
            "ingress at shop/db: allowed (allow by NetworkPolicy shop/db spec.ingress[0].from[0])"
        );
        assert!(d.new_reasons[1].starts_with("ingress at shop/db: denied (default deny of NetworkPolicy shop/db"));
        // A named port resolves on the destination: `pg` is 5432 on db (§1.6).
        let named = policy(WEB, "{port: pg}");
        assert_eq!(run(&old, &named, [ProfileKind::Cilium; 2], false).differing, 0);
        // ...but generated pods whose `pg` is another number tell them apart.
        let c = run(&old, &named, [ProfileKind::Cilium; 2], true);
        assert!(c.differing > 0);
        assert!(
            c.differences.iter().all(|d| d.to.starts_with("gen:")),
            "{:#?}",
            flows(&c)
        );
    }

    #[test]
    fn a_changed_label_is_caught_by_generated_pods() {
        let old = policy(WEB, "{port: 5432}");
        let new = policy(
            "{podSelector: {matchExpressions: [{key: app, operator: In, values: [web, api]}]}}",
            "{port: 5432}",
        );
        // No given pod has app=api: the workloads alone see no difference.
        assert_eq!(run(&old, &new, [ProfileKind::Cilium; 2], false).differing, 0);
        let c = run(&old, &new, [ProfileKind::Cilium; 2], true);
        assert!(
            flows(&c).contains(&"gen:shop/pod{app=api} -> shop/db TCP/5432: false -> true".to_owned()),
            "{:#?}",
            flows(&c)
        );
        assert!(c
            .differences
            .iter()
            .all(|d| d.from.contains("app=api") && !d.old_allowed && d.new_allowed));
    }

    #[test]
    fn a_changed_namespace_selector() {
        // §1.4: a namespaceSelector admits pods of the namespaces it selects.
        let old = policy("{namespaceSelector: {matchLabels: {team: a}}}", "{port: 5432}");
        let new = policy("{namespaceSelector: {matchLabels: {team: b}}}", "{port: 5432}");
        let c = run(&old, &new, [ProfileKind::Cilium; 2], false);
        // In the order of the input's endpoints.
        assert_eq!(
            flows(&c),
            [
                "shop/web -> shop/db TCP/5432: true -> false",
                "shop/db -> shop/db TCP/5432: true -> false",
                "ops/tool -> shop/db TCP/5432: false -> true",
            ]
        );
        // With generated pods: any pod of a namespace labelled team=a loses
        // access, any pod of one labelled team=b gains it, nothing else changes.
        let c = run(&old, &new, [ProfileKind::Cilium; 2], true);
        assert!(c.differing > 3);
        for d in &c.differences {
            assert!(d.to.ends_with("shop/db") || d.to.ends_with("shop/pod{app=db}"), "{d:?}");
            assert_eq!(d.port, "TCP/5432");
            let team_a = d.from.contains("shop/") || d.from.contains("{team=a}");
            let team_b = d.from.starts_with("ops/") || d.from.contains("{team=b}");
            assert!(team_a != team_b, "{d:?}");
            assert_eq!((d.old_allowed, d.new_allowed), (team_a, team_b), "{d:?}");
        }
    }

    /// cilium-semantics §3.6: an ipBlock matches pod addresses under
    /// Kubernetes' semantics, never under Cilium's (without `pods` mode).
    #[test]
    fn an_ip_block_over_pods_differs_between_upstream_and_cilium() {
        let text = policy("{ipBlock: {cidr: 10.244.0.0/24}}", "{port: 5432}");
        let c = run(&text, &text, [ProfileKind::Upstream, ProfileKind::Cilium], false);
        assert_eq!(
            flows(&c),
            [
                "shop/web -> shop/db TCP/5432: true -> false",
                "shop/db -> shop/db TCP/5432: true -> false",
                "ops/tool -> shop/db TCP/5432: true -> false",
                // §3.1 item 4: Cilium always lets the local node in; the
                // API's rules do not (n1 has no address, so no ipBlock
                // matches it): every port, one per range the rules cut.
                "node/n1 -> shop/db TCP/5431: false -> true",
                "node/n1 -> shop/db TCP/5432: false -> true",
                "node/n1 -> shop/db TCP/5433: false -> true",
                "node/n1 -> shop/db UDP/80: false -> true",
            ]
        );
        // A CIDR over no pod of the input: the generated pod at its first
        // address differs (the one at its last address is the same class,
        // so it is not repeated), those just outside it do not, and
        // addresses outside the cluster get the same verdict under both.
        let text = policy("{ipBlock: {cidr: 10.244.1.0/24}}", "{port: 5432}");
        let c = run(&text, &text, [ProfileKind::Upstream, ProfileKind::Cilium], true);
        let all = flows(&c);
        let flow = "gen:netpolkit-ns-{}/10.244.1.0 -> shop/db TCP/5432: true -> false".to_owned();
        assert!(all.contains(&flow), "{flow} missing from {all:#?}");
        assert!(
            all.iter()
                .all(|f| f.starts_with("gen:netpolkit-ns-{}/10.244.1.") || f.contains("node/")),
            "{all:#?}"
        );
    }

    /// §1.1: from 1.19 peers are pinned to the local cluster; AKS runs 1.17,
    /// where a pod of another cluster of the mesh matches too.
    #[test]
    fn peers_of_other_clusters_differ_with_policy_default_local_cluster() {
        let text = policy(WEB, "{port: 5432}");
        let c = run(&text, &text, [ProfileKind::Aks, ProfileKind::Cilium], true);
        let all = flows(&c);
        assert!(
            all.contains(&"gen:shop/pod{app=web}:cluster=other-cluster -> shop/db TCP/5432: true -> false".to_owned()),
            "{all:#?}"
        );
        assert!(c.differences.iter().all(|d| d.from.contains("cluster=")), "{all:#?}");
    }

    /// A port rule on TCP leaves UDP to the wildcard rules: a protocol no
    /// port names is compared too.
    #[test]
    fn protocols_no_rule_names_are_compared() {
        let old = policy(WEB, "{port: 5432}");
        let new = old.replace("    ports: [{port: 5432}]\n", "");
        let c = run(&old, &new, [ProfileKind::Cilium; 2], false);
        let all = flows(&c);
        assert!(
            all.contains(&"shop/web -> shop/db TCP/5431: false -> true".to_owned()),
            "{all:#?}"
        );
        assert!(
            all.contains(&"shop/web -> shop/db TCP/5433: false -> true".to_owned()),
            "{all:#?}"
        );
        assert!(
            all.contains(&"shop/web -> shop/db UDP/80: false -> true".to_owned()),
            "{all:#?}"
        );
        assert!(!all.iter().any(|f| f.contains("TCP/5432")), "{all:#?}");
    }
}

#[cfg(test)]
mod universe_tests {
    use super::universe;
    use super::Side;
    use crate::analysis::{analyze, AnalyzeOptions};
    use crate::cluster::EndpointKind;

    fn universe_of(text: &str) -> (universe::Universe, crate::cluster::Cluster) {
        let a = analyze(text, &AnalyzeOptions::default());
        let side = Side {
            profile: &a.profile,
            lowered: &a.lowered,
        };
        let u = universe::build(&a.parsed.documents, [side, side], true);
        let cluster = u.cluster(&a.profile);
        (u, cluster)
    }

    #[test]
    fn a_selector_is_matched_and_missed_by_one_requirement_each() {
        let (_, cluster) = universe_of(
            "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: a}}
      podSelector: {matchExpressions: [{key: tier, operator: In, values: [web, api]}]}
",
        );
        let names: Vec<&str> = cluster.endpoints.iter().map(|e| e.name.as_str()).collect();
        for expected in [
            // The subject {app=db, namespace shop}: its match, a near miss per requirement.
            "gen:shop/pod{app=db}",
            "gen:shop/pod{app=other}",
            "gen:shop/pod{}",
            "gen:netpolkit-ns-{}/pod{app=db}",
            // The peer: namespace team=a with tier web, each value the selector names, and misses.
            "gen:netpolkit-ns-{team=a}/pod{tier=web}",
            "gen:netpolkit-ns-{team=a}/pod{tier=api}",
            "gen:netpolkit-ns-{team=a}/pod{tier=other}",
            "gen:netpolkit-ns-{team=a}/pod{}",
            "gen:netpolkit-ns-{team=other}/pod{tier=web}",
            "gen:netpolkit-ns-{}/pod{tier=web}",
            // A pod of another cluster (the peer is pinned to the local one, §1.4).
            "gen:netpolkit-ns-{team=a}/pod{tier=web}:cluster=other-cluster",
        ] {
            assert!(names.contains(&expected), "{expected} missing from {names:#?}");
        }
        let remote = cluster
            .endpoints
            .iter()
            .find(|e| e.name.ends_with(":cluster=other-cluster"))
            .unwrap();
        assert_eq!(remote.remote_cluster.as_deref(), Some("other-cluster"));
        let web = cluster
            .endpoints
            .iter()
            .find(|e| e.name == "gen:netpolkit-ns-{team=a}/pod{tier=web}")
            .unwrap();
        assert!(web.ips.iter().all(|ip| ip.to_string().starts_with("10.244.")));
    }

    #[test]
    fn cidr_boundaries_are_addresses_pods_and_nodes() {
        let (u, cluster) = universe_of(
            "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: shop}
spec:
  podSelector: {}
  egress:
  - to:
    - ipBlock: {cidr: 203.0.113.0/24, except: [203.0.113.128/25]}
    - ipBlock: {cidr: 10.244.1.0/24}
    - ipBlock: {cidr: 10.224.0.0/30}
    - ipBlock: {cidr: '2001:db8:1::/64'}
",
        );
        let outside: Vec<String> = u.externals.iter().map(|e| e.name.clone()).collect();
        for ip in [
            "203.0.113.0",
            "203.0.113.255",
            "203.0.112.255",
            "203.0.114.0",
            "203.0.113.128",
            "203.0.113.127",
            "2001:db8:1::",
            "2001:db8:1:0:ffff:ffff:ffff:ffff",
            "2001:db8:0:ffff:ffff:ffff:ffff:ffff",
            "2001:db8:1:1::",
        ] {
            assert!(outside.contains(&ip.to_owned()), "{ip} missing from {outside:?}");
        }
        assert!(u.externals.iter().all(|e| e.kind == EndpointKind::External));
        // In the pod range they are pods, in the node range nodes (§3.6).
        let names: Vec<&str> = cluster.endpoints.iter().map(|e| e.name.as_str()).collect();
        for name in [
            "gen:netpolkit-ns-{}/10.244.1.0",
            "gen:netpolkit-ns-{}/10.244.1.255",
            "gen:netpolkit-ns-{}/10.244.0.255",
            "gen:netpolkit-ns-{}/10.244.2.0",
            "gen:node/10.224.0.3",
            "gen:node/10.224.0.4",
        ] {
            assert!(names.contains(&name), "{name} missing from {names:#?}");
        }
        // Generated pods take addresses no narrower CIDR mentions.
        let plain = cluster
            .endpoints
            .iter()
            .find(|e| e.name == "gen:netpolkit-ns-{}/pod{}")
            .unwrap();
        assert!(plain.ips.iter().all(|ip| !ip.to_string().starts_with("10.244.1.")));
    }
}
