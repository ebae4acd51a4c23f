//! Addresses and ports, shared by every policy kind.

use std::str::FromStr;

use ipnet::IpNet;

use super::syntax;
use super::Check;
use crate::diagnostic::{Code, Severity};
use crate::model::{Spanned, Str};

/// Parses `a.b.c.d/n` or an IPv6 prefix; the error says what is wrong.
pub(crate) fn parse_cidr(text: &str) -> Result<IpNet, String> {
    if !text.contains('/') {
        return Err(if std::net::IpAddr::from_str(text).is_ok() {
            "an address needs a prefix length".to_owned()
        } else {
            "not an IP prefix".to_owned()
        });
    }
    // Leading zeros are refused by Go's parser (ambiguous with octal).
    let (addr, _) = text.split_once('/').unwrap_or((text, ""));
    if addr.contains('.') && addr.split('.').any(|o| o.len() > 1 && o.starts_with('0')) {
        return Err("IPv4 octets may not have leading zeros".to_owned());
    }
    IpNet::from_str(text).map_err(|_| "not an IP prefix".to_owned())
}

/// Checks one CIDR; warns when host bits are set. Returns the prefix.
pub(super) fn cidr(c: &mut Check, value: &Str) -> Option<IpNet> {
    match parse_cidr(&value.value) {
        Ok(net) => {
            if net.addr() != net.network() {
                c.emit(
                    Code::CidrHostBits,
                    value.span,
                    format!("`{}` has host bits set; it means {}", value.value, net.trunc()),
                    Some(format!("write `{}`", net.trunc())),
                );
            }
            Some(net.trunc())
        }
        Err(why) => {
            let hint = if !value.value.contains('/') && std::net::IpAddr::from_str(&value.value).is_ok() {
                let len = if value.value.contains(':') { 128 } else { 32 };
                Some(format!("for a single address write `{}/{len}`", value.value))
            } else {
                Some("write a prefix such as `10.0.0.0/8` or `fd00::/8`".to_owned())
            };
            c.emit(
                Code::InvalidCidr,
                value.span,
                format!("invalid CIDR `{}`: {why}", value.value),
                hint,
            );
            None
        }
    }
}

/// Every `except` entry must be a CIDR inside `cidr` (same family). The API
/// server wants it strictly smaller (`strict`, NetworkPolicy); Cilium's agent
/// only wants it contained.
pub(super) fn excepts(c: &mut Check, cidr: Option<(IpNet, &Str)>, except: &Spanned<Vec<Str>>, strict: bool) {
    c.at("except", |c| {
        c.each(except, |c, e| {
            let Some(net) = self::cidr(c, e) else { return };
            let Some((outer, outer_text)) = cidr else { return };
            let inside = outer.contains(&net.network()) && net.prefix_len() >= outer.prefix_len();
            let strictly = inside && net.prefix_len() > outer.prefix_len();
            if !inside || (strict && !strictly) {
                let what = if strict { "a strict subset of" } else { "inside" };
                let message = format!("`{}` must be {what} `cidr` ({})", e.value, outer_text.value);
                let hint = Some("an except range outside its cidr excludes nothing; fix or remove it".to_owned());
                // The API server checks NetworkPolicy; for Cilium only the agent does.
                if strict {
                    c.emit(Code::ExceptOutsideCidr, e.span, message, hint);
                } else {
                    c.agent(Code::ExceptOutsideCidr, e.span, message, hint);
                }
            }
        })
    });
}

/// A numeric port: 1..=65535, or 0..=65535 where 0 means "all ports".
pub(super) fn port_number(c: &mut Check, value: i64, span: crate::source::Span, allow_zero: bool) -> bool {
    let low = if allow_zero { 0 } else { 1 };
    if value < low || value > 65535 {
        c.emit(
            Code::InvalidPort,
            span,
            format!("port {value} is out of range: it must be between {low} and 65535, inclusive"),
            None,
        );
        return false;
    }
    true
}

/// A named port (IANA service name).
pub(super) fn port_name(c: &mut Check, name: &str, span: crate::source::Span) -> bool {
    let errors = syntax::port_name(name);
    let Some(first) = errors.first() else { return true };
    let hint = if name.parse::<u32>().is_ok() {
        Some(format!("to give a number, write it without quotes: `port: {name}`"))
    } else {
        Some("a named port is the `name` of a container port, e.g. `http`".to_owned())
    };
    c.emit(
        Code::InvalidPortName,
        span,
        format!("invalid port name `{name}`: {first}"),
        hint,
    );
    false
}

/// A warning that does not block anything, for readability at call sites.
pub(super) fn warn(c: &mut Check, code: Code, span: crate::source::Span, message: String, hint: Option<String>) {
    c.emit_as(code, Severity::Warning, span, message, hint);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_parse_like_the_api_server() {
        assert!(parse_cidr("10.0.0.0/8").is_ok());
        assert!(
            parse_cidr("192.168.1.1/24").is_ok(),
            "host bits are accepted (and warned about)"
        );
        assert!(parse_cidr("fd00::/8").is_ok());
        assert!(parse_cidr("10.0.0.1").is_err());
        assert!(parse_cidr("10.0.0.0/33").is_err());
        assert!(parse_cidr("010.0.0.0/8").is_err());
        assert!(parse_cidr("banana").is_err());
    }
}
