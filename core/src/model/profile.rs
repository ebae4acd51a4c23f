//! `netpolkit.dev/v1alpha1` ClusterProfile: the cluster a policy set is
//! judged for, written next to the policies.
//!
//! ```yaml
//! apiVersion: netpolkit.dev/v1alpha1
//! kind: ClusterProfile
//! metadata: {name: prod}
//! spec:
//!   profile: aks                  # upstream | cilium | aks | azure-npm
//!   acns: false
//!   cilium:
//!     version: "1.17"
//!     policyCIDRMatchMode: [nodes]
//!   cluster:
//!     name: prod
//!     podCIDRs: [10.244.0.0/16]
//!     kubernetesVersion: "1.31"   # on AKS: picks the Cilium line
//!     localDNS: true              # AKS LocalDNS is enabled
//! ```

use super::{ObjectMeta, Spanned, Str};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterProfile {
    pub metadata: Spanned<ObjectMeta>,
    pub spec: Option<Spanned<ClusterProfileSpec>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterProfileSpec {
    pub profile: Option<Str>,
    pub acns: Option<Spanned<bool>>,
    pub cilium: Option<Spanned<CiliumSettings>>,
    pub cluster: Option<Spanned<ClusterFacts>>,
}

/// The cilium-agent settings that change verdicts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CiliumSettings {
    pub version: Option<Str>,
    pub policy_cidr_match_mode: Option<Spanned<Vec<Str>>>,
    pub policy_default_local_cluster: Option<Spanned<bool>>,
    pub enable_non_default_deny_policies: Option<Spanned<bool>>,
    pub enable_node_selector_labels: Option<Spanned<bool>>,
    pub enable_l7_proxy: Option<Spanned<bool>>,
    pub enable_k8s_cluster_network_policy: Option<Spanned<bool>>,
    pub enable_host_firewall: Option<Spanned<bool>>,
    pub identity_label_filter: Option<Spanned<bool>>,
}

/// Facts about the cluster's addresses.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterFacts {
    pub name: Option<Str>,
    pub pod_cidrs: Option<Spanned<Vec<Str>>>,
    pub node_cidrs: Option<Spanned<Vec<Str>>>,
    pub service_cidrs: Option<Spanned<Vec<Str>>>,
    pub api_server_cidrs: Option<Spanned<Vec<Str>>>,
    pub kubernetes_version: Option<Str>,
    pub local_dns: Option<Spanned<bool>>,
}
