//! `convert` as a user meets it: the converted manifests on stdout, what was
//! lost on stderr at its source line, the proof's verdict, exit codes (0
//! converted, 1 errors or a loss under `--strict`, 2 usage).

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn netpolkit(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_netpolkit"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run netpolkit");
    let _ = child.stdin.take().expect("stdin").write_all(stdin.as_bytes());
    child.wait_with_output().expect("netpolkit output")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const KNP: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - {}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.244.0.5}
";

/// cilium-semantics §1.8: `ingress: [{}]` is `fromEntities: [all]` in a CNP.
#[test]
fn knp_to_cnp_prints_the_policy_and_the_proof() {
    let o = netpolkit(&["convert", "--to", "cnp", "-"], KNP);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let text = out(&o);
    assert!(
        text.starts_with("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"),
        "{text}"
    );
    assert!(text.contains("  ingress:\n  - fromEntities:\n    - all\n"), "{text}");
    // Workloads are read (for placing and proving), not written.
    assert!(!text.contains("kind: Pod"), "{text}");
    assert!(err(&o).contains("proof: equivalent"), "{}", err(&o));
    // JSON output is the same manifest.
    let o = netpolkit(&["convert", "--to", "cnp", "-o", "json", "-"], KNP);
    let json: serde_json::Value = serde_json::from_str(&out(&o)).expect("JSON output");
    let first = if json.is_array() { &json[0] } else { &json };
    assert_eq!(first["kind"], "CiliumNetworkPolicy");
    assert_eq!(first["spec"]["ingress"][0]["fromEntities"][0], "all");
}

const LOSSY: &str = "apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: api}}
  egress:
  - toEndpoints: [{matchLabels: {app: db}}]
  egressDeny:
  - toEntities: [world]
---
apiVersion: v1
kind: Pod
metadata: {name: api-1, namespace: shop, labels: {app: api}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.244.0.6}
---
apiVersion: v1
kind: Pod
metadata: {name: db-1, namespace: shop, labels: {app: db}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.244.0.7}
";

/// A deny rule has no NetworkPolicy form: reported at its line, and with
/// `--strict` the conversion fails.
#[test]
fn losses_are_reported_at_their_source_and_strict_fails() {
    let o = netpolkit(&["convert", "--to", "knp", "-"], LOSSY);
    let e = err(&o);
    assert_eq!(o.status.code(), Some(0), "{e}");
    assert!(e.contains("warning[NP401 no-equivalent]"), "{e}");
    assert!(e.contains("<stdin>:9:") || e.contains("-:9:"), "{e}");
    assert!(out(&o).contains("kind: NetworkPolicy"), "{}", out(&o));
    let o = netpolkit(&["convert", "--to", "knp", "--strict", "-"], LOSSY);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains("error[NP401 no-equivalent]"), "{}", err(&o));
}

#[test]
fn usage_errors_exit_2() {
    let o = netpolkit(&["convert", "--to", "calico", "-"], KNP);
    assert_eq!(o.status.code(), Some(2));
    let o = netpolkit(&["convert", "--to", "cnp", "--cidr-match-mode", "everything", "-"], KNP);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("policy-cidr-match-mode"), "{}", err(&o));
}
