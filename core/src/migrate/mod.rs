//! Moving a policy set onto Azure CNI powered by Cilium (peers-and-aks §1):
//! what breaks, the policy changes that restore the intended flows, and the
//! proof that they do.
//!
//! One text is analysed twice, under the dataplane it runs on today
//! (`from`: Azure NPM or upstream Kubernetes) and under the target (`aks`).
//! [`checks`] locates every breaking change, [`rewrite`] proposes text edits
//! and proves them with the engine, and [`report`] puts both together with
//! the flows that change, for people (Markdown, HTML) and tools (JSON, SARIF).

pub mod checks;
pub mod ranges;
pub mod report;
pub mod rewrite;
pub mod unified;

use std::ops::Range;

use crate::analysis::{analyze, Analysis, AnalyzeOptions};
use crate::compare::{compare, CompareOptions, Comparison, Side};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Document;
use crate::profile::{ProfileKind, ProfileSettings};

/// What to migrate from and to.
#[derive(Clone, Debug, PartialEq)]
pub struct MigrateOptions {
    /// The dataplane the policies run on today: `azure-npm` (the default) or `upstream`.
    pub from: ProfileKind,
    /// The target cluster: its kind (default `aks`), versions, ACNS and
    /// address ranges; the same facts describe the cluster today.
    pub target: ProfileSettings,
    /// At most this many differing flows are explained per comparison (0: 200).
    pub max_explained: usize,
}

impl Default for MigrateOptions {
    fn default() -> Self {
        MigrateOptions {
            from: ProfileKind::AzureNpm,
            target: ProfileSettings::default(),
            max_explained: 0,
        }
    }
}

impl MigrateOptions {
    /// The settings of the cluster today: the target's facts under `from`.
    pub fn before(&self) -> ProfileSettings {
        ProfileSettings {
            kind: Some(self.from),
            ..self.target.clone()
        }
    }

    /// The settings of the target, `aks` unless another kind is given.
    pub fn after(&self) -> ProfileSettings {
        ProfileSettings {
            kind: Some(self.target.kind.unwrap_or(ProfileKind::Aks)),
            ..self.target.clone()
        }
    }
}

/// The text read under both profiles.
#[derive(Clone, Debug)]
pub struct Sides {
    /// Under the dataplane of today.
    pub before: Analysis,
    /// Under the target.
    pub after: Analysis,
}

impl Sides {
    pub fn new(text: &str, options: &MigrateOptions) -> Sides {
        let read = |profile: ProfileSettings| {
            analyze(
                text,
                &AnalyzeOptions {
                    profile,
                    lower_invalid: false,
                },
            )
        };
        Sides {
            before: read(options.before()),
            after: read(options.after()),
        }
    }

    /// The workload documents of the text (Namespaces, Pods, Nodes, Services, controllers).
    pub fn workloads(&self) -> Vec<Document> {
        self.after
            .parsed
            .documents
            .iter()
            .filter(|d| d.model_kind().is_some_and(|k| !k.is_policy()))
            .cloned()
            .collect()
    }
}

/// One text edit on the original text. Edits of one rewrite never overlap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    /// The document it changes, or after which a new document is inserted.
    pub document: usize,
    /// `NetworkPolicy shop/allow-egress`, or the new document's name.
    pub policy: String,
    /// Bytes of the original text replaced (empty: an insertion).
    pub range: Range<usize>,
    pub replacement: String,
    /// What the edit restores, in a sentence.
    pub reason: String,
}

/// The rewritten text and its proof.
#[derive(Clone, Debug)]
pub struct Rewrite {
    /// The whole text with every edit applied.
    pub text: String,
    /// The edits, in text order.
    pub edits: Vec<Edit>,
    /// NP620 for each proposal, NP621 for flows that cannot be restored.
    pub diagnostics: Vec<Diagnostic>,
    /// The original under `from` against the rewritten text under the target.
    pub proof: Comparison,
}

/// The verdict of a migration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing changes meaning: migrate as is.
    Safe,
    /// Flows change, and the proposed rewrites (or the actions named) fix them.
    NeedsChanges,
    /// Something the target refuses or cannot express: a decision is needed first.
    Blocked,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Safe => "safe",
            Verdict::NeedsChanges => "needs-changes",
            Verdict::Blocked => "blocked",
        }
    }
}

/// Everything a team needs to decide and do the move.
#[derive(Clone, Debug)]
pub struct Migration {
    pub sides: Sides,
    /// Breaking changes (NP6xx and the target's own refusals), in text order.
    pub findings: Vec<Diagnostic>,
    pub rewrite: Rewrite,
    /// The text under `from` against the same text under the target.
    pub breaking: Comparison,
    pub verdict: Verdict,
}

/// Checks, rewrites and compares `text` for a move from `options.from` to the target.
pub fn migrate(text: &str, options: &MigrateOptions) -> Migration {
    let sides = Sides::new(text, options);
    let findings = checks::run(&sides);
    let rewrite = rewrite::rewrite_sides(text, &sides, options, &findings);
    let breaking = compare(
        &sides.workloads(),
        Side {
            profile: &sides.before.profile,
            lowered: &sides.before.lowered,
        },
        Side {
            profile: &sides.after.profile,
            lowered: &sides.after.lowered,
        },
        &CompareOptions {
            generate: true,
            max_explained: max_explained(options),
        },
    );
    let verdict = verdict(&findings, &rewrite, &breaking);
    Migration {
        sides,
        findings,
        rewrite,
        breaking,
        verdict,
    }
}

/// Checks and rewrites only, for `netpolkit rewrite`.
pub fn rewrite(text: &str, options: &MigrateOptions) -> Rewrite {
    let sides = Sides::new(text, options);
    let findings = checks::run(&sides);
    rewrite::rewrite_sides(text, &sides, options, &findings)
}

pub(crate) fn max_explained(options: &MigrateOptions) -> usize {
    if options.max_explained == 0 {
        200
    } else {
        options.max_explained
    }
}

/// Blocked when the target refuses something (an error) or a flow cannot be
/// restored; needs changes when any flow or finding remains; safe otherwise.
fn verdict(findings: &[Diagnostic], rewrite: &Rewrite, breaking: &Comparison) -> Verdict {
    let restorable = rewrite.proof.differing == 0;
    if findings.iter().any(|d| d.severity == Severity::Error) || !restorable {
        Verdict::Blocked
    } else if breaking.differing > 0 || findings.iter().any(|d| d.severity == Severity::Warning) {
        Verdict::NeedsChanges
    } else {
        Verdict::Safe
    }
}
