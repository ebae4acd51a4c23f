//! The command line as a user meets it: inputs (files, directories, stdin),
//! output formats and exit codes (0 clean, 1 errors, 2 usage).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn netpolkit(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_netpolkit"))
        .args(args)
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run netpolkit");
    if let Some(text) = stdin {
        // The command may exit (usage error) before reading its input.
        let _ = child.stdin.take().expect("stdin").write_all(text.as_bytes());
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().expect("netpolkit output")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repo root")
        .to_path_buf()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

const VALID: &str =
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny\nspec:\n  podSelector: {}\n";

#[test]
fn clean_input_exits_zero() {
    let out = netpolkit(&["check", "-"], Some(VALID));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out).trim(), "All checks passed: 1 document in 1 file.");
}

#[test]
fn errors_exit_one_with_a_snippet_and_a_hint() {
    let out = netpolkit(&["check", "-"], Some(&VALID.replace("podSelector", "podSelecter")));
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("error[NP101 unknown-field]: unknown field `podSelecter`"),
        "{text}"
    );
    assert!(text.contains("--> <stdin>:6:3"), "{text}");
    assert!(text.contains("6 |   podSelecter: {}"), "{text}");
    assert!(text.contains("= help: did you mean `podSelector`?"), "{text}");
}

#[test]
fn warnings_alone_exit_zero() {
    let text = VALID.replace("  podSelector: {}\n", "  policyTypes: [Ingress]\n");
    let out = netpolkit(&["check", "-"], Some(&text));
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("warning[NP103 missing-field]"));
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(netpolkit(&["check"], None).status.code(), Some(2));
    assert_eq!(
        netpolkit(&["check", "--cilium-version", "banana", "-"], Some(VALID))
            .status
            .code(),
        Some(2)
    );
    let missing = netpolkit(&["check", "no/such/file.yaml"], None);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read no/such/file.yaml"));
}

#[test]
fn directories_are_searched_recursively() {
    let out = netpolkit(&["check", "-o", "json", "examples"], None);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    let files = report["files"].as_array().expect("files");
    assert!(files.len() >= 4);
    assert!(files
        .iter()
        .all(|f| f["path"].as_str().is_some_and(|p| p.ends_with(".yaml"))));
    assert_eq!(report["summary"]["files"], files.len());
    // The examples include deliberate mistakes.
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn json_output_has_located_diagnostics() {
    let out = netpolkit(
        &["check", "-o", "json", "-"],
        Some(&VALID.replace("name: deny", "name: Deny")),
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    let d = &report["files"][0]["diagnostics"][0];
    assert_eq!(d["code"], "NP201");
    assert_eq!(d["name"], "invalid-name");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["path"], "metadata.name");
    assert_eq!(d["line"], 4);
    assert_eq!(d["column"], 9);
    assert_eq!(report["files"][0]["documents"][0]["kind"], "NetworkPolicy");
    assert_eq!(report["summary"]["errors"], 1);
}

#[test]
fn cilium_version_changes_the_rules() {
    let cnp = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: x\nspec:\n  endpointSelector: {}\n  egress:\n  - toPorts:\n    - ports:\n      - port: \"9092\"\n        protocol: TCP\n      rules:\n        kafka: [{topic: orders}]\n";
    assert_eq!(
        netpolkit(&["check", "-"], Some(cnp)).status.code(),
        Some(1),
        "kafka is gone in 1.20"
    );
    assert_eq!(
        netpolkit(&["check", "--cilium-version", "1.19", "-"], Some(cnp))
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn fmt_normalises_and_keeps_broken_documents() {
    let input = "kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nspec:\n  podSelector:\n    matchLabels: {tier: 'on'}\nmetadata: {name: web}\n---\nbroken: [\n";
    let out = netpolkit(&["fmt", "-"], Some(input));
    assert_eq!(out.status.code(), Some(1), "the broken document is an error");
    assert_eq!(
        stdout(&out),
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web\nspec:\n  podSelector:\n    matchLabels:\n      tier: \"on\"\n---\nbroken: [\n"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("<stdin>:8:"));
}

#[test]
fn agent_errors_say_that_apply_succeeds_but_nothing_is_enforced() {
    let cnp = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: x\nspec:\n  endpointSelector: {}\n  egress:\n  - toEndpoints: [{}]\n    toCIDR: [10.0.0.0/8]\n";
    let out = netpolkit(&["check", "-"], Some(cnp));
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("error[NP301 combined-peers]"), "{text}");
    assert!(
        text.contains("the Cilium agent refuses the policy: it is not enforced"),
        "{text}"
    );
    let json = netpolkit(&["check", "-o", "json", "-"], Some(cnp));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON output");
    assert_eq!(report["files"][0]["diagnostics"][0]["refusedBy"], "cilium-agent");
}
