//! Emitting: model → [`Out`] trees → YAML or JSON text.
//!
//! Keys come in a fixed order: `apiVersion, kind, metadata, spec, specs`,
//! then each object's fields in the order of the API's own type definitions.
//! Workloads and other kinds are written back as they were read.

mod cilium;
mod kcnp;
mod knp;

use crate::model::{Document, LabelMap, LabelSelector, Manifest, ObjectMeta, Spanned, Str};
use crate::yaml::{self, Node, Out, Value};

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

/// The documents as text. Documents that could not be read at all
/// ([`Manifest::Invalid`]) have no model and are skipped.
pub fn emit(documents: &[&Document], format: Format) -> String {
    let outs: Vec<Out> = documents.iter().filter_map(|d| document(d)).collect();
    match format {
        Format::Yaml => yaml::to_yaml(&outs),
        Format::Json => yaml::to_json(&outs),
    }
}

/// A document as `fmt` writes it.
#[derive(Clone, Debug, PartialEq)]
pub enum Formatted {
    /// Rewritten in the normal layout.
    Normalized(Out),
    /// Not well-formed YAML: kept exactly as written.
    Verbatim(String),
}

/// Every document of a parsed text, ready to print. A document with errors
/// is written back from its YAML tree rather than its model, so nothing the
/// user wrote (including what the model could not hold) is lost.
pub fn formatted(text: &str, parsed: &crate::Parsed) -> Vec<Formatted> {
    parsed
        .documents
        .iter()
        .map(|doc| {
            let has_errors = parsed
                .diagnostics
                .iter()
                .any(|d| d.document == Some(doc.index) && d.severity == crate::Severity::Error);
            match (&doc.source, has_errors) {
                (None, _) => Formatted::Verbatim(verbatim(text, doc)),
                (Some(source), true) => Formatted::Normalized(node(source)),
                (Some(_), false) => {
                    document(doc).map_or_else(|| Formatted::Verbatim(verbatim(text, doc)), Formatted::Normalized)
                }
            }
        })
        .collect()
}

/// The document's own text, without a leading `---` line.
fn verbatim(text: &str, doc: &Document) -> String {
    let own = text.get(doc.span.start..doc.span.end).unwrap_or("");
    let own = match own.strip_prefix("---") {
        Some(rest) if rest.starts_with(['\n', '\r']) || rest.is_empty() => rest.trim_start_matches(['\r', '\n']),
        _ => own,
    };
    let mut own = own.trim_end().to_owned();
    own.push('\n');
    own
}

/// Formatted documents as one text: YAML documents separated by `---`, or
/// JSON (documents that are not well-formed YAML cannot be JSON and are left out).
pub fn render(documents: &[Formatted], format: Format) -> String {
    match format {
        Format::Yaml => {
            let parts: Vec<String> = documents
                .iter()
                .map(|d| match d {
                    Formatted::Normalized(out) => yaml::to_yaml(std::slice::from_ref(out)),
                    Formatted::Verbatim(text) => text.clone(),
                })
                .collect();
            parts.join("---\n")
        }
        Format::Json => {
            let outs: Vec<Out> = documents
                .iter()
                .filter_map(|d| match d {
                    Formatted::Normalized(out) => Some(out.clone()),
                    Formatted::Verbatim(_) => None,
                })
                .collect();
            if outs.is_empty() {
                String::new()
            } else {
                yaml::to_json(&outs)
            }
        }
    }
}

/// One document as an output tree; `None` for a document that could not be read.
pub fn document(document: &Document) -> Option<Out> {
    let api_version = document.api_version.as_ref().map(|a| a.value.as_str());
    let kind = document.kind.as_ref().map(|k| k.value.as_str());
    let mut out = Obj::new();
    let head = |out: &mut Obj| {
        out.opt("apiVersion", api_version.map(Out::str));
        out.opt("kind", kind.map(Out::str));
    };
    match &document.manifest {
        Manifest::NetworkPolicy(p) => {
            head(&mut out);
            out.put("metadata", metadata(&p.metadata));
            out.opt("spec", p.spec.as_ref().map(|s| knp::spec(s)));
        }
        Manifest::CiliumNetworkPolicy(p) | Manifest::CiliumClusterwideNetworkPolicy(p) => {
            head(&mut out);
            out.put("metadata", metadata(&p.metadata));
            out.opt("spec", p.spec.as_ref().map(|s| cilium::rule(s)));
            out.opt("specs", p.specs.as_ref().map(|l| list(l, cilium::rule)));
        }
        Manifest::ClusterNetworkPolicy(p) => {
            head(&mut out);
            out.put("metadata", metadata(&p.metadata));
            out.opt("spec", p.spec.as_ref().map(|s| kcnp::spec(s)));
        }
        Manifest::Namespace(_)
        | Manifest::Pod(_)
        | Manifest::Node(_)
        | Manifest::Service(_)
        | Manifest::Workload(_)
        | Manifest::ClusterProfile(_)
        | Manifest::Other
        | Manifest::Invalid => return document.source.as_ref().map(node),
    }
    Some(out.build())
}

/// A mapping under construction; absent fields are simply not added.
pub(crate) struct Obj(Vec<(String, Out)>);

impl Obj {
    pub fn new() -> Self {
        Obj(Vec::new())
    }

    pub fn put(&mut self, key: &str, value: Out) {
        self.0.push((key.to_owned(), value));
    }

    pub fn opt(&mut self, key: &str, value: Option<Out>) {
        if let Some(value) = value {
            self.put(key, value);
        }
    }

    pub fn build(self) -> Out {
        Out::Map(self.0)
    }
}

pub(crate) fn string(s: &Str) -> Out {
    Out::Str(s.value.clone())
}

pub(crate) fn strings(list: &Spanned<Vec<Str>>) -> Out {
    Out::Seq(list.iter().map(string).collect())
}

pub(crate) fn int(i: &Spanned<i64>) -> Out {
    Out::Int(i.value)
}

pub(crate) fn boolean(b: &Spanned<bool>) -> Out {
    Out::Bool(b.value)
}

pub(crate) fn list<T>(list: &Spanned<Vec<Spanned<T>>>, item: impl Fn(&T) -> Out) -> Out {
    Out::Seq(list.iter().map(|i| item(&i.value)).collect())
}

pub(crate) fn label_map(map: &LabelMap) -> Out {
    Out::Map(
        map.entries
            .iter()
            .map(|e| (e.key.value.clone(), string(&e.value)))
            .collect(),
    )
}

pub(crate) fn selector(selector: &LabelSelector) -> Out {
    let mut o = Obj::new();
    o.opt("matchLabels", selector.match_labels.as_ref().map(|m| label_map(m)));
    o.opt(
        "matchExpressions",
        selector.match_expressions.as_ref().map(|l| {
            list(l, |r| {
                let mut o = Obj::new();
                o.put("key", string(&r.key));
                o.put("operator", Out::str(r.operator.as_str()));
                o.opt("values", r.values.as_ref().map(strings));
                o.build()
            })
        }),
    );
    o.build()
}

pub(crate) fn int_or_string(v: &crate::model::IntOrString) -> Out {
    match v {
        crate::model::IntOrString::Int(i) => Out::Int(*i),
        crate::model::IntOrString::Str(s) => Out::Str(s.clone()),
    }
}

fn metadata(meta: &ObjectMeta) -> Out {
    let mut o = Obj::new();
    o.opt("name", meta.name.as_ref().map(string));
    o.opt("generateName", meta.generate_name.as_ref().map(string));
    o.opt("namespace", meta.namespace.as_ref().map(string));
    o.opt("labels", meta.labels.as_ref().map(|m| label_map(m)));
    o.opt("annotations", meta.annotations.as_ref().map(|m| label_map(m)));
    o.opt("ownerReferences", meta.owner_references.as_ref().map(node));
    o.opt("finalizers", meta.finalizers.as_ref().map(node));
    o.build()
}

/// A YAML node written back as it was read.
pub(crate) fn node(node: &Node) -> Out {
    match &node.value {
        Value::Null => Out::Null,
        Value::Bool(b) => Out::Bool(*b),
        Value::Int(i) => Out::Int(*i),
        Value::Float(f) => Out::Float(*f),
        Value::Str(s) => Out::Str(s.clone()),
        Value::Seq(items) => Out::Seq(items.iter().map(self::node).collect()),
        Value::Map(entries) => Out::Map(
            entries
                .iter()
                .map(|e| {
                    let key = match &e.key.value {
                        Value::Str(s) => s.clone(),
                        Value::Int(i) => i.to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Float(f) => f.to_string(),
                        _ => String::new(),
                    };
                    (key, self::node(&e.value))
                })
                .collect(),
        ),
    }
}
