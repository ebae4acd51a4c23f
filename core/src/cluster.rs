//! The cluster a flow runs in: endpoints (pods, controllers' pod templates,
//! nodes, addresses outside the cluster) and their identities, built from
//! the workloads in the input and the profile.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::ir::{is_cilium_derived, Label, Labels, Proto, Source};
use crate::model::{Document, IntOrString, Kind, Manifest, ObjectMeta, PodFacts, Protocol};
use crate::profile::{identity_relevant, Profile};
use crate::source::Span;

/// What an endpoint is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndpointKind {
    /// A Pod manifest.
    Pod,
    /// The pod template of a Deployment, StatefulSet... (one endpoint stands for its replicas).
    Template(Kind),
    /// A Node manifest, or a node pods name.
    Node,
    /// An address (or DNS name) outside the cluster.
    External,
}

/// A named container port.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContainerPort {
    pub name: Option<String>,
    pub port: u16,
    pub protocol: Proto,
}

/// Something traffic goes from or to.
#[derive(Clone, Debug, PartialEq)]
pub struct Endpoint {
    /// `shop/web-1`, `node/aks-1`, `203.0.113.7`, `api.example.com`.
    pub name: String,
    pub kind: EndpointKind,
    pub namespace: Option<String>,
    /// Pods: the labels of their security identity (k8s labels, namespace,
    /// namespace labels, cluster, service account); nodes: node labels.
    pub labels: Labels,
    /// The pod's labels as written (for listing).
    pub pod_labels: Vec<(String, String)>,
    pub ips: Vec<IpAddr>,
    /// A DNS name, for addresses outside the cluster named in a query.
    pub dns_name: Option<String>,
    pub ports: Vec<ContainerPort>,
    /// The node a pod runs on, or the node itself.
    pub node: Option<String>,
    /// A pod with `hostNetwork: true`: it has its node's identity.
    pub host_network: bool,
    /// A pod of another cluster of a ClusterMesh (its identity carries that
    /// cluster's name): that cluster's policies apply at it, not these.
    pub remote_cluster: Option<String>,
    pub document: Option<usize>,
    pub span: Option<Span>,
}

impl Endpoint {
    /// Whether the endpoint is a Cilium endpoint that endpoint policies select.
    pub fn is_pod(&self) -> bool {
        matches!(self.kind, EndpointKind::Pod | EndpointKind::Template(_)) && !self.host_network
    }

    /// Whether it has a node's identity (a node, or a host-network pod).
    pub fn is_node_like(&self) -> bool {
        self.kind == EndpointKind::Node || (self.host_network && self.kind != EndpointKind::External)
    }

    /// An address or name outside the cluster.
    pub fn external(ip: Option<IpAddr>, dns_name: Option<String>) -> Endpoint {
        let name = match (&ip, &dns_name) {
            (Some(ip), _) => ip.to_string(),
            (None, Some(n)) => n.clone(),
            (None, None) => "world".to_owned(),
        };
        Endpoint {
            name,
            kind: EndpointKind::External,
            namespace: None,
            labels: world_labels(ip),
            pod_labels: Vec::new(),
            ips: ip.into_iter().collect(),
            dns_name,
            ports: Vec::new(),
            node: None,
            host_network: false,
            remote_cluster: None,
            document: None,
            span: None,
        }
    }
}

fn world_labels(ip: Option<IpAddr>) -> Labels {
    let mut labels = vec![Label::new(Source::Reserved, "world", "")];
    match ip {
        Some(IpAddr::V4(_)) => labels.push(Label::new(Source::Reserved, "world-ipv4", "")),
        Some(IpAddr::V6(_)) => labels.push(Label::new(Source::Reserved, "world-ipv6", "")),
        None => {}
    }
    Labels::new(labels)
}

/// A Service, for what depends on how traffic arrives.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceInfo {
    pub namespace: String,
    pub name: String,
    pub service_type: String,
    /// `externalTrafficPolicy`, `Cluster` when not written.
    pub external_traffic_policy: String,
    pub selector: Vec<(String, String)>,
    /// (port, targetPort as written, protocol).
    pub ports: Vec<(u16, Option<IntOrString>, Proto)>,
    /// `spec.clusterIPs` (and `clusterIP`), when written.
    pub cluster_ips: Vec<IpAddr>,
}

/// Every endpoint of the input, and the namespaces and services around them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cluster {
    pub endpoints: Vec<Endpoint>,
    pub namespaces: BTreeMap<String, Vec<(String, String)>>,
    pub services: Vec<ServiceInfo>,
    /// The cluster's address ranges (from the profile): an address in them
    /// that no manifest names is still a pod, a node or a service.
    pub pod_cidrs: Vec<IpNet>,
    pub node_cidrs: Vec<IpNet>,
    pub service_cidrs: Vec<IpNet>,
}

pub const NAMESPACE: &str = "io.kubernetes.pod.namespace";
pub const NAMESPACE_LABELS: &str = "io.cilium.k8s.namespace.labels.";

impl Cluster {
    pub fn build(documents: &[Document], profile: &Profile) -> Cluster {
        let mut cluster = Cluster {
            pod_cidrs: profile.pod_cidrs.clone(),
            node_cidrs: profile.node_cidrs.clone(),
            service_cidrs: profile.service_cidrs.clone(),
            ..Cluster::default()
        };
        for d in documents {
            if let Manifest::Namespace(ns) = &d.manifest {
                if let Some(name) = ns.metadata.name() {
                    let labels = ns
                        .metadata
                        .labels
                        .iter()
                        .flat_map(|m| m.iter())
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .collect();
                    cluster.namespaces.insert(name.to_owned(), labels);
                }
            }
        }
        for d in documents {
            match &d.manifest {
                Manifest::Pod(p) => {
                    let ips = p.pod_ips.iter().filter_map(|ip| ip.parse().ok()).collect();
                    let name = p.metadata.name().unwrap_or("").to_owned();
                    cluster.add_pod(profile, d, &p.metadata, &p.spec, name, EndpointKind::Pod, ips);
                }
                Manifest::Workload(w) => {
                    let name = w.metadata.name().unwrap_or("").to_owned();
                    let mut meta = w.template_metadata.value.clone();
                    meta.namespace = w.metadata.namespace.clone();
                    cluster.add_pod(
                        profile,
                        d,
                        &meta,
                        &w.template,
                        name,
                        EndpointKind::Template(w.kind),
                        Vec::new(),
                    );
                }
                Manifest::Node(n) => {
                    let name = n.metadata.name().unwrap_or("").to_owned();
                    let ips = n
                        .addresses
                        .iter()
                        .filter_map(|a| a.address.as_ref()?.value.parse().ok())
                        .collect();
                    let labels = n.metadata.labels.iter().flat_map(|m| m.iter());
                    cluster.endpoints.push(Endpoint {
                        name: format!("node/{name}"),
                        kind: EndpointKind::Node,
                        namespace: None,
                        labels: Labels::new(labels.map(|(k, v)| Label::new(Source::Node, k, v)).collect()),
                        pod_labels: Vec::new(),
                        ips,
                        dns_name: None,
                        ports: Vec::new(),
                        node: Some(name),
                        host_network: false,
                        remote_cluster: None,
                        document: Some(d.index),
                        span: Some(d.span),
                    });
                }
                Manifest::Service(s) => cluster.services.push(ServiceInfo {
                    namespace: s.metadata.namespace().unwrap_or("default").to_owned(),
                    name: s.metadata.name().unwrap_or("").to_owned(),
                    service_type: s
                        .service_type
                        .as_ref()
                        .map_or("ClusterIP".to_owned(), |t| t.value.clone()),
                    external_traffic_policy: s
                        .external_traffic_policy
                        .as_ref()
                        .map_or("Cluster".to_owned(), |t| t.value.clone()),
                    selector: s
                        .selector
                        .iter()
                        .flat_map(|m| m.iter())
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .collect(),
                    ports: s
                        .ports
                        .iter()
                        .filter_map(|p| {
                            let port = u16::try_from(p.port.as_ref()?.value).ok()?;
                            let protocol = p.protocol.as_ref().map_or(Proto::Tcp, |p| proto(p.value));
                            Some((port, p.target_port.as_ref().map(|t| t.value.clone()), protocol))
                        })
                        .collect(),
                    cluster_ips: s.cluster_ips.iter().filter_map(|ip| ip.value.parse().ok()).collect(),
                }),
                _ => {}
            }
        }
        // Nodes that pods name but the input does not describe.
        let named: Vec<String> = cluster.endpoints.iter().filter_map(|e| e.node.clone()).collect();
        for node in named {
            if !cluster
                .endpoints
                .iter()
                .any(|e| e.kind == EndpointKind::Node && e.node.as_deref() == Some(node.as_str()))
            {
                cluster.endpoints.push(Endpoint {
                    name: format!("node/{node}"),
                    kind: EndpointKind::Node,
                    namespace: None,
                    labels: Labels::default(),
                    pod_labels: Vec::new(),
                    ips: Vec::new(),
                    dns_name: None,
                    ports: Vec::new(),
                    node: Some(node),
                    host_network: false,
                    remote_cluster: None,
                    document: None,
                    span: None,
                });
            }
        }
        cluster
    }

    #[allow(clippy::too_many_arguments)]
    fn add_pod(
        &mut self,
        profile: &Profile,
        document: &Document,
        meta: &ObjectMeta,
        spec: &PodFacts,
        name: String,
        kind: EndpointKind,
        ips: Vec<IpAddr>,
    ) {
        let namespace = meta.namespace().unwrap_or("default").to_owned();
        let pod_labels: Vec<(String, String)> = meta
            .labels
            .iter()
            .flat_map(|m| m.iter())
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let service_account = spec
            .service_account_name
            .as_ref()
            .map_or("default", |s| s.value.as_str());
        let labels = self.pod_identity(profile, &namespace, &pod_labels, service_account);
        let ports = spec
            .containers
            .iter()
            .flat_map(|c| &c.ports)
            .filter_map(|p| {
                Some(ContainerPort {
                    name: p.name.as_ref().map(|n| n.value.clone()),
                    port: u16::try_from(p.container_port.as_ref()?.value).ok()?,
                    protocol: p.protocol.as_ref().map_or(Proto::Tcp, |p| proto(p.value)),
                })
            })
            .collect();
        self.endpoints.push(Endpoint {
            name: format!("{namespace}/{name}"),
            kind,
            namespace: Some(namespace),
            labels,
            pod_labels,
            ips,
            dns_name: None,
            ports,
            node: spec.node_name.as_ref().map(|n| n.value.clone()),
            host_network: spec.host_network.as_ref().is_some_and(|h| h.value),
            remote_cluster: None,
            document: Some(document.index),
            span: Some(document.span),
        });
    }

    /// A pod's security identity labels (§1.2, §3.7).
    fn pod_identity(
        &self,
        profile: &Profile,
        namespace: &str,
        pod_labels: &[(String, String)],
        service_account: &str,
    ) -> Labels {
        let mut labels: Vec<Label> = pod_labels
            .iter()
            .filter(|(k, _)| !profile.identity_label_filter || identity_relevant(k))
            .filter_map(|(k, v)| match (is_cilium_derived(k), profile.is_cilium()) {
                (false, _) => Some(Label::new(Source::K8s, k, v)),
                // Cilium sets these itself, over whatever the pod says.
                (true, true) => None,
                (true, false) => Some(Label::new(Source::pod_label(), k, v)),
            })
            .collect();
        labels.push(Label::new(Source::K8s, NAMESPACE, namespace));
        // Kubernetes labels every namespace with its name.
        labels.push(Label::new(
            Source::K8s,
            format!("{NAMESPACE_LABELS}kubernetes.io/metadata.name"),
            namespace,
        ));
        // The API server sets `kubernetes.io/metadata.name` to the name, whatever a manifest says.
        for (k, v) in self
            .namespaces
            .get(namespace)
            .into_iter()
            .flatten()
            .filter(|(k, _)| k != "kubernetes.io/metadata.name")
        {
            labels.push(Label::new(Source::K8s, format!("{NAMESPACE_LABELS}{k}"), v));
        }
        labels.push(Label::new(
            Source::K8s,
            "io.cilium.k8s.policy.cluster",
            profile.cluster_name.clone(),
        ));
        labels.push(Label::new(
            Source::K8s,
            "io.cilium.k8s.policy.serviceaccount",
            service_account,
        ));
        Labels::new(labels)
    }

    /// Finds an endpoint by how a user names it: `NS/NAME` (a pod, or a
    /// controller's pods), `NAME` (in `default`), `node/NAME`, an IP address
    /// (a pod's, a node's, or one outside the cluster), or a DNS name.
    pub fn resolve(&self, text: &str) -> Result<Endpoint, String> {
        let text = text.trim();
        if let Ok(ip) = text.parse::<IpAddr>() {
            if let Some(e) = self
                .endpoints
                .iter()
                .find(|e| e.kind != EndpointKind::Node && e.ips.contains(&ip))
            {
                return Ok(e.clone());
            }
            if let Some(e) = self
                .endpoints
                .iter()
                .find(|e| e.kind == EndpointKind::Node && e.ips.contains(&ip))
            {
                return Ok(e.clone());
            }
            return self.resolve_address(ip);
        }
        if let Some(node) = text.strip_prefix("node/") {
            return self
                .endpoints
                .iter()
                .find(|e| e.kind == EndpointKind::Node && e.node.as_deref() == Some(node))
                .cloned()
                .ok_or_else(|| format!("no node `{node}` in the input"));
        }
        let (namespace, name) = text.split_once('/').unwrap_or(("default", text));
        let pods = |kind_filter: fn(&EndpointKind) -> bool| {
            self.endpoints.iter().find(|e| {
                kind_filter(&e.kind)
                    && e.namespace.as_deref() == Some(namespace)
                    && e.name.rsplit('/').next() == Some(name)
            })
        };
        if let Some(e) = pods(|k| *k == EndpointKind::Pod).or_else(|| pods(|k| matches!(k, EndpointKind::Template(_))))
        {
            return Ok(e.clone());
        }
        if !text.contains('/') && text.contains('.') {
            return Ok(Endpoint::external(None, Some(text.to_owned())));
        }
        Err(format!(
            "no pod or workload `{namespace}/{name}` in the input (name pods as NAMESPACE/NAME, nodes as node/NAME, or give an IP address)"
        ))
    }
}

impl Cluster {
    /// An address no pod or node of the input has: a service address stands
    /// for the pods behind it (policies apply after load-balancing); an
    /// address in the pod or node ranges is a pod or node the input does not
    /// describe (Cilium gives it a cluster identity, so CIDR rules do not
    /// match it); anything else is outside the cluster.
    fn resolve_address(&self, ip: IpAddr) -> Result<Endpoint, String> {
        if let Some(service) = self.services.iter().find(|s| s.cluster_ips.contains(&ip)) {
            let backend = self.endpoints.iter().find(|e| {
                e.is_pod()
                    && e.namespace.as_deref() == Some(service.namespace.as_str())
                    && !service.selector.is_empty()
                    && service
                        .selector
                        .iter()
                        .all(|(k, v)| e.pod_labels.iter().any(|(pk, pv)| pk == k && pv == v))
            });
            return match backend {
                Some(pod) => {
                    let mut pod = pod.clone();
                    pod.name = format!("{} (behind service {}/{} at {ip})", pod.name, service.namespace, service.name);
                    Ok(pod)
                }
                None => Err(format!(
                    "{ip} is the address of service {}/{}, and none of its pods is in the input: policies apply to the pod a service forwards to, so give that pod",
                    service.namespace, service.name
                )),
            };
        }
        if let Some(range) = self.service_cidrs.iter().find(|n| n.contains(&ip)) {
            return Err(format!(
                "{ip} is in the service range {range}: policies apply to the pod a service forwards to, not to the service address; give the pod (NAMESPACE/NAME), or the Service with its clusterIP"
            ));
        }
        let unknown = |kind: EndpointKind, what: &str| Endpoint {
            name: format!("{ip} ({what} not in the input)"),
            kind,
            namespace: None,
            labels: Labels::default(),
            pod_labels: Vec::new(),
            ips: vec![ip],
            dns_name: None,
            ports: Vec::new(),
            node: None,
            host_network: false,
            remote_cluster: None,
            document: None,
            span: None,
        };
        if self.node_cidrs.iter().any(|n| n.contains(&ip)) {
            let mut node = unknown(EndpointKind::Node, "a node");
            node.node = Some(ip.to_string());
            return Ok(node);
        }
        if self.pod_cidrs.iter().any(|n| n.contains(&ip)) {
            return Ok(unknown(EndpointKind::Pod, "a pod"));
        }
        Ok(Endpoint::external(Some(ip), None))
    }
}

fn proto(p: Protocol) -> Proto {
    match p {
        Protocol::Udp => Proto::Udp,
        Protocol::Sctp => Proto::Sctp,
        _ => Proto::Tcp,
    }
}
