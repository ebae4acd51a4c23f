//! Metadata and label selectors (k8s.io/apimachinery `ValidateObjectMeta`,
//! `ValidateLabelSelector`; cilium `pkg/labels` for Cilium selectors).

use super::syntax;
use super::Check;
use crate::diagnostic::{Code, Severity};
use crate::model::{Document, LabelMap, LabelSelector, ObjectMeta, Operator, Spanned};

/// Which name format the kind requires.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum NameRule {
    /// DNS-1123 subdomain: policies, pods, nodes, controllers.
    Subdomain,
    /// DNS-1123 label: namespaces.
    Label,
    /// DNS-1035 label: services.
    Dns1035,
}

/// `metadata`: a name (or generateName), name and namespace formats, label
/// and annotation keys and values.
pub(super) fn object_meta(c: &mut Check, meta: &Spanned<ObjectMeta>, rule: NameRule, document: &Document) {
    c.at("metadata", |c| {
        match (&meta.name, &meta.generate_name) {
            (None, None) => c.emit(
                Code::MissingField,
                meta.span,
                "missing required field `metadata.name`",
                Some("every object needs a name".to_owned()),
            ),
            (Some(name), _) => {
                let errors = match rule {
                    NameRule::Subdomain => syntax::dns1123_subdomain(&name.value),
                    NameRule::Label => syntax::dns1123_label(&name.value),
                    NameRule::Dns1035 => syntax::dns1035_label(&name.value),
                };
                if let Some(first) = errors.first() {
                    c.at("name", |c| {
                        c.emit(
                            Code::InvalidName,
                            name.span,
                            format!("invalid name `{}`: {first}", name.value),
                            Some(format!("e.g. `{}`", suggest_name(&name.value))),
                        )
                    });
                }
            }
            (None, Some(_)) => {}
        }
        if let Some(namespace) = &meta.namespace {
            let kind = document.model_kind();
            if kind.is_some_and(|k| !k.is_namespaced()) {
                c.at("namespace", |c| {
                    c.emit_as(
                        Code::ClusterScopedNamespace,
                        Severity::Warning,
                        namespace.span,
                        format!(
                            "{} is cluster-scoped; `metadata.namespace` is ignored",
                            kind.map(|k| k.name()).unwrap_or("this kind")
                        ),
                        Some("remove `namespace`".to_owned()),
                    )
                });
            } else if let Some(first) = syntax::dns1123_label(&namespace.value).first() {
                c.at("namespace", |c| {
                    c.emit(
                        Code::InvalidName,
                        namespace.span,
                        format!("invalid namespace `{}`: {first}", namespace.value),
                        None,
                    )
                });
            }
        }
        if let Some(labels) = &meta.labels {
            c.at("labels", |c| label_map(c, labels, KeyRule::Kubernetes, true));
        }
        if let Some(annotations) = &meta.annotations {
            c.at("annotations", |c| label_map(c, annotations, KeyRule::Kubernetes, false));
        }
    });
}

/// Lower-cases and replaces what a DNS name cannot hold, for hints.
fn suggest_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    let trimmed = out.trim_matches(|c| c == '-' || c == '.');
    if trimmed.is_empty() {
        "my-policy".to_owned()
    } else {
        trimmed.chars().take(253).collect()
    }
}

/// How selector keys are spelled.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyRule {
    /// Kubernetes label keys: `prefix/name`.
    Kubernetes,
    /// Cilium selector keys: an optional `source:` before a Kubernetes key.
    Cilium,
}

fn key_errors(key: &str, rule: KeyRule) -> Vec<String> {
    match rule {
        KeyRule::Kubernetes => syntax::qualified_name(key),
        KeyRule::Cilium => syntax::cilium_label_key(key),
    }
}

/// Reports a selector problem: the API server checks Kubernetes selectors;
/// in Cilium policies the CRD checks only matchLabels values, the agent the rest.
fn selector_error(
    c: &mut Check,
    rule: KeyRule,
    code: Code,
    span: crate::source::Span,
    message: String,
    hint: Option<String>,
) {
    match rule {
        KeyRule::Kubernetes => c.emit(code, span, message, hint),
        KeyRule::Cilium => c.agent(code, span, message, hint),
    }
}

/// Keys (and, for labels and selectors, values) of a string map.
pub(super) fn label_map(c: &mut Check, map: &Spanned<LabelMap>, rule: KeyRule, check_values: bool) {
    for entry in &map.entries {
        if let Some(first) = key_errors(&entry.key.value, rule).first() {
            c.at(entry.key.value.clone(), |c| {
                selector_error(
                    c,
                    rule,
                    Code::InvalidLabelKey,
                    entry.key.span,
                    format!("invalid key `{}`: {first}", entry.key.value),
                    None,
                )
            });
        }
        if check_values {
            if let Some(first) = syntax::label_value(&entry.value.value).first() {
                c.at(entry.key.value.clone(), |c| {
                    c.emit(
                        Code::InvalidLabelValue,
                        entry.value.span,
                        format!("invalid value `{}`: {first}", entry.value.value),
                        None,
                    )
                });
            }
        }
    }
}

/// A label selector: keys, values, and operator/values agreement.
pub(super) fn selector(c: &mut Check, selector: &LabelSelector, rule: KeyRule) {
    if let Some(labels) = &selector.match_labels {
        c.at("matchLabels", |c| label_map(c, labels, rule, true));
    }
    let Some(expressions) = &selector.match_expressions else {
        return;
    };
    c.at("matchExpressions", |c| {
        c.each(expressions, |c, req| {
            if let Some(first) = key_errors(&req.key.value, rule).first() {
                c.at("key", |c| {
                    selector_error(
                        c,
                        rule,
                        Code::InvalidLabelKey,
                        req.key.span,
                        format!("invalid key `{}`: {first}", req.key.value),
                        None,
                    )
                });
            }
            let values = req.values.as_ref();
            let count = values.map_or(0, |v| v.len());
            match req.operator.value {
                Operator::In | Operator::NotIn if count == 0 => selector_error(
                    c,
                    rule,
                    Code::InvalidSelectorRequirement,
                    values.map_or(req.operator.span, |v| v.span),
                    format!("`values` must be given when `operator` is {}", req.operator.as_str()),
                    Some("list at least one value, or use Exists / DoesNotExist".to_owned()),
                ),
                Operator::Exists | Operator::DoesNotExist if count > 0 => c.at("values", |c| {
                    selector_error(
                        c,
                        rule,
                        Code::InvalidSelectorRequirement,
                        values.map_or(req.operator.span, |v| v.span),
                        format!("`values` may not be given when `operator` is {}", req.operator.as_str()),
                        Some("remove `values`, or use In / NotIn".to_owned()),
                    )
                }),
                _ => {}
            }
            if let Some(values) = values {
                c.at("values", |c| {
                    c.each(values, |c, v| {
                        if let Some(first) = syntax::label_value(&v.value).first() {
                            selector_error(
                                c,
                                rule,
                                Code::InvalidLabelValue,
                                v.span,
                                format!("invalid value `{}`: {first}", v.value),
                                None,
                            );
                        }
                    })
                });
            }
        })
    });
}
