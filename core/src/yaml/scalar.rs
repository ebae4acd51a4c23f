//! What a scalar means: the YAML 1.1 reading that kubectl and the API server
//! apply (through sigs.k8s.io/yaml, i.e. go-yaml v2), so that a manifest is
//! checked as the cluster will read it.
//!
//! - Unquoted `y`, `yes`, `on`, `true`, `n`, `no`, `off`, `false`, in any
//!   letter case, are booleans (YAML 1.1 bool, the "Norway problem").
//! - Unquoted `~`, `null`, `Null`, `NULL` and the empty scalar are null.
//! - Integers may be signed, use `0x`/`0o`/`0b` prefixes and `_` between
//!   digits. A decimal with a redundant leading zero (`0755`, `-01`) stays a
//!   string: YAML 1.1 reads it as octal, YAML 1.2 as decimal, so its value is
//!   not something a manifest should rely on.
//! - Integers beyond 64 bits, and decimals with a fraction or exponent, are
//!   numbers (`Float`); infinities and NaN (`.inf`, `1e999`) are refused,
//!   since JSON, and so the API server, has no such numbers.
//! - Quoted and block scalars are strings, and so is every other plain text.
//! - Explicit tags decide instead: `!!str` and `!` keep the text, `!!int`,
//!   `!!float`, `!!bool` and `!!null` demand their type (and refuse text that
//!   is not), `!!binary` is base64 that must decode to UTF-8 text.

use std::fmt;

use super::tag::TagKind;
use super::Value;

/// Why a scalar cannot be read.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum ScalarError {
    Invalid(&'static str),
    NonFinite(String),
    Base64,
    BinaryNotUtf8,
    NotAString,
}

impl fmt::Display for ScalarError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            ScalarError::Invalid(what) => write!(f, "invalid {what}"),
            ScalarError::NonFinite(text) => {
                write!(f, "non-finite float `{text}` rejected by the configured policy")
            }
            ScalarError::Base64 => f.write_str("invalid !!binary base64"),
            ScalarError::BinaryNotUtf8 => {
                f.write_str("!!binary scalar is not valid UTF-8 so cannot be stored into string.")
            }
            ScalarError::NotAString => f.write_str("cannot deserialize tagged scalar into string"),
        }
    }
}

/// The value of a scalar, given its text (escapes already processed),
/// whether it was written plain (unquoted, not a block scalar), and its tag.
pub(super) fn resolve(text: &str, plain: bool, tag: Option<TagKind>) -> Result<Value, ScalarError> {
    match tag {
        Some(TagKind::Null) => return Ok(Value::Null),
        Some(TagKind::Bool) => {
            return yaml11_bool(text)
                .map(Value::Bool)
                .ok_or(ScalarError::Invalid("boolean"))
        }
        Some(TagKind::Int) if trim(text).starts_with('-') => {
            return signed(text)
                .and_then(|v| i64::try_from(v).ok())
                .map(Value::Int)
                .ok_or(ScalarError::Invalid("i64"))
        }
        Some(TagKind::Int) => {
            return unsigned(text)
                .and_then(|v| u64::try_from(v).ok())
                .map(from_u64)
                .ok_or(ScalarError::Invalid("u64"))
        }
        Some(TagKind::Float) => {
            return match float(text) {
                Some(v) => finite(v, text),
                None => Err(ScalarError::Invalid("floating point")),
            }
        }
        Some(TagKind::Time | TagKind::Degrees | TagKind::Radians) => {
            return Err(ScalarError::Invalid("floating point"))
        }
        _ => {}
    }
    let tag_kind = tag.unwrap_or(TagKind::Other);
    if is_null(tag, text, plain) {
        return Ok(Value::Null);
    }
    if tag == Some(TagKind::Binary) {
        let bytes = base64(text).ok_or(ScalarError::Base64)?;
        return String::from_utf8(bytes)
            .map(Value::Str)
            .map_err(|_| ScalarError::BinaryNotUtf8);
    }
    if !tag_kind.allows_string() {
        return Err(ScalarError::NotAString);
    }
    if !plain || tag_kind.forces_string() {
        return Ok(Value::Str(text.to_owned()));
    }
    Ok(implicit(text)?.unwrap_or_else(|| Value::Str(text.to_owned())))
}

/// Whether `text`, written plain and untagged, reads back as that same
/// string (the emitter quotes everything else).
pub(super) fn reads_as_text(text: &str) -> bool {
    !is_null(None, text, true) && matches!(implicit(text), Ok(None))
}

/// The value implicit typing gives a plain scalar, or `None` when it stays
/// text. Null spellings are the caller's to check (tags change them).
fn implicit(text: &str) -> Result<Option<Value>, ScalarError> {
    if let Some(b) = yaml11_bool(text) {
        return Ok(Some(Value::Bool(b)));
    }
    let t = trim(text);
    if leading_zero_decimal(t) {
        return Ok(None);
    }
    if t.starts_with('-') {
        if let Some(v) = signed(t).and_then(|v| i64::try_from(v).ok()) {
            return Ok(Some(Value::Int(v)));
        }
    } else if let Some(v) = unsigned(t).and_then(|v| u64::try_from(v).ok()) {
        return Ok(Some(from_u64(v)));
    }
    match float(text) {
        Some(v) => finite(v, text).map(Some),
        None => Ok(None),
    }
}

/// Whether a scalar reads as null: `!!null`, or null-like plain text under
/// no tag that fixes another type.
pub(super) fn is_null(tag: Option<TagKind>, text: &str, plain: bool) -> bool {
    match tag {
        Some(TagKind::Null) => true,
        Some(kind)
            if kind.is_core()
                || kind.forces_string()
                || matches!(
                    kind,
                    TagKind::Binary | TagKind::Timestamp | TagKind::Time | TagKind::Degrees | TagKind::Radians
                ) =>
        {
            false
        }
        _ => plain && matches!(text, "" | "~" | "null" | "Null" | "NULL"),
    }
}

/// Integers that are too big for `i64` are still numbers.
fn from_u64(v: u64) -> Value {
    match i64::try_from(v) {
        Ok(v) => Value::Int(v),
        Err(_) => Value::Float(v as f64),
    }
}

fn finite(v: f64, text: &str) -> Result<Value, ScalarError> {
    if v.is_finite() {
        Ok(Value::Float(v))
    } else {
        Err(ScalarError::NonFinite(text.to_owned()))
    }
}

/// Padding that conversions ignore (it can only come from quoted or block
/// scalars under a tag).
fn trim(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\r', '\n'])
}

/// YAML 1.1 booleans, in any letter case.
pub(super) fn yaml11_bool(s: &str) -> Option<bool> {
    let t = trim(s);
    let is = |words: [&str; 4]| words.iter().any(|w| t.eq_ignore_ascii_case(w));
    if is(["true", "yes", "y", "on"]) {
        Some(true)
    } else if is(["false", "no", "n", "off"]) {
        Some(false)
    } else {
        None
    }
}

/// `0755`, `+01`, `-007`: decimal digits after a redundant zero.
fn leading_zero_decimal(t: &str) -> bool {
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())
}

/// An integer's sign and magnitude, which is what makes two integer keys
/// the same key (`0x10` and `16`).
pub(super) fn integer(text: &str) -> Option<(bool, u128)> {
    if trim(text).starts_with('-') {
        signed(text).map(|v| (v < 0, v.unsigned_abs()))
    } else {
        unsigned(text).map(|v| (false, v))
    }
}

/// A signed integer as YAML writes it; `None` when the text is not one or
/// does not fit 128 bits.
pub(super) fn signed(s: &str) -> Option<i128> {
    let t = trim(s);
    let (negative, rest) = match t.strip_prefix('+') {
        Some(rest) => (false, rest),
        None => match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        },
    };
    let (radix, digits) = radix(rest);
    if radix == 10 && digits.starts_with('0') && digits != "0" {
        return None;
    }
    let magnitude = digits_value(digits, radix)?;
    if negative {
        0i128.checked_sub_unsigned(magnitude)
    } else {
        i128::try_from(magnitude).ok()
    }
}

/// An unsigned integer as YAML writes it (a `+` is allowed, a `-` is not).
pub(super) fn unsigned(s: &str) -> Option<u128> {
    let t = trim(s);
    if t.starts_with('-') {
        return None;
    }
    let (radix, digits) = radix(t.strip_prefix('+').unwrap_or(t));
    if radix == 10 && digits.starts_with('0') && digits != "0" {
        return None;
    }
    digits_value(digits, radix)
}

fn radix(rest: &str) -> (u32, &str) {
    for (prefixes, radix) in [(["0x", "0X"], 16), (["0o", "0O"], 8), (["0b", "0B"], 2)] {
        if let Some(digits) = prefixes.iter().find_map(|p| rest.strip_prefix(p)) {
            return (radix, digits);
        }
    }
    (10, rest)
}

/// Digits in `radix`, with single `_` allowed between digits.
fn digits_value(digits: &str, radix: u32) -> Option<u128> {
    let bytes = digits.as_bytes();
    let mut value: u128 = 0;
    let mut any = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'_' {
            let between = i > 0 && bytes[i - 1] != b'_' && bytes.get(i + 1).is_some_and(|&n| n != b'_');
            if !between {
                return None;
            }
            continue;
        }
        let digit = (b as char).to_digit(radix)?;
        value = value.checked_mul(u128::from(radix))?.checked_add(u128::from(digit))?;
        any = true;
    }
    any.then_some(value)
}

/// A float as YAML 1.2 writes it: `.inf`, `-.Inf`, `.NaN` and Rust's decimal
/// syntax (`1.5`, `.5`, `5.`, `1e3`); decimals too large for `f64` are
/// infinite. Rust's `inf`/`nan` spellings are text, not numbers.
fn float(s: &str) -> Option<f64> {
    let t = trim(s);
    let (negative, unsigned) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    match unsigned {
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        ".inf" | ".Inf" | ".INF" if negative => return Some(f64::NEG_INFINITY),
        ".inf" | ".Inf" | ".INF" => return Some(f64::INFINITY),
        _ => {}
    }
    let parsed = t.parse::<f64>().ok();
    if let Some(v) = parsed.filter(|v| v.is_finite()) {
        return Some(v);
    }
    let numeral = t.strip_prefix(['+', '-']).unwrap_or(t);
    if numeral.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        parsed.filter(|v| v.is_infinite())
    } else {
        None
    }
}

/// Standard base64 (RFC 4648, padded); whitespace between characters is
/// ignored, as YAML folds `!!binary` over lines.
fn base64(s: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !clean.len().is_multiple_of(4) {
        return None;
    }
    let value = |b: u8| -> Option<u32> {
        Some(u32::from(match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    let quads = clean.len() / 4;
    let mut out = Vec::with_capacity(quads * 3);
    for (i, quad) in clean.chunks_exact(4).enumerate() {
        let pad = quad.iter().rev().take_while(|&&b| b == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != quads) {
            return None;
        }
        let (a, b) = (value(quad[0])?, value(quad[1])?);
        let c = if pad == 2 { 0 } else { value(quad[2])? };
        let d = if pad >= 1 { 0 } else { value(quad[3])? };
        if (pad == 2 && b & 0x0f != 0) || (pad == 1 && c & 0x03 != 0) {
            return None;
        }
        let bits = (a << 18) | (b << 12) | (c << 6) | d;
        out.push((bits >> 16) as u8);
        if pad < 2 {
            out.push((bits >> 8) as u8);
        }
        if pad == 0 {
            out.push(bits as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> Value {
        resolve(text, true, None).unwrap()
    }

    fn tagged(text: &str, tag: TagKind) -> Result<Value, ScalarError> {
        resolve(text, true, Some(tag))
    }

    fn s(text: &str) -> Value {
        Value::Str(text.to_owned())
    }

    #[test]
    fn yaml_1_1_booleans_in_any_case() {
        for t in ["y", "Y", "yes", "Yes", "on", "ON", "true", "tRuE"] {
            assert_eq!(plain(t), Value::Bool(true), "{t}");
        }
        for t in ["n", "N", "no", "NO", "off", "Off", "false", "FALSE"] {
            assert_eq!(plain(t), Value::Bool(false), "{t}");
        }
        assert_eq!(plain("yess"), s("yess"));
    }

    #[test]
    fn null_spellings() {
        for t in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(plain(t), Value::Null, "{t:?}");
        }
        assert_eq!(plain("nULL"), s("nULL"));
    }

    #[test]
    fn quoted_and_block_scalars_are_strings() {
        assert_eq!(resolve("on", false, None).unwrap(), s("on"));
        assert_eq!(resolve("80", false, None).unwrap(), s("80"));
        assert_eq!(resolve("", false, None).unwrap(), s(""));
    }

    #[test]
    fn integers_in_every_radix_with_separators() {
        assert_eq!(plain("80"), Value::Int(80));
        assert_eq!(plain("+12"), Value::Int(12));
        assert_eq!(plain("-0"), Value::Int(0));
        assert_eq!(plain("0x1F"), Value::Int(31));
        assert_eq!(plain("-0b11"), Value::Int(-3));
        assert_eq!(plain("0o17"), Value::Int(15));
        assert_eq!(plain("1_000"), Value::Int(1000));
        assert_eq!(plain("-0x8000000000000000"), Value::Int(i64::MIN));
        assert_eq!(plain("1__0"), s("1__0"));
        assert_eq!(plain("0x_1"), s("0x_1"));
        assert_eq!(plain("0x"), s("0x"));
    }

    #[test]
    fn leading_zeros_stay_strings() {
        for t in ["0755", "00", "-007", "+01"] {
            assert_eq!(plain(t), s(t), "{t}");
        }
        assert_eq!(plain("0"), Value::Int(0));
        assert_eq!(plain("0.5"), Value::Float(0.5));
    }

    #[test]
    fn integers_beyond_64_bits_are_numbers() {
        assert_eq!(
            plain("18446744073709551615"),
            Value::Float(18446744073709551615u64 as f64)
        );
        assert_eq!(
            plain("9223372036854775808"),
            Value::Float(9223372036854775808u64 as f64)
        );
        assert_eq!(plain("-9223372036854775809"), Value::Float(-9223372036854775809f64));
        assert_eq!(plain("0x8000000000000000"), Value::Float(9223372036854775808u64 as f64));
    }

    #[test]
    fn floats_and_the_refused_infinities() {
        assert_eq!(plain("1e3"), Value::Float(1000.0));
        assert_eq!(plain(".5"), Value::Float(0.5));
        assert_eq!(plain("5."), Value::Float(5.0));
        assert_eq!(plain("-1.5E-1"), Value::Float(-0.15));
        assert_eq!(plain("0.5e"), s("0.5e"));
        assert_eq!(plain("0.1_0"), s("0.1_0"));
        for t in ["inf", "nan", "Infinity", "-inf"] {
            assert_eq!(plain(t), s(t), "{t}");
        }
        for t in [".inf", "-.Inf", "+.INF", ".nan", "1e999", "-1e999"] {
            assert_eq!(resolve(t, true, None), Err(ScalarError::NonFinite(t.to_owned())), "{t}");
        }
    }

    #[test]
    fn tags_decide_the_type() {
        assert_eq!(tagged("12", TagKind::Str), Ok(s("12")));
        assert_eq!(tagged("~", TagKind::Str), Ok(s("~")));
        assert_eq!(tagged("yes", TagKind::NonSpecific), Ok(s("yes")));
        assert_eq!(tagged("yes", TagKind::Other), Ok(Value::Bool(true)));
        assert_eq!(tagged("~", TagKind::Other), Ok(Value::Null));
        assert_eq!(tagged("foo", TagKind::Null), Ok(Value::Null));
        assert_eq!(tagged("1", TagKind::Float), Ok(Value::Float(1.0)));
        assert_eq!(tagged("yes", TagKind::Bool), Ok(Value::Bool(true)));
        assert_eq!(tagged("maybe", TagKind::Bool), Err(ScalarError::Invalid("boolean")));
        assert_eq!(tagged("-0x10", TagKind::Int), Ok(Value::Int(-16)));
        assert_eq!(tagged("0755", TagKind::Int), Err(ScalarError::Invalid("u64")));
        assert_eq!(tagged("-x", TagKind::Int), Err(ScalarError::Invalid("i64")));
        assert_eq!(
            tagged("1_0", TagKind::Float),
            Err(ScalarError::Invalid("floating point"))
        );
        assert_eq!(
            tagged(".nan", TagKind::Float),
            Err(ScalarError::NonFinite(".nan".into()))
        );
        assert_eq!(tagged("2001-01-01", TagKind::Timestamp), Err(ScalarError::NotAString));
        assert_eq!(tagged("1", TagKind::Time), Err(ScalarError::Invalid("floating point")));
    }

    #[test]
    fn binary_is_base64_text() {
        assert_eq!(tagged("aGVsbG8=", TagKind::Binary), Ok(s("hello")));
        assert_eq!(tagged("aGVs\n bG8=", TagKind::Binary), Ok(s("hello")));
        assert_eq!(tagged("!!!", TagKind::Binary), Err(ScalarError::Base64));
        assert_eq!(tagged("aGVsbG8", TagKind::Binary), Err(ScalarError::Base64));
        assert_eq!(tagged("/w==", TagKind::Binary), Err(ScalarError::BinaryNotUtf8));
    }
}
