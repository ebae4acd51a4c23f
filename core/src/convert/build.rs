//! Constructors for output manifests. Output values have no location of
//! their own (the output is only read back from its text when it has
//! diagnostics to locate), so every span is empty.

use crate::model::{
    Document, Kind, LabelEntry, LabelMap, LabelSelector, List, Manifest, ObjectMeta, Operator, Requirement, Spanned,
    Str,
};
use crate::source::Span;

/// The annotation that records where a converted policy came from.
pub const PROVENANCE: &str = "netpolkit.dev/converted-from";

pub fn sp<T>(value: T) -> Spanned<T> {
    Spanned::new(value, Span::default())
}

pub fn s(value: impl Into<String>) -> Str {
    sp(value.into())
}

pub fn list<T>(items: Vec<T>) -> List<T> {
    sp(items.into_iter().map(sp).collect())
}

pub fn label_map<K: Into<String>, V: Into<String>>(entries: impl IntoIterator<Item = (K, V)>) -> LabelMap {
    LabelMap::new(
        entries
            .into_iter()
            .map(|(k, v)| LabelEntry { key: s(k), value: s(v) })
            .collect(),
    )
}

pub fn requirement(key: impl Into<String>, operator: Operator, values: Vec<String>) -> Requirement {
    let with_values = matches!(operator, Operator::In | Operator::NotIn);
    Requirement {
        key: s(key),
        operator: sp(operator),
        values: with_values.then(|| sp(values.into_iter().map(s).collect())),
    }
}

/// A selector from its parts; empty parts are left out, so `{}` stays `{}`.
pub fn selector(labels: LabelMap, expressions: Vec<Requirement>) -> LabelSelector {
    LabelSelector {
        match_labels: (!labels.is_empty()).then(|| sp(labels)),
        match_expressions: (!expressions.is_empty()).then(|| list(expressions)),
    }
}

/// The selector's matchLabels and matchExpressions as owned parts.
pub fn parts(selector: &LabelSelector) -> (Vec<(String, String)>, Vec<Requirement>) {
    let labels = selector
        .match_labels
        .iter()
        .flat_map(|m| m.iter())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let expressions = selector
        .match_expressions
        .iter()
        .flat_map(|l| l.iter())
        .map(|r| r.value.clone())
        .collect();
    (labels, expressions)
}

/// Output metadata: name and namespace as given, the source's labels and
/// annotations kept, and the provenance annotation added.
pub fn metadata(source: &ObjectMeta, name: String, namespace: Option<String>, provenance: String) -> ObjectMeta {
    let mut annotations: Vec<LabelEntry> = source
        .annotations
        .iter()
        .flat_map(|m| m.iter())
        .filter(|(k, _)| *k != PROVENANCE)
        .map(|(k, v)| LabelEntry { key: s(k), value: s(v) })
        .collect();
    annotations.push(LabelEntry {
        key: s(PROVENANCE),
        value: s(provenance),
    });
    ObjectMeta {
        name: Some(s(name)),
        namespace: namespace.map(s),
        labels: source.labels.clone().map(|l| sp(l.value)),
        annotations: Some(sp(LabelMap::new(annotations))),
        ..ObjectMeta::default()
    }
}

/// An output document.
pub fn document(index: usize, kind: Kind, manifest: Manifest) -> Document {
    Document {
        index,
        span: Span::default(),
        path: String::new(),
        api_version: Some(s(kind.api_version())),
        kind: Some(s(kind.name())),
        manifest,
        source: None,
    }
}
