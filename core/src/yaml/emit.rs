//! Writing manifests as YAML or JSON that kubectl accepts.

use std::fmt::Write as _;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::style::{self, indent};

/// An ordered output tree. Key order is decided by whoever builds it (the
/// model emitter puts `apiVersion, kind, metadata, spec` first).
#[derive(Clone, Debug, PartialEq)]
pub enum Out {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Out>),
    Map(Vec<(String, Out)>),
}

impl Out {
    pub fn str(s: impl Into<String>) -> Out {
        Out::Str(s.into())
    }
}

impl Serialize for Out {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Out::Null => s.serialize_unit(),
            Out::Bool(b) => s.serialize_bool(*b),
            Out::Int(i) => s.serialize_i64(*i),
            Out::Float(f) => s.serialize_f64(*f),
            Out::Str(v) => s.serialize_str(v),
            Out::Seq(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Out::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// A scalar as a [`Sink`] receives it.
#[derive(Clone, Copy, Debug)]
pub enum Leaf<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
}

/// Where a tree is written, one event at a time: collections are opened,
/// given their entries (`key` before each value of a mapping) and closed.
/// The model emitter writes through it straight into YAML ([`YamlWriter`])
/// or into an [`Out`] tree ([`OutBuilder`]), so the model is walked by one
/// piece of code whatever it becomes.
pub trait Sink {
    fn begin_map(&mut self);
    fn begin_seq(&mut self);
    /// Closes the innermost open collection.
    fn end(&mut self);
    /// The key of the next value, in an open mapping.
    fn key(&mut self, key: &str);
    fn leaf(&mut self, leaf: Leaf<'_>);
}

/// YAML in kubectl's layout: two-space indent, sequence items level with
/// their key (`key:` then `- a`), a map in a sequence item starting on the
/// dash's line, `{}` and `[]` for empty collections, keys in the given
/// order, documents separated by `---`, each ending with a line break.
/// Strings are quoted whenever a YAML 1.1 or 1.2 reader could take them for
/// anything else (`on`, `yes`, `0755`, `1e3`, `~`, see `plain.rs`), so
/// kubectl reads back exactly what we wrote.
///
/// Written by hand rather than through a serde serializer: it is smaller in
/// the `.wasm` and about three times faster than serde-saphyr's serializer,
/// whose output (indent 2, compact lists) it reproduces byte for byte;
/// `tests/emit.rs` holds it to that over every manifest we have.
pub fn to_yaml(documents: &[Out]) -> String {
    let mut writer = YamlWriter::new();
    for doc in documents {
        writer.document();
        walk(&mut writer, doc);
    }
    writer.finish()
}

/// Feeds a whole tree to `sink`. Nesting is kept on an explicit stack, so
/// no tree is too deep to write.
pub fn walk<S: Sink + ?Sized>(sink: &mut S, root: &Out) {
    let mut stack: Vec<Children<'_>> = Vec::new();
    let mut next = Some(root);
    loop {
        match next.take() {
            Some(Out::Map(entries)) => {
                sink.begin_map();
                stack.push(Children::Map(entries.iter()));
            }
            Some(Out::Seq(items)) => {
                sink.begin_seq();
                stack.push(Children::Seq(items.iter()));
            }
            Some(leaf) => sink.leaf(leaf.as_leaf()),
            None => {}
        }
        let Some(open) = stack.last_mut() else {
            return;
        };
        match open {
            Children::Map(entries) => match entries.next() {
                Some((k, v)) => {
                    sink.key(k);
                    next = Some(v);
                }
                None => {
                    stack.pop();
                    sink.end();
                }
            },
            Children::Seq(items) => match items.next() {
                Some(v) => next = Some(v),
                None => {
                    stack.pop();
                    sink.end();
                }
            },
        }
    }
}

enum Children<'a> {
    Map(std::slice::Iter<'a, (String, Out)>),
    Seq(std::slice::Iter<'a, Out>),
}

impl Out {
    /// A scalar as a leaf; an empty collection of the same kind for the others.
    fn as_leaf(&self) -> Leaf<'_> {
        match self {
            Out::Null | Out::Map(_) | Out::Seq(_) => Leaf::Null,
            Out::Bool(b) => Leaf::Bool(*b),
            Out::Int(i) => Leaf::Int(*i),
            Out::Float(f) => Leaf::Float(*f),
            Out::Str(s) => Leaf::Str(s),
        }
    }
}

/// Builds the [`Out`] tree of the events it receives (one tree per
/// document: take it with [`OutBuilder::take`]).
#[derive(Default)]
pub struct OutBuilder {
    /// Open collections, each with the key it goes under in its parent.
    stack: Vec<(Option<String>, Out)>,
    key: Option<String>,
    done: Option<Out>,
}

impl OutBuilder {
    pub fn new() -> Self {
        OutBuilder::default()
    }

    /// The last tree completed.
    pub fn take(&mut self) -> Option<Out> {
        self.done.take()
    }

    fn add(&mut self, value: Out) {
        match self.stack.last_mut() {
            Some((_, Out::Map(entries))) => entries.push((self.key.take().unwrap_or_default(), value)),
            Some((_, Out::Seq(items))) => items.push(value),
            Some(_) | None => self.done = Some(value),
        }
    }
}

impl Sink for OutBuilder {
    fn begin_map(&mut self) {
        self.stack.push((self.key.take(), Out::Map(Vec::new())));
    }

    fn begin_seq(&mut self) {
        self.stack.push((self.key.take(), Out::Seq(Vec::new())));
    }

    fn end(&mut self) {
        if let Some((key, value)) = self.stack.pop() {
            self.key = key;
            self.add(value);
        }
    }

    fn key(&mut self, key: &str) {
        self.key = Some(key.to_owned());
    }

    fn leaf(&mut self, leaf: Leaf<'_>) {
        self.add(match leaf {
            Leaf::Null => Out::Null,
            Leaf::Bool(b) => Out::Bool(b),
            Leaf::Int(i) => Out::Int(i),
            Leaf::Float(f) => Out::Float(f),
            Leaf::Str(s) => Out::Str(s.to_owned()),
        });
    }
}

/// Keys longer than this (as written) need the explicit `? key` form: YAML
/// limits an implicit key to 1024 characters.
const MAX_IMPLICIT_KEY: usize = 1024;

/// Where a node is written, which decides its indentation.
#[derive(Clone, Copy)]
enum Place {
    /// A whole document, at column 0.
    Root,
    /// After `key:` (no space yet), the key at this column.
    Value(usize),
    /// After `- `, the dash at this column.
    Item(usize),
    /// After the `:` of an explicit key (`? key`), at this column.
    Explicit(usize),
}

/// A collection being written: where it stands, and once its first child
/// came (an empty one is written `{}` or `[]` when it closes), the column
/// its children go at and whether the next one continues the current line
/// (the first child of a collection in a sequence item).
struct Open {
    seq: bool,
    place: Place,
    started: bool,
    column: usize,
    inline: bool,
}

/// Writes the YAML of the events it receives (see [`to_yaml`] for the
/// layout). Call [`YamlWriter::document`] before each document.
pub struct YamlWriter {
    out: String,
    stack: Vec<Open>,
    /// Where the next value goes.
    next: Place,
    documents: usize,
}

impl Default for YamlWriter {
    fn default() -> Self {
        YamlWriter::new()
    }
}

impl YamlWriter {
    pub fn new() -> Self {
        YamlWriter {
            out: String::new(),
            stack: Vec::new(),
            next: Place::Root,
            documents: 0,
        }
    }

    /// Starts a document (after a `---` line if it is not the first).
    pub fn document(&mut self) {
        if self.documents > 0 {
            self.out.push_str("---\n");
        }
        self.documents += 1;
        self.stack.clear();
        self.next = Place::Root;
    }

    pub fn finish(self) -> String {
        self.out
    }

    /// The innermost collection, its line break or space written before its
    /// first child, and the indentation of that child.
    fn child(&mut self) -> Option<(&mut String, usize)> {
        let open = self.stack.last_mut()?;
        if !open.started {
            open.started = true;
            let (column, inline) = match (open.place, open.seq) {
                (Place::Root, _) => (0, false),
                // Sequences are not indented under their key, maps are.
                (Place::Value(column) | Place::Explicit(column), true) => {
                    self.out.push('\n');
                    (column, false)
                }
                (Place::Value(column), false) => {
                    self.out.push('\n');
                    (column + 2, false)
                }
                (Place::Item(column), _) => (column + 2, true),
                // A map after `:` starts on its line, like one after `- `.
                (Place::Explicit(column), false) => {
                    self.out.push(' ');
                    (column + 2, true)
                }
            };
            open.column = column;
            open.inline = inline;
        }
        if !std::mem::take(&mut open.inline) {
            indent(&mut self.out, open.column);
        }
        Some((&mut self.out, open.column))
    }

    /// What comes before a value: `- ` in a sequence.
    fn value(&mut self) {
        if self.stack.last().is_some_and(|open| open.seq) {
            if let Some((out, column)) = self.child() {
                out.push_str("- ");
                self.next = Place::Item(column);
            }
        }
    }

    fn begin(&mut self, seq: bool) {
        self.value();
        self.stack.push(Open {
            seq,
            place: self.next,
            started: false,
            column: 0,
            inline: false,
        });
    }

    /// A scalar, `{}` or `[]` at `place`, and the line break after it.
    fn scalar(&mut self, leaf: Leaf<'_>, place: Place) {
        let out = &mut self.out;
        if let Place::Value(_) | Place::Explicit(_) = place {
            out.push(' ');
        }
        match leaf {
            Leaf::Str(s) => {
                // Block scalars sit one step deeper than what they belong to.
                let body = match place {
                    Place::Root => 2,
                    Place::Value(column) | Place::Item(column) | Place::Explicit(column) => column + 2,
                };
                return style::value(out, s, body);
            }
            Leaf::Null => out.push_str("null"),
            Leaf::Bool(b) => out.push_str(if b { "true" } else { "false" }),
            Leaf::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Leaf::Float(f) => float(out, f),
        }
        out.push('\n');
    }
}

impl Sink for YamlWriter {
    fn begin_map(&mut self) {
        self.begin(false);
    }

    fn begin_seq(&mut self) {
        self.begin(true);
    }

    fn end(&mut self) {
        if let Some(open) = self.stack.pop() {
            if !open.started {
                let place = open.place;
                if let Place::Value(_) | Place::Explicit(_) = place {
                    self.out.push(' ');
                }
                self.out.push_str(if open.seq { "[]\n" } else { "{}\n" });
            }
        }
    }

    /// Writes `key:` (or `? key` and `:` on the next line for a long key);
    /// its value goes after it.
    fn key(&mut self, key: &str) {
        let Some((out, column)) = self.child() else {
            return;
        };
        let start = out.len();
        style::key(out, key);
        let written = &out[start..];
        self.next = if written.len() > MAX_IMPLICIT_KEY && written.chars().count() > MAX_IMPLICIT_KEY {
            out.insert_str(start, "? ");
            out.push('\n');
            indent(out, column);
            out.push(':');
            Place::Explicit(column)
        } else {
            out.push(':');
            Place::Value(column)
        };
    }

    fn leaf(&mut self, leaf: Leaf<'_>) {
        self.value();
        self.scalar(leaf, self.next);
    }
}

/// The shortest digits that read back as `f` (zmij, as serde_json and
/// serde-saphyr write them), always with a `.` and a signed exponent so that
/// no reader takes it for an integer (`10.0`, `1.0e+20`), and `.inf`,
/// `-.inf`, `.nan` for the rest.
fn float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str(".nan");
    } else if f.is_infinite() {
        out.push_str(if f < 0.0 { "-.inf" } else { ".inf" });
    } else {
        let mut buffer = zmij::Buffer::new();
        let digits = buffer.format_finite(f);
        match digits.split_once(['e', 'E']) {
            Some((mantissa, exponent)) => {
                out.push_str(mantissa);
                if !mantissa.contains('.') {
                    out.push_str(".0");
                }
                out.push('e');
                if !exponent.starts_with(['+', '-']) {
                    out.push('+');
                }
                out.push_str(exponent);
            }
            None => {
                out.push_str(digits);
                if !digits.contains('.') {
                    out.push_str(".0");
                }
            }
        }
    }
}

/// JSON: one object for one document; a `v1` `List` for several, as
/// `kubectl get -o json` prints them.
pub fn to_json(documents: &[Out]) -> String {
    let mut text = match documents {
        [one] => to_json_one(one),
        many => to_json_one(&Out::Map(vec![
            ("apiVersion".into(), Out::str("v1")),
            ("kind".into(), Out::str("List")),
            ("items".into(), Out::Seq(many.to_vec())),
        ])),
    };
    text.push('\n');
    text
}

fn to_json_one(doc: &Out) -> String {
    serde_json::to_string_pretty(doc).unwrap_or_else(|_| "null".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(entries: Vec<(&str, Out)>) -> Out {
        Out::Map(entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    #[test]
    fn yaml_quotes_what_yaml_1_1_would_misread() {
        let doc = m([
            "on", "yes", "No", "0755", "1e3", "null", "~", "true", "80", "y", "plain",
        ]
        .iter()
        .map(|s| (*s, Out::str(*s)))
        .collect());
        let text = to_yaml(&[doc]);
        for word in ["on", "yes", "No", "0755", "1e3", "null", "~", "true", "80", "y"] {
            let line = text
                .lines()
                .find(|l| {
                    l.starts_with(&format!("{word}:"))
                        || l.starts_with(&format!("\"{word}\":"))
                        || l.starts_with(&format!("'{word}':"))
                })
                .unwrap_or_else(|| panic!("no line for {word} in\n{text}"));
            let value = line.split_once(": ").unwrap().1;
            assert!(
                value.starts_with('"') || value.starts_with('\''),
                "{word} unquoted: {line}"
            );
        }
        assert!(text.contains("plain: plain"));
    }

    #[test]
    fn yaml_uses_kubectl_list_layout() {
        let doc = m(vec![(
            "spec",
            m(vec![(
                "ingress",
                Out::Seq(vec![m(vec![(
                    "from",
                    Out::Seq(vec![m(vec![("podSelector", m(vec![]))])]),
                )])]),
            )]),
        )]);
        assert_eq!(to_yaml(&[doc]), "spec:\n  ingress:\n  - from:\n    - podSelector: {}\n");
    }

    #[test]
    fn yaml_nests_sequences_and_maps_in_items_on_the_dash_line() {
        let doc = Out::Seq(vec![
            Out::Seq(vec![
                Out::str("a"),
                m(vec![("b", Out::Int(1)), ("c", Out::Seq(vec![Out::Null]))]),
            ]),
            m(vec![("d", m(vec![("e", Out::Bool(true))])), ("f", Out::Seq(vec![]))]),
        ]);
        assert_eq!(
            to_yaml(&[doc, Out::str("x")]),
            "- - a\n  - b: 1\n    c:\n    - null\n- d:\n    e: true\n  f: []\n---\nx\n"
        );
    }

    #[test]
    fn yaml_floats_always_read_as_floats() {
        let floats = [1.5, 10.0, -0.0, 1e20, 1.25e-7, 123456.789, f64::INFINITY, f64::NAN];
        let text = to_yaml(&[Out::Seq(floats.iter().map(|f| Out::Float(*f)).collect())]);
        assert_eq!(
            text,
            "- 1.5\n- 10.0\n- -0.0\n- 1.0e+20\n- 1.25e-7\n- 123456.789\n- .inf\n- .nan\n"
        );
    }

    #[test]
    fn yaml_writes_long_keys_explicitly() {
        let key = "k".repeat(1025);
        let text = to_yaml(&[m(vec![(&key, m(vec![("a", Out::Int(1)), ("b", Out::Int(2))]))])]);
        assert_eq!(text, format!("? {key}\n: a: 1\n  b: 2\n"));
    }

    #[test]
    fn json_wraps_several_documents_in_a_list() {
        let a = m(vec![("kind", Out::str("A"))]);
        let text = to_json(&[a.clone(), a]);
        assert!(text.contains("\"kind\": \"List\""));
    }
}
