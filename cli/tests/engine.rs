//! `explain` and `connectivity` as a user meets them: verdicts with the
//! rules that decide them (cilium-semantics §3.8), exit codes (0 allowed,
//! 1 denied, 2 usage), profile flags and matrix formats.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn netpolkit(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_netpolkit"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run netpolkit");
    if let Some(text) = stdin {
        let _ = child.stdin.take().expect("stdin").write_all(text.as_bytes());
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().expect("netpolkit output")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Writes `files` into a fresh directory and returns their paths.
fn files(test: &str, files: &[(&str, &str)]) -> Vec<String> {
    let dir: PathBuf = std::env::temp_dir().join(format!("netpolkit-cli-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    files
        .iter()
        .map(|(name, text)| {
            let path = dir.join(name);
            std::fs::write(&path, text).expect("write");
            path.to_string_lossy().into_owned()
        })
        .collect()
}

const WORKLOADS: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: web, image: nginx}]}
status: {podIP: 10.244.0.10}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec:
  containers:
  - name: postgres
    image: postgres
    ports: [{name: postgres, containerPort: 5432}]
status: {podIP: 10.244.0.20}
";

const POLICIES: &str = "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: web}}
    ports:
    - port: postgres
";

#[test]
fn an_allowed_flow_names_the_rule_and_its_file_and_line() {
    let paths = files("allowed", &[("workloads.yaml", WORKLOADS), ("policies.yaml", POLICIES)]);
    let mut args = vec!["explain", "--from", "shop/web", "--to", "shop/db", "--port", "5432"];
    args.extend(paths.iter().map(String::as_str));
    let o = netpolkit(&args, None);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let text = out(&o);
    assert!(
        text.starts_with("ALLOW shop/web -> shop/db TCP/5432 (Cilium 1.20)"),
        "{text}"
    );
    assert!(
        text.contains("egress at shop/web: allowed: no policy selects it"),
        "{text}"
    );
    // The peer is at line 8 of policies.yaml, not of the joined input.
    assert!(
        text.contains("ingress at shop/db: allowed by NetworkPolicy shop/db, ingress[0].from[0] (")
            && text.contains("policies.yaml:8)"),
        "{text}"
    );
}

#[test]
fn a_denied_flow_exits_one_and_says_what_selects_the_pod() {
    let paths = files("denied", &[("all.yaml", &format!("{WORKLOADS}---\n{POLICIES}"))]);
    let o = netpolkit(
        &[
            "explain", "--from", "shop/db", "--to", "shop/db", "--port", "5432", &paths[0],
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let text = out(&o);
    assert!(text.starts_with("DENY shop/db -> shop/db TCP/5432"), "{text}");
    assert!(
        text.contains(
            "ingress at shop/db: denied: selected by NetworkPolicy shop/db (default deny), no rule allows TCP/5432"
        ),
        "{text}"
    );
}

#[test]
fn json_has_the_verdict_on_top_and_both_directions() {
    let input = format!("{WORKLOADS}---\n{POLICIES}");
    let o = netpolkit(
        &[
            "explain", "--from", "shop/web", "--to", "shop/db", "--port", "postgres", "-o", "json", "-",
        ],
        Some(&input),
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(&out(&o)).expect("json");
    assert_eq!(v["verdict"], "allow");
    assert_eq!(v["port"], 5432, "the named port is the destination's");
    assert_eq!(v["egress"]["enforced"], false);
    assert_eq!(v["ingress"]["verdict"], "allow");
    let rule = &v["ingress"]["rules"][0];
    assert_eq!(rule["name"], "db");
    assert_eq!(rule["path"], "spec.ingress[0].from[0]");
    assert_eq!(rule["file"], "<stdin>");
    assert_eq!(rule["line"], 24);
}

#[test]
fn profiles_change_the_verdict_of_an_ip_block_on_a_pod() {
    // §3.6: under Cilium an ipBlock never matches a pod's address.
    let input = format!(
        "{WORKLOADS}---\n{}",
        POLICIES.replace(
            "    - podSelector: {matchLabels: {app: web}}",
            "    - ipBlock: {cidr: 10.244.0.0/16}"
        )
    );
    let explain = |profile: &[&str]| {
        let mut args = vec!["explain", "--from", "shop/web", "--to", "shop/db", "--port", "5432"];
        args.extend_from_slice(profile);
        args.push("-");
        netpolkit(&args, Some(&input)).status.code()
    };
    assert_eq!(explain(&[]), Some(1), "cilium: the ipBlock misses the pod");
    assert_eq!(explain(&["--profile", "upstream"]), Some(0));
    assert_eq!(
        explain(&["--cidr-match-mode", "pods"]),
        Some(0),
        "unless policy-cidr-match-mode says pods"
    );
    assert_eq!(explain(&["--profile", "aks"]), Some(1));
}

#[test]
fn unknown_endpoints_and_bad_flags_are_usage_errors() {
    let o = netpolkit(
        &["explain", "--from", "shop/nope", "--to", "shop/db", "--port", "80", "-"],
        Some(WORKLOADS),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("shop/nope"), "{}", err(&o));
    let o = netpolkit(
        &[
            "explain",
            "--from",
            "shop/web",
            "--to",
            "shop/db",
            "--port",
            "80",
            "--profile",
            "calico",
            "-",
        ],
        Some(WORKLOADS),
    );
    assert_eq!(o.status.code(), Some(2));
    let o = netpolkit(
        &["connectivity", "--cidr-match-mode", "everything", "-"],
        Some(WORKLOADS),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("policy-cidr-match-mode"), "{}", err(&o));
}

#[test]
fn policies_the_profile_does_not_enforce_are_reported() {
    let cnp = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: db, namespace: shop}\nspec:\n  endpointSelector: {matchLabels: {app: db}}\n  ingress: [{}]\n";
    let input = format!("{WORKLOADS}---\n{cnp}");
    let o = netpolkit(
        &[
            "explain",
            "--from",
            "shop/web",
            "--to",
            "shop/db",
            "--port",
            "5432",
            "--profile",
            "upstream",
            "-",
        ],
        Some(&input),
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(
        err(&o).contains("CiliumNetworkPolicy shop/db is not applied"),
        "{}",
        err(&o)
    );
}

#[test]
fn connectivity_in_every_format() {
    let input = format!("{WORKLOADS}---\n{POLICIES}");
    let o = netpolkit(&["connectivity", "-"], Some(&input));
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let text = out(&o);
    assert!(text.starts_with("TCP/5432"), "{text}");
    assert!(text.contains("1. shop/web"), "{text}");

    let o = netpolkit(&["connectivity", "-o", "json", "--port", "53/UDP", "-"], Some(&input));
    let v: serde_json::Value = serde_json::from_str(&out(&o)).expect("json");
    assert_eq!(v["endpoints"], serde_json::json!(["shop/web", "shop/db"]));
    assert_eq!(v["ports"], serde_json::json!(["TCP/5432", "UDP/53"]));
    // Rows are sources; character `to` is 1 when allowed. Only web reaches
    // db, and only on postgres.
    assert_eq!(v["allowed"]["TCP/5432"], serde_json::json!(["11", "10"]));
    assert_eq!(v["allowed"]["UDP/53"], serde_json::json!(["10", "10"]));

    let o = netpolkit(&["connectivity", "-o", "csv", "-"], Some(&input));
    let csv = out(&o);
    assert!(csv.starts_with("from,to,protocol,port,verdict\n"), "{csv}");
    assert!(csv.contains("shop/web,shop/db,TCP,5432,allow"), "{csv}");
    assert!(csv.contains("shop/db,shop/db,TCP,5432,deny"), "{csv}");

    let o = netpolkit(&["connectivity", "-o", "dot", "-"], Some(&input));
    let dot = out(&o);
    assert!(dot.starts_with("digraph connectivity {"), "{dot}");
    assert!(dot.contains("n0 -> n1 [label=\"TCP/5432\"];"), "{dot}");
    assert!(!dot.contains("n1 -> n1"), "{dot}");
}

#[test]
fn connectivity_takes_external_addresses() {
    let egress = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Egress]\n  egress:\n  - to: [{ipBlock: {cidr: 203.0.113.0/24}}]\n    ports: [{port: 443}]\n";
    let input = format!("{WORKLOADS}---\n{egress}");
    let o = netpolkit(
        &[
            "connectivity",
            "-o",
            "csv",
            "--external",
            "203.0.113.7",
            "--external",
            "198.51.100.1",
            "-",
        ],
        Some(&input),
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let csv = out(&o);
    assert!(csv.contains("shop/web,203.0.113.7,TCP,443,allow"), "{csv}");
    assert!(csv.contains("shop/web,198.51.100.1,TCP,443,deny"), "{csv}");
    assert!(csv.contains("shop/db,198.51.100.1,TCP,443,allow"), "{csv}");
    let o = netpolkit(&["connectivity", "--external", "shop/db", "-"], Some(&input));
    assert_eq!(o.status.code(), Some(2), "a pod is not an external address");
}

#[test]
fn a_cluster_profile_in_the_input_or_a_file_sets_the_profile_and_flags_win() {
    let block = POLICIES.replace(
        "    - podSelector: {matchLabels: {app: web}}",
        "    - ipBlock: {cidr: 10.244.0.0/16}",
    );
    let profile =
        "apiVersion: netpolkit.dev/v1alpha1\nkind: ClusterProfile\nmetadata: {name: p}\nspec:\n  profile: upstream\n";
    let paths = files(
        "profile",
        &[
            ("workloads.yaml", WORKLOADS),
            ("policies.yaml", &block),
            ("profile.yaml", profile),
        ],
    );
    let explain = |extra: &[&str], inputs: &[&str]| {
        let mut args = vec!["explain", "--from", "shop/web", "--to", "shop/db", "--port", "5432"];
        args.extend_from_slice(extra);
        args.extend_from_slice(inputs);
        let o = netpolkit(&args, None);
        (o.status.code(), out(&o))
    };
    let (code, text) = explain(&[], &[&paths[0], &paths[1]]);
    assert_eq!(code, Some(1), "cilium by default: {text}");
    let (code, text) = explain(&[], &[&paths[0], &paths[1], &paths[2]]);
    assert_eq!(code, Some(0), "the document says upstream: {text}");
    assert!(text.contains("(upstream Kubernetes semantics)"), "{text}");
    let (code, _) = explain(&["--profile-file", &paths[2]], &[&paths[0], &paths[1]]);
    assert_eq!(code, Some(0), "--profile-file reads the same document");
    let (code, text) = explain(&["--profile", "cilium"], &[&paths[0], &paths[1], &paths[2]]);
    assert_eq!(code, Some(1), "a flag wins over the document: {text}");
    let o = netpolkit(&["connectivity", "--profile-file", &paths[0], &paths[1]], None);
    assert_eq!(
        o.status.code(),
        Some(2),
        "a file without a ClusterProfile is a usage error"
    );
    assert!(err(&o).contains("has no ClusterProfile document"), "{}", err(&o));
}

#[test]
fn addresses_are_placed_by_the_cluster_ranges() {
    let input = format!("{WORKLOADS}---\n{POLICIES}");
    let o = netpolkit(
        &["explain", "--from", "shop/web", "--to", "10.0.5.5", "--port", "80", "-"],
        Some(&input),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("10.0.5.5 is in the service range 10.0.0.0/16"),
        "{}",
        err(&o)
    );
    let o = netpolkit(
        &[
            "explain",
            "--from",
            "10.244.7.7",
            "--to",
            "shop/db",
            "--port",
            "5432",
            "-",
        ],
        Some(&input),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).starts_with("DENY 10.244.7.7 (a pod not in the input) -> shop/db"),
        "{}",
        out(&o)
    );
    // Other ranges move the line between pods and the outside world.
    let o = netpolkit(
        &[
            "explain",
            "--from",
            "10.244.7.7",
            "--to",
            "shop/web",
            "--port",
            "80",
            "--pod-cidr",
            "10.100.0.0/16",
            "-",
        ],
        Some(&input),
    );
    assert!(out(&o).starts_with("ALLOW 10.244.7.7 -> shop/web"), "{}", out(&o));
}
