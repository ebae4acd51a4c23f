//! ClusterNetworkPolicy → entries (`pkg/k8s/cluster_network_policy.go`,
//! cilium-semantics §3.5): Admin or Baseline tier, priority = spec.priority
//! + rule index / 100, Accept/Deny/Pass, never default deny.

use super::knp::{CLUSTER, NAMESPACE, NAMESPACE_LABELS};
use super::ports::k8s_selector;
use super::Ctx;
use crate::ir::{FqdnMatch, Op, Origin, Peer, PolicyEntry, PortNumber, PortProto, PortRule, Proto, Selector};
use crate::ir::{SelectorKey, Source, Subject, Tier, Verdict, L3, L7};
use crate::model::{self, Action, ClusterNetworkPolicy, ClusterNetworkPolicyPeer, Direction, NamespacedPod};

pub(super) fn lower(ctx: &mut Ctx, policy: &ClusterNetworkPolicy) {
    let Some(spec) = &policy.spec else { return };
    let tier = match spec.tier.as_ref().map(|t| t.value) {
        Some(model::Tier::Baseline) => Tier::Baseline,
        _ => Tier::Admin,
    };
    let base = spec.priority.as_ref().map_or(0.0, |p| p.value as f64);
    let Some(subject) = spec.subject.as_ref().and_then(|s| {
        s.namespaces
            .as_ref()
            .map(|n| namespaces(&n.value))
            .or_else(|| s.pods.as_ref().map(|p| pods(&p.value, None)))
    }) else {
        return;
    };
    let cluster = ctx.profile.local_cluster().map(str::to_owned);
    for (direction, field, rules) in [
        (Direction::Ingress, "ingress", spec.ingress.as_ref()),
        (Direction::Egress, "egress", spec.egress.as_ref()),
    ] {
        for (i, rule) in rules.iter().flat_map(|l| l.iter()).enumerate() {
            let verdict = match rule.action.as_ref().map(|a| a.value) {
                Some(Action::Accept) => Verdict::Allow,
                Some(Action::Deny) => Verdict::Deny,
                Some(Action::Pass) => Verdict::Pass,
                None => continue,
            };
            let mut peers = Vec::new();
            let mut domains = Vec::new();
            for p in rule.peers.iter().flat_map(|l| l.iter()) {
                peers.extend(peer(p, cluster.as_deref(), &mut domains));
            }
            let l4 = protocols(rule);
            let priority = base + i as f64 / 100.0;
            let (verdict, l3) = if peers.is_empty() {
                // A peer with nothing identifiable fails closed: Accept is
                // skipped, Deny and Pass deny everything.
                if verdict == Verdict::Allow {
                    continue;
                }
                (Verdict::Deny, L3::Peers(vec![Peer::Selector(Selector::wildcard())]))
            } else {
                (verdict, L3::Peers(peers))
            };
            let origin = Origin {
                policy: ctx.policy,
                path: format!("spec.{field}[{i}]"),
                span: rule.span,
                rule: Some(i),
            };
            if !domains.is_empty() && verdict == Verdict::Allow {
                ctx.entries
                    .push(dns_proxy_entry(&subject, tier, priority, &domains, origin.clone()));
            }
            ctx.entries.push(PolicyEntry {
                subject: Subject::Endpoints(subject.clone()),
                direction,
                verdict,
                l3,
                l4,
                default_deny: false,
                tier,
                priority,
                origin,
            });
        }
    }
}

/// `namespaces: S`: pods of namespaces whose labels match S.
fn namespaces(selector: &model::LabelSelector) -> Selector {
    let mut s = k8s_selector(Some(selector), NAMESPACE_LABELS);
    if s.is_wildcard() {
        s.add_expression(SelectorKey::new(Source::K8s, NAMESPACE), Op::Exists, vec![]);
    }
    s
}

/// `pods: {namespaceSelector, podSelector}`.
fn pods(pods: &NamespacedPod, cluster: Option<&str>) -> Selector {
    let mut s = namespaces(
        pods.namespace_selector
            .as_ref()
            .map(|s| &s.value)
            .unwrap_or(&Default::default()),
    );
    let pod = k8s_selector(pods.pod_selector.as_ref().map(|s| &s.value), "");
    for (k, v) in pod.match_labels {
        s.add_label(k, v);
    }
    s.expressions.extend(pod.expressions);
    if let Some(cluster) = cluster {
        if !s.mentions(CLUSTER) {
            s.add_label(SelectorKey::new(Source::K8s, CLUSTER), cluster);
        }
    }
    s
}

fn peer(p: &ClusterNetworkPolicyPeer, cluster: Option<&str>, domains: &mut Vec<String>) -> Vec<Peer> {
    let mut out = Vec::new();
    if let Some(n) = &p.namespaces {
        out.push(Peer::Selector(namespaces(&n.value)));
    }
    if let Some(pp) = &p.pods {
        out.push(Peer::Selector(pods(&pp.value, cluster)));
    }
    if let Some(n) = &p.nodes {
        out.push(Peer::Nodes {
            selector: node_selector(k8s_selector(Some(&n.value), "").with_source(Source::Node), cluster),
            include_local: true,
        });
    }
    for network in p.networks.iter().flat_map(|l| l.iter()) {
        if let Ok(cidr) = network.value.parse() {
            out.push(Peer::Cidr {
                cidr,
                except: Vec::new(),
            });
        }
    }
    for name in p.domain_names.iter().flat_map(|l| l.iter()) {
        // `*.x` means any subdomain depth: Cilium writes it as `**.x`.
        let pattern = match name.value.strip_prefix("*.") {
            Some(rest) => FqdnMatch::Pattern(format!("**.{rest}")),
            None => FqdnMatch::Name(name.value.clone()),
        };
        domains.push(match &pattern {
            FqdnMatch::Pattern(p) | FqdnMatch::Name(p) => p.clone(),
        });
        out.push(Peer::Fqdn(pattern));
    }
    out
}

/// Node peers are pinned to the local cluster like pod peers (§4 K08).
pub(super) fn node_selector(mut s: Selector, cluster: Option<&str>) -> Selector {
    if let Some(cluster) = cluster {
        if !s.mentions(CLUSTER) {
            s.add_label(SelectorKey::new(Source::K8s, CLUSTER), cluster);
        }
    }
    s
}

fn protocols(rule: &model::ClusterNetworkPolicyRule) -> Vec<PortRule> {
    let mut ports = Vec::new();
    for p in rule.protocols.iter().flat_map(|l| l.iter()) {
        for (protocol, port) in [(Proto::Tcp, &p.tcp), (Proto::Udp, &p.udp), (Proto::Sctp, &p.sctp)] {
            let Some(dest) = port.as_ref().and_then(|p| p.destination_port.as_ref()) else {
                if port.is_some() {
                    ports.push(PortProto {
                        port: PortNumber::Number(0),
                        end_port: None,
                        protocol,
                    });
                }
                continue;
            };
            if let Some(n) = &dest.number {
                ports.push(PortProto {
                    port: PortNumber::Number(u16::try_from(n.value).unwrap_or(0)),
                    end_port: None,
                    protocol,
                });
            }
            if let Some(range) = &dest.range {
                let start = range.start.as_ref().map_or(0, |s| u16::try_from(s.value).unwrap_or(0));
                let end = range.end.as_ref().map_or(0, |e| u16::try_from(e.value).unwrap_or(0));
                ports.push(PortProto {
                    port: PortNumber::Number(start),
                    end_port: Some(end),
                    protocol,
                });
            }
        }
        if let Some(name) = &p.destination_named_port {
            ports.push(PortProto {
                port: PortNumber::Named(name.value.clone()),
                end_port: None,
                protocol: Proto::Any,
            });
        }
    }
    ports
        .into_iter()
        .map(|p| PortRule {
            ports: vec![p],
            l7: None,
        })
        .collect()
}

/// The extra allow a domainNames rule needs: DNS to kube-dns on its named
/// ports `dns` and `dns-tcp`, proxied so the names can be learnt (§3.5).
fn dns_proxy_entry(subject: &Selector, tier: Tier, priority: f64, domains: &[String], origin: Origin) -> PolicyEntry {
    // Cilium builds this selector from the bare `k8s-app=kube-dns` (source
    // `any`), with no namespace or cluster requirement (§4 K10).
    let mut kube_dns = Selector::wildcard();
    kube_dns.add_label(SelectorKey::new(Source::Any, "k8s-app"), "kube-dns");
    let named = |name: &str| PortProto {
        port: PortNumber::Named(name.to_owned()),
        end_port: None,
        protocol: Proto::Any,
    };
    PolicyEntry {
        subject: Subject::Endpoints(subject.clone()),
        direction: Direction::Egress,
        verdict: Verdict::Allow,
        l3: L3::Peers(vec![Peer::Selector(kube_dns)]),
        l4: vec![PortRule {
            ports: vec![named("dns"), named("dns-tcp")],
            l7: Some(L7 {
                protocol: "dns".to_owned(),
                rules: domains.to_vec(),
            }),
        }],
        default_deny: false,
        tier,
        priority,
        origin,
    }
}
