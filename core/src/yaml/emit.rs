//! Writing manifests as YAML or JSON that kubectl accepts.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

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

/// YAML in kubectl's layout (two-space indent, list items level with their
/// key), documents separated by `---`. Strings that a YAML 1.1 reader would
/// take for a boolean, number or null (`on`, `yes`, `0755`, `1e3`, `~`) are
/// quoted, so kubectl reads back exactly what we wrote.
pub fn to_yaml(documents: &[Out]) -> String {
    let options = serde_saphyr::ser_options! {
        indent_step: 2,
        compact_list_indent: true,
    };
    let mut out = String::new();
    for (i, doc) in documents.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        match serde_saphyr::to_string_with_options(doc, options.clone()) {
            Ok(text) => {
                out.push_str(&text);
                if !text.ends_with('\n') {
                    out.push('\n');
                }
            }
            // Serializing an in-memory tree of strings and numbers cannot
            // fail; if the library ever says otherwise, keep the document as
            // JSON, which is valid YAML too.
            Err(_) => {
                out.push_str(&to_json_one(doc));
                out.push('\n');
            }
        }
    }
    out
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
    fn json_wraps_several_documents_in_a_list() {
        let a = m(vec![("kind", Out::str("A"))]);
        let text = to_json(&[a.clone(), a]);
        assert!(text.contains("\"kind\": \"List\""));
    }
}
