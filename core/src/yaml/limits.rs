//! Resource limits for one document, so that no input can make the reader
//! use unbounded time, memory or stack: deep nesting, alias bombs ("billion
//! laughs") and huge anchor copies are refused with a diagnostic.
//!
//! The limits count what the reader is handed: every parser event, and again
//! every event an alias replays. So an alias bomb is stopped by the node
//! limit long before it is expanded, and the depth limit holds for the tree
//! as built, aliases included.

use std::fmt;

/// Collections nested deeper than this are refused; the browser's 1 MiB
/// stack and every consumer of the tree stay safe.
pub(super) const MAX_DEPTH: usize = 64;
const MAX_EVENTS: usize = 1_000_000;
const MAX_NODES: usize = 250_000;
const MAX_ALIASES: usize = 50_000;
const MAX_ANCHORS: usize = 50_000;
const MAX_SCALAR_BYTES: usize = 64 * 1024 * 1024;
const MAX_MERGE_KEYS: usize = 10_000;
const MAX_RECORDED_EVENTS: usize = 1_000_000;
const MAX_RECORDED_BYTES: usize = 64 * 1024 * 1024;
/// Many aliases of few anchors is the shape of an alias bomb.
const RATIO_MIN_ALIASES: usize = 100;
const RATIO_ALIASES_PER_ANCHOR: usize = 10;

/// Which limit a document exceeded, with the count that exceeded it.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Breach {
    Events { events: usize },
    Aliases { aliases: usize },
    Anchors { anchors: usize },
    Depth { depth: usize },
    Nodes { nodes: usize },
    ScalarBytes { total_scalar_bytes: usize },
    MergeKeys { merge_keys: usize },
    AliasAnchorRatio { aliases: usize, anchors: usize },
    RecordedAnchorEvents { recorded_anchor_events: usize },
    RecordedAnchorBytes { recorded_anchor_bytes: usize },
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Breach::Depth { .. } => write!(
                f,
                "the document nests deeper than the parser allows ({MAX_DEPTH} levels)"
            ),
            other => write!(
                f,
                "the document exceeds the parser's resource limits (budget breached: {other:?})"
            ),
        }
    }
}

/// One event, as far as the limits are concerned.
pub(super) enum Counted {
    Scalar {
        bytes: usize,
        /// A `<<` that would merge if it stood as a key.
        merge_like: bool,
        anchor: usize,
    },
    Start {
        map: bool,
        tag_bytes: usize,
        anchor: usize,
    },
    End,
    /// Any other event (stream and document markers).
    Marker,
}

/// Where the limits' own walk through the event stream stands, to tell
/// keys from values when counting merge keys.
#[derive(Clone, Copy)]
enum Open {
    Seq { in_value: bool },
    Map { expecting_key: bool, in_value: bool },
}

#[derive(Default)]
pub(super) struct Limits {
    events: usize,
    aliases: usize,
    anchors: usize,
    nodes: usize,
    depth: usize,
    scalar_bytes: usize,
    merge_keys: usize,
    recorded_events: usize,
    recorded_bytes: usize,
    open: Vec<Open>,
    /// Once exceeded, every later call fails the same way.
    breached: Option<Breach>,
}

impl Limits {
    pub(super) fn count(&mut self, event: Counted) -> Result<(), Breach> {
        self.check(|l| {
            l.events += 1;
            if l.events > MAX_EVENTS {
                return Err(Breach::Events { events: l.events });
            }
            match event {
                Counted::Scalar {
                    bytes,
                    merge_like,
                    anchor,
                } => {
                    l.node()?;
                    l.scalar_bytes(bytes)?;
                    l.anchor(anchor)?;
                    l.scalar(merge_like)
                }
                Counted::Start { map, tag_bytes, anchor } => {
                    l.node()?;
                    l.depth += 1;
                    if l.depth > MAX_DEPTH {
                        return Err(Breach::Depth { depth: l.depth });
                    }
                    l.scalar_bytes(tag_bytes)?;
                    l.enter(map);
                    l.anchor(anchor)
                }
                Counted::End => {
                    l.depth = l.depth.saturating_sub(1);
                    if let Some(Open::Seq { in_value } | Open::Map { in_value, .. }) = l.open.pop() {
                        if in_value {
                            l.value_done();
                        }
                    }
                    Ok(())
                }
                Counted::Marker => Ok(()),
            }
        })
    }

    /// An alias token; what it replays is counted event by event.
    pub(super) fn alias(&mut self) -> Result<(), Breach> {
        self.check(|l| {
            l.events += 1;
            if l.events > MAX_EVENTS {
                return Err(Breach::Events { events: l.events });
            }
            l.aliases += 1;
            if l.aliases > MAX_ALIASES {
                return Err(Breach::Aliases { aliases: l.aliases });
            }
            Ok(())
        })
    }

    /// One event copied into an anchor's recording, with the bytes the copy
    /// owns.
    pub(super) fn recorded(&mut self, owned_bytes: usize) -> Result<(), Breach> {
        self.check(|l| {
            l.recorded_events += 1;
            if l.recorded_events > MAX_RECORDED_EVENTS {
                return Err(Breach::RecordedAnchorEvents {
                    recorded_anchor_events: l.recorded_events,
                });
            }
            l.recorded_bytes = l.recorded_bytes.saturating_add(owned_bytes);
            if l.recorded_bytes > MAX_RECORDED_BYTES {
                return Err(Breach::RecordedAnchorBytes {
                    recorded_anchor_bytes: l.recorded_bytes,
                });
            }
            Ok(())
        })
    }

    /// Checks made once the document is read.
    pub(super) fn finish(&mut self) -> Result<(), Breach> {
        self.check(|l| {
            let excessive = l.aliases >= RATIO_MIN_ALIASES
                && (l.anchors == 0 || l.aliases > RATIO_ALIASES_PER_ANCHOR.saturating_mul(l.anchors));
            if excessive {
                return Err(Breach::AliasAnchorRatio {
                    aliases: l.aliases,
                    anchors: l.anchors,
                });
            }
            Ok(())
        })
    }

    fn check(&mut self, step: impl FnOnce(&mut Limits) -> Result<(), Breach>) -> Result<(), Breach> {
        if let Some(breach) = &self.breached {
            return Err(breach.clone());
        }
        let result = step(self);
        if let Err(breach) = &result {
            self.breached = Some(breach.clone());
        }
        result
    }

    fn node(&mut self) -> Result<(), Breach> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(Breach::Nodes { nodes: self.nodes });
        }
        Ok(())
    }

    fn scalar_bytes(&mut self, bytes: usize) -> Result<(), Breach> {
        self.scalar_bytes = self.scalar_bytes.saturating_add(bytes);
        if self.scalar_bytes > MAX_SCALAR_BYTES {
            return Err(Breach::ScalarBytes {
                total_scalar_bytes: self.scalar_bytes,
            });
        }
        Ok(())
    }

    /// Anchor ids are unique per definition, so counting ids counts anchors.
    fn anchor(&mut self, anchor: usize) -> Result<(), Breach> {
        if anchor != 0 {
            self.anchors += 1;
            if self.anchors > MAX_ANCHORS {
                return Err(Breach::Anchors { anchors: self.anchors });
            }
        }
        Ok(())
    }

    fn scalar(&mut self, merge_like: bool) -> Result<(), Breach> {
        match self.open.last_mut() {
            Some(Open::Map { expecting_key, .. }) if *expecting_key => {
                if merge_like {
                    self.merge_keys += 1;
                    if self.merge_keys > MAX_MERGE_KEYS {
                        return Err(Breach::MergeKeys {
                            merge_keys: self.merge_keys,
                        });
                    }
                }
                *expecting_key = false;
            }
            _ => self.value_done(),
        }
        Ok(())
    }

    fn enter(&mut self, map: bool) {
        let in_value = match self.open.last_mut() {
            Some(Open::Map { expecting_key, .. }) if *expecting_key => {
                *expecting_key = false;
                false
            }
            Some(Open::Map { .. }) => true,
            _ => false,
        };
        self.open.push(if map {
            Open::Map {
                expecting_key: true,
                in_value,
            }
        } else {
            Open::Seq { in_value }
        });
    }

    fn value_done(&mut self) {
        if let Some(Open::Map { expecting_key, .. }) = self.open.last_mut() {
            *expecting_key = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(l: &mut Limits, merge_like: bool) -> Result<(), Breach> {
        l.count(Counted::Scalar {
            bytes: 1,
            merge_like,
            anchor: 0,
        })
    }

    #[test]
    fn depth_beyond_the_limit_is_refused() {
        let mut l = Limits::default();
        for _ in 0..MAX_DEPTH {
            l.count(Counted::Start {
                map: false,
                tag_bytes: 0,
                anchor: 0,
            })
            .unwrap();
        }
        let breach = l
            .count(Counted::Start {
                map: false,
                tag_bytes: 0,
                anchor: 0,
            })
            .unwrap_err();
        assert_eq!(breach, Breach::Depth { depth: MAX_DEPTH + 1 });
        assert_eq!(
            breach.to_string(),
            "the document nests deeper than the parser allows (64 levels)"
        );
        // A breach is final.
        assert!(scalar(&mut l, false).is_err());
    }

    #[test]
    fn only_merge_keys_in_key_position_count() {
        let mut l = Limits::default();
        l.count(Counted::Start {
            map: true,
            tag_bytes: 0,
            anchor: 0,
        })
        .unwrap();
        scalar(&mut l, true).unwrap(); // key `<<`
        scalar(&mut l, true).unwrap(); // value `<<`
        assert_eq!(l.merge_keys, 1);
    }

    #[test]
    fn many_aliases_of_few_anchors_are_refused() {
        let mut l = Limits::default();
        l.count(Counted::Scalar {
            bytes: 1,
            merge_like: false,
            anchor: 1,
        })
        .unwrap();
        for _ in 0..10 {
            l.alias().unwrap();
        }
        l.finish().unwrap();
        for _ in 0..91 {
            l.alias().unwrap();
        }
        assert_eq!(
            l.finish(),
            Err(Breach::AliasAnchorRatio {
                aliases: 101,
                anchors: 1
            })
        );
    }
}
