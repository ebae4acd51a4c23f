//! The per-workload view: for each workload and direction, whether it is
//! isolated, which policies select it, and the rules that allow or deny
//! its traffic (§3.1, §3.8), in the order the engine applies them.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::analysis::Analysis;
use crate::cluster::{Endpoint, EndpointKind};
use crate::engine::Engine;
use crate::ir::{Subject, Verdict, L3};
use crate::model::Direction;

/// One workload (a pod, or a controller's pods).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadSummary {
    /// `shop/web` (namespace and name).
    pub workload: String,
    pub kind: String,
    pub ingress: DirectionSummary,
    pub egress: DirectionSummary,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectionSummary {
    /// Policies apply at all (a host-network pod, for instance, is not covered).
    pub enforced: bool,
    /// Default deny: only what a rule allows gets through.
    pub isolated: bool,
    /// Display names of the policies that select the workload in this direction.
    pub policies: Vec<String>,
    /// The document each of `policies` was read from (an index of the
    /// parsed documents, as a report's `DocumentInfo::index`), for front
    /// ends that jump to it; not serialized.
    #[serde(skip)]
    pub documents: Vec<usize>,
    pub allows: Vec<RuleSummary>,
    pub denies: Vec<RuleSummary>,
    /// ClusterNetworkPolicy Pass rules.
    pub passes: Vec<RuleSummary>,
}

/// One rule that applies: where it is and what it matches.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleSummary {
    pub policy: String,
    pub path: String,
    /// Byte range of the rule in the input.
    pub start: usize,
    pub end: usize,
    pub tier: &'static str,
    /// The peers as entries print them (`{k8s:app=web}`, `cidr 10.0.0.0/8`...).
    pub peers: Vec<String>,
    /// `80/TCP`..., empty for every port.
    pub ports: Vec<String>,
    /// L7 rules attached, when any (`http(GET /api)`).
    pub l7: Vec<String>,
}

/// The summary of every workload in the input (pods and controllers' pod templates).
pub fn summarize(analysis: &Analysis) -> Vec<WorkloadSummary> {
    let engine = analysis.engine();
    analysis
        .cluster
        .endpoints
        .iter()
        .filter(|e| matches!(e.kind, EndpointKind::Pod | EndpointKind::Template(_)))
        .map(|at| {
            let kind = match &at.kind {
                EndpointKind::Template(k) => k.name().to_owned(),
                _ => "Pod".to_owned(),
            };
            workload(analysis, &engine, at, kind)
        })
        .collect()
}

/// For an input without workloads: the summary of one representative pod
/// per distinct subject of the policies (the labels the subject's selector
/// requires, in the namespace it pins or `default`, as the DNS finding
/// builds them), in the order the policies come. Host policies (node
/// subjects) and selectors no pod can satisfy are left out. The kind is
/// `representative pod`; the name says which selector it stands for.
pub fn summarize_subjects(analysis: &Analysis) -> Vec<WorkloadSummary> {
    let engine = analysis.engine();
    let mut seen = BTreeSet::new();
    analysis
        .lowered
        .entries
        .iter()
        .filter_map(|e| match &e.subject {
            Subject::Endpoints(s) => Some(s),
            Subject::Host(_) => None,
        })
        .filter(|s| seen.insert(s.to_string()))
        .filter_map(|s| super::paths::representative(s, &analysis.profile))
        .map(|pod| workload(analysis, &engine, &pod, "representative pod".to_owned()))
        .collect()
}

/// What applies at `at`, in both directions.
fn workload(analysis: &Analysis, engine: &Engine<'_>, at: &Endpoint, kind: String) -> WorkloadSummary {
    let entries = &analysis.lowered.entries;
    let side = |direction: Direction| {
        let enforced = engine.not_enforced(at).is_none();
        let selecting = if enforced {
            engine.selecting(at, direction)
        } else {
            Vec::new()
        };
        let mut policies: Vec<String> = Vec::new();
        let mut documents = Vec::new();
        let (mut allows, mut denies, mut passes) = (Vec::new(), Vec::new(), Vec::new());
        for &i in &selecting {
            let e = &entries[i];
            let info = &analysis.lowered.policies[e.origin.policy];
            let name = info.display_name();
            if !policies.contains(&name) {
                policies.push(name.clone());
                documents.push(info.document);
            }
            let L3::Peers(peers) = &e.l3 else { continue };
            let rule = RuleSummary {
                policy: name,
                path: e.origin.path.clone(),
                start: e.origin.span.start,
                end: e.origin.span.end,
                tier: e.tier.as_str(),
                peers: peers.iter().map(|p| p.to_string()).collect(),
                ports: e.l4.iter().flat_map(|r| &r.ports).map(|p| p.to_string()).collect(),
                l7: e
                    .l4
                    .iter()
                    .filter_map(|r| r.l7.as_ref())
                    .map(|l7| format!("{}({})", l7.protocol, l7.rules.join(" | ")))
                    .collect(),
            };
            match e.verdict {
                Verdict::Allow => allows.push(rule),
                Verdict::Deny => denies.push(rule),
                Verdict::Pass => passes.push(rule),
            }
        }
        DirectionSummary {
            enforced,
            isolated: selecting.iter().any(|&i| entries[i].default_deny),
            policies,
            documents,
            allows,
            denies,
            passes,
        }
    };
    WorkloadSummary {
        workload: at.name.clone(),
        kind,
        ingress: side(Direction::Ingress),
        egress: side(Direction::Egress),
    }
}

/// The summary as text, one block per workload.
pub fn summary_text(summaries: &[WorkloadSummary]) -> String {
    let mut out = String::new();
    for w in summaries {
        out.push_str(&format!("{} ({})\n", w.workload, w.kind));
        for (dir, s) in [("ingress", &w.ingress), ("egress", &w.egress)] {
            let state = if !s.enforced {
                "not enforced"
            } else if s.isolated {
                "isolated (default deny)"
            } else if s.policies.is_empty() {
                "not selected: everything allowed"
            } else {
                "selected, not isolated: only denies apply"
            };
            out.push_str(&format!("  {dir}: {state}\n"));
            if !s.policies.is_empty() {
                out.push_str(&format!("    policies: {}\n", s.policies.join(", ")));
            }
            for (what, rules) in [("deny", &s.denies), ("pass", &s.passes), ("allow", &s.allows)] {
                for r in rules {
                    let ports = if r.ports.is_empty() {
                        "all ports".to_owned()
                    } else {
                        r.ports.join(", ")
                    };
                    let l7 = if r.l7.is_empty() {
                        String::new()
                    } else {
                        format!(" {}", r.l7.join(" "))
                    };
                    out.push_str(&format!(
                        "    {what} {} on {ports}{l7}  ({} {})\n",
                        r.peers.join(", "),
                        r.policy,
                        r.path
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyze, AnalyzeOptions};

    const POLICIES: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: api}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-too, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Egress]
";

    #[test]
    fn policies_come_with_their_documents() {
        let text = format!(
            "{POLICIES}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: db, namespace: shop, labels: {{app: db}}}}\n"
        );
        let analysis = analyze(&text, &AnalyzeOptions::default());
        let db = &summarize(&analysis)[0];
        assert_eq!(db.workload, "shop/db");
        assert_eq!(db.ingress.policies, ["NetworkPolicy shop/db"]);
        assert_eq!(db.ingress.documents, [0]);
        assert_eq!(db.egress.policies, ["NetworkPolicy shop/db-too"]);
        assert_eq!(db.egress.documents, [1]);
    }

    #[test]
    fn without_workloads_one_representative_pod_per_subject() {
        let analysis = analyze(POLICIES, &AnalyzeOptions::default());
        assert!(summarize(&analysis).is_empty());
        let subjects = summarize_subjects(&analysis);
        assert_eq!(subjects.len(), 1, "both policies select app=db in shop: {subjects:?}");
        let db = &subjects[0];
        assert_eq!(db.kind, "representative pod");
        assert!(db.workload.starts_with("shop/<pod selected by "), "{}", db.workload);
        assert!(db.ingress.isolated && db.egress.isolated);
        assert_eq!(db.ingress.policies, ["NetworkPolicy shop/db"]);
        assert_eq!(db.ingress.allows.len(), 1);
        assert_eq!(db.ingress.allows[0].path, "spec.ingress[0].from[0]");
        assert!(
            db.ingress.allows[0].peers[0].contains("app=api"),
            "{:?}",
            db.ingress.allows[0].peers
        );
    }
}
