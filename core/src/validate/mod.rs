//! Validation passes: what the API server or the Cilium agent would refuse in
//! a well-typed object, offline. Each rule cites the section of
//! `cilium-semantics.md` (Cilium) or the API server function (Kubernetes) it
//! reproduces; the tests name the same sections.

mod cilium;
pub(crate) mod icmp;
mod kcnp;
mod knp;
mod meta;
mod net;
mod profile;
mod regex;
pub mod syntax;

use std::borrow::Cow;

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::model::{Document, Manifest};
use crate::path::FieldPath;
use crate::source::Span;
use crate::Options;

/// Runs every rule on every document and appends what it finds.
pub fn validate(documents: &[Document], options: &Options, diagnostics: &mut Vec<Diagnostic>) {
    // Where reading already failed: rules about missing or empty things stay
    // quiet there, since the thing was written, just wrongly.
    let mut broken: Vec<Vec<String>> = vec![Vec::new(); documents.len()];
    for d in diagnostics.iter() {
        let structural = matches!(
            d.code,
            Code::UnknownField | Code::InvalidType | Code::UnsupportedValue | Code::NonStringKey
        );
        if let (true, Some(doc)) = (structural, d.document) {
            if let Some(paths) = broken.get_mut(doc) {
                paths.push(d.path.clone());
            }
        }
    }
    // One path for every document, so that it grows only once.
    let mut path = FieldPath::default();
    for document in documents {
        path.start_document(item_index(&document.path));
        let mut c = Check {
            document: document.index,
            path: std::mem::take(&mut path),
            options,
            broken: broken.get(document.index).map(Vec::as_slice).unwrap_or(&[]),
            diagnostics: &mut *diagnostics,
        };
        match &document.manifest {
            Manifest::NetworkPolicy(p) => knp::network_policy(&mut c, p, document),
            Manifest::CiliumNetworkPolicy(p) => cilium::cilium_policy(&mut c, p, document, false),
            Manifest::CiliumClusterwideNetworkPolicy(p) => cilium::cilium_policy(&mut c, p, document, true),
            Manifest::ClusterNetworkPolicy(p) => kcnp::cluster_network_policy(&mut c, p, document),
            Manifest::Namespace(n) => meta::object_meta(&mut c, &n.metadata, meta::NameRule::Label, document),
            Manifest::Service(s) => meta::object_meta(&mut c, &s.metadata, meta::NameRule::Dns1035, document),
            Manifest::Pod(p) => meta::object_meta(&mut c, &p.metadata, meta::NameRule::Subdomain, document),
            Manifest::Node(n) => meta::object_meta(&mut c, &n.metadata, meta::NameRule::Subdomain, document),
            Manifest::Workload(w) => meta::object_meta(&mut c, &w.metadata, meta::NameRule::Subdomain, document),
            Manifest::ClusterProfile(p) => profile::cluster_profile(&mut c, p, document),
            Manifest::Other | Manifest::Invalid => {}
        }
        path = c.path;
    }
}

/// `items[3]` → `Some(3)`.
fn item_index(path: &str) -> Option<usize> {
    path.strip_prefix("items[")?.strip_suffix(']')?.parse().ok()
}

/// The validation context: where we are in which document, and the options.
pub(crate) struct Check<'a> {
    document: usize,
    path: FieldPath,
    pub options: &'a Options,
    /// Paths of this document where reading reported a problem.
    broken: &'a [String],
    diagnostics: &'a mut Vec<Diagnostic>,
}

impl Check<'_> {
    pub fn report(&mut self, mut diagnostic: Diagnostic) {
        if diagnostic.path.is_empty() {
            diagnostic.path = self.path.render();
        }
        diagnostic.document = Some(self.document);
        self.diagnostics.push(diagnostic);
    }

    /// Whether reading reported a problem inside the object at the current
    /// path (an unknown or mistyped field): then "missing" rules keep quiet.
    pub fn written_wrongly(&self) -> bool {
        let here = self.path.render();
        self.broken.iter().any(|p| {
            here.is_empty()
                || (p.len() > here.len() && p.starts_with(&here) && matches!(p.as_bytes()[here.len()], b'.' | b'['))
        })
    }

    /// Shorthand for a diagnostic with a message and an optional hint.
    pub fn emit(&mut self, code: Code, span: Span, message: impl Into<String>, hint: Option<String>) {
        let mut d = Diagnostic::new(code, span, message);
        d.hint = hint;
        self.report(d);
    }

    /// An error the Cilium agent reports when it imports the policy; the API
    /// server accepts it (cilium-semantics §2.12).
    pub fn agent(&mut self, code: Code, span: Span, message: impl Into<String>, hint: Option<String>) {
        let mut d = Diagnostic::new(code, span, message).by_agent();
        d.hint = hint;
        self.report(d);
    }

    /// Like [`Check::emit`] with an explicit severity.
    pub fn emit_as(
        &mut self,
        code: Code,
        severity: Severity,
        span: Span,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        let mut d = Diagnostic::new(code, span, message).with_severity(severity);
        d.hint = hint;
        self.report(d);
    }

    pub fn at<T>(&mut self, key: impl Into<Cow<'static, str>>, f: impl FnOnce(&mut Self) -> T) -> T {
        self.path.push_key(key);
        let result = f(self);
        self.path.pop();
        result
    }

    pub fn at_index<T>(&mut self, index: usize, f: impl FnOnce(&mut Self) -> T) -> T {
        self.path.push_index(index);
        let result = f(self);
        self.path.pop();
        result
    }

    /// Runs `f` for each item of a list, one index deeper.
    pub fn each<'t, T>(&mut self, items: &'t [T], mut f: impl FnMut(&mut Self, &'t T)) {
        for (i, item) in items.iter().enumerate() {
            self.at_index(i, |c| f(c, item));
        }
    }
}
