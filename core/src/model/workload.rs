//! Workloads: what policies select and connect. Only the facts that matter
//! for policy are modelled (labels, namespace, container ports, host
//! networking, addresses); the whole object stays in [`Document::source`].
//!
//! [`Document::source`]: super::Document::source

use super::{IntOrString, Kind, LabelMap, ObjectMeta, Protocol, Spanned, Str};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Namespace {
    pub metadata: Spanned<ObjectMeta>,
}

/// The parts of a pod spec that policies depend on.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PodFacts {
    pub host_network: Option<Spanned<bool>>,
    pub node_name: Option<Str>,
    pub service_account_name: Option<Str>,
    pub containers: Vec<Container>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Container {
    pub name: Option<Str>,
    pub ports: Vec<Spanned<ContainerPort>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContainerPort {
    pub name: Option<Str>,
    pub container_port: Option<Spanned<i64>>,
    pub protocol: Option<Spanned<Protocol>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pod {
    pub metadata: Spanned<ObjectMeta>,
    pub spec: PodFacts,
    /// `status.podIP` and `status.podIPs`, when the manifest comes from a cluster.
    pub pod_ips: Vec<Str>,
    pub host_ip: Option<Str>,
}

/// A Kubernetes Node (named `NodeObject` to keep `Node` for YAML nodes).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeObject {
    pub metadata: Spanned<ObjectMeta>,
    pub pod_cidrs: Vec<Str>,
    pub addresses: Vec<NodeAddress>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeAddress {
    pub kind: Option<Str>,
    pub address: Option<Str>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Service {
    pub metadata: Spanned<ObjectMeta>,
    pub service_type: Option<Str>,
    pub selector: Option<Spanned<LabelMap>>,
    pub ports: Vec<Spanned<ServicePort>>,
    pub external_traffic_policy: Option<Str>,
    pub cluster_ips: Vec<Str>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServicePort {
    pub name: Option<Str>,
    pub port: Option<Spanned<i64>>,
    pub target_port: Option<Spanned<IntOrString>>,
    pub node_port: Option<Spanned<i64>>,
    pub protocol: Option<Spanned<Protocol>>,
}

/// A controller with a pod template.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    pub kind: Kind,
    pub metadata: Spanned<ObjectMeta>,
    pub replicas: Option<Spanned<i64>>,
    /// The template's own labels (what policies select) and namespace.
    pub template_metadata: Spanned<ObjectMeta>,
    pub template: PodFacts,
}
