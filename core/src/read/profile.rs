//! Reading netpolkit's `ClusterProfile`.

use super::{Object, Reader};
use crate::model::*;
use crate::yaml::Node;

pub(super) fn cluster_profile(r: &mut Reader, top: &Object, metadata: Spanned<ObjectMeta>) -> ClusterProfile {
    ClusterProfile {
        metadata,
        spec: r.field(top, "spec", spec),
    }
}

fn spec(r: &mut Reader, node: &Node) -> Option<Spanned<ClusterProfileSpec>> {
    let o = r.object(node, &["profile", "acns", "cilium", "cluster"])?;
    let spec = ClusterProfileSpec {
        profile: r.field(&o, "profile", Reader::string),
        acns: r.field(&o, "acns", Reader::boolean),
        cilium: r.field(&o, "cilium", |r, n| {
            let o = r.object(
                n,
                &[
                    "version",
                    "policyCIDRMatchMode",
                    "policyDefaultLocalCluster",
                    "enableNonDefaultDenyPolicies",
                    "enableNodeSelectorLabels",
                    "enableL7Proxy",
                    "enableK8sClusterNetworkPolicy",
                    "enableHostFirewall",
                    "identityLabelFilter",
                ],
            )?;
            let settings = CiliumSettings {
                version: r.field(&o, "version", Reader::string),
                policy_cidr_match_mode: r.field(&o, "policyCIDRMatchMode", Reader::strings),
                policy_default_local_cluster: r.field(&o, "policyDefaultLocalCluster", Reader::boolean),
                enable_non_default_deny_policies: r.field(&o, "enableNonDefaultDenyPolicies", Reader::boolean),
                enable_node_selector_labels: r.field(&o, "enableNodeSelectorLabels", Reader::boolean),
                enable_l7_proxy: r.field(&o, "enableL7Proxy", Reader::boolean),
                enable_k8s_cluster_network_policy: r.field(&o, "enableK8sClusterNetworkPolicy", Reader::boolean),
                enable_host_firewall: r.field(&o, "enableHostFirewall", Reader::boolean),
                identity_label_filter: r.field(&o, "identityLabelFilter", Reader::boolean),
            };
            Some(Spanned::new(settings, r.value_span(n)))
        }),
        cluster: r.field(&o, "cluster", |r, n| {
            let o = r.object(
                n,
                &[
                    "name",
                    "podCIDRs",
                    "nodeCIDRs",
                    "serviceCIDRs",
                    "apiServerCIDRs",
                    "kubernetesVersion",
                    "localDNS",
                ],
            )?;
            let facts = ClusterFacts {
                name: r.field(&o, "name", Reader::string),
                pod_cidrs: r.field(&o, "podCIDRs", Reader::strings),
                node_cidrs: r.field(&o, "nodeCIDRs", Reader::strings),
                service_cidrs: r.field(&o, "serviceCIDRs", Reader::strings),
                api_server_cidrs: r.field(&o, "apiServerCIDRs", Reader::strings),
                kubernetes_version: r.field(&o, "kubernetesVersion", Reader::string),
                local_dns: r.field(&o, "localDNS", Reader::boolean),
            };
            Some(Spanned::new(facts, r.value_span(n)))
        }),
    };
    Some(Spanned::new(spec, r.value_span(node)))
}
