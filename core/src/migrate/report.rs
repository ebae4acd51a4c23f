//! The migration report: verdict, findings grouped by severity and policy,
//! the proposed rewrites as unified diffs, and the flows that change, as a
//! plain structure (JSON, JavaScript) and as Markdown or HTML for people.

use serde::Serialize;

use super::unified::{self, Change};
use super::{Migration, Rewrite, Verdict};
use crate::compare::Comparison;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceMap;

/// Everything the report says, located in the files it was read from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// `safe`, `needs-changes` or `blocked`.
    pub verdict: &'static str,
    /// The verdict in a sentence, with its reason.
    pub headline: String,
    /// The dataplane of today and the target, described.
    pub from: String,
    pub to: String,
    pub counts: Counts,
    /// Breaking changes, errors first, then by file and line.
    pub findings: Vec<Finding>,
    /// The proposed edits and their diagnostics (NP620, NP621).
    pub rewrites: Vec<Finding>,
    /// One unified diff per file the rewrites change.
    pub diffs: Vec<FileDiff>,
    /// The policies under the target against today, as they are.
    pub breaking: Flows,
    /// The rewritten policies under the target against today.
    pub after_rewrite: Flows,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub edits: usize,
    pub not_restored: usize,
}

/// A diagnostic with its file, line and policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// `NetworkPolicy shop/allow-egress`, when the finding is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// `policies.yaml:12`, or `line 12` for a text given alone.
    pub location: String,
    pub path: String,
    /// The other end, as `message (location)`.
    pub related: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileDiff {
    pub file: String,
    pub diff: String,
}

/// How many flows change, with the first of them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
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

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowChange {
    pub from: String,
    pub to: String,
    pub port: String,
    pub before: &'static str,
    pub after: &'static str,
    /// What decides the flow on the target.
    pub reason: String,
}

/// The report of `migration`, whose text is `sources`; `name` names a text
/// given alone (in diffs).
pub fn report(migration: &Migration, sources: &SourceMap, name: &str) -> Report {
    let documents = &migration.sides.after.parsed.documents;
    let finding = |d: &Diagnostic| Finding {
        code: d.code.id(),
        name: d.code.name(),
        severity: d.severity,
        message: d.message.clone(),
        hint: d.hint.clone(),
        policy: d
            .document
            .and_then(|i| documents.iter().find(|doc| doc.index == i))
            .filter(|doc| doc.model_kind().is_some())
            .map(crate::convert::describe),
        location: if d.document.is_none() && d.span.is_empty() && d.span.start == 0 {
            "the cluster profile".to_owned()
        } else {
            sources.locate(d.span.start).to_string()
        },
        path: d.path.clone(),
        related: d
            .related
            .iter()
            .map(|r| format!("{} ({})", r.message, sources.locate(r.span.start)))
            .collect(),
    };
    let mut findings: Vec<Finding> = migration.findings.iter().map(finding).collect();
    // Errors first; the sort is stable, so text order stays within a severity.
    crate::sort::sort_by_key(&mut findings, |f| std::cmp::Reverse(f.severity));
    let rewrites: Vec<Finding> = migration.rewrite.diagnostics.iter().map(finding).collect();
    let count = |s: Severity| migration.findings.iter().filter(|d| d.severity == s).count();
    let not_restored = migration
        .rewrite
        .diagnostics
        .iter()
        .filter(|d| d.code == crate::diagnostic::Code::NotRestored)
        .count();
    let counts = Counts {
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        infos: count(Severity::Info),
        edits: migration.rewrite.edits.len(),
        not_restored,
    };
    let breaking = flows(&migration.breaking);
    let after_rewrite = flows(&migration.rewrite.proof);
    Report {
        verdict: migration.verdict.as_str(),
        headline: headline(migration.verdict, &counts, &breaking, &after_rewrite),
        from: migration.sides.before.profile.describe(),
        to: migration.sides.after.profile.describe(),
        counts,
        findings,
        rewrites,
        diffs: diffs(&migration.rewrite, sources, name),
        breaking,
        after_rewrite,
    }
}

fn headline(verdict: Verdict, counts: &Counts, breaking: &Flows, after: &Flows) -> String {
    let changes = match (breaking.lost, breaking.gained) {
        (lost, 0) => format!(
            "{} allowed today {} denied on the target",
            plural(lost, "flow", "flows"),
            if lost == 1 { "is" } else { "are" }
        ),
        (0, gained) => format!(
            "{} denied today {} allowed on the target",
            plural(gained, "flow", "flows"),
            if gained == 1 { "is" } else { "are" }
        ),
        (lost, gained) => format!(
            "on the target {} allowed today {} denied and {} denied today {} allowed",
            plural(lost, "flow", "flows"),
            if lost == 1 { "is" } else { "are" },
            plural(gained, "flow", "flows"),
            if gained == 1 { "is" } else { "are" }
        ),
    };
    match verdict {
        Verdict::Safe => format!(
            "Safe to migrate: no policy changes meaning on the target ({} flows compared).",
            breaking.compared
        ),
        Verdict::NeedsChanges if after.differing == 0 && counts.edits > 0 => {
            let mut out = format!(
                "Needs changes: {changes}; with the {} proposed {} no compared flow differs (proven over {} flows)",
                counts.edits,
                if counts.edits == 1 { "edit" } else { "edits" },
                after.compared
            );
            if counts.not_restored > 0 {
                out.push_str(&format!(
                    ", and {} {} what no edit can change",
                    plural(counts.not_restored as u64, "note", "notes"),
                    if counts.not_restored == 1 { "says" } else { "say" }
                ));
            }
            out.push_str(". Review the warnings too.");
            out
        }
        Verdict::NeedsChanges if breaking.differing == 0 => format!(
            "Needs changes: no flow changes, but {} {} a decision.",
            plural(counts.warnings as u64, "warning", "warnings"),
            if counts.warnings == 1 { "needs" } else { "need" }
        ),
        Verdict::NeedsChanges => format!(
            "Needs changes: {changes}, and {} {} a decision.",
            plural(counts.warnings as u64, "warning", "warnings"),
            if counts.warnings == 1 { "needs" } else { "need" }
        ),
        Verdict::Blocked => {
            let mut why = Vec::new();
            if counts.errors > 0 {
                why.push(format!(
                    "the target refuses or cannot enforce what {} {}",
                    counts.errors,
                    if counts.errors == 1 {
                        "error names"
                    } else {
                        "errors name"
                    }
                ));
            }
            if after.differing > 0 {
                why.push(format!(
                    "{} cannot be restored by a rewrite",
                    plural(after.differing, "flow", "flows")
                ));
            }
            format!("Blocked: {}.", why.join(", and "))
        }
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn flows(c: &Comparison) -> Flows {
    let verdict = |allowed: bool| if allowed { "allowed" } else { "denied" };
    Flows {
        compared: c.flows,
        differing: c.differing,
        lost: c.lost,
        gained: c.differing - c.lost,
        endpoints: c.endpoints,
        examples: {
            // Lost flows first: they are what breaks.
            let mut list: Vec<&crate::compare::Difference> = c.differences.iter().collect();
            crate::sort::sort_by_key(&mut list, |d| !d.old_allowed);
            list
        }
        .into_iter()
        .map(|d| FlowChange {
            from: d.from.clone(),
            to: d.to.clone(),
            port: d.port.clone(),
            before: verdict(d.old_allowed),
            after: verdict(d.new_allowed),
            reason: d.new_reasons.join("; "),
        })
        .collect(),
    }
}

/// The edits of `rewrite` as one unified diff per file of `sources`; `name`
/// names a text given alone.
pub fn diffs(rewrite: &Rewrite, sources: &SourceMap, name: &str) -> Vec<FileDiff> {
    let text = sources.text();
    let mut out = Vec::new();
    for (file, range) in sources.parts() {
        let changes: Vec<Change<'_>> = rewrite
            .edits
            .iter()
            .filter(|e| range.contains(&e.range.start) || e.range.start == range.end)
            .map(|e| Change {
                range: e.range.start - range.start..e.range.end.min(range.end) - range.start,
                replacement: &e.replacement,
            })
            .collect();
        let file = file.unwrap_or(name);
        // `a/` and `b/` prefix a relative path, as git writes them.
        let diff = unified::diff(
            file.trim_start_matches("./").trim_start_matches('/'),
            &text[range],
            &changes,
        );
        if !diff.is_empty() {
            out.push(FileDiff {
                file: file.to_owned(),
                diff,
            });
        }
    }
    out
}

/// The report as pretty JSON.
pub fn json(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).unwrap_or_default();
    s.push('\n');
    s
}

fn severity_heading(s: Severity) -> &'static str {
    match s {
        Severity::Error => "Errors: the target refuses or ignores these",
        Severity::Warning => "Warnings: traffic changes",
        Severity::Info => "Notes",
    }
}

/// The findings about one policy (`None`: about the cluster).
type PolicyGroup<'a> = (Option<&'a str>, Vec<&'a Finding>);

/// Findings grouped by severity, then by policy (in order of appearance).
fn grouped(findings: &[Finding]) -> Vec<(Severity, Vec<PolicyGroup<'_>>)> {
    let mut out = Vec::new();
    for severity in [Severity::Error, Severity::Warning, Severity::Info] {
        let mut groups: Vec<PolicyGroup<'_>> = Vec::new();
        for f in findings.iter().filter(|f| f.severity == severity) {
            let policy = f.policy.as_deref();
            match groups.iter_mut().find(|(p, _)| *p == policy) {
                Some((_, list)) => list.push(f),
                None => groups.push((policy, vec![f])),
            }
        }
        if !groups.is_empty() {
            out.push((severity, groups));
        }
    }
    out
}

/// At most this many flows are listed per table.
const FLOW_ROWS: usize = 50;

/// The report in Markdown, for a pull request or a ticket.
pub fn markdown(report: &Report) -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = format!(
        "# netpolkit migrate\n\n**Verdict: {}** — {}\n\nFrom {} to {}.\n\n",
        report.verdict, report.headline, report.from, report.to
    );
    let c = &report.counts;
    out.push_str(&format!(
        "| errors | warnings | notes | proposed edits | not restored | flows changed | after the edits |\n|---|---|---|---|---|---|---|\n| {} | {} | {} | {} | {} | {} of {} | {} |\n",
        c.errors,
        c.warnings,
        c.infos,
        c.edits,
        c.not_restored,
        report.breaking.differing,
        report.breaking.compared,
        report.after_rewrite.differing
    ));
    out.push_str("\n## Findings\n");
    if report.findings.is_empty() {
        out.push_str("\nNone: nothing in these policies changes meaning on the target.\n");
    }
    for (severity, groups) in grouped(&report.findings) {
        out.push_str(&format!("\n### {}\n", severity_heading(severity)));
        for (policy, list) in groups {
            out.push_str(&format!("\n#### {}\n\n", policy.unwrap_or("The cluster")));
            for f in list {
                out.push_str(&format!("- `{} {}` {}: {}", f.code, f.name, f.location, f.message));
                if let Some(hint) = &f.hint {
                    out.push_str(&format!(" **Fix:** {hint}"));
                }
                for r in &f.related {
                    out.push_str(&format!(" (see {r})"));
                }
                out.push('\n');
            }
        }
    }
    out.push_str("\n## Proposed rewrites\n");
    if report.rewrites.is_empty() {
        out.push_str("\nNone needed.\n");
    } else {
        out.push('\n');
        for f in &report.rewrites {
            out.push_str(&format!("- `{} {}` {}: {}\n", f.code, f.name, f.location, f.message));
        }
        for d in &report.diffs {
            out.push_str(&format!("\n```diff\n{}```\n", d.diff));
        }
    }
    for (title, flows) in [
        (
            "Flows that change on the target (policies as they are)",
            &report.breaking,
        ),
        ("Flows still different after the rewrites", &report.after_rewrite),
    ] {
        out.push_str(&format!(
            "\n## {title}\n\n{} of {} flows between {} endpoints: {} lost (allowed today, denied on the target), {} gained.\n",
            flows.differing, flows.compared, flows.endpoints, flows.lost, flows.gained
        ));
        if !flows.examples.is_empty() {
            out.push_str("\n| from | to | port | before | after | decided by (after) |\n|---|---|---|---|---|---|\n");
            for f in flows.examples.iter().take(FLOW_ROWS) {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} |\n",
                    cell(&f.from),
                    cell(&f.to),
                    f.port,
                    f.before,
                    f.after,
                    cell(&f.reason)
                ));
            }
            let listed = flows.examples.len().min(FLOW_ROWS) as u64;
            if listed < flows.differing {
                out.push_str(&format!("\n… and {} more.\n", flows.differing - listed));
            }
        }
    }
    out
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The report as one self-contained HTML page (no scripts, no requests).
pub fn html(report: &Report) -> String {
    let e = escape;
    let mut out = String::from(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>netpolkit migrate</title>\n<style>\nbody{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}\ntable{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccd;padding:.25rem .5rem;text-align:left;vertical-align:top}\n.verdict{font-size:1.2rem;padding:.5rem 1rem;border-radius:.4rem}.safe{background:#e6f4ea}.needs-changes{background:#fff4d6}.blocked{background:#fde7e9}\n.error{color:#a40e26}.warning{color:#7a4b00}.info{color:#33557a}code{font-family:ui-monospace,monospace}\npre{background:#f6f8fa;padding:.75rem;overflow:auto}.add{color:#116329}.del{color:#a40e26}\n</style>\n</head>\n<body>\n<h1>netpolkit migrate</h1>\n",
    );
    out.push_str(&format!(
        "<p class=\"verdict {}\"><strong>Verdict: {}</strong> — {}</p>\n<p>From {} to {}.</p>\n",
        report.verdict,
        report.verdict,
        e(&report.headline),
        e(&report.from),
        e(&report.to)
    ));
    let c = &report.counts;
    out.push_str(&format!(
        "<table><tr><th>errors</th><th>warnings</th><th>notes</th><th>proposed edits</th><th>not restored</th><th>flows changed</th><th>after the edits</th></tr><tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} of {}</td><td>{}</td></tr></table>\n",
        c.errors, c.warnings, c.infos, c.edits, c.not_restored, report.breaking.differing, report.breaking.compared, report.after_rewrite.differing
    ));
    out.push_str("<h2>Findings</h2>\n");
    if report.findings.is_empty() {
        out.push_str("<p>None: nothing in these policies changes meaning on the target.</p>\n");
    }
    let item = |f: &Finding| {
        let mut li = format!(
            "<li class=\"{}\"><code>{} {}</code> {}: {}",
            f.severity.as_str(),
            f.code,
            f.name,
            e(&f.location),
            e(&f.message)
        );
        if let Some(hint) = &f.hint {
            li.push_str(&format!(" <strong>Fix:</strong> {}", e(hint)));
        }
        for r in &f.related {
            li.push_str(&format!(" (see {})", e(r)));
        }
        li.push_str("</li>\n");
        li
    };
    for (severity, groups) in grouped(&report.findings) {
        out.push_str(&format!("<h3>{}</h3>\n", severity_heading(severity)));
        for (policy, list) in groups {
            out.push_str(&format!("<h4>{}</h4>\n<ul>\n", e(policy.unwrap_or("The cluster"))));
            for f in list {
                out.push_str(&item(f));
            }
            out.push_str("</ul>\n");
        }
    }
    out.push_str("<h2>Proposed rewrites</h2>\n");
    if report.rewrites.is_empty() {
        out.push_str("<p>None needed.</p>\n");
    } else {
        out.push_str("<ul>\n");
        for f in &report.rewrites {
            out.push_str(&item(f));
        }
        out.push_str("</ul>\n");
        for d in &report.diffs {
            out.push_str("<pre>");
            for line in d.diff.lines() {
                let class = match line.chars().next() {
                    Some('+') if !line.starts_with("+++") => "add",
                    Some('-') if !line.starts_with("---") => "del",
                    _ => "",
                };
                out.push_str(&format!("<span class=\"{class}\">{}</span>\n", e(line)));
            }
            out.push_str("</pre>\n");
        }
    }
    for (title, flows) in [
        (
            "Flows that change on the target (policies as they are)",
            &report.breaking,
        ),
        ("Flows still different after the rewrites", &report.after_rewrite),
    ] {
        out.push_str(&format!(
            "<h2>{title}</h2>\n<p>{} of {} flows between {} endpoints: {} lost (allowed today, denied on the target), {} gained.</p>\n",
            flows.differing, flows.compared, flows.endpoints, flows.lost, flows.gained
        ));
        if !flows.examples.is_empty() {
            out.push_str("<table><tr><th>from</th><th>to</th><th>port</th><th>before</th><th>after</th><th>decided by (after)</th></tr>\n");
            for f in flows.examples.iter().take(FLOW_ROWS) {
                out.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    e(&f.from),
                    e(&f.to),
                    e(&f.port),
                    f.before,
                    f.after,
                    e(&f.reason)
                ));
            }
            out.push_str("</table>\n");
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}
