//! Cilium's own test vectors (cilium-semantics §4: V1–V41 from
//! `pkg/k8s/network_policy_test.go`, C1–C9 from `utils_test.go`, and the
//! ClusterNetworkPolicy vectors), one file each in `tests/vectors/`.
//!
//! A vector file is a manifest stream with a header of comment lines:
//!
//! ```text
//! # V1 — what it checks, and the section it comes from
//! # options: profile=cilium cilium-version=1.20 cluster-name=cluster1 local-cluster=false lower-invalid
//! # entries:
//! #   ingress allow default-deny subject={...} peers=[{...}] ports=[80/TCP]
//! # flows:
//! #   allow default/a -> default/b 80/TCP
//! #   deny default/b -> default/a 80/TCP ingress
//! # labels:
//! #   k8s:io.cilium.k8s.policy.derived-from=NetworkPolicy k8s:io.cilium.k8s.policy.name=x ...
//! ```
//!
//! `entries` must equal the lowered entries exactly (as a multiset, in the
//! `PolicyEntry` display form); each `flows` line is explained and must get
//! its verdict (and, when given, be denied in that direction; `l7` or
//! `no-l7` after an allow says whether L7 rules then filter it); `labels`
//! are the first policy's labels in order. Run one vector with
//! `VECTOR=V8 cargo test -p netpolkit --test vectors`.
//!
//! `tests/scenarios/` holds more files of the same form: netpolkit's own
//! scenarios for the semantics of §3 (precedence, default deny, host
//! allow, CIDR and pods, L7, tiers) and the profiles.

use std::path::Path;

use netpolkit::engine::FlowQuery;
use netpolkit::profile::{ProfileKind, ProfileSettings};
use netpolkit::{analyze, AnalyzeOptions};

#[derive(Default)]
struct Vector {
    options: AnalyzeOptions,
    entries: Option<Vec<String>>,
    flows: Vec<String>,
    labels: Option<String>,
}

fn header(text: &str) -> Vector {
    let mut v = Vector::default();
    let mut section = "";
    for line in text.lines() {
        let Some(comment) = line.strip_prefix('#') else { break };
        let comment = comment.trim();
        if let Some(options) = comment.strip_prefix("options:") {
            for option in options.split_whitespace() {
                apply(&mut v.options, option);
            }
            continue;
        }
        match comment {
            "entries:" => {
                section = "entries";
                v.entries = Some(Vec::new());
                continue;
            }
            "flows:" | "labels:" => {
                section = comment.trim_end_matches(':');
                continue;
            }
            _ => {}
        }
        let indented = line.starts_with("#   ");
        match section {
            "entries" if indented => v.entries.get_or_insert_with(Vec::new).push(comment.to_owned()),
            "flows" if indented => v.flows.push(comment.to_owned()),
            "labels" if indented => v.labels = Some(comment.to_owned()),
            _ => section = "",
        }
    }
    v
}

fn apply(options: &mut AnalyzeOptions, option: &str) {
    let p: &mut ProfileSettings = &mut options.profile;
    match option.split_once('=') {
        Some(("profile", kind)) => p.kind = Some(kind.parse::<ProfileKind>().expect("profile")),
        Some(("cilium-version", v)) => p.cilium_version = Some(v.parse().expect("version")),
        Some(("cluster-name", name)) => p.cluster_name = Some(name.to_owned()),
        Some(("local-cluster", b)) => p.default_local_cluster = Some(b == "true"),
        Some(("node-selector-labels", b)) => p.node_selector_labels = Some(b == "true"),
        Some(("cluster-network-policy", b)) => p.cluster_network_policy = Some(b == "true"),
        Some(("acns", b)) => p.acns = Some(b == "true"),
        Some(("cidr-match-mode", modes)) => {
            p.cidr_match_nodes = Some(modes.contains("nodes"));
            p.cidr_match_pods = Some(modes.contains("pods"));
        }
        None if option == "lower-invalid" => options.lower_invalid = true,
        _ => panic!("unknown vector option `{option}`"),
    }
}

fn run(file: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    let vector = header(&text);
    let analysis = analyze(&text, &vector.options);
    let mut problems = Vec::new();
    if let Some(expected) = &vector.entries {
        let mut expected = expected.clone();
        let mut actual: Vec<String> = analysis.lowered.entries.iter().map(|e| e.to_string()).collect();
        expected.sort();
        actual.sort();
        if expected != actual {
            let missing: Vec<&String> = expected.iter().filter(|e| !actual.contains(e)).collect();
            let extra: Vec<&String> = actual.iter().filter(|e| !expected.contains(e)).collect();
            problems.push(format!(
                "entries differ\n    expected but missing:\n      {}\n    produced but not expected:\n      {}",
                missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n      "),
                extra.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n      ")
            ));
        }
    }
    for flow in &vector.flows {
        let words: Vec<&str> = flow.split_whitespace().collect();
        let (verdict, from, to, port, mark) = match words.as_slice() {
            [v, from, "->", to, port] => (*v, *from, *to, *port, None),
            [v, from, "->", to, port, mark] => (*v, *from, *to, *port, Some(*mark)),
            _ => panic!("bad flow line `{flow}`"),
        };
        let (direction, l7) = match mark {
            Some("l7") => (None, Some(true)),
            Some("no-l7") => (None, Some(false)),
            other => (other, None),
        };
        let query = FlowQuery {
            from: from.to_owned(),
            to: to.to_owned(),
            port: port.to_owned(),
        };
        match analysis.explain(&query) {
            Ok(e) => {
                let got = if e.allowed { "allow" } else { "deny" };
                let denied_at = match (e.egress.allowed, e.ingress.allowed) {
                    (false, _) => Some("egress"),
                    (true, false) => Some("ingress"),
                    _ => None,
                };
                let filtered = e.egress.l7.is_some() || e.ingress.l7.is_some();
                if got != verdict
                    || (direction.is_some() && direction != denied_at)
                    || l7.is_some_and(|l| l != filtered)
                {
                    problems.push(format!(
                        "flow `{flow}`: got {got}{}\n      egress: {:?}\n      ingress: {:?}",
                        denied_at.map(|d| format!(" ({d})")).unwrap_or_default(),
                        e.egress.reason,
                        e.ingress.reason
                    ));
                }
            }
            Err(err) => problems.push(format!("flow `{flow}`: {err}")),
        }
    }
    if let Some(labels) = &vector.labels {
        let actual = analysis.lowered.policies.first().map(|p| {
            p.labels
                .iter()
                .map(|l| format!("{}:{}={}", l.source.as_str(), l.key, l.value))
                .collect::<Vec<_>>()
                .join(" ")
        });
        if actual.as_deref() != Some(labels.as_str()) {
            problems.push(format!(
                "labels: expected `{labels}`, got `{}`",
                actual.unwrap_or_default()
            ));
        }
    }
    if vector.entries.is_none() && vector.flows.is_empty() && vector.labels.is_none() {
        problems.push("the vector checks nothing (no entries, flows or labels)".to_owned());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}:\n  {}", file.display(), problems.join("\n  ")))
    }
}

#[test]
fn vectors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let dir = root.join("vectors");
    let filter = std::env::var("VECTOR").ok();
    let mut files: Vec<_> = ["vectors", "scenarios"]
        .iter()
        .flat_map(|d| std::fs::read_dir(root.join(d)).into_iter().flatten().flatten())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .filter(|p| {
            filter.as_ref().is_none_or(|f| {
                p.file_stem()
                    .is_some_and(|s| s.to_string_lossy().starts_with(f.as_str()))
            })
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no vectors in {}", dir.display());
    let failures: Vec<String> = files.iter().filter_map(|f| run(f).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} vectors fail:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
