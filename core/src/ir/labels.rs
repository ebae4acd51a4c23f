//! Identity labels and endpoint selectors, the way Cilium sees them: every
//! label has a source (`k8s:`, `reserved:`, `cidr:`, `node:`...), and a
//! selector key either names a source or matches any (cilium-semantics §1.2).

use std::fmt;

/// Where a label comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// Kubernetes: pod labels, namespace, namespace labels, cluster, service account.
    K8s,
    /// Cilium's reserved identities: host, remote-node, world, health, init...
    Reserved,
    /// CIDR identities of addresses outside the cluster.
    Cidr,
    /// CiliumCIDRGroup labels.
    CidrGroup,
    /// Node labels (for fromNodes/toNodes).
    Node,
    /// In a selector: any source (`any:` or no prefix in a Cilium policy).
    Any,
    /// Anything else written as `source:key`.
    Other(String),
}

/// Label keys Cilium derives for every pod itself (namespace, namespace
/// labels, cluster, service account): a pod label of the same key never
/// reaches its identity.
pub fn is_cilium_derived(key: &str) -> bool {
    key == "io.kubernetes.pod.namespace" || key.starts_with("io.cilium.k8s.")
}

impl Source {
    /// Under Kubernetes' own semantics, where pods are selected by the
    /// labels they carry, a pod's own label with a key Cilium derives:
    /// kept apart from the derived labels so the two never meet.
    pub fn pod_label() -> Source {
        Source::Other("pod".to_owned())
    }

    pub fn parse(prefix: &str) -> Source {
        match prefix {
            "k8s" => Source::K8s,
            "reserved" => Source::Reserved,
            "cidr" => Source::Cidr,
            "cidrgroup" => Source::CidrGroup,
            "node" => Source::Node,
            "any" => Source::Any,
            other => Source::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Source::K8s => "k8s",
            Source::Reserved => "reserved",
            Source::Cidr => "cidr",
            Source::CidrGroup => "cidrgroup",
            Source::Node => "node",
            Source::Any => "any",
            Source::Other(s) => s,
        }
    }
}

/// A label of an identity: `k8s:app=web`, `reserved:host`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label {
    pub key: String,
    pub source: Source,
    pub value: String,
}

impl Label {
    pub fn new(source: Source, key: impl Into<String>, value: impl Into<String>) -> Self {
        Label {
            key: key.into(),
            source,
            value: value.into(),
        }
    }
}

/// The labels of one identity, sorted by key (then source) for lookups.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Labels(Vec<Label>);

impl Labels {
    pub fn new(mut labels: Vec<Label>) -> Self {
        crate::sort::sort(&mut labels);
        labels.dedup_by(|a, b| a.key == b.key && a.source == b.source);
        Labels(labels)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Label> {
        self.0.iter()
    }

    /// Values of `key` from labels whose source `source` accepts.
    fn values<'a>(&'a self, key: &'a SelectorKey) -> impl Iterator<Item = &'a str> + 'a {
        let start = self.0.partition_point(|l| l.key.as_str() < key.key.as_str());
        self.0[start..]
            .iter()
            .take_while(move |l| l.key == key.key)
            .filter(move |l| key.source == Source::Any || key.source == l.source)
            .map(|l| l.value.as_str())
    }

    /// Whether a label with this key (and a source the key accepts) exists.
    pub fn has(&self, key: &SelectorKey) -> bool {
        self.values(key).next().is_some()
    }

    /// The value of `key` from `source` if present.
    pub fn get(&self, source: Source, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|l| l.key == key && l.source == source)
            .map(|l| l.value.as_str())
    }
}

/// A selector key: a label key with the source it accepts. Ordered by key
/// first, so selectors list their requirements by key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SelectorKey {
    pub key: String,
    pub source: Source,
}

impl SelectorKey {
    pub fn new(source: Source, key: impl Into<String>) -> Self {
        SelectorKey {
            source,
            key: key.into(),
        }
    }

    /// Reads `source:key`; a key without a source gets `default` (`any` in
    /// Cilium policies, `k8s` in translated Kubernetes ones).
    pub fn parse(text: &str, default: Source) -> Self {
        match split_source(text) {
            (Some(source), key) => SelectorKey::new(Source::parse(source), key),
            (None, key) => SelectorKey::new(default, key),
        }
    }
}

/// `k8s:app` → (`k8s`, `app`); a key without a source prefix → (None, key).
pub fn split_source(text: &str) -> (Option<&str>, &str) {
    match text.split_once(':') {
        Some((source, key)) if !source.is_empty() && source.chars().all(|c| c.is_ascii_alphanumeric()) => {
            (Some(source), key)
        }
        _ => (None, text),
    }
}

impl fmt::Display for SelectorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.source.as_str(), self.key)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::In => "In",
            Op::NotIn => "NotIn",
            Op::Exists => "Exists",
            Op::DoesNotExist => "DoesNotExist",
        }
    }
}

/// An endpoint selector: matchLabels and matchExpressions over identity
/// labels, kept apart as written (for display); both must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Selector {
    pub match_labels: Vec<(SelectorKey, String)>,
    pub expressions: Vec<(SelectorKey, Op, Vec<String>)>,
}

impl Selector {
    /// `{}`: matches every identity.
    pub fn wildcard() -> Self {
        Selector::default()
    }

    pub fn is_wildcard(&self) -> bool {
        self.match_labels.is_empty() && self.expressions.is_empty()
    }

    /// Adds `key=value` unless the key is already there; keeps labels sorted.
    pub fn add_label(&mut self, key: SelectorKey, value: impl Into<String>) {
        if !self.match_labels.iter().any(|(k, _)| *k == key) {
            self.match_labels.push((key, value.into()));
            crate::sort::sort(&mut self.match_labels);
        }
    }

    /// Replaces (or adds) `key=value` (same source and key).
    pub fn set_label(&mut self, key: SelectorKey, value: impl Into<String>) {
        self.match_labels.retain(|(k, _)| *k != key);
        self.match_labels.push((key, value.into()));
        crate::sort::sort(&mut self.match_labels);
    }

    pub fn add_expression(&mut self, key: SelectorKey, op: Op, values: Vec<String>) {
        self.expressions.push((key, op, values));
    }

    /// Whether any requirement is about `key` (in any source).
    pub fn mentions(&self, key: &str) -> bool {
        self.match_labels.iter().any(|(k, _)| k.key == key) || self.expressions.iter().any(|(k, _, _)| k.key == key)
    }

    /// Whether any requirement's key starts with `prefix`.
    pub fn mentions_prefix(&self, prefix: &str) -> bool {
        self.match_labels.iter().any(|(k, _)| k.key.starts_with(prefix))
            || self.expressions.iter().any(|(k, _, _)| k.key.starts_with(prefix))
    }

    /// Whether any requirement is on a `reserved:` label.
    pub fn mentions_source(&self, source: &Source) -> bool {
        self.match_labels.iter().any(|(k, _)| k.source == *source)
            || self.expressions.iter().any(|(k, _, _)| k.source == *source)
    }

    /// The same requirements with every key moved to `source` (node labels).
    pub fn with_source(mut self, source: Source) -> Self {
        for (k, _) in &mut self.match_labels {
            k.source = source.clone();
        }
        for (k, _, _) in &mut self.expressions {
            k.source = source.clone();
        }
        self
    }

    /// Kubernetes label-selector semantics over identity labels.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels
            .iter()
            .all(|(key, value)| labels.values(key).any(|v| v == value))
            && self.expressions.iter().all(|(key, op, values)| match op {
                Op::In => labels.values(key).any(|v| values.iter().any(|x| x == v)),
                Op::NotIn => !labels.values(key).any(|v| values.iter().any(|x| x == v)),
                Op::Exists => labels.has(key),
                Op::DoesNotExist => !labels.has(key),
            })
    }
}

impl fmt::Display for Selector {
    /// `{k8s:app=web, k8s:io.kubernetes.pod.namespace=shop; k8s:tier In [a,b]}`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (k, v)) in self.match_labels.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{k}={v}")?;
        }
        if !self.expressions.is_empty() {
            if !self.match_labels.is_empty() {
                f.write_str("; ")?;
            }
            for (i, (k, op, values)) in self.expressions.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{k} {}", op.as_str())?;
                if matches!(op, Op::In | Op::NotIn) {
                    write!(f, " [{}]", values.join(","))?;
                }
            }
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(list: &[(&str, &str)]) -> Labels {
        Labels::new(
            list.iter()
                .map(|(k, v)| {
                    let key = SelectorKey::parse(k, Source::K8s);
                    Label::new(key.source, key.key, *v)
                })
                .collect(),
        )
    }

    #[test]
    fn sources_must_agree_unless_the_selector_says_any() {
        let pod = labels(&[("k8s:app", "web"), ("reserved:host", "")]);
        let mut s = Selector::wildcard();
        s.add_label(SelectorKey::parse("app", Source::Any), "web");
        assert!(s.matches(&pod));
        let mut s = Selector::wildcard();
        s.add_label(SelectorKey::parse("reserved:app", Source::Any), "web");
        assert!(!s.matches(&pod));
        let mut s = Selector::wildcard();
        s.add_expression(SelectorKey::parse("reserved:host", Source::Any), Op::Exists, vec![]);
        assert!(s.matches(&pod));
    }

    #[test]
    fn expressions_follow_kubernetes_semantics() {
        let pod = labels(&[("k8s:tier", "web")]);
        let check = |op, values: &[&str], key: &str| {
            let mut s = Selector::wildcard();
            s.add_expression(
                SelectorKey::parse(key, Source::K8s),
                op,
                values.iter().map(|v| v.to_string()).collect(),
            );
            s.matches(&pod)
        };
        assert!(check(Op::In, &["web", "api"], "tier"));
        assert!(!check(Op::In, &["api"], "tier"));
        assert!(check(Op::NotIn, &["api"], "tier"));
        assert!(check(Op::NotIn, &["api"], "missing"), "NotIn matches an absent key");
        assert!(check(Op::Exists, &[], "tier"));
        assert!(check(Op::DoesNotExist, &[], "missing"));
        assert!(Selector::wildcard().matches(&pod));
    }

    #[test]
    fn selectors_display_like_cilium_entries() {
        let mut s = Selector::wildcard();
        s.add_label(SelectorKey::parse("k8s:foo", Source::K8s), "bar");
        s.add_expression(
            SelectorKey::parse("k8s:x", Source::K8s),
            Op::In,
            vec!["a".into(), "b".into()],
        );
        assert_eq!(s.to_string(), "{k8s:foo=bar; k8s:x In [a,b]}");
    }
}
