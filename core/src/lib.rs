//! netpolkit: read, check and explain Kubernetes NetworkPolicy,
//! CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy.
//!
//! The crate is a small compiler: source text → [`model`] (typed manifests
//! with spans) → passes ([`validate`]) → [`emit`] (text). It never does IO
//! and never panics on input; every entry point takes text and returns a
//! value together with [`Diagnostic`]s, so one bad document never hides the
//! results of the others.
//!
//! ```
//! let text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db\nspec:\n  podSelecter: {}\n";
//! let checked = netpolkit::check(text, &netpolkit::Options::default());
//! let d = &checked.diagnostics[0];
//! assert_eq!(d.code.name(), "unknown-field");
//! assert_eq!(d.path, "spec.podSelecter");
//! assert_eq!(d.hint.as_deref(), Some("did you mean `podSelector`?"));
//! ```

pub mod analysis;
pub mod cluster;
pub mod compare;
pub mod convert;
pub mod diagnostic;
pub mod emit;
pub mod engine;
pub mod findings;
pub mod ir;
pub mod migrate;
pub mod model;
mod path;
pub mod profile;
mod read;
pub mod report;
mod sort;
pub mod source;
pub mod validate;
pub mod version;
pub mod yaml;

pub use analysis::{analyze, analyze_parsed, Analysis, AnalyzeOptions};
pub use diagnostic::{Code, Diagnostic, LocatedDiagnostic, RefusedBy, Severity};
pub use model::{Document, Kind, Manifest};
pub use report::{report, DocumentInfo, Report, Summary};
pub use source::{LineCol, LineIndex, Location, SourceMap, Span};
pub use version::{CiliumVersion, KubernetesVersion};

/// What the checks assume about the cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The Cilium version whose API and agent rules apply (default: the newest known).
    pub cilium_version: CiliumVersion,
}

/// The result of reading a text: every object found, and what was wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    pub documents: Vec<Document>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == Severity::Error)
    }
}

/// Reads every document of `text` (YAML documents, JSON, `List`s) into the
/// model. Structural problems (syntax, unknown fields, wrong types) are
/// reported; nothing stops the reading.
pub fn parse(text: &str) -> Parsed {
    let mut diagnostics = Vec::new();
    let documents = read::read_documents(text, &mut diagnostics);
    Parsed { documents, diagnostics }
}

/// [`parse`] followed by every validation rule; diagnostics are sorted by
/// position in the text.
pub fn check(text: &str, options: &Options) -> Parsed {
    let mut parsed = parse(text);
    validate::validate(&parsed.documents, options, &mut parsed.diagnostics);
    sort_diagnostics(&mut parsed.diagnostics);
    parsed
}

/// Orders diagnostics by where they are, then by severity (errors first).
pub fn sort_diagnostics(diagnostics: &mut [Diagnostic]) {
    sort::sort_by(diagnostics, |a, b| {
        a.span
            .start
            .cmp(&b.span.start)
            .then(b.severity.cmp(&a.severity))
            .then(a.code.cmp(&b.code))
    });
}
