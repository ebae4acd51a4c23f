//! The proof: the original under the dataplane of today against the
//! rewritten text under the target, flow by flow, over the workloads given
//! and a generated universe; what still differs is reported per policy.
//!
//! Two conventions make the comparison about the cluster rather than about
//! what the manifests happen to say:
//!
//! - Every pod has an address. Kubernetes decides an ipBlock by address, so
//!   a Pod without `status.podIP`, or a controller's pod template, would
//!   match no ipBlock on the old side while a selector matches it on the
//!   new one. Such pods (and nodes without addresses) get one from the
//!   cluster's range, away from every CIDR the policies name, as the
//!   generated pods do.
//! - Where pods were selected by labels instead of a range (narrowing), the
//!   pods given are all there are: generated pods with those labels, or at
//!   addresses in that range, stand for pods the workloads rule out, and
//!   their flows are left out.
//! - Cilium always admits a pod's own node in (the health checks of the
//!   kubelet), as Kubernetes documents for NetworkPolicy; where the old
//!   side's model denies those flows, no rewrite could take them away:
//!   they are left out and counted in one informational NP621.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use ipnet::IpNet;

use super::{not_restored, Ctx, Narrowed};
use crate::analysis::{analyze, AnalyzeOptions};
use crate::cluster::Endpoint;
use crate::compare::{compare, universe, CompareOptions, Comparison, Difference, Side};
use crate::convert::build::{s, sp};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::ir::{Lowered, Peer, L3};
use crate::migrate::max_explained;
use crate::migrate::ranges::subtract;
use crate::model::{Document, Kind, Manifest, NodeAddress, NodeObject, ObjectMeta, Pod};
use crate::profile::Profile;
use crate::source::Span;

/// Examples of flows named in one NP621.
const EXAMPLES: usize = 3;

/// Compares, and reports what differs.
pub(super) fn prove(ctx: &Ctx, rewritten: &str, narrowed: &[Narrowed]) -> (Comparison, Vec<Diagnostic>) {
    let after = analyze(
        rewritten,
        &AnalyzeOptions {
            profile: ctx.options.after(),
            lower_invalid: false,
        },
    );
    let before = &ctx.sides.before;
    let avoid = mentioned(&[&before.lowered, &after.lowered]);
    let workloads = addressed(&ctx.sides.workloads(), &avoid, &after.profile);
    let old = Side {
        profile: &before.profile,
        lowered: &before.lowered,
    };
    let new = Side {
        profile: &after.profile,
        lowered: &after.lowered,
    };
    let cap = max_explained(ctx.options);
    // Leaving flows out needs every one of them explained.
    let mut comparison = compare(
        &workloads,
        old,
        new,
        &CompareOptions {
            generate: true,
            max_explained: 0,
        },
    );
    let universe = universe::build(&workloads, [old, new], true).cluster(new.profile);
    let by_name: HashMap<&str, &Endpoint> = universe.endpoints.iter().map(|e| (e.name.as_str(), e)).collect();
    let endpoint = |name: &str| by_name.get(name).copied();
    let mut local_node = 0u64;
    let total = comparison.differences.len() as u64;
    comparison.differences.retain(|d| {
        let (from, to) = (endpoint(&d.from), endpoint(&d.to));
        if from.is_some_and(|e| outside_premise(e, narrowed)) || to.is_some_and(|e| outside_premise(e, narrowed)) {
            return false;
        }
        let from_own_node =
            matches!((from, to), (Some(f), Some(t)) if f.is_node_like() && f.node.is_some() && f.node == t.node);
        if from_own_node && !d.old_allowed && d.new_allowed {
            local_node += 1;
            return false;
        }
        true
    });
    let left_out = total - comparison.differences.len() as u64;
    comparison.differing = comparison.differing.saturating_sub(left_out);
    comparison.differences.truncate(cap);
    let mut diagnostics = leftovers(ctx, &comparison);
    if local_node > 0 {
        let mut d = Diagnostic::new(
            Code::NotRestored,
            Span::default(),
            format!(
                "{local_node} flow{} from a pod's own node into a pod isolated for ingress {} denied under {} and \
                 allowed under Cilium, which always admits the local node (cilium-semantics §3.8; Kubernetes \
                 documents the same for NetworkPolicy): no rewrite takes them away, and the proof leaves them out",
                if local_node == 1 { "" } else { "s" },
                if local_node == 1 { "is" } else { "are" },
                ctx.options.from
            ),
        )
        .with_severity(Severity::Info);
        d.document = None;
        diagnostics.push(d);
    }
    (comparison, diagnostics)
}

/// A generated pod that the narrowing's premise rules out: one a narrowed
/// selector matches, or one at an address of a narrowed range.
fn outside_premise(e: &Endpoint, narrowed: &[Narrowed]) -> bool {
    if !e.name.starts_with(universe::GENERATED) || !e.is_pod() {
        return false;
    }
    narrowed.iter().any(|n| {
        e.ips.iter().any(|ip| n.ranges.iter().any(|r| r.contains(ip)))
            || n.selectors.iter().any(|(namespace, labels)| {
                e.namespace.as_deref() == Some(namespace.as_str())
                    && labels
                        .iter()
                        .all(|(k, v)| e.pod_labels.iter().any(|(pk, pv)| pk == k && pv == v))
            })
    })
}

/// Every CIDR and except either side's entries name.
fn mentioned(sides: &[&Lowered]) -> Vec<IpNet> {
    let mut out = Vec::new();
    for lowered in sides {
        for entry in &lowered.entries {
            if let L3::Peers(peers) = &entry.l3 {
                for peer in peers {
                    if let Peer::Cidr { cidr, except } = peer {
                        out.push(cidr.trunc());
                        out.extend(except.iter().map(|e| e.trunc()));
                    }
                }
            }
        }
    }
    out
}

/// Fresh addresses of one kind of range, from the top down, outside every
/// narrower CIDR the policies name.
struct Pool {
    ranges: Vec<Box<dyn Iterator<Item = IpAddr>>>,
}

impl Pool {
    fn new(ranges: &[IpNet], avoid: &[IpNet]) -> Pool {
        let ranges = ranges
            .iter()
            .map(|range| {
                let inside: Vec<IpNet> = avoid
                    .iter()
                    .filter(|c| range.contains(*c) && *c != range)
                    .copied()
                    .collect();
                let free = subtract(&[*range], &inside);
                Box::new(free.into_iter().rev().flat_map(|n| n.hosts().rev())) as Box<dyn Iterator<Item = IpAddr>>
            })
            .collect();
        Pool { ranges }
    }

    /// One address per range (so one per family of a dual-stack cluster).
    fn next(&mut self) -> Vec<IpAddr> {
        self.ranges.iter_mut().filter_map(|r| r.next()).collect()
    }
}

/// The workloads, every pod and node with an address (see the module doc).
fn addressed(workloads: &[Document], avoid: &[IpNet], profile: &Profile) -> Vec<Document> {
    let mut pods = Pool::new(&profile.pod_cidrs, avoid);
    let mut nodes = Pool::new(&profile.node_cidrs, avoid);
    let strs = |ips: Vec<IpAddr>| ips.into_iter().map(|ip| s(ip.to_string())).collect::<Vec<_>>();
    let mut out = Vec::with_capacity(workloads.len());
    let mut named_nodes: Vec<String> = Vec::new();
    for document in workloads {
        let mut d = document.clone();
        match &mut d.manifest {
            Manifest::Pod(p) if p.pod_ips.is_empty() => {
                let host = p.spec.host_network.as_ref().is_some_and(|h| h.value);
                p.pod_ips = strs(if host { nodes.next() } else { pods.next() });
            }
            Manifest::Workload(w) => {
                let mut metadata = w.template_metadata.value.clone();
                metadata.name = w.metadata.name.clone();
                metadata.namespace = w.metadata.namespace.clone();
                let host = w.template.host_network.as_ref().is_some_and(|h| h.value);
                let pod = Pod {
                    metadata: sp(metadata),
                    spec: w.template.clone(),
                    pod_ips: strs(if host { nodes.next() } else { pods.next() }),
                    host_ip: None,
                };
                d.manifest = Manifest::Pod(pod);
                d.kind = Some(s(Kind::Pod.name()));
            }
            Manifest::Node(n) if n.addresses.iter().all(|a| a.address.is_none()) => {
                n.addresses = nodes
                    .next()
                    .into_iter()
                    .map(|ip| NodeAddress {
                        kind: Some(s("InternalIP")),
                        address: Some(s(ip.to_string())),
                    })
                    .collect();
            }
            _ => {}
        }
        if let Manifest::Pod(p) = &d.manifest {
            if let Some(node) = &p.spec.node_name {
                named_nodes.push(node.value.clone());
            }
        }
        out.push(d);
    }
    // Nodes that pods name and the input does not describe.
    let mut next = out.iter().map(|d| d.index + 1).max().unwrap_or(0);
    for name in named_nodes {
        let described = out
            .iter()
            .any(|d| matches!(&d.manifest, Manifest::Node(n) if n.metadata.name() == Some(name.as_str())));
        if described {
            continue;
        }
        let node = NodeObject {
            metadata: sp(ObjectMeta {
                name: Some(s(name)),
                ..ObjectMeta::default()
            }),
            pod_cidrs: Vec::new(),
            addresses: nodes
                .next()
                .into_iter()
                .map(|ip| NodeAddress {
                    kind: Some(s("InternalIP")),
                    address: Some(s(ip.to_string())),
                })
                .collect(),
        };
        let mut d = crate::convert::build::document(next, Kind::Node, Manifest::Node(node));
        d.index = next;
        next += 1;
        out.push(d);
    }
    out
}

/// NP621 for the flows that still differ, grouped by the policy that
/// decides them and by whether they were lost or gained.
fn leftovers(ctx: &Ctx, comparison: &Comparison) -> Vec<Diagnostic> {
    if comparison.differing == 0 {
        return Vec::new();
    }
    let policies = &ctx.sides.before.lowered.policies;
    let mut groups: BTreeMap<(Option<usize>, bool), Vec<&Difference>> = BTreeMap::new();
    for d in &comparison.differences {
        let deciding = policies
            .iter()
            .filter(|p| {
                let name = format!("{} ", p.display_name());
                d.old_reasons.iter().chain(&d.new_reasons).any(|r| r.contains(&name))
            })
            .map(|p| p.document)
            .min();
        groups.entry((deciding, d.old_allowed)).or_default().push(d);
    }
    let from = ctx.options.from.as_str();
    let partial = comparison.differing > comparison.differences.len() as u64;
    let mut out = Vec::new();
    for ((document, lost), flows) in groups {
        let examples: Vec<String> = flows
            .iter()
            .take(EXAMPLES)
            .map(|d| format!("{} → {} {}", d.from, d.to, d.port))
            .collect();
        let change = if lost {
            format!("allowed under {from} are denied")
        } else {
            format!("denied under {from} are allowed")
        };
        let at = document.and_then(|i| ctx.document(i));
        let who = at.map_or_else(|| "the policy set".to_owned(), crate::convert::describe);
        let message = format!(
            "{}{} flow{} that {who} decides {change} after the rewrite, e.g. {}",
            if partial { "at least " } else { "" },
            flows.len(),
            if flows.len() == 1 { "" } else { "s" },
            examples.join("; ")
        );
        out.push(not_restored(
            document.unwrap_or(0),
            at.map_or(Span::default(), |d| d.span),
            "",
            message,
            "see the other NP621 of this policy for the reason, or add rules for these flows by hand",
        ));
        if document.is_none() {
            if let Some(last) = out.last_mut() {
                last.document = None;
            }
        }
    }
    out
}
