//! CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy → entries
//! (`ParseToCiliumRule` §2.13, `RulesToPolicyEntries` §2.14).

use super::knp::{CLUSTER, NAMESPACE, NAMESPACE_LABELS};
use super::ports::{cilium_port_rule, cilium_selector};
use super::Ctx;
use crate::ir::{
    FqdnMatch, Op, Origin, Peer, PolicyEntry, PortNumber, PortProto, PortRule, Proto, Selector, SelectorKey,
};
use crate::ir::{Source, Subject, Tier, Verdict, L3};
use crate::model::{CiliumPolicy, Direction, IntOrString, PeerRule, Rule, Spanned};
use crate::validate::icmp;

pub(super) fn lower(ctx: &mut Ctx, policy: &CiliumPolicy, clusterwide: bool) {
    let namespace = (!clusterwide).then(|| policy.metadata.namespace().unwrap_or("default").to_owned());
    for (path, rule) in policy.rules() {
        lower_rule(ctx, rule, &path, namespace.as_deref());
    }
}

fn lower_rule(ctx: &mut Ctx, rule: &Spanned<Rule>, path: &str, namespace: Option<&str>) {
    let subject = match (&rule.endpoint_selector, &rule.node_selector) {
        (Some(s), _) => {
            let mut selector = cilium_selector(&s.value, Source::Any);
            if let Some(ns) = namespace {
                // §2.13: a CNP's subject is always in the policy's namespace.
                selector.match_labels.retain(|(k, _)| k.key != NAMESPACE);
                selector.expressions.retain(|(k, _, _)| k.key != NAMESPACE);
                selector.set_label(SelectorKey::new(Source::K8s, NAMESPACE), ns);
            }
            Subject::Endpoints(selector)
        }
        (None, Some(n)) => Subject::Host(cilium_selector(&n.value, Source::Node)),
        (None, None) => return,
    };
    let init_subject =
        matches!(&subject, Subject::Endpoints(s) if s.mentions("init") && s.mentions_source(&Source::Reserved));
    for (direction, deny, field, rules) in rule.sections() {
        let Some(rules) = rules else { continue };
        let configured = rule.enable_default_deny.as_ref().and_then(|c| match direction {
            Direction::Ingress => c.ingress.as_ref().map(|b| b.value),
            Direction::Egress => c.egress.as_ref().map(|b| b.value),
        });
        // §2.14: nil means true; without enable-non-default-deny-policies it is forced true.
        let default_deny = configured.unwrap_or(true) || !ctx.profile.non_default_deny_policies;
        for (i, r) in rules.iter().enumerate() {
            let l4 = l4(r);
            let l3 = l3(ctx, r, namespace, init_subject, !l4.is_empty());
            ctx.entries.push(PolicyEntry {
                subject: subject.clone(),
                direction,
                verdict: if deny { Verdict::Deny } else { Verdict::Allow },
                l3,
                l4,
                default_deny,
                tier: Tier::Normal,
                priority: 0.0,
                origin: Origin {
                    policy: ctx.policy,
                    path: format!("{path}.{field}[{i}]"),
                    span: r.span,
                    rule: Some(i),
                },
            });
        }
    }
}

/// `toPorts` and `icmps`: ICMP types become ports of protocol ICMP/ICMPv6.
fn l4(rule: &PeerRule) -> Vec<PortRule> {
    let mut out: Vec<PortRule> = rule
        .to_ports
        .iter()
        .flat_map(|l| l.iter())
        .map(|p| cilium_port_rule(p))
        .collect();
    for icmp_rule in rule.icmps.iter().flat_map(|l| l.iter()) {
        let ports = icmp_rule
            .fields
            .iter()
            .flat_map(|l| l.iter())
            .filter_map(|f| {
                let v6 = f.family.as_ref().is_some_and(|s| s.value == "IPv6");
                let names = if v6 { icmp::IPV6 } else { icmp::IPV4 };
                let number = match &f.icmp_type.as_ref()?.value {
                    IntOrString::Int(n) => u8::try_from(*n).ok()?,
                    IntOrString::Str(s) => s
                        .parse::<u8>()
                        .ok()
                        .or_else(|| names.iter().find(|(n, _)| n == s).map(|(_, v)| *v))?,
                };
                Some(PortProto {
                    port: PortNumber::Number(number.into()),
                    end_port: None,
                    protocol: if v6 { Proto::Icmpv6 } else { Proto::Icmp },
                })
            })
            .collect();
        out.push(PortRule { ports, l7: None });
    }
    out
}

/// §2.14: the union of the rule's peer lists; a list written empty selects
/// nothing; no peer list at all is the wildcard when the rule has ports.
fn l3(ctx: &Ctx, rule: &PeerRule, namespace: Option<&str>, init_subject: bool, has_l4: bool) -> L3 {
    let present = rule.peer_kinds().next().is_some();
    if !present {
        return if has_l4 {
            L3::Peers(vec![Peer::Selector(Selector::wildcard())])
        } else {
            L3::Nothing
        };
    }
    let mut peers = Vec::new();
    for s in rule.endpoints.iter().flat_map(|l| l.iter()) {
        peers.push(Peer::Selector(endpoint_peer(ctx, &s.value, namespace, init_subject)));
    }
    for c in rule.cidr.iter().flat_map(|l| l.iter()) {
        peers.push(cidr(&c.value, &[]));
    }
    for set in rule.cidr_set.iter().flat_map(|l| l.iter()) {
        match (&set.cidr, &set.cidr_group_ref) {
            (Some(c), _) => {
                let except: Vec<String> = set
                    .except
                    .iter()
                    .flat_map(|l| l.iter())
                    .map(|e| e.value.clone())
                    .collect();
                peers.push(cidr(&c.value, &except));
            }
            (None, Some(group)) => peers.push(Peer::Unresolved(format!("CiliumCIDRGroup {}", group.value))),
            (None, None) => peers.push(Peer::Unresolved("CiliumCIDRGroups chosen by label".to_owned())),
        }
    }
    for e in rule.entities.iter().flat_map(|l| l.iter()) {
        peers.push(Peer::Entity(e.value));
    }
    for n in rule.nodes.iter().flat_map(|l| l.iter()) {
        // §2.13: node selector + reserved:remote-node + cluster label (C9).
        let selector = super::kcnp::node_selector(cilium_selector(&n.value, Source::Node), ctx.profile.local_cluster());
        peers.push(Peer::Nodes {
            selector,
            include_local: false,
        });
    }
    for _ in rule.groups.iter().flat_map(|l| l.iter()) {
        peers.push(Peer::Unresolved(
            "a cloud provider group (resolved by the operator, never in-cluster)".to_owned(),
        ));
    }
    for s in rule.services.iter().flat_map(|l| l.iter()) {
        peers.extend(services(ctx, s, namespace));
    }
    for f in rule.fqdns.iter().flat_map(|l| l.iter()) {
        if let Some(name) = &f.match_name {
            peers.push(Peer::Fqdn(FqdnMatch::Name(name.value.clone())));
        } else if let Some(pattern) = &f.match_pattern {
            peers.push(Peer::Fqdn(FqdnMatch::Pattern(pattern.value.clone())));
        }
    }
    if peers.is_empty() {
        L3::Nothing
    } else {
        L3::Peers(peers)
    }
}

fn cidr(text: &str, except: &[String]) -> Peer {
    match text.parse() {
        Ok(cidr) => Peer::Cidr {
            cidr,
            except: except.iter().filter_map(|e| e.parse().ok()).collect(),
        },
        Err(_) => Peer::Unresolved(format!("`{text}`, not a CIDR")),
    }
}

/// §2.13 `fromEndpoints`/`toEndpoints`: reserved selectors stay as written;
/// a CNP's peers are in its namespace unless they name one (or namespace
/// labels); a CCNP's are in any namespace; both pinned to the local cluster
/// when policy-default-local-cluster is on.
fn endpoint_peer(
    ctx: &Ctx,
    selector: &crate::model::LabelSelector,
    namespace: Option<&str>,
    init_subject: bool,
) -> Selector {
    let mut s = cilium_selector(selector, Source::Any);
    if s.mentions_source(&Source::Reserved) {
        return s;
    }
    match namespace {
        Some(ns) if !s.mentions(NAMESPACE) && !s.mentions_prefix(NAMESPACE_LABELS) => {
            s.add_label(SelectorKey::new(Source::K8s, NAMESPACE), ns);
        }
        Some(_) => {}
        None if !init_subject => s.add_expression(SelectorKey::new(Source::K8s, NAMESPACE), Op::Exists, vec![]),
        None => {}
    }
    if let Some(cluster) = ctx.profile.local_cluster() {
        if !s.mentions(CLUSTER) {
            s.add_label(SelectorKey::new(Source::K8s, CLUSTER), cluster);
        }
    }
    s
}

/// §2.8: a service with a selector stands for its pods; one without a
/// selector for its endpoints' addresses, which are not known offline.
fn services(ctx: &Ctx, s: &crate::model::ServiceSelector, namespace: Option<&str>) -> Vec<Peer> {
    let mut out = Vec::new();
    if let Some(named) = &s.k8s_service {
        let name = named.service_name.as_ref().map_or("", |n| n.value.as_str());
        let ns = named
            .namespace
            .as_ref()
            .map(|n| n.value.as_str())
            .or(namespace)
            .unwrap_or("default");
        match ctx
            .services
            .iter()
            .find(|svc| svc.metadata.name() == Some(name) && svc.metadata.namespace().unwrap_or("default") == ns)
        {
            Some(svc) => out.push(service_peer(svc, ns)),
            None => out.push(Peer::Unresolved(format!("service {ns}/{name}, not in the input"))),
        }
    }
    if let Some(by_labels) = &s.k8s_service_selector {
        let selector = by_labels
            .selector
            .as_ref()
            .map(|s| cilium_selector(&s.value, Source::K8s))
            .unwrap_or_default();
        let ns = by_labels.namespace.as_ref().map(|n| n.value.as_str());
        let matching: Vec<Peer> = ctx
            .services
            .iter()
            .filter(|svc| ns.is_none_or(|ns| svc.metadata.namespace().unwrap_or("default") == ns))
            .filter(|svc| {
                let labels = crate::ir::Labels::new(
                    svc.metadata
                        .labels
                        .iter()
                        .flat_map(|m| m.iter())
                        .map(|(k, v)| crate::ir::Label::new(Source::K8s, k, v))
                        .collect(),
                );
                selector.matches(&labels)
            })
            .map(|svc| service_peer(svc, svc.metadata.namespace().unwrap_or("default")))
            .collect();
        if matching.is_empty() {
            out.push(Peer::Unresolved(format!(
                "services matching {selector}, none in the input"
            )));
        }
        out.extend(matching);
    }
    out
}

fn service_peer(svc: &crate::model::Service, ns: &str) -> Peer {
    let name = svc.metadata.name().unwrap_or("");
    match &svc.selector {
        Some(labels) if !labels.is_empty() => {
            let mut s = Selector::wildcard();
            for (k, v) in labels.iter() {
                s.add_label(SelectorKey::new(Source::K8s, k), v);
            }
            s.add_label(SelectorKey::new(Source::K8s, NAMESPACE), ns);
            Peer::Selector(s)
        }
        _ => Peer::Unresolved(format!(
            "service {ns}/{name} has no selector: its endpoints are not known offline"
        )),
    }
}
