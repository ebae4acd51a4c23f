//! Reading `metadata` and label selectors.

use super::Reader;
use crate::model::{LabelSelector, ObjectMeta, Operator, Requirement, ServerFields, Spanned};
use crate::yaml::Node;

/// Fields of `metadata`. The API server writes the second half; they are
/// accepted without noise (a `kubectl get -o yaml` dump is valid input).
const METADATA_FIELDS: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
];

pub(super) fn metadata(r: &mut Reader, node: &Node) -> Option<Spanned<ObjectMeta>> {
    let o = r.object(node, METADATA_FIELDS)?;
    let meta = ObjectMeta {
        name: r.field(&o, "name", Reader::string),
        generate_name: r.field(&o, "generateName", Reader::string),
        namespace: r.field(&o, "namespace", Reader::string),
        labels: r.field(&o, "labels", Reader::label_map),
        annotations: r.field(&o, "annotations", Reader::label_map),
        owner_references: o.get("ownerReferences").cloned(),
        finalizers: o.get("finalizers").cloned(),
        server: ServerFields {
            uid: o.get("uid").and_then(|n| n.as_str()).map(str::to_owned),
        },
    };
    Some(Spanned::new(meta, r.value_span(node)))
}

/// A label selector (Kubernetes `LabelSelector`, Cilium `EndpointSelector`).
pub(super) fn selector(r: &mut Reader, node: &Node) -> Option<Spanned<LabelSelector>> {
    let o = r.object(node, &["matchLabels", "matchExpressions"])?;
    let selector = LabelSelector {
        match_labels: r.field(&o, "matchLabels", Reader::label_map),
        match_expressions: r.field(&o, "matchExpressions", |r, n| r.list(n, requirement)),
    };
    Some(Spanned::new(selector, r.value_span(node)))
}

const OPERATORS: &[(Operator, &str)] = &[
    (Operator::In, "In"),
    (Operator::NotIn, "NotIn"),
    (Operator::Exists, "Exists"),
    (Operator::DoesNotExist, "DoesNotExist"),
];

fn requirement(r: &mut Reader, node: &Node) -> Option<Requirement> {
    let o = r.object(node, &["key", "operator", "values"])?;
    let key = r.required(&o, "key", Reader::string);
    let operator = r.required(&o, "operator", |r, n| r.one_of(n, OPERATORS));
    let values = r.field(&o, "values", Reader::strings);
    Some(Requirement {
        key: key?,
        operator: operator?,
        values,
    })
}
