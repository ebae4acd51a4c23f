//! NetworkPolicy → entries, as `pkg/k8s/network_policy.go` translates it
//! (cilium-semantics §1.3–§1.6).

use super::ports::{k8s_selector, knp_port};
use super::Ctx;
use crate::ir::{
    is_cilium_derived, Origin, Peer, PolicyEntry, PortRule, Selector, SelectorKey, Source, Subject, Tier, Verdict, L3,
};
use crate::model::{Direction, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyRule, PolicyType, Spanned};
use crate::source::Span;

pub const NAMESPACE: &str = "io.kubernetes.pod.namespace";
pub const NAMESPACE_LABELS: &str = "io.cilium.k8s.namespace.labels.";
pub const CLUSTER: &str = "io.cilium.k8s.policy.cluster";

pub(super) fn lower(ctx: &mut Ctx, policy: &NetworkPolicy) {
    let namespace = policy.metadata.namespace().unwrap_or("default").to_owned();
    let spec = policy.spec.as_ref();
    let spec_span = spec.map_or(policy.metadata.span, |s| s.span);
    // §1.3: the pod selector in the k8s source, plus the policy's namespace.
    let mut subject = pod_selector(
        spec.and_then(|s| s.pod_selector.as_ref()).map(|s| &s.value),
        ctx.profile.is_cilium(),
    );
    subject.set_label(SelectorKey::new(Source::K8s, NAMESPACE), namespace.clone());
    let cluster = ctx.profile.local_cluster().map(str::to_owned);
    let cilium = ctx.profile.is_cilium();

    let types: Vec<PolicyType> = spec
        .and_then(|s| s.policy_types.as_ref())
        .map(|t| t.iter().map(|t| t.value).collect())
        .unwrap_or_default();
    // Cilium consults policyTypes only for default deny (§1.5); Kubernetes
    // ignores the rules of a direction that explicit policyTypes leave out.
    let honoured = |t: PolicyType| ctx.profile.is_cilium() || types.is_empty() || types.contains(&t);
    let mut produced = [false, false];
    for (direction, rules) in [
        (
            Direction::Ingress,
            spec.and_then(|s| s.ingress.as_ref())
                .filter(|_| honoured(PolicyType::Ingress)),
        ),
        (
            Direction::Egress,
            spec.and_then(|s| s.egress.as_ref())
                .filter(|_| honoured(PolicyType::Egress)),
        ),
    ] {
        let (field, peers_field) = match direction {
            Direction::Ingress => ("ingress", "from"),
            Direction::Egress => ("egress", "to"),
        };
        for (i, rule) in rules.iter().flat_map(|l| l.iter()).enumerate() {
            let path = format!("spec.{field}[{i}]");
            for (l3, peer_path, span) in rule_peers(rule, &namespace, cluster.as_deref(), cilium, &path, peers_field) {
                ctx.entries.push(entry(
                    ctx.policy,
                    &subject,
                    direction,
                    l3,
                    ports(rule),
                    peer_path,
                    span,
                    Some(i),
                ));
                produced[direction as usize] = true;
            }
        }
    }
    // §1.5: default deny from policyTypes.
    let ingress_dd = !produced[0] && (types.contains(&PolicyType::Ingress) || !types.contains(&PolicyType::Egress));
    let egress_dd = !produced[1] && types.contains(&PolicyType::Egress);
    for (direction, wanted) in [(Direction::Ingress, ingress_dd), (Direction::Egress, egress_dd)] {
        if wanted {
            ctx.entries.push(entry(
                ctx.policy,
                &subject,
                direction,
                L3::Nothing,
                Vec::new(),
                "spec".to_owned(),
                spec_span,
                None,
            ));
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn entry(
    policy: usize,
    subject: &Selector,
    direction: Direction,
    l3: L3,
    l4: Vec<PortRule>,
    path: String,
    span: Span,
    rule: Option<usize>,
) -> PolicyEntry {
    PolicyEntry {
        subject: Subject::Endpoints(subject.clone()),
        direction,
        verdict: Verdict::Allow,
        l3,
        l4,
        default_deny: true,
        tier: Tier::Normal,
        priority: 0.0,
        origin: Origin {
            policy,
            path,
            span,
            rule,
        },
    }
}

fn ports(rule: &Spanned<NetworkPolicyRule>) -> Vec<PortRule> {
    rule.ports.iter().flat_map(|l| l.iter()).map(|p| knp_port(p)).collect()
}

/// §1.5: `from`/`to` missing or `[]` is one wildcard entry; otherwise one
/// entry per peer. Returns (L3, path, span) per entry.
fn rule_peers(
    rule: &Spanned<NetworkPolicyRule>,
    namespace: &str,
    cluster: Option<&str>,
    cilium: bool,
    path: &str,
    peers_field: &str,
) -> Vec<(L3, String, Span)> {
    match &rule.peers {
        Some(peers) if !peers.is_empty() => peers
            .iter()
            .enumerate()
            .map(|(j, p)| {
                (
                    L3::Peers(vec![peer(p, namespace, cluster, cilium)]),
                    format!("{path}.{peers_field}[{j}]"),
                    p.span,
                )
            })
            .collect(),
        _ => vec![(
            L3::Peers(vec![Peer::Selector(Selector::wildcard())]),
            path.to_owned(),
            rule.span,
        )],
    }
}

/// A NetworkPolicy pod selector in the `k8s` source. Under Kubernetes' own
/// semantics a requirement on a key Cilium derives (the namespace, the
/// service account...) is about a label the pod itself carries, so it is
/// kept apart from the derived labels (see [`Source::pod_label`]).
fn pod_selector(selector: Option<&crate::model::LabelSelector>, cilium: bool) -> Selector {
    let mut s = k8s_selector(selector, "");
    if !cilium {
        let rekey = |k: &mut SelectorKey| {
            if is_cilium_derived(&k.key) {
                k.source = Source::pod_label();
            }
        };
        s.match_labels.iter_mut().for_each(|(k, _)| rekey(k));
        s.expressions.iter_mut().for_each(|(k, _, _)| rekey(k));
        crate::sort::sort(&mut s.match_labels);
    }
    s
}

/// §1.4 `parseNetworkPolicyPeer`.
pub(super) fn peer(peer: &NetworkPolicyPeer, namespace: &str, cluster: Option<&str>, cilium: bool) -> Peer {
    if let Some(block) = &peer.ip_block {
        let cidr = block.cidr.as_ref().and_then(|c| c.value.parse().ok());
        let except = block
            .except
            .iter()
            .flat_map(|l| l.iter())
            .filter_map(|e| e.value.parse().ok())
            .collect();
        return match cidr {
            Some(cidr) => Peer::Cidr { cidr, except },
            None => Peer::Unresolved("an ipBlock without a valid cidr".to_owned()),
        };
    }
    let mut selector = pod_selector(peer.pod_selector.as_ref().map(|s| &s.value), cilium);
    if let Some(cluster) = cluster {
        if !selector.mentions(CLUSTER) {
            selector.add_label(SelectorKey::new(Source::K8s, CLUSTER), cluster);
        }
    }
    match &peer.namespace_selector {
        Some(ns) => {
            let ns_selector = k8s_selector(Some(&ns.value), NAMESPACE_LABELS);
            if ns_selector.is_wildcard() {
                // `namespaceSelector: {}`: every namespace (not reserved identities).
                selector.expressions.insert(
                    0,
                    (SelectorKey::new(Source::K8s, NAMESPACE), crate::ir::Op::Exists, vec![]),
                );
            } else {
                for (k, v) in ns_selector.match_labels {
                    selector.add_label(k, v);
                }
                let mut expressions = ns_selector.expressions;
                expressions.append(&mut selector.expressions);
                selector.expressions = expressions;
            }
        }
        // Cilium sets the namespace over any the pod selector names.
        None => selector.set_label(SelectorKey::new(Source::K8s, NAMESPACE), namespace),
    }
    Peer::Selector(selector)
}
