//! What an explicit tag (`!!str`, `!!int`, `!foo`) asks of a node.
//!
//! Manifests almost never carry tags, but when they do the reading must not
//! change: tags are classified by their resolved name, so `!!int`,
//! `!<tag:yaml.org,2002:int>` and a `%TAG` handle for the same namespace are
//! one tag, and a local `!int` means the same as `!!int`.

use granit_parser::Tag;

/// The YAML 1.1 type repository, the namespace of `!!` tags.
const YAML_NAMESPACE: &str = "tag:yaml.org,2002:";

/// `!include` spellings, recognised only to refuse them on collections: the
/// core reads no files.
const INCLUDE_PREFIXES: [&str; 3] = ["!include", "tag:yaml.org,2002:include", "tag:yaml.org,2002:!include"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum TagKind {
    Int,
    Float,
    Bool,
    Null,
    Seq,
    Map,
    Str,
    Binary,
    Timestamp,
    /// Durations and angles (`!!time`, `!!degrees`, `!!radians`): numbers in
    /// a unit nobody converts here, so never accepted.
    Time,
    Degrees,
    Radians,
    /// `!!merge`: only meaningful on a `<<` key.
    Merge,
    /// `!!value`: recognised, without meaning.
    Value,
    /// The non-specific `!`: the text stays a string.
    NonSpecific,
    Include,
    /// Any application tag; the node is read as if untagged.
    Other,
}

/// The kind of node a tag can stand on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum NodeKind {
    Scalar,
    Seq,
    Map,
}

impl TagKind {
    pub(super) fn of(tag: &Tag) -> TagKind {
        let include = INCLUDE_PREFIXES.iter().any(|prefix| {
            tag.suffix_in_namespace(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('#'))
        });
        if include {
            return TagKind::Include;
        }
        if let Some(kind) = tag.core_suffix().and_then(core_name) {
            return kind;
        }
        if let Some(name) = tag.suffix_in_namespace(YAML_NAMESPACE) {
            return match name.as_ref() {
                "merge" => TagKind::Merge,
                "value" => TagKind::Value,
                name => type_name(name.strip_prefix('!').unwrap_or(name)),
            };
        }
        match tag.suffix_in_namespace("!").as_deref() {
            Some("" | "!") => TagKind::NonSpecific,
            Some("!timestamp") => TagKind::Timestamp,
            Some("!binary") => TagKind::Binary,
            Some(name) => match name.strip_prefix('!') {
                Some(core) => core_name(core).unwrap_or(TagKind::Other),
                None => type_name(name),
            },
            None => TagKind::Other,
        }
    }

    /// The node kind this tag is defined for, if it constrains one.
    pub(super) fn requires(self) -> Option<NodeKind> {
        match self {
            TagKind::Seq => Some(NodeKind::Seq),
            TagKind::Map => Some(NodeKind::Map),
            TagKind::NonSpecific | TagKind::Other => None,
            _ => Some(NodeKind::Scalar),
        }
    }

    /// Tags that keep a scalar's text as it is written.
    pub(super) fn forces_string(self) -> bool {
        matches!(self, TagKind::Str | TagKind::NonSpecific)
    }

    /// Tags under which a scalar may be read as text at all.
    pub(super) fn allows_string(self) -> bool {
        matches!(
            self,
            TagKind::Str | TagKind::Merge | TagKind::Value | TagKind::Other | TagKind::Include | TagKind::NonSpecific
        )
    }

    /// Tags whose type is fixed by the core schema.
    pub(super) fn is_core(self) -> bool {
        matches!(
            self,
            TagKind::Int | TagKind::Float | TagKind::Bool | TagKind::Null | TagKind::Seq | TagKind::Map | TagKind::Str
        )
    }
}

fn core_name(name: &str) -> Option<TagKind> {
    Some(match name {
        "null" => TagKind::Null,
        "bool" => TagKind::Bool,
        "int" => TagKind::Int,
        "float" => TagKind::Float,
        "map" => TagKind::Map,
        "seq" => TagKind::Seq,
        "str" => TagKind::Str,
        _ => return None,
    })
}

fn type_name(name: &str) -> TagKind {
    match name {
        "timestamp" => TagKind::Timestamp,
        "binary" => TagKind::Binary,
        "include" => TagKind::Include,
        "time" => TagKind::Time,
        "degrees" => TagKind::Degrees,
        "radians" => TagKind::Radians,
        name => core_name(name).unwrap_or(TagKind::Other),
    }
}

/// A tag as the reader keeps it: its meaning, and its resolved spelling,
/// which identifies application tags when keys are compared.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct NodeTag {
    pub kind: TagKind,
    pub resolved: Box<str>,
}

impl NodeTag {
    pub(super) fn new(tag: &Tag) -> NodeTag {
        NodeTag {
            kind: TagKind::of(tag),
            resolved: tag.to_string().into_boxed_str(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(handle: &str, suffix: &str) -> TagKind {
        TagKind::of(&Tag::new(handle, suffix))
    }

    #[test]
    fn core_tags_are_known_by_their_resolved_name() {
        assert_eq!(kind("tag:yaml.org,2002:", "str"), TagKind::Str);
        assert_eq!(kind("tag:yaml.org,2002:", "int"), TagKind::Int);
        assert_eq!(kind("tag:yaml.org,2002:i", "nt"), TagKind::Int);
        assert_eq!(kind("tag:yaml.org,2002:", "merge"), TagKind::Merge);
        assert_eq!(kind("tag:yaml.org,2002:", "timestamp"), TagKind::Timestamp);
    }

    #[test]
    fn local_tags_with_core_names_mean_the_core_tag() {
        assert_eq!(kind("!", "int"), TagKind::Int);
        assert_eq!(kind("!", "!binary"), TagKind::Binary);
        assert_eq!(kind("!", ""), TagKind::NonSpecific);
        assert_eq!(kind("!", "secret"), TagKind::Other);
        assert_eq!(kind("!", "include"), TagKind::Include);
        assert_eq!(kind("tag:example.com,2026:", "thing"), TagKind::Other);
    }

    #[test]
    fn collection_tags_stand_only_on_their_kind() {
        assert_eq!(TagKind::Seq.requires(), Some(NodeKind::Seq));
        assert_eq!(TagKind::Str.requires(), Some(NodeKind::Scalar));
        assert_eq!(TagKind::Other.requires(), None);
    }
}
