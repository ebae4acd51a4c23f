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
    let mut out = String::new();
    for (i, doc) in documents.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        document(&mut out, doc);
    }
    out
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

/// A collection being written: its remaining children, the column they go
/// at, and whether the next one continues the current line (the first child
/// of a collection in a sequence item).
struct Open<'a> {
    children: Children<'a>,
    column: usize,
    inline: bool,
}

enum Children<'a> {
    Map(std::slice::Iter<'a, (String, Out)>),
    Seq(std::slice::Iter<'a, Out>),
}

/// One document. Nesting is kept on an explicit stack, so no tree is too
/// deep to write.
fn document(out: &mut String, root: &Out) {
    let mut stack = Vec::new();
    node(out, root, Place::Root, &mut stack);
    while let Some(open) = stack.last_mut() {
        let inline = std::mem::take(&mut open.inline);
        let column = open.column;
        let (value, place) = match &mut open.children {
            Children::Map(entries) => {
                let Some((k, v)) = entries.next() else {
                    stack.pop();
                    continue;
                };
                if !inline {
                    indent(out, column);
                }
                (v, map_key(out, k, column))
            }
            Children::Seq(items) => {
                let Some(v) = items.next() else {
                    stack.pop();
                    continue;
                };
                if !inline {
                    indent(out, column);
                }
                out.push_str("- ");
                (v, Place::Item(column))
            }
        };
        node(out, value, place, &mut stack);
    }
}

/// Writes `key:` (or `? key` and `:` on the next line for a long key) and
/// says where its value goes.
fn map_key(out: &mut String, key: &str, column: usize) -> Place {
    let start = out.len();
    style::key(out, key);
    let written = &out[start..];
    if written.len() > MAX_IMPLICIT_KEY && written.chars().count() > MAX_IMPLICIT_KEY {
        out.insert_str(start, "? ");
        out.push('\n');
        indent(out, column);
        out.push(':');
        Place::Explicit(column)
    } else {
        out.push(':');
        Place::Value(column)
    }
}

/// Writes a scalar or an empty collection whole, or the line break before a
/// collection's children and pushes it on `stack`.
fn node<'a>(out: &mut String, value: &'a Out, place: Place, stack: &mut Vec<Open<'a>>) {
    let children = match value {
        Out::Map(entries) if !entries.is_empty() => Children::Map(entries.iter()),
        Out::Seq(items) if !items.is_empty() => Children::Seq(items.iter()),
        scalar => {
            if let Place::Value(_) | Place::Explicit(_) = place {
                out.push(' ');
            }
            // Block scalars sit one step deeper than what they belong to.
            let body = match place {
                Place::Root => 2,
                Place::Value(column) | Place::Item(column) | Place::Explicit(column) => column + 2,
            };
            return leaf(out, scalar, body);
        }
    };
    let (column, inline) = match (place, &children) {
        (Place::Root, _) => (0, false),
        // Sequences are not indented under their key, maps are.
        (Place::Value(column) | Place::Explicit(column), Children::Seq(_)) => {
            out.push('\n');
            (column, false)
        }
        (Place::Value(column), Children::Map(_)) => {
            out.push('\n');
            (column + 2, false)
        }
        (Place::Item(column), _) => (column + 2, true),
        // A map after `:` starts on its line, like one after `- `.
        (Place::Explicit(column), Children::Map(_)) => {
            out.push(' ');
            (column + 2, true)
        }
    };
    stack.push(Open {
        children,
        column,
        inline,
    });
}

/// A scalar, `{}` or `[]`, and the line break after it.
fn leaf(out: &mut String, value: &Out, body: usize) {
    match value {
        Out::Str(s) => return style::value(out, s, body),
        Out::Null => out.push_str("null"),
        Out::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Out::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Out::Float(f) => float(out, *f),
        Out::Map(_) => out.push_str("{}"),
        Out::Seq(_) => out.push_str("[]"),
    }
    out.push('\n');
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
