//! Migration check fixtures: every file in `tests/migrate/` is a policy set
//! with its workloads, moved from Azure NPM (or `# migrate-from: upstream`)
//! onto AKS (or `# migrate-to: cilium`), the target's facts in a
//! `ClusterProfile` document (ACNS, kubernetesVersion, podCIDRs, localDNS...).
//! The expected NP6xx findings (and target refusals such as NP313) are
//! written on the lines they point at, as `# expect: NP611 deny-all`; every
//! finding must be expected and every expectation met. Each case cites its
//! source (peers-and-aks.md, cilium-semantics.md, the seeds).
//!
//! Run one file: `FIXTURE=addresses cargo test -p netpolkit --test migrate_checks`.

mod expect;

use std::collections::BTreeMap;
use std::path::Path;

use netpolkit::migrate::{checks, MigrateOptions, Sides};
use netpolkit::profile::{ProfileKind, ProfileSettings};
use netpolkit::Diagnostic;

/// The header lines `# migrate-from: upstream` and `# migrate-to: cilium`.
fn options(text: &str) -> MigrateOptions {
    let header = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim().parse::<ProfileKind>().unwrap_or_else(|e| panic!("{e}")))
    };
    MigrateOptions {
        from: header("# migrate-from:").unwrap_or(ProfileKind::AzureNpm),
        target: ProfileSettings {
            kind: header("# migrate-to:"),
            ..ProfileSettings::default()
        },
        max_explained: 0,
    }
}

/// The checks for `text`, run twice to see they are deterministic, with
/// every span inside the text.
fn checked(text: &str, options: &MigrateOptions) -> Vec<Diagnostic> {
    let found = checks::run(&Sides::new(text, options));
    assert_eq!(found, checks::run(&Sides::new(text, options)), "not deterministic");
    for d in &found {
        assert!(
            d.span.start <= d.span.end && d.span.end <= text.len(),
            "span out of the text: {d:?}"
        );
        assert!(d.related.iter().all(|r| r.span.end <= text.len()));
        if d.code.id().starts_with("NP6") {
            assert!(!d.message.is_empty() && d.hint.is_some(), "message and hint: {d:?}");
        }
    }
    found
}

fn run(file: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    let found = checked(&text, &options(&text));
    let problems = expect::compare(&text, &found);
    expect::outcome(file, problems)
}

#[test]
fn migrate_fixtures() {
    expect::run_fixtures("migrate", 8, run);
}

/// Every NP601–NP613 code has a fixture that expects it.
#[test]
fn every_migration_code_has_a_positive_case() {
    let missing = expect::without_positive_case("migrate", |c| ("NP601"..="NP613").contains(&c.id()));
    assert!(missing.is_empty(), "no fixture expects {missing:?}");
}

fn codes(text: &str, options: &MigrateOptions) -> Vec<&'static str> {
    checked(text, options).iter().map(|d| d.code.id()).collect()
}

/// The FAQ of "Azure CNI powered by Cilium" (seeds 000; peers-and-aks
/// §1.2): an egress ipBlock 0.0.0.0/0 "will still block pod and node IPs";
/// the workaround adds `namespaceSelector: {}` and `podSelector: {}` for
/// the pods, and "it isn't currently possible" to fix it for nodes.
#[test]
fn aks_faq_example_before_and_after_the_workaround() {
    let before = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: example-ipblock\nspec:\n  podSelector: {}\n  policyTypes:\n    - Egress\n  egress:\n    - to:\n        - ipBlock:\n            cidr: 0.0.0.0/0\n";
    let fixed = format!("{before}        - namespaceSelector: {{}}\n        - podSelector: {{}}\n");
    let options = MigrateOptions::default();
    let found = checked(before, &options);
    assert_eq!(
        found.iter().map(|d| d.code.id()).collect::<Vec<_>>(),
        ["NP601", "NP602"]
    );
    assert_eq!(found[0].path, "spec.egress[0].to[0].ipBlock.cidr");
    assert_eq!(&before[found[0].span.start..found[0].span.end], "0.0.0.0/0");
    assert_eq!(found[0].document, Some(0));
    assert!(found[0].hint.as_deref().unwrap_or("").contains("netpolkit rewrite"));
    assert_eq!(
        codes(&fixed, &options),
        ["NP602"],
        "nodes cannot be fixed in a NetworkPolicy"
    );
}

/// Microsoft's azure-npm-to-cilium-validator (peers-and-aks §1.3) flags each
/// of these; each is unaffected by the move, so netpolkit says nothing.
#[test]
fn microsoft_validator_false_positives_are_not_flagged() {
    let aks = |k8s: &str| {
        format!("apiVersion: netpolkit.dev/v1alpha1\nkind: ClusterProfile\nmetadata: {{name: aks}}\nspec:\n  profile: aks\n  cluster:\n    kubernetesVersion: \"{k8s}\"\n---\n")
    };
    let options = MigrateOptions::default();
    // 1. endPort: the validator ignores the version; AKS on Kubernetes 1.32
    //    runs Cilium 1.17, which honours endPort (AKS migration article).
    let end_port = format!("{}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: range, namespace: shop}}\nspec:\n  podSelector: {{}}\n  ingress:\n  - ports:\n    - port: 8000\n      endPort: 8100\n", aks("1.32"));
    assert_eq!(codes(&end_port, &options), Vec::<&str>::new());
    // 2. ipBlock: an external range reaches no pod or node address, and an
    //    except of the private range leaves none either (§3.6).
    let external = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: partners, namespace: shop}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 203.0.113.0/24}\n    - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}\n";
    assert_eq!(codes(external, &options), Vec::<&str>::new());
    // 3. Named ports: every pod names `http` 8080, so nothing is ambiguous;
    //    the protocol-only entry (which makes the validator panic) is fine.
    let named = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: shop, labels: {app: web}}\nspec:\n  containers:\n  - name: c\n    ports: [{name: http, containerPort: 8080}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: shop, labels: {app: web}}\nspec:\n  containers:\n  - name: c\n    ports: [{name: http, containerPort: 8080}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - ports:\n    - port: http\n    - protocol: UDP\n";
    assert_eq!(codes(named, &options), Vec::<&str>::new());
    // 4. Egress policies: a CiliumNetworkPolicy written for the target
    //    already allows the node (`toEntities: [host]`), so NPM's implicit
    //    allow is not lost.
    let egress = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: egress, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector: {}\n---\napiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: node, namespace: shop}\nspec:\n  endpointSelector: {matchLabels: {app: web}}\n  egress:\n  - toEntities: [host]\n";
    assert_eq!(codes(egress, &options), Vec::<&str>::new());
    // 5. eTP=Cluster Services: the pods' ingress rule admits every external
    //    address outside the private range; the validator only accepts an
    //    empty `from`.
    let service = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec:\n  type: LoadBalancer\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}\n    ports: [{port: 8080}]\n";
    assert_eq!(codes(service, &options), Vec::<&str>::new());
    // With `0.0.0.0/0` itself the external clients stay allowed too (no
    // NP611); what the block loses is ingress from pods and nodes (NP601, NP602).
    let everything = service.replace("{cidr: 0.0.0.0/0, except: [10.0.0.0/8]}", "{cidr: 0.0.0.0/0}");
    assert_eq!(codes(&everything, &options), ["NP601", "NP602"]);
}

/// The checks run on every example and corpus manifest without panicking,
/// from Azure NPM and from upstream, with every span inside its text.
#[test]
fn checks_run_on_the_examples_and_the_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    let mut dirs = vec![root.join("examples"), root.join("../shared/corpus")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() > 20, "examples and corpus not found");
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for from in [ProfileKind::AzureNpm, ProfileKind::Upstream] {
            let options = MigrateOptions {
                from,
                ..MigrateOptions::default()
            };
            for d in checked(&text, &options) {
                if from == ProfileKind::AzureNpm {
                    *counts.entry(d.code.id()).or_default() += 1;
                }
            }
        }
    }
    eprintln!(
        "migration checks over {} files (from azure-npm): {counts:?}",
        files.len()
    );
}

/// Versions given as flags (not in a document) are reported about the
/// whole text: no document, an empty span at its start (seeds 000 table).
#[test]
fn versions_from_flags_are_reported_without_a_document() {
    let flags = |k8s: &str, cilium: Option<&str>| MigrateOptions {
        target: ProfileSettings {
            kubernetes_version: Some(k8s.parse().unwrap()),
            cilium_version: cilium.map(|c| c.parse().unwrap()),
            ..ProfileSettings::default()
        },
        ..MigrateOptions::default()
    };
    let text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n";
    for options in [flags("1.27", None), flags("1.32", Some("1.16"))] {
        let found = checked(text, &options);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].code.id(), "NP607");
        assert_eq!(
            (found[0].document, found[0].span.start, found[0].span.end),
            (None, 0, 0)
        );
    }
    assert!(checked(text, &flags("1.32", Some("1.17"))).is_empty());
    assert!(checked(text, &flags("1.31", None)).is_empty(), "the table's own line");
}

/// NP610 is said once per pod (peers-and-aks §1.1 item 4): the second
/// policy isolating `shop/web` is a related location of the first one's
/// finding, so the report and the rewrite name the loss once.
#[test]
fn node_egress_is_said_once_per_pod() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/migrate/npm-node-egress.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let found = checked(&text, &MigrateOptions::default());
    let web: Vec<&Diagnostic> = found
        .iter()
        .filter(|d| d.code.id() == "NP610" && d.message.contains("shop/web"))
        .collect();
    assert_eq!(web.len(), 1, "{web:#?}");
    assert!(
        web[0].message.starts_with("NetworkPolicy shop/web-egress isolates"),
        "{}",
        web[0].message
    );
    let related: Vec<&str> = web[0].related.iter().map(|r| r.message.as_str()).collect();
    assert_eq!(related, ["NetworkPolicy shop/web-dns, which isolates it too"]);
    let at = web[0].related[0].span.start;
    assert!(
        text[..at].ends_with("  ") && text[at..].starts_with("egress:"),
        "{:?}",
        &text[at..at + 20]
    );
}
