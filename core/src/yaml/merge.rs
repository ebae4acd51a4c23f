//! Merge keys: `<<: *defaults` (YAML 1.1 merge type, which kubectl applies).
//!
//! The entries a merge brings in follow the mapping's own entries, and only
//! those whose key the mapping does not already have; of several merged
//! mappings (`<<: [*a, *b]`, or two `<<` keys) the first to have a key wins.
//! Merged entries are kept as events and only read once they are known to
//! be used, so an overridden entry can never be the reason a document is
//! refused.

use std::borrow::Cow;

use super::events::{Failure, Item, Kind, Replay, Source};
use super::scalar;
use super::tag::{NodeTag, TagKind};
use crate::source::Span;

/// An entry a merge brings in, not read yet.
pub(super) struct Pending<'i> {
    pub key: Fingerprint<'i>,
    pub key_events: Vec<Item<'i>>,
    pub value_events: Vec<Item<'i>>,
}

const NOT_MERGEABLE: &str = "YAML merge value must be mapping or sequence of mappings";
pub(super) const CYCLE: &str = "recursive references require weak recursion types";

/// Reads the value of a `<<` key from `src`: a mapping, a list of mappings
/// (and lists of those), or null.
pub(super) fn read<'i>(src: &mut dyn Source<'i>) -> Result<Vec<Pending<'i>>, Failure> {
    let Some((ev, origin)) = src.peek()? else {
        return Err(Failure::end_of_input(src.last()));
    };
    let from = origin.span(ev.at);
    match &ev.kind {
        Kind::MapStart { .. } => {
            let items = capture(src)?;
            captured(items, from)
        }
        Kind::SeqStart { .. } => {
            src.next()?;
            let mut entries = Vec::new();
            loop {
                let Some((ev, origin)) = src.peek()? else {
                    return Err(Failure::end_of_input(src.last()));
                };
                if matches!(ev.kind, Kind::SeqEnd) {
                    src.next()?;
                    return Ok(entries);
                }
                let from = origin.span(ev.at);
                let items = capture(src)?;
                entries.extend(captured(items, from)?);
            }
        }
        _ => {
            leaf(&ev.kind, ev.at)?;
            src.next()?;
            Ok(Vec::new())
        }
    }
}

/// A merge value that is not a collection: null merges nothing, anything
/// else is an error.
fn leaf(kind: &Kind, at: Span) -> Result<(), Failure> {
    match kind {
        Kind::Cycle { .. } => Err(Failure::new(at.start, CYCLE)),
        Kind::Scalar { text, style, tag } if scalar::is_null(tag.as_ref().map(|t| t.kind), text, plain(style)) => {
            Ok(())
        }
        _ => Err(Failure::new(at.start, NOT_MERGEABLE)),
    }
}

/// The entries of a captured merge value; `from` is where its nodes are
/// reported.
fn captured<'i>(items: Vec<Item<'i>>, from: Span) -> Result<Vec<Pending<'i>>, Failure> {
    let mut src = Replay::merged_from(items, from);
    let Some((ev, _)) = src.peek()? else {
        return Err(Failure::end_of_input(src.last()));
    };
    match &ev.kind {
        Kind::MapStart { .. } => entries(&mut src),
        Kind::SeqStart { .. } => {
            src.next()?;
            let mut entries = Vec::new();
            loop {
                let Some((ev, origin)) = src.peek()? else {
                    return Err(Failure::end_of_input(src.last()));
                };
                if matches!(ev.kind, Kind::SeqEnd) {
                    return Ok(entries);
                }
                let from = origin.span(ev.at);
                let items = capture(&mut src)?;
                entries.extend(captured(items, from)?);
            }
        }
        _ => leaf(&ev.kind, ev.at).map(|()| Vec::new()),
    }
}

/// The entries of a merged mapping: its own, then what its merge keys bring.
fn entries<'i>(src: &mut Replay<'i>) -> Result<Vec<Pending<'i>>, Failure> {
    src.next()?;
    let mut own = Vec::new();
    let mut merged = Vec::new();
    loop {
        match src.peek()? {
            None => return Err(Failure::end_of_input(src.last())),
            Some((ev, _)) if matches!(ev.kind, Kind::MapEnd) => {
                src.next()?;
                break;
            }
            Some(_) => {}
        }
        let key_events = capture(src)?;
        if let [(ev, _)] = key_events.as_slice() {
            if ev.kind.is_merge_key() {
                merged.push(read(src)?);
                continue;
            }
        }
        let value_events = capture(src)?;
        own.push(Pending {
            key: Fingerprint::of(&key_events),
            key_events,
            value_events,
        });
    }
    own.extend(merged.into_iter().flatten());
    Ok(own)
}

/// The events of the next node.
fn capture<'i>(src: &mut dyn Source<'i>) -> Result<Vec<Item<'i>>, Failure> {
    match src.next()? {
        Some(first) => capture_from(src, first),
        None => Err(Failure::end_of_input(src.last())),
    }
}

/// The events of the node that starts with `first`.
pub(super) fn capture_from<'i>(src: &mut dyn Source<'i>, first: Item<'i>) -> Result<Vec<Item<'i>>, Failure> {
    let mut depth = match first.0.kind {
        Kind::SeqStart { .. } | Kind::MapStart { .. } => 1,
        Kind::SeqEnd | Kind::MapEnd => {
            return Err(Failure::new(
                first.0.at.start,
                "unexpected container end while reading key",
            ))
        }
        _ => 0,
    };
    let mut items = vec![first];
    while depth > 0 {
        let Some(item) = src.next()? else {
            return Err(Failure::end_of_input(src.last()));
        };
        match item.0.kind {
            Kind::SeqStart { .. } | Kind::MapStart { .. } => depth += 1,
            Kind::SeqEnd | Kind::MapEnd => depth -= 1,
            _ => {}
        }
        items.push(item);
    }
    Ok(items)
}

fn plain(style: &granit_parser::ScalarStyle) -> bool {
    *style == granit_parser::ScalarStyle::Plain
}

/// What makes two keys the same key, for deciding whether a merged entry is
/// overridden: integers by value (`0x10` is `16`), other scalars by text and
/// type, collections by content (mappings regardless of order).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Fingerprint<'i> {
    Cycle(usize),
    Int {
        negative: bool,
        magnitude: u128,
    },
    Scalar {
        text: Cow<'i, str>,
        tag: KeyTag,
    },
    Seq {
        tag: KeyTag,
        items: Vec<Fingerprint<'i>>,
    },
    Map {
        tag: KeyTag,
        entries: Vec<(Fingerprint<'i>, Fingerprint<'i>)>,
    },
}

/// The type a key has for comparison: a core type, or an application tag
/// by its resolved name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum KeyTag {
    Core(TagKind),
    Custom(Box<str>),
}

impl KeyTag {
    fn of(tag: Option<&NodeTag>, implicit: TagKind) -> KeyTag {
        let Some(tag) = tag else {
            return KeyTag::Core(implicit);
        };
        match tag.kind {
            TagKind::Other => KeyTag::Custom(tag.resolved.clone()),
            // A local `!map` differs from `!!map`.
            TagKind::Map if implicit == TagKind::Map && &*tag.resolved == "!map" => {
                KeyTag::Custom(tag.resolved.clone())
            }
            TagKind::NonSpecific => KeyTag::Core(implicit),
            kind if implicit == TagKind::Str && kind.allows_string() => KeyTag::Core(TagKind::Str),
            kind => KeyTag::Core(kind),
        }
    }
}

/// A collection whose fingerprint is being assembled.
enum Partial<'i> {
    Seq(KeyTag, Vec<Fingerprint<'i>>),
    Map(KeyTag, Vec<(Fingerprint<'i>, Fingerprint<'i>)>, Option<Fingerprint<'i>>),
}

impl<'i> Fingerprint<'i> {
    /// The fingerprint of a node of one event: a scalar or a cycle.
    pub(super) fn leaf(kind: &Kind<'i>) -> Fingerprint<'i> {
        match kind {
            Kind::Scalar { text, style, tag } => {
                let tag_kind = tag.as_ref().map(|t| t.kind);
                let integer = tag_kind == Some(TagKind::Int) || (tag_kind.is_none() && plain(style));
                if let Some((negative, magnitude)) = integer.then(|| scalar::integer(text)).flatten() {
                    return Fingerprint::Int { negative, magnitude };
                }
                let tag = if tag_kind.is_none() && scalar::is_null(None, text, plain(style)) {
                    KeyTag::Core(TagKind::Null)
                } else {
                    KeyTag::of(tag.as_deref(), TagKind::Str)
                };
                Fingerprint::Scalar {
                    text: text.clone(),
                    tag,
                }
            }
            Kind::Cycle { anchor } => Fingerprint::Cycle(*anchor),
            // Collections are fingerprinted by `of`, from all their events.
            _ => Fingerprint::Cycle(0),
        }
    }

    /// The fingerprint of the node whose events are `items`.
    pub(super) fn of(items: &[Item<'i>]) -> Fingerprint<'i> {
        let mut open: Vec<Partial<'i>> = Vec::new();
        for (ev, _) in items {
            let done = match &ev.kind {
                Kind::SeqStart { tag } => {
                    open.push(Partial::Seq(KeyTag::of(tag.as_deref(), TagKind::Seq), Vec::new()));
                    continue;
                }
                Kind::MapStart { tag } => {
                    open.push(Partial::Map(KeyTag::of(tag.as_deref(), TagKind::Map), Vec::new(), None));
                    continue;
                }
                Kind::SeqEnd | Kind::MapEnd => match open.pop() {
                    Some(Partial::Seq(tag, items)) => Fingerprint::Seq { tag, items },
                    Some(Partial::Map(tag, mut entries, _)) => {
                        // Mappings are unordered: `{a: 1, b: 2}` is `{b: 2, a: 1}`.
                        crate::sort::sort(&mut entries);
                        Fingerprint::Map { tag, entries }
                    }
                    None => continue,
                },
                kind => Fingerprint::leaf(kind),
            };
            match open.last_mut() {
                None => return done,
                Some(Partial::Seq(_, items)) => items.push(done),
                Some(Partial::Map(_, entries, key)) => match key.take() {
                    Some(key) => entries.push((key, done)),
                    None => *key = Some(done),
                },
            }
        }
        // Only reached for an incomplete node, which capture never returns.
        Fingerprint::Cycle(0)
    }
}
