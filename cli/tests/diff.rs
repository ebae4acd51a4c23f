//! `diff` as a user meets it: the flows whose verdict changed, grouped by
//! endpoint pair, with the deciding rules on each side; two profiles of one
//! set; exit codes as diff(1) (0 same, 1 different, 2 trouble).

use std::path::PathBuf;
use std::process::{Command, Output};

fn netpolkit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netpolkit"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run netpolkit")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn write(test: &str, name: &str, text: &str) -> String {
    let dir: PathBuf = std::env::temp_dir().join(format!("netpolkit-diff-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.to_string_lossy().into_owned()
}

const POLICY: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - PEER
    ports:
    - port: 5432
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.244.0.5}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.244.0.6}
";

#[test]
fn a_changed_selector_shows_the_flows_it_changes() {
    let old = write(
        "sel",
        "old.yaml",
        &POLICY.replace("PEER", "podSelector: {matchLabels: {app: web}}"),
    );
    let new = write(
        "sel",
        "new.yaml",
        &POLICY.replace("PEER", "podSelector: {matchLabels: {app: api}}"),
    );
    let o = netpolkit(&["diff", "--workloads-only", &old, &new]);
    assert_eq!(o.status.code(), Some(1));
    let text = out(&o);
    assert!(text.starts_with("1 flow differs (of "), "{text}");
    assert!(
        text.contains("\nshop/web -> shop/db\n  TCP/5432: allowed -> denied\n"),
        "{text}"
    );
    assert!(
        text.contains("old: ingress at shop/db: allowed (allow by NetworkPolicy shop/db spec.ingress[0].from[0])"),
        "{text}"
    );
    assert!(
        text.contains("new: ingress at shop/db: denied (default deny of NetworkPolicy shop/db"),
        "{text}"
    );
    // With generated pods, the new peer's pods appear too: a pod labelled app=api gains access.
    let o = netpolkit(&["diff", &old, &new]);
    let text = out(&o);
    assert!(
        text.contains("{app=api} -> shop/db\n  TCP/5432: denied -> allowed"),
        "{text}"
    );
    // JSON and Markdown carry the same flows.
    let o = netpolkit(&["diff", "--workloads-only", "-o", "json", &old, &new]);
    let json: serde_json::Value = serde_json::from_str(&out(&o)).expect("json");
    assert_eq!(json["differing"], 1);
    assert_eq!(json["differences"][0]["from"], "shop/web");
    assert_eq!(json["differences"][0]["old"], "allowed");
    assert_eq!(json["differences"][0]["new"], "denied");
    let o = netpolkit(&["diff", "--workloads-only", "-o", "md", &old, &new]);
    assert!(
        out(&o).contains("| shop/web | shop/db | TCP/5432 | allowed | denied |"),
        "{}",
        out(&o)
    );
}

#[test]
fn the_same_policies_do_not_differ() {
    let old = write(
        "same",
        "old.yaml",
        &POLICY.replace("PEER", "podSelector: {matchLabels: {app: web}}"),
    );
    let o = netpolkit(&["diff", &old, &old]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(out(&o).starts_with("0 flows differ"), "{}", out(&o));
}

/// cilium-semantics §3.6: an ipBlock never matches pod addresses under
/// Cilium; under Kubernetes semantics it does.
#[test]
fn two_profiles_of_one_set() {
    let set = write(
        "profiles",
        "set.yaml",
        &POLICY.replace("PEER", "ipBlock: {cidr: 10.244.0.0/16}"),
    );
    let o = netpolkit(&[
        "diff",
        "--workloads-only",
        "--profile-old",
        "upstream",
        "--profile-new",
        "cilium",
        &set,
        &set,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).contains("shop/web -> shop/db\n  TCP/5432: allowed -> denied"),
        "{}",
        out(&o)
    );
}

#[test]
fn unreadable_input_is_a_usage_error() {
    let o = netpolkit(&["diff", "/nonexistent/old.yaml", "/nonexistent/new.yaml"]);
    assert_eq!(o.status.code(), Some(2));
}
