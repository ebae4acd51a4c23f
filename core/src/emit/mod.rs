//! Emitting: model → YAML text, or [`Out`] trees (for JSON and `fmt`).
//!
//! Keys come in a fixed order: `apiVersion, kind, metadata, spec, specs`,
//! then each object's fields in the order of the API's own type definitions.
//! Workloads and other kinds are written back as they were read.

mod cilium;
mod kcnp;
mod knp;

use crate::model::{Document, LabelMap, LabelSelector, Manifest, ObjectMeta, Spanned, Str};
use crate::yaml::{self, Leaf, Node, Out, OutBuilder, Sink, Value, YamlWriter};

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

/// The documents as text. Documents that could not be read at all
/// ([`Manifest::Invalid`]) have no model and are skipped.
///
/// YAML is written straight from the models, without building [`Out`]
/// trees (`tests/emit.rs` checks it is the text of those trees).
pub fn emit(documents: &[&Document], format: Format) -> String {
    match format {
        Format::Yaml => {
            let mut writer = YamlWriter::new();
            for doc in documents.iter().filter(|d| writes(d)) {
                writer.document();
                write_document(&mut W(&mut writer), doc);
            }
            writer.finish()
        }
        Format::Json => {
            let outs: Vec<Out> = documents.iter().filter_map(|d| document(d)).collect();
            yaml::to_json(&outs)
        }
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
                (Some(source), true) => Formatted::Normalized(node(source)),
                (None, true) => Formatted::Verbatim(verbatim(text, doc)),
                // A policy from its model (it keeps no tree), the rest from their tree.
                (_, false) => {
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
    if !writes(document) {
        return None;
    }
    let mut tree = OutBuilder::new();
    write_document(&mut W(&mut tree), document);
    tree.take()
}

/// Whether a document has anything to write: a model, or its YAML tree.
fn writes(document: &Document) -> bool {
    document.manifest.kind().is_some_and(|k| k.is_policy()) || document.source.is_some()
}

/// One document (see [`writes`]) as events.
fn write_document(w: &mut W, document: &Document) {
    let api_version = document.api_version.as_ref().map(|a| a.value.as_str());
    let kind = document.kind.as_ref().map(|k| k.value.as_str());
    let head = |w: &mut W| {
        w.opt("apiVersion", api_version, |w, a| w.str(a));
        w.opt("kind", kind, |w, k| w.str(k));
    };
    match &document.manifest {
        Manifest::NetworkPolicy(p) => w.map(|w| {
            head(w);
            w.put("metadata", |w| metadata(w, &p.metadata));
            w.opt("spec", p.spec.as_ref(), |w, s| knp::spec(w, s));
        }),
        Manifest::CiliumNetworkPolicy(p) | Manifest::CiliumClusterwideNetworkPolicy(p) => w.map(|w| {
            head(w);
            w.put("metadata", |w| metadata(w, &p.metadata));
            w.opt("spec", p.spec.as_ref(), |w, s| cilium::rule(w, s));
            w.opt("specs", p.specs.as_ref(), |w, l| list(w, l, cilium::rule));
        }),
        Manifest::ClusterNetworkPolicy(p) => w.map(|w| {
            head(w);
            w.put("metadata", |w| metadata(w, &p.metadata));
            w.opt("spec", p.spec.as_ref(), |w, s| kcnp::spec(w, s));
        }),
        Manifest::Namespace(_)
        | Manifest::Pod(_)
        | Manifest::Node(_)
        | Manifest::Service(_)
        | Manifest::Workload(_)
        | Manifest::ClusterProfile(_)
        | Manifest::Other
        | Manifest::Invalid => {
            if let Some(source) = &document.source {
                write_node(w, source);
            }
        }
    }
}

/// Writes to a [`Sink`]; absent fields are simply not written.
pub(crate) struct W<'s>(&'s mut dyn Sink);

impl W<'_> {
    /// `key: value`.
    pub fn put(&mut self, key: &str, value: impl FnOnce(&mut Self)) {
        self.0.key(key);
        value(self);
    }

    /// `key: value` when there is a value.
    pub fn opt<T: ?Sized>(&mut self, key: &str, value: Option<&T>, write: impl FnOnce(&mut Self, &T)) {
        if let Some(value) = value {
            self.0.key(key);
            write(self, value);
        }
    }

    /// A mapping whose entries `entries` writes.
    pub fn map(&mut self, entries: impl FnOnce(&mut Self)) {
        self.0.begin_map();
        entries(self);
        self.0.end();
    }

    /// A sequence of `items`.
    pub fn seq<I: IntoIterator>(&mut self, items: I, mut item: impl FnMut(&mut Self, I::Item)) {
        self.0.begin_seq();
        for i in items {
            item(self, i);
        }
        self.0.end();
    }

    pub fn str(&mut self, s: &str) {
        self.0.leaf(Leaf::Str(s));
    }

    pub fn int(&mut self, i: i64) {
        self.0.leaf(Leaf::Int(i));
    }
}

pub(crate) fn string(w: &mut W, s: &Str) {
    w.str(&s.value);
}

pub(crate) fn strings(w: &mut W, list: &Spanned<Vec<Str>>) {
    w.seq(list.iter(), string);
}

pub(crate) fn int(w: &mut W, i: &Spanned<i64>) {
    w.int(i.value);
}

pub(crate) fn boolean(w: &mut W, b: &Spanned<bool>) {
    w.0.leaf(Leaf::Bool(b.value));
}

pub(crate) fn list<T>(w: &mut W, list: &Spanned<Vec<Spanned<T>>>, item: impl Fn(&mut W, &T)) {
    w.seq(list.iter(), |w, i| item(w, &i.value));
}

pub(crate) fn label_map(w: &mut W, map: &LabelMap) {
    w.map(|w| {
        for e in &map.entries {
            w.put(&e.key.value, |w| string(w, &e.value));
        }
    });
}

pub(crate) fn selector(w: &mut W, selector: &LabelSelector) {
    w.map(|w| {
        w.opt("matchLabels", selector.match_labels.as_ref(), |w, m| label_map(w, m));
        w.opt("matchExpressions", selector.match_expressions.as_ref(), |w, l| {
            list(w, l, |w, r| {
                w.map(|w| {
                    w.put("key", |w| string(w, &r.key));
                    w.put("operator", |w| w.str(r.operator.as_str()));
                    w.opt("values", r.values.as_ref(), strings);
                })
            })
        });
    });
}

pub(crate) fn int_or_string(w: &mut W, v: &crate::model::IntOrString) {
    match v {
        crate::model::IntOrString::Int(i) => w.int(*i),
        crate::model::IntOrString::Str(s) => w.str(s),
    }
}

fn metadata(w: &mut W, meta: &ObjectMeta) {
    w.map(|w| {
        w.opt("name", meta.name.as_ref(), string);
        w.opt("generateName", meta.generate_name.as_ref(), string);
        w.opt("namespace", meta.namespace.as_ref(), string);
        w.opt("labels", meta.labels.as_ref(), |w, m| label_map(w, m));
        w.opt("annotations", meta.annotations.as_ref(), |w, m| label_map(w, m));
        w.opt("ownerReferences", meta.owner_references.as_ref(), write_node);
        w.opt("finalizers", meta.finalizers.as_ref(), write_node);
    });
}

/// A YAML node written back as it was read.
pub(crate) fn node(node: &Node) -> Out {
    let mut tree = OutBuilder::new();
    write_node(&mut W(&mut tree), node);
    tree.take().unwrap_or(Out::Null)
}

/// A YAML node as events (its depth is bounded by the reader's limits).
fn write_node(w: &mut W, node: &Node) {
    match &node.value {
        Value::Null => w.0.leaf(Leaf::Null),
        Value::Bool(b) => w.0.leaf(Leaf::Bool(*b)),
        Value::Int(i) => w.int(*i),
        Value::Float(f) => w.0.leaf(Leaf::Float(*f)),
        Value::Str(s) => w.str(s),
        Value::Seq(items) => w.seq(items, write_node),
        Value::Map(entries) => w.map(|w| {
            for e in entries {
                match &e.key.value {
                    Value::Str(s) => w.0.key(s),
                    Value::Int(i) => w.0.key(&i.to_string()),
                    Value::Bool(b) => w.0.key(&b.to_string()),
                    Value::Float(f) => w.0.key(&f.to_string()),
                    _ => w.0.key(""),
                }
                write_node(w, &e.value);
            }
        }),
    }
}
