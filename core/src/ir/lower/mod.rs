//! Lowering: typed manifests → policy entries, as the Cilium agent builds
//! them (cilium-semantics §1 for NetworkPolicy, §2.13/§2.14 for Cilium's
//! kinds, §3.5 for ClusterNetworkPolicy).
//!
//! Only policies the cluster would accept are lowered: a document with an
//! error is refused (by the API server or by the agent) and has no entries;
//! neither has a kind the profile does not enforce. Both are recorded in
//! [`Lowered::skipped`] with the reason.

mod cilium;
mod kcnp;
mod knp;
pub(crate) mod ports;

use super::{Label, PolicyEntry, PolicyInfo, Source};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::model::{Document, Kind, Manifest, ObjectMeta, Service};
use crate::profile::{Profile, ProfileKind};

/// Entries of every applied policy, and the policies that were not applied.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lowered {
    pub entries: Vec<PolicyEntry>,
    pub policies: Vec<PolicyInfo>,
    pub skipped: Vec<Skipped>,
}

/// A policy that takes no part in verdicts, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Skipped {
    pub policy: PolicyInfo,
    pub reason: String,
}

/// How to lower.
#[derive(Clone, Copy, Debug, Default)]
pub struct LowerOptions {
    /// Lower documents even when they have errors (Cilium's unit tests feed
    /// the translation objects the API server would refuse, e.g. an empty
    /// peer; the vector tests do the same).
    pub include_invalid: bool,
}

/// Lowers every policy of `documents` under `profile`. `diagnostics` are
/// the check's, used to leave out refused documents.
pub fn lower(documents: &[Document], diagnostics: &[Diagnostic], profile: &Profile, options: LowerOptions) -> Lowered {
    let refused = crate::sort::set(
        diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .filter_map(|d| d.document),
    );
    let services: Vec<&Service> = documents
        .iter()
        .filter_map(|d| match &d.manifest {
            Manifest::Service(s) => Some(s),
            _ => None,
        })
        .collect();
    let mut out = Lowered::default();
    for document in documents {
        let Some(kind) = document.model_kind().filter(|k| k.is_policy()) else {
            continue;
        };
        let Some(meta) = document.manifest.metadata() else {
            continue;
        };
        let info = policy_info(kind, meta, document);
        if refused.contains(&document.index) && !options.include_invalid {
            out.skipped.push(Skipped {
                policy: info,
                reason: "it has errors, so the cluster refuses it".to_owned(),
            });
            continue;
        }
        if let Some(reason) =
            rejected_by_agent(kind, document, diagnostics, profile).or_else(|| not_enforced(kind, document, profile))
        {
            out.skipped.push(Skipped { policy: info, reason });
            continue;
        }
        let policy = out.policies.len();
        out.policies.push(info);
        let mut ctx = Ctx {
            policy,
            profile,
            services: &services,
            entries: &mut out.entries,
        };
        match &document.manifest {
            Manifest::NetworkPolicy(p) => knp::lower(&mut ctx, p),
            Manifest::CiliumNetworkPolicy(p) => cilium::lower(&mut ctx, p, false),
            Manifest::CiliumClusterwideNetworkPolicy(p) => cilium::lower(&mut ctx, p, true),
            Manifest::ClusterNetworkPolicy(p) => kcnp::lower(&mut ctx, p),
            _ => {}
        }
    }
    out
}

/// What one policy's lowering needs.
pub(super) struct Ctx<'a> {
    pub policy: usize,
    pub profile: &'a Profile,
    pub services: &'a [&'a Service],
    pub entries: &'a mut Vec<PolicyEntry>,
}

/// Why the Cilium agent would refuse a policy the API server let through:
/// features behind agent flags the profile leaves off (§2.12), and, for
/// documents lowered despite errors, a NetworkPolicy with an unknown
/// protocol (§1.6: the whole policy is rejected, so it selects nothing).
fn rejected_by_agent(kind: Kind, document: &Document, diagnostics: &[Diagnostic], profile: &Profile) -> Option<String> {
    if !profile.is_cilium() {
        return None;
    }
    let unknown_protocol = kind == Kind::NetworkPolicy
        && diagnostics.iter().any(|d| {
            d.document == Some(document.index) && d.code == Code::UnsupportedValue && d.path.ends_with(".protocol")
        });
    if unknown_protocol {
        return Some("Cilium rejects the whole NetworkPolicy: one of its ports has an unknown protocol".to_owned());
    }
    if !profile.node_selector_labels && uses_nodes(document) {
        return Some(
            "Cilium refuses node peers (fromNodes/toNodes, nodes) unless --enable-node-selector-labels is on"
                .to_owned(),
        );
    }
    if !profile.l7_proxy && (uses_l7_or_fqdn(document) || uses_domain_names(document)) {
        return Some(
            "Cilium refuses L7 and FQDN rules when the L7 proxy is disabled (--enable-l7-proxy=false)".to_owned(),
        );
    }
    None
}

/// Why a profile does not enforce this policy at all, if it does not.
fn not_enforced(kind: Kind, document: &Document, profile: &Profile) -> Option<String> {
    let cilium_kind = matches!(kind, Kind::CiliumNetworkPolicy | Kind::CiliumClusterwideNetworkPolicy);
    match profile.kind {
        ProfileKind::Upstream | ProfileKind::AzureNpm if kind != Kind::NetworkPolicy => Some(format!(
            "{} enforces only NetworkPolicy, not {}",
            profile.describe(),
            kind.name()
        )),
        _ if kind == Kind::ClusterNetworkPolicy && !profile.cluster_network_policy => {
            Some(if profile.cilium_version.at_least(1, 20) {
                "Cilium enforces ClusterNetworkPolicy only with --enable-k8s-cluster-network-policy".to_owned()
            } else {
                format!(
                    "Cilium {} does not implement ClusterNetworkPolicy (1.20+)",
                    profile.cilium_version
                )
            })
        }
        ProfileKind::Aks if cilium_kind && !profile.acns && uses_l7_or_fqdn(document) => Some(
            "on AKS, L7 and FQDN rules need Advanced Container Networking Services; without it the policy is refused"
                .to_owned(),
        ),
        ProfileKind::Aks if kind == Kind::CiliumClusterwideNetworkPolicy && uses_l7(document) => {
            Some("AKS does not support L7 rules in a CiliumClusterwideNetworkPolicy".to_owned())
        }
        _ => None,
    }
}

/// HTTP, Kafka or generic L7 rules: what AKS refuses in a clusterwide
/// policy. DNS rules are FQDN filtering's half, which a CCNP may carry
/// (peers-and-aks §1.2).
fn uses_l7(document: &Document) -> bool {
    let (Manifest::CiliumNetworkPolicy(p) | Manifest::CiliumClusterwideNetworkPolicy(p)) = &document.manifest else {
        return false;
    };
    p.rules().any(|(_, rule)| {
        rule.sections().iter().any(|(_, _, _, list)| {
            list.is_some_and(|l| {
                l.iter().any(|r| {
                    r.to_ports.as_ref().is_some_and(|p| {
                        p.iter().any(|pr| {
                            pr.rules.as_ref().is_some_and(|l7| {
                                l7.http.is_some() || l7.kafka.is_some() || l7.l7proto.is_some() || l7.l7.is_some()
                            })
                        })
                    })
                })
            })
        })
    })
}

fn uses_nodes(document: &Document) -> bool {
    match &document.manifest {
        Manifest::CiliumNetworkPolicy(p) | Manifest::CiliumClusterwideNetworkPolicy(p) => p.rules().any(|(_, rule)| {
            rule.sections()
                .iter()
                .any(|(_, _, _, list)| list.is_some_and(|l| l.iter().any(|r| r.nodes.is_some())))
        }),
        Manifest::ClusterNetworkPolicy(p) => kcnp_peers(p).any(|peer| peer.nodes.is_some()),
        _ => false,
    }
}

fn uses_domain_names(document: &Document) -> bool {
    match &document.manifest {
        Manifest::ClusterNetworkPolicy(p) => kcnp_peers(p).any(|peer| peer.domain_names.is_some()),
        _ => false,
    }
}

fn kcnp_peers(p: &crate::model::ClusterNetworkPolicy) -> impl Iterator<Item = &crate::model::ClusterNetworkPolicyPeer> {
    p.spec.iter().flat_map(|spec| {
        [spec.ingress.as_ref(), spec.egress.as_ref()]
            .into_iter()
            .flatten()
            .flat_map(|l| l.iter())
            .flat_map(|rule| rule.peers.iter().flat_map(|l| l.iter()))
            .map(|peer| &peer.value)
    })
}

fn uses_l7_or_fqdn(document: &Document) -> bool {
    let (Manifest::CiliumNetworkPolicy(p) | Manifest::CiliumClusterwideNetworkPolicy(p)) = &document.manifest else {
        return false;
    };
    uses_l7(document)
        || p.rules().any(|(_, rule)| {
            rule.egress
                .as_ref()
                .is_some_and(|l| l.iter().any(|r| r.fqdns.is_some()))
        })
}

/// Name, namespace and Cilium's policy labels (§1.7): derived-from, name
/// (overridden by the `policy.cilium.io/name` annotation), namespace (not
/// for cluster-wide kinds), uid.
fn policy_info(kind: Kind, meta: &ObjectMeta, document: &Document) -> PolicyInfo {
    let namespace = if kind.is_namespaced() {
        Some(meta.namespace().unwrap_or("default").to_owned())
    } else {
        None
    };
    let name = meta.name().unwrap_or("").to_owned();
    let label_name = meta
        .annotation("policy.cilium.io/name")
        .or_else(|| meta.annotation("io.cilium.name"))
        .unwrap_or(&name)
        .to_owned();
    let mut labels = vec![
        Label::new(Source::K8s, "io.cilium.k8s.policy.derived-from", kind.name()),
        Label::new(Source::K8s, "io.cilium.k8s.policy.name", label_name),
    ];
    if let Some(ns) = &namespace {
        labels.push(Label::new(Source::K8s, "io.cilium.k8s.policy.namespace", ns.clone()));
    }
    labels.push(Label::new(
        Source::K8s,
        "io.cilium.k8s.policy.uid",
        meta.server.uid.clone().unwrap_or_default(),
    ));
    PolicyInfo {
        kind,
        namespace,
        name,
        document: document.index,
        span: document.span,
        labels,
    }
}

#[cfg(test)]
mod tests {
    use crate::profile::{ProfileKind, ProfileSettings};
    use crate::{analyze, AnalyzeOptions};

    fn skipped_on_aks(text: &str, acns: bool) -> Vec<String> {
        let analysis = analyze(
            text,
            &AnalyzeOptions {
                profile: ProfileSettings {
                    kind: Some(ProfileKind::Aks),
                    acns: Some(acns),
                    ..ProfileSettings::default()
                },
                ..AnalyzeOptions::default()
            },
        );
        analysis.lowered.skipped.iter().map(|s| s.reason.clone()).collect()
    }

    /// peers-and-aks §1.2: AKS refuses L7 rules in a CCNP, but FQDN
    /// filtering (toFQDNs with its DNS rules) works there with ACNS.
    #[test]
    fn aks_enforces_fqdn_in_a_clusterwide_policy_but_not_http() {
        let fqdn = "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: dns}\nspec:\n  endpointSelector: {}\n  egress:\n  - toEndpoints:\n    - matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s-app: kube-dns}\n    toPorts:\n    - ports: [{port: \"53\", protocol: ANY}]\n      rules:\n        dns: [{matchPattern: \"*\"}]\n  - toFQDNs: [{matchName: api.example.com}]\n";
        assert_eq!(skipped_on_aks(fqdn, true), Vec::<String>::new());
        assert_eq!(skipped_on_aks(fqdn, false).len(), 1, "without ACNS it is refused");
        let http = fqdn
            .replace("dns: [{matchPattern: \"*\"}]", "http: [{method: GET}]")
            .replace("port: \"53\", protocol: ANY", "port: \"80\", protocol: TCP");
        let skipped = skipped_on_aks(&http, true);
        assert!(
            skipped
                .iter()
                .any(|r| r.contains("L7 rules in a CiliumClusterwideNetworkPolicy")),
            "{skipped:?}"
        );
    }
}
