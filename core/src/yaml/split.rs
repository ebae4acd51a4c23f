//! Splitting a stream into documents, so that a syntax error in one document
//! never hides the others.

use super::build;
use super::Node;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::Span;

/// One document of the stream, before anything is known about its kind.
#[derive(Clone, Debug, PartialEq)]
pub struct RawDocument {
    /// The document's text in the whole input, from its `---` marker (if any).
    pub span: Span,
    /// The tree, or `None` when the document is not well-formed.
    pub root: Option<Node>,
    /// Why `root` is missing.
    pub error: Option<Diagnostic>,
}

/// Parses every document of `text`. Documents that hold nothing (only
/// comments or whitespace) are skipped, as kubectl skips them.
pub fn parse_stream(text: &str) -> Vec<RawDocument> {
    let text_start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    chunks(text, text_start)
        .into_iter()
        .filter(|c| has_content(&text[c.start..c.end]))
        .map(|c| parse_chunk(text, c))
        .collect()
}

/// Byte ranges of the documents: a line starting with `---` (followed by
/// nothing or whitespace) starts a document. YAML forbids such a line inside
/// any scalar, so this is exact, and it lets every document be parsed on its
/// own. Directive-only chunks (`%YAML 1.2`) join the document that follows.
fn chunks(text: &str, from: usize) -> Vec<Span> {
    let mut starts = vec![from];
    let mut offset = from;
    for line in text[from..].split_inclusive('\n') {
        if offset != from && is_document_marker(line) {
            starts.push(offset);
        }
        offset += line.len();
    }
    let mut spans: Vec<Span> = starts
        .windows(2)
        .map(|w| Span::new(w[0], w[1]))
        .chain(starts.last().map(|&s| Span::new(s, text.len())))
        .collect();
    // Merge a directive-only chunk into its successor.
    let mut i = 0;
    while i + 1 < spans.len() {
        if is_directives_only(&text[spans[i].start..spans[i].end]) {
            spans[i + 1].start = spans[i].start;
            spans.remove(i);
        } else {
            i += 1;
        }
    }
    spans
}

fn is_document_marker(line: &str) -> bool {
    line.strip_prefix("---")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}

fn meaningful_lines(chunk: &str) -> impl Iterator<Item = &str> {
    chunk
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

fn is_directives_only(chunk: &str) -> bool {
    let mut lines = meaningful_lines(chunk).peekable();
    lines.peek().is_some() && lines.all(|l| l.starts_with('%'))
}

/// Whether a chunk holds a document: anything but comments, blank lines,
/// directives and the markers themselves.
fn has_content(chunk: &str) -> bool {
    meaningful_lines(chunk).any(|l| {
        let marker_rest = l.strip_prefix("---").map(str::trim_start);
        match marker_rest {
            Some(rest) => !rest.is_empty() && !rest.starts_with('#'),
            None => l != "..." && !l.starts_with('%'),
        }
    })
}

fn parse_chunk(text: &str, span: Span) -> RawDocument {
    let chunk = &text[span.start..span.end];
    match build::document(chunk, span.start) {
        Ok(root) => RawDocument {
            span,
            root: Some(root),
            error: None,
        },
        Err(failure) => {
            let mut at = failure.at.min(chunk.len());
            while !chunk.is_char_boundary(at) {
                at -= 1;
            }
            // Point at the rest of the line where the reader stopped.
            let line_end = chunk[at..].find('\n').map_or(chunk.len(), |i| at + i);
            let diagnostic = Diagnostic::new(
                Code::YamlSyntax,
                Span::new(at, line_end.max(at)).offset(span.start),
                format!("invalid YAML: {}", failure.message),
            )
            .with_hint("fix the syntax; the other documents are still checked");
            RawDocument {
                span,
                root: None,
                error: Some(diagnostic),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::Value;

    #[test]
    fn documents_are_split_at_markers_and_empty_ones_skipped() {
        let text = "# header\n---\na: 1\n---\n# nothing\n---\nb: [1, 2\nc: 3\n--- {d: 4}\n";
        let docs = parse_stream(text);
        assert_eq!(docs.len(), 3);
        assert!(docs[0].root.is_some());
        assert!(docs[1].root.is_none(), "a syntax error in the second document");
        let err = docs[1].error.as_ref().unwrap();
        assert_eq!(err.code, Code::YamlSyntax);
        assert!(err.span.start >= docs[1].span.start && err.span.start < docs[1].span.end);
        let d = docs[2].root.as_ref().unwrap();
        assert_eq!(d.get("d").map(|n| &n.value), Some(&Value::Int(4)));
        // Spans are in the whole text.
        let d_value = d.get("d").unwrap();
        assert_eq!(&text[d_value.span.start..d_value.span.end], "4");
    }

    #[test]
    fn a_marker_must_start_the_line() {
        let text = "a: |\n  ---\n  b\n";
        let docs = parse_stream(text);
        assert_eq!(docs.len(), 1);
        assert_eq!(
            docs[0].root.as_ref().unwrap().get("a").unwrap().as_str(),
            Some("---\nb\n")
        );
    }

    #[test]
    fn yaml_1_1_scalars_resolve_as_kubectl_reads_them() {
        let text = "a: on\nb: 'on'\nc: 0755\nd: 1e3\ne: ~\nf: \"80\"\ng: 80\n";
        let root = parse_stream(text).remove(0).root.unwrap();
        assert_eq!(root.get("a").unwrap().value, Value::Bool(true));
        assert_eq!(root.get("b").unwrap().value, Value::Str("on".into()));
        assert_eq!(root.get("c").unwrap().value, Value::Str("0755".into()));
        assert_eq!(root.get("d").unwrap().value, Value::Float(1000.0));
        assert_eq!(root.get("e").unwrap().value, Value::Null);
        assert_eq!(root.get("f").unwrap().value, Value::Str("80".into()));
        assert!(root.get("f").unwrap().is_quoted(text));
        assert_eq!(root.get("g").unwrap().value, Value::Int(80));
    }

    #[test]
    fn duplicate_keys_reach_the_reader() {
        let root = parse_stream("a: 1\na: 2\n").remove(0).root.unwrap();
        assert_eq!(root.as_map().unwrap().len(), 2);
    }

    #[test]
    fn json_and_byte_order_mark_are_accepted() {
        let text = "\u{feff}{\"kind\": \"List\", \"items\": []}";
        let docs = parse_stream(text);
        assert_eq!(docs.len(), 1);
        let kind = docs[0].root.as_ref().unwrap().get("kind").unwrap();
        assert_eq!(&text[kind.span.start..kind.span.end], "\"List\"");
    }

    #[test]
    fn directives_belong_to_the_next_document() {
        let docs = parse_stream("%YAML 1.2\n---\na: 1\n");
        assert_eq!(docs.len(), 1);
        assert!(docs[0].root.is_some(), "{:?}", docs[0].error);
    }
}
