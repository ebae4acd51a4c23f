//! Profiles: the dataplane whose semantics decide verdicts, and the facts
//! of the cluster (cilium-semantics §3.6, §3.7; peers-and-aks.md §1).
//!
//! A profile starts from one of four named kinds and is then adjusted by a
//! `ClusterProfile` document in the input (apiVersion
//! `netpolkit.dev/v1alpha1`) and by front-end flags, in that order.

use std::fmt;
use std::str::FromStr;

use ipnet::IpNet;

use crate::model::{ClusterProfile, Document, Manifest};
use crate::version::{aks_minimum_cilium, CiliumVersion, KubernetesVersion};

/// Whose semantics apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProfileKind {
    /// Kubernetes as the API documents it: NetworkPolicy only, ipBlock
    /// matches any address, no deny rules.
    Upstream,
    /// Cilium with the configuration given (default: a stock install of the
    /// newest version).
    Cilium,
    /// Azure CNI powered by Cilium as AKS ships it: the agent configuration
    /// cannot be changed; L7 and FQDN rules need ACNS.
    Aks,
    /// Azure Network Policy Manager: Kubernetes semantics plus an implicit
    /// egress allow to the pod's own node, and no ingress enforcement for
    /// traffic arriving through LoadBalancer/NodePort services with
    /// `externalTrafficPolicy: Cluster`.
    AzureNpm,
}

impl ProfileKind {
    pub const ALL: [ProfileKind; 4] = [
        ProfileKind::Upstream,
        ProfileKind::Cilium,
        ProfileKind::Aks,
        ProfileKind::AzureNpm,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProfileKind::Upstream => "upstream",
            ProfileKind::Cilium => "cilium",
            ProfileKind::Aks => "aks",
            ProfileKind::AzureNpm => "azure-npm",
        }
    }
}

impl FromStr for ProfileKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProfileKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown profile `{s}`: use upstream, cilium, aks or azure-npm"))
    }
}

impl fmt::Display for ProfileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything the engine needs to know about the dataplane and the cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    pub kind: ProfileKind,
    pub cilium_version: CiliumVersion,
    /// `policy-cidr-match-mode` contains `nodes`: CIDR rules match node addresses.
    pub cidr_match_nodes: bool,
    /// `policy-cidr-match-mode` contains `pods` (1.20+): CIDR rules match pod addresses.
    pub cidr_match_pods: bool,
    /// `policy-default-local-cluster`: peer selectors match only the local cluster.
    pub default_local_cluster: bool,
    /// `enable-non-default-deny-policies`: `enableDefaultDeny: false` is honoured.
    pub non_default_deny_policies: bool,
    /// `enable-node-selector-labels`: fromNodes/toNodes work.
    pub node_selector_labels: bool,
    /// `enable-l7-proxy`.
    pub l7_proxy: bool,
    /// `enable-k8s-cluster-network-policy` (1.20+).
    pub cluster_network_policy: bool,
    /// The host firewall: host policies (`nodeSelector`) are enforced.
    pub host_firewall: bool,
    /// The default identity-relevant label filter (§3.7) applies.
    pub identity_label_filter: bool,
    /// AKS: Advanced Container Networking Services (FQDN and L7 policies).
    pub acns: bool,
    pub cluster_name: String,
    pub pod_cidrs: Vec<IpNet>,
    pub node_cidrs: Vec<IpNet>,
    pub service_cidrs: Vec<IpNet>,
    /// Whether the address ranges above describe this cluster: given by the
    /// user, or the AKS defaults under an AKS or Azure NPM profile. Claims
    /// that an address is a pod or node address need it.
    pub ranges_known: bool,
    /// The Kubernetes version: on AKS it decides the Cilium line (seeds'
    /// version table).
    pub kubernetes_version: Option<KubernetesVersion>,
    /// AKS LocalDNS: pods resolve names through 169.254.10.0/24 and the host.
    pub local_dns: bool,
    /// The API server's addresses, when known (an ipBlock on them is
    /// rewritten to the `kube-apiserver` entity).
    pub api_server_cidrs: Vec<IpNet>,
}

/// The AKS defaults for addresses (`az aks create` with Azure CNI overlay),
/// used by every profile unless the cluster says otherwise.
pub const DEFAULT_POD_CIDR: &str = "10.244.0.0/16";
pub const DEFAULT_NODE_CIDR: &str = "10.224.0.0/16";
pub const DEFAULT_SERVICE_CIDR: &str = "10.0.0.0/16";
/// The Cilium version AKS runs on its current Kubernetes versions (1.32, 1.33).
pub const AKS_CILIUM_VERSION: CiliumVersion = CiliumVersion::new(1, 17);

fn net(s: &str) -> IpNet {
    // The constants above are valid; an unreachable fallback keeps this total.
    s.parse().unwrap_or(IpNet::V4(ipnet::Ipv4Net::default()))
}

impl Profile {
    /// The defaults of a named profile.
    pub fn new(kind: ProfileKind) -> Self {
        let version = match kind {
            ProfileKind::Aks => AKS_CILIUM_VERSION,
            _ => CiliumVersion::NEWEST,
        };
        let mut profile = Profile {
            kind,
            cilium_version: version,
            cidr_match_nodes: false,
            cidr_match_pods: false,
            default_local_cluster: false,
            non_default_deny_policies: true,
            node_selector_labels: false,
            l7_proxy: true,
            cluster_network_policy: false,
            host_firewall: false,
            identity_label_filter: matches!(kind, ProfileKind::Cilium | ProfileKind::Aks),
            acns: false,
            cluster_name: "default".to_owned(),
            pod_cidrs: vec![net(DEFAULT_POD_CIDR)],
            node_cidrs: vec![net(DEFAULT_NODE_CIDR)],
            service_cidrs: vec![net(DEFAULT_SERVICE_CIDR)],
            ranges_known: matches!(kind, ProfileKind::Aks | ProfileKind::AzureNpm),
            kubernetes_version: None,
            local_dns: false,
            api_server_cidrs: Vec::new(),
        };
        profile.set_version(version);
        profile
    }

    /// Changes the Cilium version, with the defaults that depend on it.
    pub fn set_version(&mut self, version: CiliumVersion) {
        self.cilium_version = version;
        // policy-default-local-cluster became the default in 1.19 (§1.1).
        self.default_local_cluster = self.is_cilium() && version.at_least(1, 19);
    }

    /// Applies settings on top of this profile (the version first, since
    /// other defaults follow from it).
    pub fn apply(&mut self, s: &ProfileSettings) {
        if let Some(v) = s.cilium_version {
            self.set_version(v);
        }
        let set = |field: &mut bool, value: Option<bool>| {
            if let Some(v) = value {
                *field = v;
            }
        };
        set(&mut self.cidr_match_nodes, s.cidr_match_nodes);
        set(&mut self.cidr_match_pods, s.cidr_match_pods);
        set(&mut self.default_local_cluster, s.default_local_cluster);
        set(&mut self.non_default_deny_policies, s.non_default_deny_policies);
        set(&mut self.node_selector_labels, s.node_selector_labels);
        set(&mut self.l7_proxy, s.l7_proxy);
        set(&mut self.cluster_network_policy, s.cluster_network_policy);
        set(&mut self.host_firewall, s.host_firewall);
        set(&mut self.identity_label_filter, s.identity_label_filter);
        set(&mut self.acns, s.acns);
        if let Some(name) = &s.cluster_name {
            self.cluster_name = name.clone();
        }
        for (field, value) in [
            (&mut self.pod_cidrs, &s.pod_cidrs),
            (&mut self.node_cidrs, &s.node_cidrs),
            (&mut self.service_cidrs, &s.service_cidrs),
        ] {
            if let Some(v) = value {
                field.clone_from(v);
                self.ranges_known = true;
            }
        }
        if let Some(v) = &s.api_server_cidrs {
            self.api_server_cidrs.clone_from(v);
        }
        if let Some(v) = s.kubernetes_version {
            self.kubernetes_version = Some(v);
        }
        set(&mut self.local_dns, s.local_dns);
    }

    /// The Cilium line AKS runs for the Kubernetes version, if the version
    /// is given and the table lists it.
    pub fn aks_cilium_for_kubernetes(&self) -> Option<CiliumVersion> {
        self.kubernetes_version
            .and_then(aks_minimum_cilium)
            .map(|(line, _)| line)
    }

    /// Whether Cilium's semantics apply (as opposed to Kubernetes' own).
    pub fn is_cilium(&self) -> bool {
        matches!(self.kind, ProfileKind::Cilium | ProfileKind::Aks)
    }

    /// The cluster name that peer selectors are pinned to, if any (§1.4).
    pub fn local_cluster(&self) -> Option<&str> {
        self.default_local_cluster.then_some(self.cluster_name.as_str())
    }

    /// Whether `ip` is a pod address of the cluster.
    pub fn is_pod_ip(&self, ip: std::net::IpAddr) -> bool {
        self.pod_cidrs.iter().any(|n| n.contains(&ip))
    }

    /// Whether `ip` is a node address of the cluster.
    pub fn is_node_ip(&self, ip: std::net::IpAddr) -> bool {
        self.node_cidrs.iter().any(|n| n.contains(&ip))
    }

    /// One line saying what the profile is, for explanations.
    pub fn describe(&self) -> String {
        match self.kind {
            ProfileKind::Upstream => "upstream Kubernetes semantics".to_owned(),
            ProfileKind::AzureNpm => "Azure Network Policy Manager".to_owned(),
            ProfileKind::Cilium | ProfileKind::Aks => {
                let mut s = if self.kind == ProfileKind::Aks {
                    format!("AKS, Azure CNI powered by Cilium {}", self.cilium_version)
                } else {
                    format!("Cilium {}", self.cilium_version)
                };
                if self.kind == ProfileKind::Aks {
                    s.push_str(if self.acns { ", ACNS on" } else { ", ACNS off" });
                }
                let mut modes = Vec::new();
                if self.cidr_match_nodes {
                    modes.push("nodes");
                }
                if self.cidr_match_pods {
                    modes.push("pods");
                }
                if !modes.is_empty() {
                    s.push_str(&format!(", policy-cidr-match-mode={}", modes.join(",")));
                }
                s
            }
        }
    }
}

/// Adjustments to a named profile: from a ClusterProfile document or from
/// front-end flags. `None` keeps the profile's default.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProfileSettings {
    pub kind: Option<ProfileKind>,
    pub cilium_version: Option<CiliumVersion>,
    pub cidr_match_nodes: Option<bool>,
    pub cidr_match_pods: Option<bool>,
    pub default_local_cluster: Option<bool>,
    pub non_default_deny_policies: Option<bool>,
    pub node_selector_labels: Option<bool>,
    pub l7_proxy: Option<bool>,
    pub cluster_network_policy: Option<bool>,
    pub host_firewall: Option<bool>,
    pub identity_label_filter: Option<bool>,
    pub acns: Option<bool>,
    pub cluster_name: Option<String>,
    pub pod_cidrs: Option<Vec<IpNet>>,
    pub node_cidrs: Option<Vec<IpNet>>,
    pub service_cidrs: Option<Vec<IpNet>>,
    pub kubernetes_version: Option<KubernetesVersion>,
    pub local_dns: Option<bool>,
    pub api_server_cidrs: Option<Vec<IpNet>>,
}

impl ProfileSettings {
    /// These settings, with `fallback` filling what they leave unset.
    pub fn or(self, fallback: ProfileSettings) -> ProfileSettings {
        ProfileSettings {
            kind: self.kind.or(fallback.kind),
            cilium_version: self.cilium_version.or(fallback.cilium_version),
            cidr_match_nodes: self.cidr_match_nodes.or(fallback.cidr_match_nodes),
            cidr_match_pods: self.cidr_match_pods.or(fallback.cidr_match_pods),
            default_local_cluster: self.default_local_cluster.or(fallback.default_local_cluster),
            non_default_deny_policies: self.non_default_deny_policies.or(fallback.non_default_deny_policies),
            node_selector_labels: self.node_selector_labels.or(fallback.node_selector_labels),
            l7_proxy: self.l7_proxy.or(fallback.l7_proxy),
            cluster_network_policy: self.cluster_network_policy.or(fallback.cluster_network_policy),
            host_firewall: self.host_firewall.or(fallback.host_firewall),
            identity_label_filter: self.identity_label_filter.or(fallback.identity_label_filter),
            acns: self.acns.or(fallback.acns),
            cluster_name: self.cluster_name.or(fallback.cluster_name),
            pod_cidrs: self.pod_cidrs.or(fallback.pod_cidrs),
            node_cidrs: self.node_cidrs.or(fallback.node_cidrs),
            service_cidrs: self.service_cidrs.or(fallback.service_cidrs),
            kubernetes_version: self.kubernetes_version.or(fallback.kubernetes_version),
            local_dns: self.local_dns.or(fallback.local_dns),
            api_server_cidrs: self.api_server_cidrs.or(fallback.api_server_cidrs),
        }
    }

    /// The settings of the first ClusterProfile in `documents`.
    pub fn from_documents(documents: &[Document]) -> Option<Self> {
        documents.iter().find_map(|d| match &d.manifest {
            Manifest::ClusterProfile(p) => Some(ProfileSettings::from_document(p)),
            _ => None,
        })
    }

    /// The settings a ClusterProfile document writes (values it cannot
    /// understand were reported by validation and are left out here).
    pub fn from_document(doc: &ClusterProfile) -> Self {
        let mut s = ProfileSettings::default();
        let Some(spec) = &doc.spec else { return s };
        s.kind = spec.profile.as_ref().and_then(|p| p.value.parse().ok());
        s.acns = spec.acns.as_ref().map(|b| b.value);
        if let Some(c) = &spec.cilium {
            let flag = |b: &Option<crate::model::Spanned<bool>>| b.as_ref().map(|b| b.value);
            s.cilium_version = c.version.as_ref().and_then(|v| v.value.parse().ok());
            if let Some(modes) = &c.policy_cidr_match_mode {
                s.cidr_match_nodes = Some(modes.iter().any(|m| m.value == "nodes"));
                s.cidr_match_pods = Some(modes.iter().any(|m| m.value == "pods"));
            }
            s.default_local_cluster = flag(&c.policy_default_local_cluster);
            s.non_default_deny_policies = flag(&c.enable_non_default_deny_policies);
            s.node_selector_labels = flag(&c.enable_node_selector_labels);
            s.l7_proxy = flag(&c.enable_l7_proxy);
            s.cluster_network_policy = flag(&c.enable_k8s_cluster_network_policy);
            s.host_firewall = flag(&c.enable_host_firewall);
            s.identity_label_filter = flag(&c.identity_label_filter);
        }
        if let Some(facts) = &spec.cluster {
            s.cluster_name = facts.name.as_ref().map(|n| n.value.clone());
            let nets = |l: &Option<crate::model::Spanned<Vec<crate::model::Str>>>| {
                l.as_ref()
                    .map(|l| l.iter().filter_map(|s| s.value.parse().ok()).collect())
            };
            s.pod_cidrs = nets(&facts.pod_cidrs);
            s.node_cidrs = nets(&facts.node_cidrs);
            s.service_cidrs = nets(&facts.service_cidrs);
            s.api_server_cidrs = nets(&facts.api_server_cidrs);
            s.kubernetes_version = facts.kubernetes_version.as_ref().and_then(|v| v.value.parse().ok());
            s.local_dns = facts.local_dns.as_ref().map(|b| b.value);
        }
        s
    }
}

/// The profile for `documents`: the named kind (flags, then the first
/// ClusterProfile document, then `cilium`), adjusted by the document and
/// then by the flags.
pub fn resolve(documents: &[Document], flags: &ProfileSettings) -> Profile {
    let from_doc = ProfileSettings::from_documents(documents).unwrap_or_default();
    let kind = flags.kind.or(from_doc.kind).unwrap_or(ProfileKind::Cilium);
    let mut profile = Profile::new(kind);
    profile.apply(&from_doc);
    profile.apply(flags);
    // On AKS the Kubernetes version decides the Cilium line, unless a line
    // is given.
    if kind == ProfileKind::Aks && flags.cilium_version.or(from_doc.cilium_version).is_none() {
        if let Some(line) = profile.aks_cilium_for_kubernetes() {
            profile.set_version(line);
        }
    }
    profile
}

/// Identity-relevant labels (§3.7): by default Cilium leaves these pod label
/// keys out of security identities, so no selector can match them.
pub fn identity_relevant(key: &str) -> bool {
    const KEPT: &[&str] = &["io.kubernetes.pod.namespace", "io.cilium.k8s.", "app.kubernetes.io"];
    const DROPPED: &[&str] = &[
        "io.kubernetes",
        "kubernetes.io",
        "statefulset.kubernetes.io/pod-name",
        "apps.kubernetes.io/pod-index",
        "batch.kubernetes.io/job-completion-index",
        "batch.kubernetes.io/controller-uid",
        "k8s.io",
        "pod-template-generation",
        "pod-template-hash",
        "controller-revision-hash",
        "controller-uid",
        "annotation",
        "etcd_node",
        "topology.kubernetes.io",
    ];
    if KEPT.iter().any(|k| key.starts_with(k)) {
        return true;
    }
    !(DROPPED.iter().any(|d| key.starts_with(d)) || key.contains("beta.kubernetes.io"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_profiles_have_their_documented_defaults() {
        let cilium = Profile::new(ProfileKind::Cilium);
        assert_eq!(cilium.cilium_version, CiliumVersion::NEWEST);
        assert!(cilium.default_local_cluster, "default since 1.19");
        assert!(cilium.identity_label_filter);
        let aks = Profile::new(ProfileKind::Aks);
        assert_eq!(aks.cilium_version, AKS_CILIUM_VERSION);
        assert!(!aks.default_local_cluster);
        assert!(!aks.acns);
        assert!(!Profile::new(ProfileKind::Upstream).is_cilium());
        assert_eq!("azure-npm".parse(), Ok(ProfileKind::AzureNpm));
    }

    #[test]
    fn documents_then_flags_adjust_the_named_profile() {
        let text = "apiVersion: netpolkit.dev/v1alpha1\nkind: ClusterProfile\nmetadata: {name: p}\nspec:\n  profile: aks\n  acns: true\n  cilium:\n    version: \"1.19\"\n    policyCIDRMatchMode: [nodes]\n  cluster:\n    name: prod\n    podCIDRs: [10.1.0.0/16]\n";
        let parsed = crate::parse(text);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let profile = resolve(&parsed.documents, &ProfileSettings::default());
        assert_eq!(profile.kind, ProfileKind::Aks);
        assert!(profile.acns);
        assert_eq!(profile.cilium_version, CiliumVersion::new(1, 19));
        assert!(profile.default_local_cluster, "follows the version");
        assert!(profile.cidr_match_nodes && !profile.cidr_match_pods);
        assert_eq!(profile.cluster_name, "prod");
        assert_eq!(profile.pod_cidrs, vec!["10.1.0.0/16".parse::<IpNet>().unwrap()]);
        let flags = ProfileSettings {
            kind: Some(ProfileKind::Cilium),
            acns: Some(false),
            ..ProfileSettings::default()
        };
        let profile = resolve(&parsed.documents, &flags);
        assert_eq!(profile.kind, ProfileKind::Cilium, "flags win");
        assert!(!profile.acns);
        assert_eq!(profile.cluster_name, "prod", "the document still applies");
    }

    #[test]
    fn on_aks_the_kubernetes_version_picks_the_cilium_line() {
        let flags = |k8s: &str, cilium: Option<&str>| ProfileSettings {
            kind: Some(ProfileKind::Aks),
            kubernetes_version: Some(k8s.parse().unwrap()),
            cilium_version: cilium.map(|c| c.parse().unwrap()),
            ..ProfileSettings::default()
        };
        let p = resolve(&[], &flags("1.30", None));
        assert_eq!(p.cilium_version, CiliumVersion::new(1, 14));
        assert_eq!(
            resolve(&[], &flags("1.31", None)).cilium_version,
            CiliumVersion::new(1, 16)
        );
        assert_eq!(
            resolve(&[], &flags("1.31", Some("1.18"))).cilium_version,
            CiliumVersion::new(1, 18),
            "a given line wins"
        );
        assert_eq!(
            resolve(&[], &flags("1.40", None)).cilium_version,
            AKS_CILIUM_VERSION,
            "not in the table"
        );
        assert!(p.ranges_known, "AKS defaults describe an AKS cluster");
        assert!(!Profile::new(ProfileKind::Cilium).ranges_known);
    }

    #[test]
    fn identity_label_filter_follows_cilium_defaults() {
        for kept in [
            "app",
            "app.kubernetes.io/name",
            "io.kubernetes.pod.namespace",
            "team",
            "example.kubernetes.io/x",
        ] {
            assert!(identity_relevant(kept), "{kept}");
        }
        for dropped in [
            "statefulset.kubernetes.io/pod-name",
            "pod-template-hash",
            "controller-revision-hash",
            "kubernetes.io/hostname",
            "topology.kubernetes.io/zone",
            "failure-domain.beta.kubernetes.io/zone",
            "io.kubernetes.container.name",
            "batch.kubernetes.io/controller-uid",
        ] {
            assert!(!identity_relevant(dropped), "{dropped}");
        }
    }
}
