//! `rewrite` and `migrate` for JavaScript: moving policies onto Azure CNI
//! powered by Cilium. Options and results only; the core decides.

use serde::{Deserialize, Serialize};
use tsify::Tsify;

use crate::options::{ClusterFacts, Fields, Profile};
use crate::types::Diagnostic;

/// The dataplane the policies run on today.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "kebab-case")]
pub enum MigrateFrom {
    /// Azure Network Policy Manager (the default).
    AzureNpm,
    /// Kubernetes as documented.
    Upstream,
}

/// The target dataplane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "kebab-case")]
pub enum MigrateTo {
    /// Azure CNI powered by Cilium (the default).
    Aks,
    /// Cilium as the other options configure it.
    Cilium,
}

/// A rendered report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    Md,
    Html,
    Json,
}

/// Options of `rewrite` and `migrate`: where from, where to, and the
/// cluster's facts (the same for both sides).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct MigrateOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<MigrateFrom>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<MigrateTo>,
    /// The target cluster. `ciliumVersion` defaults to the line AKS runs
    /// for `kubernetesVersion`, else 1.17.
    #[serde(flatten)]
    pub facts: ClusterFacts,
    /// Explain at most this many differing flows per comparison (default 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// `migrate` only: also render the report as Markdown, HTML or JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<ReportFormat>,
}

impl Fields for MigrateOptions {
    const OWN: &'static [&'static str] = &["from", "to", "limit", "report"];
    const FACTS: bool = true;
}

impl MigrateOptions {
    /// The core's options; a malformed version or CIDR is an error message.
    pub fn core(&self) -> Result<netpolkit::migrate::MigrateOptions, String> {
        let target = self.facts.settings(Some(match self.to {
            Some(MigrateTo::Cilium) => Profile::Cilium,
            _ => Profile::Aks,
        }))?;
        Ok(netpolkit::migrate::MigrateOptions {
            from: match self.from {
                Some(MigrateFrom::Upstream) => netpolkit::profile::ProfileKind::Upstream,
                _ => netpolkit::profile::ProfileKind::AzureNpm,
            },
            target,
            max_explained: self.limit.unwrap_or(0),
        })
    }
}

/// One text edit of a rewrite.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct Edit {
    /// `NetworkPolicy shop/allow-egress`, or the new companion policy.
    pub policy: String,
    /// UTF-8 byte offsets of the replaced text (equal: an insertion).
    pub start: usize,
    pub end: usize,
    /// The same in UTF-16 units, for JavaScript strings and editors.
    pub start_utf16: usize,
    pub end_utf16: usize,
    pub replacement: String,
    /// What the edit restores.
    pub reason: String,
}

/// How many flows differ between two sides, with the first of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct Flows {
    pub compared: u64,
    pub differing: u64,
    /// Allowed today, denied on the target.
    pub lost: u64,
    /// Denied today, allowed on the target.
    pub gained: u64,
    pub endpoints: usize,
    pub examples: Vec<FlowChange>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct FlowChange {
    pub from: String,
    pub to: String,
    /// `TCP/80`.
    pub port: String,
    /// `allowed` or `denied`, today.
    pub before: String,
    /// `allowed` or `denied`, on the target.
    pub after: String,
    /// What decides the flow on the target.
    pub reason: String,
}

impl From<netpolkit::migrate::report::Flows> for Flows {
    fn from(f: netpolkit::migrate::report::Flows) -> Self {
        Flows {
            compared: f.compared,
            differing: f.differing,
            lost: f.lost,
            gained: f.gained,
            endpoints: f.endpoints,
            examples: f
                .examples
                .into_iter()
                .map(|e| FlowChange {
                    from: e.from,
                    to: e.to,
                    port: e.port,
                    before: e.before.to_owned(),
                    after: e.after.to_owned(),
                    reason: e.reason,
                })
                .collect(),
        }
    }
}

/// What `rewrite` proposes, and its proof.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct RewriteResult {
    /// The whole text with every edit applied.
    pub text: String,
    /// The edits on the original text, in text order.
    pub edits: Vec<Edit>,
    /// `NP620` for each proposal, `NP621` for flows that cannot be restored.
    pub diagnostics: Vec<Diagnostic>,
    /// Every flow allowed today is allowed on the target after the edits, and no other.
    pub restored: bool,
    /// The original today against the rewritten text on the target.
    pub proof: Flows,
    /// The edits as a unified diff.
    pub diff: String,
}

impl RewriteResult {
    pub fn new(text: &str, rewrite: &netpolkit::migrate::Rewrite) -> Self {
        let index = netpolkit::LineIndex::new(text);
        let sources = netpolkit::SourceMap::single(text);
        RewriteResult {
            text: rewrite.text.clone(),
            edits: rewrite
                .edits
                .iter()
                .map(|e| Edit {
                    policy: e.policy.clone(),
                    start: e.range.start,
                    end: e.range.end,
                    start_utf16: index.utf16(text, e.range.start),
                    end_utf16: index.utf16(text, e.range.end),
                    replacement: e.replacement.clone(),
                    reason: e.reason.clone(),
                })
                .collect(),
            diagnostics: rewrite
                .diagnostics
                .iter()
                .map(|d| Diagnostic::from(d.locate(text, &index)))
                .collect(),
            restored: rewrite.proof.differing == 0,
            proof: Flows {
                compared: rewrite.proof.flows,
                differing: rewrite.proof.differing,
                lost: rewrite.proof.lost,
                gained: rewrite.proof.differing - rewrite.proof.lost,
                endpoints: rewrite.proof.endpoints,
                examples: Vec::new(),
            },
            diff: netpolkit::migrate::report::diffs(rewrite, &sources, "input.yaml")
                .into_iter()
                .map(|d| d.diff)
                .collect(),
        }
    }
}

/// What `migrate` found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct MigrateResult {
    /// `safe`, `needs-changes` or `blocked`.
    pub verdict: String,
    /// The verdict in a sentence.
    pub headline: String,
    pub from: String,
    pub to: String,
    /// Breaking changes (NP6xx, and what the target's Cilium refuses), located.
    pub findings: Vec<Diagnostic>,
    pub rewrite: RewriteResult,
    /// The text today against the same text on the target.
    pub breaking: Flows,
    /// The original today against the rewritten text on the target.
    pub after_rewrite: Flows,
    /// The report rendered as `options.report` asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
}

impl MigrateResult {
    pub fn new(text: &str, migration: &netpolkit::migrate::Migration, format: Option<ReportFormat>) -> Self {
        let index = netpolkit::LineIndex::new(text);
        let sources = netpolkit::SourceMap::single(text);
        let report = netpolkit::migrate::report::report(migration, &sources, "input.yaml");
        let rendered = format.map(|f| match f {
            ReportFormat::Md => netpolkit::migrate::report::markdown(&report),
            ReportFormat::Html => netpolkit::migrate::report::html(&report),
            ReportFormat::Json => netpolkit::migrate::report::json(&report),
        });
        MigrateResult {
            verdict: report.verdict.to_owned(),
            headline: report.headline,
            from: report.from,
            to: report.to,
            findings: migration
                .findings
                .iter()
                .map(|d| Diagnostic::from(d.locate(text, &index)))
                .collect(),
            rewrite: RewriteResult::new(text, &migration.rewrite),
            breaking: report.breaking.into(),
            after_rewrite: report.after_rewrite.into(),
            report: rendered,
        }
    }
}
