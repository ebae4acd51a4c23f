//! CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy: the CRD schema's
//! value rules (cilium-semantics §5) and the agent's `Sanitize` rules (§2.12),
//! with the version gates of §6.

use super::meta::{self, KeyRule, NameRule};
use super::net::{self, warn};
use super::{icmp, regex, syntax, Check};
use crate::diagnostic::{did_you_mean, Code, Severity};
use crate::model::*;
use crate::source::Span;
use crate::version::CiliumVersion;

/// What a rule's checks need to know about where it sits.
#[derive(Clone, Copy)]
struct Scope<'a> {
    clusterwide: bool,
    namespace: Option<&'a str>,
    /// A host policy (`nodeSelector`).
    host: bool,
}

pub(super) fn cilium_policy(c: &mut Check, policy: &CiliumPolicy, document: &Document, clusterwide: bool) {
    meta::object_meta(c, &policy.metadata, NameRule::Subdomain, document);
    let version = c.options.cilium_version;
    let no_rules = policy.spec.is_none() && policy.specs.as_ref().is_none_or(|s| s.is_empty());
    if policy.spec.is_none() && policy.specs.is_none() {
        // A CEL rule of the 1.20 CRD; older agents log ErrEmptyCNP and ignore the object.
        let severity = if version.at_least(1, 20) {
            Severity::Error
        } else {
            Severity::Warning
        };
        c.emit_as(
            Code::NoSpec,
            severity,
            document.span,
            "spec or specs must be provided",
            Some("add a `spec` with an `endpointSelector` and rules".to_owned()),
        );
    } else if no_rules {
        c.emit_as(
            Code::NoSpec,
            Severity::Warning,
            document.span,
            "`specs` is empty: this policy has no rules",
            None,
        );
    }
    let scope = Scope {
        clusterwide,
        namespace: policy.metadata.namespace(),
        host: false,
    };
    if let Some(spec) = &policy.spec {
        c.at("spec", |c| rule(c, spec, scope));
    }
    if let Some(specs) = &policy.specs {
        c.at("specs", |c| c.each(specs, |c, r| rule(c, r, scope)));
    }
}

const NAMESPACE_KEYS: [&str; 3] = [
    "io.kubernetes.pod.namespace",
    "k8s:io.kubernetes.pod.namespace",
    "any:io.kubernetes.pod.namespace",
];

fn rule(c: &mut Check, rule: &Spanned<Rule>, scope: Scope) {
    let version = c.options.cilium_version;
    let host = rule.node_selector.is_some();
    let scope = Scope { host, ..scope };
    let written_wrongly = c.written_wrongly();
    match (&rule.endpoint_selector, &rule.node_selector) {
        (None, None) if written_wrongly => {}
        (None, None) => c.emit(
            Code::ExclusiveFields,
            Span::point(rule.span.start),
            "a rule must have one of `endpointSelector` or `nodeSelector`",
            Some(if scope.clusterwide {
                "`endpointSelector: {}` selects every endpoint of the cluster".to_owned()
            } else {
                "`endpointSelector: {}` selects every endpoint of the namespace".to_owned()
            }),
        ),
        (Some(_), Some(node)) => c.at("nodeSelector", |c| {
            c.emit(
                Code::ExclusiveFields,
                node.span,
                "a rule cannot have both `endpointSelector` and `nodeSelector`",
                Some("split it into an endpoint rule and a host rule".to_owned()),
            )
        }),
        _ => {}
    }
    if let Some(selector) = &rule.endpoint_selector {
        c.at("endpointSelector", |c| {
            meta::selector(c, selector, KeyRule::Cilium);
            if !scope.clusterwide {
                endpoint_selector_scope(c, selector, scope.namespace);
            }
        });
    }
    if let Some(selector) = &rule.node_selector {
        c.at("nodeSelector", |c| {
            meta::selector(c, selector, KeyRule::Cilium);
            if !scope.clusterwide {
                c.agent(
                    Code::NodeSelectorInCnp,
                    selector.span,
                    "a CiliumNetworkPolicy cannot select nodes: the agent refuses rules with `nodeSelector`",
                    Some("move host policies into a CiliumClusterwideNetworkPolicy".to_owned()),
                );
            }
        });
    }
    let sections = rule.sections();
    if sections.iter().all(|(_, _, _, list)| list.is_none()) && !written_wrongly {
        c.emit(
            Code::EmptyRule,
            Span::point(rule.span.start),
            "a rule needs at least one of `ingress`, `ingressDeny`, `egress` or `egressDeny`",
            None,
        );
    }
    if let Some(config) = &rule.enable_default_deny {
        gate(c, "enableDefaultDeny", config.span, CiliumVersion::new(1, 16), version);
    }
    if let Some(log) = &rule.log {
        c.at("log", |c| {
            gate(c, "log", log.span, CiliumVersion::new(1, 18), version);
            if let Some(value) = &log.value.value {
                // CRD: maxLength 32, pattern `^\PC*$` (no character of Unicode category C).
                if value.value.chars().count() > 32 || value.value.chars().any(syntax::is_other_category) {
                    c.at("value", |c| {
                        c.emit(
                            Code::InvalidFormat,
                            value.span,
                            "log value must be at most 32 printable characters",
                            None,
                        )
                    });
                }
            }
        });
    }
    for (direction, deny, field, list) in sections {
        let Some(list) = list else { continue };
        c.at(field, |c| c.each(list, |c, r| peer_rule(c, r, direction, deny, scope)));
    }
}

/// A CNP's endpointSelector always gets the policy's namespace (§2.13, C2);
/// and since 1.15 a CNP can no longer select `reserved:init`.
fn endpoint_selector_scope(c: &mut Check, selector: &LabelSelector, namespace: Option<&str>) {
    if let Some(labels) = &selector.match_labels {
        for entry in &labels.entries {
            if NAMESPACE_KEYS.contains(&entry.key.value.as_str()) && Some(entry.value.value.as_str()) != namespace {
                c.at("matchLabels", |c| {
                    c.emit(
                        Code::NamespaceOverridden,
                        entry.key.span,
                        format!(
                            "Cilium replaces this namespace (`{}`) with the policy's own namespace{}",
                            entry.value.value,
                            namespace.map(|n| format!(" (`{n}`)")).unwrap_or_default()
                        ),
                        Some("put the policy in that namespace, or use a CiliumClusterwideNetworkPolicy".to_owned()),
                    )
                });
            }
        }
    }
    if let Some(expressions) = &selector.match_expressions {
        for req in expressions.iter() {
            if NAMESPACE_KEYS.contains(&req.key.value.as_str()) {
                c.emit(
                    Code::NamespaceOverridden,
                    req.key.span,
                    "Cilium adds the policy's own namespace to the endpointSelector; this namespace requirement can only narrow it",
                    Some("use a CiliumClusterwideNetworkPolicy to select endpoints of other namespaces".to_owned()),
                );
            }
        }
    }
    if selector.keys().any(|k| k.value == "reserved:init") {
        let span = selector
            .keys()
            .find(|k| k.value == "reserved:init")
            .map(|k| k.span)
            .unwrap_or_default();
        c.emit(
            Code::ReservedInitInCnp,
            span,
            "a CiliumNetworkPolicy cannot select `reserved:init` endpoints (Cilium 1.15+)",
            Some("use a CiliumClusterwideNetworkPolicy for init endpoints".to_owned()),
        );
    }
}

/// Reports a field the targeted Cilium version does not have.
fn gate(c: &mut Check, what: &str, span: Span, since: CiliumVersion, version: CiliumVersion) {
    if version < since {
        c.emit(
            Code::VersionGate,
            span,
            format!("`{what}` needs Cilium {since} or newer (targeting {version})"),
            Some(format!("remove `{what}`, or target Cilium {since} or newer")),
        );
    }
}

fn peer_rule(c: &mut Check, rule: &Spanned<PeerRule>, direction: Direction, deny: bool, scope: Scope) {
    let version = c.options.cilium_version;
    // L3 mutual exclusion: only non-empty lists count (§2.12); fromRequires is not an L3 member.
    let mut present = [(PeerKind::Endpoints, Span::default()); 9];
    let mut count = 0;
    for found in rule
        .peer_kinds()
        .filter(|(kind, _)| *kind != PeerKind::Requires)
        .filter(|(kind, _)| peer_list_len(rule, *kind) > 0)
    {
        present[count] = found;
        count += 1;
    }
    let l3 = &mut present[..count];
    // Point at the one written second.
    crate::sort::sort_by_key(l3, |(_, span)| span.start);
    if l3.len() > 1 {
        let (first, _) = l3[0];
        let (second, span) = l3[1];
        c.at(second.field(direction), |c| {
            c.agent(
                Code::CombinedPeers,
                span,
                format!(
                    "combining `{}` and `{}` in one rule is not supported; the agent refuses the policy",
                    first.field(direction),
                    second.field(direction)
                ),
                Some("split them into separate rules, one kind of peer each".to_owned()),
            )
        });
    }

    if let Some(requires) = &rule.requires {
        let field = PeerKind::Requires.field(direction);
        c.at(field, |c| {
            if version.at_least(1, 19) {
                if !requires.is_empty() {
                    c.emit(
                        Code::ListLength,
                        requires.span,
                        format!("`{field}` must be empty since Cilium 1.19 (the CRD allows 0 items)"),
                        Some("express the requirement in the peer selectors of each rule instead".to_owned()),
                    );
                }
            } else {
                warn(
                    c,
                    Code::DeprecatedField,
                    requires.span,
                    format!("`{field}` is deprecated since Cilium 1.17 and must be empty from 1.19"),
                    None,
                );
            }
        });
    }
    if let Some(endpoints) = &rule.endpoints {
        c.at(PeerKind::Endpoints.field(direction), |c| {
            c.each(endpoints, |c, s| meta::selector(c, s, KeyRule::Cilium))
        });
    }
    if let Some(cidrs) = &rule.cidr {
        c.at(PeerKind::Cidr.field(direction), |c| {
            c.each(cidrs, |c, s| {
                net::cidr(c, s);
            })
        });
    }
    if let Some(sets) = &rule.cidr_set {
        c.at(PeerKind::CidrSet.field(direction), |c| {
            c.each(sets, |c, s| cidr_rule(c, s))
        });
    }
    if let Some(nodes) = &rule.nodes {
        let field = PeerKind::Nodes.field(direction);
        c.at(field, |c| {
            gate(c, field, nodes.span, CiliumVersion::new(1, 16), version);
            warn(
                c,
                Code::NeedsAgentFlag,
                nodes.span,
                format!("`{field}` needs the agent flag --enable-node-selector-labels (off by default); without it the agent refuses the rule"),
                Some("or select nodes with the `remote-node` and `host` entities".to_owned()),
            );
            c.each(nodes, |c, s| meta::selector(c, s, KeyRule::Cilium));
        });
    }
    if let Some(groups) = &rule.groups {
        if direction == Direction::Ingress {
            gate(c, "fromGroups", groups.span, CiliumVersion::new(1, 16), version);
        }
    }
    if let Some(services) = &rule.services {
        c.at("toServices", |c| {
            c.each(services, |c, s| {
                if let Some(sel) = s.k8s_service_selector.as_ref().and_then(|s| s.selector.as_ref()) {
                    c.at("k8sServiceSelector", |c| {
                        c.at("selector", |c| meta::selector(c, sel, KeyRule::Cilium))
                    });
                }
            })
        });
    }
    if let Some(fqdns) = &rule.fqdns {
        c.at("toFQDNs", |c| c.each(fqdns, |c, f| fqdn(c, f)));
    }
    let has_ports = rule.to_ports.as_ref().is_some_and(|p| !p.is_empty());
    if let Some(icmps) = &rule.icmps {
        if has_ports && !icmps.is_empty() {
            c.at("icmps", |c| {
                c.agent(
                    Code::IcmpsWithToPorts,
                    icmps.span,
                    "`icmps` may only be present without `toPorts`",
                    Some("define a separate rule for the ICMP types".to_owned()),
                )
            });
        }
        c.at("icmps", |c| c.each(icmps, |c, r| icmp_rule(c, r)));
    }
    if let Some(ports) = &rule.to_ports {
        c.at("toPorts", |c| {
            c.each(ports, |c, p| port_rule(c, p, direction, deny, scope))
        });
    }
    if let Some(auth) = &rule.authentication {
        c.at("authentication", |c| {
            if let Some(mode) = &auth.mode {
                const MODES: [&str; 3] = ["disabled", "required", "test-always-fail"];
                if !MODES.contains(&mode.value.as_str()) {
                    c.at("mode", |c| unsupported(c, mode, &MODES));
                }
            }
        });
    }
}

fn peer_list_len(rule: &PeerRule, kind: PeerKind) -> usize {
    match kind {
        PeerKind::Endpoints => rule.endpoints.as_ref().map_or(0, |l| l.len()),
        PeerKind::Requires => rule.requires.as_ref().map_or(0, |l| l.len()),
        PeerKind::Cidr => rule.cidr.as_ref().map_or(0, |l| l.len()),
        PeerKind::CidrSet => rule.cidr_set.as_ref().map_or(0, |l| l.len()),
        PeerKind::Entities => rule.entities.as_ref().map_or(0, |l| l.len()),
        PeerKind::Groups => rule.groups.as_ref().map_or(0, |l| l.len()),
        PeerKind::Nodes => rule.nodes.as_ref().map_or(0, |l| l.len()),
        PeerKind::Services => rule.services.as_ref().map_or(0, |l| l.len()),
        PeerKind::Fqdns => rule.fqdns.as_ref().map_or(0, |l| l.len()),
    }
}

fn unsupported(c: &mut Check, value: &Str, supported: &[&str]) {
    let list = supported
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let hint = did_you_mean(&value.value, supported.iter().copied()).map(|n| format!("did you mean `{n}`?"));
    c.emit(
        Code::UnsupportedValue,
        value.span,
        format!("unsupported value `{}`: supported values are {list}", value.value),
        hint,
    );
}

fn cidr_rule(c: &mut Check, rule: &Spanned<CidrRule>) {
    let version = c.options.cilium_version;
    let set = [
        rule.cidr.is_some(),
        rule.cidr_group_ref.is_some(),
        rule.cidr_group_selector.is_some(),
    ]
    .iter()
    .filter(|s| **s)
    .count();
    if set != 1 {
        c.emit(
            Code::ExclusiveFields,
            rule.span,
            if set == 0 {
                "a CIDR rule needs exactly one of `cidr`, `cidrGroupRef` or `cidrGroupSelector`"
            } else {
                "a CIDR rule may set only one of `cidr`, `cidrGroupRef` or `cidrGroupSelector`"
            },
            None,
        );
    }
    let cidr = rule
        .cidr
        .as_ref()
        .and_then(|s| c.at("cidr", |c| net::cidr(c, s)).map(|n| (n, s)));
    if let Some(except) = &rule.except {
        net::excepts(c, cidr, except, false);
        if rule.cidr_group_ref.is_some() || rule.cidr_group_selector.is_some() {
            warn(
                c,
                Code::ExclusiveFields,
                except.span,
                "`except` together with a CIDR group is not supported by Cilium yet".to_owned(),
                None,
            );
        }
    }
    if let Some(group) = &rule.cidr_group_ref {
        c.at("cidrGroupRef", |c| {
            if let Some(first) = syntax::dns1123_subdomain(&group.value).first() {
                c.emit(
                    Code::InvalidName,
                    group.span,
                    format!("invalid CiliumCIDRGroup name `{}`: {first}", group.value),
                    None,
                );
            }
        });
    }
    if let Some(selector) = &rule.cidr_group_selector {
        c.at("cidrGroupSelector", |c| {
            gate(
                c,
                "cidrGroupSelector",
                selector.span,
                CiliumVersion::new(1, 17),
                version,
            );
            meta::selector(c, selector, KeyRule::Cilium);
        });
    }
}

/// `toFQDNs` items and DNS rules: exactly one of matchName / matchPattern,
/// each in the CRD's character set.
fn fqdn(c: &mut Check, f: &Spanned<FqdnSelector>) {
    match (&f.match_name, &f.match_pattern) {
        (None, None) => c.emit(
            Code::ExclusiveFields,
            f.span,
            "needs one of `matchName` or `matchPattern`",
            None,
        ),
        (Some(_), Some(pattern)) => c.emit(
            Code::ExclusiveFields,
            pattern.span,
            "`matchName` and `matchPattern` may not be set together",
            Some("`matchPattern` alone also matches exact names".to_owned()),
        ),
        _ => {}
    }
    if let Some(name) = &f.match_name {
        if name.value.len() > 255 || !syntax::is_dns_match_name(&name.value) {
            let hint = name
                .value
                .contains('*')
                .then(|| "wildcards belong in `matchPattern`".to_owned());
            c.at("matchName", |c| {
                c.emit(
                    Code::InvalidDnsName,
                    name.span,
                    format!("invalid DNS name `{}`", name.value),
                    hint,
                )
            });
        }
    }
    if let Some(pattern) = &f.match_pattern {
        if pattern.value.len() > 255 || !syntax::is_dns_match_pattern(&pattern.value) {
            c.at("matchPattern", |c| {
                c.emit(
                    Code::InvalidDnsName,
                    pattern.span,
                    format!("invalid DNS pattern `{}`", pattern.value),
                    Some("letters, digits, `-`, `_` and `*`, in labels separated by single dots".to_owned()),
                )
            });
        }
    }
}

fn icmp_rule(c: &mut Check, rule: &Spanned<IcmpRule>) {
    let Some(fields) = &rule.fields else { return };
    c.at("fields", |c| {
        if fields.len() > 40 {
            c.emit(
                Code::TooManyPorts,
                fields.span,
                format!("too many ICMP types ({}), the maximum is 40", fields.len()),
                Some("split them over several rules".to_owned()),
            );
        }
        c.each(fields, |c, f| {
            let family = f.family.as_ref().map(|s| s.value.as_str()).unwrap_or("IPv4");
            if let Some(given) = &f.family {
                if !matches!(given.value.as_str(), "IPv4" | "IPv6") {
                    c.at("family", |c| unsupported(c, given, &["IPv4", "IPv6"]));
                    return;
                }
            }
            let Some(icmp_type) = &f.icmp_type else { return };
            let names = if family == "IPv6" { icmp::IPV6 } else { icmp::IPV4 };
            c.at("type", |c| match &icmp_type.value {
                IntOrString::Int(n) if (0..=255).contains(n) => {}
                IntOrString::Int(n) => c.agent(
                    Code::InvalidIcmpType,
                    icmp_type.span,
                    format!("ICMP type {n} is out of range 0..255"),
                    None,
                ),
                IntOrString::Str(value) => icmp_string(c, value, family, names, icmp_type.span),
            });
        })
    });
}

/// An ICMP type written as a string. The CRD's pattern judges it first (the
/// API server); the agent then reads numbers as numbers ("8" is 8) and looks
/// names up in the rule's family.
fn icmp_string(c: &mut Check, value: &str, family: &str, names: &[(&str, u8)], span: Span) {
    let hint = || did_you_mean(value, names.iter().map(|(n, _)| *n)).map(|n| format!("did you mean `{n}`?"));
    if !icmp::crd_accepts(value) {
        if value == "ExtendedEchoReply" {
            let number = names.iter().find(|(n, _)| *n == value).map(|(_, v)| *v).unwrap_or(43);
            c.emit(
                Code::InvalidIcmpType,
                span,
                "the CRD's pattern does not accept `ExtendedEchoReply` (it misspells it), so the API server refuses it",
                Some(format!("write the number instead: `type: {number}`")),
            );
        } else if value.parse::<u64>().is_ok() {
            c.emit(
                Code::InvalidIcmpType,
                span,
                format!("ICMP type `{value}` must be a number from 0 to 255 without leading zeros"),
                None,
            );
        } else {
            c.emit(
                Code::InvalidIcmpType,
                span,
                format!("`{value}` is not an ICMP type"),
                hint(),
            );
        }
    } else if value.parse::<u8>().is_err() && !names.iter().any(|(n, _)| *n == value) {
        c.agent(
            Code::InvalidIcmpType,
            span,
            format!("`{value}` is not an {family} ICMP type"),
            hint(),
        );
    }
}

/// `toPorts` item: `PortRule.sanitize` and `PortProtocol.sanitize` (§2.12).
fn port_rule(c: &mut Check, rule: &Spanned<PortRule>, direction: Direction, deny: bool, scope: Scope) {
    let version = c.options.cilium_version;
    let ingress = direction == Direction::Ingress;
    let l7 = rule.rules.as_ref();
    let l7_present: Vec<&'static str> = l7.map(|r| r.present()).unwrap_or_default();
    let has_l7 = l7.is_some_and(|r| l7_non_empty(r));
    let has_dns = l7.and_then(|r| r.dns.as_ref()).is_some_and(|d| !d.is_empty());
    if ingress && has_dns {
        c.at("rules", |c| {
            c.agent(
                Code::DnsRule,
                l7.map(|r| r.span).unwrap_or(rule.span),
                "DNS rules are not allowed on ingress",
                Some("DNS rules proxy a pod's own lookups: put them on egress to the DNS server".to_owned()),
            )
        });
    }
    if scope.host && has_l7 && (ingress || !l7_present.iter().all(|p| *p == "dns")) {
        c.at("rules", |c| {
            c.agent(
                Code::HostPolicyL7,
                l7.map(|r| r.span).unwrap_or(rule.span),
                if ingress {
                    "host policies (nodeSelector) do not support L7 rules on ingress"
                } else {
                    "host policies (nodeSelector) support only DNS rules on egress"
                },
                None,
            )
        });
    }
    if let Some(names) = &rule.server_names {
        c.at("serverNames", |c| {
            server_names(c, names, has_l7, rule.terminating_tls.is_some(), version)
        });
    }
    let mut has_zero = false;
    if let Some(ports) = &rule.ports {
        c.at("ports", |c| {
            if ports.len() > 40 {
                // The CRD caps allow rules; for deny rules only the agent checks.
                let message = format!("too many ports ({}), the maximum is 40", ports.len());
                let hint = Some("split them over several `toPorts` items".to_owned());
                if deny {
                    c.agent(Code::TooManyPorts, ports.span, message, hint);
                } else {
                    c.emit(Code::TooManyPorts, ports.span, message, hint);
                }
            }
            c.each(ports, |c, p| {
                if port_protocol(c, p, has_dns, has_l7 && !has_dns, version) {
                    has_zero = true;
                }
            });
        });
    }
    if let Some(listener) = &rule.listener {
        c.at("listener", |c| {
            self::listener(c, listener, ingress, has_l7, scope.clusterwide)
        });
    }
    let Some(rules) = l7 else { return };
    c.at("rules", |c| {
        if l7_present.len() > 1 {
            c.emit(
                Code::MultipleL7,
                rules.span,
                format!("multiple L7 protocols in one port rule ({})", l7_present.join(", ")),
                Some("use one `toPorts` item per L7 protocol".to_owned()),
            );
        }
        if has_l7 && has_zero {
            c.agent(
                Code::L7PortZero,
                rules.span,
                "L7 rules can not be used when a port is 0 (all ports)",
                Some("name the port the L7 protocol runs on".to_owned()),
            );
        }
        if rules.dns.is_some() && rule.ports.as_ref().is_none_or(|p| p.is_empty()) {
            c.agent(
                Code::DnsRule,
                rules.span,
                "DNS rules need their port: port 53 must be specified",
                Some("add `ports: [{port: \"53\", protocol: ANY}]`".to_owned()),
            );
        }
        if l7_present.is_empty() {
            // The CRD's oneOf: exactly one protocol must be given.
            let choices = if version.at_least(1, 20) {
                "`http` or `dns`"
            } else {
                "`http`, `kafka`, `dns` or `l7proto`"
            };
            c.emit(
                Code::ExclusiveFields,
                rules.span,
                format!("`rules` needs one of {choices}"),
                Some("remove `rules` for a plain L4 rule".to_owned()),
            );
        } else if rules.l7.is_some() && rules.l7proto.is_none() {
            c.agent(
                Code::MissingField,
                rules.span,
                "`l7` may only be specified together with `l7proto`",
                None,
            );
        }
        for (field, present, span) in [
            ("kafka", rules.kafka.is_some(), rules.kafka.as_ref().map(|k| k.span)),
            (
                "l7proto",
                rules.l7proto.is_some(),
                rules.l7proto.as_ref().map(|k| k.span),
            ),
            ("l7", rules.l7.is_some(), rules.l7.as_ref().map(|k| k.span)),
        ] {
            if !present {
                continue;
            }
            let span = span.unwrap_or(rules.span);
            if version.at_least(1, 20) {
                c.at(field, |c| {
                    c.emit(
                        Code::RemovedField,
                        span,
                        format!("`rules.{field}` was removed in Cilium 1.20 (targeting {version})"),
                        Some("Kafka and generic L7 parsers are gone; use HTTP rules or a custom listener".to_owned()),
                    )
                });
            } else if field == "kafka" && version.at_least(1, 18) {
                c.at(field, |c| {
                    warn(
                        c,
                        Code::DeprecatedField,
                        span,
                        "Kafka rules are deprecated and removed in Cilium 1.20".to_owned(),
                        None,
                    )
                });
            }
        }
        if let Some(kafka) = rules.kafka.as_ref().filter(|_| !version.at_least(1, 20)) {
            c.at("kafka", |c| c.each(kafka, |c, k| kafka_rule(c, k)));
        }
        if let Some(http) = &rules.http {
            c.at("http", |c| c.each(http, |c, h| http_rule(c, h)));
        }
        if let Some(dns) = &rules.dns {
            c.at("dns", |c| c.each(dns, |c, f| fqdn(c, f)));
        }
    });
}

fn l7_non_empty(rules: &L7Rules) -> bool {
    rules.http.as_ref().is_some_and(|l| !l.is_empty())
        || rules.dns.as_ref().is_some_and(|l| !l.is_empty())
        || rules.kafka.as_ref().is_some_and(|l| !l.is_empty())
        || rules.l7proto.is_some()
}

/// One `ports` item. Returns whether it is port 0 (all ports).
fn port_protocol(
    c: &mut Check,
    p: &Spanned<PortProtocol>,
    dns: bool,
    tcp_only_l7: bool,
    version: CiliumVersion,
) -> bool {
    let protocol = p.protocol.as_ref().map(|s| s.value).unwrap_or(Protocol::Any);
    let extended = protocol.is_extended();
    let mut number = None;
    let mut is_zero = false;
    match &p.port {
        None if extended => {}
        None => c.agent(
            Code::InvalidPort,
            p.span,
            "port must be specified",
            Some("use \"0\" for every port of the protocol".to_owned()),
        ),
        Some(port) => c.at("port", |c| {
            if syntax::is_port_name_any_case(&port.value) {
                if extended {
                    c.agent(
                        Code::InvalidPort,
                        port.span,
                        format!("protocol {} takes no port", protocol.as_str()),
                        None,
                    );
                }
                return;
            }
            match port.value.parse::<u64>() {
                Ok(n) if n <= 65535 => {
                    number = Some(n as i64);
                    is_zero = n == 0;
                    if extended && n != 0 {
                        c.agent(
                            Code::InvalidPort,
                            port.span,
                            format!("protocol {} takes no port (only empty or \"0\")", protocol.as_str()),
                            None,
                        );
                    }
                }
                Ok(n) => c.agent(
                    Code::InvalidPort,
                    port.span,
                    format!("port {n} is out of range: it must be between 0 and 65535"),
                    None,
                ),
                Err(_) => {
                    let errors = syntax::port_name(&port.value.to_ascii_lowercase());
                    let first = errors
                        .first()
                        .map(String::as_str)
                        .unwrap_or("not a port number or name");
                    let message = format!("invalid port `{}`: {first}", port.value);
                    let hint = Some("a number from 0 to 65535, or the `name` of a container port".to_owned());
                    if crd_port_pattern_accepts(&port.value) {
                        c.agent(Code::InvalidPortName, port.span, message, hint);
                    } else {
                        c.emit(Code::InvalidPortName, port.span, message, hint);
                    }
                }
            }
        }),
    }
    if let Some(end) = &p.end_port {
        c.at("endPort", |c| {
            gate(c, "endPort", end.span, CiliumVersion::new(1, 16), version);
            if !(0..=65535).contains(&end.value) {
                c.emit(
                    Code::InvalidPort,
                    end.span,
                    format!("endPort {} is out of range 0..65535", end.value),
                    None,
                );
            } else if number.is_none() && p.port.is_some() && end.value != 0 {
                warn(
                    c,
                    Code::InvalidEndPort,
                    end.span,
                    "endPort is ignored for a named port".to_owned(),
                    None,
                );
            } else if let Some(n) = number {
                if dns && end.value > n {
                    c.agent(
                        Code::DnsRule,
                        end.span,
                        "DNS rules do not support port ranges",
                        Some("list the DNS port on its own".to_owned()),
                    );
                } else if end.value != 0 && end.value < n {
                    warn(
                        c,
                        Code::InvalidEndPort,
                        end.span,
                        format!(
                            "endPort {} is below port {n}; the range is taken as port {n} alone",
                            end.value
                        ),
                        None,
                    );
                }
            }
        });
    }
    if let Some(given) = &p.protocol {
        if extended {
            c.at("protocol", |c| {
                let since = if matches!(given.value, Protocol::Vrrp | Protocol::Igmp) {
                    CiliumVersion::new(1, 19)
                } else {
                    CiliumVersion::new(1, 20)
                };
                gate(c, given.as_str(), given.span, since, version);
                warn(
                    c,
                    Code::NeedsAgentFlag,
                    given.span,
                    format!(
                        "protocol {} needs the agent flag --enable-extended-ip-protocols (off by default)",
                        given.as_str()
                    ),
                    None,
                );
            });
        }
    }
    if tcp_only_l7 && protocol != Protocol::Tcp {
        let span = p.protocol.as_ref().map(|s| s.span).unwrap_or(p.span);
        c.agent(
            Code::L7Protocol,
            span,
            format!(
                "L7 rules can only apply to TCP (not {}) except for DNS rules",
                protocol.as_str()
            ),
            Some(if p.protocol.is_none() {
                "a port without `protocol` means ANY; add `protocol: TCP`".to_owned()
            } else {
                "use `protocol: TCP`".to_owned()
            }),
        );
    }
    is_zero
}

/// The CRD's `port` pattern, which is anchored at one end only:
/// `^(6553[0-5]|…|[0-9]{1,4})|([a-zA-Z0-9]-?)*[a-zA-Z](-?[a-zA-Z0-9])*$`.
/// It lets through anything that starts with a digit, or that ends in a
/// letter followed by `-?[a-zA-Z0-9]` pairs; the agent is stricter.
fn crd_port_pattern_accepts(port: &str) -> bool {
    let b = port.as_bytes();
    if b.first().is_some_and(u8::is_ascii_digit) {
        return true;
    }
    // Find a letter after which the rest is (-?[a-zA-Z0-9])*.
    (0..b.len()).filter(|&i| b[i].is_ascii_alphabetic()).any(|i| {
        let mut j = i + 1;
        while j < b.len() {
            if b[j] == b'-' {
                j += 1;
            }
            if j < b.len() && b[j].is_ascii_alphanumeric() {
                j += 1;
            } else {
                return false;
            }
        }
        true
    })
}

/// The CRD's `serverNames` pattern: since 1.20 `*` may appear anywhere;
/// before, only a leading `*.` or `**.` (`^(\*?\*\.)?([-a-zA-Z0-9_]+\.?)+$`).
fn server_name_pattern(name: &str, version: CiliumVersion) -> bool {
    if version.at_least(1, 20) {
        return syntax::is_dns_match_pattern(name);
    }
    let rest = name
        .strip_prefix("**.")
        .or_else(|| name.strip_prefix("*."))
        .unwrap_or(name);
    syntax::is_dns_match_name(rest)
}

/// A Kafka rule (Cilium 1.19 and older): the CRD's enum and length limits.
fn kafka_rule(c: &mut Check, rule: &Spanned<KafkaRule>) {
    if let Some(role) = &rule.role {
        const ROLES: [&str; 2] = ["produce", "consume"];
        if !ROLES.contains(&role.value.as_str()) {
            c.at("role", |c| unsupported(c, role, &ROLES));
        }
    }
    if let Some(topic) = &rule.topic {
        if topic.value.chars().count() > 255 {
            c.at("topic", |c| {
                c.emit(
                    Code::InvalidFormat,
                    topic.span,
                    "a Kafka topic is at most 255 characters",
                    None,
                )
            });
        }
    }
}

fn server_names(c: &mut Check, names: &Spanned<Vec<Str>>, has_l7: bool, terminating_tls: bool, version: CiliumVersion) {
    if names.is_empty() {
        c.emit(
            Code::ListLength,
            names.span,
            "`serverNames` needs at least one name",
            None,
        );
    }
    if has_l7 && !terminating_tls && !names.is_empty() {
        c.agent(
            Code::ServerNames,
            names.span,
            "`serverNames` are not allowed with L7 rules without TLS termination",
            Some("add `terminatingTLS`, or drop the L7 rules".to_owned()),
        );
    }
    let mut seen: Vec<&str> = Vec::new();
    c.each(names, |c, name| {
        if name.value.is_empty() {
            c.emit(Code::ServerNames, name.span, "empty server name is not allowed", None);
        } else if name.value.len() > 255 || !server_name_pattern(&name.value, version) {
            let hint = (!version.at_least(1, 20)).then(|| {
                "before Cilium 1.20 a wildcard may only start the name: `*.example.com` or `**.example.com`".to_owned()
            });
            c.emit(
                Code::InvalidDnsName,
                name.span,
                format!("invalid server name `{}`", name.value),
                hint,
            );
        }
        if seen.contains(&name.value.as_str()) {
            c.emit(
                Code::ServerNames,
                name.span,
                format!("`{}` is listed twice", name.value),
                None,
            );
        }
        seen.push(&name.value);
    });
}

fn listener(c: &mut Check, listener: &Spanned<Listener>, ingress: bool, has_l7: bool, clusterwide: bool) {
    if ingress {
        c.agent(
            Code::ListenerMisuse,
            listener.span,
            "a listener is not allowed on ingress",
            None,
        );
    }
    if has_l7 {
        c.agent(
            Code::ListenerMisuse,
            listener.span,
            "a listener is not allowed together with L7 rules",
            None,
        );
    }
    if let Some(config) = &listener.envoy_config {
        c.at("envoyConfig", |c| {
            let kind = config
                .kind
                .as_ref()
                .map(|k| k.value.as_str())
                .unwrap_or("CiliumEnvoyConfig");
            if let Some(given) = &config.kind {
                const KINDS: [&str; 2] = ["CiliumEnvoyConfig", "CiliumClusterwideEnvoyConfig"];
                if !KINDS.contains(&given.value.as_str()) {
                    c.at("kind", |c| unsupported(c, given, &KINDS));
                    return;
                }
            }
            if clusterwide && kind != "CiliumClusterwideEnvoyConfig" {
                c.agent(
                    Code::ListenerMisuse,
                    config.kind.as_ref().map(|k| k.span).unwrap_or(config.span),
                    "a clusterwide policy must reference a CiliumClusterwideEnvoyConfig",
                    Some("set `kind: CiliumClusterwideEnvoyConfig`".to_owned()),
                );
            }
            if let Some(name) = config.name.as_ref().filter(|n| n.value.is_empty()) {
                c.at("name", |c| {
                    c.emit(Code::InvalidFormat, name.span, "name must not be empty", None)
                });
            }
        });
    }
    if let Some(name) = listener.name.as_ref().filter(|n| n.value.is_empty()) {
        c.at("name", |c| {
            c.emit(Code::InvalidFormat, name.span, "name must not be empty", None)
        });
    }
    if let Some(priority) = &listener.priority {
        if !(1..=100).contains(&priority.value) {
            c.at("priority", |c| {
                c.emit(
                    Code::UnsupportedValue,
                    priority.span,
                    format!("listener priority {} must be between 1 and 100", priority.value),
                    None,
                )
            });
        }
    }
}

fn http_rule(c: &mut Check, rule: &Spanned<HttpRule>) {
    for (field, value) in [("path", &rule.path), ("method", &rule.method)] {
        let Some(value) = value else { continue };
        if let Err(why) = regex::check(&value.value) {
            c.at(field, |c| {
                c.agent(
                    Code::InvalidRegex,
                    value.span,
                    format!("`{}` is not a valid regular expression: {why}", value.value),
                    Some(format!(
                        "`{field}` is an RE2 regular expression matched against the whole value"
                    )),
                )
            });
        }
    }
    if let Some(matches) = &rule.header_matches {
        c.at("headerMatches", |c| {
            c.each(matches, |c, m| {
                if let Some(mismatch) = &m.mismatch {
                    const ACTIONS: [&str; 4] = ["LOG", "ADD", "DELETE", "REPLACE"];
                    if !ACTIONS.contains(&mismatch.value.as_str()) {
                        c.at("mismatch", |c| unsupported(c, mismatch, &ACTIONS));
                    }
                }
                if let Some(name) = m.name.as_ref().filter(|n| n.value.is_empty()) {
                    c.at("name", |c| {
                        c.emit(Code::InvalidFormat, name.span, "header name must not be empty", None)
                    });
                }
            })
        });
    }
}
