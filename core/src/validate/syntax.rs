//! The string formats Kubernetes and Cilium require, with the API server's
//! own error wording (k8s.io/apimachinery `util/validation`).

/// Errors of a DNS-1123 subdomain (object names): empty when valid.
pub fn dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > 253 {
        errors.push("must be no more than 253 characters".to_owned());
    }
    if value.is_empty() || !value.split('.').all(is_dns1123_label_shape) {
        errors.push(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character".to_owned(),
        );
    }
    errors
}

/// Errors of a DNS-1123 label (namespace names): empty when valid.
pub fn dns1123_label(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > 63 {
        errors.push("must be no more than 63 characters".to_owned());
    }
    if !is_dns1123_label_shape(value) {
        errors.push(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character".to_owned(),
        );
    }
    errors
}

/// Errors of a DNS-1035 label (Service names): empty when valid.
pub fn dns1035_label(value: &str) -> Vec<String> {
    let mut errors = dns1123_label(value);
    if errors.is_empty() && !value.starts_with(|c: char| c.is_ascii_lowercase()) {
        errors.push("a DNS-1035 label must start with a lowercase letter".to_owned());
    }
    errors
}

fn is_dns1123_label_shape(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, the name part of a label key
/// and the shape of a label value.
fn is_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// Errors of a qualified name (label and annotation keys): an optional
/// DNS subdomain prefix and `/`, then a name of at most 63 characters.
pub fn qualified_name(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    let (prefix, name) = match value.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, value),
    };
    if name.contains('/') {
        errors.push("a qualified name must consist of alphanumeric characters, '-', '_' or '.', with an optional DNS subdomain prefix and '/'".to_owned());
        return errors;
    }
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            errors.push("prefix part must be non-empty".to_owned());
        } else {
            errors.extend(
                dns1123_subdomain(prefix)
                    .into_iter()
                    .map(|e| format!("prefix part {e}")),
            );
        }
    }
    if name.is_empty() {
        errors.push("name part must be non-empty".to_owned());
    } else {
        if name.len() > 63 {
            errors.push("name part must be no more than 63 characters".to_owned());
        }
        if !is_qualified_name_part(name) {
            errors.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character".to_owned());
        }
    }
    errors
}

/// Errors of a label value: at most 63 characters, empty allowed.
pub fn label_value(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > 63 {
        errors.push("must be no more than 63 characters".to_owned());
    }
    if !value.is_empty() && !is_qualified_name_part(value) {
        errors.push("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character".to_owned());
    }
    errors
}

/// The Cilium namespace-labels prefix (`io.cilium.k8s.namespace.labels.`).
pub const NAMESPACE_LABELS_PREFIX: &str = "io.cilium.k8s.namespace.labels.";

/// Errors of a Cilium selector key: an optional alphanumeric source and
/// `:`, then a Kubernetes label key (the namespace-labels prefix does not
/// count towards its length). Mirrors cilium `pkg/labels` IsValidCiliumLabelKey.
pub fn cilium_label_key(key: &str) -> Vec<String> {
    let mut errors = Vec::new();
    let label = match key.split_once(':') {
        None => key,
        Some((source, label)) if !label.contains(':') => {
            if source.is_empty() || !source.chars().all(|c| c.is_ascii_alphanumeric()) {
                errors.push("label source should be a non empty string with only alphanumeric characters".to_owned());
            }
            label
        }
        Some(_) => {
            errors.push("a valid label key only supports ':' as a source separator with a non-empty value".to_owned());
            return errors;
        }
    };
    let label = label.strip_prefix(NAMESPACE_LABELS_PREFIX).unwrap_or(label);
    errors.extend(qualified_name(label));
    errors
}

/// Errors of an IANA service name (named ports): at most 15 characters of
/// `[a-z0-9-]`, at least one letter, no leading, trailing or double hyphen.
pub fn port_name(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > 15 {
        errors.push("must be no more than 15 characters".to_owned());
    }
    if !value
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        errors.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_owned());
    }
    if value.contains("--") {
        errors.push("must not contain consecutive hyphens".to_owned());
    }
    if !value.bytes().any(|c| c.is_ascii_lowercase()) {
        errors.push("must contain at least one letter (a-z)".to_owned());
    }
    if value.starts_with('-') || value.ends_with('-') {
        errors.push("must not begin or end with a hyphen".to_owned());
    }
    errors
}

/// Whether `value`, with its ASCII letters in lower case, is an IANA
/// service name (what `port_name` of the lower-cased text finds nothing
/// wrong with), without copying it: ports are mostly numbers, which are not.
pub fn is_port_name_any_case(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() <= 15
        && bytes.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && bytes.iter().any(u8::is_ascii_alphabetic)
        && !value.contains("--")
        && !value.starts_with('-')
        && !value.ends_with('-')
}

/// Cilium's DNS name pattern (`matchName`): `^([-a-zA-Z0-9_]+[.]?)+$`.
pub fn is_dns_match_name(value: &str) -> bool {
    dns_shape(value, false)
}

/// Cilium's DNS pattern (`matchPattern`, `serverNames`): `*` allowed.
pub fn is_dns_match_pattern(value: &str) -> bool {
    dns_shape(value, true)
}

fn dns_shape(value: &str, wildcard: bool) -> bool {
    // Labels of allowed characters separated by single dots; an optional
    // trailing dot.
    let body = value.strip_suffix('.').unwrap_or(value);
    !body.is_empty()
        && body.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || (wildcard && c == '*'))
        })
}

/// Whether `c` is in Unicode general category C (control, format, private
/// use; surrogates cannot occur in a Rust string; unassigned code points are
/// not tracked), which the CRD pattern `\PC` excludes.
pub fn is_other_category(c: char) -> bool {
    const FORMAT: &[(u32, u32)] = &[
        (0x00AD, 0x00AD),
        (0x0600, 0x0605),
        (0x061C, 0x061C),
        (0x06DD, 0x06DD),
        (0x070F, 0x070F),
        (0x0890, 0x0891),
        (0x08E2, 0x08E2),
        (0x180E, 0x180E),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x2064),
        (0x2066, 0x206F),
        (0xFEFF, 0xFEFF),
        (0xFFF9, 0xFFFB),
        (0x110BD, 0x110BD),
        (0x110CD, 0x110CD),
        (0x13430, 0x1343F),
        (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A),
        (0xE0001, 0xE0001),
        (0xE0020, 0xE007F),
    ];
    const PRIVATE_USE: &[(u32, u32)] = &[(0xE000, 0xF8FF), (0xF0000, 0xFFFFD), (0x100000, 0x10FFFD)];
    let u = c as u32;
    c.is_control() || FORMAT.iter().chain(PRIVATE_USE).any(|&(lo, hi)| (lo..=hi).contains(&u))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_rfc_1123() {
        assert!(dns1123_subdomain("allow-web.v2").is_empty());
        assert!(!dns1123_subdomain("Allow").is_empty());
        assert!(!dns1123_subdomain("-a").is_empty());
        assert!(!dns1123_subdomain("").is_empty());
        assert!(dns1123_label("kube-system").is_empty());
        assert!(!dns1123_label("a.b").is_empty());
        assert!(!dns1035_label("1abc").is_empty());
    }

    #[test]
    fn label_keys_and_values_follow_apimachinery() {
        assert!(qualified_name("app").is_empty());
        assert!(qualified_name("app.kubernetes.io/name").is_empty());
        assert!(!qualified_name("app.kubernetes.io/").is_empty());
        assert!(!qualified_name("/name").is_empty());
        assert!(!qualified_name("a/b/c").is_empty());
        assert!(!qualified_name("-app").is_empty());
        assert!(!qualified_name(&"a".repeat(64)).is_empty());
        assert!(label_value("").is_empty());
        assert!(label_value("v1.2_3-x").is_empty());
        assert!(!label_value("a b").is_empty());
        assert!(!label_value("-x").is_empty());
    }

    #[test]
    fn cilium_keys_allow_one_source_prefix() {
        assert!(cilium_label_key("k8s:io.kubernetes.pod.namespace").is_empty());
        assert!(cilium_label_key("reserved:init").is_empty());
        assert!(cilium_label_key("any:app").is_empty());
        assert!(cilium_label_key("k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name").is_empty());
        assert!(!cilium_label_key("a:b:c").is_empty());
        assert!(!cilium_label_key("k-8:app").is_empty());
    }

    #[test]
    fn port_names_are_iana_service_names() {
        for name in [
            "http",
            "dns-tcp",
            "80",
            "HTTP",
            "Http-2",
            "a--b",
            "-a",
            "a-",
            "a-very-long-port-name",
            "",
            "é",
            "h_p",
        ] {
            let lowered = name.to_ascii_lowercase();
            assert_eq!(is_port_name_any_case(name), port_name(&lowered).is_empty(), "{name}");
        }
        assert!(port_name("http").is_empty());
        assert!(port_name("dns-tcp").is_empty());
        assert!(!port_name("80").is_empty());
        assert!(!port_name("HTTP").is_empty());
        assert!(!port_name("a--b").is_empty());
        assert!(!port_name("a-very-long-port-name").is_empty());
    }

    #[test]
    fn category_c_covers_controls_format_and_private_use() {
        assert!(is_other_category('\u{7}'));
        assert!(is_other_category('\u{200B}'));
        assert!(is_other_category('\u{E000}'));
        assert!(!is_other_category('é'));
        assert!(!is_other_category(' '));
    }

    #[test]
    fn dns_patterns_match_the_crd() {
        assert!(is_dns_match_name("api.example.com"));
        assert!(is_dns_match_name("api.example.com."));
        assert!(!is_dns_match_name("*.example.com"));
        assert!(is_dns_match_pattern("*.example.com"));
        assert!(is_dns_match_pattern("**.example.com"));
        assert!(!is_dns_match_pattern("a..b"));
        assert!(!is_dns_match_pattern("exa mple.com"));
    }
}
