//! Precedence and conflict analysis (cilium-semantics §3): which rule wins,
//! what never takes effect, and why — over a whole policy set, from the
//! entries the engine decides with.
//!
//! Findings are [`Diagnostic`]s with `NP5xx` codes: the rule they are about
//! is the span, the other end of a conflict is a related location, and the
//! hint says how to fix it. They are computed from an [`Analysis`] and never
//! change what validation says.
//!
//! - `space.rs`: entries as sets (selectors as label regions, ports, peers)
//!   and the conservative containment and overlap tests.
//! - `overlap.rs`: findings about two entries (shadowing, redundancy, L7
//!   neutralised, the clusterwide-override misconception, tiers).
//! - `policies.rs`: findings about one policy (rules that can never match,
//!   default-deny surprises, policyTypes).
//! - `paths.rs`: findings the engine decides on workloads (half-open paths,
//!   DNS blocked by egress isolation).
//! - `summary.rs`: per workload and direction, what applies (for the
//!   input's workloads, or a representative pod per subject when it has none).

mod overlap;
pub(crate) mod paths;
mod policies;
mod space;
mod summary;

pub use summary::{summarize, summarize_subjects, summary_text, DirectionSummary, RuleSummary, WorkloadSummary};

use crate::analysis::Analysis;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{PolicyEntry, PolicyInfo};
use crate::model::Kind;
use crate::source::Span;

/// Every finding about the analysed policy set, sorted by position.
pub fn find(analysis: &Analysis) -> Vec<Diagnostic> {
    let mut f = Finder {
        analysis,
        out: Vec::new(),
    };
    policies::run(&mut f);
    overlap::run(&mut f);
    paths::run(&mut f);
    let mut out = f.out;
    crate::sort_diagnostics(&mut out);
    out
}

/// Collects findings, with the helpers every pass needs.
pub(crate) struct Finder<'a> {
    pub analysis: &'a Analysis,
    pub out: Vec<Diagnostic>,
}

impl<'a> Finder<'a> {
    /// The policy of an entry; borrowed from the analysis, not the finder,
    /// so findings can be added while it is held.
    fn policy(&self, entry: &PolicyEntry) -> &'a PolicyInfo {
        &self.analysis.lowered.policies[entry.origin.policy]
    }

    fn kind(&self, entry: &PolicyEntry) -> Option<Kind> {
        self.analysis.lowered.policies.get(entry.origin.policy).map(|p| p.kind)
    }

    /// A finding at `at` (a policy's document) with its path.
    fn at_policy(&mut self, code: Code, policy: &PolicyInfo, span: Span, path: &str, message: String, hint: String) {
        let mut d = Diagnostic::new(code, span, message).with_path(path).with_hint(hint);
        d.document = Some(policy.document);
        self.out.push(d);
    }

    /// A finding at entry `at`'s rule, with entry `other`'s rule related.
    fn pair_finding(&mut self, code: Code, at: usize, other: usize, message: String, hint: String) {
        let entries = &self.analysis.lowered.entries;
        let (a, b) = (&entries[at], &entries[other]);
        let related = format!("{} {}", self.policy(b).display_name(), b.origin.path);
        let mut d = Diagnostic::new(code, a.origin.span, message)
            .with_path(a.origin.path.clone())
            .with_hint(hint)
            .with_related(b.origin.span, related);
        d.document = Some(self.policy(a).document);
        self.out.push(d);
    }
}

/// `` `spec.ingress[0]` of NetworkPolicy shop/web ``.
fn rule_name(f: &Finder<'_>, entry: &PolicyEntry) -> String {
    format!("`{}` of {}", entry.origin.path, f.policy(entry).display_name())
}
