//! Field paths into a document, rendered as the API server prints them:
//! `spec.ingress[0].from[1]`, with odd keys quoted (`labels["app.kubernetes.io/name"]`).

use std::borrow::Cow;

#[derive(Clone, Debug)]
enum Seg {
    Key(Cow<'static, str>),
    Index(usize),
}

/// A path being walked: push when going in, pop when coming out.
#[derive(Clone, Debug, Default)]
pub(crate) struct FieldPath(Vec<Seg>);

impl FieldPath {
    /// The path of a document: empty, or `items[i]` for an item of a `List`.
    pub fn document(item: Option<usize>) -> Self {
        match item {
            Some(i) => FieldPath(vec![Seg::Key(Cow::Borrowed("items")), Seg::Index(i)]),
            None => FieldPath::default(),
        }
    }

    /// Back to the path of a document (see [`FieldPath::document`]),
    /// keeping the room it has.
    pub fn start_document(&mut self, item: Option<usize>) {
        self.0.clear();
        if let Some(i) = item {
            self.0.extend([Seg::Key(Cow::Borrowed("items")), Seg::Index(i)]);
        }
    }

    pub fn push_key(&mut self, key: impl Into<Cow<'static, str>>) {
        self.0.push(Seg::Key(key.into()));
    }

    pub fn push_index(&mut self, index: usize) {
        self.0.push(Seg::Index(index));
    }

    pub fn pop(&mut self) {
        self.0.pop();
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        for seg in &self.0 {
            match seg {
                Seg::Key(k) if is_plain_key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Seg::Key(k) => {
                    out.push_str("[\"");
                    out.push_str(&k.replace('\\', "\\\\").replace('"', "\\\""));
                    out.push_str("\"]");
                }
                Seg::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        out
    }
}

fn is_plain_key(key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_like_the_api_server() {
        let mut path = FieldPath::document(None);
        for key in ["spec", "egress"] {
            path.push_key(key);
        }
        path.push_index(0);
        path.push_key("to");
        path.push_index(1);
        path.push_key("ipBlock");
        assert_eq!(path.render(), "spec.egress[0].to[1].ipBlock");
        let mut labels = FieldPath::document(Some(2));
        labels.push_key("metadata");
        labels.push_key("labels");
        labels.push_key("app.kubernetes.io/name");
        assert_eq!(labels.render(), "items[2].metadata.labels[\"app.kubernetes.io/name\"]");
    }
}
