//! Companion CiliumNetworkPolicies: rules a NetworkPolicy cannot write
//! (entities), and what Azure NPM allowed without any rule (peers-and-aks
//! §1.1 items 4 and 5).
//!
//! A companion only ever selects pods that a NetworkPolicy already
//! isolates in the companion's direction: a CiliumNetworkPolicy with rules
//! in a direction puts the pods it selects into default deny there, so
//! selecting any other pod would take flows away instead of restoring them.

use super::peers::{single_ports, subject};
use super::{Ctx, Plan, Why};
use crate::convert::build::{s, sp};
use crate::model::{
    Direction, Document, Entity, IntOrString, LabelEntry, LabelMap, LabelSelector, List, Manifest, NetworkPolicy,
    NetworkPolicyPort, PeerRule, PolicyType, PortProtocol, PortRule, Protocol, Service,
};

/// Cilium refuses more than this many ports in one `toPorts` item (§2.12).
const MAX_PORTS: usize = 40;

/// A rule admitting `entities` on `ports` (all ports when `None`).
pub(super) fn entity_rule(entities: &[Entity], ports: Option<List<PortRule>>) -> PeerRule {
    PeerRule {
        entities: Some(sp(entities.iter().copied().map(sp).collect())),
        to_ports: ports,
        ..PeerRule::default()
    }
}

/// A NetworkPolicy rule's ports as `toPorts` (§1.6: TCP when no protocol,
/// `0` for every port, `endPort` kept or written out like the rule's own).
pub(super) fn to_ports(ports: Option<&List<NetworkPolicyPort>>, expand: bool) -> Option<List<PortRule>> {
    let ports = ports.filter(|p| !p.is_empty())?;
    let mut out = Vec::new();
    for p in ports.iter() {
        let singles = if expand && p.end_port.is_some() {
            single_ports(p)
        } else {
            None
        };
        for p in singles.unwrap_or_else(|| vec![p.value.clone()]) {
            out.push(sp(PortProtocol {
                port: Some(s(match p.port.as_ref().map(|p| &p.value) {
                    Some(IntOrString::Int(n)) => n.to_string(),
                    Some(IntOrString::Str(name)) => name.clone(),
                    None => "0".to_owned(),
                })),
                end_port: p.end_port.clone(),
                protocol: Some(sp(p.protocol.as_ref().map_or(Protocol::Tcp, |p| p.value))),
            }));
        }
    }
    Some(sp(out
        .chunks(MAX_PORTS)
        .map(|chunk| {
            sp(PortRule {
                ports: Some(sp(chunk.to_vec())),
                ..PortRule::default()
            })
        })
        .collect()))
}

/// Whether the policy isolates its pods in `direction` (the API server's
/// defaulting of `policyTypes`: Ingress always, Egress with egress rules).
pub(super) fn isolates(policy: &NetworkPolicy, direction: Direction) -> bool {
    let Some(spec) = policy.spec.as_ref() else {
        return direction == Direction::Ingress;
    };
    match &spec.policy_types {
        Some(types) => types.iter().any(|t| {
            t.value
                == match direction {
                    Direction::Ingress => PolicyType::Ingress,
                    Direction::Egress => PolicyType::Egress,
                }
        }),
        None => match direction {
            Direction::Ingress => true,
            Direction::Egress => spec.egress.as_ref().is_some_and(|e| !e.is_empty()),
        },
    }
}

/// Whether some rule of `direction` admits every peer on every port.
fn allows_everything(policy: &NetworkPolicy, direction: Direction) -> bool {
    let rules = policy.spec.as_ref().and_then(|s| match direction {
        Direction::Ingress => s.ingress.as_ref(),
        Direction::Egress => s.egress.as_ref(),
    });
    rules
        .iter()
        .flat_map(|l| l.iter())
        .any(|r| r.peers.as_ref().is_none_or(|p| p.is_empty()) && r.ports.as_ref().is_none_or(|p| p.is_empty()))
}

/// Azure NPM's two exceptions, made explicit for the pods the policies isolate.
pub(super) fn azure_npm(ctx: &Ctx, plan: &mut Plan) {
    let policies: Vec<(&Document, &NetworkPolicy)> = ctx
        .sides
        .after
        .parsed
        .documents
        .iter()
        .filter(|d| !ctx.refused.contains(&d.index))
        .filter_map(|d| match &d.manifest {
            Manifest::NetworkPolicy(p) => Some((d, p)),
            _ => None,
        })
        .collect();
    for &(document, policy) in &policies {
        if ctx.node_egress_lost.contains(&document.index) {
            node_egress(ctx, document, policy, plan);
        }
    }
    for service_document in &ctx.sides.after.parsed.documents {
        if !ctx.external_ingress_lost.contains(&service_document.index) {
            continue;
        }
        if let Manifest::Service(service) = &service_document.manifest {
            for &(document, policy) in &policies {
                external_ingress(ctx, service_document, service, document, policy, plan);
            }
        }
    }
}

/// NPM never blocks a pod's egress to its own node; Cilium does.
fn node_egress(ctx: &Ctx, document: &Document, policy: &NetworkPolicy, plan: &mut Plan) {
    if !isolates(policy, Direction::Egress) || allows_everything(policy, Direction::Egress) {
        return;
    }
    let spec = policy.spec.as_ref();
    let (span, path) = match spec.and_then(|s| s.policy_types.as_ref()) {
        Some(t) => (t.span, "spec.policyTypes"),
        None => match spec.and_then(|s| s.egress.as_ref()) {
            Some(e) => (e.span, "spec.egress"),
            None => (document.span, "spec"),
        },
    };
    let companion = plan.companion(ctx, document, "aks-nodes");
    let name = companion.name.clone();
    let pods = subject(policy);
    // Already there when the node range was restored on every port.
    let host_on_every_port = companion.rules.iter().any(|(s, _, egress)| {
        *s == pods
            && egress.iter().any(|r| {
                r.to_ports.is_none()
                    && r.entities
                        .as_ref()
                        .is_some_and(|e| e.iter().any(|e| e.value == Entity::Host))
            })
    });
    if host_on_every_port {
        return;
    }
    companion.add(
        &pods,
        Direction::Egress,
        entity_rule(&[Entity::Host], None),
        Why {
            document: document.index,
            span,
            path: path.to_owned(),
            reason: format!(
                "Azure NPM always allows a pod's egress to its own node, whatever the policies say; Cilium does \
                 not (AKS migration guide): the CiliumNetworkPolicy `{name}` allows `toEntities: [host]` for the \
                 pods this policy isolates for egress."
            ),
        },
    );
}

/// NPM does not enforce ingress that arrives through a LoadBalancer or
/// NodePort Service with `externalTrafficPolicy: Cluster`; Cilium does.
fn external_ingress(
    ctx: &Ctx,
    service_document: &Document,
    service: &Service,
    document: &Document,
    policy: &NetworkPolicy,
    plan: &mut Plan,
) {
    let service_type = service.service_type.as_ref().map_or("ClusterIP", |t| t.value.as_str());
    let traffic_policy = service
        .external_traffic_policy
        .as_ref()
        .map_or("Cluster", |t| t.value.as_str());
    let Some(selector) = service.selector.as_ref().filter(|s| !s.is_empty()) else {
        return;
    };
    if !matches!(service_type, "LoadBalancer" | "NodePort") || traffic_policy == "Local" {
        return;
    }
    let namespace = service.metadata.namespace().unwrap_or("default");
    if policy.metadata.namespace().unwrap_or("default") != namespace
        || !isolates(policy, Direction::Ingress)
        || allows_everything(policy, Direction::Ingress)
    {
        return;
    }
    let Some(pods) = both(&subject(policy), selector) else {
        return;
    };
    let ports: Vec<_> = service
        .ports
        .iter()
        .filter_map(|p| {
            let target = match p.target_port.as_ref().map(|t| &t.value) {
                Some(IntOrString::Int(n)) => n.to_string(),
                Some(IntOrString::Str(name)) => name.clone(),
                None => p.port.as_ref()?.value.to_string(),
            };
            Some(sp(PortProtocol {
                port: Some(s(target)),
                end_port: None,
                protocol: Some(sp(p.protocol.as_ref().map_or(Protocol::Tcp, |p| p.value))),
            }))
        })
        .collect();
    if ports.is_empty() {
        return;
    }
    let to_ports = sp(ports
        .chunks(MAX_PORTS)
        .map(|c| {
            sp(PortRule {
                ports: Some(sp(c.to_vec())),
                ..PortRule::default()
            })
        })
        .collect());
    let (span, path) = match (&service.external_traffic_policy, &service.service_type) {
        (Some(e), _) => (e.span, "spec.externalTrafficPolicy"),
        (None, Some(t)) => (t.span, "spec.type"),
        (None, None) => (service_document.span, ""),
    };
    let policy_name = crate::convert::describe(document);
    let companion = plan.companion(ctx, document, "aks-external");
    let name = companion.name.clone();
    companion.add(
        &pods,
        Direction::Ingress,
        entity_rule(&[Entity::World, Entity::RemoteNode], Some(to_ports)),
        Why {
            document: service_document.index,
            span,
            path: path.to_owned(),
            reason: format!(
                "Azure NPM does not enforce ingress on traffic that arrives through the {service_type} Service \
                 {namespace}/{} (externalTrafficPolicy: Cluster), so {policy_name} never applied to it; Cilium \
                 does. The CiliumNetworkPolicy `{name}` admits every outside address and node on the Service's \
                 target ports, as NPM did: narrow `fromEntities: [world]` to the clients you expect (fromCIDRSet), \
                 or use externalTrafficPolicy: Local.",
                service.metadata.name().unwrap_or("")
            ),
        },
    );
}

/// The pods both a policy's podSelector and a Service's selector select,
/// as one selector; `None` when they cannot meet (a key with two values).
fn both(pods: &LabelSelector, service: &LabelMap) -> Option<LabelSelector> {
    let mut entries: Vec<LabelEntry> = pods.match_labels.iter().flat_map(|m| m.entries.clone()).collect();
    for (k, v) in service.iter() {
        match entries.iter().find(|e| e.key.value == k) {
            Some(e) if e.value.value != v => return None,
            Some(_) => {}
            None => entries.push(LabelEntry { key: s(k), value: s(v) }),
        }
    }
    Some(LabelSelector {
        match_labels: Some(sp(LabelMap::new(entries))),
        match_expressions: pods.match_expressions.clone(),
    })
}
