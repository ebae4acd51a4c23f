//! Findings about one policy: rules that can never match (§3.6, §3.7, given
//! workloads), default-deny surprises (§3.1, §3.3), policyTypes read
//! differently by Kubernetes and Cilium (§1.5), and where Pass sends flows (§3.5).

use std::collections::BTreeSet;

use super::space::{namespace_of, Region};
use super::{rule_name, Finder};
use crate::diagnostic::Code;
use crate::ir::{Op, Peer, PolicyEntry, Selector, Source, Subject, Tier, Verdict};
use crate::model::{Direction, Kind, Manifest, PolicyType};
use crate::profile::identity_relevant;
use crate::version::CiliumVersion;

pub(super) fn run(f: &mut Finder<'_>) {
    filtered_labels(f);
    selects_no_workload(f);
    cidr_in_cluster(f);
    default_deny(f);
    pass_chains(f);
    model_rules(f);
}

/// The field a policy kind selects its subject with.
fn subject_path(kind: Kind) -> &'static str {
    match kind {
        Kind::NetworkPolicy => "spec.podSelector",
        Kind::ClusterNetworkPolicy => "spec.subject",
        _ => "spec.endpointSelector",
    }
}

/// The pod label keys a selector requires (a value, or presence), which a
/// selector cannot match if the identity leaves them out.
fn required_pod_keys(s: &Selector) -> impl Iterator<Item = &str> {
    let pod = |source: &Source| matches!(source, Source::Any | Source::K8s);
    s.match_labels
        .iter()
        .filter(move |(k, _)| pod(&k.source))
        .map(|(k, _)| k.key.as_str())
        .chain(
            s.expressions
                .iter()
                .filter(move |(k, op, _)| pod(&k.source) && matches!(op, Op::In | Op::Exists))
                .map(|(k, _, _)| k.key.as_str()),
        )
}

/// §3.7: a selector on a label the identity label filter drops selects nothing.
fn filtered_labels(f: &mut Finder<'_>) {
    if !f.analysis.profile.identity_label_filter {
        return;
    }
    let mut seen: BTreeSet<(usize, String, String)> = BTreeSet::new();
    for entry in &f.analysis.lowered.entries {
        let policy = f.policy(entry);
        let mut check = |f: &mut Finder<'_>, s: &Selector, path: &str, span, what: &str| {
            for key in required_pod_keys(s) {
                if identity_relevant(key) || !seen.insert((entry.origin.policy, path.to_owned(), key.to_owned())) {
                    continue;
                }
                f.at_policy(
                    Code::FilteredLabel,
                    policy,
                    span,
                    path,
                    format!("{what} requires the label `{key}`, which Cilium leaves out of security identities (§3.7): it matches nothing"),
                    "select on a label the identity keeps (an app or tier label), or configure Cilium's --labels filter to keep this one".to_owned(),
                );
            }
        };
        if let Subject::Endpoints(s) = &entry.subject {
            check(f, s, subject_path(policy.kind), policy.span, "the policy's subject");
        }
        if let crate::ir::L3::Peers(peers) = &entry.l3 {
            for p in peers {
                if let Peer::Selector(s) = p {
                    check(f, s, &entry.origin.path, entry.origin.span, "this peer");
                }
            }
        }
    }
}

/// Given workloads: subjects and peers that select none of them.
fn selects_no_workload<'a>(f: &mut Finder<'a>) {
    let pods: Vec<_> = f.analysis.cluster.endpoints.iter().filter(|e| e.is_pod()).collect();
    if pods.is_empty() {
        return;
    }
    let namespaces: BTreeSet<&str> = crate::sort::set(pods.iter().filter_map(|p| p.namespace.as_deref()));
    // Only where the input describes the namespace's workloads.
    let described = |s: &Selector| namespace_of(&Region::of(s)).is_none_or(|ns| namespaces.contains(ns));
    // Policies repeat their selectors; each is matched against the pods once.
    let mut matched: std::collections::HashMap<&'a Selector, bool> = Default::default();
    let mut matches_none = |s: &'a Selector| {
        *matched
            .entry(s)
            .or_insert_with(|| !pods.iter().any(|p| s.matches(&p.labels)))
    };
    let mut subjects: BTreeSet<usize> = BTreeSet::new();
    let mut peers: BTreeSet<(usize, String)> = BTreeSet::new();
    let entries = &f.analysis.lowered.entries;
    // A policy selects nothing when none of its entries' subjects does.
    let mut by_policy: std::collections::BTreeMap<usize, Vec<&PolicyEntry>> = Default::default();
    for e in entries {
        by_policy.entry(e.origin.policy).or_default().push(e);
    }
    for (policy, list) in &by_policy {
        let selectors: Vec<&Selector> = list
            .iter()
            .filter_map(|e| match &e.subject {
                Subject::Endpoints(s) => Some(s),
                Subject::Host(_) => None,
            })
            .collect();
        if !selectors.is_empty()
            && selectors
                .iter()
                .all(|s| described(s) && matches_none(s) && !s.mentions_source(&Source::Reserved))
            && subjects.insert(*policy)
        {
            let info = &f.analysis.lowered.policies[*policy];
            f.at_policy(
                Code::SelectsNoWorkload,
                info,
                info.span,
                subject_path(info.kind),
                format!("{} selects none of the workloads in the input", info.display_name()),
                "check the selector's labels and namespace against the pods' labels".to_owned(),
            );
        }
    }
    for e in entries {
        let crate::ir::L3::Peers(list) = &e.l3 else { continue };
        for p in list {
            let Peer::Selector(s) = p else { continue };
            if s.is_wildcard() || s.mentions_source(&Source::Reserved) || !described(s) || !matches_none(s) {
                continue;
            }
            if peers.insert((e.origin.policy, e.origin.path.clone())) {
                let info = f.policy(e);
                f.at_policy(
                    Code::SelectsNoWorkload,
                    info,
                    e.origin.span,
                    &e.origin.path,
                    format!(
                        "peer `{s}` of {} matches none of the workloads in the input",
                        rule_name(f, e)
                    ),
                    "check the selector's labels and namespace against the pods' labels".to_owned(),
                );
            }
        }
    }
}

/// §3.6: under Cilium a CIDR never matches pod, node or service addresses,
/// so an ipBlock inside those ranges matches nothing. Only where the ranges
/// are known (given, or AKS's defaults on AKS): `10.0.0.0/24` is no
/// cluster's range on a cluster of unknown addresses.
fn cidr_in_cluster(f: &mut Finder<'_>) {
    let profile = &f.analysis.profile;
    if !profile.is_cilium() || !profile.ranges_known {
        return;
    }
    let mut ranges: Vec<(&ipnet::IpNet, &str)> = Vec::new();
    if !profile.cidr_match_pods {
        ranges.extend(profile.pod_cidrs.iter().map(|n| (n, "pod")));
    }
    if !profile.cidr_match_nodes {
        ranges.extend(profile.node_cidrs.iter().map(|n| (n, "node")));
    }
    ranges.extend(profile.service_cidrs.iter().map(|n| (n, "service")));
    let mut seen: BTreeSet<(usize, String, String)> = BTreeSet::new();
    for e in &f.analysis.lowered.entries {
        let crate::ir::L3::Peers(list) = &e.l3 else { continue };
        for p in list {
            let Peer::Cidr { cidr, .. } = p else { continue };
            let Some((range, what)) = ranges
                .iter()
                .find(|(r, _)| r.contains(&cidr.network()) && r.prefix_len() <= cidr.prefix_len())
            else {
                continue;
            };
            if !seen.insert((e.origin.policy, e.origin.path.clone(), cidr.to_string())) {
                continue;
            }
            let info = f.policy(e);
            let why = if *what == "service" {
                "policy applies after service translation, to the backend pods"
            } else {
                "Cilium matches in-cluster traffic by identity, never by CIDR"
            };
            f.at_policy(
                Code::CidrInCluster,
                info,
                e.origin.span,
                &e.origin.path,
                format!(
                    "`{cidr}` lies in the cluster's {what} range {range} ({} profile): {why}, so this peer matches nothing (§3.6)",
                    profile.kind.as_str()
                ),
                match *what {
                    "node" => "use `toEntities`/`fromEntities: [host, remote-node]` (or `kube-apiserver`) instead; `netpolkit rewrite --profile aks` proposes it".to_owned(),
                    _ => "select the pods instead (podSelector / namespaceSelector, or toEndpoints/fromEndpoints); set --pod-cidr/--node-cidr/--service-cidr if these are not your cluster's ranges".to_owned(),
                },
            );
        }
    }
}

/// The rule an entry comes from: `spec` or `specs[i]`.
fn rule_of(e: &PolicyEntry) -> &str {
    e.origin.path.split('.').next().unwrap_or("spec")
}

/// §3.1, §3.3: default deny switched on where it is easy to miss, or asked
/// for where it does nothing.
fn default_deny(f: &mut Finder<'_>) {
    let entries = &f.analysis.lowered.entries;
    let mut isolation: BTreeSet<(usize, Direction)> = BTreeSet::new();
    let mut deny_only: BTreeSet<(usize, &str, Direction)> = BTreeSet::new();
    // Per policy, rule (`spec`, `specs[i]`) and direction: whether every entry denies.
    let mut all_deny: std::collections::BTreeMap<(usize, &str, Direction), bool> = Default::default();
    for e in entries {
        *all_deny
            .entry((e.origin.policy, rule_of(e), e.direction))
            .or_insert(true) &= e.verdict == Verdict::Deny;
    }
    for e in entries {
        let info = f.policy(e);
        let cilium = matches!(
            info.kind,
            Kind::CiliumNetworkPolicy | Kind::CiliumClusterwideNetworkPolicy
        );
        let dir = e.direction.as_str();
        // A clusterwide policy with an empty endpointSelector isolates every pod.
        if info.kind == Kind::CiliumClusterwideNetworkPolicy
            && e.default_deny
            && matches!(&e.subject, Subject::Endpoints(s) if Region::of(s).is_everything())
            && isolation.insert((e.origin.policy, e.direction))
        {
            f.at_policy(
                Code::ClusterwideIsolation,
                info,
                e.origin.span,
                &e.origin.path,
                format!("{} selects every pod of the cluster and puts {dir} into default deny: every {dir} flow no policy allows is dropped, in every namespace, kube-system included", info.display_name()),
                format!("narrow the endpointSelector, or set `enableDefaultDeny: {{{dir}: false}}` if the policy only means to add rules"),
            );
        }
        if !cilium {
            continue;
        }
        let key = (e.origin.policy, rule_of(e), e.direction);
        // Only deny rules in this direction of this rule, and default deny on.
        if e.verdict == Verdict::Deny && e.default_deny && all_deny.get(&key) == Some(&true) && deny_only.insert(key) {
            f.at_policy(
                Code::DenyEnablesDefaultDeny,
                info,
                e.origin.span,
                &e.origin.path,
                format!("this rule has only {dir}Deny rules, yet it puts the pods it selects into {dir} default deny: everything it does not deny is dropped too unless another policy allows it (§3.1)"),
                format!("to deny only what it lists, add `enableDefaultDeny: {{{dir}: false}}` (or an allow such as `{}Entities: [all]`)", if e.direction == Direction::Ingress { "from" } else { "to" }),
            );
        }
        // §3.3: L7 rules without default deny.
        if e.verdict == Verdict::Allow && !e.default_deny && e.l4.iter().any(|r| r.l7.is_some()) {
            let message = if f.analysis.profile.cilium_version >= CiliumVersion::new(1, 18) {
                format!("{dir} default deny is off for this rule, so Cilium {} appends an allow-all L7 rule: its L7 rules filter nothing unless another policy puts these pods into default deny (§3.3)", f.analysis.profile.cilium_version)
            } else {
                format!("{dir} default deny is off, but on Cilium {} the L7 rules still drop every other request on their port (§3.3)", f.analysis.profile.cilium_version)
            };
            f.at_policy(
                Code::L7WithoutDefaultDeny,
                info,
                e.origin.span,
                &e.origin.path,
                message,
                "remove `enableDefaultDeny: false` if the L7 rules are meant to restrict, or drop the L7 rules"
                    .to_owned(),
            );
        }
    }
}

/// §3.5: where a Pass rule sends the flows it matches.
fn pass_chains(f: &mut Finder<'_>) {
    let entries = &f.analysis.lowered.entries;
    for (i, e) in entries.iter().enumerate() {
        if e.verdict != Verdict::Pass {
            continue;
        }
        let Subject::Endpoints(s) = &e.subject else { continue };
        let region = Region::of(s);
        let meets = |tier: Tier| {
            entries.iter().position(|o| {
                o.tier == tier
                    && o.direction == e.direction
                    && matches!(&o.subject, Subject::Endpoints(t) if Region::of(t).meets(&region))
            })
        };
        let (message, other) = if let Some(n) = meets(Tier::Normal) {
            (
                format!("flows this Pass rule matches skip the rest of the {} tier and are decided by the namespace policies selecting these pods, such as {}; where those do not allow them, default deny drops them", e.tier.as_str(), rule_name(f, &entries[n])),
                Some(n),
            )
        } else if let Some(b) = meets(Tier::Baseline).filter(|_| e.tier == Tier::Admin) {
            (
                format!("no namespace policy selects these pods, so flows this Pass rule matches go on to the Baseline tier, such as {}", rule_name(f, &entries[b])),
                Some(b),
            )
        } else {
            ("no later policy selects these pods: flows this Pass rule matches are allowed (a ClusterNetworkPolicy never puts pods into default deny)".to_owned(), None)
        };
        let hint = "Pass hands the decision to the next tier; use Deny or Accept to decide here".to_owned();
        match other {
            Some(o) => f.pair_finding(Code::PassChain, i, o, message, hint),
            None => {
                let info = f.policy(e);
                f.at_policy(Code::PassChain, info, e.origin.span, &e.origin.path, message, hint);
            }
        }
    }
}

/// Findings read from the manifests themselves: `enableDefaultDeny` for a
/// direction without rules (§3.1) and policyTypes against the rules (§1.5).
fn model_rules(f: &mut Finder<'_>) {
    let docs = &f.analysis.parsed.documents;
    let policies = &f.analysis.lowered.policies;
    for info in policies {
        // Documents are in index order.
        let Ok(at) = docs.binary_search_by_key(&info.document, |d| d.index) else {
            continue;
        };
        let doc = &docs[at];
        match &doc.manifest {
            Manifest::CiliumNetworkPolicy(p) | Manifest::CiliumClusterwideNetworkPolicy(p) => {
                for (path, rule) in p.rules() {
                    let Some(config) = &rule.enable_default_deny else {
                        continue;
                    };
                    for (direction, flag, lists) in [
                        (
                            Direction::Ingress,
                            &config.value.ingress,
                            [&rule.ingress, &rule.ingress_deny],
                        ),
                        (
                            Direction::Egress,
                            &config.value.egress,
                            [&rule.egress, &rule.egress_deny],
                        ),
                    ] {
                        let Some(flag) = flag else { continue };
                        let empty = lists.iter().all(|l| l.as_ref().is_none_or(|l| l.value.is_empty()));
                        if flag.value && empty {
                            let dir = direction.as_str();
                            f.at_policy(
                                Code::DefaultDenyWithoutRules,
                                info,
                                flag.span,
                                &format!("{path}.enableDefaultDeny.{dir}"),
                                format!("`enableDefaultDeny.{dir}: true` does nothing here: this rule has no {dir} rules, and Cilium only applies default deny for directions a rule has rules for (§3.1)"),
                                format!("to put the pods into {dir} default deny without allowing anything, write `{dir}: [{{}}]` (an empty rule allows nothing in a CiliumNetworkPolicy, §2.14); otherwise remove the setting"),
                            );
                        }
                    }
                }
            }
            Manifest::NetworkPolicy(np) => {
                let Some(spec) = &np.spec else { continue };
                let Some(types) = &spec.value.policy_types else {
                    continue;
                };
                let has = |t: PolicyType| types.value.iter().any(|x| x.value == t);
                for (t, list, field) in [
                    (PolicyType::Ingress, &spec.value.ingress, "ingress"),
                    (PolicyType::Egress, &spec.value.egress, "egress"),
                ] {
                    let Some(list) = list else { continue };
                    if has(t) || list.value.is_empty() {
                        continue;
                    }
                    f.at_policy(
                        Code::PolicyTypesMismatch,
                        info,
                        list.span,
                        &format!("spec.{field}"),
                        format!("`policyTypes` leaves out {}, yet the policy has {field} rules: Kubernetes (and Calico, Azure NPM) ignore them, Cilium enforces them (§1.5), so the policy means different things on different clusters", if t == PolicyType::Ingress { "Ingress" } else { "Egress" }),
                        format!("add `{}` to policyTypes, or remove the {field} rules", if t == PolicyType::Ingress { "Ingress" } else { "Egress" }),
                    );
                }
            }
            _ => {}
        }
    }
}
