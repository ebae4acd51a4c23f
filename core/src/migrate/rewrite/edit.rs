//! Where a change goes in the original text, so that the diff stays small
//! and comments and layout survive: new items are placed as lines of the
//! block sequence they join, at its dash's column, and the lines
//! themselves are written by `emit/` from models, never from templates.
//! When a list is written in flow style (or a line cannot be placed
//! safely), the whole document is written again from its changed model.

use std::ops::Range;

use super::super::Edit;
use crate::convert::build::{s, sp};
use crate::emit::{self, Format};
use crate::model::{
    Document, Kind, Manifest, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicyRule, NetworkPolicySpec,
};
use crate::source::Span;
use crate::yaml::{to_yaml, Out};

/// An item of a block sequence, as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Item {
    /// Start of the line holding the item's dash.
    pub line_start: usize,
    /// The dash's column (in bytes; only spaces precede it).
    pub dash: usize,
    /// Start of the line after the item's last line (or the text's end).
    pub next_line: usize,
    /// The item's last line is the text's last, without a line break.
    pub at_end: bool,
}

/// The block-sequence item whose content is `span`: only when the content
/// starts on the dash's line (`- ipBlock:`) and nothing but a comment
/// follows its last value, so lines can be added or replaced around it.
pub(super) fn item(text: &str, span: Span) -> Option<Item> {
    if span.is_empty() || span.end > text.len() || !text.is_char_boundary(span.start) {
        return None;
    }
    let line_start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let prefix = &text[line_start..span.start];
    let after_indent = prefix.trim_start_matches(' ');
    let dash = prefix.len() - after_indent.len();
    let marker = after_indent.strip_prefix('-')?;
    if marker.is_empty() || !marker.chars().all(|c| c == ' ') {
        return None;
    }
    if !text.is_char_boundary(span.end) {
        return None;
    }
    let line_end = text[span.end..].find('\n').map(|i| span.end + i);
    let rest = &text[span.end..line_end.unwrap_or(text.len())];
    let rest = rest.trim_start_matches([' ', '\t']).trim_end_matches('\r');
    if !(rest.is_empty() || rest.starts_with('#')) {
        return None;
    }
    Some(Item {
        line_start,
        dash,
        next_line: line_end.map_or(text.len(), |e| e + 1),
        at_end: line_end.is_none(),
    })
}

/// `lines` (each ending with a line break) shifted right by `column` spaces.
pub(super) fn indent(lines: &str, column: usize) -> String {
    let pad = " ".repeat(column);
    let mut out = String::with_capacity(lines.len() + column * 4);
    for line in lines.lines() {
        out.push_str(&pad);
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// New items for the sequence that `after` belongs to, placed right after it.
pub(super) fn insert_after(after: Item, lines: &str) -> (Range<usize>, String) {
    let mut replacement = String::new();
    if after.at_end {
        replacement.push('\n');
    }
    replacement.push_str(&indent(lines, after.dash));
    (after.next_line..after.next_line, replacement)
}

/// `item`'s lines replaced by `lines` (its trailing comment goes with it).
pub(super) fn replace_item(item: Item, lines: &str) -> (Range<usize>, String) {
    let mut replacement = indent(lines, item.dash);
    if item.at_end {
        replacement.pop();
    }
    (item.line_start..item.next_line, replacement)
}

/// The peers as the items of a `to:`/`from:` list, written by the
/// NetworkPolicy emitter (one item per peer, each ending with a line break).
pub(super) fn peer_lines(peers: Vec<NetworkPolicyPeer>) -> String {
    rule_part(
        NetworkPolicyRule {
            peers: Some(sp(peers.into_iter().map(sp).collect())),
            ports: None,
        },
        "to",
    )
}

/// The ports as the items of a `ports:` list.
pub(super) fn port_lines(ports: Vec<NetworkPolicyPort>) -> String {
    rule_part(
        NetworkPolicyRule {
            peers: None,
            ports: Some(sp(ports.into_iter().map(sp).collect())),
        },
        "ports",
    )
}

/// One field of an egress rule, emitted inside a throwaway policy and cut
/// out of its output tree.
fn rule_part(rule: NetworkPolicyRule, field: &str) -> String {
    let policy = NetworkPolicy {
        metadata: sp(Default::default()),
        spec: Some(sp(NetworkPolicySpec {
            egress: Some(sp(vec![sp(rule)])),
            ..NetworkPolicySpec::default()
        })),
    };
    let doc = crate::convert::build::document(0, Kind::NetworkPolicy, Manifest::NetworkPolicy(policy));
    let part = emit::document(&doc)
        .and_then(|out| field_of(out, "spec"))
        .and_then(|out| field_of(out, "egress"))
        .and_then(|out| match out {
            Out::Seq(mut items) if !items.is_empty() => Some(items.swap_remove(0)),
            _ => None,
        })
        .and_then(|out| field_of(out, field));
    part.map(|p| to_yaml(std::slice::from_ref(&p))).unwrap_or_default()
}

fn field_of(out: Out, key: &str) -> Option<Out> {
    match out {
        Out::Map(entries) => entries.into_iter().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

/// The whole document written again from `policy` (layout normalised,
/// comments of this document lost): the fallback when lines cannot be placed.
/// `None` for an item of a `List`, which has no document of its own.
pub(super) fn replace_document(
    text: &str,
    document: &Document,
    policy: NetworkPolicy,
) -> Option<(Range<usize>, String)> {
    if !document.path.is_empty() {
        return None;
    }
    let own = text.get(document.span.start..document.span.end)?;
    // Keep a leading `---` line where it is.
    let mut start = document.span.start;
    if let Some(rest) = own.strip_prefix("---") {
        let skip = rest.find('\n').map_or(own.len(), |i| 3 + i + 1);
        start += skip;
    }
    let rewritten = Document {
        manifest: Manifest::NetworkPolicy(policy),
        source: None,
        api_version: document
            .api_version
            .clone()
            .or_else(|| Some(s(Kind::NetworkPolicy.api_version()))),
        kind: document.kind.clone().or_else(|| Some(s(Kind::NetworkPolicy.name()))),
        ..document.clone()
    };
    let mut yaml = emit::emit(&[&rewritten], Format::Yaml);
    while yaml.ends_with('\n') {
        yaml.pop();
    }
    (start <= document.span.end).then_some((start..document.span.end, yaml))
}

/// Where documents inserted after `document` go: the start of the line
/// after its last line, introduced by `---`.
pub(super) fn after_document(text: &str, document: &Document) -> Option<(usize, bool)> {
    if !document.path.is_empty() || document.span.end > text.len() || !text.is_char_boundary(document.span.end) {
        return None;
    }
    let end = document.span.end;
    Some(match text[end..].find('\n') {
        Some(i) => (end + i + 1, false),
        None => (text.len(), true),
    })
}

/// A new document as inserted text (`---` and its YAML).
pub(super) fn document_text(document: &Document, at_end: bool) -> String {
    let yaml = emit::emit(&[document], Format::Yaml);
    if at_end {
        format!("\n---\n{}", yaml.trim_end_matches('\n'))
    } else {
        format!("---\n{yaml}")
    }
}

/// `text` with `edits` applied (sorted by position; insertions at one
/// point keep their order).
pub(super) fn apply(text: &str, edits: &[Edit]) -> String {
    let mut out = String::with_capacity(text.len() + edits.iter().map(|e| e.replacement.len()).sum::<usize>());
    let mut at = 0;
    for e in edits {
        if e.range.start < at || e.range.end > text.len() {
            continue;
        }
        out.push_str(&text[at..e.range.start]);
        out.push_str(&e.replacement);
        at = e.range.end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LabelSelector;

    #[test]
    fn items_are_found_only_where_lines_can_be_placed() {
        let text = "to:\n    - ipBlock:\n        cidr: 0.0.0.0/0 # all\n    ports: []\n";
        let start = text.find("ipBlock").unwrap();
        let end = text.find(" # all").unwrap();
        let it = item(text, Span::new(start, end)).unwrap();
        assert_eq!(it.dash, 4);
        assert_eq!(&text[it.next_line..], "    ports: []\n");
        let flow = "to: [{ipBlock: {cidr: 0.0.0.0/0}}]\n";
        assert_eq!(item(flow, Span::new(5, 33)), None);
    }

    #[test]
    fn peers_are_written_by_the_emitter() {
        let peer = NetworkPolicyPeer {
            namespace_selector: Some(sp(LabelSelector::default())),
            ..NetworkPolicyPeer::default()
        };
        assert_eq!(peer_lines(vec![peer]), "- namespaceSelector: {}\n");
        assert_eq!(indent("- a\n  b: 1\n", 4), "    - a\n      b: 1\n");
    }
}
