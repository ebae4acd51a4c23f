//! A check for the regular expressions of HTTP rules (`path`, `method`).
//! Cilium compiles them with Go's RE2; this finds the mistakes RE2 refuses
//! (unbalanced groups and classes, nothing to repeat, nested repetition,
//! back-references and look-arounds, which RE2 does not support) without
//! shipping a regex engine. It never refuses a pattern RE2 accepts.

/// `Err(reason)` when RE2 would refuse `pattern`.
pub(super) fn check(pattern: &str) -> Result<(), String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut depth = 0usize;
    // Whether the previous token can be repeated, and whether it already was.
    let mut can_repeat = false;
    let mut repeated = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let Some(&next) = chars.get(i + 1) else {
                    return Err("trailing backslash at end of expression".to_owned());
                };
                if next.is_ascii_digit() && next != '0' {
                    return Err(format!(
                        "invalid escape sequence `\\{next}` (RE2 has no back-references)"
                    ));
                }
                i += 2;
                can_repeat = true;
                repeated = false;
                continue;
            }
            '[' => {
                i = class_end(&chars, i)?;
                can_repeat = true;
                repeated = false;
                continue;
            }
            '(' => {
                can_repeat = false;
                repeated = false;
                if chars.get(i + 1) == Some(&'?') {
                    let rest: String = chars[i + 2..].iter().take(3).collect();
                    if rest.starts_with('=')
                        || rest.starts_with('!')
                        || rest.starts_with("<=")
                        || rest.starts_with("<!")
                    {
                        return Err("look-around assertions like `(?=` are not supported by RE2".to_owned());
                    }
                    // Flags `(?i)`, a flag group `(?i:`, or a named group `(?P<n>` / `(?<n>`.
                    let Some(end) = chars[i + 2..].iter().position(|&c| matches!(c, ')' | ':' | '>')) else {
                        return Err("missing closing `)`".to_owned());
                    };
                    let end = i + 2 + end;
                    if chars[end] != ')' {
                        depth += 1;
                    }
                    i = end + 1;
                    continue;
                }
                depth += 1;
            }
            ')' => {
                if depth == 0 {
                    return Err("unexpected `)`".to_owned());
                }
                depth -= 1;
                can_repeat = true;
                repeated = false;
            }
            '|' => {
                can_repeat = false;
                repeated = false;
            }
            '*' | '+' | '?' => {
                if repeated {
                    // `a*?` is a lazy quantifier; anything else is nested repetition.
                    if c == '?' && chars[i - 1] != '?' {
                        repeated = true;
                        can_repeat = false;
                        i += 1;
                        continue;
                    }
                    return Err(format!("invalid nested repetition operator `{}{c}`", chars[i - 1]));
                }
                if !can_repeat {
                    return Err(format!("missing argument to repetition operator `{c}`"));
                }
                repeated = true;
            }
            '{' => {
                if let Some((end, min, max)) = counted(&chars, i) {
                    if repeated {
                        return Err("invalid nested repetition operator".to_owned());
                    }
                    if !can_repeat {
                        return Err("missing argument to repetition operator `{`".to_owned());
                    }
                    if min > 1000 || max.is_some_and(|m| m > 1000 || m < min) {
                        return Err("invalid repeat count".to_owned());
                    }
                    repeated = true;
                    i = end;
                    continue;
                }
                // A `{` that does not start a count is a literal.
                can_repeat = true;
                repeated = false;
            }
            _ => {
                can_repeat = !matches!(c, '^' | '$');
                repeated = false;
            }
        }
        i += 1;
    }
    if depth > 0 {
        return Err("missing closing `)`".to_owned());
    }
    Ok(())
}

/// Index just past the `]` closing the class opened at `start`.
fn class_end(chars: &[char], start: usize) -> Result<usize, String> {
    let mut i = start + 1;
    if chars.get(i) == Some(&'^') {
        i += 1;
    }
    // A `]` right after `[` or `[^` is a literal.
    if chars.get(i) == Some(&']') {
        i += 1;
    }
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '[' if chars.get(i + 1) == Some(&':') => {
                // `[:alpha:]` inside a class.
                let close = chars[i + 2..].windows(2).position(|w| w == [':', ']']);
                i = match close {
                    Some(p) => i + 2 + p + 2,
                    None => i + 1,
                };
            }
            ']' => return Ok(i + 1),
            _ => i += 1,
        }
    }
    Err("missing closing `]`".to_owned())
}

/// A `{n}`, `{n,}` or `{n,m}` count at `start`: (index past `}`, n, m).
fn counted(chars: &[char], start: usize) -> Option<(usize, u32, Option<u32>)> {
    let close = chars[start..].iter().position(|&c| c == '}')? + start;
    let body: String = chars[start + 1..close].iter().collect();
    let (min, max) = match body.split_once(',') {
        Some((a, "")) => (a.parse().ok()?, None),
        Some((a, b)) => (a.parse().ok()?, Some(b.parse().ok()?)),
        None => {
            let n = body.parse().ok()?;
            (n, Some(n))
        }
    };
    Some((close + 1, min, max))
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepts_what_re2_accepts() {
        for ok in [
            "/public/.*",
            "GET|POST",
            "^/api/v[0-9]+/users$",
            "/a{2,3}",
            "a*?",
            "[]a]",
            "[^]]",
            "x{",
            "\\d+",
            "(?i)get",
            "[[:alpha:]]+",
            "(a|b)?",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn refuses_what_re2_refuses() {
        for bad in [
            "(abc", "abc)", "[abc", "*abc", "a**", "a++", "(?=x)", "(?!x)", "(a)\\1", "a{3,2}", "\\", "(|*)",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }
}
