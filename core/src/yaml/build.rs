//! Building a document's [`Node`] tree from its [events](super::events).
//!
//! Open collections live on an explicit stack rather than the call stack, so
//! nesting is bounded by the [limits](super::limits) alone, never by the
//! 1 MiB stack of a browser. The only recursion is for complex keys and
//! merged entries, which are read from captured events; both are bounded by
//! the nesting limit too.

use std::collections::HashSet;

use granit_parser::ScalarStyle;

use super::events::{Events, Failure, Kind, Origin, Replay, Source};
use super::merge::{self, Fingerprint, Pending, CYCLE};
use super::scalar;
use super::{Entry, Node, Value};
use crate::source::Span;

/// Reads the one document in `text`, which starts at byte `base` of the
/// whole input; spans in the tree are in the whole input.
pub(super) fn document(text: &str, base: usize) -> Result<Node, Failure> {
    let mut events = Events::new(text);
    let reader = Reader {
        text,
        base,
        // A merge key is a plain `<<`, or a tagged one; without either in
        // the text, key fingerprints are never needed.
        merges: text.contains("<<") || text.contains('!'),
    };
    let root = reader.node(&mut events, Place::Root)?;
    events.end()?;
    Ok(root)
}

/// Where a node stands in its parent.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Root,
    Key,
    Value,
    Item,
}

impl Place {
    /// The alias a node stands for, when problems inside it are to be
    /// reported there: for values and list items, not for keys.
    fn alias(self, origin: Origin) -> Option<Span> {
        match (self, origin) {
            (Place::Value | Place::Item, Origin::Alias(at)) => Some(at),
            _ => None,
        }
    }
}

struct Reader<'t> {
    text: &'t str,
    base: usize,
    merges: bool,
}

/// A collection being read.
struct Open<'i> {
    /// Its own span, before widening to its content.
    span: Span,
    alias: Option<Span>,
    body: Body<'i>,
}

enum Body<'i> {
    Seq(Vec<Node>),
    Map {
        entries: Vec<Entry>,
        key: Option<Node>,
        /// Fingerprints of the keys written in the mapping (when merges are
        /// possible).
        keys: Vec<Fingerprint<'i>>,
        merged: Vec<Vec<Pending<'i>>>,
    },
}

impl Reader<'_> {
    /// Reads one node from `src`.
    fn node<'i>(&self, src: &mut dyn Source<'i>, place: Place) -> Result<Node, Failure> {
        let mut stack = Vec::new();
        self.fill(src, place, &mut stack).map_err(|mut failure| {
            // Inside a replayed alias, every problem is reported at the alias.
            if let Some(alias) = stack.iter().find_map(|open| open.alias) {
                failure.at = alias.start;
            }
            failure
        })
    }

    fn fill<'i>(&self, src: &mut dyn Source<'i>, root: Place, stack: &mut Vec<Open<'i>>) -> Result<Node, Failure> {
        loop {
            let Some((ev, origin)) = src.next()? else {
                return Err(Failure::end_of_input(src.last()));
            };
            // A key of an open mapping (not the key read on its own below).
            let mut entry_key = false;
            let place = match stack.last() {
                None => root,
                Some(Open { body: Body::Seq(_), .. }) => Place::Item,
                Some(Open {
                    body: Body::Map { key: None, .. },
                    ..
                }) => {
                    entry_key = true;
                    Place::Key
                }
                Some(Open { .. }) => Place::Value,
            };
            let mut fingerprint = None;
            let node = match ev.kind {
                Kind::SeqEnd | Kind::MapEnd => match stack.pop() {
                    Some(open) => self.close(open)?,
                    None => return Err(Failure::new(ev.at.start, "unexpected container end")),
                },
                Kind::SeqStart { .. } | Kind::MapStart { .. } if entry_key => {
                    // A complex key is read whole before it is converted, as
                    // a key must be complete to be compared.
                    let items = merge::capture_from(src, (ev, origin))?;
                    if self.merges {
                        fingerprint = Some(Fingerprint::of(&items));
                    }
                    self.node(&mut Replay::new(items), Place::Key)?
                }
                Kind::SeqStart { .. } | Kind::MapStart { .. } => {
                    let body = match ev.kind {
                        Kind::SeqStart { .. } => Body::Seq(Vec::new()),
                        _ => Body::Map {
                            entries: Vec::new(),
                            key: None,
                            keys: Vec::new(),
                            merged: Vec::new(),
                        },
                    };
                    stack.push(Open {
                        span: self.span(origin.span(ev.at)),
                        alias: place.alias(origin),
                        body,
                    });
                    continue;
                }
                Kind::Scalar { .. } if entry_key && self.merges && ev.kind.is_merge_key() => {
                    let entries = merge::read(src)?;
                    if let Some(Open {
                        body: Body::Map { merged, .. },
                        ..
                    }) = stack.last_mut()
                    {
                        if !entries.is_empty() {
                            merged.push(entries);
                        }
                    }
                    continue;
                }
                Kind::Scalar {
                    ref text,
                    style,
                    ref tag,
                } => {
                    if entry_key && self.merges {
                        fingerprint = Some(Fingerprint::leaf(&ev.kind));
                    }
                    let plain = style == ScalarStyle::Plain;
                    let value = scalar::resolve(text, plain, tag.as_ref().map(|t| t.kind)).map_err(|e| {
                        let at = place.alias(origin).unwrap_or(ev.at);
                        Failure::new(at.start, e.to_string())
                    })?;
                    Node {
                        span: self.span(origin.span(ev.at)),
                        value,
                    }
                }
                Kind::Cycle { .. } => {
                    let at = place.alias(origin).unwrap_or(ev.at);
                    return Err(Failure::new(at.start, CYCLE));
                }
            };
            match stack.last_mut() {
                None => return Ok(node),
                Some(Open {
                    body: Body::Seq(items), ..
                }) => items.push(node),
                Some(Open {
                    body: Body::Map { entries, key, keys, .. },
                    ..
                }) => match key.take() {
                    Some(key) => entries.push(Entry { key, value: node }),
                    None => {
                        *key = Some(node);
                        keys.extend(fingerprint);
                    }
                },
            }
        }
    }

    /// Finishes a collection: merged entries are added, and its span widened
    /// to cover its content.
    fn close(&self, open: Open<'_>) -> Result<Node, Failure> {
        let (value, covered) = match open.body {
            Body::Seq(items) => {
                let covered = items.iter().fold(open.span, |acc, n| acc.cover(n.span));
                (Value::Seq(items), covered)
            }
            Body::Map {
                mut entries,
                keys,
                merged,
                ..
            } => {
                if !merged.is_empty() {
                    self.merge(&mut entries, keys, merged).map_err(|mut failure| {
                        if let Some(alias) = open.alias {
                            failure.at = alias.start;
                        }
                        failure
                    })?;
                }
                let covered = entries
                    .iter()
                    .fold(open.span, |acc, e| acc.cover(e.key.span).cover(e.value.span));
                (Value::Map(entries), covered)
            }
        };
        Ok(Node {
            span: self.close_flow(covered),
            value,
        })
    }

    /// Adds the merged entries whose keys are not there yet.
    fn merge<'i>(
        &self,
        entries: &mut Vec<Entry>,
        keys: Vec<Fingerprint<'i>>,
        merged: Vec<Vec<Pending<'i>>>,
    ) -> Result<(), Failure> {
        let mut seen: HashSet<Fingerprint<'i>> = keys.into_iter().collect();
        for pending in merged.into_iter().flatten() {
            if seen.contains(&pending.key) {
                continue;
            }
            let key = self.node(&mut Replay::new(pending.key_events), Place::Key)?;
            let value = self.node(&mut Replay::new(pending.value_events), Place::Value)?;
            entries.push(Entry { key, value });
            seen.insert(pending.key);
        }
        Ok(())
    }

    /// The span of a node reported at `at` (bytes of the document), in the
    /// whole input. Block scalars end before their trailing blank lines.
    fn span(&self, at: Span) -> Span {
        let start = at.start.min(self.text.len());
        let end = at.end.min(self.text.len()).max(start);
        let content = self.text.get(start..end).map_or(0, |s| s.trim_end().len());
        Span::new(start, start + content).offset(self.base)
    }

    /// A flow collection (`{...}`, `[...]`) ends at its closing bracket, after
    /// its last child (or its opening bracket when empty); block collections
    /// end with their last child.
    fn close_flow(&self, span: Span) -> Span {
        let bytes = self.text.as_bytes();
        let closing = match bytes.get(span.start.saturating_sub(self.base)) {
            Some(b'{') => b'}',
            Some(b'[') => b']',
            _ => return span,
        };
        let mut i = span.end.saturating_sub(self.base);
        while i < bytes.len() {
            match bytes[i] {
                b' ' | b'\t' | b'\r' | b'\n' | b',' => i += 1,
                b'#' => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                b if b == closing => return Span::new(span.start, i + 1 + self.base),
                _ => return span,
            }
        }
        span
    }
}
