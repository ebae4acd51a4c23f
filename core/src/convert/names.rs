//! Names and namespaces of converted policies: deterministic, unique, and
//! placing a clusterwide policy in the namespaces it actually covers.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::cluster::{Cluster, NAMESPACE, NAMESPACE_LABELS};
use crate::ir::{Label, Labels, Lowered, Selector, Source, Subject};
use crate::model::{Document, Manifest};

/// The namespaces a clusterwide policy (CCNP, ClusterNetworkPolicy) is
/// spread over when the target kind is namespaced: `--namespace` if given
/// (comma-separated), otherwise every namespace of the input whose pods the
/// policy's subjects can select, judged by the subjects' namespace
/// requirements (`io.kubernetes.pod.namespace`, namespace labels).
pub fn namespaces_for(
    document: &Document,
    subjects: &[&Subject],
    cluster: &Cluster,
    flag: Option<&str>,
) -> Vec<String> {
    if !matches!(
        document.manifest,
        Manifest::CiliumClusterwideNetworkPolicy(_) | Manifest::ClusterNetworkPolicy(_)
    ) {
        return Vec::new();
    }
    if let Some(flag) = flag {
        let given = crate::sort::set(
            flag.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        );
        return given.into_iter().collect();
    }
    let mut found = BTreeSet::new();
    for subject in subjects.iter().filter_map(|s| match s {
        Subject::Endpoints(s) => Some(s),
        Subject::Host(_) => None,
    }) {
        match pinned(subject) {
            // A subject that names its namespaces is there, workloads or not.
            Some(names) => found.extend(names),
            None => found.extend(
                cluster
                    .namespaces
                    .iter()
                    .filter(|(name, labels)| namespace_part(subject).matches(&namespace_labels(name, labels)))
                    .map(|(name, _)| name.clone()),
            ),
        }
    }
    found.into_iter().collect()
}

/// Whether every subject of a document names its namespaces outright,
/// so that spreading it over them covers all it can ever select.
pub fn pinned_only(subjects: &[&Subject]) -> bool {
    subjects.iter().all(|s| match s {
        Subject::Endpoints(s) => pinned(s).is_some(),
        Subject::Host(_) => true,
    })
}

/// The subjects of each policy document's entries, by document index.
pub fn subjects_by_document(lowered: &Lowered) -> HashMap<usize, Vec<&Subject>> {
    let mut by: HashMap<usize, Vec<&Subject>> = HashMap::new();
    for e in &lowered.entries {
        by.entry(lowered.policies[e.origin.policy].document)
            .or_default()
            .push(&e.subject);
    }
    by
}

/// The namespaces a selector names outright (`io.kubernetes.pod.namespace: X`
/// or `In [X, Y]`), if it does.
fn pinned(selector: &Selector) -> Option<Vec<String>> {
    let names_namespace = |key: &str| key == NAMESPACE || key.strip_prefix(NAMESPACE_LABELS) == Some(METADATA_NAME);
    if let Some((_, v)) = selector.match_labels.iter().find(|(k, _)| names_namespace(&k.key)) {
        return Some(vec![v.clone()]);
    }
    selector
        .expressions
        .iter()
        .find(|(k, op, _)| names_namespace(&k.key) && *op == crate::ir::Op::In)
        .map(|(_, _, values)| values.clone())
}

/// The label Kubernetes puts on every namespace, with its name.
const METADATA_NAME: &str = "kubernetes.io/metadata.name";

/// The requirements of `selector` that are about namespaces.
fn namespace_part(selector: &Selector) -> Selector {
    let about_namespace = |key: &crate::ir::SelectorKey| key.key == NAMESPACE || key.key.starts_with(NAMESPACE_LABELS);
    Selector {
        match_labels: selector
            .match_labels
            .iter()
            .filter(|(k, _)| about_namespace(k))
            .cloned()
            .collect(),
        expressions: selector
            .expressions
            .iter()
            .filter(|(k, _, _)| about_namespace(k))
            .cloned()
            .collect(),
    }
}

/// The identity labels every pod of namespace `name` carries.
fn namespace_labels(name: &str, labels: &[(String, String)]) -> Labels {
    let mut all = vec![
        Label::new(Source::K8s, NAMESPACE, name),
        Label::new(Source::K8s, format!("{NAMESPACE_LABELS}{METADATA_NAME}"), name),
    ];
    for (k, v) in labels.iter().filter(|(k, _)| k != METADATA_NAME) {
        all.push(Label::new(Source::K8s, format!("{NAMESPACE_LABELS}{k}"), v.clone()));
    }
    Labels::new(all)
}

/// Makes (kind, namespace, name) unique by suffixing `-2`, `-3`... in order.
pub fn disambiguate(documents: &mut [Document]) {
    // Usually every name is unique already: then nothing is renamed, and
    // finding that out needs no copy of the names.
    let mut unique = HashSet::with_capacity(documents.len());
    if documents.iter().all(|d| {
        let meta = d.manifest.metadata();
        meta.is_none()
            || unique.insert((
                d.model_kind(),
                meta.and_then(|m| m.namespace()),
                meta.and_then(|m| m.name()).unwrap_or("policy"),
            ))
    }) {
        return;
    }
    let mut seen = BTreeSet::new();
    for document in documents.iter_mut() {
        let kind = document.model_kind();
        let Some(meta) = metadata_mut(&mut document.manifest) else {
            continue;
        };
        let namespace = meta.namespace().map(str::to_owned);
        let base = meta.name().unwrap_or("policy").to_owned();
        let mut name = base.clone();
        let mut n = 1;
        while !seen.insert((kind, namespace.clone(), name.clone())) {
            n += 1;
            name = format!("{base}-{n}");
        }
        if n > 1 {
            meta.name = Some(super::build::s(name));
        }
    }
}

fn metadata_mut(manifest: &mut Manifest) -> Option<&mut crate::model::ObjectMeta> {
    Some(match manifest {
        Manifest::NetworkPolicy(p) => &mut p.metadata.value,
        Manifest::CiliumNetworkPolicy(p) | Manifest::CiliumClusterwideNetworkPolicy(p) => &mut p.metadata.value,
        Manifest::ClusterNetworkPolicy(p) => &mut p.metadata.value,
        _ => return None,
    })
}

/// A name for a namespaced policy made clusterwide: `NAMESPACE-NAME`.
pub fn clusterwide_name(namespace: &str, name: &str) -> String {
    format!("{namespace}-{name}")
}

/// The name of a clusterwide policy's part in `namespace`: without the
/// `NAMESPACE-` prefix [`clusterwide_name`] adds, so round trips keep names.
pub fn namespaced_name(name: &str, namespace: &str) -> String {
    match name.strip_prefix(namespace).and_then(|rest| rest.strip_prefix('-')) {
        Some(rest) if !rest.is_empty() => rest.to_owned(),
        _ => name.to_owned(),
    }
}
