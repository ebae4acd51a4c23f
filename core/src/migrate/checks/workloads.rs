//! NP606: policies about pods with `hostNetwork: true` (peers-and-aks §1.2:
//! "Network policies are not applied to hostNetwork pods"; they carry their
//! node's identity). As a subject the policy does not protect them; as a
//! peer, a selector that matches only such pods matches nothing under
//! Cilium, which sees their traffic as the node's (host or remote-node).

use std::collections::BTreeSet;

use super::{object_name, workload_kind, Checks};
use crate::cluster::{Endpoint, EndpointKind};
use crate::diagnostic::{Code, Related};
use crate::ir::{Peer, Subject, L3};
use crate::model::{Document, Manifest};
use crate::source::Span;

pub(super) fn run(c: &mut Checks<'_>) {
    let after = c.after();
    let host_pods: Vec<&Endpoint> = after
        .cluster
        .endpoints
        .iter()
        .filter(|e| e.host_network && e.kind != EndpointKind::External && e.kind != EndpointKind::Node)
        .collect();
    if host_pods.is_empty() {
        return;
    }
    let pods: Vec<&Endpoint> = after.cluster.endpoints.iter().filter(|e| e.is_pod()).collect();
    let mut subjects_done = BTreeSet::new();
    let mut peers_done = BTreeSet::new();
    for entry in &after.lowered.entries {
        let Some(info) = after.lowered.policies.get(entry.origin.policy) else {
            continue;
        };
        let Some(document) = c.documents().get(info.document) else {
            continue;
        };
        let prefix = entry.origin.path.split('.').next().unwrap_or("spec").to_owned();
        if let Subject::Endpoints(subject) = &entry.subject {
            let selected: Vec<&Endpoint> = host_pods
                .iter()
                .copied()
                .filter(|e| subject.matches(&e.labels))
                .collect();
            if !selected.is_empty() && subjects_done.insert((info.document, prefix.clone())) {
                let (span, path) = subject_field(document, &prefix);
                let message = format!(
                    "{} selects hostNetwork pods ({}): Cilium does not enforce policies on them (they use their node's identity), so this policy does not protect them",
                    object_name(document),
                    names(&selected)
                );
                let hint = "protect host-network workloads with Azure network security groups, or run them without hostNetwork".to_owned();
                let d = c.report(Code::HostNetworkPod, document, span, &path, message, hint);
                d.related.extend(related(&selected));
            }
        }
        let L3::Peers(peers) = &entry.l3 else { continue };
        for peer in peers {
            let Peer::Selector(selector) = peer else { continue };
            if selector.is_wildcard() || pods.iter().any(|p| selector.matches(&p.labels)) {
                continue;
            }
            let matched: Vec<&Endpoint> = host_pods
                .iter()
                .copied()
                .filter(|e| selector.matches(&e.labels))
                .collect();
            if matched.is_empty() || !peers_done.insert((info.document, entry.origin.path.clone())) {
                continue;
            }
            let message = format!(
                "this peer matches only hostNetwork pods ({}): under Cilium their traffic carries the node's identity (host or remote-node), so the selector matches nothing",
                names(&matched)
            );
            let hint =
                "allow the node instead: a CiliumNetworkPolicy with the `host` and `remote-node` entities".to_owned();
            let d = c.report(
                Code::HostNetworkPod,
                document,
                entry.origin.span,
                &entry.origin.path,
                message,
                hint,
            );
            d.related.extend(related(&matched));
        }
    }
}

/// The subject selector of the rule at `prefix` (`spec`, `specs[1]`).
fn subject_field(document: &Document, prefix: &str) -> (Span, String) {
    match &document.manifest {
        Manifest::NetworkPolicy(p) => match p.spec.as_ref() {
            Some(spec) => match &spec.pod_selector {
                Some(s) => (s.span, "spec.podSelector".to_owned()),
                None => (spec.span, "spec".to_owned()),
            },
            None => (document.span, String::new()),
        },
        Manifest::CiliumNetworkPolicy(p) | Manifest::CiliumClusterwideNetworkPolicy(p) => p
            .rules()
            .find(|(path, _)| path == prefix)
            .map(|(path, rule)| match &rule.endpoint_selector {
                Some(s) => (s.span, format!("{path}.endpointSelector")),
                None => (rule.span, path),
            })
            .unwrap_or((document.span, String::new())),
        _ => (document.span, String::new()),
    }
}

fn names(list: &[&Endpoint]) -> String {
    let shown: Vec<&str> = list.iter().take(3).map(|e| e.name.as_str()).collect();
    match list.len() {
        n if n > 3 => format!("{} and {} more", shown.join(", "), n - 3),
        _ => shown.join(", "),
    }
}

fn related(list: &[&Endpoint]) -> Vec<Related> {
    list.iter()
        .filter_map(|e| {
            Some(Related {
                span: e.span?,
                message: format!("{} {} has hostNetwork: true", workload_kind(e), e.name),
            })
        })
        .collect()
}
