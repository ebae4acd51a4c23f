//! CiliumNetworkPolicy ↔ CiliumClusterwideNetworkPolicy. Both kinds are the
//! same rule (§2.13: "internally identical"); what differs is the namespace
//! Cilium injects, so converting means writing that injection out:
//!
//! - a CNP's subject is in its namespace, and so are its endpoint peers that
//!   name no namespace (nor namespace labels); `reserved:` peers are untouched;
//! - a CCNP's subject is anywhere, and its endpoint peers are pods of any
//!   namespace (`io.kubernetes.pod.namespace Exists`).
//!
//! A CCNP becomes one CNP per namespace its subject can select; a subject
//! that is not a pod (host policies, reserved identities) has no CNP form.

use super::build::{label_map, list, metadata, parts, requirement, s, selector, sp};
use super::names::{clusterwide_name, namespaced_name};
use super::Ctx;
use crate::cluster::{NAMESPACE, NAMESPACE_LABELS};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{CiliumPolicy, Kind, LabelSelector, List, Manifest, Operator, PeerRule, Rule};

pub fn to_clusterwide(ctx: &mut Ctx, policy: &CiliumPolicy) {
    let namespace = policy.metadata.namespace().unwrap_or("default").to_owned();
    let name = policy.metadata.name().unwrap_or("policy").to_owned();
    let mut rules = Vec::new();
    for (_, rule) in policy.rules() {
        let mut rule = rule.value.clone();
        if let Some(subject) = &rule.endpoint_selector {
            // §2.13: the subject's namespace is always the policy's, whatever it says.
            let (mut labels, mut expressions) = parts(subject);
            labels.retain(|(k, _)| bare(k) != NAMESPACE);
            expressions.retain(|r| bare(&r.key.value) != NAMESPACE);
            labels.push((NAMESPACE.to_owned(), namespace.clone()));
            rule.endpoint_selector = Some(sp(selector(label_map(labels), expressions)));
        }
        map_peers(&mut rule, |peer| pin_to(peer, &namespace), &namespace);
        rules.push(rule);
    }
    let converted = CiliumPolicy {
        metadata: sp(metadata(
            &policy.metadata,
            clusterwide_name(&namespace, &name),
            None,
            super::describe(ctx.document),
        )),
        ..with_rules(policy, rules)
    };
    ctx.push(
        Kind::CiliumClusterwideNetworkPolicy,
        Manifest::CiliumClusterwideNetworkPolicy(converted),
    );
}

pub fn to_namespaced(ctx: &mut Ctx, policy: &CiliumPolicy) {
    let name = policy.metadata.name().unwrap_or("policy");
    for (path, rule) in policy.rules() {
        if rule.endpoint_selector.is_none() && rule.node_selector.is_some() {
            let span = rule.node_selector.as_ref().map_or(rule.span, |n| n.span);
            ctx.loss(
                span,
                format!("{path}.nodeSelector"),
                "left out: a host policy (nodeSelector) has no CiliumNetworkPolicy form",
                Some("keep host policies as CiliumClusterwideNetworkPolicy"),
            );
        }
        if let Some(subject) = &rule.endpoint_selector {
            if subject.keys().any(|k| k.value.starts_with("reserved:")) {
                ctx.loss(
                    subject.span,
                    format!("{path}.endpointSelector"),
                    "left out: a subject selecting reserved identities is not a pod a CiliumNetworkPolicy can select",
                    Some("keep this rule in a CiliumClusterwideNetworkPolicy"),
                );
            }
        }
    }
    if ctx.namespaces.is_empty() {
        let mut d = Diagnostic::new(
            Code::NeedsNamespace,
            ctx.document.span,
            format!(
                "{} selects pods in any namespace, and the input names no namespace it could select",
                super::describe(ctx.document)
            ),
        )
        .with_hint("pass --namespace NS[,NS...], or add the Namespace (or Pod) manifests to the input");
        d.document = Some(ctx.document.index);
        ctx.out.diagnostics.push(d);
        return;
    }
    let namespaces = ctx.namespaces.to_vec();
    for namespace in namespaces {
        let mut rules = Vec::new();
        for (_, rule) in policy.rules() {
            let pod_subject = rule
                .endpoint_selector
                .as_ref()
                .is_some_and(|s| !s.keys().any(|k| k.value.starts_with("reserved:")));
            if !pod_subject {
                continue;
            }
            let mut rule = rule.value.clone();
            if let Some(subject) = &rule.endpoint_selector {
                // The namespace is injected now (§2.13); this CNP is the part in `namespace`.
                let (mut labels, mut expressions) = parts(subject);
                labels.retain(|(k, _)| bare(k) != NAMESPACE);
                expressions.retain(|r| bare(&r.key.value) != NAMESPACE);
                rule.endpoint_selector = Some(sp(selector(label_map(labels), expressions)));
            }
            map_peers(&mut rule, |peer| any_namespace(peer, &namespace), "default");
            rules.push(rule);
        }
        if rules.is_empty() {
            continue;
        }
        let converted = CiliumPolicy {
            metadata: sp(metadata(
                &policy.metadata,
                namespaced_name(name, &namespace),
                Some(namespace.clone()),
                super::describe(ctx.document),
            )),
            ..with_rules(policy, rules)
        };
        ctx.push(Kind::CiliumNetworkPolicy, Manifest::CiliumNetworkPolicy(converted));
    }
}

/// The policy with its rules replaced: `spec` for one rule, `specs` for several.
fn with_rules(policy: &CiliumPolicy, mut rules: Vec<Rule>) -> CiliumPolicy {
    let single = policy.specs.is_none() && rules.len() == 1;
    CiliumPolicy {
        metadata: policy.metadata.clone(),
        spec: if single { rules.pop().map(sp) } else { None },
        specs: (!single && !rules.is_empty()).then(|| list(rules)),
    }
}

/// The key without its source prefix (`k8s:app` → `app`).
fn bare(key: &str) -> &str {
    crate::ir::split_source(key).1
}

fn mentions_namespace(selector: &LabelSelector) -> bool {
    selector.keys().any(|k| {
        let key = bare(&k.value);
        key == NAMESPACE || key.starts_with(NAMESPACE_LABELS)
    })
}

fn mentions_namespace_labels(selector: &LabelSelector) -> bool {
    selector.keys().any(|k| bare(&k.value).starts_with(NAMESPACE_LABELS))
}

fn is_reserved(selector: &LabelSelector) -> bool {
    selector.keys().any(|k| k.value.starts_with("reserved:"))
}

/// Applies `f` to every endpoint peer selector of every section, and
/// writes out the namespace a `toServices` item without one means in the
/// source kind (the policy's for a CNP, `default` for a CCNP).
fn map_peers(rule: &mut Rule, f: impl Fn(&LabelSelector) -> LabelSelector + Copy, service_namespace: &str) {
    let sections: [&mut Option<List<PeerRule>>; 4] = [
        &mut rule.ingress,
        &mut rule.ingress_deny,
        &mut rule.egress,
        &mut rule.egress_deny,
    ];
    for section in sections.into_iter().flatten() {
        for peer_rule in section.value.iter_mut() {
            if let Some(endpoints) = &mut peer_rule.value.endpoints {
                for selector in endpoints.value.iter_mut() {
                    selector.value = f(&selector.value);
                }
            }
            for service in peer_rule.value.services.iter_mut().flat_map(|l| l.value.iter_mut()) {
                if let Some(named) = &mut service.value.k8s_service {
                    if named.namespace.is_none() {
                        named.value.namespace = Some(s(service_namespace));
                    }
                }
            }
        }
    }
}

/// A CNP peer as a CCNP must spell it: in the policy's namespace unless it
/// names one (§2.13).
fn pin_to(peer: &LabelSelector, namespace: &str) -> LabelSelector {
    if is_reserved(peer) || mentions_namespace(peer) {
        return peer.clone();
    }
    let (mut labels, expressions) = parts(peer);
    labels.push((NAMESPACE.to_owned(), namespace.to_owned()));
    selector(label_map(labels), expressions)
}

/// A CCNP peer as a CNP must spell it: pods of any namespace (§2.13), so
/// the CNP's own namespace is not injected.
fn any_namespace(peer: &LabelSelector, namespace: &str) -> LabelSelector {
    if is_reserved(peer) {
        return peer.clone();
    }
    let (mut labels, mut expressions) = parts(peer);
    let own = labels.iter().any(|(k, v)| bare(k) == NAMESPACE && v == namespace);
    if own && !mentions_namespace_labels(peer) {
        // Pods of the CNP's own namespace: what Cilium injects anyway.
        labels.retain(|(k, _)| bare(k) != NAMESPACE);
        return selector(label_map(labels), expressions);
    }
    let pinned = labels.iter().any(|(k, _)| bare(k) == NAMESPACE)
        || expressions
            .iter()
            .any(|r| bare(&r.key.value) == NAMESPACE && r.operator.value == Operator::Exists);
    if !pinned {
        expressions.insert(0, requirement(NAMESPACE, Operator::Exists, Vec::new()));
    }
    selector(label_map(labels), expressions)
}
