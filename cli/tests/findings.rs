//! `check`'s precedence findings across files, `--deny-warnings`, SARIF,
//! and `summary`, as a user runs them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn netpolkit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netpolkit"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root"))
        .env("NO_COLOR", "1")
        .output()
        .expect("run netpolkit")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

const ALLOW: &str = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: allow-admin\n  namespace: shop\nspec:\n  endpointSelector:\n    matchLabels:\n      app: web\n  ingress:\n  - fromEndpoints:\n    - matchLabels:\n        role: admin\n    toPorts:\n    - ports:\n      - port: \"9000\"\n        protocol: TCP\n";
const DENY: &str = "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata:\n  name: deny-admin-port\nspec:\n  endpointSelector: {}\n  enableDefaultDeny:\n    ingress: false\n  ingressDeny:\n  - fromEntities: [all]\n    toPorts:\n    - ports:\n      - port: \"9000\"\n        protocol: TCP\n";

fn two_files() -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("netpolkit-findings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (a, b) = (dir.join("allow.yaml"), dir.join("deny.yaml"));
    std::fs::write(&a, ALLOW).expect("write");
    std::fs::write(&b, DENY).expect("write");
    (a, b)
}

#[test]
fn a_deny_in_one_file_shadows_an_allow_in_another() {
    let (a, b) = two_files();
    let out = netpolkit(&["check", a.to_str().unwrap(), b.to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "warnings alone pass: {text}");
    assert!(text.contains("warning[NP501 shadowed-rule]"), "{text}");
    assert!(
        text.contains("allow.yaml:11:5"),
        "the allow is located in its file: {text}"
    );
    assert!(
        text.contains("(see CiliumClusterwideNetworkPolicy deny-admin-port spec.ingressDeny[0] at "),
        "the deny in the other file is named with its place: {text}"
    );
    assert!(text.contains("deny.yaml:10)"), "{text}");
    let strict = netpolkit(&["check", "--deny-warnings", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(strict.status.code(), Some(1));
    let quiet = netpolkit(&["check", "--no-findings", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert!(!stdout(&quiet).contains("NP501"));
}

#[test]
fn sarif_is_a_sarif_2_1_0_log_with_rules_results_and_related_locations() {
    let out = netpolkit(&["check", "-o", "sarif", "core/tests/findings/shadow.yaml"]);
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "netpolkit");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let results = run["results"].as_array().expect("results");
    let shadow = results.iter().find(|r| r["ruleId"] == "NP501").expect("NP501 result");
    assert_eq!(shadow["level"], "warning");
    let index = shadow["ruleIndex"].as_u64().expect("ruleIndex") as usize;
    assert_eq!(rules[index]["id"], "NP501");
    let region = &shadow["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 15);
    assert_eq!(
        shadow["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "core/tests/findings/shadow.yaml"
    );
    assert_eq!(
        shadow["relatedLocations"][0]["physicalLocation"]["region"]["startLine"],
        32
    );
    let info = results.iter().find(|r| r["ruleId"] == "NP502").expect("NP502 result");
    assert_eq!(info["level"], "note");
}

#[test]
fn summary_lists_isolation_policies_and_rules_per_workload() {
    let out = netpolkit(&["summary", "core/tests/findings/paths.yaml"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text.contains(
            "shop/db (Pod)\n  ingress: isolated (default deny)\n    policies: NetworkPolicy shop/db-locked\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("shop/web (Pod)\n  ingress: not selected: everything allowed\n"),
        "{text}"
    );
    let json = netpolkit(&["summary", "-o", "json", "core/tests/findings/paths.yaml"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let web = v
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["workload"] == "shop/web")
        .expect("shop/web");
    assert_eq!(web["egress"]["isolated"], true);
    assert_eq!(web["egress"]["allows"][0]["ports"][0], "5432/TCP");
}
