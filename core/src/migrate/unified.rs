//! Unified diffs (`diff -u`) of a text and its edits. The edits say exactly
//! what changed, so no diff algorithm is needed: each edit becomes the lines
//! it touches, with three lines of context, and nearby hunks merge.

use std::ops::Range;

/// Lines of context around each change, as `diff -u`.
const CONTEXT: usize = 3;

/// A change: `range` of `text` (bytes) replaced by `replacement`.
pub struct Change<'a> {
    pub range: Range<usize>,
    pub replacement: &'a str,
}

/// The unified diff of `text` and `changes` (sorted, not overlapping), with
/// `a/name` and `b/name` headers; empty when nothing changes.
pub fn diff(name: &str, text: &str, changes: &[Change<'_>]) -> String {
    let starts = line_starts(text);
    let line_count = if text.is_empty() { 0 } else { starts.len() };
    let line_of = |offset: usize| {
        if offset >= text.len() {
            line_count
        } else {
            starts.partition_point(|&s| s <= offset) - 1
        }
    };
    let line_end = |line: usize| starts.get(line + 1).copied().unwrap_or(text.len());
    // Each change as the whole lines it touches: old line range, new text.
    let mut hunks: Vec<(Range<usize>, String)> = Vec::new();
    for change in changes {
        let start = change.range.start.min(text.len());
        let end = change.range.end.clamp(start, text.len());
        let first = line_of(start);
        let last = if end > start {
            line_of(end - 1) + 1
        } else if first == line_count || starts[first] == start {
            // An insertion at the start of a line (or at the end) touches no old line.
            first
        } else {
            first + 1
        };
        let old_start = starts.get(first).copied().unwrap_or(text.len()).min(start);
        let old_end = if last > first { line_end(last - 1) } else { old_start };
        let mut new = String::new();
        new.push_str(&text[old_start..start]);
        new.push_str(change.replacement);
        new.push_str(&text[end..old_end.max(end)]);
        hunks.push((first..last, new));
    }
    if hunks.is_empty() {
        return String::new();
    }
    let old_lines: Vec<&str> = text.split_inclusive('\n').collect();
    debug_assert_eq!(old_lines.len(), line_count);
    let mut out = format!("--- a/{name}\n+++ b/{name}\n");
    let mut i = 0;
    let mut shift: isize = 0;
    while i < hunks.len() {
        // Merge hunks whose contexts touch.
        let mut j = i + 1;
        while j < hunks.len() && hunks[j].0.start <= hunks[j - 1].0.end + 2 * CONTEXT {
            j += 1;
        }
        let from = hunks[i].0.start.saturating_sub(CONTEXT);
        let to = (hunks[j - 1].0.end + CONTEXT).min(line_count);
        let mut body = String::new();
        let (mut old_n, mut new_n) = (0usize, 0usize);
        let mut line = from;
        for (range, new) in &hunks[i..j] {
            for l in &old_lines[line..range.start] {
                push(&mut body, ' ', l);
                old_n += 1;
                new_n += 1;
            }
            for l in &old_lines[range.clone()] {
                push(&mut body, '-', l);
                old_n += 1;
            }
            for l in new.split_inclusive('\n') {
                push(&mut body, '+', l);
                new_n += 1;
            }
            line = range.end;
        }
        for l in &old_lines[line..to] {
            push(&mut body, ' ', l);
            old_n += 1;
            new_n += 1;
        }
        let new_from = (from as isize + shift).max(0) as usize;
        out.push_str(&format!(
            "@@ -{} +{} @@\n",
            header(from, old_n),
            header(new_from, new_n)
        ));
        out.push_str(&body);
        shift += new_n as isize - old_n as isize;
        i = j;
    }
    out
}

fn push(out: &mut String, mark: char, line: &str) {
    out.push(mark);
    out.push_str(line);
    if !line.ends_with('\n') {
        out.push_str("\n\\ No newline at end of file\n");
    }
}

/// `start,count` with 1-based lines; an empty range names the line before it.
fn header(start: usize, count: usize) -> String {
    match count {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        n => format!("{},{n}", start + 1),
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(text.match_indices('\n').map(|(i, _)| i + 1).filter(|&i| i < text.len()));
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_insertion_between_lines_adds_lines_with_context() {
        let text = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let at = text.find("e\n").unwrap();
        let d = diff(
            "p.yaml",
            text,
            &[Change {
                range: at..at,
                replacement: "x\ny\n",
            }],
        );
        assert_eq!(
            d,
            "--- a/p.yaml\n+++ b/p.yaml\n@@ -2,6 +2,8 @@\n b\n c\n d\n+x\n+y\n e\n f\n g\n"
        );
    }

    #[test]
    fn a_replacement_inside_a_line_replaces_that_line() {
        let text = "one\ntwo\nthree\n";
        let at = text.find("two").unwrap();
        let d = diff(
            "f",
            text,
            &[Change {
                range: at..at + 3,
                replacement: "2",
            }],
        );
        assert_eq!(d, "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n one\n-two\n+2\n three\n");
    }

    #[test]
    fn distant_changes_make_two_hunks_and_appending_works() {
        let text: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let at3 = text.find("3\n").unwrap();
        let d = diff(
            "f",
            &text,
            &[
                Change {
                    range: at3..at3 + 1,
                    replacement: "three",
                },
                Change {
                    range: text.len()..text.len(),
                    replacement: "---\nnew: doc\n",
                },
            ],
        );
        assert!(d.contains("@@ -1,6 +1,6 @@\n 1\n 2\n-3\n+three\n 4\n"), "{d}");
        assert!(d.contains("@@ -18,3 +18,5 @@\n 18\n 19\n 20\n+---\n+new: doc\n"), "{d}");
        assert_eq!(diff("f", &text, &[]), "");
    }
}
