//! The semantic diff of two policy texts (or of one text under two
//! profiles): the flows whose verdict changed, with the rules deciding them
//! on each side.

use serde::Serialize;

use super::{compare, CompareOptions, Comparison, Side};
use crate::analysis::{analyze, Analysis, AnalyzeOptions};
use crate::model::Document;
use crate::profile::ProfileSettings;

/// How to diff.
#[derive(Clone, Debug, Default)]
pub struct DiffOptions {
    pub old_profile: ProfileSettings,
    pub new_profile: ProfileSettings,
    /// Only the workloads the texts describe, no generated endpoints.
    pub workloads_only: bool,
    /// At most this many differing flows are explained (0: the default, 200).
    pub max_explained: usize,
}

/// Both sides, read and lowered, and their comparison.
#[derive(Clone, Debug)]
pub struct Diff {
    pub old: Analysis,
    pub new: Analysis,
    pub comparison: Comparison,
}

pub fn diff(old_text: &str, new_text: &str, options: &DiffOptions) -> Diff {
    let read = |text: &str, profile: &ProfileSettings| {
        analyze(
            text,
            &AnalyzeOptions {
                profile: profile.clone(),
                lower_invalid: false,
            },
        )
    };
    let old = read(old_text, &options.old_profile);
    let new = read(new_text, &options.new_profile);
    // The workloads of both texts, each once (the new text's copy wins).
    let mut workloads: Vec<Document> = Vec::new();
    let key = |d: &Document| {
        let meta = d.manifest.metadata();
        (
            d.model_kind(),
            meta.and_then(|m| m.namespace()).map(str::to_owned),
            meta.and_then(|m| m.name()).map(str::to_owned),
        )
    };
    for d in new.parsed.documents.iter().chain(&old.parsed.documents) {
        if d.model_kind().is_some_and(|k| !k.is_policy()) && !workloads.iter().any(|w| key(w) == key(d)) {
            workloads.push(d.clone());
        }
    }
    let comparison = compare(
        &workloads,
        Side {
            profile: &old.profile,
            lowered: &old.lowered,
        },
        Side {
            profile: &new.profile,
            lowered: &new.lowered,
        },
        &CompareOptions {
            generate: !options.workloads_only,
            max_explained: if options.max_explained == 0 {
                200
            } else {
                options.max_explained
            },
        },
    );
    Diff { old, new, comparison }
}

/// Output formats of a diff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffFormat {
    Text,
    Json,
    Markdown,
}

fn verdict(allowed: bool) -> &'static str {
    if allowed {
        "allowed"
    } else {
        "denied"
    }
}

/// The diff for people (text, Markdown for a pull request) or tools (JSON).
pub fn render(diff: &Diff, format: DiffFormat) -> String {
    let c = &diff.comparison;
    match format {
        DiffFormat::Json => {
            let mut s = serde_json::to_string_pretty(&report(diff)).unwrap_or_default();
            s.push('\n');
            s
        }
        DiffFormat::Text => {
            let mut out = headline(c);
            out.push('\n');
            let mut pair = None;
            for d in &c.differences {
                if pair != Some((&d.from, &d.to)) {
                    out.push_str(&format!("\n{} -> {}\n", d.from, d.to));
                    pair = Some((&d.from, &d.to));
                }
                out.push_str(&format!(
                    "  {}: {} -> {}\n",
                    d.port,
                    verdict(d.old_allowed),
                    verdict(d.new_allowed)
                ));
                for r in &d.old_reasons {
                    out.push_str(&format!("    old: {r}\n"));
                }
                for r in &d.new_reasons {
                    out.push_str(&format!("    new: {r}\n"));
                }
            }
            if (c.differences.len() as u64) < c.differing {
                out.push_str(&format!(
                    "\n... and {} more (raise the limit to see them)\n",
                    c.differing - c.differences.len() as u64
                ));
            }
            out
        }
        DiffFormat::Markdown => {
            let mut out = format!("**netpolkit diff**: {}\n", headline(c));
            if !c.differences.is_empty() {
                out.push_str(
                    "\n| from | to | port | before | after | decided by (after) |\n|---|---|---|---|---|---|\n",
                );
                for d in &c.differences {
                    let cell = |s: &str| s.replace('|', "\\|");
                    out.push_str(&format!(
                        "| {} | {} | {} | {} | {} | {} |\n",
                        cell(&d.from),
                        cell(&d.to),
                        d.port,
                        verdict(d.old_allowed),
                        verdict(d.new_allowed),
                        cell(&d.new_reasons.join("<br>"))
                    ));
                }
            }
            out
        }
    }
}

fn headline(c: &Comparison) -> String {
    let flows = if c.differing == 1 {
        "flow differs"
    } else {
        "flows differ"
    };
    format!(
        "{} {flows} (of {} compared between {} endpoints)",
        c.differing, c.flows, c.endpoints
    )
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report<'a> {
    /// Flows whose verdict differs.
    differing: u64,
    /// Flows compared.
    flows: u64,
    endpoints: usize,
    differences: Vec<DifferenceReport<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DifferenceReport<'a> {
    from: &'a str,
    to: &'a str,
    port: &'a str,
    old: &'static str,
    new: &'static str,
    old_reasons: &'a [String],
    new_reasons: &'a [String],
}

fn report(diff: &Diff) -> Report<'_> {
    let c = &diff.comparison;
    Report {
        differing: c.differing,
        flows: c.flows,
        endpoints: c.endpoints,
        differences: c
            .differences
            .iter()
            .map(|d| DifferenceReport {
                from: &d.from,
                to: &d.to,
                port: &d.port,
                old: verdict(d.old_allowed),
                new: verdict(d.new_allowed),
                old_reasons: &d.old_reasons,
                new_reasons: &d.new_reasons,
            })
            .collect(),
    }
}
