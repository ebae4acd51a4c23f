//! Rendering check results: source snippets for people, JSON for tools.

use std::io::IsTerminal;

use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use netpolkit::{Diagnostic, LineIndex, Parsed, RefusedBy, Severity};
use serde::Serialize;

use crate::input::Input;

/// Colour only for a terminal, and never when NO_COLOR is set.
pub fn color_wanted() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The same for what goes to stderr.
pub fn color_wanted_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    }
}

/// Every diagnostic with its source snippet, then a summary line.
pub fn text(results: &[(Input, Parsed)], color: bool) -> String {
    let renderer = if color { Renderer::styled() } else { Renderer::plain() }.decor_style(DecorStyle::Ascii);
    let mut out = String::new();
    for (input, parsed) in results {
        let index = LineIndex::new(&input.text);
        for d in &parsed.diagnostics {
            out.push_str(&renderer.render(&report(input, &index, d)));
            out.push_str("\n\n");
        }
    }
    out.push_str(&summary(results));
    out.push('\n');
    out
}

/// Diagnostics about the joined text of several inputs, each shown in its
/// own file.
pub fn joined(inputs: &[Input], sources: &netpolkit::SourceMap, diagnostics: &[Diagnostic], color: bool) -> String {
    let renderer = if color { Renderer::styled() } else { Renderer::plain() }.decor_style(DecorStyle::Ascii);
    let mut out = String::new();
    for d in diagnostics {
        let (input, start) = match sources.part(d.span.start) {
            Some((name, start)) => match inputs.iter().find(|i| i.name == name) {
                Some(input) => (input, start),
                None => continue,
            },
            None => match inputs.first() {
                Some(input) => (input, 0),
                None => continue,
            },
        };
        let mut local = d.clone();
        local.span.start = d.span.start.saturating_sub(start);
        local.span.end = d.span.end.saturating_sub(start);
        for related in &mut local.related {
            related.span.start = related.span.start.saturating_sub(start);
            related.span.end = related.span.end.saturating_sub(start);
        }
        let index = LineIndex::new(&input.text);
        out.push_str(&renderer.render(&report(input, &index, &local)));
        out.push_str("\n\n");
    }
    out
}

/// The diagnostic with the lines it and its related locations cover (not
/// the whole file: the renderer reads all the text it is given, and a large
/// input has many diagnostics).
fn report<'a>(input: &'a Input, index: &LineIndex, d: &'a Diagnostic) -> Vec<Group<'a>> {
    let text = input.text.as_str();
    let clamp = |start: usize, end: usize| {
        let end = end.max(start).min(text.len());
        start.min(end)..end
    };
    // The lines a span covers, as a snippet of their own.
    let lines = |span: std::ops::Range<usize>| {
        let first = index.line_col(text, span.start).line;
        let last = index.line_col(text, span.end).line;
        let window = index.line_span(text, first).start..index.line_span(text, last).end;
        let local = span.start - window.start..span.end.min(window.end) - window.start;
        (
            Snippet::source(&text[window])
                .line_start(first)
                .path(input.name.as_str())
                .fold(true),
            local,
        )
    };
    let label = if d.path.is_empty() {
        String::new()
    } else {
        d.path.clone()
    };
    let (primary, at) = lines(clamp(d.span.start, d.span.end));
    let mut snippets = vec![primary.annotation(AnnotationKind::Primary.span(at).label(label))];
    for related in &d.related {
        let (snippet, at) = lines(clamp(related.span.start, related.span.end));
        snippets.push(snippet.annotation(AnnotationKind::Context.span(at).label(related.message.as_str())));
    }
    let mut title = level(d.severity)
        .primary_title(d.message.as_str())
        .id(format!("{} {}", d.code.id(), d.code.name()))
        .elements(snippets);
    if let Some(hint) = &d.hint {
        title = title.element(Level::HELP.message(hint.as_str()));
    }
    if d.refused_by == Some(RefusedBy::CiliumAgent) {
        title = title.element(
            Level::NOTE.message("kubectl apply succeeds, but the Cilium agent refuses the policy: it is not enforced"),
        );
    }
    vec![title]
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn summary(results: &[(Input, Parsed)]) -> String {
    let count = |s: Severity| {
        results
            .iter()
            .flat_map(|(_, p)| &p.diagnostics)
            .filter(|d| d.severity == s)
            .count()
    };
    let documents: usize = results.iter().map(|(_, p)| p.documents.len()).sum();
    let files = plural(results.len(), "file", "files");
    let documents = plural(documents, "document", "documents");
    let (errors, warnings, infos) = (count(Severity::Error), count(Severity::Warning), count(Severity::Info));
    if errors + warnings + infos == 0 {
        return format!("All checks passed: {documents} in {files}.");
    }
    format!(
        "Found {}, {} and {} in {documents} ({files}).",
        plural(errors, "error", "errors"),
        plural(warnings, "warning", "warnings"),
        plural(infos, "note", "notes"),
    )
}

#[derive(Serialize)]
struct JsonReport<'a> {
    files: Vec<JsonFile<'a>>,
    summary: JsonSummary,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: &'a str,
    #[serde(flatten)]
    report: netpolkit::Report,
}

#[derive(Serialize)]
struct JsonSummary {
    files: usize,
    documents: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
}

/// The same results as one JSON object: per file its documents,
/// diagnostics and counts, then the totals.
pub fn json(results: &[(Input, Parsed)]) -> String {
    let files: Vec<JsonFile> = results
        .iter()
        .map(|(input, parsed)| JsonFile {
            path: &input.name,
            report: netpolkit::report(&input.text, parsed),
        })
        .collect();
    let total = |f: fn(&netpolkit::Summary) -> usize| files.iter().map(|file| f(&file.report.summary)).sum();
    let summary = JsonSummary {
        files: files.len(),
        documents: total(|s| s.documents),
        errors: total(|s| s.errors),
        warnings: total(|s| s.warnings),
        infos: total(|s| s.infos),
    };
    let mut text = serde_json::to_string_pretty(&JsonReport { files, summary }).unwrap_or_default();
    text.push('\n');
    text
}
