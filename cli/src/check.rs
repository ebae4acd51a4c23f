//! `check` and `summary`: validation per file, precedence findings over all
//! files at once (a deny in one file can shadow an allow in another), and
//! the per-workload summary.

use std::io::Write;
use std::process::ExitCode;

use clap::ValueEnum;
use netpolkit::{AnalyzeOptions, Diagnostic, LineIndex, Parsed, Severity, SourceMap};
use serde_json::{json, Value};

use crate::analysis::{analyze_inputs, combined, usage, ProfileArgs};
use crate::input::Input;
use crate::render;

#[derive(Clone, Copy, ValueEnum)]
pub enum CheckOutput {
    Text,
    Json,
    /// SARIF 2.1.0, for code-scanning services.
    Sarif,
}

pub struct Args<'a> {
    pub output: CheckOutput,
    pub deny_warnings: bool,
    pub no_findings: bool,
    pub profile: &'a ProfileArgs,
}

pub fn run(inputs: Vec<Input>, args: &Args<'_>) -> ExitCode {
    let settings = match args.profile.settings() {
        Ok(s) => s,
        Err(e) => return usage(e),
    };
    let options = netpolkit::Options {
        cilium_version: settings.cilium_version.unwrap_or_default(),
    };
    let sources = combined(&inputs);
    // A single input validated under the same version is what the analysis
    // already read: reading it twice was a third of the time of a check.
    let mut read_once: Option<Parsed> = None;
    let findings = if args.no_findings {
        Vec::new()
    } else {
        let analysis = netpolkit::analyze(
            sources.text(),
            &AnalyzeOptions {
                profile: settings,
                ..AnalyzeOptions::default()
            },
        );
        let findings = analysis.findings();
        if inputs.len() == 1 && analysis.profile.cilium_version == options.cilium_version {
            read_once = Some(analysis.parsed);
        }
        findings
    };
    let mut results: Vec<(Input, Parsed)> = inputs
        .into_iter()
        .map(|input| {
            let parsed = read_once
                .take()
                .unwrap_or_else(|| netpolkit::check(&input.text, &options));
            (input, parsed)
        })
        .collect();
    distribute(&mut results, &sources, findings);
    let count = |s: Severity| {
        results
            .iter()
            .flat_map(|(_, p)| &p.diagnostics)
            .filter(|d| d.severity == s)
            .count()
    };
    let failed = count(Severity::Error) > 0 || (args.deny_warnings && count(Severity::Warning) > 0);
    let text = match args.output {
        CheckOutput::Text => render::text(&results, render::color_wanted()),
        CheckOutput::Json => render::json(&results),
        CheckOutput::Sarif => sarif(&results),
    };
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Moves findings about the joined text into the file each is in, with
/// spans relative to that file; a related location in another file keeps
/// its place in the message (`(see other.yaml:12:3)`).
fn distribute(results: &mut [(Input, Parsed)], sources: &SourceMap, findings: Vec<Diagnostic>) {
    let names: Vec<&str> = results.iter().map(|(i, _)| i.name.as_str()).collect();
    let per_file = split(&names, sources, findings);
    for ((_, parsed), found) in results.iter_mut().zip(per_file) {
        parsed.diagnostics.extend(found);
        netpolkit::sort_diagnostics(&mut parsed.diagnostics);
    }
}

/// The diagnostics of a joined text, per file of `names` (in that order),
/// located in their file.
pub fn split(names: &[&str], sources: &SourceMap, findings: Vec<Diagnostic>) -> Vec<Vec<Diagnostic>> {
    let mut out: Vec<Vec<Diagnostic>> = names.iter().map(|_| Vec::new()).collect();
    for mut d in findings {
        let Some((name, start)) = sources.part(d.span.start) else {
            continue;
        };
        let Some(slot) = names.iter().position(|n| *n == name) else {
            continue;
        };
        d.span.start -= start;
        d.span.end = d.span.end.saturating_sub(start);
        d.document = None;
        let mut local = Vec::new();
        for mut r in std::mem::take(&mut d.related) {
            match sources.part(r.span.start) {
                Some((other, _)) if other == name => {
                    r.span.start -= start;
                    r.span.end = r.span.end.saturating_sub(start);
                    local.push(r);
                }
                _ => {
                    let at = sources.locate(r.span.start);
                    d.message = format!("{} (see {} at {at})", d.message, r.message);
                }
            }
        }
        d.related = local;
        out[slot].push(d);
    }
    for list in &mut out {
        netpolkit::sort_diagnostics(list);
    }
    out
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// SARIF 2.1.0: one run, a rule per code that occurs, a result per
/// diagnostic with its region and related locations.
pub fn sarif(results: &[(Input, Parsed)]) -> String {
    let files: Vec<(&Input, &[Diagnostic])> = results.iter().map(|(i, p)| (i, p.diagnostics.as_slice())).collect();
    sarif_files(&files)
}

/// [`sarif`] for diagnostics already in their files.
pub fn sarif_files(results: &[(&Input, &[Diagnostic])]) -> String {
    let mut codes: Vec<netpolkit::Code> = results
        .iter()
        .flat_map(|(_, list)| list.iter().map(|d| d.code))
        .collect();
    codes.sort();
    codes.dedup();
    let rules: Vec<Value> = codes
        .iter()
        .map(|c| {
            json!({
                "id": c.id(),
                "name": c.name(),
                "shortDescription": { "text": c.name().replace('-', " ") },
                "defaultConfiguration": { "level": level(c.severity()) },
            })
        })
        .collect();
    let mut out = Vec::new();
    for (input, list) in results {
        let index = LineIndex::new(&input.text);
        let region = |start: usize, end: usize| {
            let a = index.line_col(&input.text, start.min(input.text.len()));
            let b = index.line_col(&input.text, end.min(input.text.len()));
            json!({ "startLine": a.line, "startColumn": a.column, "endLine": b.line, "endColumn": b.column })
        };
        let uri = input.name.trim_start_matches("./").to_owned();
        for d in list.iter() {
            let mut message = d.message.clone();
            if let Some(hint) = &d.hint {
                message.push_str(&format!(" Fix: {hint}"));
            }
            let related: Vec<Value> = d
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    json!({
                        "id": i + 1,
                        "message": { "text": r.message },
                        "physicalLocation": {
                            "artifactLocation": { "uri": uri },
                            "region": region(r.span.start, r.span.end),
                        },
                    })
                })
                .collect();
            let mut result = json!({
                "ruleId": d.code.id(),
                "ruleIndex": codes.iter().position(|c| *c == d.code).unwrap_or(0),
                "level": level(d.severity),
                "message": { "text": message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri },
                        "region": region(d.span.start, d.span.end),
                    },
                    "logicalLocations": [{ "fullyQualifiedName": d.path }],
                }],
            });
            if !related.is_empty() {
                result["relatedLocations"] = Value::Array(related);
            }
            out.push(result);
        }
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "netpolkit",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/netpolkit/netpolkit",
                "rules": rules,
            }},
            "results": out,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

/// `netpolkit summary`: per workload and direction, what applies.
pub fn summary(inputs: &[Input], json_out: bool, profile: &ProfileArgs) -> ExitCode {
    let analysis = match analyze_inputs(inputs, profile) {
        Ok((_, analysis)) => analysis,
        Err(code) => return code,
    };
    let summaries = analysis.summary();
    let out = if json_out {
        let mut s = serde_json::to_string_pretty(&summaries).unwrap_or_default();
        s.push('\n');
        s
    } else if summaries.is_empty() {
        "No workloads in the input: give Pods, Deployments... (and Namespaces) to see what applies to each.\n"
            .to_owned()
    } else {
        netpolkit::findings::summary_text(&summaries)
    };
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    ExitCode::SUCCESS
}
