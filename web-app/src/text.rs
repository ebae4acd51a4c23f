//! Positions and highlight segments: pure functions of the text and the
//! report, kept apart from the DOM so they are tested on the host.
//!
//! Three units meet here: the core speaks byte offsets and 1-based
//! line/column numbers that count Unicode scalar values, while a textarea's
//! `selectionStart` counts UTF-16 code units.

use netpolkit::{LocatedDiagnostic, Severity};

/// The UTF-16 offset (what `textarea.selectionStart` counts) of a 1-based
/// `line` and `column`, where the column counts Unicode scalar values as the
/// core's do. Positions past the end of a line or of the text are clamped.
pub fn utf16_offset(text: &str, line: usize, column: usize) -> u32 {
    let mut offset = 0usize;
    for (index, content) in text.split('\n').enumerate() {
        if index + 1 == line.max(1) {
            offset += content
                .chars()
                .take(column.saturating_sub(1))
                .map(char::len_utf16)
                .sum::<usize>();
            return saturate(offset);
        }
        offset += content.encode_utf16().count() + 1;
    }
    saturate(text.encode_utf16().count())
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A diagnostic as the highlight layer and the gutter draw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    /// Index in the report's diagnostics (what the list shows and picks).
    pub index: usize,
    /// Byte range in the text the mark is drawn on.
    pub start: usize,
    pub end: usize,
    pub severity: Severity,
    /// The other end of the diagnostic (a related location, such as the
    /// rule a finding conflicts with), marked only while it is picked.
    pub related: bool,
}

pub fn marks(diagnostics: &[LocatedDiagnostic]) -> Vec<Mark> {
    marks_from(diagnostics, 0)
}

/// The marks of `diagnostics`, numbered from `first` (so that two lists
/// drawn on one text keep distinct indices).
pub fn marks_from(diagnostics: &[LocatedDiagnostic], first: usize) -> Vec<Mark> {
    diagnostics
        .iter()
        .enumerate()
        .map(|(i, d)| Mark {
            index: first + i,
            start: d.start,
            end: d.end,
            severity: d.severity,
            related: false,
        })
        .collect()
}

/// The marks of diagnostic `index`'s related locations (drawn while it is
/// picked, next to its own mark).
pub fn related_marks(index: usize, d: &LocatedDiagnostic) -> Vec<Mark> {
    d.related
        .iter()
        .map(|r| Mark {
            index,
            start: r.start,
            end: r.end,
            severity: d.severity,
            related: true,
        })
        .collect()
}

/// Moves the marks of `old` onto `new`, the text after some typing but
/// before the debounced re-check: marks before the edit stay, marks after it
/// shift with it, and marks that touch it are dropped. This keeps the
/// underlines steady while the user types.
pub fn carry_over(old: &str, new: &str, marks: &[Mark]) -> Vec<Mark> {
    if old == new {
        return marks.to_vec();
    }
    let mut prefix = old.bytes().zip(new.bytes()).take_while(|(a, b)| a == b).count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    let edit_end = old.len() - suffix;
    marks
        .iter()
        .filter_map(|m| {
            if m.end < prefix || (m.end == prefix && m.start < m.end) {
                Some(*m)
            } else if m.start > edit_end || (m.start == edit_end && m.start < m.end) {
                Some(Mark {
                    start: m.start - edit_end + (new.len() - suffix),
                    end: m.end - edit_end + (new.len() - suffix),
                    ..*m
                })
            } else {
                None
            }
        })
        .collect()
}

/// The worst severity of the marks starting on each line (index 0 is line 1),
/// for the gutter.
pub fn line_marks(text: &str, marks: &[Mark]) -> Vec<Option<Severity>> {
    let index = netpolkit::LineIndex::new(text);
    let mut lines = vec![None; index.line_count()];
    for m in marks {
        let line = index.line_col(text, m.start).line;
        if let Some(slot) = lines.get_mut(line - 1) {
            *slot = (*slot).max(Some(m.severity));
        }
    }
    lines
}

/// A run of text in the highlight layer that lies behind the textarea.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    pub text: &'a str,
    /// The worst severity of the marks covering the run; `None` for plain
    /// text.
    pub severity: Option<Severity>,
    /// Diagnostic indices of the marks that start here (the scroll target
    /// when one of them is picked in the list).
    pub starts: Vec<usize>,
    /// The same for related locations that start here.
    pub related_starts: Vec<usize>,
    /// Whether the picked diagnostic covers this run.
    pub active: bool,
    /// Whether what the picked diagnostic covers here is only its related
    /// location (the other end), not its own range.
    pub related: bool,
    /// An empty mark (at a line end or the end of the text): drawn as a
    /// marker that takes no room, so the layer stays aligned with the text.
    pub point: bool,
}

/// Cuts `text` into runs at every mark boundary. An empty range is widened
/// to the character after it when there is one on the same line, so it can
/// be underlined; otherwise it becomes a `point` segment.
pub fn segments<'a>(text: &'a str, marks: &[Mark], active: Option<usize>) -> Vec<Segment<'a>> {
    let ranges: Vec<(usize, usize)> = marks.iter().map(|m| widen(text, m.start, m.end)).collect();
    let mut bounds: Vec<usize> = ranges
        .iter()
        .flat_map(|&(s, e)| [s, e])
        .chain([0, text.len()])
        .collect();
    bounds.sort_unstable();
    bounds.dedup();

    let is_active = |i: &usize| active == Some(marks[*i].index);
    let is_own = |i: &&usize| !marks[**i].related;
    let is_related = |i: &&usize| marks[**i].related;
    // Covered by the picked diagnostic's other end and not by its own range.
    let only_related = |list: &[usize]| {
        list.iter().any(|i| is_active(i) && marks[*i].related)
            && !list.iter().any(|i| is_active(i) && !marks[*i].related)
    };
    let mut out = Vec::new();
    for (k, &at) in bounds.iter().enumerate() {
        let points: Vec<usize> = (0..ranges.len()).filter(|&i| ranges[i] == (at, at)).collect();
        if !points.is_empty() {
            out.push(Segment {
                text: "",
                severity: points.iter().map(|&i| marks[i].severity).max(),
                starts: points.iter().filter(is_own).map(|&i| marks[i].index).collect(),
                related_starts: points.iter().filter(is_related).map(|&i| marks[i].index).collect(),
                active: points.iter().any(is_active),
                related: only_related(&points),
                point: true,
            });
        }
        let Some(&next) = bounds.get(k + 1) else { break };
        let covering: Vec<usize> = (0..ranges.len())
            .filter(|&i| ranges[i].0 <= at && ranges[i].1 >= next && ranges[i].0 < ranges[i].1)
            .collect();
        out.push(Segment {
            text: &text[at..next],
            severity: covering.iter().map(|&i| marks[i].severity).max(),
            starts: covering
                .iter()
                .filter(|&&i| ranges[i].0 == at)
                .filter(is_own)
                .map(|&i| marks[i].index)
                .collect(),
            related_starts: covering
                .iter()
                .filter(|&&i| ranges[i].0 == at)
                .filter(is_related)
                .map(|&i| marks[i].index)
                .collect(),
            active: covering.iter().any(is_active),
            related: only_related(&covering),
            point: false,
        });
    }
    out
}

/// A diagnostic's byte range clamped to `text` and to character boundaries;
/// an empty range grows to cover the next character unless that is a newline.
fn widen(text: &str, start: usize, end: usize) -> (usize, usize) {
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(start);
    let end = floor(end.max(start));
    if start == end {
        if let Some(c) = text[start..].chars().next().filter(|c| !matches!(c, '\n' | '\r')) {
            return (start, start + c.len_utf8());
        }
    }
    (start, end)
}

/// Splits a message at backticks: odd parts were quoted (`unknown field
/// \`podSelecter\``) and are shown as code.
pub fn code_spans(message: &str) -> impl Iterator<Item = (bool, &str)> {
    message
        .split('`')
        .enumerate()
        .map(|(i, part)| (i % 2 == 1, part))
        .filter(|(_, part)| !part.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(text: &str) -> Vec<LocatedDiagnostic> {
        let parsed = netpolkit::check(text, &netpolkit::Options::default());
        netpolkit::report(text, &parsed).diagnostics
    }

    fn mark(index: usize, start: usize, end: usize, severity: Severity) -> Mark {
        Mark {
            index,
            start,
            end,
            severity,
            related: false,
        }
    }

    #[test]
    fn utf16_offsets_count_surrogate_pairs_and_clamp() {
        let text = "aé😀b\nxyz";
        assert_eq!(utf16_offset(text, 1, 1), 0);
        assert_eq!(utf16_offset(text, 1, 3), 2);
        // The emoji is one column but two UTF-16 units.
        assert_eq!(utf16_offset(text, 1, 4), 4);
        assert_eq!(utf16_offset(text, 1, 99), 5);
        assert_eq!(utf16_offset(text, 2, 2), 7);
        assert_eq!(utf16_offset(text, 9, 1), 9);
    }

    #[test]
    fn diagnostic_positions_map_to_the_same_text_in_utf16() {
        let text = "# 😀 ünïcode\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db\nspec:\n  podSelecter: {}\n";
        let d = &report(text)[0];
        assert_eq!((d.line, d.column), (7, 3));
        let at = utf16_offset(text, d.line, d.column) as usize;
        let units: Vec<u16> = text.encode_utf16().collect();
        assert_eq!(String::from_utf16_lossy(&units[at..at + 11]), "podSelecter");
        let end = utf16_offset(text, d.end_line, d.end_column) as usize;
        assert_eq!(end - at, "podSelecter".len());
    }

    #[test]
    fn segments_cover_the_text_exactly_and_mark_the_diagnostic() {
        let text =
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db\nspec:\n  podSelecter: {}\n";
        let marks = marks(&report(text));
        let segs = segments(text, &marks, Some(0));
        assert_eq!(segs.iter().map(|s| s.text).collect::<String>(), text);
        let marked: Vec<_> = segs.iter().filter(|s| s.severity.is_some()).collect();
        assert_eq!(marked.len(), 1);
        assert_eq!(marked[0].text, "podSelecter");
        assert_eq!(marked[0].severity, Some(Severity::Error));
        assert_eq!(marked[0].starts, vec![0]);
        assert!(marked[0].active);
        assert_eq!(line_marks(text, &marks)[5], Some(Severity::Error));
        // A trailing newline starts an empty last line, as in the core.
        assert_eq!(line_marks(text, &marks).len(), 7);
    }

    #[test]
    fn empty_ranges_widen_or_become_points() {
        let text = "ab\n";
        let segs = segments(
            text,
            &[mark(0, 0, 0, Severity::Warning), mark(1, 2, 2, Severity::Error)],
            None,
        );
        assert_eq!(segs[0].text, "a");
        assert_eq!(segs[0].severity, Some(Severity::Warning));
        assert_eq!(segs[1].text, "b");
        assert!(segs[2].point && segs[2].text.is_empty());
        assert_eq!(segs[2].starts, vec![1]);
        assert_eq!(segs.iter().map(|s| s.text).collect::<String>(), text);
    }

    #[test]
    fn overlapping_ranges_take_the_worst_severity() {
        let text = "abcdef";
        let segs = segments(
            text,
            &[mark(0, 0, 4, Severity::Info), mark(1, 2, 6, Severity::Error)],
            Some(0),
        );
        let parts: Vec<_> = segs.iter().map(|s| (s.text, s.severity, s.active)).collect();
        assert_eq!(
            parts,
            vec![
                ("ab", Some(Severity::Info), true),
                ("cd", Some(Severity::Error), true),
                ("ef", Some(Severity::Error), false)
            ]
        );
    }

    #[test]
    fn marks_follow_the_text_until_the_next_check() {
        let old = "ab XY cd XY ef";
        let marks = [mark(0, 3, 5, Severity::Error), mark(1, 9, 11, Severity::Warning)];
        // Typing before both marks shifts both.
        let shifted = carry_over(old, "__ab XY cd XY ef", &marks);
        assert_eq!(
            shifted,
            vec![mark(0, 5, 7, Severity::Error), mark(1, 11, 13, Severity::Warning)]
        );
        // Typing inside the first drops it and shifts the second.
        let edited = carry_over(old, "ab XéY cd XY ef", &marks);
        assert_eq!(edited, vec![mark(1, 11, 13, Severity::Warning)]);
        // Typing after both keeps both.
        assert_eq!(carry_over(old, "ab XY cd XY ef!!", &marks), marks.to_vec());
        // Repeated characters: the edit is placed consistently.
        assert_eq!(
            carry_over("aaa", "aaaa", &[mark(0, 0, 1, Severity::Info)]),
            vec![mark(0, 0, 1, Severity::Info)]
        );
    }

    #[test]
    fn a_picked_diagnostic_marks_its_other_end_apart_from_its_own_range() {
        let text = "own other rest";
        let other = Mark {
            related: true,
            ..mark(0, 4, 9, Severity::Warning)
        };
        let marks = [mark(0, 0, 3, Severity::Warning), other, mark(1, 10, 14, Severity::Info)];
        let segs = segments(text, &marks, Some(0));
        let own = segs.iter().find(|s| s.text == "own").unwrap();
        assert!(own.active && !own.related);
        assert_eq!((own.starts.clone(), own.related_starts.clone()), (vec![0], vec![]));
        let end = segs.iter().find(|s| s.text == "other").unwrap();
        assert!(end.active && end.related);
        assert_eq!((end.starts.clone(), end.related_starts.clone()), (vec![], vec![0]));
        let rest = segs.iter().find(|s| s.text == "rest").unwrap();
        assert!(!rest.active && !rest.related);
        assert_eq!(segs.iter().map(|s| s.text).collect::<String>(), text);
    }

    #[test]
    fn messages_split_at_backticks() {
        let parts: Vec<_> = code_spans("unknown field `podSelecter` here").collect();
        assert_eq!(
            parts,
            vec![(false, "unknown field "), (true, "podSelecter"), (false, " here")]
        );
    }
}
