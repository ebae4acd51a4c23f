//! NetworkPolicy → CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy,
//! spelled as cilium-semantics §1.8 says a faithful conversion must be:
//!
//! - a rule without peers is `fromEntities: [all]`, never `{}` (which is a
//!   default-deny-only rule in Cilium, §2.14) nor `fromEndpoints: [{}]`
//!   (which Cilium scopes to the policy's namespace, §2.13);
//! - namespaceSelector keys get the `io.cilium.k8s.namespace.labels.`
//!   prefix, and `namespaceSelector: {}` becomes `io.kubernetes.pod.namespace Exists`;
//! - ports without protocol are TCP (Cilium's own default is ANY);
//! - selector peers and ipBlock peers go into separate rules (a Cilium rule
//!   holds one peer kind, §2.12);
//! - the default deny that `policyTypes` implies is an explicit empty rule.
//!
//! A clusterwide target pins the subject and the same-namespace peers to the
//! policy's namespace, which a CiliumNetworkPolicy gets injected (§2.13).

use super::build::{label_map, metadata, parts, requirement, s, selector, sp};
use super::names::clusterwide_name;
use super::Ctx;
use crate::cluster::{NAMESPACE, NAMESPACE_LABELS};
use crate::model::{
    CidrRule, CiliumPolicy, Entity, IntOrString, Kind, LabelEntry, LabelMap, LabelSelector, Manifest, NetworkPolicy,
    NetworkPolicyPeer, NetworkPolicyRule, Operator, PeerRule, PolicyType, PortProtocol, PortRule, Protocol,
    Requirement, Rule, Spanned,
};

/// Cilium refuses more than this many ports in one `toPorts` item (§2.12).
const MAX_PORTS: usize = 40;

pub fn convert(ctx: &mut Ctx, policy: &NetworkPolicy) {
    let namespace = ctx.source_namespace(&policy.metadata);
    let name = policy.metadata.name().unwrap_or("policy").to_owned();
    let clusterwide = ctx.target == super::Target::Ccnp;
    let scope = Scope {
        namespace: &namespace,
        clusterwide,
    };
    let spec = policy.spec.as_ref().map(|s| &s.value);
    let mut subject = spec
        .and_then(|s| s.pod_selector.as_ref())
        .map(|s| s.value.clone())
        .unwrap_or_default();
    if clusterwide {
        subject = scope.same_namespace(&subject);
    }
    let types = spec
        .and_then(|s| s.policy_types.as_ref())
        .map_or(&[][..], |t| t.as_slice());
    let has_type = |wanted: PolicyType| types.iter().any(|t| t.value == wanted);
    let ingress_rules = spec.and_then(|s| s.ingress.as_ref());
    let egress_rules = spec.and_then(|s| s.egress.as_ref());
    let mut ingress = section(ingress_rules, &scope);
    let mut egress = section(egress_rules, &scope);
    // §1.5: the default deny a NetworkPolicy implies without rules.
    if ingress.is_empty() && (has_type(PolicyType::Ingress) || !has_type(PolicyType::Egress)) {
        ingress.push(sp(PeerRule::default()));
    }
    if egress.is_empty() && has_type(PolicyType::Egress) {
        egress.push(sp(PeerRule::default()));
    }
    let rule = Rule {
        endpoint_selector: Some(sp(subject)),
        ingress: (!ingress.is_empty()).then(|| sp(ingress)),
        egress: (!egress.is_empty()).then(|| sp(egress)),
        ..Rule::default()
    };
    let provenance = super::describe(ctx.document);
    let (kind, name, ns) = if clusterwide {
        (
            Kind::CiliumClusterwideNetworkPolicy,
            clusterwide_name(&namespace, &name),
            None,
        )
    } else {
        // The source's own namespace (not `default` when it has none).
        let ns = policy.metadata.namespace().is_some().then_some(namespace);
        (Kind::CiliumNetworkPolicy, name, ns)
    };
    let converted = CiliumPolicy {
        metadata: sp(metadata(&policy.metadata, name, ns, provenance)),
        spec: Some(sp(rule)),
        specs: None,
    };
    let manifest = if clusterwide {
        Manifest::CiliumClusterwideNetworkPolicy(converted)
    } else {
        Manifest::CiliumNetworkPolicy(converted)
    };
    ctx.push(kind, manifest);
}

/// Where the policy's namespace has to be written out.
struct Scope<'a> {
    namespace: &'a str,
    clusterwide: bool,
}

impl Scope<'_> {
    /// `selector` restricted to the policy's namespace.
    fn same_namespace(&self, selector: &LabelSelector) -> LabelSelector {
        let (mut labels, expressions) = parts(selector);
        labels.retain(|(k, _)| k != NAMESPACE);
        labels.push((NAMESPACE.to_owned(), self.namespace.to_owned()));
        super::build::selector(label_map(labels), expressions)
    }
}

/// The Cilium rules of one direction: each NetworkPolicy rule becomes one
/// rule per peer kind it uses, all with the rule's ports.
fn section(rules: Option<&crate::model::List<NetworkPolicyRule>>, scope: &Scope) -> Vec<Spanned<PeerRule>> {
    let mut out = Vec::new();
    for rule in rules.iter().flat_map(|l| l.iter()) {
        let mut to_ports = ports(rule.ports.as_ref());
        let peers = rule.peers.as_ref().map_or(&[][..], |l| l.as_slice());
        if peers.is_empty() {
            out.push(sp(PeerRule {
                entities: Some(sp(vec![sp(Entity::All)])),
                to_ports,
                ..PeerRule::default()
            }));
            continue;
        }
        let endpoints: Vec<_> = peers
            .iter()
            .filter(|p| p.ip_block.is_none())
            .map(|p| sp(endpoint_selector(p, scope)))
            .collect();
        let cidrs: Vec<_> = peers
            .iter()
            .filter_map(|p| p.ip_block.as_ref())
            .map(|b| {
                sp(CidrRule {
                    cidr: b.cidr.as_ref().map(|c| s(c.value.clone())),
                    except: b
                        .except
                        .as_ref()
                        .filter(|e| !e.is_empty())
                        .map(|e| sp(e.iter().map(|x| s(x.value.clone())).collect())),
                    ..CidrRule::default()
                })
            })
            .collect();
        if !endpoints.is_empty() {
            // The ports go to the last rule; the one before gets a copy.
            out.push(sp(PeerRule {
                endpoints: Some(sp(endpoints)),
                to_ports: if cidrs.is_empty() {
                    to_ports.take()
                } else {
                    to_ports.clone()
                },
                ..PeerRule::default()
            }));
        }
        if !cidrs.is_empty() {
            out.push(sp(PeerRule {
                cidr_set: Some(sp(cidrs)),
                to_ports,
                ..PeerRule::default()
            }));
        }
    }
    out
}

/// The endpoint selector of a pod/namespace peer (§1.4).
fn endpoint_selector(peer: &NetworkPolicyPeer, scope: &Scope) -> LabelSelector {
    let empty = LabelSelector::default();
    let pod = peer.pod_selector.as_ref().map_or(&empty, |s| &s.value);
    let Some(namespaces) = &peer.namespace_selector else {
        // Same namespace: injected for a CNP, written out for a CCNP.
        return if scope.clusterwide {
            scope.same_namespace(pod)
        } else {
            pod.clone()
        };
    };
    let mut expressions: Vec<Requirement> = namespaces
        .match_expressions
        .iter()
        .flat_map(|l| l.iter())
        .map(|r| {
            let values = r
                .values
                .as_ref()
                .map(|v| v.iter().map(|x| x.value.clone()).collect())
                .unwrap_or_default();
            requirement(format!("{NAMESPACE_LABELS}{}", r.key.value), r.operator.value, values)
        })
        .collect();
    let mut labels: Vec<LabelEntry> = namespaces
        .match_labels
        .iter()
        .flat_map(|m| m.iter())
        .map(|(k, v)| entry(format!("{NAMESPACE_LABELS}{k}"), v.to_owned()))
        .collect();
    if labels.is_empty() && expressions.is_empty() {
        // `namespaceSelector: {}`: every namespace.
        expressions.push(requirement(NAMESPACE, Operator::Exists, Vec::new()));
    }
    // §1.4: Cilium reads the pod labels as `k8s:` labels. Without a source
    // they would be `any:` (§1.2), which also match a node's own labels
    // (with node selector labels): the same only while the peer is kept to
    // pods. A namespaceSelector that only excludes (`NotIn`, `DoesNotExist`)
    // does not keep it there, nor, in a CNP, does Cilium inject a namespace
    // beside namespace labels (§2.13): then the pod keys get their source.
    let kept_to_pods = !labels.is_empty()
        || expressions
            .iter()
            .any(|r| matches!(r.operator.value, Operator::In | Operator::Exists));
    let source = if kept_to_pods || scope.clusterwide { "" } else { "k8s:" };
    let with_source = |key: &str| {
        if source.is_empty() {
            key.to_owned()
        } else {
            format!("{source}{key}")
        }
    };
    labels.extend(
        pod.match_labels
            .iter()
            .flat_map(|m| m.iter())
            .map(|(k, v)| entry(with_source(k), v.to_owned())),
    );
    expressions.extend(pod.match_expressions.iter().flat_map(|l| l.iter()).map(|r| {
        let mut r = r.value.clone();
        if !source.is_empty() {
            r.key.value = with_source(&r.key.value);
        }
        r
    }));
    selector(LabelMap::new(labels), expressions)
}

/// A label entry without location.
fn entry(key: String, value: String) -> LabelEntry {
    LabelEntry {
        key: s(key),
        value: s(value),
    }
}

/// A NetworkPolicy rule's ports as Cilium port rules; `None` without ports.
fn ports(ports: Option<&crate::model::List<crate::model::NetworkPolicyPort>>) -> Option<crate::model::List<PortRule>> {
    let ports = ports.filter(|p| !p.is_empty())?;
    let converted: Vec<_> = ports
        .iter()
        .map(|p| {
            sp(PortProtocol {
                port: Some(s(match p.port.as_ref().map(|p| &p.value) {
                    Some(IntOrString::Int(n)) => n.to_string(),
                    Some(IntOrString::Str(name)) => name.clone(),
                    None => "0".to_owned(),
                })),
                end_port: p.end_port.clone(),
                protocol: Some(sp(p.protocol.as_ref().map_or(Protocol::Tcp, |p| p.value))),
            })
        })
        .collect();
    let rule = |ports: Vec<_>| {
        sp(PortRule {
            ports: Some(sp(ports)),
            ..PortRule::default()
        })
    };
    let rules = if converted.len() <= MAX_PORTS {
        vec![rule(converted)]
    } else {
        converted.chunks(MAX_PORTS).map(|chunk| rule(chunk.to_vec())).collect()
    };
    Some(sp(rules))
}
