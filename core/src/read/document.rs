//! From a stream of YAML documents to typed objects: dispatch on `kind` (the
//! first pass reads only `apiVersion` and `kind`), and `List` expansion.

use super::meta::metadata;
use super::{cilium, kcnp, knp, profile, workload, Reader};
use crate::diagnostic::{did_you_mean, Code, Diagnostic, Severity};
use crate::model::{Document, Kind, Manifest, ObjectMeta, Spanned, Str};
use crate::source::Span;
use crate::yaml::{parse_stream, Node, Value};

/// Reads every object of `text`; never fails, never stops early.
pub(crate) fn read_documents(text: &str, diagnostics: &mut Vec<Diagnostic>) -> Vec<Document> {
    let mut documents = Vec::new();
    for raw in parse_stream(text) {
        let Some(root) = raw.root else {
            let index = documents.len();
            if let Some(mut error) = raw.error {
                error.document = Some(index);
                diagnostics.push(error);
            }
            documents.push(Document {
                index,
                span: raw.span,
                path: String::new(),
                api_version: None,
                kind: None,
                manifest: Manifest::Invalid,
                source: None,
            });
            continue;
        };
        match take_list_items(root) {
            Ok((items, item_type)) => {
                for (i, item) in items.into_iter().enumerate() {
                    let index = documents.len();
                    let before = diagnostics.len();
                    let mut r = Reader::new(text, index, Some(i), diagnostics);
                    let mut document = read_object(&mut r, &item, index, format!("items[{i}]"), item_type.as_ref());
                    document.source = keep_tree(&document, &diagnostics[before..]).then_some(item);
                    documents.push(document);
                }
            }
            Err(root) => {
                let index = documents.len();
                let before = diagnostics.len();
                let mut r = Reader::new(text, index, None, diagnostics);
                let mut document = read_object(&mut r, &root, index, String::new(), None);
                document.source = keep_tree(&document, &diagnostics[before..]).then_some(root);
                documents.push(document);
            }
        }
    }
    documents
}

/// Whether a document keeps its YAML tree: every kind is written back from
/// it except a policy read without errors, whose model holds all of it.
/// Dropping those trees at once halves what a large policy set holds in
/// memory while it is converted or analysed.
fn keep_tree(document: &Document, read: &[Diagnostic]) -> bool {
    !document.model_kind().is_some_and(|k| k.is_policy()) || read.iter().any(|d| d.severity == Severity::Error)
}

/// The item type a typed list (`NetworkPolicyList`) implies for its items.
struct ImpliedType {
    api_version: String,
    kind: String,
}

/// The items of a `List` (or `NetworkPolicyList`, `PodList`...), with the
/// item type a typed list implies for items that omit theirs; the root back
/// when it is not a list.
fn take_list_items(root: Node) -> Result<(Vec<Node>, Option<ImpliedType>), Node> {
    let is_list = root
        .get("kind")
        .and_then(Node::as_str)
        .is_some_and(|k| k.ends_with("List"))
        && matches!(root.get("items").map(|i| &i.value), Some(Value::Seq(_) | Value::Null));
    if !is_list {
        return Err(root);
    }
    let kind = root.get("kind").and_then(Node::as_str).unwrap_or("");
    let implied = kind
        .strip_suffix("List")
        .filter(|k| !k.is_empty())
        .map(|k| ImpliedType {
            api_version: root.get("apiVersion").and_then(Node::as_str).unwrap_or("").to_owned(),
            kind: k.to_owned(),
        });
    let Value::Map(entries) = root.value else {
        return Ok((Vec::new(), implied));
    };
    let items = entries
        .into_iter()
        .find(|e| e.key.as_str() == Some("items"))
        .and_then(|e| match e.value.value {
            Value::Seq(items) => Some(items),
            _ => None,
        })
        .unwrap_or_default();
    Ok((items, implied))
}

/// Accepted apiVersions that are not the current one, and why they fail.
fn retired_api_version(kind: Kind, api_version: &str) -> Option<&'static str> {
    match (kind, api_version) {
        (Kind::NetworkPolicy, "extensions/v1beta1") => Some("removed in Kubernetes 1.16"),
        (Kind::Deployment | Kind::DaemonSet | Kind::ReplicaSet, "extensions/v1beta1")
        | (
            Kind::Deployment | Kind::StatefulSet | Kind::DaemonSet | Kind::ReplicaSet,
            "apps/v1beta1" | "apps/v1beta2",
        ) => Some("removed in Kubernetes 1.16"),
        (Kind::CronJob, "batch/v1beta1") => Some("removed in Kubernetes 1.25"),
        (Kind::CiliumNetworkPolicy | Kind::CiliumClusterwideNetworkPolicy, "cilium.io/v2alpha1") => {
            Some("Cilium serves its policies only as cilium.io/v2")
        }
        (Kind::ClusterNetworkPolicy, "policy.networking.k8s.io/v1alpha1") => {
            Some("v1alpha1 has AdminNetworkPolicy instead; ClusterNetworkPolicy starts at v1alpha2")
        }
        _ => None,
    }
}

/// Top-level fields of each policy kind (`status` is the server's).
fn top_fields(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::CiliumNetworkPolicy | Kind::CiliumClusterwideNetworkPolicy => {
            &["apiVersion", "kind", "metadata", "spec", "specs", "status"]
        }
        Kind::ClusterProfile => &["apiVersion", "kind", "metadata", "spec"],
        _ => &["apiVersion", "kind", "metadata", "spec", "status"],
    }
}

fn read_object(r: &mut Reader, node: &Node, index: usize, path: String, implied: Option<&ImpliedType>) -> Document {
    let mut document = Document {
        index,
        span: node.span,
        path,
        api_version: None,
        kind: None,
        manifest: Manifest::Invalid,
        source: None,
    };
    if !matches!(node.value, Value::Map(_)) {
        r.report(
            Diagnostic::new(
                Code::NotAnObject,
                node.span,
                format!(
                    "expected a Kubernetes object (a mapping), found a {}",
                    node.value.type_name()
                ),
            )
            .with_hint("each document needs `apiVersion`, `kind` and `metadata`"),
        );
        return document;
    }
    // First pass: only apiVersion and kind decide how to read the rest.
    let type_meta = |key: &'static str, r: &mut Reader| node.get(key).and_then(|n| r.at(key, |r| r.string(n)));
    document.api_version = type_meta("apiVersion", r);
    document.kind = type_meta("kind", r);
    if document.kind.is_none() {
        if let Some(implied) = implied {
            document.kind = Some(Spanned::new(implied.kind.clone(), node.span));
        }
    }
    if document.api_version.is_none() {
        if let Some(implied) = implied {
            document.api_version = Some(Spanned::new(implied.api_version.clone(), node.span));
        }
    }
    let Some(kind_name) = document.kind.clone() else {
        r.report(
            Diagnostic::new(Code::MissingTypeMeta, start_of(node), "missing `kind`")
                .with_hint("add e.g. `kind: NetworkPolicy` (and its `apiVersion`)"),
        );
        document.manifest = Manifest::Other;
        return document;
    };
    let Some(kind) = Kind::from_name(&kind_name.value) else {
        document.manifest = Manifest::Other;
        other_kind(r, &kind_name, document.api_version.as_ref());
        return document;
    };
    check_api_version(r, kind, document.api_version.as_ref(), node);

    r.custom_resource = matches!(
        kind,
        Kind::CiliumNetworkPolicy | Kind::CiliumClusterwideNetworkPolicy | Kind::ClusterNetworkPolicy
    );
    let top = if kind.is_policy() || kind == Kind::ClusterProfile {
        r.object(node, top_fields(kind))
    } else {
        r.open_object(node)
    };
    let Some(top) = top else { return document };
    let meta = r
        .field(&top, "metadata", metadata)
        .unwrap_or_else(|| Spanned::new(ObjectMeta::default(), start_of(node)));
    document.manifest = match kind {
        Kind::NetworkPolicy => Manifest::NetworkPolicy(knp::network_policy(r, &top, meta)),
        Kind::CiliumNetworkPolicy => Manifest::CiliumNetworkPolicy(cilium::cilium_policy(r, &top, meta)),
        Kind::CiliumClusterwideNetworkPolicy => {
            Manifest::CiliumClusterwideNetworkPolicy(cilium::cilium_policy(r, &top, meta))
        }
        Kind::ClusterNetworkPolicy => Manifest::ClusterNetworkPolicy(kcnp::cluster_network_policy(r, &top, meta)),
        Kind::Namespace => Manifest::Namespace(workload::namespace(meta)),
        Kind::Pod => Manifest::Pod(workload::pod(r, &top, meta)),
        Kind::Node => Manifest::Node(workload::node_object(r, &top, meta)),
        Kind::Service => Manifest::Service(workload::service(r, &top, meta)),
        Kind::Deployment | Kind::StatefulSet | Kind::DaemonSet | Kind::ReplicaSet | Kind::Job | Kind::CronJob => {
            Manifest::Workload(workload::workload(r, &top, kind, meta))
        }
        Kind::ClusterProfile => Manifest::ClusterProfile(profile::cluster_profile(r, &top, meta)),
    };
    document
}

/// An empty span at the start of `node`.
fn start_of(node: &Node) -> Span {
    Span::point(node.span.start)
}

fn check_api_version(r: &mut Reader, kind: Kind, api_version: Option<&Str>, node: &Node) {
    let expected = kind.api_version();
    let Some(api_version) = api_version else {
        r.report(
            Diagnostic::new(Code::MissingTypeMeta, start_of(node), "missing `apiVersion`")
                .with_path("")
                .with_hint(format!("add `apiVersion: {expected}`")),
        );
        return;
    };
    if api_version.value == expected {
        return;
    }
    let why = retired_api_version(kind, &api_version.value)
        .map(|why| format!(" ({why})"))
        .unwrap_or_default();
    r.at("apiVersion", |r| {
        r.report(
            Diagnostic::new(
                Code::UnsupportedApiVersion,
                api_version.span,
                format!("{} is not served as `{}`{why}", kind.name(), api_version.value),
            )
            .with_hint(format!("use `apiVersion: {expected}`")),
        )
    });
}

/// A kind netpolkit does not model: an info note, or a warning when it looks
/// like a misspelt kind we do model.
fn other_kind(r: &mut Reader, kind: &Str, api_version: Option<&Str>) {
    let api = api_version.map(|a| a.value.as_str()).unwrap_or("");
    let mut d = Diagnostic::new(
        Code::OtherKind,
        kind.span,
        format!("`{}` is not a kind netpolkit models; it is kept as is", kind.value),
    );
    if let Some(near) = did_you_mean(&kind.value, Kind::ALL.iter().map(|k| k.name())) {
        d = d
            .with_severity(Severity::Warning)
            .with_hint(format!("did you mean `{near}`?"));
    } else if matches!(kind.value.as_str(), "AdminNetworkPolicy" | "BaselineAdminNetworkPolicy") {
        d = d.with_hint(format!(
            "Cilium does not implement {} ({api}); it implements ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2) behind a flag",
            kind.value
        ));
    }
    r.at("kind", |r| r.report(d));
}
