//! The breaking changes of a move onto AKS, located (NP601–NP613).
//!
//! Microsoft's `azure-npm-to-cilium-validator` (peers-and-aks §1.3) has five
//! checks; each has a refined counterpart here, plus the AKS limitations of
//! §1.2 it does not look at:
//!
//! - `addresses.rs`: ipBlock peers covering pod (NP601) or node (NP602)
//!   addresses — by address arithmetic against the cluster's ranges, so an
//!   external block is never flagged, and the FAQ's pod workaround counts.
//! - `features.rs`: what AKS refuses or cannot enable: L7 in a clusterwide
//!   policy (NP603), FQDN and L7 without ACNS (NP604), features behind agent
//!   flags (NP605), Calico policies the move uninstalls (NP613).
//! - `versions.rs`: the Kubernetes ↔ Cilium table (NP607), `endPort` only
//!   where the target's Cilium ignores it (NP608).
//! - `ports.rs`: named ports only where the given pods disagree on their
//!   number (NP609).
//! - `workloads.rs`: policies selecting hostNetwork pods (NP606).
//! - `flows.rs`: what the engine decides differently: the node egress Azure
//!   NPM allowed implicitly (NP610), external ingress through
//!   LoadBalancer/NodePort services (NP611), LocalDNS (NP612).
//!
//! The target's own validation diagnostics that the dataplane of today did
//! not raise (fields the target's Cilium line refuses) are included too.

mod addresses;
mod features;
mod flows;
mod ports;
mod versions;
mod workloads;

use super::Sides;
use crate::analysis::Analysis;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::Document;
use crate::profile::{Profile, ProfileKind};
use crate::source::Span;

/// Every breaking change of `sides`, in text order.
pub fn run(sides: &Sides) -> Vec<Diagnostic> {
    let mut c = Checks { sides, out: Vec::new() };
    if sides.after.profile.is_cilium() {
        addresses::run(&mut c);
        features::run(&mut c);
        versions::run(&mut c);
        ports::run(&mut c);
        workloads::run(&mut c);
        flows::run(&mut c);
        target_refusals(&mut c);
    }
    let mut out = c.out;
    crate::sort::sort_by(&mut out, |a, b| {
        (a.span.start, b.severity, a.code, &a.path, &a.message, a.span.end).cmp(&(
            b.span.start,
            a.severity,
            b.code,
            &b.path,
            &b.message,
            b.span.end,
        ))
    });
    out.dedup();
    out
}

/// The sides being checked and the findings so far.
pub(super) struct Checks<'a> {
    pub sides: &'a Sides,
    pub out: Vec<Diagnostic>,
}

impl<'a> Checks<'a> {
    fn before(&self) -> &'a Analysis {
        &self.sides.before
    }

    fn after(&self) -> &'a Analysis {
        &self.sides.after
    }

    fn target(&self) -> &'a Profile {
        &self.sides.after.profile
    }

    /// Whether the target is AKS (whose agent configuration is fixed).
    fn on_aks(&self) -> bool {
        self.target().kind == ProfileKind::Aks
    }

    fn documents(&self) -> &'a [Document] {
        &self.sides.after.parsed.documents
    }

    /// Adds a finding at `span` in `document`, `path` relative to the object.
    fn report(
        &mut self,
        code: Code,
        document: &Document,
        span: Span,
        path: &str,
        message: String,
        hint: String,
    ) -> &mut Diagnostic {
        let mut d = Diagnostic::new(code, span, message)
            .with_path(object_path(document, path))
            .with_hint(hint);
        d.document = Some(document.index);
        self.out.push(d);
        let last = self.out.len() - 1;
        &mut self.out[last]
    }
}

/// A path inside an object, prefixed with the object's place in a `List`.
fn object_path(document: &Document, path: &str) -> String {
    match (document.path.is_empty(), path.is_empty()) {
        (true, _) => path.to_owned(),
        (false, true) => document.path.clone(),
        (false, false) => format!("{}.{path}", document.path),
    }
}

/// `NetworkPolicy shop/web`, `CiliumClusterwideNetworkPolicy egress`.
fn object_name(document: &Document) -> String {
    let kind = document.kind.as_ref().map_or("object", |k| k.value.as_str());
    let meta = document.manifest.metadata();
    let name = meta.and_then(|m| m.name()).unwrap_or("<unnamed>");
    let namespaced = document.model_kind().is_none_or(|k| k.is_namespaced());
    match meta.and_then(|m| m.namespace()) {
        _ if !namespaced => format!("{kind} {name}"),
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} default/{name}"),
    }
}

/// `Pod`, or the controller whose pod template an endpoint stands for.
fn workload_kind(e: &crate::cluster::Endpoint) -> &'static str {
    match &e.kind {
        crate::cluster::EndpointKind::Template(k) => k.name(),
        _ => "Pod",
    }
}

/// `egress to` or `ingress from`.
fn direction_words(direction: crate::model::Direction) -> &'static str {
    match direction {
        crate::model::Direction::Ingress => "ingress from",
        crate::model::Direction::Egress => "egress to",
    }
}

/// Whether `analysis` lowered a rule of `document` at `path` (so the
/// dataplane it describes enforces it).
fn enforced_at(analysis: &Analysis, document: usize, path: &str) -> bool {
    let lowered = &analysis.lowered;
    lowered.entries.iter().any(|e| {
        e.origin.path == path
            && lowered
                .policies
                .get(e.origin.policy)
                .is_some_and(|p| p.document == document)
    })
}

/// The target's validation diagnostics that the dataplane of today did not
/// raise: fields the target's Cilium line refuses (NP313), flags it needs
/// (NP312), and the like. Matched by code, place and path, since messages
/// name the version.
fn target_refusals(c: &mut Checks<'_>) {
    let before = &c.before().parsed.diagnostics;
    let key = |d: &Diagnostic| (d.code, d.span, d.document, d.path.clone());
    let known = crate::sort::set(before.iter().map(key));
    let new: Vec<Diagnostic> = c
        .after()
        .parsed
        .diagnostics
        .iter()
        .filter(|d| !known.contains(&key(d)))
        .cloned()
        .collect();
    c.out.extend(new);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::MigrateOptions;

    #[test]
    fn nothing_to_say_about_an_empty_text() {
        let sides = Sides::new("", &MigrateOptions::default());
        assert!(run(&sides).is_empty());
    }

    #[test]
    fn object_names_and_paths() {
        let parsed = crate::parse("apiVersion: v1\nkind: List\nitems:\n- apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n  metadata: {name: a}\n");
        let d = &parsed.documents[0];
        assert_eq!(object_name(d), "NetworkPolicy default/a");
        assert_eq!(object_path(d, "spec"), "items[0].spec");
    }
}
