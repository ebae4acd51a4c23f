//! The span-carrying YAML tree.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::source::Span;

/// One YAML node with its byte span in the whole input text. Like every
/// spanned value, equality ignores the span.
#[derive(Clone, Debug)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

impl PartialEq for Node {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

/// A key and its value, in the order they were written.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

/// Scalars are resolved as YAML 1.1 readers (kubectl, the API server) resolve
/// them: unquoted `on`, `yes`, `y` are booleans. Integers with leading zeros
/// stay strings, since YAML 1.1 and 1.2 readers disagree on their value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

impl Value {
    /// The YAML type name used in messages ("expected a list, found a string").
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::Seq(_) => "list",
            Value::Map(_) => "mapping",
        }
    }
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The value of `key` in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|e| e.key.as_str() == Some(key))
            .map(|e| &e.value)
    }

    /// The entry of `key` in a mapping node (key span included).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().find(|e| e.key.as_str() == Some(key))
    }

    /// The source text of a scalar, as written (quotes included).
    pub fn source<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.span.start..self.span.end).unwrap_or("")
    }

    /// Whether the scalar was written in quotes.
    pub fn is_quoted(&self, text: &str) -> bool {
        matches!(self.source(text).as_bytes().first(), Some(b'"' | b'\''))
    }
}

/// What serde-saphyr hands us: values with character and byte locations
/// relative to the document chunk they were parsed from.
pub(super) struct Raw(RawValue);

pub(super) enum RawValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<Raw>, Spanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor).map(Raw)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawValue;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }

    fn visit_none<E>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawValue, D::Error> {
        d.deserialize_any(RawVisitor)
    }

    fn visit_bool<E>(self, v: bool) -> Result<RawValue, E> {
        Ok(RawValue::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<RawValue, E> {
        Ok(RawValue::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<RawValue, E> {
        Ok(match i64::try_from(v) {
            Ok(v) => RawValue::Int(v),
            Err(_) => RawValue::Float(v as f64),
        })
    }

    fn visit_i128<E>(self, v: i128) -> Result<RawValue, E> {
        Ok(match i64::try_from(v) {
            Ok(v) => RawValue::Int(v),
            Err(_) => RawValue::Float(v as f64),
        })
    }

    fn visit_u128<E>(self, v: u128) -> Result<RawValue, E> {
        Ok(match i64::try_from(v) {
            Ok(v) => RawValue::Int(v),
            Err(_) => RawValue::Float(v as f64),
        })
    }

    fn visit_f64<E>(self, v: f64) -> Result<RawValue, E> {
        Ok(RawValue::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<RawValue, E> {
        Ok(RawValue::Str(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<RawValue, E> {
        Ok(RawValue::Str(v))
    }

    fn visit_bytes<E>(self, v: &[u8]) -> Result<RawValue, E> {
        Ok(RawValue::Str(String::from_utf8_lossy(v).into_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawValue, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element::<Spanned<Raw>>()? {
            items.push(item);
        }
        Ok(RawValue::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawValue, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(key) = map.next_key::<Spanned<Raw>>()? {
            let value = map.next_value::<Spanned<Raw>>()?;
            entries.push((key, value));
        }
        Ok(RawValue::Map(entries))
    }
}

/// Converts library spans (relative to a chunk) into [`Node`]s with spans in
/// the whole text, widening collection spans to cover their children.
pub(super) fn convert(raw: Spanned<Raw>, chunk: &str, base: usize) -> Node {
    let span = raw_span(&raw, chunk, base);
    let (value, covered) = match raw.value.0 {
        RawValue::Null => (Value::Null, span),
        RawValue::Bool(b) => (Value::Bool(b), span),
        RawValue::Int(i) => (Value::Int(i), span),
        RawValue::Float(f) => (Value::Float(f), span),
        RawValue::Str(s) => (Value::Str(s), span),
        RawValue::Seq(items) => {
            let nodes: Vec<Node> = items.into_iter().map(|i| convert(i, chunk, base)).collect();
            let covered = nodes.iter().fold(span, |acc, n| acc.cover(n.span));
            (Value::Seq(nodes), covered)
        }
        RawValue::Map(entries) => {
            let entries: Vec<Entry> = entries
                .into_iter()
                .map(|(k, v)| Entry {
                    key: convert(k, chunk, base),
                    value: convert(v, chunk, base),
                })
                .collect();
            let covered = entries
                .iter()
                .fold(span, |acc, e| acc.cover(e.key.span).cover(e.value.span));
            (Value::Map(entries), covered)
        }
    };
    let span = match &value {
        Value::Seq(_) | Value::Map(_) => close_flow(chunk, base, covered),
        _ => covered,
    };
    Node { span, value }
}

/// A flow collection (`{...}`, `[...]`) ends at its closing bracket, after
/// its last child (or its opening bracket when empty); block collections end
/// with their last child.
fn close_flow(chunk: &str, base: usize, span: Span) -> Span {
    let bytes = chunk.as_bytes();
    let closing = match bytes.get(span.start - base) {
        Some(b'{') => b'}',
        Some(b'[') => b']',
        _ => return span,
    };
    let mut i = span.end - base;
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\r' | b'\n' | b',' => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b if b == closing => return Span::new(span.start, i + 1 + base),
            _ => return span,
        }
    }
    span
}

fn raw_span(raw: &Spanned<Raw>, chunk: &str, base: usize) -> Span {
    let span = raw.referenced.span();
    let (start, len) = match (span.byte_offset(), span.byte_len()) {
        (Some(start), Some(len)) => (start as usize, len as usize),
        _ => {
            let start = char_to_byte(chunk, span.offset() as usize);
            let end = char_to_byte(chunk, (span.offset() + span.len()) as usize);
            (start, end - start)
        }
    };
    let start = start.min(chunk.len());
    let end = (start + len).min(chunk.len());
    // Block scalars report trailing indentation as part of their span.
    let trimmed = start + chunk[start..end].trim_end().len();
    Span::new(start, trimmed.max(start)).offset(base)
}

/// Byte offset of the `chars`-th character of `text` (clamped to its end).
pub(super) fn char_to_byte(text: &str, chars: usize) -> usize {
    text.char_indices().nth(chars).map(|(i, _)| i).unwrap_or(text.len())
}
