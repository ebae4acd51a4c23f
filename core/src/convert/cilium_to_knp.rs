//! CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy → NetworkPolicy, for
//! the subset NetworkPolicy can express (cilium-semantics §1.8, "Reverse
//! direction"). Every construct outside that subset is reported where it is
//! written, saying what the output does instead; nothing is dropped silently.
//!
//! - One NetworkPolicy per rule (`spec`, each `specs[i]`): a Cilium rule is
//!   one subject with its own default deny, which is what a NetworkPolicy is.
//!   A clusterwide policy gives one per rule and namespace it covers, its
//!   subject pinned there (its namespace requirements decided for that
//!   namespace; other namespace labels kept as the labels Cilium derives for
//!   every pod). A clusterwide subject that only pods can meet is exact per
//!   namespace; one without such a requirement (`{}`) also selects Cilium's
//!   endpoints that are no pods (§2.13), which is reported.
//! - `policyTypes` says which directions the rule put into default deny:
//!   those with at least one rule, allow or deny (§2.14, §3.1). Where
//!   `enableDefaultDeny` turns that off, which NetworkPolicy cannot (§1.5: a
//!   NetworkPolicy always default-denies the directions it has), the
//!   direction is left out: its allow rules then only miss where another
//!   policy default-denies the pods, where writing them would deny every
//!   other flow of the pods.
//! - A rule without peers and without ports (`ingress: [{}]`) selects nothing
//!   (§2.14): it only contributes the default deny, so it becomes no rule.
//! - Endpoint peers: keys lose their `k8s:`/`any:` source; a CNP peer that
//!   names no namespace is its own namespace's pods (§2.13), a plain
//!   podSelector; a CCNP peer is pods of any namespace, `namespaceSelector:
//!   {}` (§1.4: `io.kubernetes.pod.namespace Exists`, as Cilium adds, and as a
//!   peer with only that requirement says); namespace-label keys become the
//!   namespaceSelector, and a namespace name (`io.kubernetes.pod.namespace`)
//!   the automatic `kubernetes.io/metadata.name` label, which the API server
//!   sets to every namespace's name.
//! - Entities: `all` is a rule without peers (§1.5 wildcard), `world` is
//!   `0.0.0.0/0` and `::/0` (§3.6: the zero prefix is world), `none` selects
//!   nothing, `host` on ingress is what Cilium admits anyway under default
//!   deny (§3.1 step 4); the other reserved identities have no form.
//! - Ports: protocol ANY (also the default) is TCP, UDP and SCTP (§2.5),
//!   port `0` is every port of the protocol (§1.6).
//!
//! A rule whose peers or ports were all lost is left out rather than written
//! without them: a NetworkPolicy rule without peers or ports allows all of
//! them, so losing a part may only ever narrow what the output allows,
//! except for the deny rules, which NetworkPolicy cannot hold at all.

use ipnet::IpNet;

use super::build::{label_map, list, metadata, requirement, s, selector, sp};
use super::names::namespaced_name;
use super::Ctx;
use crate::cluster::{NAMESPACE, NAMESPACE_LABELS};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::is_cilium_derived;
use crate::ir::split_source;
use crate::model::{
    CiliumPolicy, Direction, Entity, IntOrString, IpBlock, Kind, LabelSelector, Manifest, NetworkPolicy,
    NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicyRule, NetworkPolicySpec, Operator, PeerRule, PolicyType,
    PortProtocol, Protocol, Rule, Spanned, Str,
};
use crate::source::Span;

/// The label Kubernetes puts on every namespace, holding its name.
const METADATA_NAME: &str = "kubernetes.io/metadata.name";

const DENY_HINT: &str = "keep this policy as a CiliumNetworkPolicy, or rewrite the allow rules so that they leave out \
                         what this rule denies";

pub fn convert(ctx: &mut Ctx, policy: &CiliumPolicy, clusterwide: bool) {
    let own = policy.metadata.namespace().unwrap_or("default").to_owned();
    let name = policy.metadata.name().unwrap_or("policy").to_owned();
    let rules: Vec<(String, &Spanned<Rule>)> = policy.rules().collect();
    let several = rules.len() > 1;
    let scope = Scope {
        clusterwide,
        namespace: &own,
    };
    let templates: Vec<(usize, String, Template)> = rules
        .iter()
        .enumerate()
        .filter_map(|(k, (path, rule))| template(ctx, rule, path, &scope).map(|t| (k, path.clone(), t)))
        .collect();
    if templates.is_empty() {
        return;
    }
    let namespaces: Vec<String> = if clusterwide {
        if ctx.namespaces.is_empty() {
            needs_namespace(ctx);
            return;
        }
        // Which namespaces, and that later ones are not covered, the
        // driver decides and reports (names.rs, mod.rs); the namespaces a
        // subject names but `--namespace` leaves out are reported here.
        let namespaces = ctx.namespaces.to_vec();
        for (k, path, t) in &templates {
            if let Some(subject) = rules[*k].1.endpoint_selector.as_ref() {
                left_out_namespaces(
                    ctx,
                    &t.subject,
                    subject.span,
                    &format!("{path}.endpointSelector"),
                    &namespaces,
                );
            }
        }
        namespaces
    } else {
        vec![own.clone()]
    };
    let describe = super::describe(ctx.document);
    for namespace in &namespaces {
        for (k, path, t) in &templates {
            let Some(pod_selector) = t.subject_in(namespace) else {
                continue;
            };
            let base = if clusterwide {
                namespaced_name(&name, namespace)
            } else {
                name.clone()
            };
            let knp_name = if several { format!("{base}-{k}") } else { base };
            let provenance = if path.starts_with("specs") {
                format!("{describe} {path}")
            } else {
                describe.clone()
            };
            let ns = if clusterwide {
                Some(namespace.clone())
            } else {
                policy.metadata.namespace().map(str::to_owned)
            };
            let mut types = Vec::new();
            if t.ingress.is_some() {
                types.push(sp(PolicyType::Ingress));
            }
            if t.egress.is_some() {
                types.push(sp(PolicyType::Egress));
            }
            let rules_of = |r: &Option<Vec<NetworkPolicyRule>>| r.clone().filter(|r| !r.is_empty()).map(list);
            let spec = NetworkPolicySpec {
                pod_selector: Some(sp(pod_selector)),
                policy_types: Some(sp(types)),
                ingress: rules_of(&t.ingress),
                egress: rules_of(&t.egress),
            };
            let knp = NetworkPolicy {
                metadata: sp(metadata(&policy.metadata, knp_name, ns, provenance)),
                spec: Some(sp(spec)),
            };
            ctx.push(Kind::NetworkPolicy, Manifest::NetworkPolicy(knp));
        }
    }
}

/// Reports the namespaces a clusterwide subject names outright
/// (`io.kubernetes.pod.namespace: X`, `In [X, Y]`, or the same on the
/// `kubernetes.io/metadata.name` label) that the policy is not written for
/// (`--namespace` left them out): their pods lose the rule. Subjects that do
/// not name their namespaces are reported by the driver.
fn left_out_namespaces(ctx: &mut Ctx, subject: &Terms, span: Span, path: &str, namespaces: &[String]) {
    let names: Vec<&Term> = subject
        .namespace
        .iter()
        .chain(subject.namespace_labels.iter().filter(|t| t.key == METADATA_NAME))
        .collect();
    let named: Vec<&String> = names
        .iter()
        .find_map(|t| match &t.op {
            Op::Equals(v) => Some(vec![v]),
            Op::Expr(Operator::In, values) => Some(values.iter().collect()),
            Op::Expr(..) => None,
        })
        .unwrap_or_default();
    let missing: Vec<&str> = named
        .into_iter()
        .filter(|n| names.iter().all(|t| t.holds_for(n)) && !namespaces.contains(n))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        ctx.loss(
            span,
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

fn needs_namespace(ctx: &mut Ctx) {
    let mut d = Diagnostic::new(
        Code::NeedsNamespace,
        ctx.document.span,
        format!(
            "{} selects pods in any namespace, and the input names no namespace it could select; a NetworkPolicy \
             needs one",
            super::describe(ctx.document)
        ),
    )
    .with_hint("pass --namespace NS[,NS...], or add the Namespace (or Pod) manifests to the input");
    d.document = Some(ctx.document.index);
    ctx.out.diagnostics.push(d);
}

/// Where the source policy lives: a CNP's namespace is injected into its
/// subject and into the peers that name none (§2.13).
struct Scope<'a> {
    clusterwide: bool,
    namespace: &'a str,
}

/// One rule converted, except for its subject's namespace.
struct Template {
    subject: Terms,
    /// `None`: no default deny in this direction (not in policyTypes).
    ingress: Option<Vec<NetworkPolicyRule>>,
    egress: Option<Vec<NetworkPolicyRule>>,
}

impl Template {
    /// The podSelector in `namespace`, or `None` when the subject's namespace
    /// requirements exclude it.
    fn subject_in(&self, namespace: &str) -> Option<LabelSelector> {
        let holds = self
            .subject
            .namespace
            .iter()
            .chain(self.subject.namespace_labels.iter().filter(|t| t.key == METADATA_NAME))
            .all(|t| t.holds_for(namespace));
        if !holds {
            return None;
        }
        // Other namespace labels stay, as the labels Cilium derives for every pod.
        let derived = self
            .subject
            .namespace_labels
            .iter()
            .filter(|t| t.key != METADATA_NAME)
            .map(|t| t.with_key(format!("{NAMESPACE_LABELS}{}", t.key)));
        Some(to_selector(self.subject.pod.iter().cloned().chain(derived)))
    }
}

/// The rule at `path`, or `None` (after reporting why) when it has no
/// NetworkPolicy form or nothing to convert.
fn template(ctx: &mut Ctx, rule: &Spanned<Rule>, path: &str, scope: &Scope) -> Option<Template> {
    notes_on_metadata(ctx, rule, path);
    let Some(subject) = &rule.endpoint_selector else {
        if let Some(nodes) = &rule.node_selector {
            ctx.loss(
                nodes.span,
                format!("{path}.nodeSelector"),
                "left out: a host policy (nodeSelector) selects nodes, and a NetworkPolicy selects only pods",
                Some("keep host policies as CiliumClusterwideNetworkPolicy"),
            );
        }
        return None;
    };
    let terms = Terms::of(&subject.value);
    if !terms.foreign.is_empty() {
        ctx.loss(
            subject.span,
            format!("{path}.endpointSelector"),
            format!(
                "left out: this rule's subject selects by {}, which a NetworkPolicy podSelector cannot: it selects \
                 only pods by their labels",
                terms.foreign_keys()
            ),
            Some("keep this rule as a Cilium policy"),
        );
        return None;
    }
    let mut terms = terms;
    if scope.clusterwide && !terms.only_pods() {
        // §2.13: a CCNP subject is not scoped to pods; without a requirement
        // only pods meet it also selects Cilium's own endpoints (health,
        // ingress), which are in no namespace.
        ctx.loss(
            subject.span,
            format!("{path}.endpointSelector"),
            "partly converted: this subject also selects Cilium's endpoints that are not pods (health, ingress), \
             which no NetworkPolicy can; the output selects the pods of each namespace only",
            Some("keep a CiliumClusterwideNetworkPolicy for those endpoints"),
        );
    }
    if !scope.clusterwide {
        if !terms.namespace.is_empty() {
            ctx.note(
                subject.span,
                format!("{path}.endpointSelector"),
                format!(
                    "the subject's `{NAMESPACE}` requirement is not written: Cilium ignores it, a \
                     CiliumNetworkPolicy's subject is always in its own namespace `{}` (§2.13)",
                    scope.namespace
                ),
            );
            terms.namespace.clear();
        }
        let names = terms.namespace_labels.iter().filter(|t| t.key == METADATA_NAME);
        if !names.clone().all(|t| t.holds_for(scope.namespace)) {
            ctx.note(
                subject.span,
                format!("{path}.endpointSelector"),
                format!(
                    "not converted: this rule's subject requires a namespace other than the policy's own `{}`, so \
                     it selects no pod",
                    scope.namespace
                ),
            );
            return None;
        }
    }
    let kept: Vec<&str> = terms
        .namespace_labels
        .iter()
        .filter(|t| t.key != METADATA_NAME)
        .map(|t| t.key.as_str())
        .collect();
    if !kept.is_empty() {
        ctx.note(
            subject.span,
            format!("{path}.endpointSelector"),
            format!(
                "the subject's namespace-label requirements ({}) are kept in the podSelector as the \
                 `{NAMESPACE_LABELS}` labels Cilium gives every pod: exact under Cilium, but other NetworkPolicy \
                 implementations do not know these labels",
                kept.join(", ")
            ),
        );
    }
    derived_note(ctx, &terms.pod, subject.span, &format!("{path}.endpointSelector"));

    let mut directions: [Option<Vec<NetworkPolicyRule>>; 2] = [None, None];
    for (slot, direction) in [(0, Direction::Ingress), (1, Direction::Egress)] {
        let (allow_field, deny_field, allow, deny) = match direction {
            Direction::Ingress => ("ingress", "ingressDeny", &rule.ingress, &rule.ingress_deny),
            Direction::Egress => ("egress", "egressDeny", &rule.egress, &rule.egress_deny),
        };
        let configured = rule.enable_default_deny.as_ref().and_then(|c| match direction {
            Direction::Ingress => c.ingress.as_ref(),
            Direction::Egress => c.egress.as_ref(),
        });
        for (i, r) in deny.iter().flat_map(|l| l.iter()).enumerate() {
            ctx.loss(
                r.span,
                format!("{path}.{deny_field}[{i}]"),
                "left out: NetworkPolicy has no deny rules; the output allows what this rule denied wherever an \
                 allow rule (of any policy) allows it",
                Some(DENY_HINT),
            );
        }
        let allows = allow.as_ref().map_or(0, |l| l.len());
        let denies = deny.as_ref().map_or(0, |l| l.len());
        if allows + denies == 0 {
            // §3.1: no entry in this direction, no default deny either.
            continue;
        }
        if let Some(off) = configured.filter(|c| !c.value) {
            // No default deny here, which a NetworkPolicy cannot say. Written
            // as NetworkPolicy rules, the allow rules would deny all other
            // traffic of the pods; left out, they are missing only where
            // another policy puts the pods into default deny: the smaller loss.
            if allows > 0 {
                let dir = direction.as_str();
                ctx.loss(
                    off.span,
                    format!("{path}.enableDefaultDeny.{dir}"),
                    format!(
                        "left out: this rule's {dir} allow rules, which do not put the pods into default deny; a \
                         NetworkPolicy always does, so as one they would deny all other {dir} traffic of these pods. \
                         The output does not allow these flows where another policy puts the pods into default deny"
                    ),
                    Some("keep this policy as a CiliumNetworkPolicy"),
                );
            }
            continue;
        }
        let mut converted = Vec::new();
        for (i, r) in allow.iter().flat_map(|l| l.iter()).enumerate() {
            let at = format!("{path}.{allow_field}[{i}]");
            if let Some(out) = peer_rule(ctx, r, &at, direction, scope) {
                converted.push(out);
            }
        }
        directions[slot] = Some(converted);
    }
    let [ingress, egress] = directions;
    if ingress.is_none() && egress.is_none() {
        return None;
    }
    Some(Template {
        subject: terms,
        ingress,
        egress,
    })
}

/// Rule metadata a NetworkPolicy has no place for; none of it changes a verdict.
fn notes_on_metadata(ctx: &mut Ctx, rule: &Rule, path: &str) {
    if let Some(d) = &rule.description {
        ctx.note(
            d.span,
            format!("{path}.description"),
            "not kept: a NetworkPolicy has no description (it changes no verdict)",
        );
    }
    if let Some(l) = &rule.labels {
        ctx.note(
            l.span,
            format!("{path}.labels"),
            "not kept: a NetworkPolicy has no rule labels (they change no verdict)",
        );
    }
    if let Some(l) = &rule.log {
        ctx.note(
            l.span,
            format!("{path}.log"),
            "not kept: a NetworkPolicy has no log tag (it changes no verdict)",
        );
    }
}

/// Notes selector keys Cilium derives (service account, cluster...): Cilium
/// matches them in a NetworkPolicy too, other implementations do not.
fn derived_note(ctx: &mut Ctx, terms: &[Term], span: Span, path: &str) {
    let derived: Vec<&str> = terms
        .iter()
        .filter(|t| is_cilium_derived(&t.key))
        .map(|t| t.key.as_str())
        .collect();
    if !derived.is_empty() {
        ctx.note(
            span,
            path,
            format!(
                "kept `{}`: a label Cilium derives for every pod, so the output is exact under Cilium, but other \
                 NetworkPolicy implementations do not know it",
                derived.join("`, `")
            ),
        );
    }
}

/// One allow rule (`ingress[i]`/`egress[i]`) as a NetworkPolicy rule, or
/// `None` when it selects nothing the output can hold.
fn peer_rule(
    ctx: &mut Ctx,
    rule: &Spanned<PeerRule>,
    path: &str,
    direction: Direction,
    scope: &Scope,
) -> Option<NetworkPolicyRule> {
    let ports = ports(ctx, rule, path);
    if let Some(auth) = &rule.authentication {
        let mode = auth.mode.as_ref().map_or("", |m| m.value.as_str());
        if mode != "disabled" {
            ctx.loss(
                auth.span,
                format!("{path}.authentication"),
                format!(
                    "left out: NetworkPolicy has no authentication; the output allows these peers without mutual \
                     authentication (mode `{mode}`)"
                ),
                Some("keep this policy as a CiliumNetworkPolicy"),
            );
        }
    }
    let has_l4 = rule.to_ports.is_some() || rule.icmps.is_some();
    let peers = if rule.peer_kinds().next().is_none() {
        // §2.14: no peer field is the wildcard with ports, nothing without.
        if !has_l4 {
            return None;
        }
        Peers::All
    } else {
        peers(ctx, rule, path, direction, scope)
    };
    let ports = match ports {
        Some(p) if p.is_empty() => return None,
        other => other,
    };
    let peers = match peers {
        Peers::All => None,
        Peers::Some(p) if p.is_empty() => return None,
        Peers::Some(p) => Some(list(p)),
    };
    Some(NetworkPolicyRule {
        peers,
        ports: ports.map(list),
    })
}

enum Peers {
    /// Every peer: no `from`/`to`.
    All,
    Some(Vec<NetworkPolicyPeer>),
}

/// The L3 peers of one allow rule.
fn peers(ctx: &mut Ctx, rule: &PeerRule, path: &str, direction: Direction, scope: &Scope) -> Peers {
    let field = |kind: crate::model::PeerKind| format!("{path}.{}", kind.field(direction));
    use crate::model::PeerKind as K;
    let mut out = Vec::new();
    if let Some(entities) = &rule.entities {
        if entities.iter().any(|e| e.value == Entity::All) {
            // `all` is every identity; the rest of the list is within it.
            return Peers::All;
        }
        for (i, e) in entities.iter().enumerate() {
            entity(ctx, e, &format!("{}[{i}]", field(K::Entities)), direction, &mut out);
        }
    }
    for (i, selector) in rule.endpoints.iter().flat_map(|l| l.iter()).enumerate() {
        let at = format!("{}[{i}]", field(K::Endpoints));
        if let Some(peer) = endpoint_peer(ctx, selector, &at, direction, scope) {
            out.push(peer);
        }
    }
    if let Some(requires) = rule.requires.as_ref().filter(|r| !r.is_empty()) {
        ctx.loss(
            requires.span,
            field(K::Requires),
            "left out: NetworkPolicy has no requirement that every peer must meet; the output does not require it",
            None,
        );
    }
    for (i, cidr) in rule.cidr.iter().flat_map(|l| l.iter()).enumerate() {
        if let Some(block) = ip_block(ctx, cidr, &[], &format!("{}[{i}]", field(K::Cidr))) {
            out.push(block);
        }
    }
    for (i, set) in rule.cidr_set.iter().flat_map(|l| l.iter()).enumerate() {
        let at = format!("{}[{i}]", field(K::CidrSet));
        match &set.cidr {
            Some(cidr) => {
                let except: Vec<&Str> = set.except.iter().flat_map(|l| l.iter()).collect();
                if let Some(block) = ip_block(ctx, cidr, &except, &at) {
                    out.push(block);
                }
            }
            None => ctx.loss(
                set.span,
                at,
                "left out: a NetworkPolicy ipBlock has no CiliumCIDRGroup reference; the output does not allow the \
                 group's addresses",
                Some("write the group's CIDRs as ipBlocks"),
            ),
        }
    }
    let lost: [(K, Option<Span>, &str, Option<&str>); 4] = [
        (
            K::Groups,
            rule.groups.as_ref().map(|l| l.span),
            "left out: NetworkPolicy has no cloud provider groups; the output does not allow the group's addresses",
            Some("write the group's addresses as ipBlocks"),
        ),
        (
            K::Nodes,
            rule.nodes.as_ref().map(|l| l.span),
            "left out: NetworkPolicy cannot select nodes; the output does not allow these nodes",
            Some("an ipBlock with the nodes' addresses matches them only under policy-cidr-match-mode=nodes (§3.6)"),
        ),
        (
            K::Services,
            rule.services.as_ref().map(|l| l.span),
            "left out: NetworkPolicy has no services; the output does not allow the services' backends",
            Some("select the service's pods with a podSelector (and namespaceSelector) instead"),
        ),
        (
            K::Fqdns,
            rule.fqdns.as_ref().map(|l| l.span),
            "left out: NetworkPolicy has no DNS names; the output does not allow these names' addresses",
            Some("keep this policy as a CiliumNetworkPolicy, or allow fixed address ranges with ipBlocks"),
        ),
    ];
    for (kind, span, message, hint) in lost {
        if let Some(span) = span {
            ctx.loss(span, field(kind), message, hint);
        }
    }
    Peers::Some(out)
}

/// §2.11 entities.
fn entity(ctx: &mut Ctx, e: &Spanned<Entity>, path: &str, direction: Direction, out: &mut Vec<NetworkPolicyPeer>) {
    match e.value {
        Entity::All => {}
        Entity::World => {
            ctx.note(
                e.span,
                path,
                "`world` written as ipBlocks 0.0.0.0/0 and ::/0: Cilium represents a zero-length prefix as world \
                 (§3.6), so they match the same addresses, unless policy-cidr-match-mode lets CIDRs match pods or \
                 nodes",
            );
            for cidr in ["0.0.0.0/0", "::/0"] {
                out.push(NetworkPolicyPeer {
                    ip_block: Some(sp(IpBlock {
                        cidr: Some(s(cidr)),
                        except: None,
                    })),
                    ..NetworkPolicyPeer::default()
                });
            }
        }
        Entity::None => ctx.note(
            e.span,
            path,
            "not written: the `none` entity selects nothing, and neither does leaving it out",
        ),
        Entity::Host if direction == Direction::Ingress => ctx.note(
            e.span,
            path,
            "not written: under default deny Cilium always admits traffic from the local node (§3.1 step 4), as it \
             does for a NetworkPolicy; only a Baseline-tier ClusterNetworkPolicy deny would tell them apart",
        ),
        Entity::Cluster => {
            ctx.loss(
                e.span,
                path,
                "partly converted: `cluster` is every pod and node of the cluster; the output allows the pods of \
                 every namespace (`namespaceSelector: {}`) but not the nodes and Cilium's other reserved identities \
                 (remote-node, host, kube-apiserver, health, ingress, init, unmanaged)",
                Some("keep this policy as a CiliumNetworkPolicy to allow the nodes"),
            );
            out.push(NetworkPolicyPeer {
                namespace_selector: Some(sp(LabelSelector::default())),
                ..NetworkPolicyPeer::default()
            });
        }
        other => ctx.loss(
            e.span,
            path,
            format!(
                "left out: the `{}` entity is a Cilium identity a NetworkPolicy cannot select; the output does not \
                 allow it",
                other.as_str()
            ),
            Some("keep this policy as a CiliumNetworkPolicy"),
        ),
    }
}

/// A `fromEndpoints`/`toEndpoints` selector as a NetworkPolicy peer (§2.13
/// reversed), or `None` when it has no form (reported) or selects nothing.
fn endpoint_peer(
    ctx: &mut Ctx,
    selector: &Spanned<LabelSelector>,
    path: &str,
    direction: Direction,
    scope: &Scope,
) -> Option<NetworkPolicyPeer> {
    let terms = Terms::of(&selector.value);
    if !terms.foreign.is_empty() {
        if terms.is_host() && direction == Direction::Ingress {
            ctx.note(
                selector.span,
                path,
                "not written: under default deny Cilium always admits traffic from the local node (§3.1 step 4), as \
                 it does for a NetworkPolicy",
            );
        } else {
            ctx.loss(
                selector.span,
                path,
                format!(
                    "left out: this peer selects by {}, which a NetworkPolicy cannot; the output does not allow it",
                    terms.foreign_keys()
                ),
                Some("keep this policy as a CiliumNetworkPolicy"),
            );
        }
        return None;
    }
    derived_note(ctx, &terms.pod, selector.span, path);
    let names_namespaces = !(terms.namespace.is_empty() && terms.namespace_labels.is_empty());
    let any_source: Vec<&str> = selector
        .keys()
        .map(|k| split_source(&k.value))
        .filter(|(source, key)| {
            matches!(source, None | Some("any"))
                && *key != NAMESPACE
                && !key.starts_with(NAMESPACE_LABELS)
                && !is_cilium_derived(key)
        })
        .map(|(_, key)| key)
        .collect();
    if !scope.clusterwide
        && names_namespaces
        && !terms
            .namespace
            .iter()
            .chain(&terms.namespace_labels)
            .any(Term::is_positive)
        && !any_source.is_empty()
    {
        // §2.13: a CNP peer that names namespaces gets none injected; naming
        // them only by exclusion (`NotIn`, `DoesNotExist`), it also matches
        // identities without a namespace: nodes. So does Cilium's
        // translation of the namespaceSelector (§1.4), but it reads the pod
        // labels as `k8s:` labels, where a key without source is `any:`
        // (§1.2) and also matches a node's own labels.
        ctx.loss(
            selector.span,
            path,
            format!(
                "partly converted: this peer names namespaces only by exclusion, so it also matches nodes, and its \
                 requirements on `{}` (no source: `any:`) apply to a node's labels too; a NetworkPolicy podSelector \
                 reads only pod labels, so the output no longer matches those nodes",
                any_source.join("`, `")
            ),
            Some("write the pod label keys with `k8s:`, or keep this policy as a CiliumNetworkPolicy"),
        );
    }
    let pod = to_selector(terms.pod.iter().cloned());
    let pod_selector = (!pod.is_empty()).then(|| sp(pod.clone()));
    if terms.namespace.is_empty() && terms.namespace_labels.is_empty() {
        return Some(if scope.clusterwide {
            // §2.13: a CCNP peer is a pod of any namespace (`Exists`), §1.4: `namespaceSelector: {}`.
            NetworkPolicyPeer {
                pod_selector,
                namespace_selector: Some(sp(LabelSelector::default())),
                ip_block: None,
            }
        } else {
            // §2.13: injected, the policy's own namespace, as a bare podSelector is (§1.4).
            NetworkPolicyPeer {
                pod_selector: Some(sp(pod)),
                ..NetworkPolicyPeer::default()
            }
        });
    }
    let own_namespace_only = !scope.clusterwide
        && terms.namespace_labels.is_empty()
        && terms.namespace.len() == 1
        && terms.namespace.first().and_then(Term::equals) == Some(scope.namespace);
    if own_namespace_only {
        return Some(NetworkPolicyPeer {
            pod_selector: Some(sp(pod)),
            ..NetworkPolicyPeer::default()
        });
    }
    let any_namespace = terms.namespace_labels.is_empty()
        && !terms.namespace.is_empty()
        && terms
            .namespace
            .iter()
            .all(|t| t.op == Op::Expr(Operator::Exists, Vec::new()));
    if any_namespace {
        // `io.kubernetes.pod.namespace Exists`: pods of every namespace,
        // what `namespaceSelector: {}` means (§1.4, §1.8).
        return Some(NetworkPolicyPeer {
            pod_selector,
            namespace_selector: Some(sp(LabelSelector::default())),
            ip_block: None,
        });
    }
    if !terms.namespace.is_empty() {
        ctx.note(
            selector.span,
            path,
            format!(
                "`{NAMESPACE}` written as the namespace label `{METADATA_NAME}`, which Kubernetes puts on every \
                 namespace (1.21+)"
            ),
        );
    }
    let mut namespace: Vec<Term> = terms
        .namespace
        .iter()
        .map(|t| t.with_key(METADATA_NAME.to_owned()))
        .chain(terms.namespace_labels.iter().cloned())
        .collect();
    // A CCNP peer also requires a namespace (§2.13 `Exists`); without a
    // positive requirement the namespace labels would admit non-pods too.
    if scope.clusterwide && !namespace.iter().any(Term::is_positive) {
        namespace.push(Term {
            key: METADATA_NAME.to_owned(),
            op: Op::Expr(Operator::Exists, Vec::new()),
        });
    }
    Some(NetworkPolicyPeer {
        pod_selector,
        namespace_selector: Some(sp(to_selector(namespace.into_iter()))),
        ip_block: None,
    })
}

/// A CIDR (`fromCIDR`, `fromCIDRSet`) as an ipBlock; a bare address (which
/// the agent accepts in `fromCIDR`) gets its full prefix length.
fn ip_block(ctx: &mut Ctx, cidr: &Str, except: &[&Str], path: &str) -> Option<NetworkPolicyPeer> {
    let text = match cidr.value.parse::<std::net::IpAddr>() {
        Ok(ip) => IpNet::from(ip).to_string(),
        Err(_) => cidr.value.clone(),
    };
    let outer = text.parse::<IpNet>().ok();
    let mut kept = Vec::new();
    for e in except {
        let inner = e.value.parse::<IpNet>().ok();
        if let (Some(outer), Some(inner)) = (outer, inner) {
            if inner.prefix_len() <= outer.prefix_len() && inner.contains(&outer.network()) {
                // Cilium accepts an except as wide as its CIDR: nothing is left.
                ctx.note(
                    e.span,
                    path,
                    format!(
                        "not written: except `{}` covers all of `{}`, so this peer selects nothing",
                        e.value, cidr.value
                    ),
                );
                return None;
            }
        }
        kept.push(s(e.value.clone()));
    }
    Some(NetworkPolicyPeer {
        ip_block: Some(sp(IpBlock {
            cidr: Some(s(text)),
            except: (!kept.is_empty()).then(|| sp(kept)),
        })),
        ..NetworkPolicyPeer::default()
    })
}

/// The rule's ports: `None` for every port (no `toPorts`, no `icmps`),
/// otherwise the ports the output can hold (empty when all were lost).
fn ports(ctx: &mut Ctx, rule: &PeerRule, path: &str) -> Option<Vec<NetworkPolicyPort>> {
    if let Some(icmps) = &rule.icmps {
        ctx.loss(
            icmps.span,
            format!("{path}.icmps"),
            "left out: NetworkPolicy has no ICMP; the output does not allow these ICMP types",
            Some("keep this policy as a CiliumNetworkPolicy"),
        );
    }
    let Some(port_rules) = &rule.to_ports else {
        return rule.icmps.as_ref().map(|_| Vec::new());
    };
    let mut out: Vec<NetworkPolicyPort> = Vec::new();
    for (k, port_rule) in port_rules.iter().enumerate() {
        let at = format!("{path}.toPorts[{k}]");
        let any_ports = port_rule.ports.as_ref().is_some_and(|p| !p.is_empty());
        let allows_all = if any_ports {
            "the output allows all traffic on these ports"
        } else {
            "these ports are empty, so the output allows nothing here"
        };
        if let Some(l7) = &port_rule.rules {
            ctx.loss(
                l7.span,
                format!("{at}.rules"),
                format!(
                    "left out: NetworkPolicy has no L7 rules ({}); {allows_all}",
                    l7.present().join(", ")
                ),
                Some("keep this policy as a CiliumNetworkPolicy to filter requests"),
            );
        }
        let proxied: [(&str, Option<Span>, &str); 4] = [
            (
                "listener",
                port_rule.listener.as_ref().map(|l| l.span),
                "NetworkPolicy cannot send traffic to an Envoy listener",
            ),
            (
                "terminatingTLS",
                port_rule.terminating_tls.as_ref().map(|l| l.span),
                "NetworkPolicy does not terminate TLS",
            ),
            (
                "originatingTLS",
                port_rule.originating_tls.as_ref().map(|l| l.span),
                "NetworkPolicy does not originate TLS",
            ),
            (
                "serverNames",
                port_rule.server_names.as_ref().map(|l| l.span),
                "NetworkPolicy does not filter by TLS server name",
            ),
        ];
        for (field, span, why) in proxied {
            if let Some(span) = span {
                ctx.loss(
                    span,
                    format!("{at}.{field}"),
                    format!("left out: {why}; {allows_all}"),
                    None,
                );
            }
        }
        for (j, p) in port_rule.ports.iter().flat_map(|l| l.iter()).enumerate() {
            for port in port(ctx, p, &format!("{at}.ports[{j}]")) {
                if !out.contains(&port) {
                    out.push(port);
                }
            }
        }
    }
    Some(out)
}

/// One Cilium port as NetworkPolicy ports (three for ANY).
fn port(ctx: &mut Ctx, p: &Spanned<PortProtocol>, path: &str) -> Vec<NetworkPolicyPort> {
    let protocol = p.protocol.as_ref().map_or(Protocol::Any, |p| p.value);
    let protocols = match protocol {
        Protocol::Any => {
            let (span, at) = match &p.protocol {
                Some(written) => (written.span, format!("{path}.protocol")),
                None => (p.span, path.to_owned()),
            };
            ctx.note(
                span,
                at,
                "protocol ANY (Cilium's default) written as three ports, TCP, UDP and SCTP: ANY is exactly these \
                 (§2.5); a NetworkPolicy port without protocol would be TCP only",
            );
            Protocol::KUBERNETES.to_vec()
        }
        p @ (Protocol::Tcp | Protocol::Udp | Protocol::Sctp) => vec![p],
        other => {
            let span = p.protocol.as_ref().map_or(p.span, |x| x.span);
            ctx.loss(
                span,
                format!("{path}.protocol"),
                format!(
                    "left out: NetworkPolicy has only TCP, UDP and SCTP; the output does not allow protocol {}",
                    other.as_str()
                ),
                Some("keep this policy as a CiliumNetworkPolicy"),
            );
            return Vec::new();
        }
    };
    let number = p.port.as_ref().map(|x| x.value.as_str()).unwrap_or("0");
    let (port, end_port) = match number.parse::<u16>() {
        // §1.6: port 0 is every port of the protocol.
        Ok(0) => (None, None),
        Ok(n) => {
            let end = p
                .end_port
                .as_ref()
                .map(|e| e.value)
                .filter(|e| *e > i64::from(n) && *e <= 65535);
            (Some(IntOrString::Int(i64::from(n))), end)
        }
        // Named ports are lower-cased by the agent; an endPort is ignored with them.
        Err(_) => (Some(IntOrString::Str(number.to_ascii_lowercase())), None),
    };
    protocols
        .into_iter()
        .map(|protocol| NetworkPolicyPort {
            protocol: Some(sp(protocol)),
            port: port.clone().map(sp),
            end_port: end_port.map(sp),
        })
        .collect()
}

// --- selectors as terms ------------------------------------------------------

/// A selector's requirements by what they are about, keys without their
/// source (`k8s:`, `any:`).
#[derive(Default)]
struct Terms {
    /// On `io.kubernetes.pod.namespace`.
    namespace: Vec<Term>,
    /// On namespace labels (keys without the `io.cilium.k8s.namespace.labels.` prefix).
    namespace_labels: Vec<Term>,
    /// On the pod's own labels (and the other labels Cilium derives).
    pod: Vec<Term>,
    /// On sources a NetworkPolicy cannot select (`reserved:host`...), keys as written.
    foreign: Vec<Term>,
}

#[derive(Clone, PartialEq)]
struct Term {
    key: String,
    op: Op,
}

#[derive(Clone, PartialEq)]
enum Op {
    /// A matchLabels entry.
    Equals(String),
    Expr(Operator, Vec<String>),
}

impl Terms {
    /// The keys of [`Terms::foreign`], once each, for messages.
    fn foreign_keys(&self) -> String {
        let mut keys: Vec<&str> = Vec::new();
        for t in &self.foreign {
            if !keys.contains(&t.key.as_str()) {
                keys.push(&t.key);
            }
        }
        keys.join(", ")
    }

    /// Whether the selector is the local node's identity alone (`reserved:host`).
    fn is_host(&self) -> bool {
        self.namespace.is_empty()
            && self.namespace_labels.is_empty()
            && self.pod.is_empty()
            && !self.foreign.is_empty()
            && self.foreign.iter().all(|t| t.key == "reserved:host" && t.holds_for(""))
            && self.foreign.iter().any(Term::is_positive)
    }

    /// Whether only pods can match: a positive requirement on a label only
    /// pods carry (their own labels, namespace, namespace labels).
    fn only_pods(&self) -> bool {
        self.namespace
            .iter()
            .chain(&self.namespace_labels)
            .chain(&self.pod)
            .any(Term::is_positive)
    }

    fn of(selector: &LabelSelector) -> Terms {
        let mut terms = Terms::default();
        let labels = selector
            .match_labels
            .iter()
            .flat_map(|m| m.iter())
            .map(|(k, v)| (k, Op::Equals(v.to_owned())));
        let expressions = selector.match_expressions.iter().flat_map(|l| l.iter()).map(|r| {
            let values = r
                .values
                .iter()
                .flat_map(|v| v.iter().map(|x| x.value.clone()))
                .collect();
            (r.key.value.as_str(), Op::Expr(r.operator.value, values))
        });
        for (written, op) in labels.chain(expressions) {
            let (source, key) = split_source(written);
            if !matches!(source, None | Some("k8s") | Some("any")) {
                terms.foreign.push(Term {
                    key: written.to_owned(),
                    op,
                });
                continue;
            }
            let term = Term {
                key: key.to_owned(),
                op,
            };
            if key == NAMESPACE {
                terms.namespace.push(term);
            } else if let Some(label) = key.strip_prefix(NAMESPACE_LABELS) {
                terms.namespace_labels.push(term.with_key(label.to_owned()));
            } else {
                terms.pod.push(term);
            }
        }
        terms
    }
}

impl Term {
    fn with_key(&self, key: String) -> Term {
        Term {
            key,
            op: self.op.clone(),
        }
    }

    fn equals(&self) -> Option<&str> {
        match &self.op {
            Op::Equals(v) => Some(v),
            Op::Expr(..) => None,
        }
    }

    /// Whether the requirement holds for a label whose value is `value`.
    fn holds_for(&self, value: &str) -> bool {
        match &self.op {
            Op::Equals(v) => v == value,
            Op::Expr(Operator::In, values) => values.iter().any(|v| v == value),
            Op::Expr(Operator::NotIn, values) => !values.iter().any(|v| v == value),
            Op::Expr(Operator::Exists, _) => true,
            Op::Expr(Operator::DoesNotExist, _) => false,
        }
    }

    /// Whether it requires the label to exist.
    fn is_positive(&self) -> bool {
        matches!(self.op, Op::Equals(_) | Op::Expr(Operator::In | Operator::Exists, _))
    }
}

/// Terms back to a selector; a second matchLabels value for the same key
/// (from two sources) becomes an `In` expression, so both still must hold.
fn to_selector(terms: impl Iterator<Item = Term>) -> LabelSelector {
    let mut labels: Vec<(String, String)> = Vec::new();
    let mut expressions = Vec::new();
    for t in terms {
        match t.op {
            Op::Equals(v) if !labels.iter().any(|(k, _)| *k == t.key) => labels.push((t.key, v)),
            Op::Equals(v) => expressions.push(requirement(t.key, Operator::In, vec![v])),
            Op::Expr(op, values) => expressions.push(requirement(t.key, op, values)),
        }
    }
    selector(label_map(labels), expressions)
}
