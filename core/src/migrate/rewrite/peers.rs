//! A NetworkPolicy's ipBlock peers and port ranges, read against the
//! cluster's ranges: what Cilium will not match by address any more
//! (cilium-semantics §3.6) and what replaces it.
//!
//! - Pods: selectors. A block holding every pod range gets the peer
//!   `namespaceSelector: {}`; one holding part of it gets selectors for the
//!   Pods given with addresses there, when they can be told apart by labels.
//! - Nodes and the API server: entities, which only a CiliumNetworkPolicy
//!   can name ([`super::companion`]).
//! - `endPort`, which AKS documents as honoured from Cilium 1.17 on: short
//!   ranges become single ports.

use ipnet::IpNet;

use super::companion::{entity_rule, to_ports};
use super::{not_restored, Change, Ctx, Narrowed, Plan, Why};
use crate::cluster::EndpointKind;
use crate::convert::build::{label_map, selector, sp};
use crate::migrate::ranges::{covers, Coverage};
use crate::model::{
    Direction, Document, Entity, IntOrString, LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicyRule,
};
use crate::profile::{identity_relevant, ProfileKind};

/// The longest `endPort` range written out as single ports.
pub(super) const MAX_EXPANDED_PORTS: i64 = 16;

/// Plans the changes for one NetworkPolicy.
pub(super) fn plan(ctx: &Ctx, document: &Document, policy: &NetworkPolicy, plan: &mut Plan) {
    let Some(spec) = policy.spec.as_ref() else { return };
    let sections = [
        (Direction::Ingress, "ingress", "from", spec.ingress.as_ref()),
        (Direction::Egress, "egress", "to", spec.egress.as_ref()),
    ];
    for (direction, section, peers_key, rules) in sections {
        for (r, rule) in rules.iter().flat_map(|l| l.iter()).enumerate() {
            let at = RuleAt {
                document,
                policy,
                direction,
                rule: r,
                path: format!("spec.{section}[{r}]"),
                peers_key,
            };
            blocks(ctx, &at, rule, plan);
            end_ports(ctx, &at, rule, plan);
        }
    }
}

/// Where a rule is.
struct RuleAt<'a> {
    document: &'a Document,
    policy: &'a NetworkPolicy,
    direction: Direction,
    rule: usize,
    path: String,
    peers_key: &'static str,
}

impl RuleAt<'_> {
    fn to_or_from(&self) -> &'static str {
        match self.direction {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }
}

/// The ipBlock peers of one rule.
fn blocks(ctx: &Ctx, at: &RuleAt, rule: &NetworkPolicyRule, plan: &mut Plan) {
    let Some(peers) = rule.peers.as_ref() else { return };
    // The rule already admits every pod: nothing to add for pods.
    let mut all_pods = peers.iter().any(|p| selects_all_pods(p));
    for (p, peer) in peers.iter().enumerate() {
        let Some(block) = peer.ip_block.as_ref() else { continue };
        let Some(cidr) = block.cidr.as_ref().and_then(|c| c.value.parse::<IpNet>().ok()) else {
            continue;
        };
        let except: Vec<IpNet> = block
            .except
            .iter()
            .flat_map(|e| e.iter())
            .filter_map(|e| e.value.parse::<IpNet>().ok())
            .map(|n| n.trunc())
            .collect();
        let coverage = Coverage::of(cidr.trunc(), &except, ctx.profile);
        if coverage.is_external() {
            continue;
        }
        let written = block.cidr.as_ref().map_or(String::new(), |c| c.value.clone());
        let path = format!("{}.{}[{p}].ipBlock", at.path, at.peers_key);
        let why = |reason: String| Why {
            document: at.document.index,
            span: block.span,
            path: path.clone(),
            reason,
        };
        if !coverage.pods.is_empty() {
            if whole_family(&coverage.pods, &ctx.profile.pod_cidrs) {
                if !all_pods {
                    all_pods = true;
                    // §1.4: `namespaceSelector: {}` alone becomes
                    // `io.kubernetes.pod.namespace Exists`, every pod of
                    // every namespace; the FAQ's second peer,
                    // `podSelector: {}`, selects this namespace's pods, a
                    // subset, and would change nothing.
                    let every_pod = NetworkPolicyPeer {
                        namespace_selector: Some(sp(LabelSelector::default())),
                        ..NetworkPolicyPeer::default()
                    };
                    plan.change(
                        at.document.index,
                        Change::AddPeers {
                            direction: at.direction,
                            rule: at.rule,
                            after: p,
                            peers: vec![every_pod],
                        },
                        why(format!(
                            "Cilium never matches pod addresses with an ipBlock (cilium-semantics §3.6), and \
                             `{written}` holds every pod range ({}): the peer `namespaceSelector: {{}}` selects \
                             every pod of every namespace instead (§1.4; the AKS FAQ also adds `podSelector: {{}}`, \
                             which selects only this namespace's pods and adds nothing).",
                            list(&ctx.profile.pod_cidrs)
                        )),
                    );
                }
            } else {
                narrow(ctx, at, p, &written, &coverage, &why, plan);
            }
        }
        if !coverage.nodes.is_empty() && ctx.nodes_lost.contains(&(at.document.index, format!("{path}.cidr"))) {
            nodes(ctx, at, rule, &written, &coverage, &why, plan);
        }
        if !coverage.api_server.is_empty() {
            api_server(ctx, at, rule, &written, &coverage, &why, plan);
        }
    }
}

/// Whether `part` holds every range of `ranges` of one address family:
/// every pod (or node) has an address of each family the cluster's ranges
/// have, so a dual-stack block of one family alone still reaches them all.
fn whole_family(part: &[IpNet], ranges: &[IpNet]) -> bool {
    [true, false].into_iter().any(|v4| {
        let family: Vec<&IpNet> = ranges.iter().filter(|r| matches!(r, IpNet::V4(_)) == v4).collect();
        !family.is_empty() && family.iter().all(|r| covers(part, r))
    })
}

/// `namespaceSelector: {}` without podSelector (or with `{}`).
fn selects_all_pods(peer: &NetworkPolicyPeer) -> bool {
    peer.ip_block.is_none()
        && peer.namespace_selector.as_ref().is_some_and(|n| n.is_empty())
        && peer.pod_selector.as_ref().is_none_or(|p| p.is_empty())
}

/// A pod as the selectors see it.
struct KnownPod {
    name: String,
    namespace: String,
    labels: Vec<(String, String)>,
    /// Its address lies in the block's pod part.
    inside: bool,
}

/// Part of the pod range: selectors for the Pods given with addresses in it.
fn narrow(
    ctx: &Ctx,
    at: &RuleAt,
    p: usize,
    written: &str,
    coverage: &Coverage,
    why: &dyn Fn(String) -> Why,
    plan: &mut Plan,
) {
    let filter = ctx.profile.identity_label_filter;
    let pods: Vec<KnownPod> = ctx
        .sides
        .after
        .cluster
        .endpoints
        .iter()
        .filter(|e| e.is_pod() && e.remote_cluster.is_none())
        .map(|e| KnownPod {
            name: e.name.clone(),
            namespace: e.namespace.clone().unwrap_or_else(|| "default".to_owned()),
            labels: e
                .pod_labels
                .iter()
                .filter(|(k, _)| !filter || identity_relevant(k))
                .cloned()
                .collect(),
            inside: e.kind == EndpointKind::Pod && e.ips.iter().any(|ip| coverage.pods.iter().any(|n| n.contains(ip))),
        })
        .collect();
    let inside: Vec<&KnownPod> = pods.iter().filter(|k| k.inside).collect();
    let part = list(&coverage.pods);
    if inside.is_empty() {
        plan.unrestored.push(not_restored(
            at.document.index,
            why(String::new()).span,
            &why(String::new()).path,
            format!(
                "`{written}` holds part of the pod range ({part}), which Cilium does not match by address, and no \
                 Pod given has an address there (status.podIP): it cannot be mapped to selectors, so flows \
                 {} pods there are denied under Cilium",
                at.to_or_from()
            ),
            "add the cluster's Pods (kubectl get pods -A -o yaml) so the pods there can be selected by labels, or \
             add podSelector/namespaceSelector peers by hand",
        ));
        return;
    }
    let policy_namespace = at.policy.metadata.namespace().unwrap_or("default");
    let mut added: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let mut peers = Vec::new();
    let mut names = Vec::new();
    for pod in &inside {
        let key = (pod.namespace.clone(), pod.labels.clone());
        if added.contains(&key) {
            names.push(pod.name.clone());
            continue;
        }
        // Exact only if no pod outside the range has these labels there.
        let also: Vec<&str> = pods
            .iter()
            .filter(|o| !o.inside && o.namespace == pod.namespace && pod.labels.iter().all(|l| o.labels.contains(l)))
            .map(|o| o.name.as_str())
            .collect();
        if !also.is_empty() {
            plan.unrestored.push(not_restored(
                at.document.index,
                why(String::new()).span,
                &why(String::new()).path,
                format!(
                    "`{written}` holds the address of {}, but its labels also select {} outside the range: no \
                     selector admits exactly the pods there",
                    pod.name,
                    also.join(", ")
                ),
                "give the pods in the range a label of their own and select it",
            ));
            continue;
        }
        let pods_by_labels = selector(label_map(pod.labels.iter().cloned()), Vec::new());
        let namespace_selector = (pod.namespace != policy_namespace).then(|| {
            sp(selector(
                label_map([("kubernetes.io/metadata.name", pod.namespace.as_str())]),
                Vec::new(),
            ))
        });
        peers.push(NetworkPolicyPeer {
            pod_selector: Some(sp(pods_by_labels)),
            namespace_selector,
            ip_block: None,
        });
        names.push(pod.name.clone());
        added.push(key);
    }
    if peers.is_empty() {
        return;
    }
    plan.narrowed.push(Narrowed {
        ranges: coverage.pods.clone(),
        selectors: added,
    });
    plan.change(
        at.document.index,
        Change::AddPeers {
            direction: at.direction,
            rule: at.rule,
            after: p,
            peers,
        },
        why(format!(
            "Cilium never matches pod addresses with an ipBlock (cilium-semantics §3.6): `{written}` holds part of \
             the pod range ({part}), where the Pods given have {} ({}); they are selected by their namespace and \
             labels instead. This is exact for the pods given: a pod created later with the same labels is \
             admitted wherever its address, one with other labels is not.",
            if names.len() == 1 { "one pod" } else { "these pods" },
            names.join(", ")
        )),
    );
}

/// Node addresses: `host` and `remote-node`, or nothing exact.
fn nodes(
    ctx: &Ctx,
    at: &RuleAt,
    rule: &NetworkPolicyRule,
    written: &str,
    coverage: &Coverage,
    why: &dyn Fn(String) -> Why,
    plan: &mut Plan,
) {
    let field = if at.direction == Direction::Egress {
        "toEntities"
    } else {
        "fromEntities"
    };
    if !whole_family(&coverage.nodes, &ctx.profile.node_cidrs) {
        let d = why(String::new());
        plan.unrestored.push(not_restored(
            at.document.index,
            d.span,
            &d.path,
            format!(
                "`{written}` holds part of the node range ({} of {}), which Cilium does not match by address; AKS \
                 cannot select nodes by address or by label (fromNodes/toNodes need enable-node-selector-labels, \
                 which AKS does not set), and `{field}: [host, remote-node]` would also admit every node outside \
                 it: flows {} those nodes are denied under Cilium",
                list(&coverage.nodes),
                list(&ctx.profile.node_cidrs),
                at.to_or_from()
            ),
            "decide whether all nodes may be admitted (then add the companion CiliumNetworkPolicy with host and \
             remote-node by hand) or none",
        ));
        return;
    }
    let expand = expands_end_ports(ctx);
    let entities = [Entity::Host, Entity::RemoteNode];
    let companion = plan.companion(ctx, at.document, "aks-nodes");
    let name = companion.name.clone();
    let subject = subject(at.policy);
    companion.add(
        &subject,
        at.direction,
        entity_rule(&entities, to_ports(rule.ports.as_ref(), expand)),
        why(format!(
            "Cilium never matches node addresses with an ipBlock, and AKS allows no setting that changes it \
             (cilium-semantics §3.6; AKS FAQ: a NetworkPolicy cannot allow node IPs): `{written}` holds every node \
             range ({}), so the CiliumNetworkPolicy `{name}` admits `{field}: [host, remote-node]` on the rule's \
             ports for the same pods.",
            list(&ctx.profile.node_cidrs)
        )),
    );
}

/// API server addresses: the `kube-apiserver` entity.
fn api_server(
    ctx: &Ctx,
    at: &RuleAt,
    rule: &NetworkPolicyRule,
    written: &str,
    coverage: &Coverage,
    why: &dyn Fn(String) -> Why,
    plan: &mut Plan,
) {
    let expand = expands_end_ports(ctx);
    let companion = plan.companion(ctx, at.document, "aks-nodes");
    let name = companion.name.clone();
    let field = if at.direction == Direction::Egress {
        "toEntities"
    } else {
        "fromEntities"
    };
    let subject = subject(at.policy);
    companion.add(
        &subject,
        at.direction,
        entity_rule(&[Entity::KubeApiserver], to_ports(rule.ports.as_ref(), expand)),
        why(format!(
            "`{written}` holds the API server's addresses ({}), which Cilium gives the `kube-apiserver` identity \
             that CIDR rules do not match: the CiliumNetworkPolicy `{name}` admits `{field}: [kube-apiserver]` on \
             the rule's ports (the engine does not model the API server, so the proof does not cover this part).",
            list(&coverage.api_server)
        )),
    );
    if at.direction == Direction::Ingress {
        let d = why(String::new());
        plan.unrestored.push(not_restored(
            at.document.index,
            d.span,
            &d.path,
            format!(
                "`{written}` admits the API server ({}) in, and `fromEntities: [kube-apiserver]` may not work for \
                 ingress on AKS (cilium-semantics §2.11): traffic from the API server (webhooks, kubectl \
                 exec/port-forward through konnectivity) may be denied",
                list(&coverage.api_server)
            ),
            "test the API server's calls to these pods after the move",
        ));
    }
}

/// The pods a NetworkPolicy selects, as a CiliumNetworkPolicy's endpointSelector.
pub(super) fn subject(policy: &NetworkPolicy) -> LabelSelector {
    policy
        .spec
        .as_ref()
        .and_then(|s| s.pod_selector.as_ref())
        .map(|s| s.value.clone())
        .unwrap_or_default()
}

/// Whether `endPort` has to be written out: AKS documents it as honoured
/// from Cilium 1.17 on (peers-and-aks §1.1).
pub(super) fn expands_end_ports(ctx: &Ctx) -> bool {
    ctx.profile.kind == ProfileKind::Aks && !ctx.profile.cilium_version.at_least(1, 17)
}

/// A port range as single ports, if short enough.
pub(super) fn single_ports(port: &NetworkPolicyPort) -> Option<Vec<NetworkPolicyPort>> {
    let Some(IntOrString::Int(first)) = port.port.as_ref().map(|p| &p.value) else {
        return None;
    };
    let last = port.end_port.as_ref()?.value;
    if last < *first || last - first + 1 > MAX_EXPANDED_PORTS {
        return None;
    }
    Some(
        (*first..=last)
            .map(|n| NetworkPolicyPort {
                protocol: port.protocol.clone(),
                port: Some(sp(IntOrString::Int(n))),
                end_port: None,
            })
            .collect(),
    )
}

/// `endPort` ranges of one rule on AKS before Cilium 1.17.
fn end_ports(ctx: &Ctx, at: &RuleAt, rule: &NetworkPolicyRule, plan: &mut Plan) {
    if !expands_end_ports(ctx) {
        return;
    }
    for (k, port) in rule.ports.iter().flat_map(|l| l.iter()).enumerate() {
        let (Some(end), Some(start)) = (port.end_port.as_ref(), port.port.as_ref()) else {
            continue;
        };
        // `endPort` equal to `port` is one port either way.
        if matches!(start.value, IntOrString::Int(n) if n == end.value) {
            continue;
        }
        let path = format!("{}.ports[{k}].endPort", at.path);
        let version = ctx.profile.cilium_version;
        match single_ports(port) {
            Some(ports) => plan.change(
                at.document.index,
                Change::ExpandPort {
                    direction: at.direction,
                    rule: at.rule,
                    port: k,
                    ports,
                },
                Why {
                    document: at.document.index,
                    span: end.span,
                    path,
                    reason: format!(
                        "AKS honours `endPort` from Cilium 1.17 on and this cluster runs Cilium {version}: the \
                         range {start}-{} is written as single ports.",
                        end.value,
                        start = start.value
                    ),
                },
            ),
            None => plan.unrestored.push(not_restored(
                at.document.index,
                end.span,
                &path,
                format!(
                    "AKS honours `endPort` from Cilium 1.17 on and this cluster runs Cilium {version}: the range \
                     {}-{} is too long to write as single ports (at most {MAX_EXPANDED_PORTS}), so only its first \
                     port would be allowed",
                    start.value, end.value
                ),
                "move to a Kubernetes version whose AKS Cilium is 1.17 or newer before migrating, or split the \
                 range by hand",
            )),
        }
    }
}

/// `10.244.0.0/16, fd00::/64`.
pub(super) fn list(nets: &[IpNet]) -> String {
    nets.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ")
}
