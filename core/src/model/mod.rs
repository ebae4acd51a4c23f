//! The model: typed manifests with spans.
//!
//! One type per Kubernetes or Cilium object, field for field, with `Option`
//! wherever the user may leave a field out (so `ingress: []` and a missing
//! `ingress` stay distinguishable, as Cilium distinguishes them). Values that
//! diagnostics point at are [`Spanned`]. Spans never take part in equality:
//! two models are equal when they mean the same manifest, wherever it was
//! written.

mod cilium;
mod kcnp;
mod knp;
mod meta;
mod profile;
mod workload;

pub use cilium::*;
pub use kcnp::*;
pub use knp::*;
pub use meta::*;
pub use profile::*;
pub use workload::*;

use crate::source::Span;
use crate::yaml::Node;

/// A value and where it was written. Equality and hashing look at the value only.
#[derive(Clone, Debug, Default)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub const fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Spanned<T> {}

impl<T: std::hash::Hash> std::hash::Hash for Spanned<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.value.hash(state)
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// A spanned string, the most common leaf.
pub type Str = Spanned<String>;

/// A list and its items, each with its span.
pub type List<T> = Spanned<Vec<Spanned<T>>>;

/// A port or ICMP type given as a number or as a name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum IntOrString {
    Int(i64),
    Str(String),
}

impl std::fmt::Display for IntOrString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IntOrString::Int(i) => write!(f, "{i}"),
            IntOrString::Str(s) => f.write_str(s),
        }
    }
}

/// Every kind netpolkit reads, by its API name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    NetworkPolicy,
    CiliumNetworkPolicy,
    CiliumClusterwideNetworkPolicy,
    ClusterNetworkPolicy,
    Namespace,
    Pod,
    Node,
    Service,
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    Job,
    CronJob,
    ClusterProfile,
}

impl Kind {
    pub const ALL: [Kind; 15] = [
        Kind::NetworkPolicy,
        Kind::CiliumNetworkPolicy,
        Kind::CiliumClusterwideNetworkPolicy,
        Kind::ClusterNetworkPolicy,
        Kind::Namespace,
        Kind::Pod,
        Kind::Node,
        Kind::Service,
        Kind::Deployment,
        Kind::StatefulSet,
        Kind::DaemonSet,
        Kind::ReplicaSet,
        Kind::Job,
        Kind::CronJob,
        Kind::ClusterProfile,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Kind::NetworkPolicy => "NetworkPolicy",
            Kind::CiliumNetworkPolicy => "CiliumNetworkPolicy",
            Kind::CiliumClusterwideNetworkPolicy => "CiliumClusterwideNetworkPolicy",
            Kind::ClusterNetworkPolicy => "ClusterNetworkPolicy",
            Kind::Namespace => "Namespace",
            Kind::Pod => "Pod",
            Kind::Node => "Node",
            Kind::Service => "Service",
            Kind::Deployment => "Deployment",
            Kind::StatefulSet => "StatefulSet",
            Kind::DaemonSet => "DaemonSet",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::Job => "Job",
            Kind::CronJob => "CronJob",
            Kind::ClusterProfile => "ClusterProfile",
        }
    }

    /// The apiVersion that serves this kind.
    pub const fn api_version(self) -> &'static str {
        match self {
            Kind::NetworkPolicy => "networking.k8s.io/v1",
            Kind::CiliumNetworkPolicy | Kind::CiliumClusterwideNetworkPolicy => "cilium.io/v2",
            Kind::ClusterNetworkPolicy => "policy.networking.k8s.io/v1alpha2",
            Kind::Namespace | Kind::Pod | Kind::Node | Kind::Service => "v1",
            Kind::Deployment | Kind::StatefulSet | Kind::DaemonSet | Kind::ReplicaSet => "apps/v1",
            Kind::Job | Kind::CronJob => "batch/v1",
            Kind::ClusterProfile => "netpolkit.dev/v1alpha1",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// Whether this kind is a network policy (as opposed to a workload).
    pub const fn is_policy(self) -> bool {
        matches!(
            self,
            Kind::NetworkPolicy
                | Kind::CiliumNetworkPolicy
                | Kind::CiliumClusterwideNetworkPolicy
                | Kind::ClusterNetworkPolicy
        )
    }

    /// Whether objects of this kind live in a namespace.
    pub const fn is_namespaced(self) -> bool {
        !matches!(
            self,
            Kind::CiliumClusterwideNetworkPolicy
                | Kind::ClusterNetworkPolicy
                | Kind::Namespace
                | Kind::Node
                | Kind::ClusterProfile
        )
    }
}

/// One object of the input.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// Position among all objects of the input (List items counted one by one).
    pub index: usize,
    /// The object's text: its whole YAML document, or its List item.
    pub span: Span,
    /// The path of the object inside its YAML document: empty, or `items[3]`
    /// for an item of a `List`.
    pub path: String,
    pub api_version: Option<Str>,
    pub kind: Option<Str>,
    pub manifest: Manifest,
    /// The object as read, before modelling: workloads, other kinds and
    /// policies with reading errors are written back from it. `None` when it
    /// could not be read, and for a policy read without errors (its model
    /// holds everything, and the trees of a large set would double the
    /// memory it takes).
    pub source: Option<Node>,
}

impl Document {
    /// The object's name, if it has one.
    pub fn name(&self) -> Option<&str> {
        self.manifest
            .metadata()
            .and_then(|m| m.name.as_ref())
            .map(|n| n.value.as_str())
    }

    /// The modelled kind, if any.
    pub fn model_kind(&self) -> Option<Kind> {
        self.manifest.kind()
    }
}

/// A document's content, by kind.
#[derive(Clone, Debug, PartialEq)]
pub enum Manifest {
    NetworkPolicy(NetworkPolicy),
    CiliumNetworkPolicy(CiliumPolicy),
    CiliumClusterwideNetworkPolicy(CiliumPolicy),
    ClusterNetworkPolicy(ClusterNetworkPolicy),
    Namespace(Namespace),
    Pod(Pod),
    Node(NodeObject),
    Service(Service),
    /// Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob: the pod template matters.
    Workload(Workload),
    /// netpolkit's own description of the cluster the policies are for.
    ClusterProfile(ClusterProfile),
    /// A kind netpolkit does not model, kept as written in [`Document::source`].
    Other,
    /// A document that could not be read at all (syntax error, not a mapping).
    Invalid,
}

impl Manifest {
    pub fn kind(&self) -> Option<Kind> {
        Some(match self {
            Manifest::NetworkPolicy(_) => Kind::NetworkPolicy,
            Manifest::CiliumNetworkPolicy(_) => Kind::CiliumNetworkPolicy,
            Manifest::CiliumClusterwideNetworkPolicy(_) => Kind::CiliumClusterwideNetworkPolicy,
            Manifest::ClusterNetworkPolicy(_) => Kind::ClusterNetworkPolicy,
            Manifest::Namespace(_) => Kind::Namespace,
            Manifest::Pod(_) => Kind::Pod,
            Manifest::Node(_) => Kind::Node,
            Manifest::Service(_) => Kind::Service,
            Manifest::Workload(w) => w.kind,
            Manifest::ClusterProfile(_) => Kind::ClusterProfile,
            Manifest::Other | Manifest::Invalid => return None,
        })
    }

    pub fn metadata(&self) -> Option<&ObjectMeta> {
        Some(match self {
            Manifest::NetworkPolicy(p) => &p.metadata,
            Manifest::CiliumNetworkPolicy(p) | Manifest::CiliumClusterwideNetworkPolicy(p) => &p.metadata,
            Manifest::ClusterNetworkPolicy(p) => &p.metadata,
            Manifest::Namespace(n) => &n.metadata,
            Manifest::Pod(p) => &p.metadata,
            Manifest::Node(n) => &n.metadata,
            Manifest::Service(s) => &s.metadata,
            Manifest::Workload(w) => &w.metadata,
            Manifest::ClusterProfile(p) => &p.metadata,
            Manifest::Other | Manifest::Invalid => return None,
        })
    }
}
