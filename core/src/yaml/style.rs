//! How a string is written: plain, double-quoted, as a literal block (`|`)
//! or as a folded block (`>`).
//!
//! The choices are serde-saphyr's, which wrote our YAML before, so output
//! stays byte for byte what it was (but for the few strings `plain.rs`
//! quotes on top): text with line breaks becomes a literal block, a single
//! line longer than [`WIDTH`] that could be plain is folded at spaces,
//! everything [`plain`] refuses is double-quoted (`.`, `#` and `-` alone are
//! single-quoted), the rest is plain. Every style reads back as exactly the
//! string written.

use super::plain;

/// Longer single lines are folded, and folded lines are cut near this width.
const WIDTH: usize = 80;

/// A string in value position (after `key: `, `- `, or alone). Block
/// scalars put their text at column `body`. Ends the line.
pub(super) fn value(out: &mut String, s: &str, body: usize) {
    if s.as_bytes().contains(&b'\n') {
        if block_safe(s) {
            literal(out, s, body);
        } else {
            double_quoted(out, s);
            out.push('\n');
        }
        return;
    }
    if s.len() > WIDTH {
        // Trailing spaces survive in a block scalar, unlike in a plain one.
        let probe = s.trim_end_matches(' ');
        if !probe.is_empty() && plain::value(probe) && s.chars().count() > WIDTH {
            folded(out, s, body);
            return;
        }
    }
    if s.len() == 1 && matches!(s.as_bytes()[0], b'.' | b'#' | b'-') {
        out.push('\'');
        out.push_str(s);
        out.push('\'');
    } else if plain::value(s) {
        out.push_str(s);
    } else {
        double_quoted(out, s);
    }
    out.push('\n');
}

/// A mapping key: plain or double-quoted, never a block.
pub(super) fn key(out: &mut String, s: &str) {
    if plain::key(s) {
        out.push_str(s);
    } else {
        double_quoted(out, s);
    }
}

/// `"..."` with YAML escapes for `"`, `\`, every control character (C0,
/// DEL, C1), the byte order mark, U+2028, U+2029, U+FFFE and U+FFFF.
pub(super) fn double_quoted(out: &mut String, s: &str) {
    out.push('"');
    let mut clean = 0;
    for (i, c) in s.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\0' => "\\0",
            '\u{7}' => "\\a",
            '\u{8}' => "\\b",
            '\t' => "\\t",
            '\n' => "\\n",
            '\u{b}' => "\\v",
            '\u{c}' => "\\f",
            '\r' => "\\r",
            '\u{1b}' => "\\e",
            '\u{85}' => "\\N",
            '\u{2028}' => "\\L",
            '\u{2029}' => "\\P",
            '\u{feff}' => "\\uFEFF",
            '\u{fffe}' => "\\uFFFE",
            '\u{ffff}' => "\\uFFFF",
            c if c.is_control() => "",
            _ => continue,
        };
        out.push_str(&s[clean..i]);
        if escape.is_empty() {
            // The other controls are all below U+0100.
            hex_escape(out, c as u32);
        } else {
            out.push_str(escape);
        }
        clean = i + c.len_utf8();
    }
    out.push_str(&s[clean..]);
    out.push('"');
}

fn hex_escape(out: &mut String, code: u32) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push_str("\\x");
    out.push(char::from(HEX[(code >> 4 & 0xf) as usize]));
    out.push(char::from(HEX[(code & 0xf) as usize]));
}

/// Whether every character can stand in a block scalar as itself: YAML's
/// printable characters, tab and line feed, but not CR (readers turn it into
/// a line feed), the byte order mark, NEL, U+2028 or U+2029 (line breaks to
/// YAML 1.1 readers).
fn block_safe(s: &str) -> bool {
    s.chars().all(|c| match c {
        '\n' | '\t' => true,
        '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}' => false,
        c => matches!(c as u32, 0x20..=0x7e | 0xa0..=0xd7ff | 0xe000..=0xfffd | 0x1_0000..),
    })
}

/// `|` with the chomping that keeps the trailing line breaks exactly (`|-`
/// none, `|` one, `|+` more), and an indentation indicator when the first
/// line with content starts with a space (a reader would otherwise take
/// that space for indentation).
fn literal(out: &mut String, s: &str, body: usize) {
    let content = s.trim_end_matches('\n');
    let breaks = s.len() - content.len();
    out.push('|');
    let first = content.split('\n').find(|line| !line.is_empty()).unwrap_or("");
    if first.starts_with(' ') {
        // Relative to the parent's indentation, which is `body` less one step.
        out.push('2');
    }
    match breaks {
        0 => out.push('-'),
        1 if !content.is_empty() => {}
        _ => out.push('+'),
    }
    out.push('\n');
    if content.is_empty() {
        line_breaks(out, breaks);
        return;
    }
    for line in content.split('\n') {
        if !line.is_empty() {
            indent(out, body);
            out.push_str(line);
        }
        out.push('\n');
    }
    line_breaks(out, breaks.saturating_sub(1));
}

/// `>-` for one long line: lines end where a run of spaces lets them, once
/// past [`WIDTH`] characters. A reader folds each line break back into one
/// space, so a run of `n` spaces leaves `n - 1` at the end of its line, and
/// no line may start with a space or tab (it would be "more indented" and
/// keep its break). A line with no place to cut is left long. (Callers
/// pass text that could be plain: no line break, no tab, no edge space.)
fn folded(out: &mut String, s: &str, body: usize) {
    out.push_str(">-\n");
    // Byte where the current line starts; characters counted since the last cut.
    let mut start = 0;
    let mut count = 0;
    // Whether a run of spaces is open, and where the last closed run (the
    // place for the next cut) ended.
    let mut in_run = false;
    let mut cut = None;
    for (i, c) in s.char_indices() {
        if c == ' ' {
            in_run = true;
        } else if std::mem::take(&mut in_run) && c != '\t' {
            cut = Some(i);
        }
        count += 1;
        if count > WIDTH {
            let Some(end) = cut.take() else {
                break;
            };
            indent(out, body);
            // The run is ASCII spaces: keep all but the one the fold restores.
            out.push_str(&s[start..end - 1]);
            out.push('\n');
            start = end;
            count = 0;
        }
    }
    indent(out, body);
    out.push_str(&s[start..]);
    out.push('\n');
}

/// `n` spaces.
pub(super) fn indent(out: &mut String, mut n: usize) {
    const SPACES: &str = "                                ";
    while n > 0 {
        let step = n.min(SPACES.len());
        out.push_str(&SPACES[..step]);
        n -= step;
    }
}

/// `n` empty lines (line breaks).
fn line_breaks(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n('\n', n));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(s: &str, body: usize) -> String {
        let mut out = String::new();
        value(&mut out, s, body);
        out
    }

    #[test]
    fn double_quotes_escape_every_control_and_separator() {
        let mut out = String::new();
        double_quoted(
            &mut out,
            "\"\\\0\u{7}\u{8}\t\n\u{b}\u{c}\r\u{1b}\u{1}\u{7f}\u{80}\u{85}\u{9f}\u{2028}\u{2029}\u{feff}\u{fffe}\u{ffff}\u{a0}é",
        );
        assert_eq!(
            out,
            r#""\"\\\0\a\b\t\n\v\f\r\e\x01\x7F\x80\N\x9F\L\P\uFEFF\uFFFE\uFFFF"#.to_owned() + "\u{a0}é\""
        );
    }

    #[test]
    fn scalars_take_the_style_they_need() {
        assert_eq!(written("web", 2), "web\n");
        assert_eq!(written("on", 2), "\"on\"\n");
        assert_eq!(written("-", 2), "'-'\n");
        assert_eq!(written("a\u{85}b\n", 2), "\"a\\Nb\\n\"\n");
        assert_eq!(written("a\n  b\n", 4), "|\n    a\n      b\n");
        assert_eq!(written(" a\nb", 2), "|2-\n   a\n  b\n");
        assert_eq!(written("a\n\n\n", 2), "|+\n  a\n\n\n");
        assert_eq!(written("\n", 2), "|+\n\n");
    }

    #[test]
    fn long_lines_fold_at_spaces_keeping_runs() {
        let line = format!("{}  {}", "a".repeat(76), "b".repeat(10));
        assert_eq!(
            written(&line, 2),
            format!(">-\n  {} \n  {}\n", "a".repeat(76), "b".repeat(10))
        );
        let words = "word ".repeat(20);
        let cut = format!("{}\n  {}", "word ".repeat(16).trim_end(), "word ".repeat(4));
        assert_eq!(written(&words, 2), format!(">-\n  {cut}\n"));
        // No space to cut at within the width: the line stays long.
        let word = "x".repeat(100);
        assert_eq!(written(&word, 2), format!(">-\n  {word}\n"));
    }
}
