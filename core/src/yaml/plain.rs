//! Whether a string may be written as a plain (unquoted) scalar.
//!
//! A plain scalar goes through implicit typing when it is read, and readers
//! disagree: kubectl and the API server (go-yaml, YAML 1.1) take `on`, `y`,
//! `0755`, `1:20` and `2026-01-01` for booleans, numbers and dates, YAML 1.2
//! readers take `0o17` and `1e3` for numbers. A string is written plain only
//! when no such reader could take it for anything else, and when nothing in
//! it is YAML syntax (indicators, `: `, ` #`, line breaks, edge spaces). The
//! rules are the ones serde-saphyr's serializer applied, so that output did
//! not change when it was replaced; on top of them, every spelling of
//! infinity and NaN is quoted, and so are Unicode spaces at either end and
//! anything our own reader ([`super::scalar`]) would not read back as the
//! same string.

/// Whether `s` can be written plain as a mapping value, a sequence item or a
/// document of its own.
pub(super) fn value(s: &str) -> bool {
    decide(s, false)
}

/// Keys are stricter: an implicit key must not contain `:` at all, and
/// flow indicators are kept out so that a key reads the same in flow style.
pub(super) fn key(s: &str) -> bool {
    decide(s, true)
}

fn decide(s: &str, key: bool) -> bool {
    let answer = name(s).unwrap_or_else(|| by_every_rule(s, key));
    debug_assert_eq!(answer, by_every_rule(s, key), "{s:?}");
    answer
}

fn by_every_rule(s: &str, key: bool) -> bool {
    let key_syntax = |b: u8| matches!(b, b':' | b',' | b'[' | b']' | b'{' | b'}');
    let refused = typed(s) || syntax(s) || (key && s.bytes().any(key_syntax));
    !refused && super::scalar::reads_as_text(s)
}

/// The common case, decided in one pass (emitting is mostly this): names,
/// labels and API groups (`web`, `app.kubernetes.io/name`, `apps/v1`).
/// Text that starts with a letter and holds only letters, digits, `.`, `_`,
/// `/` and `-` is no syntax, no number and no date, and not a key's
/// problem either; it can only be one of the typed words. `None` for
/// anything else.
fn name(s: &str) -> Option<bool> {
    let bytes = s.as_bytes();
    let simple = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-');
    if !bytes.first()?.is_ascii_alphabetic() || !bytes.iter().all(simple) {
        return None;
    }
    Some(!typed_word(s))
}

/// Characters no plain or single-quoted scalar can hold: C0 and C1
/// controls, DEL, the byte order mark, the Unicode line and paragraph
/// separators, and the noncharacters U+FFFE and U+FFFF.
pub(super) fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{FEFF}' | '\u{2028}' | '\u{2029}' | '\u{FFFE}' | '\u{FFFF}')
}

/// Whether some reader would resolve `s`, written plain, to null, a
/// boolean, a number or a date, or treat it as a merge or value key.
fn typed(s: &str) -> bool {
    matches!(s, "" | "~" | "<<" | "=") || typed_word(s) || number(s) || timestamp(s)
}

/// Null and the YAML 1.1 booleans in any letter case, and infinity and NaN
/// in every sign, dot and letter case (`.inf`, `-Inf`, `NaN`, `+infinity`:
/// old go-yaml versions handed signed words to `strconv.ParseFloat`).
fn typed_word(s: &str) -> bool {
    const WORDS: [u128; 9] = [
        packed(b"null"),
        packed(b"true"),
        packed(b"false"),
        packed(b"yes"),
        packed(b"no"),
        packed(b"on"),
        packed(b"off"),
        packed(b"y"),
        packed(b"n"),
    ];
    const NOT_NUMBERS: [u128; 3] = [packed(b"inf"), packed(b"infinity"), packed(b"nan")];
    let bytes = s.as_bytes();
    // The longest is `+.infinity`; every one starts with a sign, a dot or
    // the first letter of a word (most names are ruled out here).
    if bytes.len() > 10
        || !matches!(
            bytes.first(),
            Some(
                b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'y' | b'Y' | b'o' | b'O' | b'i' | b'I' | b'+' | b'-' | b'.'
            )
        )
    {
        return false;
    }
    let unsigned = match bytes {
        [b'+' | b'-', rest @ ..] => rest,
        _ => bytes,
    };
    let bare = match unsigned {
        [b'.', rest @ ..] => rest,
        _ => unsigned,
    };
    WORDS.contains(&packed(bytes)) || NOT_NUMBERS.contains(&packed(bare))
}

/// A short word in lower case as one number (its bytes, then its length),
/// so that comparing words is comparing numbers.
const fn packed(word: &[u8]) -> u128 {
    let mut bytes = [0u8; 16];
    let mut i = 0;
    while i < word.len() && i < 15 {
        bytes[i] = word[i].to_ascii_lowercase();
        i += 1;
    }
    bytes[15] = word.len() as u8;
    u128::from_le_bytes(bytes)
}

/// Integers and floats as YAML 1.1, YAML 1.2 and go-yaml spell them:
/// signs, `0b`/`0o`/`0x` prefixes, `_` anywhere (go-yaml drops them before
/// resolving), leading-zero octal, exponents, fractions with an empty
/// integer part (`.5`) and YAML 1.1's loose fraction (`1.2.3`), and base-60.
fn number(s: &str) -> bool {
    if !s.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | '_')) {
        return false;
    }
    if sexagesimal(s) {
        return true;
    }
    // YAML 1.1 allows `_` anywhere in prefixed integers, even `0x_`.
    if let Some((radix, digits)) = radix_prefix(strip_sign(s)) {
        if !digits.is_empty() && digits.chars().all(|c| c == '_' || c.is_digit(radix)) {
            return true;
        }
    }
    let joined;
    let s = if s.contains('_') {
        joined = s.replace('_', "");
        joined.as_str()
    } else {
        s
    };
    let unsigned = strip_sign(s);
    if let Some((radix, digits)) = radix_prefix(unsigned) {
        // go-yaml reads `0b-1` and `0o+7` (a sign after an unsigned lower-case prefix).
        let digits = if s.starts_with("0b") || s.starts_with("0o") {
            strip_sign(digits)
        } else {
            digits
        };
        return all_digits(digits, radix);
    }
    let mantissa = match unsigned.bytes().position(|b| b == b'e' || b == b'E') {
        Some(e) if all_digits(strip_sign(&unsigned[e + 1..]), 10) => &unsigned[..e],
        Some(_) => return false,
        None => unsigned,
    };
    match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            (whole.is_empty() || all_digits(whole, 10)) && fraction.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        }
        None => all_digits(mantissa, 10),
    }
}

/// YAML 1.1 base-60 numbers: `1:20`, `-1:30:00`, `0:30.5`.
fn sexagesimal(s: &str) -> bool {
    let unsigned = strip_sign(s);
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (unsigned, None),
    };
    let Some((first, rest)) = integer.split_once(':') else {
        return false;
    };
    let Some(&lead) = first.as_bytes().first() else {
        return false;
    };
    // An integer may not start with 0; a float may.
    if !lead.is_ascii_digit() || (fraction.is_none() && lead == b'0') {
        return false;
    }
    let sixty = |part: &str| match part.as_bytes() {
        [units] => units.is_ascii_digit(),
        [tens, units] => (b'0'..=b'5').contains(tens) && units.is_ascii_digit(),
        _ => false,
    };
    first.bytes().all(|b| b.is_ascii_digit() || b == b'_')
        && rest.split(':').all(sixty)
        && fraction.is_none_or(|f| f.bytes().all(|b| b.is_ascii_digit() || b == b'_'))
}

/// YAML 1.1 timestamps, by syntax only (go-yaml tags `2026-13-45` too):
/// a date, optionally a time after `T` or blanks, a fraction, a zone.
fn timestamp(s: &str) -> bool {
    let mut rest = s;
    let date = digits(&mut rest, 4, 4)
        && symbol(&mut rest, '-')
        && digits(&mut rest, 1, 2)
        && symbol(&mut rest, '-')
        && digits(&mut rest, 1, 2);
    if !date {
        return false;
    }
    if rest.is_empty() {
        return true;
    }
    if !symbol(&mut rest, 'T') && !symbol(&mut rest, 't') {
        let blanks = rest.trim_start_matches([' ', '\t']);
        if blanks.len() == rest.len() {
            return false;
        }
        rest = blanks;
    }
    let time = digits(&mut rest, 1, 2)
        && symbol(&mut rest, ':')
        && digits(&mut rest, 1, 2)
        && symbol(&mut rest, ':')
        && digits(&mut rest, 1, 2);
    if !time {
        return false;
    }
    if symbol(&mut rest, '.') || symbol(&mut rest, ',') {
        digits(&mut rest, 0, usize::MAX);
    }
    rest = rest.trim_start_matches([' ', '\t']);
    if rest.is_empty() || rest == "Z" {
        return true;
    }
    if !(symbol(&mut rest, '+') || symbol(&mut rest, '-')) || !digits(&mut rest, 1, 2) {
        return false;
    }
    if symbol(&mut rest, ':') && !digits(&mut rest, 2, 2) {
        return false;
    }
    rest.is_empty()
}

/// Whether writing `s` plain would be read as YAML syntax or lose
/// characters: edge whitespace, a leading indicator, a document marker,
/// `: ` or a final `:`, a comment start, anything that needs escaping.
fn syntax(s: &str) -> bool {
    let bytes = s.as_bytes();
    let Some(&first) = bytes.first() else {
        return true;
    };
    // Unicode spaces too (U+00A0, U+3000): some readers trim them.
    s.starts_with(char::is_whitespace)
        || s.ends_with(char::is_whitespace)
        || matches!(
            first,
            b',' | b':'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'#'
                | b'&'
                | b'*'
                | b'!'
                | b'|'
                | b'>'
                | b'\''
                | b'"'
                | b'%'
                | b'@'
                | b'`'
        )
        || (matches!(first, b'-' | b'?') && bytes.get(1).is_none_or(u8::is_ascii_whitespace))
        || document_marker(s)
        || inner_syntax(s)
}

/// `: `, a final `:`, a comment start, anything that needs escaping.
fn inner_syntax(s: &str) -> bool {
    if !s.is_ascii() {
        return s.contains(": ") || s.trim().ends_with(':') || s.chars().any(needs_escape) || comment(s);
    }
    // The same in one pass over bytes.
    let mut previous = b'x';
    for &b in s.as_bytes() {
        let control = b < 0x20 || b == 0x7f;
        if control || (b == b' ' && previous == b':') || (b == b'#' && previous == b' ') {
            return true;
        }
        previous = b;
    }
    s.trim_ascii_end().ends_with(':')
}

/// `---` or `...`, alone or followed by whitespace.
fn document_marker(s: &str) -> bool {
    s.strip_prefix("---")
        .or_else(|| s.strip_prefix("..."))
        .is_some_and(|rest| rest.as_bytes().first().is_none_or(u8::is_ascii_whitespace))
}

/// A `#` after whitespace starts a comment.
fn comment(s: &str) -> bool {
    s.match_indices('#')
        .any(|(i, _)| s[..i].chars().next_back().is_some_and(char::is_whitespace))
}

fn strip_sign(s: &str) -> &str {
    s.strip_prefix(['+', '-']).unwrap_or(s)
}

fn radix_prefix(s: &str) -> Option<(u32, &str)> {
    let radix = match s.as_bytes() {
        [b'0', b'b' | b'B', ..] => 2,
        [b'0', b'o' | b'O', ..] => 8,
        [b'0', b'x' | b'X', ..] => 16,
        _ => return None,
    };
    Some((radix, &s[2..]))
}

fn all_digits(s: &str, radix: u32) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_digit(radix))
}

/// Consumes `min..=max` ASCII digits.
fn digits(s: &mut &str, min: usize, max: usize) -> bool {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    if !(min..=max).contains(&n) {
        return false;
    }
    *s = &s[n..];
    true
}

/// Consumes `c`.
fn symbol(s: &mut &str, c: char) -> bool {
    match s.strip_prefix(c) {
        Some(rest) => {
            *s = rest;
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_spellings_are_not_plain() {
        for s in [
            "",
            "~",
            "null",
            "NULL",
            "nUll",
            "true",
            "False",
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "N",
            "<<",
            "=",
            "0",
            "-1",
            "+12",
            "0755",
            "0x1F",
            "0X1f",
            "0o17",
            "0b101",
            "0b1_0",
            "+0b10",
            "0b-1",
            "1_000",
            "_1",
            "1__0",
            "1e3",
            "1E+3",
            "-2e-5",
            "1.5",
            ".5",
            "-.5",
            "5.",
            "1.2.3",
            "10.0.0.1",
            ".",
            "..",
            "0x_",
            ".inf",
            "-.Inf",
            "+.INF",
            ".nan",
            ".NaN",
            "nan",
            "NaN",
            "inf",
            "-inf",
            "+nan",
            "Infinity",
            "-infinity",
            "1:20",
            "-1:30:00",
            "190:20:30",
            "0:30.5",
            "1:20.5",
            "2026-01-01",
            "2026-1-1",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14 21:59:43.10 -5",
            "2001-12-15T02:59:43.1Z",
            "2001-12-14 21:59:43",
        ] {
            assert!(!value(s), "{s:?} should be quoted");
        }
    }

    #[test]
    fn ordinary_text_is_plain() {
        for s in [
            "web",
            "app.kubernetes.io/name",
            "k8s:app",
            "10.0.0.0/8",
            "fd00::/8",
            "a b",
            "a#b",
            "-a",
            "?a",
            "a:b",
            "x.*",
            "x*",
            "1.2.3.4/32",
            "0:30",
            "1:60",
            "8080:80",
            "2026-01-01-x",
            "2026-01-01 notes",
            "ünïcödé",
            "a,b",
            "x[0]",
            "---x",
            "...x",
            "+-1",
            "0x1p3",
            "infinite",
            "nano",
            "yess",
            "<<a",
            "==",
        ] {
            assert!(value(s), "{s:?} should be plain");
        }
    }

    #[test]
    fn syntax_is_not_plain() {
        for s in [
            " a",
            "a ",
            "\ta",
            "- a",
            "-",
            "?",
            "? a",
            "-\t",
            "a: b",
            "a:",
            "a :",
            "a #b",
            "a\u{a0}#b",
            "#a",
            "&a",
            "*a",
            "!a",
            "|a",
            ">a",
            "'a",
            "\"a",
            "%a",
            "@a",
            "`a",
            ",a",
            "[a",
            "]a",
            "{a",
            "}a",
            ":a",
            "---",
            "...",
            "--- a",
            "...\t",
            "a\nb",
            "a\tb",
            "a\rb",
            "\u{0}",
            "\u{7f}",
            "\u{85}",
            "\u{9f}",
            "\u{feff}a",
            "a\u{2028}",
            "a\u{2029}b",
            "\u{fffe}",
            "\u{ffff}",
            "\u{a0}",
            "x\u{3000}",
        ] {
            assert!(!value(s), "{s:?} should be quoted");
        }
    }

    #[test]
    fn keys_refuse_colons_and_flow_indicators() {
        for s in ["a:b", "a,b", "x[0]", "{y}", "a}"] {
            assert!(!key(s), "{s:?}");
        }
        assert!(key("app.kubernetes.io/name"));
        assert!(key("a#b"));
        assert!(!key("on"));
    }
}
