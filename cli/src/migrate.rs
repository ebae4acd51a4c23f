//! `rewrite` and `migrate`: moving policies onto Azure CNI powered by
//! Cilium. The core decides; this reads files, writes files and reports,
//! and sets the exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::ValueEnum;
use netpolkit::migrate::{self, report, MigrateOptions, Verdict};
use netpolkit::profile::ProfileKind;
use netpolkit::Severity;

use crate::analysis::{combined, usage, ProfileArgs};
use crate::check::{sarif_files, split};
use crate::input::Input;
use crate::render;

/// The dataplanes a migration starts from.
#[derive(Clone, Copy, ValueEnum)]
pub enum MigrateFrom {
    /// Azure Network Policy Manager (implicit egress to the pod's node; no ingress enforcement through
    /// LoadBalancer/NodePort services with externalTrafficPolicy Cluster).
    AzureNpm,
    /// Kubernetes as the API documents it (ipBlock matches every address).
    Upstream,
}

impl MigrateFrom {
    fn kind(self) -> ProfileKind {
        match self {
            MigrateFrom::AzureNpm => ProfileKind::AzureNpm,
            MigrateFrom::Upstream => ProfileKind::Upstream,
        }
    }
}

/// The targets a migration goes to.
#[derive(Clone, Copy, ValueEnum)]
pub enum MigrateTo {
    /// Azure CNI powered by Cilium.
    Aks,
    /// Cilium as configured by the profile flags.
    Cilium,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum RewriteOutput {
    /// The whole rewritten text.
    Yaml,
    /// A unified diff per file.
    Diff,
    /// The edits, their diagnostics and the proof.
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum MigrateOutput {
    Md,
    Json,
    Sarif,
    Html,
}

fn options(from: MigrateFrom, to: Option<MigrateTo>, profile: &ProfileArgs) -> Result<MigrateOptions, String> {
    let mut target = profile.settings()?;
    target.kind = match to {
        Some(MigrateTo::Aks) => Some(ProfileKind::Aks),
        Some(MigrateTo::Cilium) => Some(ProfileKind::Cilium),
        None => match target.kind {
            Some(ProfileKind::Upstream | ProfileKind::AzureNpm) => {
                return Err("the target of a migration is aks or cilium; use --from for the dataplane of today".into())
            }
            kind => kind.or(Some(ProfileKind::Aks)),
        },
    };
    Ok(MigrateOptions {
        from: from.kind(),
        target,
        max_explained: 0,
    })
}

/// The rewrite's diagnostics on stderr, each in its own file.
fn print_diagnostics(inputs: &[Input], sources: &netpolkit::SourceMap, diagnostics: &[netpolkit::Diagnostic]) {
    if diagnostics.is_empty() {
        return;
    }
    let text = render::joined(inputs, sources, diagnostics, render::color_wanted_stderr());
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

pub struct RewriteArgs<'a> {
    pub from: MigrateFrom,
    pub output: RewriteOutput,
    pub write: bool,
    pub profile: &'a ProfileArgs,
}

/// `netpolkit rewrite`: exit 0 when every flow is restored, 1 when some
/// cannot be (NP621), 2 on usage errors.
pub fn rewrite(inputs: Vec<Input>, args: &RewriteArgs<'_>) -> ExitCode {
    let options = match options(args.from, None, args.profile) {
        Ok(o) => o,
        Err(e) => return usage(e),
    };
    let sources = combined(&inputs);
    let result = migrate::rewrite(sources.text(), &options);
    print_diagnostics(&inputs, &sources, &result.diagnostics);
    let text = sources.text();
    if args.write {
        for (name, range) in sources.parts() {
            let Some(input) = inputs.iter().find(|i| Some(i.name.as_str()) == name) else {
                continue;
            };
            let mut edits: Vec<&netpolkit::migrate::Edit> = result
                .edits
                .iter()
                .filter(|e| range.contains(&e.range.start) || e.range.start == range.end)
                .collect();
            if edits.is_empty() || input.name == "-" {
                continue;
            }
            edits.sort_by_key(|e| e.range.start);
            let mut new = String::new();
            let mut at = range.start;
            for e in edits {
                new.push_str(&text[at..e.range.start]);
                new.push_str(&e.replacement);
                at = e.range.end.min(range.end);
            }
            new.push_str(&text[at..range.end]);
            if let Err(e) = std::fs::write(&input.name, new) {
                return usage(format!("cannot write {}: {e}", input.name));
            }
            eprintln!("netpolkit: rewrote {}", input.name);
        }
    } else {
        let out = match args.output {
            RewriteOutput::Yaml => result.text.clone(),
            RewriteOutput::Diff => report::diffs(&result, &sources, name_of(&inputs))
                .iter()
                .map(|d| d.diff.as_str())
                .collect(),
            RewriteOutput::Json => rewrite_json(&result, &sources),
        };
        let _ = std::io::stdout().lock().write_all(out.as_bytes());
    }
    if result.proof.differing == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn name_of(inputs: &[Input]) -> &str {
    inputs.first().map_or("input.yaml", |i| i.name.as_str())
}

fn rewrite_json(result: &netpolkit::migrate::Rewrite, sources: &netpolkit::SourceMap) -> String {
    let edits: Vec<serde_json::Value> = result
        .edits
        .iter()
        .map(|e| {
            serde_json::json!({
                "policy": e.policy,
                "location": sources.locate(e.range.start).to_string(),
                "start": e.range.start,
                "end": e.range.end,
                "replacement": e.replacement,
                "reason": e.reason,
            })
        })
        .collect();
    let diagnostics: Vec<serde_json::Value> = result
        .diagnostics
        .iter()
        .map(|d| {
            serde_json::json!({
                "code": d.code.id(),
                "name": d.code.name(),
                "severity": d.severity,
                "message": d.message,
                "hint": d.hint,
                "location": sources.locate(d.span.start).to_string(),
            })
        })
        .collect();
    let value = serde_json::json!({
        "restored": result.proof.differing == 0,
        "edits": edits,
        "diagnostics": diagnostics,
        "proof": { "flows": result.proof.flows, "differing": result.proof.differing, "endpoints": result.proof.endpoints },
        "text": result.text,
    });
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
    s.push('\n');
    s
}

pub struct MigrateArgs<'a> {
    pub from: MigrateFrom,
    pub to: MigrateTo,
    pub output: MigrateOutput,
    pub profile: &'a ProfileArgs,
}

/// `netpolkit migrate`: exit 0 when safe, 1 when changes are needed, 3 when
/// blocked, 2 on usage errors.
pub fn run(inputs: Vec<Input>, args: &MigrateArgs<'_>) -> ExitCode {
    let options = match options(args.from, Some(args.to), args.profile) {
        Ok(o) => o,
        Err(e) => return usage(e),
    };
    let sources = combined(&inputs);
    let migration = migrate::migrate(sources.text(), &options);
    let r = report::report(&migration, &sources, name_of(&inputs));
    let out = match args.output {
        MigrateOutput::Md => report::markdown(&r),
        MigrateOutput::Html => report::html(&r),
        MigrateOutput::Json => report::json(&r),
        MigrateOutput::Sarif => {
            let all: Vec<netpolkit::Diagnostic> = migration
                .findings
                .iter()
                .chain(&migration.rewrite.diagnostics)
                .cloned()
                .collect();
            let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
            let per_file = split(&names, &sources, all);
            let files: Vec<(&Input, &[netpolkit::Diagnostic])> =
                inputs.iter().zip(&per_file).map(|(i, d)| (i, d.as_slice())).collect();
            sarif_files(&files)
        }
    };
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    let errors = migration
        .sides
        .after
        .parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if errors > 0 {
        eprintln!(
            "netpolkit: the input has {errors} error(s) (see `netpolkit check`); policies with errors take no part"
        );
    }
    match migration.verdict {
        Verdict::Safe => ExitCode::SUCCESS,
        Verdict::NeedsChanges => ExitCode::from(1),
        Verdict::Blocked => ExitCode::from(3),
    }
}
