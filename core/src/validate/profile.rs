//! netpolkit's ClusterProfile: values the profile resolution understands.

use super::meta::{self, NameRule};
use super::net;
use super::Check;
use crate::diagnostic::Code;
use crate::model::{ClusterProfile, Document, Spanned, Str};
use crate::profile::ProfileKind;
use crate::version::{CiliumVersion, KubernetesVersion};

pub(super) fn cluster_profile(c: &mut Check, profile: &ClusterProfile, document: &Document) {
    meta::object_meta(c, &profile.metadata, NameRule::Subdomain, document);
    let Some(spec) = &profile.spec else { return };
    c.at("spec", |c| {
        if let Some(kind) = &spec.profile {
            if kind.value.parse::<ProfileKind>().is_err() {
                let names: Vec<&str> = ProfileKind::ALL.iter().map(|k| k.as_str()).collect();
                unsupported(c, "profile", kind, &names);
            }
        }
        if let Some(cilium) = &spec.cilium {
            c.at("cilium", |c| {
                let version = cilium
                    .version
                    .as_ref()
                    .and_then(|v| match v.value.parse::<CiliumVersion>() {
                        Ok(version) => Some(version),
                        Err(e) => {
                            c.at("version", |c| {
                                c.emit(Code::UnsupportedValue, v.span, e.to_string(), None)
                            });
                            None
                        }
                    });
                if let Some(modes) = &cilium.policy_cidr_match_mode {
                    c.at("policyCIDRMatchMode", |c| {
                        c.each(modes, |c, mode| match mode.value.as_str() {
                            "nodes" => {}
                            "pods" if version.is_none_or(|v| v.at_least(1, 20)) => {}
                            "pods" => c.emit(
                                Code::VersionGate,
                                mode.span,
                                "policy-cidr-match-mode `pods` needs Cilium 1.20",
                                None,
                            ),
                            _ => {
                                let names = ["nodes", "pods"];
                                let hint = crate::diagnostic::did_you_mean(&mode.value, names)
                                    .map(|n| format!("did you mean `{n}`?"));
                                c.emit(
                                    Code::UnsupportedValue,
                                    mode.span,
                                    format!(
                                        "unsupported value `{}`: supported values are `nodes`, `pods`",
                                        mode.value
                                    ),
                                    hint,
                                )
                            }
                        })
                    });
                }
            });
        }
        if let Some(cluster) = &spec.cluster {
            c.at("cluster", |c| {
                for (field, list) in [
                    ("podCIDRs", &cluster.pod_cidrs),
                    ("nodeCIDRs", &cluster.node_cidrs),
                    ("serviceCIDRs", &cluster.service_cidrs),
                    ("apiServerCIDRs", &cluster.api_server_cidrs),
                ] {
                    if let Some(list) = list {
                        c.at(field, |c| cidrs(c, list));
                    }
                }
                if let Some(v) = &cluster.kubernetes_version {
                    if let Err(e) = v.value.parse::<KubernetesVersion>() {
                        c.at("kubernetesVersion", |c| {
                            c.emit(Code::UnsupportedValue, v.span, e.to_string(), None)
                        });
                    }
                }
            });
        }
    });
}

fn cidrs(c: &mut Check, list: &Spanned<Vec<Str>>) {
    c.each(list, |c, s| {
        net::cidr(c, s);
    });
}

fn unsupported(c: &mut Check, field: &'static str, value: &Str, names: &[&str]) {
    let list = names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
    let hint =
        crate::diagnostic::did_you_mean(&value.value, names.iter().copied()).map(|n| format!("did you mean `{n}`?"));
    c.at(field, |c| {
        c.emit(
            Code::UnsupportedValue,
            value.span,
            format!("unsupported value `{}`: supported values are {list}", value.value),
            hint,
        )
    });
}
