//! What AKS refuses or cannot switch on (peers-and-aks §1.2): L7 rules in a
//! clusterwide policy (NP603), FQDN and L7 rules without Advanced Container
//! Networking Services (NP604), features behind cilium-agent flags AKS does
//! not let anyone set (NP605: only identity-label exclusion may change in
//! its cilium-config), and Calico policies, which the move uninstalls
//! together with Calico (NP613, `update-azure-cni.md`). None of these is in
//! Microsoft's validator, which reads NetworkPolicies only.

use super::{object_name, Checks};
use crate::diagnostic::Code;
use crate::model::{CiliumPolicy, CiliumSettings, Direction, Document, Manifest, PeerKind, PeerRule, Spanned};
use crate::profile::Profile;

pub(super) fn run(c: &mut Checks<'_>) {
    for document in c.documents() {
        match &document.manifest {
            Manifest::CiliumNetworkPolicy(p) if c.on_aks() => cilium_policy(c, document, p, false),
            Manifest::CiliumClusterwideNetworkPolicy(p) if c.on_aks() => cilium_policy(c, document, p, true),
            Manifest::ClusterNetworkPolicy(_) if c.on_aks() => {
                let span = document.kind.as_ref().map_or(document.span, |k| k.span);
                let message = format!(
                    "{} is not enforced on AKS: Cilium implements ClusterNetworkPolicy only from 1.20 and behind --enable-k8s-cluster-network-policy, which AKS does not set",
                    object_name(document)
                );
                let hint = "express it as CiliumClusterwideNetworkPolicy (`netpolkit convert`)".to_owned();
                c.report(Code::UnavailableOnAks, document, span, "kind", message, hint);
            }
            Manifest::ClusterProfile(p) if c.on_aks() => {
                if let Some(settings) = p.spec.as_ref().and_then(|s| s.cilium.as_ref()) {
                    agent_flags(c, document, settings);
                }
            }
            _ => calico(c, document),
        }
    }
}

/// NP603, NP604 and NP605 in one CiliumNetworkPolicy or clusterwide policy.
fn cilium_policy(c: &mut Checks<'_>, document: &Document, policy: &CiliumPolicy, clusterwide: bool) {
    let acns = c.target().acns;
    let name = object_name(document);
    for (prefix, rule) in policy.rules() {
        if let Some(selector) = rule.node_selector.as_ref().filter(|_| clusterwide) {
            let message = format!(
                "{name} is a host policy (nodeSelector): it needs Cilium's host firewall, which AKS does not enable, so it is not enforced"
            );
            let hint = "protect nodes with Azure network security groups; select pods with endpointSelector".to_owned();
            c.report(
                Code::UnavailableOnAks,
                document,
                selector.span,
                &format!("{prefix}.nodeSelector"),
                message,
                hint,
            );
        }
        if let Some(dd) = &rule.enable_default_deny {
            let off = [&dd.ingress, &dd.egress].into_iter().flatten().find(|b| !b.value);
            if let (Some(off), false) = (off, c.target().non_default_deny_policies) {
                let message = "`enableDefaultDeny: false` needs --enable-non-default-deny-policies, which this AKS cluster does not set: the agent refuses the policy".to_owned();
                let hint =
                    "remove `enableDefaultDeny` and allow what the other policies' default deny would drop".to_owned();
                c.report(
                    Code::UnavailableOnAks,
                    document,
                    off.span,
                    &format!("{prefix}.enableDefaultDeny"),
                    message,
                    hint,
                );
            }
        }
        for (direction, _, field, list) in rule.sections() {
            for (i, peer_rule) in list.iter().flat_map(|l| l.iter()).enumerate() {
                let base = format!("{prefix}.{field}[{i}]");
                rule_features(c, document, &name, (direction, &base), peer_rule, clusterwide, acns);
            }
        }
    }
}

fn rule_features(
    c: &mut Checks<'_>,
    document: &Document,
    name: &str,
    (direction, base): (Direction, &str),
    rule: &Spanned<PeerRule>,
    clusterwide: bool,
    acns: bool,
) {
    if let Some(nodes) = &rule.nodes {
        let field = PeerKind::Nodes.field(direction);
        let message =
            format!("`{field}` needs --enable-node-selector-labels, which AKS does not set: the agent refuses {name}");
        let hint = format!(
            "select nodes with `{}: [host, remote-node]` (every node) instead",
            PeerKind::Entities.field(direction)
        );
        c.report(
            Code::UnavailableOnAks,
            document,
            nodes.span,
            &format!("{base}.{field}"),
            message,
            hint,
        );
    }
    if let (Some(fqdns), false) = (&rule.fqdns, acns) {
        let message = format!(
            "`toFQDNs` needs Advanced Container Networking Services on AKS; without it {name} is refused and none of its rules is enforced"
        );
        c.report(
            Code::NeedsAcns,
            document,
            fqdns.span,
            &format!("{base}.toFQDNs"),
            message,
            acns_hint(),
        );
    }
    for (k, port_rule) in rule.to_ports.iter().flat_map(|l| l.iter()).enumerate() {
        let Some(rules) = &port_rule.rules else { continue };
        let path = format!("{base}.toPorts[{k}].rules");
        let mut present = rules.present();
        if rules.l7.is_some() && !present.contains(&"l7proto") {
            present.push("l7");
        }
        let proxy: Vec<&str> = present.iter().copied().filter(|p| *p != "dns").collect();
        if clusterwide && !proxy.is_empty() {
            let message = format!(
                "{} rules in a CiliumClusterwideNetworkPolicy: AKS does not support L7 policy in clusterwide policies, so {name} is not enforced",
                proxy.join(", ")
            );
            let hint = "move the L7 rules into a CiliumNetworkPolicy in each namespace they are for (`netpolkit convert --to cnp`)".to_owned();
            c.report(Code::L7InClusterwide, document, rules.span, &path, message, hint);
        }
        if !acns && !present.is_empty() {
            let message = format!(
                "{} rules need Advanced Container Networking Services on AKS; without it {name} is refused and none of its rules is enforced",
                present.join(", ")
            );
            c.report(Code::NeedsAcns, document, rules.span, &path, message, acns_hint());
        }
    }
}

fn acns_hint() -> String {
    "enable ACNS (`az aks update --enable-acns`, with the L7 option for L7 rules), or drop the rules to L3/L4"
        .to_owned()
}

/// NP605: agent settings a ClusterProfile claims for an AKS cluster that
/// differ from what AKS runs (only identity-label exclusion may change).
fn agent_flags(c: &mut Checks<'_>, document: &Document, settings: &CiliumSettings) {
    let mut aks = Profile::new(crate::profile::ProfileKind::Aks);
    aks.set_version(c.target().cilium_version);
    let flags = [
        (
            "policyDefaultLocalCluster",
            &settings.policy_default_local_cluster,
            aks.default_local_cluster,
        ),
        (
            "enableNonDefaultDenyPolicies",
            &settings.enable_non_default_deny_policies,
            aks.non_default_deny_policies,
        ),
        (
            "enableNodeSelectorLabels",
            &settings.enable_node_selector_labels,
            aks.node_selector_labels,
        ),
        ("enableL7Proxy", &settings.enable_l7_proxy, aks.l7_proxy),
        (
            "enableK8sClusterNetworkPolicy",
            &settings.enable_k8s_cluster_network_policy,
            aks.cluster_network_policy,
        ),
        ("enableHostFirewall", &settings.enable_host_firewall, aks.host_firewall),
    ];
    let hint = "AKS manages cilium-config: drop the setting (netpolkit then judges the policies as AKS runs them)";
    for (field, value, default) in flags {
        let Some(value) = value.as_ref().filter(|v| v.value != default) else {
            continue;
        };
        let message = format!(
            "`{field}: {}` cannot be set on AKS: only identity-label exclusion may change in its cilium-config",
            value.value
        );
        c.report(
            Code::UnavailableOnAks,
            document,
            value.span,
            &format!("spec.cilium.{field}"),
            message,
            hint.to_owned(),
        );
    }
    if let Some(modes) = settings.policy_cidr_match_mode.as_ref().filter(|m| !m.is_empty()) {
        let message =
            "policy-cidr-match-mode cannot be set on AKS: ipBlock and CIDR rules never match pods or nodes there"
                .to_owned();
        c.report(
            Code::UnavailableOnAks,
            document,
            modes.span,
            "spec.cilium.policyCIDRMatchMode",
            message,
            hint.to_owned(),
        );
    }
}

/// NP613: a Calico policy (projectcalico.org/v3, or its CRD group).
fn calico(c: &mut Checks<'_>, document: &Document) {
    let (Some(api), Some(kind)) = (&document.api_version, &document.kind) else {
        return;
    };
    let group = api.value.split('/').next().unwrap_or("");
    if !matches!(group, "projectcalico.org" | "crd.projectcalico.org") || !kind.value.contains("NetworkPolicy") {
        return;
    }
    let message = format!(
        "{} is a Calico policy: moving the cluster to Cilium uninstalls Calico, so it silently stops being enforced (only Kubernetes NetworkPolicies carry over)",
        object_name(document)
    );
    let hint = "before the move, rewrite it as a NetworkPolicy (or, after the move, a CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy for global policies); netpolkit does not convert Calico policies".to_owned();
    c.report(Code::EngineRemoved, document, api.span, "apiVersion", message, hint);
}
