//! ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2) → Cilium's kinds,
//! where Cilium's semantics have an equivalent (cilium-semantics §3.5).
//!
//! The rules themselves translate field for field, mirroring how Cilium
//! lowers a ClusterNetworkPolicy (`ir/lower/kcnp.rs`):
//!
//! - subject `namespaces: S` is S with the `io.cilium.k8s.namespace.labels.`
//!   prefix (`{}`: `io.kubernetes.pod.namespace Exists`, pods only); `pods`
//!   is its namespace part and its pod part in one selector;
//! - Accept is an allow rule, Deny a deny rule; every rule is written with
//!   `enableDefaultDeny: false`, because a ClusterNetworkPolicy never puts
//!   pods into default deny (§3.5) and Cilium's rules otherwise would (§2.14);
//! - peers: `namespaces` and `pods` are endpoint selectors (a `namespaces`
//!   peer matches every cluster, so it says so with `io.cilium.k8s.policy.cluster
//!   Exists`, which keeps Cilium from pinning it to the local one, §2.13);
//!   `nodes` are `toNodes` (other nodes) plus the local node by its labels
//!   (`reserved:host` with `node:` keys: Cilium's `nodes` include it, `toNodes`
//!   does not); `networks` are `toCIDR`; `domainNames` are `toFQDNs` plus the
//!   DNS rule Cilium adds for them (kube-dns on its named ports `dns` and
//!   `dns-tcp`, with the names as DNS rules, `*.x` written `**.x`);
//! - protocols are ports; `destinationNamedPort` is a named port of ANY.
//!
//! What does not translate is the order. A ClusterNetworkPolicy is decided
//! rule by rule, in tiers (Admin before every NetworkPolicy and Cilium
//! policy, Baseline after them) and by priority; Cilium's policies are all
//! one level where a deny beats every allow (§3.2, §3.8). So:
//!
//! - Admin Deny is exact: a Cilium deny also beats every allow of its level.
//! - Admin Accept is not: it overrides the denies of CiliumNetworkPolicies
//!   (and of lower-priority rules); as an allow, it loses to them.
//! - Baseline Accept is exact: like a Cilium allow it beats a NetworkPolicy's
//!   default deny and loses to any deny of the Normal level.
//! - Baseline Deny is not: it applies only where no NetworkPolicy or Cilium
//!   policy decided; as a Cilium deny it overrides their allows.
//! - Pass (skip the rest of the tier) has no Cilium form at all.
//! - Within the policy, a later Deny that overlaps an earlier Accept or Pass,
//!   or a later Accept that overlaps an earlier Pass, was shadowed in part:
//!   in the output, deny wins and the Pass is gone.
//!
//! Each of these is reported once, at the tier or at the rule.

use ipnet::IpNet;

use super::build::{label_map, list, metadata, requirement, s, selector, sp};
use super::Ctx;
use crate::cluster::{NAMESPACE, NAMESPACE_LABELS};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{
    Action, CiliumPolicy, ClusterNetworkPolicy, ClusterNetworkPolicyPeer, ClusterNetworkPolicyRule, DefaultDenyConfig,
    Direction, Entity, FqdnSelector, Kind, L7Rules, LabelSelector, Manifest, NamespacedPod, Operator, PeerRule,
    PortProtocol, PortRule, Protocol, Rule, Spanned, Tier,
};
use crate::source::Span;

/// The label Kubernetes puts on every namespace, holding its name.
const METADATA_NAME: &str = "kubernetes.io/metadata.name";
/// The label of the cluster a pod is in (§1.2).
const CLUSTER_LABEL: &str = "io.cilium.k8s.policy.cluster";
/// Cilium refuses more than this many ports in one `toPorts` item (§2.12).
const MAX_PORTS: usize = 40;

const KEEP_HINT: &str =
    "keep this policy as a ClusterNetworkPolicy (Cilium 1.20+ with --enable-k8s-cluster-network-policy)";

pub fn convert(ctx: &mut Ctx, policy: &ClusterNetworkPolicy) {
    let name = policy.metadata.name().unwrap_or("policy").to_owned();
    let Some(spec) = &policy.spec else {
        ctx.note(
            ctx.document.span,
            "spec",
            "not converted: without `spec` the policy selects nothing",
        );
        return;
    };
    let Some(subject) = spec.subject.as_ref().and_then(|s| {
        s.namespaces
            .as_ref()
            .map(|n| Subject::namespaces(&n.value))
            .or_else(|| s.pods.as_ref().map(|p| Subject::pods(&p.value)))
    }) else {
        ctx.note(
            spec.span,
            "spec.subject",
            "not converted: without a subject Cilium applies none of the rules",
        );
        return;
    };
    let tier = spec.tier.as_ref().map_or(Tier::Admin, |t| t.value);
    let tier_span = spec.tier.as_ref().map_or(spec.span, |t| t.span);

    let mut rule = Rule::default();
    let mut accepts = false;
    let mut denies = false;
    let mut named = false;
    for (direction, field, rules) in [
        (Direction::Ingress, "ingress", spec.ingress.as_ref()),
        (Direction::Egress, "egress", spec.egress.as_ref()),
    ] {
        let mut decided: Vec<(usize, Effective, Footprint)> = Vec::new();
        let mut allow = Vec::new();
        let mut deny = Vec::new();
        for (i, r) in rules.iter().flat_map(|l| l.iter()).enumerate() {
            let path = format!("spec.{field}[{i}]");
            named |= r.name.is_some();
            let Some(action) = r.action.as_ref() else {
                ctx.note(
                    r.span,
                    &path,
                    "not converted: a rule without `action` is skipped by Cilium",
                );
                continue;
            };
            let converted = convert_rule(ctx, r, &path, direction);
            let fails_closed = converted.peer_rules.is_empty();
            let mut footprint = converted.footprint;
            if fails_closed {
                let ports = footprint.parts.first().and_then(|(_, ports)| ports.clone());
                footprint.parts = vec![(vec![Atom::All], ports)];
            }
            let effective = match (action.value, fails_closed) {
                (Action::Accept, true) => {
                    ctx.note(
                        r.span,
                        &path,
                        "not converted: none of this Accept rule's peers selects anything, and Cilium skips such a \
                         rule (§3.5)",
                    );
                    continue;
                }
                (Action::Accept, false) => {
                    allow.extend(converted.peer_rules);
                    allow.extend(converted.dns);
                    Effective::Accept
                }
                (Action::Deny, false) => {
                    deny.extend(converted.peer_rules);
                    Effective::Deny
                }
                (Action::Pass, false) => {
                    let skipped = match tier {
                        Tier::Admin => {
                            "the lower-priority Admin rules (of this and other policies) and let NetworkPolicies and \
                             Cilium policies decide"
                        }
                        Tier::Baseline => "the lower-priority Baseline rules (of this and other policies)",
                    };
                    ctx.loss(
                        action.span,
                        format!("{path}.action"),
                        format!(
                            "left out: Cilium's policies have no Pass action; the output leaves these flows to the \
                             other rules, where Pass skipped {skipped} (§3.5)"
                        ),
                        Some(KEEP_HINT),
                    );
                    Effective::Pass
                }
                (Action::Deny | Action::Pass, true) => {
                    // §3.5: a peer with nothing identifiable fails closed.
                    ctx.note(
                        r.span,
                        &path,
                        "none of this rule's peers selects anything, so Cilium denies everything on its ports \
                         (§3.5): written as a deny from the entity `all`",
                    );
                    deny.push(PeerRule {
                        entities: Some(sp(vec![sp(Entity::All)])),
                        to_ports: converted.ports.clone(),
                        ..PeerRule::default()
                    });
                    Effective::Deny
                }
            };
            accepts |= effective == Effective::Accept;
            denies |= effective == Effective::Deny;
            order(ctx, &decided, effective, &footprint, r.span, field, &path);
            decided.push((i, effective, footprint));
        }
        let (allow_slot, deny_slot) = match direction {
            Direction::Ingress => (&mut rule.ingress, &mut rule.ingress_deny),
            Direction::Egress => (&mut rule.egress, &mut rule.egress_deny),
        };
        *allow_slot = (!allow.is_empty()).then(|| list(allow));
        *deny_slot = (!deny.is_empty()).then(|| list(deny));
    }
    if rule.sections().iter().all(|(_, _, _, l)| l.is_none()) {
        return;
    }
    match tier {
        Tier::Admin if accepts => ctx.loss(
            tier_span,
            "spec.tier",
            "left out: the Admin tier and the priority; Cilium's policies have neither, so these Accept rules now \
             rank with every NetworkPolicy and Cilium policy, and a deny rule of any of them (or of another \
             converted ClusterNetworkPolicy) now overrides them, where the Admin tier accepted first (§3.5)",
            Some(KEEP_HINT),
        ),
        Tier::Baseline if denies => ctx.loss(
            tier_span,
            "spec.tier",
            "left out: the Baseline tier and the priority; Cilium's policies have neither, so these Deny rules now \
             override what NetworkPolicies and Cilium policies allow, where the Baseline tier applied only to flows \
             none of them decided (§3.5)",
            Some(KEEP_HINT),
        ),
        _ => {}
    }
    if named {
        ctx.note(
            spec.span,
            "spec",
            "rule names are not kept: Cilium's rules have none (they change no verdict)",
        );
    }
    let has = |l: &Option<crate::model::List<PeerRule>>| l.is_some().then(|| sp(false));
    let default_deny = DefaultDenyConfig {
        ingress: has(&rule.ingress).or_else(|| has(&rule.ingress_deny)),
        egress: has(&rule.egress).or_else(|| has(&rule.egress_deny)),
    };
    ctx.note(
        spec.span,
        "spec",
        "written with `enableDefaultDeny: false`: a ClusterNetworkPolicy never puts pods into default deny (§3.5); \
         Cilium honours it unless the agent runs with enable-non-default-deny-policies=false",
    );
    rule.enable_default_deny = Some(sp(default_deny));
    let provenance = super::describe(ctx.document);
    match ctx.target {
        super::Target::Ccnp => {
            rule.endpoint_selector = Some(sp(subject.clusterwide()));
            let ccnp = CiliumPolicy {
                metadata: sp(metadata(&policy.metadata, name, None, provenance)),
                spec: Some(sp(rule)),
                specs: None,
            };
            ctx.push(
                Kind::CiliumClusterwideNetworkPolicy,
                Manifest::CiliumClusterwideNetworkPolicy(ccnp),
            );
        }
        _ => {
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
            let namespaces: Vec<String> = ctx.namespaces.to_vec();
            let subject_span = spec.subject.as_ref().map_or(spec.span, |s| s.span);
            subject.left_out_namespaces(ctx, subject_span, &namespaces);
            for namespace in &namespaces {
                let Some(endpoints) = subject.in_namespace(namespace) else {
                    continue;
                };
                let mut rule = rule.clone();
                rule.endpoint_selector = Some(sp(endpoints));
                let cnp = CiliumPolicy {
                    metadata: sp(metadata(
                        &policy.metadata,
                        name.clone(),
                        Some(namespace.clone()),
                        provenance.clone(),
                    )),
                    spec: Some(sp(rule)),
                    specs: None,
                };
                ctx.push(Kind::CiliumNetworkPolicy, Manifest::CiliumNetworkPolicy(cnp));
            }
        }
    }
}

/// How a rule takes part in the order of its direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Effective {
    Accept,
    Deny,
    Pass,
}

impl Effective {
    const fn as_str(self) -> &'static str {
        match self {
            Effective::Accept => "Accept",
            Effective::Deny => "Deny",
            Effective::Pass => "Pass",
        }
    }
}

/// Reports a rule when an earlier rule of the same direction shadowed part
/// of it in the source and no longer does in the output.
fn order(
    ctx: &mut Ctx,
    earlier: &[(usize, Effective, Footprint)],
    action: Effective,
    footprint: &Footprint,
    span: Span,
    field: &str,
    path: &str,
) {
    let Some((first, before, _)) = earlier.iter().find(|(_, before, other)| {
        matches!(
            (before, action),
            (Effective::Accept, Effective::Deny) | (Effective::Pass, Effective::Deny | Effective::Accept)
        ) && footprint.overlaps(other)
    }) else {
        return;
    };
    let outcome = match (before, action) {
        (Effective::Accept, _) => "so the output denies flows both match, which the source accepted",
        (_, Effective::Deny) => "so the output denies flows both match, which the source passed on to the next tier",
        _ => {
            "so the output accepts flows both match, which the source passed on to the next tier (where a \
             NetworkPolicy's default deny or a deny rule may drop them)"
        }
    };
    ctx.loss(
        span,
        path,
        format!(
            "rule order lost: `spec.{field}[{first}]` ({}) comes first and overlaps this {} rule; a \
             ClusterNetworkPolicy lets the first matching rule decide, Cilium lets deny win and has no Pass, {outcome} \
             (§3.5, §3.8)",
            before.as_str(),
            action.as_str()
        ),
        Some(KEEP_HINT),
    );
}

// --- the subject -------------------------------------------------------------

/// A subject's requirements: on namespace labels (keys without prefix; an
/// empty list with `any_namespace` for `{}`) and on the pods' own labels.
struct Subject {
    namespace: LabelSelector,
    pod: LabelSelector,
}

impl Subject {
    fn namespaces(selector: &LabelSelector) -> Subject {
        Subject {
            namespace: selector.clone(),
            pod: LabelSelector::default(),
        }
    }

    fn pods(pods: &NamespacedPod) -> Subject {
        Subject {
            namespace: pods
                .namespace_selector
                .as_ref()
                .map(|s| s.value.clone())
                .unwrap_or_default(),
            pod: pods.pod_selector.as_ref().map(|s| s.value.clone()).unwrap_or_default(),
        }
    }

    /// The CCNP endpointSelector: §3.5 `namespaces()` plus the pod part.
    fn clusterwide(&self) -> LabelSelector {
        merge(&namespace_selector(&self.namespace), &self.pod)
    }

    /// Whether the subject's requirements on the namespace's name
    /// (`kubernetes.io/metadata.name`) hold for `namespace`.
    fn holds_for(&self, namespace: &str) -> bool {
        let (labels, expressions) = super::build::parts(&self.namespace);
        labels.iter().all(|(k, v)| k != METADATA_NAME || v == namespace)
            && expressions.iter().filter(|r| r.key.value == METADATA_NAME).all(|r| {
                let named = r.values.iter().flat_map(|v| v.iter()).any(|x| x.value == namespace);
                match r.operator.value {
                    Operator::In => named,
                    Operator::NotIn => !named,
                    Operator::Exists => true,
                    Operator::DoesNotExist => false,
                }
            })
    }

    /// Reports the namespaces the subject names outright
    /// (`kubernetes.io/metadata.name: X` or `In [X, Y]`) that the policy is
    /// not written for (`--namespace` left them out): their pods lose the
    /// policy. Subjects that do not name their namespaces are reported by
    /// the driver (namespaces created later).
    fn left_out_namespaces(&self, ctx: &mut Ctx, span: Span, namespaces: &[String]) {
        let (labels, expressions) = super::build::parts(&self.namespace);
        let named: Vec<String> = labels
            .into_iter()
            .find(|(k, _)| k == METADATA_NAME)
            .map(|(_, v)| vec![v])
            .or_else(|| {
                expressions
                    .iter()
                    .find(|r| r.key.value == METADATA_NAME && r.operator.value == Operator::In)
                    .map(|r| {
                        r.values
                            .iter()
                            .flat_map(|v| v.iter())
                            .map(|x| x.value.clone())
                            .collect()
                    })
            })
            .unwrap_or_default();
        let missing: Vec<String> = named
            .into_iter()
            .filter(|n| self.holds_for(n) && !namespaces.contains(n))
            .collect();
        if !missing.is_empty() {
            ctx.loss(
                span,
                "spec.subject",
                format!(
                    "left out: this subject selects pods of the namespace(s) {}, which are not among the namespaces \
                     it is written for ({}); their pods lose this policy",
                    missing.join(", "),
                    namespaces.join(", ")
                ),
                Some("add them to --namespace, or convert to a CiliumClusterwideNetworkPolicy"),
            );
        }
    }

    /// The CNP endpointSelector in `namespace` (where Cilium pins it, §2.13),
    /// or `None` when the namespace's name fails the subject. Requirements on
    /// other namespace labels stay: Cilium matches them on every pod.
    fn in_namespace(&self, namespace: &str) -> Option<LabelSelector> {
        let (labels, expressions) = super::build::parts(&self.namespace);
        let mut kept_labels = Vec::new();
        for (k, v) in labels {
            if k == METADATA_NAME {
                if v != namespace {
                    return None;
                }
            } else {
                kept_labels.push((format!("{NAMESPACE_LABELS}{k}"), v));
            }
        }
        let mut kept_expressions = Vec::new();
        for r in expressions {
            let values: Vec<String> = r
                .values
                .as_ref()
                .map(|v| v.iter().map(|x| x.value.clone()).collect())
                .unwrap_or_default();
            if r.key.value == METADATA_NAME {
                let holds = match r.operator.value {
                    Operator::In => values.iter().any(|v| v == namespace),
                    Operator::NotIn => !values.iter().any(|v| v == namespace),
                    Operator::Exists => true,
                    Operator::DoesNotExist => false,
                };
                if !holds {
                    return None;
                }
            } else {
                kept_expressions.push(requirement(
                    format!("{NAMESPACE_LABELS}{}", r.key.value),
                    r.operator.value,
                    values,
                ));
            }
        }
        Some(merge(&selector(label_map(kept_labels), kept_expressions), &self.pod))
    }
}

/// Namespace labels as a Cilium selector (§3.5 `namespaces()`): keys
/// prefixed, `{}` is every namespace's pods.
fn namespace_selector(namespaces: &LabelSelector) -> LabelSelector {
    if namespaces.is_empty() {
        return selector(
            label_map(Vec::<(String, String)>::new()),
            vec![requirement(NAMESPACE, Operator::Exists, Vec::new())],
        );
    }
    let (labels, expressions) = super::build::parts(namespaces);
    let labels: Vec<(String, String)> = labels
        .into_iter()
        .map(|(k, v)| (format!("{NAMESPACE_LABELS}{k}"), v))
        .collect();
    let expressions = expressions
        .into_iter()
        .map(|r| {
            let values = r
                .values
                .map(|v| v.value.into_iter().map(|x| x.value).collect())
                .unwrap_or_default();
            requirement(format!("{NAMESPACE_LABELS}{}", r.key.value), r.operator.value, values)
        })
        .collect();
    selector(label_map(labels), expressions)
}

/// Both selectors' requirements in one (namespace part first, as Cilium lists them).
fn merge(first: &LabelSelector, second: &LabelSelector) -> LabelSelector {
    let (mut labels, mut expressions) = super::build::parts(first);
    let (more_labels, more_expressions) = super::build::parts(second);
    for (k, v) in more_labels {
        if labels.iter().any(|(key, _)| *key == k) {
            expressions.push(requirement(k, Operator::In, vec![v]));
        } else {
            labels.push((k, v));
        }
    }
    expressions.extend(more_expressions);
    selector(label_map(labels), expressions)
}

// --- rules -------------------------------------------------------------------

/// One ClusterNetworkPolicy rule as Cilium rules (one per peer kind, §2.12).
struct Converted {
    peer_rules: Vec<PeerRule>,
    /// The DNS rule `domainNames` need (Accept only).
    dns: Option<PeerRule>,
    ports: Option<crate::model::List<PortRule>>,
    footprint: Footprint,
}

fn convert_rule(ctx: &mut Ctx, rule: &ClusterNetworkPolicyRule, path: &str, direction: Direction) -> Converted {
    let (ports, port_atoms) = protocols(rule);
    let mut endpoints = Vec::new();
    let mut nodes = Vec::new();
    let mut cidrs = Vec::new();
    let mut fqdns = Vec::new();
    let mut atoms = Vec::new();
    let peers_field = match direction {
        Direction::Ingress => "from",
        Direction::Egress => "to",
    };
    for (j, peer) in rule.peers.iter().flat_map(|l| l.iter()).enumerate() {
        let at = format!("{path}.{peers_field}[{j}]");
        convert_peer(
            ctx,
            peer,
            &at,
            &mut endpoints,
            &mut nodes,
            &mut cidrs,
            &mut fqdns,
            &mut atoms,
        );
    }
    let with_ports = |mut r: PeerRule| {
        r.to_ports = ports.clone();
        r
    };
    let mut peer_rules = Vec::new();
    if !endpoints.is_empty() {
        peer_rules.push(with_ports(PeerRule {
            endpoints: Some(list(endpoints)),
            ..PeerRule::default()
        }));
    }
    if !nodes.is_empty() {
        peer_rules.push(with_ports(PeerRule {
            nodes: Some(list(nodes)),
            ..PeerRule::default()
        }));
    }
    if !cidrs.is_empty() {
        peer_rules.push(with_ports(PeerRule {
            cidr: Some(sp(cidrs.into_iter().map(s).collect())),
            ..PeerRule::default()
        }));
    }
    let mut footprint = Footprint {
        parts: vec![(atoms, port_atoms)],
    };
    let accept = rule.action.as_ref().is_some_and(|a| a.value == Action::Accept);
    let mut dns = None;
    if !fqdns.is_empty() {
        if accept {
            dns = Some(dns_rule(&fqdns));
            footprint.parts.push((
                vec![Atom::Pods(vec![("k8s-app".to_owned(), "kube-dns".to_owned())])],
                Some(vec![PortAtom {
                    protocol: Protocol::Any,
                    range: None,
                }]),
            ));
        }
        peer_rules.push(with_ports(PeerRule {
            fqdns: Some(list(fqdns)),
            ..PeerRule::default()
        }));
    }
    Converted {
        peer_rules,
        dns,
        ports,
        footprint,
    }
}

#[allow(clippy::too_many_arguments)]
fn convert_peer(
    ctx: &mut Ctx,
    peer: &Spanned<ClusterNetworkPolicyPeer>,
    path: &str,
    endpoints: &mut Vec<LabelSelector>,
    nodes: &mut Vec<LabelSelector>,
    cidrs: &mut Vec<String>,
    fqdns: &mut Vec<FqdnSelector>,
    atoms: &mut Vec<Atom>,
) {
    // §3.5: Cilium selects a `namespaces` peer by the namespace labels
    // alone (`{}` gets `io.kubernetes.pod.namespace Exists`), and a `pods`
    // peer by those, the `k8s:` pod labels and the local cluster. Requiring
    // none of them (only `NotIn` / `DoesNotExist`), the selector also
    // matches identities without those labels. A `namespaces` peer then
    // matches nodes and addresses outside the cluster, where the output's
    // endpoint peer is kept to pods (a CCNP's gets `Exists`, §2.13) or to
    // the cluster (the `Exists` on the cluster written here); a `pods` peer
    // matches nodes, which a CNP peer with the same requirements matches
    // too, but a CCNP peer does not.
    let excludes_only = |n: &LabelSelector| !n.is_empty() && !requires_a_label(n);
    let lost = match (&peer.namespaces, &peer.pods) {
        (Some(n), _) => excludes_only(n),
        (_, Some(p)) => {
            ctx.target == super::Target::Ccnp
                && p.namespace_selector.as_ref().is_some_and(|n| excludes_only(n))
                && !p.pod_selector.as_ref().is_some_and(|s| requires_a_label(s))
        }
        _ => false,
    };
    if lost {
        ctx.loss(
            peer.span,
            path,
            "partly converted: this peer names namespaces only by exclusion, so Cilium's ClusterNetworkPolicy \
             selector also matches nodes (and, for `namespaces`, addresses outside the cluster), which the output's \
             endpoint selector does not",
            Some("require a namespace label (`In`, `Exists`) in the peer, or keep the ClusterNetworkPolicy"),
        );
    }
    if let Some(n) = &peer.namespaces {
        // K01: Cilium gives a `namespaces` peer no cluster requirement, so
        // it matches every cluster; an explicit one stops the injection.
        let mut s = namespace_selector(&n.value);
        let (labels, mut expressions) = super::build::parts(&s);
        expressions.push(requirement(CLUSTER_LABEL, Operator::Exists, Vec::new()));
        s = selector(label_map(labels), expressions);
        atoms.push(Atom::pods(&s));
        endpoints.push(s);
    }
    if let Some(p) = &peer.pods {
        let pod = p.pod_selector.as_ref().map(|s| s.value.clone()).unwrap_or_default();
        let namespaces = p
            .namespace_selector
            .as_ref()
            .map(|s| s.value.clone())
            .unwrap_or_default();
        // Cilium reads the pod labels as `k8s:` labels (§3.5). Written
        // without source they would be `any:` (§1.2) and also match node
        // labels: the same only where the namespace part keeps the peer to
        // pods (a CCNP's `Exists`, or a namespace label it requires).
        let pod = if namespaces.is_empty() || requires_a_label(&namespaces) {
            pod
        } else {
            with_source(&pod, "k8s:")
        };
        let s = merge(&namespace_selector(&namespaces), &pod);
        atoms.push(Atom::pods(&s));
        endpoints.push(s);
    }
    if let Some(n) = &peer.nodes {
        // §3.5 / K08: every node the selector matches, the local one included;
        // `toNodes` is the others (§2.13: + reserved:remote-node), the local
        // one is `reserved:host` with the same node labels.
        nodes.push(n.value.clone());
        let (labels, expressions) = super::build::parts(&n.value);
        let mut host_labels: Vec<(String, String)> = vec![("reserved:host".to_owned(), String::new())];
        host_labels.extend(labels.into_iter().map(|(k, v)| (format!("node:{k}"), v)));
        let host_expressions = expressions
            .into_iter()
            .map(|r| {
                let values = r
                    .values
                    .map(|v| v.value.into_iter().map(|x| x.value).collect())
                    .unwrap_or_default();
                requirement(format!("node:{}", r.key.value), r.operator.value, values)
            })
            .collect();
        endpoints.push(selector(label_map(host_labels), host_expressions));
        atoms.push(Atom::Nodes);
        ctx.note(
            n.span,
            format!("{path}.nodes"),
            "written as `toNodes` (the other nodes) and a `reserved:host` selector with the same node labels (the \
             local node), which together are the nodes Cilium's ClusterNetworkPolicy selects (§3.5)",
        );
    }
    for network in peer.networks.iter().flat_map(|l| l.iter()) {
        // The lowering leaves out what does not parse; validation reported it.
        if let Ok(net) = network.value.parse::<IpNet>() {
            atoms.push(Atom::Cidr(net));
            cidrs.push(network.value.clone());
        }
    }
    if let Some(names) = &peer.domain_names {
        for name in names.iter() {
            // `*.x` means any depth of subdomain: Cilium writes it `**.x` (§3.5).
            let fqdn = match name.value.strip_prefix("*.") {
                Some(rest) => FqdnSelector {
                    match_pattern: Some(s(format!("**.{rest}"))),
                    ..FqdnSelector::default()
                },
                None => FqdnSelector {
                    match_name: Some(s(name.value.clone())),
                    ..FqdnSelector::default()
                },
            };
            fqdns.push(fqdn);
            atoms.push(Atom::Fqdn);
        }
        if names.iter().any(|n| n.value.starts_with("*.")) {
            ctx.note(
                names.span,
                format!("{path}.domainNames"),
                "`*.NAME` written as the pattern `**.NAME`: both mean subdomains of any depth (§3.5)",
            );
        }
    }
}

/// The selector with `source` before every key.
fn with_source(written: &LabelSelector, source: &str) -> LabelSelector {
    let (labels, expressions) = super::build::parts(written);
    let labels: Vec<(String, String)> = labels.into_iter().map(|(k, v)| (format!("{source}{k}"), v)).collect();
    let expressions = expressions
        .into_iter()
        .map(|r| {
            let values = r
                .values
                .map(|v| v.value.into_iter().map(|x| x.value).collect())
                .unwrap_or_default();
            requirement(format!("{source}{}", r.key.value), r.operator.value, values)
        })
        .collect();
    selector(label_map(labels), expressions)
}

/// Whether the selector requires some label to be there (a matchLabels
/// entry, `In` or `Exists`), so that only identities carrying it match.
fn requires_a_label(selector: &LabelSelector) -> bool {
    selector.match_labels.as_ref().is_some_and(|m| !m.is_empty())
        || selector
            .match_expressions
            .iter()
            .flat_map(|l| l.iter())
            .any(|r| matches!(r.operator.value, Operator::In | Operator::Exists))
}

/// The allow Cilium adds for `domainNames` (§3.5, K10): DNS to kube-dns on
/// its named ports `dns` and `dns-tcp`, through the DNS proxy with the names
/// as rules. Cilium's selector is `k8s-app=kube-dns` alone; pinned to no
/// namespace and no cluster here, as Cilium's is.
fn dns_rule(fqdns: &[FqdnSelector]) -> PeerRule {
    let kube_dns = selector(
        label_map([("k8s-app", "kube-dns")]),
        vec![
            requirement(NAMESPACE, Operator::Exists, Vec::new()),
            requirement(CLUSTER_LABEL, Operator::Exists, Vec::new()),
        ],
    );
    let named = |name: &str| PortProtocol {
        port: Some(s(name)),
        end_port: None,
        protocol: Some(sp(Protocol::Any)),
    };
    PeerRule {
        endpoints: Some(list(vec![kube_dns])),
        to_ports: Some(list(vec![PortRule {
            ports: Some(list(vec![named("dns"), named("dns-tcp")])),
            rules: Some(sp(L7Rules {
                dns: Some(list(fqdns.to_vec())),
                ..L7Rules::default()
            })),
            ..PortRule::default()
        }])),
        ..PeerRule::default()
    }
}

/// `protocols` as `toPorts` (`None`: every port), and their footprint.
fn protocols(rule: &ClusterNetworkPolicyRule) -> (Option<crate::model::List<PortRule>>, Option<Vec<PortAtom>>) {
    let mut ports = Vec::new();
    let mut atoms = Vec::new();
    for p in rule.protocols.iter().flat_map(|l| l.iter()) {
        for (protocol, port) in [
            (Protocol::Tcp, &p.tcp),
            (Protocol::Udp, &p.udp),
            (Protocol::Sctp, &p.sctp),
        ] {
            let Some(port) = port else { continue };
            let Some(dest) = port.destination_port.as_ref() else {
                // Every port of the protocol.
                ports.push(PortProtocol {
                    port: Some(s("0")),
                    end_port: None,
                    protocol: Some(sp(protocol)),
                });
                atoms.push(PortAtom {
                    protocol,
                    range: Some((0, u16::MAX)),
                });
                continue;
            };
            let number = |n: &Spanned<i64>| u16::try_from(n.value).unwrap_or(0);
            if let Some(n) = &dest.number {
                let n = number(n);
                ports.push(PortProtocol {
                    port: Some(s(n.to_string())),
                    end_port: None,
                    protocol: Some(sp(protocol)),
                });
                atoms.push(PortAtom {
                    protocol,
                    range: Some(if n == 0 { (0, u16::MAX) } else { (n, n) }),
                });
            }
            if let Some(range) = &dest.range {
                let start = range.start.as_ref().map_or(0, number);
                let end = range.end.as_ref().map_or(0, number);
                ports.push(PortProtocol {
                    port: Some(s(start.to_string())),
                    end_port: (end > 0).then(|| sp(i64::from(end))),
                    protocol: Some(sp(protocol)),
                });
                atoms.push(PortAtom {
                    protocol,
                    range: Some(if start == 0 {
                        (0, u16::MAX)
                    } else {
                        (start, end.max(start))
                    }),
                });
            }
        }
        if let Some(name) = &p.destination_named_port {
            ports.push(PortProtocol {
                port: Some(s(name.value.clone())),
                end_port: None,
                protocol: Some(sp(Protocol::Any)),
            });
            atoms.push(PortAtom {
                protocol: Protocol::Any,
                range: None,
            });
        }
    }
    if ports.is_empty() {
        return (None, None);
    }
    let rules: Vec<PortRule> = ports
        .chunks(MAX_PORTS)
        .map(|chunk| PortRule {
            ports: Some(list(chunk.to_vec())),
            ..PortRule::default()
        })
        .collect();
    (Some(list(rules)), Some(atoms))
}

// --- overlap of rules ----------------------------------------------------------

/// What a rule matches, coarsely: (peers, ports) parts. Two rules are taken
/// to overlap unless this proves they cannot, so order losses are never
/// missed (a report may be cautious).
struct Footprint {
    /// `None` ports: every port.
    parts: Vec<(Vec<Atom>, Option<Vec<PortAtom>>)>,
}

enum Atom {
    /// Every peer (a rule that fails closed).
    All,
    /// Pods by selector: its matchLabels, which are all that is compared.
    Pods(Vec<(String, String)>),
    Nodes,
    Cidr(IpNet),
    Fqdn,
}

#[derive(Clone)]
struct PortAtom {
    protocol: Protocol,
    /// `None`: a named port (compared with nothing).
    range: Option<(u16, u16)>,
}

impl Atom {
    fn pods(selector: &LabelSelector) -> Atom {
        Atom::Pods(super::build::parts(selector).0)
    }

    fn overlaps(&self, other: &Atom) -> bool {
        match (self, other) {
            (Atom::All, _) | (_, Atom::All) => true,
            // Two matchLabels values for one key cannot both hold.
            (Atom::Pods(a), Atom::Pods(b)) => !a.iter().any(|(k, v)| b.iter().any(|(k2, v2)| k == k2 && v != v2)),
            (Atom::Cidr(a), Atom::Cidr(b)) => a.contains(&b.network()) || b.contains(&a.network()),
            // A CIDR may match pods and nodes (policy-cidr-match-mode, §3.6) and named hosts.
            (Atom::Cidr(_), _) | (_, Atom::Cidr(_)) => true,
            (Atom::Nodes, Atom::Nodes) | (Atom::Fqdn, Atom::Fqdn) => true,
            _ => false,
        }
    }
}

impl PortAtom {
    fn overlaps(&self, other: &PortAtom) -> bool {
        let protocols =
            self.protocol == other.protocol || self.protocol == Protocol::Any || other.protocol == Protocol::Any;
        protocols
            && match (self.range, other.range) {
                (Some((a, b)), Some((c, d))) => a <= d && c <= b,
                _ => true,
            }
    }
}

impl Footprint {
    fn overlaps(&self, other: &Footprint) -> bool {
        self.parts.iter().any(|(peers, ports)| {
            other.parts.iter().any(|(other_peers, other_ports)| {
                let l3 = peers.iter().any(|a| other_peers.iter().any(|b| a.overlaps(b)));
                let l4 = match (ports, other_ports) {
                    (Some(a), Some(b)) => a.iter().any(|x| b.iter().any(|y| x.overlaps(y))),
                    _ => true,
                };
                l3 && l4
            })
        })
    }
}
