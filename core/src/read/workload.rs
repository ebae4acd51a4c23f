//! Reading workloads: only the policy-relevant facts are checked; everything
//! else in these objects is kept as written and never reported.

use super::meta::metadata;
use super::{Object, Reader};
use crate::model::*;
use crate::yaml::Node;

use super::knp::KUBERNETES_PROTOCOLS;

pub(super) fn namespace(metadata: Spanned<ObjectMeta>) -> Namespace {
    Namespace { metadata }
}

pub(super) fn pod(r: &mut Reader, top: &Object, metadata: Spanned<ObjectMeta>) -> Pod {
    let spec = r.field(top, "spec", pod_facts).unwrap_or_default();
    let status = top.get("status").and_then(|n| r.at("status", |r| r.open_object(n)));
    let mut pod_ips = Vec::new();
    let mut host_ip = None;
    if let Some(status) = status {
        r.at("status", |r| {
            if let Some(ip) = r.field(&status, "podIP", Reader::string) {
                pod_ips.push(ip);
            }
            let listed = r.field(&status, "podIPs", |r, n| {
                r.list(n, |r, n| {
                    let o = r.open_object(n)?;
                    r.field(&o, "ip", Reader::string)
                })
            });
            for ip in listed.into_iter().flat_map(|l| l.value) {
                if !pod_ips.contains(&ip.value) {
                    pod_ips.push(ip.value);
                }
            }
            host_ip = r.field(&status, "hostIP", Reader::string);
        });
    }
    Pod {
        metadata,
        spec,
        pod_ips,
        host_ip,
    }
}

fn pod_facts(r: &mut Reader, node: &Node) -> Option<PodFacts> {
    let o = r.open_object(node)?;
    Some(PodFacts {
        host_network: r.field(&o, "hostNetwork", Reader::boolean),
        node_name: r.field(&o, "nodeName", Reader::string),
        service_account_name: r.field(&o, "serviceAccountName", Reader::string),
        containers: r
            .field(&o, "containers", |r, n| r.list(n, container))
            .map(|l| l.value.into_iter().map(|c| c.value).collect())
            .unwrap_or_default(),
    })
}

fn container(r: &mut Reader, node: &Node) -> Option<Container> {
    let o = r.open_object(node)?;
    Some(Container {
        name: r.field(&o, "name", Reader::string),
        ports: r
            .field(&o, "ports", |r, n| {
                r.list(n, |r, n| {
                    let o = r.open_object(n)?;
                    Some(ContainerPort {
                        name: r.field(&o, "name", Reader::string),
                        container_port: r.field(&o, "containerPort", Reader::integer),
                        protocol: r.field(&o, "protocol", |r, n| r.one_of(n, KUBERNETES_PROTOCOLS)),
                    })
                })
            })
            .map(|l| l.value)
            .unwrap_or_default(),
    })
}

pub(super) fn node_object(r: &mut Reader, top: &Object, metadata: Spanned<ObjectMeta>) -> NodeObject {
    let mut pod_cidrs = Vec::new();
    if let Some(spec) = top.get("spec").and_then(|n| r.at("spec", |r| r.open_object(n))) {
        r.at("spec", |r| {
            if let Some(cidr) = r.field(&spec, "podCIDR", Reader::string) {
                pod_cidrs.push(cidr);
            }
            for cidr in r
                .field(&spec, "podCIDRs", Reader::strings)
                .into_iter()
                .flat_map(|l| l.value)
            {
                if !pod_cidrs.contains(&cidr) {
                    pod_cidrs.push(cidr);
                }
            }
        });
    }
    let addresses = top
        .get("status")
        .and_then(|n| r.at("status", |r| r.open_object(n)))
        .and_then(|status| {
            r.at("status", |r| {
                r.field(&status, "addresses", |r, n| {
                    r.list(n, |r, n| {
                        let o = r.open_object(n)?;
                        Some(NodeAddress {
                            kind: r.field(&o, "type", Reader::string),
                            address: r.field(&o, "address", Reader::string),
                        })
                    })
                })
            })
        })
        .map(|l| l.value.into_iter().map(|a| a.value).collect())
        .unwrap_or_default();
    NodeObject {
        metadata,
        pod_cidrs,
        addresses,
    }
}

pub(super) fn service(r: &mut Reader, top: &Object, metadata: Spanned<ObjectMeta>) -> Service {
    let mut service = Service {
        metadata,
        ..Service::default()
    };
    let Some(spec) = top.get("spec").and_then(|n| r.at("spec", |r| r.open_object(n))) else {
        return service;
    };
    r.at("spec", |r| {
        service.service_type = r.field(&spec, "type", Reader::string);
        service.selector = r.field(&spec, "selector", Reader::label_map);
        service.external_traffic_policy = r.field(&spec, "externalTrafficPolicy", Reader::string);
        if let Some(ip) = r.field(&spec, "clusterIP", Reader::string) {
            service.cluster_ips.push(ip);
        }
        for ip in r
            .field(&spec, "clusterIPs", Reader::strings)
            .into_iter()
            .flat_map(|l| l.value)
        {
            if !service.cluster_ips.contains(&ip) {
                service.cluster_ips.push(ip);
            }
        }
        service.ports = r
            .field(&spec, "ports", |r, n| {
                r.list(n, |r, n| {
                    let o = r.open_object(n)?;
                    Some(ServicePort {
                        name: r.field(&o, "name", Reader::string),
                        port: r.field(&o, "port", Reader::integer),
                        target_port: r.field(&o, "targetPort", Reader::int_or_string),
                        node_port: r.field(&o, "nodePort", Reader::integer),
                        protocol: r.field(&o, "protocol", |r, n| r.one_of(n, KUBERNETES_PROTOCOLS)),
                    })
                })
            })
            .map(|l| l.value)
            .unwrap_or_default();
    });
    service
}

/// A controller: its pod template is found at `spec.template`, or at
/// `spec.jobTemplate.spec.template` for a CronJob.
pub(super) fn workload(r: &mut Reader, top: &Object, kind: Kind, metadata: Spanned<ObjectMeta>) -> Workload {
    let mut workload = Workload {
        kind,
        template_metadata: Spanned::new(ObjectMeta::default(), metadata.span),
        metadata,
        replicas: None,
        template: PodFacts::default(),
    };
    let Some(spec_node) = top.get("spec") else {
        return workload;
    };
    r.at("spec", |r| {
        let Some(spec) = r.open_object(spec_node) else { return };
        workload.replicas = r.field(&spec, "replicas", Reader::integer);
        let template = if kind == Kind::CronJob {
            r.field(&spec, "jobTemplate", |r, n| {
                let job = r.open_object(n)?;
                r.field(&job, "spec", |r, n| {
                    let job_spec = r.open_object(n)?;
                    r.field(&job_spec, "template", |r, n| template(r, n))
                })
            })
        } else {
            r.field(&spec, "template", |r, n| template(r, n))
        };
        if let Some((meta, facts)) = template {
            workload.template_metadata = meta;
            workload.template = facts;
        }
    });
    workload
}

fn template(r: &mut Reader, node: &Node) -> Option<(Spanned<ObjectMeta>, PodFacts)> {
    let o = r.open_object(node)?;
    let meta = r
        .field(&o, "metadata", metadata)
        .unwrap_or_else(|| Spanned::new(ObjectMeta::default(), node.span));
    let facts = r.field(&o, "spec", pod_facts).unwrap_or_default();
    Some((meta, facts))
}
