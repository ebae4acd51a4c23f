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
use crate::model::{
    CiliumPolicy, Direction, Kind, LabelSelector, List, Manifest, Operator, PeerKind, PeerRule, Rule, Spanned,
};
use crate::source::Span;

pub fn to_clusterwide(ctx: &mut Ctx, policy: &CiliumPolicy) {
    let namespace = ctx.source_namespace(&policy.metadata);
    let name = policy.metadata.name().unwrap_or("policy").to_owned();
    let mut rules = Vec::new();
    for (path, rule) in policy.rules() {
        let mut rule = rule.value.clone();
        if let Some(subject) = &rule.endpoint_selector {
            // §2.13: the subject's namespace is always the policy's, whatever it says.
            let (mut labels, mut expressions) = parts(subject);
            labels.retain(|(k, _)| bare(k) != NAMESPACE);
            expressions.retain(|r| bare(&r.key.value) != NAMESPACE);
            labels.push((NAMESPACE.to_owned(), namespace.clone()));
            rule.endpoint_selector = Some(sp(selector(label_map(labels), expressions)));
        }
        non_pod_peers(ctx, &rule, &path);
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
    let selects_pods = policy.rules().any(|(_, rule)| {
        rule.endpoint_selector
            .as_ref()
            .is_some_and(|s| !s.keys().any(|k| k.value.starts_with("reserved:")))
    });
    if !selects_pods {
        // Host policies and reserved subjects: said above, nothing to place.
        return;
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
    for (path, rule) in policy.rules() {
        if let Some(subject) = &rule.endpoint_selector {
            left_out_namespaces(ctx, subject, &format!("{path}.endpointSelector"), &namespaces);
        }
    }
    for namespace in namespaces {
        let mut rules = Vec::new();
        for (_, rule) in policy.rules() {
            let pod_subject = rule
                .endpoint_selector
                .as_ref()
                .is_some_and(|s| !s.keys().any(|k| k.value.starts_with("reserved:")));
            // The namespaces come from `--namespace` when it is given: a
            // subject that excludes this one selects nothing here (writing it
            // without its namespace requirement would select this
            // namespace's pods, which the source never did).
            let here = rule
                .endpoint_selector
                .as_ref()
                .is_some_and(|s| namespace_terms(s).iter().all(|t| t.holds_for(&namespace)));
            if !pod_subject || !here {
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
    // Only when nothing else is said about the namespace: with another
    // namespace requirement beside it (`In [other]`, or a second label
    // under another source, `k8s:io.kubernetes.pod.namespace: other`),
    // taking them out would lose that one, which may exclude this namespace.
    let namespace_terms = labels.iter().filter(|(k, _)| bare(k) == NAMESPACE).count()
        + expressions.iter().filter(|r| bare(&r.key.value) == NAMESPACE).count();
    if own && namespace_terms == 1 && !mentions_namespace_labels(peer) {
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

/// The label Kubernetes puts on every namespace, holding its name.
const METADATA_NAME: &str = "kubernetes.io/metadata.name";

/// A requirement of a subject on the namespace's name: on
/// `io.kubernetes.pod.namespace` or on the namespace label
/// `kubernetes.io/metadata.name`, which the API server sets to the name.
struct NameTerm {
    operator: Operator,
    values: Vec<String>,
}

impl NameTerm {
    fn holds_for(&self, namespace: &str) -> bool {
        let named = self.values.iter().any(|v| v == namespace);
        match self.operator {
            Operator::In => named,
            Operator::NotIn => !named,
            Operator::Exists => true,
            Operator::DoesNotExist => false,
        }
    }
}

fn namespace_terms(selector: &LabelSelector) -> Vec<NameTerm> {
    let names_namespace = |key: &str| {
        let key = bare(key);
        key == NAMESPACE || key.strip_prefix(NAMESPACE_LABELS) == Some(METADATA_NAME)
    };
    let labels = selector
        .match_labels
        .iter()
        .flat_map(|m| m.iter())
        .filter(|(k, _)| names_namespace(k))
        .map(|(_, v)| NameTerm {
            operator: Operator::In,
            values: vec![v.to_owned()],
        });
    let expressions = selector
        .match_expressions
        .iter()
        .flat_map(|l| l.iter())
        .filter(|r| names_namespace(&r.key.value))
        .map(|r| NameTerm {
            operator: r.operator.value,
            values: r
                .values
                .iter()
                .flat_map(|v| v.iter().map(|x| x.value.clone()))
                .collect(),
        });
    labels.chain(expressions).collect()
}

/// Reports the namespaces a subject names outright (`io.kubernetes.pod.namespace:
/// X`, `In [X, Y]`) that are not among those the policy is written for (they
/// come from `--namespace`): their pods lose the policy. Subjects that do not
/// name their namespaces are reported by the driver (namespaces created later).
fn left_out_namespaces(ctx: &mut Ctx, subject: &Spanned<LabelSelector>, path: &str, namespaces: &[String]) {
    let terms = namespace_terms(subject);
    let Some(named) = terms.iter().find(|t| t.operator == Operator::In) else {
        return;
    };
    let missing: Vec<&str> = named
        .values
        .iter()
        .filter(|n| terms.iter().all(|t| t.holds_for(n)) && !namespaces.contains(*n))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        ctx.loss(
            subject.span,
            path,
            format!(
                "left out: this subject selects pods of the namespace(s) {}, which are not among the namespaces it \
                 is written for ({}); their pods lose this rule",
                missing.join(", "),
                namespaces.join(", ")
            ),
            Some("add them to --namespace, or keep the policy clusterwide"),
        );
    }
}

/// §2.13: a CNP peer that names namespaces (or namespace labels) gets no
/// namespace injected, so unless it requires a namespace (or a namespace
/// label) it also matches identities that are not pods: nodes, Cilium's
/// reserved identities (`io.kubernetes.pod.namespace NotIn [x]` or
/// `DoesNotExist` holds for them). A CCNP peer always gets
/// `io.kubernetes.pod.namespace Exists` (unless it has a `reserved:` key), so
/// those are lost; reported (cautiously: also when a pod label it requires
/// is one no node carries).
fn non_pod_peers(ctx: &mut Ctx, rule: &Rule, path: &str) {
    for (direction, _, field, section) in rule.sections() {
        for (i, peer_rule) in section.iter().flat_map(|l| l.iter()).enumerate() {
            for (j, peer) in peer_rule.endpoints.iter().flat_map(|l| l.iter()).enumerate() {
                if is_reserved(peer) || !mentions_namespace(peer) || requires_namespace(peer) {
                    continue;
                }
                let at = format!("{path}.{field}[{i}].{}[{j}]", PeerKind::Endpoints.field(direction));
                report_non_pod(ctx, peer.span, at, direction);
            }
        }
    }
}

fn report_non_pod(ctx: &mut Ctx, span: Span, path: String, direction: Direction) {
    let (peers, verb) = match direction {
        Direction::Ingress => ("sources", "from"),
        Direction::Egress => ("destinations", "to"),
    };
    ctx.loss(
        span,
        path,
        format!(
            "partly converted: this peer names namespaces only by exclusion, so besides pods it matches nodes and \
             Cilium's reserved identities; a CiliumClusterwideNetworkPolicy peer is always limited to pods (Cilium \
             adds `{NAMESPACE} Exists`, §2.13), so the output no longer matches those {peers}"
        ),
        Some(&format!(
            "allow or deny traffic {verb} nodes and reserved identities with entities (`host`, `remote-node`...) in a \
             separate rule"
        )),
    );
}

/// Whether only pods meet the selector: it requires the namespace or a
/// namespace label (`In`, `Exists` or a matchLabels entry).
fn requires_namespace(selector: &LabelSelector) -> bool {
    let about_namespace = |key: &str| {
        let key = bare(key);
        key == NAMESPACE || key.starts_with(NAMESPACE_LABELS)
    };
    selector
        .match_labels
        .iter()
        .flat_map(|m| m.iter())
        .any(|(k, _)| about_namespace(k))
        || selector
            .match_expressions
            .iter()
            .flat_map(|l| l.iter())
            .any(|r| about_namespace(&r.key.value) && matches!(r.operator.value, Operator::In | Operator::Exists))
}
