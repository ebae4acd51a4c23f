//! `diff`: the flows whose verdict changed between two policy sets, or
//! between two profiles of one set. Exit code as `diff(1)`: 0 the same,
//! 1 different, 2 trouble.

use std::io::Write;
use std::process::ExitCode;

use clap::ValueEnum;
use netpolkit::compare::{diff, render, DiffFormat, DiffOptions};
use netpolkit::profile::ProfileKind;

use crate::analysis::{combined, usage, ProfileArgs};

#[derive(Clone, Copy, ValueEnum)]
pub enum OutputArg {
    Text,
    Json,
    Md,
}

pub struct Args<'a> {
    pub old: &'a str,
    pub new: &'a str,
    pub output: OutputArg,
    pub profile_old: Option<ProfileKind>,
    pub profile_new: Option<ProfileKind>,
    pub workloads_only: bool,
    pub limit: usize,
    pub profile: &'a ProfileArgs,
}

pub fn run(args: &Args) -> ExitCode {
    let settings = match args.profile.settings() {
        Ok(s) => s,
        Err(e) => return usage(e),
    };
    let read = |path: &str| crate::input::collect(&[path.to_owned()]).map(|inputs| combined(&inputs));
    let (old, new) = match (read(args.old), read(args.new)) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(e), _) | (_, Err(e)) => return usage(e),
    };
    let mut old_profile = settings.clone();
    let mut new_profile = settings;
    if args.profile_old.is_some() {
        old_profile.kind = args.profile_old;
    }
    if args.profile_new.is_some() {
        new_profile.kind = args.profile_new;
    }
    let result = diff(
        old.text(),
        new.text(),
        &DiffOptions {
            old_profile,
            new_profile,
            workloads_only: args.workloads_only,
            max_explained: args.limit.max(1),
        },
    );
    for (path, side) in [(args.old, &result.old), (args.new, &result.new)] {
        let errors = side
            .parsed
            .diagnostics
            .iter()
            .filter(|d| d.severity == netpolkit::Severity::Error)
            .count();
        if errors > 0 {
            eprintln!(
                "netpolkit: {path} has {errors} error(s) (see `netpolkit check`); policies with errors take no part"
            );
        }
    }
    let format = match args.output {
        OutputArg::Text => DiffFormat::Text,
        OutputArg::Json => DiffFormat::Json,
        OutputArg::Md => DiffFormat::Markdown,
    };
    let _ = std::io::stdout().lock().write_all(render(&result, format).as_bytes());
    if result.comparison.differing == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
