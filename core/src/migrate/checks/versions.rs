//! Versions: the Kubernetes ↔ minimum Cilium table of "Azure CNI powered by
//! Cilium" (seeds 000; NP607), and `endPort`, which the AKS migration
//! article says Cilium supports in NetworkPolicies from 1.17 (peers-and-aks
//! §1.1 item 1; NP608).
//!
//! Refinement over Microsoft's validator, which flags every `endPort`: only
//! where the target's Cilium line ignores it — AKS before 1.17 (the
//! article's statement), other Cilium clusters before 1.16 (cilium-semantics
//! §1.6: 1.15 only warned, 1.14 used `port` alone).

use super::{Checks, Diagnostic};
use crate::diagnostic::Code;
use crate::model::{ClusterProfile, Document, Manifest, Str};
use crate::source::Span;
use crate::version::{aks_minimum_cilium, CiliumVersion, AKS_TABLE_KUBERNETES};

pub(super) fn run(c: &mut Checks<'_>) {
    if c.on_aks() {
        table(c);
    }
    end_ports(c);
}

/// The first ClusterProfile document and its spec fields holding the
/// Kubernetes and Cilium versions, if written there.
fn profile_fields<'a>(c: &Checks<'a>) -> Option<(&'a Document, Option<&'a Str>, Option<&'a Str>)> {
    c.documents().iter().find_map(|d| match &d.manifest {
        Manifest::ClusterProfile(ClusterProfile { spec: Some(spec), .. }) => Some((
            d,
            spec.cluster.as_ref().and_then(|f| f.kubernetes_version.as_ref()),
            spec.cilium.as_ref().and_then(|s| s.version.as_ref()),
        )),
        _ => None,
    })
}

/// NP607 at the ClusterProfile field that gives the value, or about the
/// whole text when the value came from elsewhere (flags).
fn at_field(c: &mut Checks<'_>, field: Option<(&Document, &Str, &str)>, message: String, hint: String) {
    match field {
        Some((document, value, path)) => {
            c.report(Code::AksVersion, document, value.span, path, message, hint);
        }
        None => c
            .out
            .push(Diagnostic::new(Code::AksVersion, Span::point(0), message).with_hint(hint)),
    }
}

/// NP607: a Kubernetes version the table does not list, or a Cilium line
/// (or patch release) older than AKS runs for the Kubernetes version.
fn table(c: &mut Checks<'_>) {
    let target = c.target();
    let Some(kubernetes) = target.kubernetes_version else {
        return;
    };
    let fields = profile_fields(c);
    // A field locates the finding only if it says what the profile uses.
    let k8s_field = fields.and_then(|(d, k, _)| {
        k.filter(|k| k.value.parse().ok() == Some(kubernetes))
            .map(|k| (d, k, "spec.cluster.kubernetesVersion"))
    });
    let cilium_field = fields.and_then(|(d, _, v)| {
        v.filter(|v| v.value.parse().ok() == Some(target.cilium_version))
            .map(|v| (d, v, "spec.cilium.version"))
    });
    let Some((line, patch)) = aks_minimum_cilium(kubernetes) else {
        let (oldest, newest) = AKS_TABLE_KUBERNETES;
        let message = format!(
            "Kubernetes {kubernetes} is not in AKS's table of Cilium versions ({oldest} to {newest}); netpolkit assumes Cilium {}, and its verdicts may not match the cluster",
            target.cilium_version
        );
        let hint = "give the Cilium version the cluster runs (`spec.cilium.version`, `--cilium-version`), or move to a Kubernetes version AKS lists".to_owned();
        at_field(c, k8s_field, message, hint);
        return;
    };
    let given = target.cilium_version;
    let patch_given = cilium_field.and_then(|(_, v, _)| patch_of(&v.value));
    let older = given < line || (given == line && patch_given.is_some_and(|p| p < patch));
    if !older {
        return;
    }
    let written = match (cilium_field, patch_given) {
        (Some((_, v, _)), Some(_)) => v.value.trim().to_owned(),
        _ => given.to_string(),
    };
    let message = format!(
        "Cilium {written} is older than AKS runs for Kubernetes {kubernetes} (at least {line}.{patch}): the verdicts are judged for a version the cluster will not have"
    );
    let hint = format!(
        "judge the policies for Cilium {line} (drop `spec.cilium.version`), or check the cluster's Kubernetes version"
    );
    at_field(c, cilium_field.or(k8s_field), message, hint);
}

/// `1.16.6` → 6; `1.16` → None.
fn patch_of(version: &str) -> Option<u32> {
    let trimmed = version.trim().trim_start_matches('v');
    let patch = trimmed.split(['.', '-']).nth(2)?;
    patch.parse().ok()
}

/// NP608: `endPort` in a NetworkPolicy where the target's Cilium ignores it.
fn end_ports(c: &mut Checks<'_>) {
    let target = c.target();
    let (since, source) = if c.on_aks() {
        (CiliumVersion::new(1, 17), "the AKS migration article")
    } else {
        (CiliumVersion::new(1, 16), "cilium-semantics §1.6")
    };
    if target.cilium_version >= since {
        return;
    }
    for document in c.documents() {
        let Manifest::NetworkPolicy(policy) = &document.manifest else {
            continue;
        };
        let Some(spec) = &policy.spec else { continue };
        for (field, rules) in [("ingress", &spec.ingress), ("egress", &spec.egress)] {
            for (i, rule) in rules.iter().flat_map(|l| l.iter()).enumerate() {
                for (k, port) in rule.ports.iter().flat_map(|l| l.iter()).enumerate() {
                    let Some(end) = &port.end_port else { continue };
                    let start = port.port.as_ref().map_or("?".to_owned(), |p| p.value.to_string());
                    let message = format!(
                        "`endPort` needs Cilium {since} or newer ({source}); on {} the range {start}-{} shrinks to port {start} alone",
                        target.describe(),
                        end.value
                    );
                    let hint = format!(
                        "list the ports of the range one by one, or move to a Kubernetes version whose Cilium line is {since} or newer"
                    );
                    c.report(
                        Code::EndPortUnsupported,
                        document,
                        end.span,
                        &format!("spec.{field}[{i}].ports[{k}].endPort"),
                        message,
                        hint,
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::patch_of;

    #[test]
    fn patch_releases() {
        assert_eq!(patch_of("1.16.6"), Some(6));
        assert_eq!(patch_of("v1.14.19"), Some(19));
        assert_eq!(patch_of("1.17"), None);
        assert_eq!(patch_of("1.20.0-dev"), Some(0));
    }
}
