//! Object metadata and label selectors, shared by every kind.

use super::{List, Spanned, Str};
use crate::yaml::Node;

/// `metadata`, reduced to what policies and their analysis use. Fields the
/// API server writes (uid, resourceVersion, managedFields, ...) are accepted
/// and, except for the uid that Cilium puts in policy labels, forgotten.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObjectMeta {
    pub name: Option<Str>,
    pub generate_name: Option<Str>,
    pub namespace: Option<Str>,
    pub labels: Option<Spanned<LabelMap>>,
    pub annotations: Option<Spanned<LabelMap>>,
    /// `ownerReferences` and `finalizers`, kept as written.
    pub owner_references: Option<Node>,
    pub finalizers: Option<Node>,
    pub server: ServerFields,
}

impl ObjectMeta {
    pub fn name(&self) -> Option<&str> {
        self.name.as_ref().map(|n| n.value.as_str())
    }

    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_ref().map(|n| n.value.as_str())
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.as_ref()?.get(key)
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.as_ref()?.get(key)
    }
}

/// What the API server wrote into `metadata`. Never emitted and never
/// compared: it describes one stored copy, not the manifest.
#[derive(Clone, Debug, Default)]
pub struct ServerFields {
    pub uid: Option<String>,
}

impl PartialEq for ServerFields {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// A string-to-string map (labels, annotations, matchLabels), sorted by key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct LabelMap {
    pub entries: Vec<LabelEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LabelEntry {
    pub key: Str,
    pub value: Str,
}

impl LabelMap {
    /// Builds a map from entries in any order (later duplicates were already
    /// reported by the reader and are dropped here).
    pub fn new(mut entries: Vec<LabelEntry>) -> Self {
        crate::sort::sort_by(&mut entries, |a, b| a.key.value.cmp(&b.key.value));
        entries.dedup_by(|b, a| a.key.value == b.key.value);
        LabelMap { entries }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .binary_search_by(|e| e.key.value.as_str().cmp(key))
            .ok()
            .map(|i| self.entries[i].value.value.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .map(|e| (e.key.value.as_str(), e.value.value.as_str()))
    }
}

/// A Kubernetes label selector. In Cilium it is an `EndpointSelector`, whose
/// keys may carry a source prefix (`k8s:`, `any:`, `reserved:`...).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct LabelSelector {
    pub match_labels: Option<Spanned<LabelMap>>,
    pub match_expressions: Option<List<Requirement>>,
}

impl LabelSelector {
    /// `{}`: selects everything in its scope.
    pub fn is_empty(&self) -> bool {
        self.match_labels.as_ref().is_none_or(|m| m.is_empty())
            && self.match_expressions.as_ref().is_none_or(|e| e.is_empty())
    }

    /// Every key the selector mentions, in matchLabels then matchExpressions.
    pub fn keys(&self) -> impl Iterator<Item = &Str> {
        self.match_labels
            .iter()
            .flat_map(|m| m.entries.iter().map(|e| &e.key))
            .chain(self.match_expressions.iter().flat_map(|l| l.iter()).map(|r| &r.key))
    }
}

/// One `matchExpressions` item.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Requirement {
    pub key: Str,
    pub operator: Spanned<Operator>,
    pub values: Option<Spanned<Vec<Str>>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl Operator {
    pub const ALL: [Operator; 4] = [Operator::In, Operator::NotIn, Operator::Exists, Operator::DoesNotExist];

    pub const fn as_str(self) -> &'static str {
        match self {
            Operator::In => "In",
            Operator::NotIn => "NotIn",
            Operator::Exists => "Exists",
            Operator::DoesNotExist => "DoesNotExist",
        }
    }
}
