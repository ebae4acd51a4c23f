//! Semantic comparison of two policy sets: the flows whose verdict differs.
//!
//! Both sides are decided by the engine over one universe of endpoints: the
//! workloads given, plus endpoints generated to cover every label value,
//! namespace, CIDR boundary, entity and port either side mentions. The
//! conversion proof and `netpolkit diff` are both this comparison.

mod diff;
mod samples;

pub use diff::{diff, render, Diff, DiffFormat, DiffOptions};

use std::collections::HashMap;

use crate::cluster::{Cluster, Endpoint, EndpointKind};
use crate::engine::{ConnectivityOptions, Engine, Reason};
use crate::ir::Lowered;
use crate::model::{Direction, Document};
use crate::profile::Profile;

/// One side: its profile and its lowered policies.
#[derive(Clone, Copy, Debug)]
pub struct Side<'a> {
    pub profile: &'a Profile,
    pub lowered: &'a Lowered,
}

/// What to compare over.
#[derive(Clone, Debug, Default)]
pub struct CompareOptions {
    /// Add generated endpoints to the given workloads.
    pub generate: bool,
    /// At most this many differing flows are explained (all are counted); 0 = no limit.
    pub max_explained: usize,
}

/// The result.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comparison {
    /// Endpoints of the universe (given and generated).
    pub endpoints: usize,
    /// Flows compared (pairs × ports).
    pub flows: u64,
    /// Flows whose verdict differs, grouped by endpoint pair and port.
    pub differences: Vec<Difference>,
    /// Number of differing flows (may exceed `differences.len()` when capped).
    pub differing: u64,
    /// The generated universe was cut down to fit in memory (big policy
    /// sets): fewer near misses were tried than the selectors call for.
    pub truncated: bool,
}

/// One flow whose verdict differs.
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    /// `shop/web`, or a generated endpoint described by its labels.
    pub from: String,
    pub to: String,
    /// `TCP/80`.
    pub port: String,
    pub old_allowed: bool,
    pub new_allowed: bool,
    /// The deciding rules on each side, one line each, as `explain` prints them.
    pub old_reasons: Vec<String>,
    pub new_reasons: Vec<String>,
}

/// Compares `old` and `new` over `workloads` (Namespace, Pod, Node, Service
/// and controller documents; policies among them are ignored).
pub fn compare(workloads: &[Document], old: Side, new: Side, options: &CompareOptions) -> Comparison {
    let workloads: Vec<Document> = workloads
        .iter()
        .filter(|d| !d.model_kind().is_some_and(|k| k.is_policy()))
        .cloned()
        .collect();
    let (mut documents, addresses, mut ports, truncated) = if options.generate {
        let s = samples::generate(&workloads, &[old.lowered, new.lowered], old.profile);
        (s.documents, s.addresses, s.ports, s.truncated)
    } else {
        (Vec::new(), Vec::new(), Vec::new(), false)
    };
    // Generated documents come after the given ones, numbered on.
    let base = workloads.len();
    for (i, d) in documents.iter_mut().enumerate() {
        d.index = base + i;
    }
    let mut all = workloads;
    all.append(&mut documents);
    let clusters = [Cluster::build(&all, old.profile), Cluster::build(&all, new.profile)];
    let engines = [
        Engine::new(old.profile, old.lowered, &clusters[0]),
        Engine::new(new.profile, new.lowered, &clusters[1]),
    ];
    // Addresses as each side's cluster places them (an address in the pod
    // range is a pod the input does not describe); the service range is left out.
    let externals: Vec<Endpoint> = addresses
        .iter()
        .filter_map(|a| clusters[0].resolve(a).ok())
        .filter(|e| e.kind == EndpointKind::External || e.document.is_none())
        .collect();
    // Both sides over the same ports: those either mentions, and their neighbours.
    let first = engines[0].connectivity(&ConnectivityOptions {
        externals: externals.clone(),
        ports: ports.clone(),
        without_nodes: false,
    });
    ports.extend(first.flows.iter().copied());
    let second = engines[1].connectivity(&ConnectivityOptions {
        externals: externals.clone(),
        ports: ports.clone(),
        without_nodes: false,
    });
    let first = if second.flows == first.flows {
        first
    } else {
        ports.extend(second.flows.iter().copied());
        engines[0].connectivity(&ConnectivityOptions {
            externals: externals.clone(),
            ports,
            without_nodes: false,
        })
    };
    let n = first.endpoints.len();
    let flows = first.flows.len();
    let mut comparison = Comparison {
        endpoints: n,
        flows: (n * n * flows) as u64,
        truncated,
        ..Comparison::default()
    };
    if second.endpoints != first.endpoints || second.flows != first.flows {
        // Cannot happen: both sides share the endpoints and the ports.
        comparison.differing = comparison.flows;
        return comparison;
    }
    let endpoints: Vec<Endpoint> = clusters[0].endpoints.iter().chain(&externals).cloned().collect();
    let by_name: HashMap<&str, &Endpoint> = endpoints.iter().map(|e| (e.name.as_str(), e)).collect();
    let names: Vec<String> = first
        .endpoints
        .iter()
        .map(|name| by_name.get(name.as_str()).map_or_else(|| name.clone(), |e| describe(e)))
        .collect();
    for from in 0..n {
        for to in 0..n {
            for p in 0..flows {
                let (a, b) = (first.is_allowed(from, to, p), second.is_allowed(from, to, p));
                if a == b {
                    continue;
                }
                comparison.differing += 1;
                if options.max_explained != 0 && comparison.differences.len() >= options.max_explained {
                    continue;
                }
                let flow = first.flows[p];
                let ends = (
                    by_name.get(first.endpoints[from].as_str()),
                    by_name.get(first.endpoints[to].as_str()),
                );
                let reasons = |engine: &Engine| match ends {
                    (Some(src), Some(dst)) => reasons(engine, src, dst, &flow),
                    _ => Vec::new(),
                };
                comparison.differences.push(Difference {
                    from: names[from].clone(),
                    to: names[to].clone(),
                    port: flow.to_string(),
                    old_allowed: a,
                    new_allowed: b,
                    old_reasons: reasons(&engines[0]),
                    new_reasons: reasons(&engines[1]),
                });
            }
        }
    }
    comparison
}

/// A generated endpoint by what it is: its namespace and labels.
fn describe(e: &Endpoint) -> String {
    if !e.name.contains("netpolkit-") {
        return e.name.clone();
    }
    let labels: Vec<String> = e.pod_labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    match (&e.kind, &e.namespace) {
        (EndpointKind::Node, _) => format!("a node {{{}}}", labels.join(", ")),
        (_, Some(ns)) => format!("a pod in {ns} {{{}}}", labels.join(", ")),
        _ => e.name.clone(),
    }
}

/// The deciding rules of both directions, one line each.
fn reasons(engine: &Engine, from: &Endpoint, to: &Endpoint, flow: &crate::engine::Flow) -> Vec<String> {
    let policy = |i: &usize| {
        let entry = &engine.lowered.entries[*i];
        let info = &engine.lowered.policies[entry.origin.policy];
        format!("{} {}", info.display_name(), entry.origin.path)
    };
    let list = |entries: &[usize]| entries.iter().map(policy).collect::<Vec<_>>().join("; ");
    [
        (Direction::Egress, from, to, "egress at"),
        (Direction::Ingress, to, from, "ingress at"),
    ]
    .into_iter()
    .map(|(direction, at, other, label)| {
        let v = engine.decide(at, direction, other, flow);
        let verdict = if v.allowed { "allowed" } else { "denied" };
        let why = match &v.reason {
            Reason::NotSelected => "no policy selects it".to_owned(),
            Reason::NotEnforced(why) => why.clone(),
            Reason::Decided { verdict: d, entries } => format!("{} by {}", d.as_str(), list(entries)),
            Reason::HostAllowed { .. } => "the local node is always allowed in".to_owned(),
            Reason::DefaultDeny { selected_by } => format!("default deny of {}, no rule allows it", list(selected_by)),
            Reason::NotDefaultDeny { selected_by } => {
                format!("selected by {}, none of them in default deny", list(selected_by))
            }
            Reason::NodeEgress => "Azure NPM allows egress to the pod's own node".to_owned(),
            Reason::ServiceBypass { service } => format!("Azure NPM does not enforce ingress through {service}"),
        };
        format!("{label} {}: {verdict} ({why})", describe(at))
    })
    .collect()
}
