//! Positions in the input text.
//!
//! Everything inside the core speaks byte ranges ([`Span`]); line and column
//! numbers are computed only at the boundary ([`LineIndex`]), because that is
//! where a terminal, an editor or JSON wants them.

use serde::Serialize;

/// A byte range `start..end` in the whole (multi-document) input text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// An empty span at `at`.
    pub const fn point(at: usize) -> Self {
        Span { start: at, end: at }
    }

    pub const fn len(&self) -> usize {
        self.end - self.start
    }

    pub const fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// Shift by `base` bytes (a document's offset in the whole stream).
    pub const fn offset(self, base: usize) -> Span {
        Span::new(self.start + base, self.end + base)
    }
}

/// A 1-based line and column; the column counts Unicode scalar values, which
/// is what terminals and most editors show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// Maps byte offsets of one text to lines and columns, and to UTF-16
/// offsets (what JavaScript strings and editors index by).
#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset at which each line starts; `line_starts[0] == 0`.
    line_starts: Vec<usize>,
    /// UTF-16 offset at which each line starts.
    line_starts_utf16: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        let mut line_starts_utf16 = vec![0];
        let mut utf16 = 0;
        for (i, c) in text.char_indices() {
            utf16 += c.len_utf16();
            if c == '\n' {
                line_starts.push(i + 1);
                line_starts_utf16.push(utf16);
            }
        }
        LineIndex {
            line_starts,
            line_starts_utf16,
        }
    }

    /// The UTF-16 offset of byte `offset` in `text` (clamped like [`LineIndex::line_col`]).
    pub fn utf16(&self, text: &str, offset: usize) -> usize {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        self.line_starts_utf16[line] + text[start..offset].encode_utf16().count()
    }

    /// Number of lines (a trailing newline starts an empty last line).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 1-based line and column of byte `offset` in `text` (the same text the
    /// index was built from). Offsets inside a UTF-8 sequence or past the end
    /// are clamped rather than rejected: positions come from our own spans.
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = offset.min(text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let mut end = offset;
        while end > start && !text.is_char_boundary(end) {
            end -= 1;
        }
        let column = text[start..end].chars().count() + 1;
        LineCol { line: line + 1, column }
    }

    /// Byte range of 1-based `line`, without its line terminator.
    pub fn line_span(&self, text: &str, line: usize) -> Span {
        let i = line.saturating_sub(1).min(self.line_starts.len() - 1);
        let start = self.line_starts[i];
        let mut end = self.line_starts.get(i + 1).map(|&next| next - 1).unwrap_or(text.len());
        if end > start && text.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        Span::new(start, end)
    }

    /// Byte offset of a 1-based line and character column (inverse of
    /// [`LineIndex::line_col`]), clamped to the line.
    pub fn offset(&self, text: &str, at: LineCol) -> usize {
        let line = self.line_span(text, at.line);
        text[line.start..line.end]
            .char_indices()
            .nth(at.column.saturating_sub(1))
            .map(|(i, _)| line.start + i)
            .unwrap_or(line.end)
    }
}

/// Several named texts read as one, as a command line reads its files:
/// policies and workloads from different files meet in one analysis, and
/// a location in the joined text maps back to its file and line.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    text: String,
    /// Name and byte offset of each part in `text`.
    parts: Vec<(String, usize)>,
    /// Where each part's own text ends (before the separator of the next).
    ends: Vec<usize>,
    index: Option<LineIndex>,
}

/// Where a byte of a [`SourceMap`] comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location<'a> {
    /// The part's name, `None` for a text given alone.
    pub name: Option<&'a str>,
    /// 1-based, within the part.
    pub line: usize,
    pub column: usize,
}

impl SourceMap {
    /// One unnamed text: locations are plain lines.
    pub fn single(text: &str) -> Self {
        SourceMap {
            text: text.to_owned(),
            parts: Vec::new(),
            ends: Vec::new(),
            index: Some(LineIndex::new(text)),
        }
    }

    /// Appends a named text as documents of its own (a `---` separates it
    /// from the previous part).
    pub fn add(&mut self, name: &str, text: &str) {
        if !self.text.is_empty() {
            if !self.text.ends_with('\n') {
                self.text.push('\n');
            }
            self.text.push_str("---\n");
        }
        self.parts.push((name.to_owned(), self.text.len()));
        self.text.push_str(text);
        self.ends.push(self.text.len());
        self.index = Some(LineIndex::new(&self.text));
    }

    /// The joined text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The name of the part byte `offset` falls in, and where that part
    /// starts in the joined text; `None` for a text given alone.
    pub fn part(&self, offset: usize) -> Option<(&str, usize)> {
        let part = self
            .parts
            .partition_point(|(_, start)| *start <= offset)
            .checked_sub(1)?;
        self.parts.get(part).map(|(name, start)| (name.as_str(), *start))
    }

    /// Each part's name and the bytes of its own text in the joined text;
    /// a text given alone is one part named `None`.
    pub fn parts(&self) -> Vec<(Option<&str>, std::ops::Range<usize>)> {
        if self.parts.is_empty() {
            return vec![(None, 0..self.text.len())];
        }
        self.parts
            .iter()
            .zip(&self.ends)
            .map(|((name, start), end)| (Some(name.as_str()), *start..*end))
            .collect()
    }

    /// The file, line and column of byte `offset` of the joined text.
    pub fn locate(&self, offset: usize) -> Location<'_> {
        let index = match &self.index {
            Some(index) => std::borrow::Cow::Borrowed(index),
            None => std::borrow::Cow::Owned(LineIndex::new(&self.text)),
        };
        let at = index.line_col(&self.text, offset);
        let part = self.parts.partition_point(|(_, start)| *start <= offset).checked_sub(1);
        match part.map(|p| &self.parts[p]) {
            Some((name, start)) => {
                let first = index.line_col(&self.text, *start).line;
                Location {
                    name: Some(name),
                    line: at.line - first + 1,
                    column: at.column,
                }
            }
            None => Location {
                name: None,
                line: at.line,
                column: at.column,
            },
        }
    }
}

impl std::fmt::Display for Location<'_> {
    /// `policies.yaml:12` or `line 12`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name {
            Some(name) => write!(f, "{name}:{}", self.line),
            None => write!(f, "line {}", self.line),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based_and_count_characters() {
        let text = "a: 1\nbé: ü\n\nlast";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 4);
        assert_eq!(index.line_col(text, 0), LineCol { line: 1, column: 1 });
        assert_eq!(index.line_col(text, 5), LineCol { line: 2, column: 1 });
        // "ü" starts after "bé: " which is 5 bytes but 4 characters.
        let u = text.find('ü').unwrap();
        assert_eq!(index.line_col(text, u), LineCol { line: 2, column: 5 });
        assert_eq!(index.line_col(text, text.len()), LineCol { line: 4, column: 5 });
        assert_eq!(index.offset(text, LineCol { line: 2, column: 5 }), u);
        assert_eq!(
            &text[index.line_span(text, 2).start..index.line_span(text, 2).end],
            "bé: ü"
        );
    }

    #[test]
    fn utf16_offsets_count_surrogate_pairs() {
        let text = "a\n😀b\né";
        let index = LineIndex::new(text);
        assert_eq!(index.utf16(text, 0), 0);
        assert_eq!(index.utf16(text, 2), 2);
        let b = text.find('b').unwrap();
        assert_eq!(index.utf16(text, b), 4, "the emoji is two UTF-16 units");
        assert_eq!(index.utf16(text, text.len()), 7);
    }

    #[test]
    fn offsets_inside_a_character_are_clamped() {
        let text = "é";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 1), LineCol { line: 1, column: 1 });
        assert_eq!(index.line_col(text, 99), LineCol { line: 1, column: 2 });
    }

    #[test]
    fn crlf_lines_exclude_the_carriage_return() {
        let text = "a\r\nb";
        let index = LineIndex::new(text);
        assert_eq!(index.line_span(text, 1), Span::new(0, 1));
        assert_eq!(index.line_span(text, 2), Span::new(3, 4));
    }

    #[test]
    fn source_map_locates_lines_in_their_file() {
        let mut map = SourceMap::default();
        map.add("a.yaml", "kind: A\nx: 1");
        map.add("b.yaml", "kind: B\n---\nkind: C\n");
        assert_eq!(map.text(), "kind: A\nx: 1\n---\nkind: B\n---\nkind: C\n");
        let c = map.text().find("kind: C").expect("C");
        let at = map.locate(c + 2);
        assert_eq!((at.name, at.line, at.column), (Some("b.yaml"), 3, 3));
        assert_eq!(map.locate(9).to_string(), "a.yaml:2");
        assert_eq!(SourceMap::single("a\nb").locate(2).to_string(), "line 2");
    }
}
