//! `analyze` for JavaScript: precedence findings and the per-workload summary.

use serde::{Deserialize, Serialize};
use tsify::Tsify;

use crate::types::Diagnostic;

/// What `analyze` found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct AnalyzeResult {
    /// Precedence and conflict findings (`NP5xx`), located in the text; the
    /// other rule of a conflict is in `related`.
    pub findings: Vec<Diagnostic>,
    /// Per workload of the text (pods, controllers' pods).
    pub summary: Vec<WorkloadSummary>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadSummary {
    /// `namespace/name`.
    pub workload: String,
    /// `Pod`, `Deployment`...
    pub kind: String,
    pub ingress: DirectionSummary,
    pub egress: DirectionSummary,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct DirectionSummary {
    /// Policies apply here at all (not for host-network pods, for instance).
    pub enforced: bool,
    /// Default deny: only what a rule allows gets through.
    pub isolated: bool,
    /// The policies selecting the workload in this direction.
    pub policies: Vec<String>,
    pub allows: Vec<RuleSummary>,
    pub denies: Vec<RuleSummary>,
    /// ClusterNetworkPolicy Pass rules.
    pub passes: Vec<RuleSummary>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct RuleSummary {
    pub policy: String,
    pub path: String,
    /// UTF-8 byte offsets of the rule in the text.
    pub start: usize,
    pub end: usize,
    /// `Admin`, `Normal` or `Baseline`.
    pub tier: String,
    pub peers: Vec<String>,
    /// Empty: every port.
    pub ports: Vec<String>,
    pub l7: Vec<String>,
}

impl From<netpolkit::findings::RuleSummary> for RuleSummary {
    fn from(r: netpolkit::findings::RuleSummary) -> Self {
        RuleSummary {
            policy: r.policy,
            path: r.path,
            start: r.start,
            end: r.end,
            tier: r.tier.to_owned(),
            peers: r.peers,
            ports: r.ports,
            l7: r.l7,
        }
    }
}

impl From<netpolkit::findings::DirectionSummary> for DirectionSummary {
    fn from(d: netpolkit::findings::DirectionSummary) -> Self {
        let rules = |v: Vec<netpolkit::findings::RuleSummary>| v.into_iter().map(RuleSummary::from).collect();
        DirectionSummary {
            enforced: d.enforced,
            isolated: d.isolated,
            policies: d.policies,
            allows: rules(d.allows),
            denies: rules(d.denies),
            passes: rules(d.passes),
        }
    }
}

impl From<netpolkit::findings::WorkloadSummary> for WorkloadSummary {
    fn from(w: netpolkit::findings::WorkloadSummary) -> Self {
        WorkloadSummary {
            workload: w.workload,
            kind: w.kind,
            ingress: w.ingress.into(),
            egress: w.egress.into(),
        }
    }
}
