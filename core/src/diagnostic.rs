//! Diagnostics: the product's voice.
//!
//! Every diagnostic has a stable [`Code`] (a short id such as `NP101` and a
//! kebab-case name such as `unknown-field`), a severity, a message, the byte
//! span it is about, a path into its document and, where we can say how to
//! fix it, a hint. Codes are never renumbered: tools and users filter on them.

use serde::Serialize;

use crate::source::{LineIndex, Span};

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Something worth knowing that changes nothing.
    Info,
    /// Accepted by the API server and the agent, but probably not what was meant.
    Warning,
    /// The API server or the Cilium agent refuses it.
    Error,
}

impl Severity {
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = ($id:literal, $name:literal, $severity:ident), )*) => {
        /// Every diagnostic code netpolkit emits. Ids and names are stable.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// All codes, in id order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The short id, e.g. `NP101`.
            pub const fn id(self) -> &'static str {
                match self { $(Code::$variant => $id,)* }
            }

            /// The kebab-case name, e.g. `unknown-field`.
            pub const fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The severity this code is reported with.
            pub const fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }

            /// Looks a code up by id or name.
            pub fn parse(text: &str) -> Option<Code> {
                Code::ALL.iter().copied().find(|c| c.id() == text || c.name() == text)
            }
        }
    };
}

codes! {
    // --- NP0xx: the input text and its documents -------------------------
    /// The text is not well-formed YAML (or JSON).
    YamlSyntax = ("NP001", "yaml-syntax", Error),
    /// A mapping holds the same key twice; kubectl refuses the manifest.
    DuplicateKey = ("NP002", "duplicate-key", Error),
    /// A document (or a List item) is not a mapping.
    NotAnObject = ("NP003", "not-an-object", Error),
    /// `apiVersion` or `kind` is missing.
    MissingTypeMeta = ("NP004", "missing-type-meta", Error),
    /// A kind netpolkit does not model; kept as is.
    OtherKind = ("NP005", "other-kind", Info),
    /// A known kind under an apiVersion that does not serve it.
    UnsupportedApiVersion = ("NP006", "unsupported-api-version", Error),
    /// A mapping key that is not a string (for example an unquoted `on`).
    NonStringKey = ("NP007", "non-string-key", Error),
    /// YAML anchors, aliases or tags that kubectl reads differently.
    YamlFeature = ("NP008", "yaml-feature", Warning),
    /// A null map value in a custom resource: the API server drops the entry.
    NullValue = ("NP009", "null-value", Warning),

    // --- NP1xx: structure, as the API server's schema checks it -----------
    /// A field the kind does not have (often a typo).
    UnknownField = ("NP101", "unknown-field", Error),
    /// A value of the wrong type (string for a list, number for a string...).
    InvalidType = ("NP102", "invalid-type", Error),
    /// A required field is missing.
    MissingField = ("NP103", "missing-field", Error),
    /// A value outside the allowed set (protocol, operator, entity...).
    UnsupportedValue = ("NP104", "unsupported-value", Error),
    /// A list with too many or too few items.
    ListLength = ("NP105", "list-length", Error),
    /// Fields that may not be set together, or of which exactly one is required.
    ExclusiveFields = ("NP106", "exclusive-fields", Error),
    /// A field removed from the API in the targeted Cilium version.
    RemovedField = ("NP107", "removed-field", Error),
    /// A field that still works but is deprecated.
    DeprecatedField = ("NP108", "deprecated-field", Warning),
    /// A field written by the API server (status, managedFields...): ignored.
    ServerField = ("NP109", "server-field", Info),
    /// A value that does not match the required format.
    InvalidFormat = ("NP110", "invalid-format", Error),
    /// `metadata.namespace` on a cluster-scoped kind: ignored.
    ClusterScopedNamespace = ("NP111", "cluster-scoped-namespace", Warning),

    // --- NP2xx: values -----------------------------------------------------
    /// An object name that is not a valid DNS subdomain.
    InvalidName = ("NP201", "invalid-name", Error),
    /// A label (or selector) key that Kubernetes or Cilium refuses.
    InvalidLabelKey = ("NP202", "invalid-label-key", Error),
    /// A label (or selector) value that Kubernetes refuses.
    InvalidLabelValue = ("NP203", "invalid-label-value", Error),
    /// A selector requirement whose operator and values do not fit together.
    InvalidSelectorRequirement = ("NP204", "invalid-selector-requirement", Error),
    /// A CIDR or IP address that does not parse.
    InvalidCidr = ("NP205", "invalid-cidr", Error),
    /// An `except` entry that is not strictly inside its `cidr`.
    ExceptOutsideCidr = ("NP206", "except-outside-cidr", Error),
    /// A port number outside 1..65535 (0..65535 where 0 means all).
    InvalidPort = ("NP207", "invalid-port", Error),
    /// `endPort` without a numeric `port`, or below it.
    InvalidEndPort = ("NP208", "invalid-end-port", Error),
    /// A named port that is not a valid IANA service name.
    InvalidPortName = ("NP209", "invalid-port-name", Error),
    /// An ICMP type that is neither 0..255 nor a name of its family.
    InvalidIcmpType = ("NP210", "invalid-icmp-type", Error),
    /// An HTTP path or method that does not compile as a regular expression.
    InvalidRegex = ("NP211", "invalid-regex", Error),
    /// A `cidr` with host bits set: accepted, but probably not what was meant.
    CidrHostBits = ("NP212", "cidr-host-bits", Warning),
    /// A DNS name or pattern that Cilium refuses.
    InvalidDnsName = ("NP213", "invalid-dns-name", Error),

    // --- NP3xx: what the Cilium agent refuses or rewrites ----------------------
    /// More than one L3 peer kind in one Cilium rule (cilium-semantics §2.12).
    CombinedPeers = ("NP301", "combined-peers", Error),
    /// `icmps` and `toPorts` in the same rule.
    IcmpsWithToPorts = ("NP302", "icmps-with-to-ports", Error),
    /// L7 rules on a port whose protocol cannot carry them.
    L7Protocol = ("NP303", "l7-protocol", Error),
    /// DNS rules used where Cilium refuses them (ingress, port ranges, no port).
    DnsRule = ("NP304", "dns-rule", Error),
    /// More than 40 ports in one port rule, or 40 ICMP fields.
    TooManyPorts = ("NP305", "too-many-ports", Error),
    /// `nodeSelector` in a CiliumNetworkPolicy (only a clusterwide policy may select nodes).
    NodeSelectorInCnp = ("NP306", "node-selector-in-cnp", Error),
    /// A CNP endpointSelector naming another namespace: Cilium overrides it.
    NamespaceOverridden = ("NP307", "namespace-overridden", Warning),
    /// A rule with no ingress, ingressDeny, egress or egressDeny.
    EmptyRule = ("NP308", "empty-rule", Error),
    /// L7 rules in a host policy (nodeSelector) that Cilium does not support there.
    HostPolicyL7 = ("NP309", "host-policy-l7", Error),
    /// A listener on ingress, or together with L7 rules.
    ListenerMisuse = ("NP310", "listener-misuse", Error),
    /// `serverNames` with L7 rules but no `terminatingTLS`, or an empty server name.
    ServerNames = ("NP311", "server-names", Error),
    /// A feature that needs an agent flag that is off by default.
    NeedsAgentFlag = ("NP312", "needs-agent-flag", Warning),
    /// A feature the targeted Cilium version does not have yet.
    VersionGate = ("NP313", "version-gate", Error),
    /// A CiliumNetworkPolicy or clusterwide policy with neither `spec` nor `specs`.
    NoSpec = ("NP314", "no-spec", Error),
    /// L7 rules on port 0 (all ports), which Cilium refuses.
    L7PortZero = ("NP315", "l7-port-zero", Error),
    /// More than one L7 protocol in one port rule.
    MultipleL7 = ("NP316", "multiple-l7", Error),
    /// `policyTypes` listing the same type twice, or more than two types.
    PolicyTypes = ("NP317", "policy-types", Error),
    /// An empty peer `{}` in a NetworkPolicy `from`/`to` list.
    EmptyPeer = ("NP318", "empty-peer", Error),
    /// An ipBlock together with a pod or namespace selector in one peer.
    IpBlockWithSelector = ("NP319", "ip-block-with-selector", Error),
    /// A CiliumNetworkPolicy selecting `reserved:init`, which only a clusterwide policy can (1.15+).
    ReservedInitInCnp = ("NP320", "reserved-init-in-cnp", Warning),

    // --- NP4xx: conversion between kinds ---------------------------------------
    /// A construct the target kind cannot express: the output leaves it out
    /// (an error under `--strict`).
    NoEquivalent = ("NP401", "no-equivalent", Warning),
    /// A clusterwide policy converted to namespaced kinds, with no namespace to put it in.
    NeedsNamespace = ("NP402", "needs-namespace", Error),
    /// The converted policy allows or denies different flows than the source
    /// (an error under `--strict`).
    NotEquivalent = ("NP403", "not-equivalent", Warning),
    /// An exact conversion that is spelled differently (protocol ANY
    /// expanded, an entity written as a selector...): worth knowing, changes nothing.
    ConversionNote = ("NP404", "conversion-note", Info),

    // --- NP5xx: precedence and conflicts across a policy set (§3) -------------
    /// A rule another rule decides every flow of first, with the other verdict.
    ShadowedRule = ("NP501", "shadowed-rule", Warning),
    /// A rule another overrides on part of its flows (a deny cutting into an allow).
    PartlyShadowedRule = ("NP502", "partly-shadowed-rule", Info),
    /// An allow another allow at the same level already covers.
    RedundantAllow = ("NP503", "redundant-allow", Info),
    /// An L4-only allow on the same port makes an L7 rule allow everything (§3.3).
    L7Neutralised = ("NP504", "l7-neutralised", Warning),
    /// A clusterwide allow narrower than a namespaced one: it does not restrict it (§3.4).
    ClusterwideNotOverride = ("NP505", "clusterwide-not-override", Warning),
    /// ClusterNetworkPolicy rules at one priority and tier that overlap with different actions.
    SamePriorityOverlap = ("NP506", "same-priority-overlap", Warning),
    /// Where a ClusterNetworkPolicy Pass rule sends its flows.
    PassChain = ("NP507", "pass-chain", Info),
    /// An Admin-tier deny overriding a namespace policy's allow.
    AdminDenyOverrides = ("NP508", "admin-deny-overrides", Info),
    /// A Baseline rule whose flows an earlier tier always decides.
    BaselineUnreached = ("NP509", "baseline-unreached", Warning),
    /// A selector on a label Cilium leaves out of identities (§3.7).
    FilteredLabel = ("NP510", "filtered-label", Warning),
    /// A subject or peer that matches none of the workloads given.
    SelectsNoWorkload = ("NP511", "selects-no-workload", Info),
    /// A CIDR inside the cluster's pod, node or service ranges, which Cilium never matches (§3.6).
    CidrInCluster = ("NP512", "cidr-in-cluster", Warning),
    /// A clusterwide policy with an empty endpointSelector isolating every pod.
    ClusterwideIsolation = ("NP513", "clusterwide-isolation", Warning),
    /// Deny-only rules that switch default deny on (§3.1).
    DenyEnablesDefaultDeny = ("NP514", "deny-enables-default-deny", Warning),
    /// L7 rules with default deny off (§3.3).
    L7WithoutDefaultDeny = ("NP515", "l7-without-default-deny", Warning),
    /// `enableDefaultDeny` for a direction the rule has no rules for (§3.1).
    DefaultDenyWithoutRules = ("NP516", "default-deny-without-rules", Warning),
    /// policyTypes leaving out a direction the policy has rules for (§1.5).
    PolicyTypesMismatch = ("NP517", "policy-types-mismatch", Warning),
    /// Allowed at one end of a path, dropped at the other.
    HalfOpenPath = ("NP518", "half-open-path", Warning),
    /// Egress isolation that blocks DNS to kube-dns.
    DnsBlocked = ("NP519", "dns-blocked", Warning),

    // --- NP6xx: moving onto Azure CNI powered by Cilium (peers-and-aks §1) ----
    /// An ipBlock covering pod addresses: Cilium never matches pods by address (§3.6).
    IpBlockPodRange = ("NP601", "ipblock-pod-range", Warning),
    /// An ipBlock covering node addresses: AKS cannot match nodes by address (§3.6).
    IpBlockNodeRange = ("NP602", "ipblock-node-range", Warning),
    /// L7 rules in a CiliumClusterwideNetworkPolicy, which AKS refuses.
    L7InClusterwide = ("NP603", "l7-in-clusterwide", Error),
    /// FQDN or L7 rules without Advanced Container Networking Services.
    NeedsAcns = ("NP604", "needs-acns", Error),
    /// A feature behind an agent flag AKS does not set (fromNodes/toNodes, policy-cidr-match-mode...).
    UnavailableOnAks = ("NP605", "unavailable-on-aks", Error),
    /// A policy selecting hostNetwork pods, which Cilium does not enforce on.
    HostNetworkPod = ("NP606", "host-network-pod", Warning),
    /// A Cilium line older than AKS runs for the Kubernetes version, or a version AKS does not list.
    AksVersion = ("NP607", "aks-version", Warning),
    /// `endPort` on AKS before Cilium 1.17.
    EndPortUnsupported = ("NP608", "end-port-unsupported", Warning),
    /// A named port that resolves to different numbers across the selected pods (cilium/cilium#30003).
    AmbiguousNamedPort = ("NP609", "ambiguous-named-port", Warning),
    /// Egress isolation that loses Azure NPM's implicit allow to the pod's own node.
    NodeEgressLost = ("NP610", "node-egress-lost", Warning),
    /// A LoadBalancer/NodePort Service with externalTrafficPolicy Cluster whose ingress becomes enforced.
    ExternalIngressEnforced = ("NP611", "external-ingress-enforced", Warning),
    /// Egress isolation without the LocalDNS range and the host on port 53.
    LocalDnsBlocked = ("NP612", "local-dns-blocked", Warning),
    /// Policies of an engine the move uninstalls (Calico), which stop being enforced.
    EngineRemoved = ("NP613", "engine-removed", Warning),
    /// A proposed rewrite and what it restores.
    RewriteProposed = ("NP620", "rewrite-proposed", Info),
    /// Flows the rewrite cannot restore exactly, and why.
    NotRestored = ("NP621", "not-restored", Warning),
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// Who refuses an error: it decides what the user will see happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefusedBy {
    /// kubectl or the API server: `kubectl apply` fails.
    ApiServer,
    /// The Cilium agent: `kubectl apply` succeeds, but the agent refuses to
    /// import the policy, so it is not enforced (its status says Valid=False).
    CiliumAgent,
}

/// A secondary location that explains a diagnostic (the first of two
/// duplicate keys, the other half of a conflict).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub span: Span,
    pub message: String,
}

/// One finding about the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// Byte range in the whole input text.
    pub span: Span,
    /// Index of the document it belongs to (see [`crate::Document::index`]).
    pub document: Option<usize>,
    /// Path into the document, `spec.egress[0].to[1].ipBlock.cidr`; empty
    /// when the diagnostic is about the document (or the text) as a whole.
    pub path: String,
    /// How to fix it, when there is something concrete to say.
    pub hint: Option<String>,
    pub related: Vec<Related>,
    /// For errors: who refuses the manifest.
    pub refused_by: Option<RefusedBy>,
}

impl Diagnostic {
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        let severity = code.severity();
        Diagnostic {
            code,
            severity,
            refused_by: (severity == Severity::Error).then_some(RefusedBy::ApiServer),
            message: message.into(),
            span,
            document: None,
            path: String::new(),
            hint: None,
            related: Vec::new(),
        }
    }

    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self.refused_by = match severity {
            Severity::Error => self.refused_by.or(Some(RefusedBy::ApiServer)),
            _ => None,
        };
        self
    }

    /// Marks an error as one the Cilium agent refuses (the API server accepts it).
    pub fn by_agent(mut self) -> Self {
        if self.severity == Severity::Error {
            self.refused_by = Some(RefusedBy::CiliumAgent);
        }
        self
    }

    pub fn with_related(mut self, span: Span, message: impl Into<String>) -> Self {
        self.related.push(Related {
            span,
            message: message.into(),
        });
        self
    }

    /// Attaches line and column numbers for `text` (the whole input).
    pub fn locate(&self, text: &str, index: &LineIndex) -> LocatedDiagnostic {
        let start = index.line_col(text, self.span.start);
        let end = index.line_col(text, self.span.end);
        LocatedDiagnostic {
            code: self.code,
            name: self.code.name(),
            severity: self.severity,
            message: self.message.clone(),
            document: self.document,
            path: self.path.clone(),
            hint: self.hint.clone(),
            refused_by: self.refused_by,
            start: self.span.start,
            end: self.span.end,
            start_utf16: index.utf16(text, self.span.start),
            end_utf16: index.utf16(text, self.span.end),
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
            related: self
                .related
                .iter()
                .map(|r| {
                    let at = index.line_col(text, r.span.start);
                    LocatedRelated {
                        message: r.message.clone(),
                        start: r.span.start,
                        end: r.span.end,
                        line: at.line,
                        column: at.column,
                    }
                })
                .collect(),
        }
    }
}

/// A diagnostic with 1-based line and column numbers: what front ends show
/// and what `-o json` prints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocatedDiagnostic {
    pub code: Code,
    pub name: &'static str,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<usize>,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// For errors: `api-server` (kubectl apply fails) or `cilium-agent`
    /// (applied, but not enforced).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused_by: Option<RefusedBy>,
    /// Byte offsets in the whole input.
    pub start: usize,
    pub end: usize,
    /// The same range in UTF-16 units, for JavaScript strings and editors.
    pub start_utf16: usize,
    pub end_utf16: usize,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<LocatedRelated>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LocatedRelated {
    pub message: String,
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub column: usize,
}

/// The closest candidate to `word`, for "did you mean" hints; `None` when
/// nothing is close enough to be a plausible typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        if candidate.eq_ignore_ascii_case(word) {
            return Some(candidate);
        }
        let distance = edit_distance(&lower, &candidate.to_ascii_lowercase());
        // Allow roughly one edit per three characters, at least one.
        let limit = (candidate.chars().count().max(word.chars().count()) / 3).max(1);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// Damerau-Levenshtein distance (optimal string alignment): a swap of two
/// neighbouring letters, the most common typo, counts as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = v;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_ids_and_names_are_unique() {
        let mut ids: Vec<_> = Code::ALL.iter().map(|c| c.id()).collect();
        let mut names: Vec<_> = Code::ALL.iter().map(|c| c.name()).collect();
        ids.sort();
        ids.dedup();
        names.sort();
        names.dedup();
        assert_eq!(ids.len(), Code::ALL.len());
        assert_eq!(names.len(), Code::ALL.len());
        assert_eq!(Code::parse("NP101"), Some(Code::UnknownField));
        assert_eq!(Code::parse("unknown-field"), Some(Code::UnknownField));
    }

    #[test]
    fn did_you_mean_finds_typos_and_case_slips() {
        let fields = ["podSelector", "policyTypes", "ingress", "egress"];
        assert_eq!(did_you_mean("podSelecter", fields), Some("podSelector"));
        assert_eq!(did_you_mean("podselector", fields), Some("podSelector"));
        assert_eq!(did_you_mean("igress", fields), Some("ingress"));
        assert_eq!(did_you_mean("egrses", fields), Some("egress"));
        assert_eq!(did_you_mean("description", fields), None);
        assert_eq!(did_you_mean("tcp", ["TCP", "UDP", "SCTP"]), Some("TCP"));
    }
}
