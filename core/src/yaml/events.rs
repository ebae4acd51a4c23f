//! The events a document's tree is built from: the parser's events with every
//! alias replaced by the events its anchor recorded, each counted against the
//! [limits](super::limits) as it is handed out.
//!
//! Replaying events rather than copying finished subtrees keeps one rule for
//! everything an alias can do: its nodes are counted, nested and merged
//! exactly as if they had been written out.

use std::borrow::Cow;
use std::rc::Rc;

use granit_parser::{ErrorKind, Event, Parser, ScalarStyle, ScanError, StrInput};

use super::limits::{Breach, Counted, Limits};
use super::tag::{NodeKind, NodeTag, TagKind};
use crate::source::Span;

/// One event: where its node is written (bytes of the document's text) and
/// what it is.
#[derive(Clone, Debug)]
pub(super) struct Ev<'i> {
    pub at: Span,
    pub kind: Kind<'i>,
}

#[derive(Clone, Debug)]
pub(super) enum Kind<'i> {
    Scalar {
        text: Cow<'i, str>,
        style: ScalarStyle,
        tag: Option<Rc<NodeTag>>,
    },
    SeqStart {
        tag: Option<Rc<NodeTag>>,
    },
    MapStart {
        tag: Option<Rc<NodeTag>>,
    },
    SeqEnd,
    MapEnd,
    /// An alias inside the very node its anchor names: a cycle, which a tree
    /// cannot hold. It is an error once something tries to read it.
    Cycle {
        anchor: usize,
    },
}

impl Kind<'_> {
    pub(super) fn tag(&self) -> Option<&NodeTag> {
        match self {
            Kind::Scalar { tag, .. } | Kind::SeqStart { tag } | Kind::MapStart { tag } => tag.as_deref(),
            _ => None,
        }
    }

    /// Whether this is a plain `<<` (or `!!merge <<`), which merges when it
    /// is a key.
    pub(super) fn is_merge_key(&self) -> bool {
        match self {
            Kind::Scalar { text, style, tag } => {
                text == "<<"
                    && match tag {
                        Some(tag) => tag.kind == TagKind::Merge,
                        None => *style == ScalarStyle::Plain,
                    }
            }
            _ => false,
        }
    }
}

/// Where a node comes from, which decides the span it is reported at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Origin {
    /// Written where it stands.
    Written,
    /// Replayed from an anchor by the alias at this span; everything an alias
    /// brings is reported at the alias.
    Alias(Span),
    /// Brought in by a merge key (`<<`) from the mapping written here.
    Merge(Span),
}

impl Origin {
    /// The span a node from this origin is reported at.
    pub(super) fn span(self, at: Span) -> Span {
        match self {
            Origin::Written => at,
            Origin::Alias(span) | Origin::Merge(span) => span,
        }
    }
}

pub(super) type Item<'i> = (Ev<'i>, Origin);

/// Why a document cannot be read, and where (a byte offset in its text).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Failure {
    pub at: usize,
    pub message: String,
}

impl Failure {
    pub(super) fn new(at: usize, message: impl Into<String>) -> Failure {
        Failure {
            at,
            message: message.into(),
        }
    }

    pub(super) fn end_of_input(at: Span) -> Failure {
        Failure::new(at.start, "unexpected end of input")
    }
}

/// A stream of events.
pub(super) trait Source<'i> {
    fn next(&mut self) -> Result<Option<Item<'i>>, Failure>;
    fn peek(&mut self) -> Result<Option<&Item<'i>>, Failure>;
    /// The span of the last event handed out, for errors at the end.
    fn last(&self) -> Span;
}

/// The document's own events, from the parser.
pub(super) struct Events<'i> {
    text: &'i str,
    parser: Parser<'i, StrInput<'i>>,
    peeked: Option<Item<'i>>,
    replay: Option<Replaying<'i>>,
    /// What each anchor recorded, by anchor id.
    anchors: Vec<Option<Rc<[Ev<'i>]>>>,
    /// Anchored collections still being read.
    recordings: Vec<Recording<'i>>,
    limits: Limits,
    /// Whether any node was handed out; an empty document is a null.
    produced: bool,
    last: Span,
}

struct Replaying<'i> {
    events: Rc<[Ev<'i>]>,
    next: usize,
    alias: Span,
}

struct Recording<'i> {
    anchor: usize,
    /// Open collections inside the anchored one, itself included.
    depth: usize,
    events: Vec<Ev<'i>>,
}

impl<'i> Events<'i> {
    pub(super) fn new(text: &'i str) -> Events<'i> {
        let mut options = granit_parser::Options::default();
        options.emit_comments = false;
        Events {
            text,
            parser: Parser::new_from_str_with_options(text, options),
            peeked: None,
            replay: None,
            anchors: Vec::new(),
            recordings: Vec::new(),
            limits: Limits::default(),
            produced: false,
            last: Span::point(0),
        }
    }

    /// Checks made once the document's node is read: nothing may follow it,
    /// and the limits that need the whole document must hold.
    pub(super) fn end(&mut self) -> Result<(), Failure> {
        if let Some((ev, _)) = self.peek()? {
            return Err(Failure::new(
                ev.at.start,
                "multiple YAML documents detected; a document after `...` needs its own `---` line",
            ));
        }
        let last = self.last.start;
        self.limits.finish().map_err(|breach| breached(breach, last))
    }

    fn pump(&mut self) -> Result<Option<Item<'i>>, Failure> {
        loop {
            if let Some(replay) = &mut self.replay {
                if let Some(ev) = replay.events.get(replay.next).cloned() {
                    replay.next += 1;
                    let alias = replay.alias;
                    return self.replayed(ev, alias).map(Some);
                }
                self.replay = None;
            }
            let Some(next) = self.parser.next_event() else {
                break;
            };
            let (event, span) = next.map_err(|e| scan_failure(self.text, &e))?;
            let at = Span::new(
                span.start.byte_offset().unwrap_or(0),
                span.end.byte_offset().unwrap_or(0),
            );
            self.last = at;
            let count = |limits: &mut Limits, counted| limits.count(counted).map_err(|b| breached(b, at.start));
            let (kind, anchor) = match event {
                Event::Alias(anchor) => match self.alias(anchor, at)? {
                    Some(item) => return Ok(Some(item)),
                    None => continue,
                },
                Event::Scalar(text, style, anchor, tag) => {
                    let merge_like = text == "<<"
                        && match &tag {
                            Some(tag) => TagKind::of(tag) == TagKind::Merge,
                            None => style == ScalarStyle::Plain,
                        };
                    let bytes = text.len() + tag.as_deref().map_or(0, tag_bytes);
                    count(
                        &mut self.limits,
                        Counted::Scalar {
                            bytes,
                            merge_like,
                            anchor,
                        },
                    )?;
                    let tag = node_tag(tag.as_deref(), NodeKind::Scalar, at)?;
                    (Kind::Scalar { text, style, tag }, anchor)
                }
                Event::SequenceStart(_, anchor, tag) => {
                    let tag_bytes = tag.as_deref().map_or(0, tag_bytes);
                    count(
                        &mut self.limits,
                        Counted::Start {
                            map: false,
                            tag_bytes,
                            anchor,
                        },
                    )?;
                    let tag = node_tag(tag.as_deref(), NodeKind::Seq, at)?;
                    (Kind::SeqStart { tag }, anchor)
                }
                Event::MappingStart(_, anchor, tag) => {
                    let tag_bytes = tag.as_deref().map_or(0, tag_bytes);
                    count(
                        &mut self.limits,
                        Counted::Start {
                            map: true,
                            tag_bytes,
                            anchor,
                        },
                    )?;
                    let tag = node_tag(tag.as_deref(), NodeKind::Map, at)?;
                    (Kind::MapStart { tag }, anchor)
                }
                Event::SequenceEnd => {
                    count(&mut self.limits, Counted::End)?;
                    (Kind::SeqEnd, 0)
                }
                Event::MappingEnd => {
                    count(&mut self.limits, Counted::End)?;
                    (Kind::MapEnd, 0)
                }
                Event::DocumentStart(..) | Event::DocumentEnd => {
                    count(&mut self.limits, Counted::Marker)?;
                    // Anchors do not reach past their document.
                    self.replay = None;
                    self.recordings.clear();
                    self.anchors.clear();
                    continue;
                }
                _ => {
                    count(&mut self.limits, Counted::Marker)?;
                    continue;
                }
            };
            let ev = Ev { at, kind };
            self.record_written(&ev, anchor)?;
            self.produced = true;
            return Ok(Some((ev, Origin::Written)));
        }
        if self.produced {
            return Ok(None);
        }
        // A document without a single node is null.
        self.produced = true;
        let ev = Ev {
            at: self.last,
            kind: Kind::Scalar {
                text: Cow::Borrowed(""),
                style: ScalarStyle::Plain,
                tag: None,
            },
        };
        Ok(Some((ev, Origin::Written)))
    }

    /// An alias: its anchor's events are replayed from the next call on.
    fn alias(&mut self, anchor: usize, at: Span) -> Result<Option<Item<'i>>, Failure> {
        self.limits.alias().map_err(|b| breached(b, at.start))?;
        if self.recordings.iter().any(|r| r.anchor == anchor) {
            let ev = Ev {
                at,
                kind: Kind::Cycle { anchor },
            };
            self.record(&ev, at.start, None)?;
            self.produced = true;
            return Ok(Some((ev, Origin::Written)));
        }
        match self.anchors.get(anchor).cloned().flatten() {
            Some(events) => {
                self.replay = Some(Replaying {
                    events,
                    next: 0,
                    alias: at,
                });
                Ok(None)
            }
            None => Err(Failure::new(at.start, UNKNOWN_ANCHOR)),
        }
    }

    /// Hands out one replayed event. Problems it causes are reported at the
    /// alias, where the reader of the document can see them.
    fn replayed(&mut self, ev: Ev<'i>, alias: Span) -> Result<Item<'i>, Failure> {
        let counted = match &ev.kind {
            Kind::Scalar { text, style, tag } => {
                let merge = tag.as_ref().is_some_and(|t| t.kind == TagKind::Merge);
                Counted::Scalar {
                    // A replayed scalar keeps only a merge tag, as a name.
                    bytes: text.len() + if merge { MERGE_TAG.len() } else { 0 },
                    merge_like: text == "<<" && (merge || (tag.is_none() && *style == ScalarStyle::Plain)),
                    anchor: 0,
                }
            }
            Kind::Cycle { .. } => Counted::Scalar {
                bytes: 0,
                merge_like: false,
                anchor: 0,
            },
            Kind::SeqStart { .. } => Counted::Start {
                map: false,
                tag_bytes: 0,
                anchor: 0,
            },
            Kind::MapStart { .. } => Counted::Start {
                map: true,
                tag_bytes: 0,
                anchor: 0,
            },
            Kind::SeqEnd | Kind::MapEnd => Counted::End,
        };
        self.limits.count(counted).map_err(|b| breached(b, alias.start))?;
        self.record(&ev, alias.start, None)?;
        self.last = ev.at;
        self.produced = true;
        Ok((ev, Origin::Alias(alias)))
    }

    /// Copies a written event into the recordings of the anchored
    /// collections around it, and starts or finishes the recording of its
    /// own anchor.
    fn record_written(&mut self, ev: &Ev<'i>, anchor: usize) -> Result<(), Failure> {
        let at = ev.at.start;
        match &ev.kind {
            Kind::SeqStart { .. } | Kind::MapStart { .. } => {
                for recording in &mut self.recordings {
                    recording.depth += 1;
                }
                let own = if anchor != 0 {
                    self.charge(ev, at)?;
                    self.recordings.push(Recording {
                        anchor,
                        depth: 1,
                        events: vec![ev.clone()],
                    });
                    Some(self.recordings.len() - 1)
                } else {
                    None
                };
                self.record(ev, at, own)
            }
            Kind::SeqEnd | Kind::MapEnd => {
                self.record(ev, at, None)?;
                for recording in &mut self.recordings {
                    recording.depth = recording.depth.saturating_sub(1);
                }
                while let Some(done) = self.recordings.pop_if(|r| r.depth == 0) {
                    self.keep(done.anchor, done.events);
                }
                Ok(())
            }
            _ => {
                self.record(ev, at, None)?;
                if anchor != 0 {
                    self.charge(ev, at)?;
                    self.keep(anchor, vec![ev.clone()]);
                }
                Ok(())
            }
        }
    }

    /// Appends `ev` to every recording but `skip`.
    fn record(&mut self, ev: &Ev<'i>, at: usize, skip: Option<usize>) -> Result<(), Failure> {
        for i in 0..self.recordings.len() {
            if Some(i) != skip {
                self.charge(ev, at)?;
                self.recordings[i].events.push(ev.clone());
            }
        }
        Ok(())
    }

    /// Counts one recorded copy against the limits.
    fn charge(&mut self, ev: &Ev<'i>, at: usize) -> Result<(), Failure> {
        let text = match &ev.kind {
            Kind::Scalar {
                text: Cow::Owned(text), ..
            } => text.len(),
            _ => 0,
        };
        let tag = ev.kind.tag().map_or(0, |t| t.resolved.len());
        self.limits.recorded(text + tag).map_err(|b| breached(b, at))
    }

    fn keep(&mut self, anchor: usize, events: Vec<Ev<'i>>) {
        if anchor >= self.anchors.len() {
            self.anchors.resize_with(anchor + 1, || None);
        }
        self.anchors[anchor] = Some(events.into());
    }
}

impl<'i> Source<'i> for Events<'i> {
    fn next(&mut self) -> Result<Option<Item<'i>>, Failure> {
        match self.peeked.take() {
            Some(item) => Ok(Some(item)),
            None => self.pump(),
        }
    }

    fn peek(&mut self) -> Result<Option<&Item<'i>>, Failure> {
        if self.peeked.is_none() {
            self.peeked = self.pump()?;
        }
        Ok(self.peeked.as_ref())
    }

    fn last(&self) -> Span {
        self.last
    }
}

/// Events captured earlier, read again: a complex key, or what a merge key
/// brings in.
pub(super) struct Replay<'i> {
    items: std::vec::IntoIter<Item<'i>>,
    peeked: Option<Item<'i>>,
    /// Nodes brought in by a merge are reported at the mapping merged from,
    /// unless an alias brought them.
    merged_from: Option<Span>,
    last: Span,
}

impl<'i> Replay<'i> {
    pub(super) fn new(items: Vec<Item<'i>>) -> Replay<'i> {
        Replay {
            items: items.into_iter(),
            peeked: None,
            merged_from: None,
            last: Span::point(0),
        }
    }

    pub(super) fn merged_from(items: Vec<Item<'i>>, at: Span) -> Replay<'i> {
        Replay {
            merged_from: Some(at),
            ..Replay::new(items)
        }
    }

    fn pull(&mut self) -> Option<Item<'i>> {
        let (ev, origin) = self.items.next()?;
        let origin = match (origin, self.merged_from) {
            (Origin::Alias(_), _) | (_, None) => origin,
            (_, Some(at)) => Origin::Merge(at),
        };
        Some((ev, origin))
    }
}

impl<'i> Source<'i> for Replay<'i> {
    fn next(&mut self) -> Result<Option<Item<'i>>, Failure> {
        let item = self.peeked.take().or_else(|| self.pull());
        if let Some((ev, _)) = &item {
            self.last = ev.at;
        }
        Ok(item)
    }

    fn peek(&mut self) -> Result<Option<&Item<'i>>, Failure> {
        if self.peeked.is_none() {
            self.peeked = self.pull();
        }
        Ok(self.peeked.as_ref())
    }

    fn last(&self) -> Span {
        self.last
    }
}

const UNKNOWN_ANCHOR: &str = "alias references unknown anchor";
const MERGE_TAG: &str = "tag:yaml.org,2002:merge";

/// The tag of a node, refused where it cannot stand (`!!str [a]`).
fn node_tag(tag: Option<&granit_parser::Tag>, node: NodeKind, at: Span) -> Result<Option<Rc<NodeTag>>, Failure> {
    let Some(written) = tag else {
        return Ok(None);
    };
    let tag = NodeTag::new(written);
    match tag.kind.requires() {
        Some(required) if required != node => Err(Failure::new(
            at.start,
            if tag.kind == TagKind::Include {
                "!include currently only supports the scalar form: !include <path>".to_owned()
            } else {
                format!("unsupported tag `{}`", written.original())
            },
        )),
        _ => Ok(Some(Rc::new(tag))),
    }
}

/// The length the limits charge for a tag: its resolved name.
fn tag_bytes(tag: &granit_parser::Tag) -> usize {
    let (handle, suffix) = tag.parts();
    handle.len() + suffix.len()
}

fn breached(breach: Breach, at: usize) -> Failure {
    Failure::new(at, breach.to_string())
}

fn scan_failure(text: &str, error: &ScanError) -> Failure {
    // The parser counts characters; spans are bytes.
    let chars = error.marker().index();
    let at = text.char_indices().nth(chars).map_or(text.len(), |(i, _)| i);
    let message = match error.kind() {
        ErrorKind::UnknownAnchor => UNKNOWN_ANCHOR.to_owned(),
        _ => error.info().trim().to_owned(),
    };
    Failure::new(at, message)
}
