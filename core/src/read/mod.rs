//! Reading: YAML trees → typed model, with every structural problem reported
//! at its location and the reading carried on past it.
//!
//! This is where the API server's schema checks live: unknown fields (with
//! "did you mean"), wrong types, values outside an enum, duplicate keys.
//! Semantic rules (what the API server's validation or the Cilium agent
//! refuse in otherwise well-typed objects) live in [`crate::validate`].

mod cilium;
mod document;
mod kcnp;
mod knp;
mod meta;
mod profile;
mod workload;

pub(crate) use document::read_documents;

use std::borrow::Cow;

use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::model::{IntOrString, LabelEntry, LabelMap, List, Spanned, Str};
use crate::path::FieldPath;
use crate::source::Span;
use crate::yaml::{Entry, Node, Value};

/// Field names of one policy kind written in another, or at the wrong level:
/// (written, a field that tells where we are, hint). They are not typos, so
/// edit distance would not find them.
const ALIASES: &[(&str, &str, &str)] = &[
    (
        "podSelector",
        "endpointSelector",
        "did you mean `endpointSelector`? (Cilium's name for the pod selector)",
    ),
    (
        "endpointSelector",
        "podSelector",
        "did you mean `podSelector`? (a NetworkPolicy's name for the pod selector)",
    ),
    (
        "from",
        "fromEndpoints",
        "Cilium names the peer kind: `fromEndpoints`, `fromCIDRSet`, `fromEntities`...",
    ),
    (
        "to",
        "toEndpoints",
        "Cilium names the peer kind: `toEndpoints`, `toCIDRSet`, `toEntities`, `toFQDNs`...",
    ),
    (
        "ports",
        "toPorts",
        "did you mean `toPorts`? Cilium nests ports: `toPorts: [{ports: [{port: \"80\", protocol: TCP}]}]`",
    ),
    (
        "ipBlock",
        "fromCIDRSet",
        "did you mean `fromCIDRSet`? (`cidr` and `except` carry over)",
    ),
    (
        "ipBlock",
        "toCIDRSet",
        "did you mean `toCIDRSet`? (`cidr` and `except` carry over)",
    ),
    (
        "fromEndpoints",
        "from",
        "a NetworkPolicy lists its peers under `from: [{podSelector: ...}]`",
    ),
    (
        "toEndpoints",
        "to",
        "a NetworkPolicy lists its peers under `to: [{podSelector: ...}]`",
    ),
    (
        "toPorts",
        "ports",
        "did you mean `ports`? (a NetworkPolicy lists ports directly in the rule)",
    ),
    (
        "fromCIDR",
        "from",
        "a NetworkPolicy writes CIDRs as `from: [{ipBlock: {cidr: ...}}]`",
    ),
    (
        "toCIDR",
        "to",
        "a NetworkPolicy writes CIDRs as `to: [{ipBlock: {cidr: ...}}]`",
    ),
    (
        "description",
        "specs",
        "`description` belongs inside `spec` (or each item of `specs`)",
    ),
    (
        "auth",
        "authentication",
        "did you mean `authentication: {mode: required}`? (`auth` was renamed during Cilium 1.14)",
    ),
];

/// The reading context: where we are, and where diagnostics go.
pub(crate) struct Reader<'a> {
    pub text: &'a str,
    document: usize,
    path: FieldPath,
    /// For each path step, the span of its key when it is a mapping field.
    key_spans: Vec<Option<Span>>,
    /// Whether the object is a custom resource (Cilium's kinds, KCNP): the API
    /// server prunes null values from those instead of reading them as "".
    pub custom_resource: bool,
    diagnostics: &'a mut Vec<Diagnostic>,
}

impl<'a> Reader<'a> {
    /// A reader for document `document`; `item` is its index in a `List`.
    fn new(text: &'a str, document: usize, item: Option<usize>, diagnostics: &'a mut Vec<Diagnostic>) -> Self {
        Reader {
            text,
            document,
            path: FieldPath::document(item),
            key_spans: Vec::new(),
            custom_resource: false,
            diagnostics,
        }
    }

    /// Records a diagnostic at the current path (unless it has its own).
    pub fn report(&mut self, mut diagnostic: Diagnostic) {
        if diagnostic.path.is_empty() {
            diagnostic.path = self.path.render();
        }
        diagnostic.document = Some(self.document);
        self.diagnostics.push(diagnostic);
    }

    /// Runs `f` one key deeper.
    pub fn at<T>(&mut self, key: impl Into<Cow<'static, str>>, f: impl FnOnce(&mut Self) -> T) -> T {
        self.at_key(key, None, f)
    }

    fn at_key<T>(
        &mut self,
        key: impl Into<Cow<'static, str>>,
        span: Option<Span>,
        f: impl FnOnce(&mut Self) -> T,
    ) -> T {
        self.path.push_key(key);
        self.key_spans.push(span);
        let result = f(self);
        self.key_spans.pop();
        self.path.pop();
        result
    }

    /// The span a field's value stands for: a mapping or list value reaches
    /// back to its key, so a diagnostic about `rules` points at `rules:`
    /// rather than at the first line inside it.
    pub fn value_span(&self, node: &Node) -> Span {
        match (&node.value, self.key_spans.last()) {
            (Value::Map(_) | Value::Seq(_), Some(Some(key))) if key.start < node.span.start => {
                Span::new(key.start, node.span.end)
            }
            _ => node.span,
        }
    }

    /// Runs `f` one list index deeper.
    pub fn at_index<T>(&mut self, index: usize, f: impl FnOnce(&mut Self) -> T) -> T {
        self.path.push_index(index);
        self.key_spans.push(None);
        let result = f(self);
        self.key_spans.pop();
        self.path.pop();
        result
    }

    fn type_error(&mut self, node: &Node, expected: &str) {
        let found = node.value.type_name();
        let mut d = Diagnostic::new(
            Code::InvalidType,
            node.span,
            format!("expected {expected}, found {found} `{}`", short(node.source(self.text))),
        );
        if expected == "a string" && matches!(node.value, Value::Bool(_) | Value::Int(_) | Value::Float(_)) {
            d = d.with_hint(format!(
                "quote it: \"{}\" (kubectl reads unquoted `{}` as a {found})",
                node.source(self.text),
                node.source(self.text)
            ));
        }
        self.report(d);
    }

    /// Reads a mapping whose keys must come from `fields`. Reports
    /// non-string, duplicate and unknown keys; returns `None` (after reporting)
    /// if the node is not a mapping.
    pub fn object<'n>(&mut self, node: &'n Node, fields: &[&'static str]) -> Option<Object<'n>> {
        self.mapping(node, Some(fields))
    }

    /// Reads a mapping of which only some fields are modelled (workloads):
    /// other keys are kept in the source tree without comment.
    pub fn open_object<'n>(&mut self, node: &'n Node) -> Option<Object<'n>> {
        self.mapping(node, None)
    }

    fn mapping<'n>(&mut self, node: &'n Node, fields: Option<&[&'static str]>) -> Option<Object<'n>> {
        let Value::Map(entries) = &node.value else {
            self.type_error(node, "a mapping");
            return None;
        };
        let mut seen: Vec<(&'n str, &'n Entry)> = Vec::with_capacity(entries.len());
        for entry in entries {
            let Some(key) = self.key(entry) else { continue };
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                self.duplicate_key(key, entry, first.key.span);
                continue;
            }
            if let Some(fields) = fields.filter(|f| !f.contains(&key)) {
                self.unknown_field(key, entry, fields);
                continue;
            }
            seen.push((key, entry));
        }
        Some(Object { node, entries: seen })
    }

    fn duplicate_key(&mut self, key: &str, entry: &Entry, first: Span) {
        let d = Diagnostic::new(Code::DuplicateKey, entry.key.span, format!("duplicate key `{key}`"))
            .with_related(first, "first defined here")
            .with_hint("remove one of them; kubectl refuses mappings with duplicate keys");
        self.at(key.to_owned(), |r| r.report(d));
    }

    fn unknown_field(&mut self, key: &str, entry: &Entry, fields: &[&'static str]) {
        let mut d = Diagnostic::new(Code::UnknownField, entry.key.span, format!("unknown field `{key}`"));
        let alias = ALIASES
            .iter()
            .find(|(written, here, _)| *written == key && fields.contains(here));
        d = match (alias, did_you_mean(key, fields.iter().copied())) {
            (Some((_, _, hint)), _) => d.with_hint(*hint),
            (None, Some(near)) => d.with_hint(format!("did you mean `{near}`?")),
            (None, None) => d.with_hint(format!("known fields here: {}", fields.join(", "))),
        };
        self.at(key.to_owned(), |r| r.report(d));
    }

    /// A mapping key as a string; reports keys that are not strings.
    fn key<'n>(&mut self, entry: &'n Entry) -> Option<&'n str> {
        match &entry.key.value {
            Value::Str(s) => Some(s),
            other => {
                let source = entry.key.source(self.text).to_owned();
                let d = Diagnostic::new(
                    Code::NonStringKey,
                    entry.key.span,
                    format!("key `{source}` is read as a {}, not a string", other.type_name()),
                )
                .with_hint(format!("quote it: \"{source}\""));
                self.report(d);
                None
            }
        }
    }

    /// Reads `key` of `object` with `f`, one path step deeper. Missing and
    /// null values give `None` without a diagnostic (the API server drops
    /// nulls the same way).
    pub fn field<T>(
        &mut self,
        object: &Object<'_>,
        key: &'static str,
        f: impl FnOnce(&mut Self, &Node) -> Option<T>,
    ) -> Option<T> {
        let node = object.get(key)?;
        self.at_key(key, object.key_span(key), |r| f(r, node))
    }

    /// Like [`Reader::field`], reporting a missing field.
    pub fn required<T>(
        &mut self,
        object: &Object<'_>,
        key: &'static str,
        f: impl FnOnce(&mut Self, &Node) -> Option<T>,
    ) -> Option<T> {
        if object.get(key).is_none() {
            let at = object
                .key_span(key)
                .unwrap_or(Span::point(self.value_span(object.node).start));
            let d = Diagnostic::new(Code::MissingField, at, format!("missing required field `{key}`"));
            self.report(d);
            return None;
        }
        self.field(object, key, f)
    }

    pub fn string(&mut self, node: &Node) -> Option<Str> {
        match &node.value {
            Value::Str(s) => Some(Spanned::new(s.clone(), node.span)),
            Value::Bool(_) | Value::Int(_) | Value::Float(_) => {
                self.type_error(node, "a string");
                // Keep what was written, so later checks still see it.
                Some(Spanned::new(node.source(self.text).to_owned(), node.span))
            }
            _ => {
                self.type_error(node, "a string");
                None
            }
        }
    }

    pub fn boolean(&mut self, node: &Node) -> Option<Spanned<bool>> {
        match &node.value {
            Value::Bool(b) => Some(Spanned::new(*b, node.span)),
            _ => {
                self.type_error(node, "a boolean (true or false)");
                None
            }
        }
    }

    pub fn integer(&mut self, node: &Node) -> Option<Spanned<i64>> {
        match &node.value {
            Value::Int(i) => Some(Spanned::new(*i, node.span)),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => {
                self.type_error(node, "an integer");
                Some(Spanned::new(*f as i64, node.span))
            }
            _ => {
                self.type_error(node, "an integer");
                None
            }
        }
    }

    /// A number or a name (ports, ICMP types): unquoted digits are a number,
    /// quoted digits are a string, exactly as kubectl reads them.
    pub fn int_or_string(&mut self, node: &Node) -> Option<Spanned<IntOrString>> {
        match &node.value {
            Value::Int(i) => Some(Spanned::new(IntOrString::Int(*i), node.span)),
            Value::Str(s) => Some(Spanned::new(IntOrString::Str(s.clone()), node.span)),
            _ => {
                self.type_error(node, "a number or a name");
                None
            }
        }
    }

    /// A list, reading each item with `item`; items that fail to read are left out.
    pub fn list<T>(&mut self, node: &Node, mut item: impl FnMut(&mut Self, &Node) -> Option<T>) -> Option<List<T>> {
        let Value::Seq(items) = &node.value else {
            self.type_error(node, "a list");
            return None;
        };
        let read = items
            .iter()
            .enumerate()
            .filter_map(|(i, n)| self.at_index(i, |r| item(r, n)).map(|v| Spanned::new(v, n.span)))
            .collect();
        Some(Spanned::new(read, self.value_span(node)))
    }

    /// A list of strings.
    pub fn strings(&mut self, node: &Node) -> Option<Spanned<Vec<Str>>> {
        let list = self.list(node, |r, n| {
            if matches!(n.value, Value::Null) {
                r.type_error(n, "a string");
                return None;
            }
            r.string(n)
        })?;
        Some(Spanned::new(
            list.value.into_iter().map(|s| s.value).collect(),
            list.span,
        ))
    }

    /// A string-to-string map (labels, annotations, matchLabels).
    pub fn label_map(&mut self, node: &Node) -> Option<Spanned<LabelMap>> {
        let Value::Map(entries) = &node.value else {
            self.type_error(node, "a mapping of strings");
            return None;
        };
        let mut out: Vec<LabelEntry> = Vec::with_capacity(entries.len());
        for entry in entries {
            let Some(key) = self.key(entry) else { continue };
            if let Some(first) = out.iter().find(|e| e.key.value == key) {
                self.duplicate_key(key, entry, first.key.span);
                continue;
            }
            let value = self.at(key.to_owned(), |r| match &entry.value.value {
                Value::Null if r.custom_resource => {
                    let d = Diagnostic::new(
                        Code::NullValue,
                        entry.key.span,
                        format!("`{key}` has no value: the API server drops null entries from custom resources"),
                    )
                    .with_hint(format!("write `{key}: \"\"` for an empty value, or remove the entry"));
                    r.report(d);
                    None
                }
                // `key:` with nothing after it is an empty string for built-in kinds.
                Value::Null => Some(Spanned::new(String::new(), entry.value.span)),
                _ => r.string(&entry.value),
            });
            if let Some(value) = value {
                out.push(LabelEntry {
                    key: Spanned::new(key.to_owned(), entry.key.span),
                    value,
                });
            }
        }
        Some(Spanned::new(LabelMap::new(out), self.value_span(node)))
    }

    /// A string that must be one of `values`; reports anything else with the
    /// closest candidate.
    pub fn one_of<T: Copy>(&mut self, node: &Node, values: &[(T, &'static str)]) -> Option<Spanned<T>> {
        let s = self.string(node)?;
        if let Some((v, _)) = values.iter().find(|(_, name)| *name == s.value) {
            return Some(Spanned::new(*v, s.span));
        }
        self.unsupported(&s, values.iter().map(|(_, n)| *n));
        None
    }

    /// Reports `value` as not one of `supported`.
    pub fn unsupported<'v>(&mut self, value: &Str, supported: impl Iterator<Item = &'v str> + Clone) {
        let list = supported
            .clone()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut d = Diagnostic::new(
            Code::UnsupportedValue,
            value.span,
            format!("unsupported value `{}`: supported values are {list}", value.value),
        );
        if let Some(near) = did_you_mean(&value.value, supported) {
            d = d.with_hint(format!("did you mean `{near}`?"));
        }
        self.report(d);
    }
}

/// A mapping that passed the key checks.
pub(crate) struct Object<'n> {
    pub node: &'n Node,
    entries: Vec<(&'n str, &'n Entry)>,
}

impl<'n> Object<'n> {
    /// The value of `key`, or `None` when missing or null.
    pub fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, e)| &e.value)
            .filter(|n| !matches!(n.value, Value::Null))
    }

    /// The span of `key`'s key, for diagnostics about the field itself.
    pub fn key_span(&self, key: &str) -> Option<Span> {
        self.entries.iter().find(|(k, _)| *k == key).map(|(_, e)| e.key.span)
    }
}

/// A value shortened for messages.
fn short(source: &str) -> Cow<'_, str> {
    let first_line = source.lines().next().unwrap_or("");
    if first_line.chars().count() > 40 || first_line.len() < source.trim_end().len() {
        let cut: String = first_line.chars().take(40).collect();
        Cow::Owned(format!("{cut}…"))
    } else {
        Cow::Borrowed(first_line)
    }
}
