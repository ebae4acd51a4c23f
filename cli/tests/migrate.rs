//! `migrate` and `rewrite` as a platform team meets them: the AKS FAQ's
//! example (peers-and-aks §1.1 item 2), an external-only CIDR that must not
//! be flagged, the rewrite applied in place and then found safe, every report
//! format, the exit codes, and the example's report as a snapshot.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn netpolkit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netpolkit"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .env("NO_COLOR", "1")
        .output()
        .expect("run netpolkit")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn write(test: &str, name: &str, text: &str) -> String {
    let dir: PathBuf = std::env::temp_dir().join(format!("netpolkit-migrate-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.to_string_lossy().into_owned()
}

/// The AKS FAQ's example: egress to `0.0.0.0/0`, which Azure NPM and upstream
/// Kubernetes let reach pods and nodes, and Cilium does not.
const FAQ: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: example-ipblock
  namespace: default
spec:
  podSelector: {}
  policyTypes:
  - Egress
  egress:
  - to:
    - ipBlock:
        cidr: 0.0.0.0/0
";

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("JSON output: {e}\n{}", stdout(o)))
}

fn codes(report: &serde_json::Value, key: &str) -> Vec<String> {
    report[key]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|f| f["code"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_faq_example_needs_changes_and_the_rewrite_restores_every_flow() {
    let path = write("faq", "faq.yaml", FAQ);
    let out = netpolkit(&["migrate", "--from", "upstream", "-o", "json", &path]);
    assert_eq!(out.status.code(), Some(1), "needs changes: {}", stdout(&out));
    let report = json(&out);
    assert_eq!(report["verdict"], "needs-changes");
    let found = codes(&report, "findings");
    assert!(found.contains(&"NP601".to_owned()), "pod addresses: {found:?}");
    assert!(found.contains(&"NP602".to_owned()), "node addresses: {found:?}");
    assert!(report["breaking"]["differing"].as_u64().unwrap() > 0);
    assert_eq!(report["afterRewrite"]["differing"], 0, "{}", stdout(&out));
    assert!(report["counts"]["edits"].as_u64().unwrap() >= 2);
    let diff = report["diffs"][0]["diff"].as_str().expect("a diff");
    assert!(diff.contains("+    - namespaceSelector: {}"), "{diff}");
    assert!(diff.contains("remote-node"), "a companion policy for the nodes: {diff}");
}

#[test]
fn the_rewrite_applied_in_place_leaves_nothing_to_migrate() {
    let path = write("in-place", "faq.yaml", FAQ);
    let out = netpolkit(&["rewrite", "--from", "upstream", "--write", &path]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&path).expect("rewritten");
    assert!(
        text.contains("# This will") || text.contains("cidr: 0.0.0.0/0"),
        "the original stays"
    );
    assert!(text.contains("kind: CiliumNetworkPolicy"), "{text}");
    let check = netpolkit(&["check", &path]);
    assert!(
        check.status.success(),
        "the rewritten file is valid: {}",
        stdout(&check)
    );
    let again = netpolkit(&["migrate", "--from", "upstream", "-o", "json", &path]);
    let report = json(&again);
    assert_eq!(report["breaking"]["differing"], 0, "{}", stdout(&again));
    assert_eq!(report["verdict"], "safe", "{}", stdout(&again));
    assert_eq!(again.status.code(), Some(0));
}

/// Applying the example's edits leaves nothing to rewrite and nothing lost:
/// each companion is proposed only where the engine finds the flows lost.
#[test]
fn the_example_rewritten_once_needs_no_second_rewrite() {
    let example = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/aks-migration.yaml"))
        .expect("example");
    let path = write("twice", "shop.yaml", &example);
    let first = netpolkit(&["rewrite", "--write", &path]);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = netpolkit(&["rewrite", "-o", "diff", &path]);
    assert_eq!(stdout(&second), "", "a second rewrite changes nothing");
    let report = json(&netpolkit(&["migrate", "-o", "json", &path]));
    assert_eq!(report["breaking"]["lost"], 0, "no flow allowed today is denied");
    assert_eq!(report["counts"]["edits"], 0);
    let left: Vec<String> = codes(&report, "findings");
    assert!(
        left.iter().all(|c| c == "NP606"),
        "only the hostNetwork pods need a decision: {left:?}"
    );
}

#[test]
fn an_external_cidr_is_not_a_breaking_change() {
    let path = write(
        "external",
        "external.yaml",
        &FAQ.replace("cidr: 0.0.0.0/0", "cidr: 203.0.113.0/24"),
    );
    let out = netpolkit(&["migrate", "--from", "upstream", "-o", "json", &path]);
    let report = json(&out);
    assert_eq!(report["verdict"], "safe", "{}", stdout(&out));
    assert!(codes(&report, "findings").is_empty());
    assert_eq!(out.status.code(), Some(0));
    let rewrite = netpolkit(&["rewrite", "--from", "upstream", "-o", "diff", &path]);
    assert_eq!(stdout(&rewrite), "", "nothing to rewrite");
    assert_eq!(rewrite.status.code(), Some(0));
}

#[test]
fn every_report_format_is_well_formed() {
    let md = netpolkit(&["migrate", "examples/aks-migration.yaml"]);
    let md = stdout(&md);
    assert!(md.starts_with("# netpolkit migrate\n"), "{md}");
    for heading in [
        "## Findings",
        "## Proposed rewrites",
        "## Flows that change on the target",
    ] {
        assert!(md.contains(heading), "{heading}");
    }
    let html = stdout(&netpolkit(&["migrate", "-o", "html", "examples/aks-migration.yaml"]));
    assert!(html.starts_with("<!doctype html>") && html.trim_end().ends_with("</html>"));
    assert!(!html.contains("<script"), "no scripts in the report");
    let sarif: serde_json::Value =
        serde_json::from_slice(&netpolkit(&["migrate", "-o", "sarif", "examples/aks-migration.yaml"]).stdout)
            .expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert!(!results.is_empty());
    for r in results {
        assert!(r["ruleId"].as_str().is_some_and(|id| id.starts_with("NP")));
        let uri = &r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
        assert_eq!(uri, "examples/aks-migration.yaml");
        assert!(
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
                >= 1
        );
    }
}

#[test]
fn refused_policies_block_the_move() {
    let ccnp = "apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata:
  name: api-paths
spec:
  endpointSelector:
    matchLabels:
      app: api
  ingress:
  - toPorts:
    - ports:
      - port: \"80\"
        protocol: TCP
      rules:
        http:
        - method: GET
";
    let path = write("blocked", "ccnp.yaml", ccnp);
    let out = netpolkit(&["migrate", "--from", "upstream", "-o", "json", &path]);
    let report = json(&out);
    assert_eq!(report["verdict"], "blocked", "{}", stdout(&out));
    assert!(codes(&report, "findings").contains(&"NP603".to_owned()));
    assert_eq!(out.status.code(), Some(3));
    let with_acns = netpolkit(&["migrate", "--from", "upstream", "--acns", "-o", "json", &path]);
    assert!(
        codes(&json(&with_acns), "findings").contains(&"NP603".to_owned()),
        "ACNS does not allow L7 in a CCNP"
    );
}

#[test]
fn usage_errors_exit_2() {
    let path = write("usage", "faq.yaml", FAQ);
    let out = netpolkit(&["rewrite", "--profile", "upstream", &path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--from"));
    let out = netpolkit(&["migrate", "--from", "calico", &path]);
    assert_eq!(out.status.code(), Some(2));
}

/// The example's report, as a reviewer reads it: a change in any finding,
/// rewrite or flow shows up here. `NETPOLKIT_BLESS=1` rewrites the snapshot.
#[test]
fn the_example_report_matches_its_snapshot() {
    let out = netpolkit(&["migrate", "examples/aks-migration.yaml"]);
    assert_eq!(out.status.code(), Some(1), "the example needs changes");
    let actual = stdout(&out);
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/aks-migration.md");
    if std::env::var_os("NETPOLKIT_BLESS").is_some() {
        std::fs::create_dir_all(snapshot.parent().unwrap()).expect("snapshot dir");
        std::fs::write(&snapshot, &actual).expect("bless");
    }
    let expected = std::fs::read_to_string(&snapshot).expect("snapshot (run with NETPOLKIT_BLESS=1 to create it)");
    assert_eq!(
        actual, expected,
        "the report changed; review it and bless with NETPOLKIT_BLESS=1"
    );
}
