//! The two sides of the oracle and how their verdicts are compared: the
//! Cilium CRDs of `../shared/crds` (judged by [`crate::openapi`]) and
//! `netpolkit::check`; the corpus documents both judge; and the allow-list of
//! disagreements that are known netpolkit bugs, each with a reproduction.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use netpolkit::yaml::{parse_stream, Node, Value as Yaml};
use netpolkit::{CiliumVersion, Diagnostic, Options, RefusedBy, Severity};
use regex::Regex;
use serde_json::{Map, Value};

use crate::openapi::{compile_patterns, join, prune_nulls, Validator, Violation};

/// Whether a diagnostic says "the API server refuses this": an error that
/// netpolkit attributes to the API server (as opposed to the Cilium agent,
/// which the laxer CRD does not stand for).
pub fn is_structural(d: &Diagnostic) -> bool {
    d.severity == Severity::Error && d.refused_by == Some(RefusedBy::ApiServer)
}

/// One CRD: the kind it serves and its `openAPIV3Schema`.
pub struct Crd {
    pub file: PathBuf,
    pub kind: String,
    pub api_version: String,
    pub schema: Value,
    patterns: HashMap<String, Regex>,
}

impl Crd {
    fn load(file: PathBuf) -> Crd {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let root = parse_stream(&text)
            .into_iter()
            .find_map(|d| d.root)
            .unwrap_or_else(|| panic!("{}: no YAML document", file.display()));
        let (crd, duplicates) = yaml_to_json(&root);
        assert!(
            duplicates.is_empty(),
            "{}: duplicate keys {duplicates:?}",
            file.display()
        );
        let spec = &crd["spec"];
        let versions = spec["versions"].as_array().expect("spec.versions");
        assert_eq!(versions.len(), 1, "{}: expected one served version", file.display());
        let schema = versions[0]["schema"]["openAPIV3Schema"].clone();
        assert!(schema.is_object(), "{}: no openAPIV3Schema", file.display());
        Crd {
            kind: spec["names"]["kind"].as_str().expect("spec.names.kind").to_owned(),
            api_version: format!(
                "{}/{}",
                spec["group"].as_str().expect("spec.group"),
                versions[0]["name"].as_str().expect("versions[0].name")
            ),
            patterns: compile_patterns(&schema),
            schema,
            file,
        }
    }

    /// What the API server says about `document` (a JSON object), with strict
    /// field validation: empty when it accepts it.
    pub fn check(&self, document: &Value) -> Vec<Violation> {
        let mut doc = document.clone();
        prune_nulls(&mut doc, Some(&self.schema));
        let mut out = Vec::new();
        // The envelope: the CRD only serves its own kind and version.
        if let Some(v) = doc.get("apiVersion").and_then(Value::as_str) {
            if v != self.api_version {
                out.push(violation(
                    "apiVersion",
                    format!("{} is served as {}", self.kind, self.api_version),
                ));
            }
        }
        if let Some(k) = doc.get("kind").and_then(Value::as_str) {
            if k != self.kind {
                out.push(violation("kind", format!("this CRD serves {}", self.kind)));
            }
        }
        out.extend(self.validator().validate(&self.schema, &doc));
        // The CRD says only `metadata: {type: object}`; the API server's own
        // ObjectMeta validation adds that a name is required.
        if let Some(meta) = doc.get("metadata").filter(|m| m.is_object()) {
            let named = ["name", "generateName"]
                .iter()
                .any(|k| meta.get(*k).and_then(Value::as_str).is_some_and(|s| !s.is_empty()));
            if !named {
                out.push(violation(
                    "metadata.name",
                    "name or generateName is required".to_owned(),
                ));
            }
        }
        out
    }

    /// A validator for this CRD's schema (any of its nodes).
    pub fn validator(&self) -> Validator<'_> {
        Validator {
            patterns: &self.patterns,
        }
    }

    /// The schema of `spec` (one rule); `specs` items have the same.
    pub fn rule_schema(&self) -> &Value {
        &self.schema["properties"]["spec"]
    }
}

fn violation(path: &str, message: String) -> Violation {
    Violation {
        path: path.to_owned(),
        message,
    }
}

/// A Cilium release line with its two CRDs.
pub struct Release {
    /// `1.20-dev` or `1.19`.
    pub label: &'static str,
    pub cilium: CiliumVersion,
    pub cnp: Crd,
    pub ccnp: Crd,
}

impl Release {
    pub fn crd(&self, kind: &str) -> Option<&Crd> {
        [&self.cnp, &self.ccnp].into_iter().find(|c| c.kind == kind)
    }

    pub fn options(&self) -> Options {
        Options {
            cilium_version: self.cilium,
        }
    }
}

/// The CRD directory beside the repository.
pub fn crd_dir() -> PathBuf {
    netpolkit_tests::shared().join("crds")
}

/// Cilium 1.20-dev (`CiliumVersion::NEWEST`) and 1.19 (the v1.19 branch point).
pub fn releases() -> &'static [Release] {
    static RELEASES: OnceLock<Vec<Release>> = OnceLock::new();
    RELEASES.get_or_init(|| {
        let load = |dir: &Path, label, cilium| Release {
            label,
            cilium,
            cnp: Crd::load(dir.join("ciliumnetworkpolicies.yaml")),
            ccnp: Crd::load(dir.join("ciliumclusterwidenetworkpolicies.yaml")),
        };
        vec![
            load(&crd_dir(), "1.20-dev", CiliumVersion::NEWEST),
            load(&crd_dir().join("v1.19-branchpoint"), "1.19", CiliumVersion::new(1, 19)),
        ]
    })
}

/// A YAML tree as JSON, the way kubectl sends it. Duplicate keys (which
/// strict field validation refuses) are returned as violations; the last
/// value wins, as in Go's decoder.
pub fn yaml_to_json(node: &Node) -> (Value, Vec<Violation>) {
    fn convert(node: &Node, path: &str, dups: &mut Vec<Violation>) -> Value {
        match &node.value {
            Yaml::Null => Value::Null,
            Yaml::Bool(b) => Value::Bool(*b),
            Yaml::Int(i) => Value::from(*i),
            Yaml::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Yaml::Str(s) => Value::String(s.clone()),
            Yaml::Seq(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, n)| convert(n, &format!("{path}[{i}]"), dups))
                    .collect(),
            ),
            Yaml::Map(entries) => {
                let mut map = Map::new();
                for e in entries {
                    let key = match &e.key.value {
                        Yaml::Str(s) => s.clone(),
                        Yaml::Int(i) => i.to_string(),
                        Yaml::Bool(b) => b.to_string(),
                        other => format!("{other:?}"),
                    };
                    let child = join(path, &key);
                    if map.contains_key(&key) {
                        dups.push(violation(&child, format!("duplicate field \"{key}\"")));
                    }
                    map.insert(key, convert(&e.value, &child, dups));
                }
                Value::Object(map)
            }
        }
    }
    let mut dups = Vec::new();
    let value = convert(node, "", &mut dups);
    (value, dups)
}

/// What both sides said about one document.
pub struct Verdict {
    pub crd: Vec<Violation>,
    pub netpolkit: Vec<Diagnostic>,
}

impl Verdict {
    pub fn crd_rejects(&self) -> bool {
        !self.crd.is_empty()
    }

    pub fn netpolkit_rejects(&self) -> bool {
        self.netpolkit.iter().any(is_structural)
    }

    pub fn agrees(&self) -> bool {
        self.crd_rejects() == self.netpolkit_rejects()
    }

    /// When the two disagree: the allow-list entries that explain every
    /// offending item, or `None` if something is unexplained.
    pub fn known_disagreement(&self) -> Option<Vec<&'static str>> {
        if self.agrees() {
            return Some(Vec::new());
        }
        let mut ids = Vec::new();
        if self.netpolkit_rejects() {
            for d in self.netpolkit.iter().filter(|d| is_structural(d)) {
                let entry = KNOWN_DISAGREEMENTS.iter().find(|k| k.explains_netpolkit_error(d))?;
                ids.push(entry.id);
            }
        } else {
            for v in &self.crd {
                let entry = KNOWN_DISAGREEMENTS
                    .iter()
                    .find(|k| k.explains_crd_violation(v, &self.netpolkit))?;
                ids.push(entry.id);
            }
        }
        ids.sort();
        ids.dedup();
        Some(ids)
    }

    /// Only what both say about the node at `path` itself (non-structural
    /// diagnostics are kept: allow-list entries may refer to them).
    pub fn only_at(&self, path: &str) -> Verdict {
        Verdict {
            crd: self.crd.iter().filter(|v| v.path == path).cloned().collect(),
            netpolkit: self
                .netpolkit
                .iter()
                .filter(|d| !is_structural(d) || d.path == path)
                .cloned()
                .collect(),
        }
    }

    /// The CRD side and the netpolkit side, for failure messages.
    pub fn explain(&self) -> String {
        let mut out = String::new();
        out.push_str(if self.crd_rejects() {
            "CRD: REJECTS\n"
        } else {
            "CRD: accepts\n"
        });
        for v in &self.crd {
            out.push_str(&format!("  - {v}\n"));
        }
        out.push_str(if self.netpolkit_rejects() {
            "netpolkit: REJECTS (structural error)\n"
        } else {
            "netpolkit: accepts (no structural error)\n"
        });
        for d in &self.netpolkit {
            let mark = if is_structural(d) { "*" } else { "-" };
            out.push_str(&format!(
                "  {mark} {} {} [{}] {}: {}\n",
                d.code.id(),
                d.code.name(),
                d.severity.as_str(),
                if d.path.is_empty() { "<document>" } else { &d.path },
                d.message
            ));
        }
        out
    }
}

/// netpolkit's diagnostics for a one-document text.
pub fn netpolkit_check(text: &str, release: &Release) -> Vec<Diagnostic> {
    netpolkit::check(text, &release.options()).diagnostics
}

/// Both verdicts on a JSON document: the CRD for its kind, netpolkit on its JSON text.
pub fn judge(release: &Release, document: &Value) -> Verdict {
    let kind = document
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("CiliumNetworkPolicy");
    let crd = release.crd(kind).unwrap_or(&release.cnp);
    let text = serde_json::to_string_pretty(document).expect("JSON");
    Verdict {
        crd: crd.check(document),
        netpolkit: netpolkit_check(&text, release),
    }
}

/// Both verdicts on a YAML document text (duplicate keys included).
pub fn judge_yaml(release: &Release, text: &str) -> Verdict {
    let root = parse_stream(text)
        .into_iter()
        .find_map(|d| d.root)
        .unwrap_or_else(|| panic!("not a YAML document:\n{text}"));
    let (json, mut crd) = yaml_to_json(&root);
    // A document whose kind is broken is judged by the CNP CRD.
    let kind = json.get("kind").and_then(Value::as_str).unwrap_or("");
    let schema = release.crd(kind).unwrap_or(&release.cnp);
    crd.extend(schema.check(&json));
    Verdict {
        crd,
        netpolkit: netpolkit_check(text, release),
    }
}

/// `spec.egress[3].toPorts[0]` → `spec.egress[].toPorts[]`.
pub fn without_indexes(path: &str) -> String {
    static INDEX: OnceLock<Regex> = OnceLock::new();
    INDEX
        .get_or_init(|| Regex::new(r"\[\d+\]").unwrap())
        .replace_all(path, "[]")
        .into_owned()
}

/// One policy document of the public corpus.
pub struct CorpusDoc {
    /// Path below `corpus/`, and the document's position in its file.
    pub file: String,
    pub index: usize,
    pub kind: String,
    /// The document's own text (from its `---`), for netpolkit.
    pub text: String,
    pub json: Value,
    /// Duplicate keys, which the JSON cannot hold.
    pub duplicates: Vec<Violation>,
}

impl CorpusDoc {
    pub fn name(&self) -> String {
        format!("{} (document {})", self.file, self.index)
    }

    pub fn judge(&self, release: &Release) -> Verdict {
        let mut crd = self.duplicates.clone();
        crd.extend(release.crd(&self.kind).expect("a Cilium kind").check(&self.json));
        Verdict {
            crd,
            netpolkit: netpolkit_check(&self.text, release),
        }
    }
}

/// Every CNP and CCNP document under `../shared/corpus`.
pub fn corpus_policies() -> &'static [CorpusDoc] {
    static DOCS: OnceLock<Vec<CorpusDoc>> = OnceLock::new();
    DOCS.get_or_init(|| {
        let dir = netpolkit_tests::shared().join("corpus");
        let mut out = Vec::new();
        for file in netpolkit_tests::files_under(&dir, &["yaml", "yml"]) {
            let text = std::fs::read_to_string(&file).expect("corpus file");
            let rel = file.strip_prefix(&dir).unwrap_or(&file).display().to_string();
            for (index, raw) in parse_stream(&text).into_iter().enumerate() {
                let Some(root) = raw.root else { continue };
                let kind = root.get("kind").and_then(Node::as_str).unwrap_or("");
                if kind != "CiliumNetworkPolicy" && kind != "CiliumClusterwideNetworkPolicy" {
                    continue;
                }
                let (json, duplicates) = yaml_to_json(&root);
                out.push(CorpusDoc {
                    file: rel.clone(),
                    index,
                    kind: kind.to_owned(),
                    text: text[raw.span.start..raw.span.end].to_owned(),
                    json,
                    duplicates,
                });
            }
        }
        out
    })
}

/// Which side refuses what the other accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stricter {
    /// netpolkit reports a structural error the CRD does not have.
    Netpolkit,
    /// The CRD refuses, netpolkit reports no structural error.
    Crd,
}

/// A known disagreement between netpolkit and the CRD: a netpolkit bug (or a
/// questionable code choice) that the core has to fix. The allow-list keeps
/// the oracle strict everywhere else; `known_disagreements_still_reproduce`
/// fails once an entry is fixed, so the list cannot go stale.
pub struct Known {
    pub id: &'static str,
    pub stricter: Stricter,
    /// `Netpolkit`: the structural code netpolkit reports.
    /// `Crd`: the (non-structural) code netpolkit reports at the same path
    /// instead, or `None` when it says nothing there.
    pub code: Option<&'static str>,
    /// Regex on the index-free path (`spec.egress[].toPorts[].ports`) of the
    /// netpolkit diagnostic (`Netpolkit`) or the CRD violation (`Crd`).
    pub path: &'static str,
    /// Regex on the message of the netpolkit diagnostic (`Netpolkit`) or of
    /// the CRD violation (`Crd`).
    pub message: &'static str,
    /// Releases whose CRD this applies to.
    pub releases: &'static [&'static str],
    /// A minimal document that shows it.
    pub repro: &'static str,
    pub why: &'static str,
}

impl Known {
    /// The entry's path and message regexes, compiled once.
    fn regexes(&self) -> &'static (Regex, Regex) {
        static COMPILED: OnceLock<Vec<(Regex, Regex)>> = OnceLock::new();
        let all = COMPILED.get_or_init(|| {
            KNOWN_DISAGREEMENTS
                .iter()
                .map(|k| {
                    let compile = |re: &str| Regex::new(re).unwrap_or_else(|e| panic!("allow-list `{}`: {e}", k.id));
                    (compile(k.path), compile(k.message))
                })
                .collect()
        });
        let index = KNOWN_DISAGREEMENTS
            .iter()
            .position(|k| k.id == self.id)
            .expect("an allow-list entry");
        &all[index]
    }

    fn explains_netpolkit_error(&self, d: &Diagnostic) -> bool {
        let (path, message) = self.regexes();
        self.stricter == Stricter::Netpolkit
            && self.code == Some(d.code.id())
            && message.is_match(&d.message)
            && path.is_match(&without_indexes(&d.path))
    }

    fn explains_crd_violation(&self, v: &Violation, netpolkit: &[Diagnostic]) -> bool {
        let (path, message) = self.regexes();
        let mut said_here = netpolkit.iter().filter(|d| d.path == v.path);
        self.stricter == Stricter::Crd
            && message.is_match(&v.message)
            && path.is_match(&without_indexes(&v.path))
            && match self.code {
                Some(code) => said_here.any(|d| d.code.id() == code),
                None => said_here.next().is_none(),
            }
    }
}

/// Disagreements found by this oracle, reported to the core's maintainers.
/// Each is either a netpolkit bug (it accepts what the CRD refuses, or refuses
/// what both the CRD and the agent accept) or a code-classification problem
/// (a CRD rule reported with an agent code, or an agent rule reported with a
/// structural code). Remove an entry when the core is fixed;
/// `known_disagreements_still_reproduce` says when.
pub const KNOWN_DISAGREEMENTS: &[Known] = &[];
