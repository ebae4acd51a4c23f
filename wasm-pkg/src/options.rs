//! Options objects from JavaScript: the profile and cluster facts every
//! analysing function shares, and how an options object is read.
//!
//! Every function that decides flows (`explain`, `connectivity`, `analyze`,
//! `convert`, `diff`, `migrate`, `rewrite`) takes the same cluster facts,
//! flattened into its own options as [`ClusterFacts`], so a fact added here
//! reaches all of them and the TypeScript declarations say
//! `extends ClusterFacts`.
//!
//! serde cannot refuse unknown fields of a struct with a flattened part
//! (`deny_unknown_fields` does not combine with `flatten`), and
//! serde-wasm-bindgen only looks up the fields a struct declares. So
//! [`read`] compares the object's own keys with the names each options type
//! lists in [`Fields`] first: `{ ciliumversion: "1.19" }` throws instead of
//! silently checking against the wrong version. A test holds every list to
//! the generated TypeScript declaration.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tsify::Tsify;
use wasm_bindgen::{JsCast, JsValue};

use netpolkit::profile::{ProfileKind, ProfileSettings};

/// Whose semantics decide verdicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// Kubernetes as documented: NetworkPolicy only, ipBlock matches any address.
    Upstream,
    /// Cilium (default: the newest version, stock settings).
    Cilium,
    /// Azure CNI powered by Cilium as AKS ships it.
    Aks,
    /// Azure Network Policy Manager.
    AzureNpm,
}

impl From<Profile> for ProfileKind {
    fn from(profile: Profile) -> Self {
        match profile {
            Profile::Upstream => ProfileKind::Upstream,
            Profile::Cilium => ProfileKind::Cilium,
            Profile::Aks => ProfileKind::Aks,
            Profile::AzureNpm => ProfileKind::AzureNpm,
        }
    }
}

/// Which addresses CIDR rules may match besides those outside the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "lowercase")]
pub enum CidrMatchMode {
    Nodes,
    Pods,
}

/// What is known of the cluster the policies run on. Each fact refines the
/// profile (or the text's `ClusterProfile` document, which it overrides).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct ClusterFacts {
    /// `"1.19"`, `"v1.19.5"`... (default: the newest, or on AKS the line
    /// AKS runs for `kubernetesVersion`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cilium_version: Option<String>,
    /// `"1.31"`: on AKS it picks the Cilium line (1.29-1.30: 1.14, 1.31: 1.16, 1.32+: 1.17).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
    /// AKS: Advanced Container Networking Services (FQDN and L7 policies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acns: Option<bool>,
    /// AKS LocalDNS is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_dns: Option<bool>,
    /// Cilium's `policy-cidr-match-mode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_match_mode: Option<Vec<CidrMatchMode>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_cidrs: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_cidrs: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_cidrs: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_server_cidrs: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
}

impl Fields for ClusterFacts {
    const OWN: &'static [&'static str] = &[
        "ciliumVersion",
        "kubernetesVersion",
        "acns",
        "localDns",
        "cidrMatchMode",
        "podCidrs",
        "nodeCidrs",
        "serviceCidrs",
        "apiServerCidrs",
        "clusterName",
    ];
    const FACTS: bool = false;
}

impl ClusterFacts {
    /// The core's settings under `profile`; a malformed version or CIDR is
    /// an error message.
    pub fn settings(&self, profile: Option<Profile>) -> Result<ProfileSettings, String> {
        let nets = |list: &Option<Vec<String>>| -> Result<Option<Vec<ipnet::IpNet>>, String> {
            list.as_ref()
                .map(|l| {
                    l.iter()
                        .map(|s| s.parse().map_err(|_| format!("`{s}` is not a CIDR")))
                        .collect()
                })
                .transpose()
        };
        let mode = |m: CidrMatchMode| self.cidr_match_mode.as_ref().map(|l| l.contains(&m));
        Ok(ProfileSettings {
            kind: profile.map(Into::into),
            cilium_version: self
                .cilium_version
                .as_ref()
                .map(|v| v.parse::<netpolkit::CiliumVersion>())
                .transpose()
                .map_err(|e| e.to_string())?,
            acns: self.acns,
            cidr_match_nodes: mode(CidrMatchMode::Nodes),
            cidr_match_pods: mode(CidrMatchMode::Pods),
            pod_cidrs: nets(&self.pod_cidrs)?,
            node_cidrs: nets(&self.node_cidrs)?,
            service_cidrs: nets(&self.service_cidrs)?,
            cluster_name: self.cluster_name.clone(),
            api_server_cidrs: nets(&self.api_server_cidrs)?,
            kubernetes_version: self
                .kubernetes_version
                .as_ref()
                .map(|v| v.parse::<netpolkit::KubernetesVersion>())
                .transpose()
                .map_err(|e| e.to_string())?,
            local_dns: self.local_dns,
            ..ProfileSettings::default()
        })
    }
}

/// The field names of an options type, as JavaScript spells them.
pub trait Fields {
    /// Its own fields.
    const OWN: &'static [&'static str];
    /// Whether [`ClusterFacts`] is flattened into it.
    const FACTS: bool;
}

/// Reads an options object: unknown keys first (with a "did you mean"),
/// then the values. The message is what the thrown `Error` says after
/// `invalid options: `.
pub fn read<T: Fields + DeserializeOwned>(value: JsValue) -> Result<T, String> {
    if value.is_object() && !js_sys::Array::is_array(&value) {
        let known = || {
            T::OWN
                .iter()
                .chain(if T::FACTS { ClusterFacts::OWN } else { &[] })
                .copied()
        };
        for key in js_sys::Object::keys(value.unchecked_ref::<js_sys::Object>()).iter() {
            let key = key.as_string().unwrap_or_default();
            if !known().any(|k| k == key) {
                return Err(match netpolkit::diagnostic::did_you_mean(&key, known()) {
                    Some(close) => format!("unknown field `{key}`, did you mean `{close}`?"),
                    None => format!("unknown field `{key}`, expected one of {}", list(known())),
                });
            }
        }
    }
    serde_wasm_bindgen::from_value(value).map_err(|e| {
        // The error is a JS `Error`; its message, without `Error: ` in front.
        let error = JsValue::from(e);
        match error.dyn_ref::<js_sys::Error>() {
            Some(e) => String::from(e.message()),
            None => format!("{error:?}"),
        }
    })
}

/// `` `a`, `b`, `c` ``
fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The field names of the TypeScript declaration `decl`, and whether it
    /// extends `ClusterFacts`.
    fn declared(decl: &str) -> (Vec<String>, bool) {
        let body = &decl[decl.find('{').expect("an object type") + 1..decl.rfind('}').expect("closed")];
        let names = body
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("/*") && !l.starts_with('*') && !l.starts_with("//"))
            .filter_map(|l| l.split_once(':').map(|(name, _)| name.trim_end_matches('?').to_owned()))
            .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric()))
            .collect();
        let head = &decl[..decl.find('{').unwrap_or(0)];
        (
            names,
            head.contains("extends ClusterFacts") || decl.contains("& ClusterFacts"),
        )
    }

    fn check<T: Fields + Tsify>() {
        let (mut names, facts) = declared(T::DECL);
        let mut own = T::OWN.to_vec();
        names.sort();
        own.sort_unstable();
        assert_eq!(names, own, "{}", T::DECL);
        assert_eq!(facts, T::FACTS, "{}", T::DECL);
    }

    #[test]
    fn every_field_list_is_the_declared_one() {
        check::<ClusterFacts>();
        check::<crate::types::ValidateOptions>();
        check::<crate::types::FormatOptions>();
        #[cfg(feature = "analysis")]
        {
            check::<crate::analysis::AnalyzeOptions>();
            check::<crate::analysis::FlowQuery>();
            check::<crate::analysis::ConnectivityOptions>();
            check::<crate::conversion::ConvertOptions>();
            check::<crate::conversion::DiffOptions>();
            check::<crate::migration::MigrateOptions>();
        }
    }
}
