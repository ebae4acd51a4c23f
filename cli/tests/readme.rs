//! The README's command-line examples are tests: every ```console block
//! holds `$ netpolkit ...` commands, each followed by its exact output.
//! Commands run from the repository root.

use std::path::Path;
use std::process::Command;

struct Example {
    command: String,
    expected: String,
}

fn examples(readme: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut current: Option<Example> = None;
    for line in readme.lines() {
        if line.trim_start().starts_with("```") {
            if in_block {
                out.extend(current.take());
            }
            in_block = !in_block && line.trim() == "```console";
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            out.extend(current.take());
            current = Some(Example {
                command: command.to_owned(),
                expected: String::new(),
            });
        } else if let Some(example) = current.as_mut() {
            example.expected.push_str(line);
            example.expected.push('\n');
        }
    }
    out
}

#[test]
fn readme_console_examples_print_what_the_readme_says() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let examples = examples(&readme);
    assert!(!examples.is_empty(), "no ```console examples in README.md");
    for example in examples {
        let mut words = example.command.split_whitespace();
        assert_eq!(
            words.next(),
            Some("netpolkit"),
            "README commands start with netpolkit: {}",
            example.command
        );
        let output = Command::new(env!("CARGO_BIN_EXE_netpolkit"))
            .args(words)
            .current_dir(root)
            .env("NO_COLOR", "1")
            .output()
            .expect("run netpolkit");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            stdout.trim_end(),
            example.expected.trim_end(),
            "output of `{}`",
            example.command
        );
        // `check` exits 1 on errors, `explain` on a denied flow, `diff` when a flow differs.
        let differs = stdout.lines().next().is_some_and(|l| {
            (l.contains(" flows differ (of ") || l.contains(" flow differs (of ")) && !l.starts_with("0 ")
        });
        let failed = stdout.lines().any(|l| l.starts_with("error")) || stdout.starts_with("DENY ") || differs;
        assert_eq!(
            output.status.code(),
            Some(if failed { 1 } else { 0 }),
            "exit code of `{}`",
            example.command
        );
    }
}

#[test]
fn readme_yaml_examples_check_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match (&mut current, line.trim()) {
            (None, "```yaml") => current = Some(String::new()),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(!blocks.is_empty(), "no ```yaml examples in README.md");
    for block in blocks {
        let checked = netpolkit::check(&block, &netpolkit::Options::default());
        assert!(checked.diagnostics.is_empty(), "{block}\n{:#?}", checked.diagnostics);
        assert!(!checked.documents.is_empty());
    }
}
