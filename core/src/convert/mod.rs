//! Conversion between NetworkPolicy (KNP), CiliumNetworkPolicy (CNP) and
//! CiliumClusterwideNetworkPolicy (CCNP), and from ClusterNetworkPolicy to
//! Cilium's kinds.
//!
//! A conversion is model → model: each direction module builds target
//! manifests from a source manifest and reports, at the source's location,
//! every construct the target cannot express ([`Code::NoEquivalent`]). The
//! output is emitted, and validated and lowered like any input (as built;
//! it is read back from its text only to locate diagnostics), and the engine
//! then compares both sides flow by flow (the proof, [`prove`]): a
//! conversion is only called equivalent when every flow of the universe
//! gets the same verdict.

pub(crate) mod build;
mod cilium_to_knp;
mod kcnp_to_cilium;
mod knp_to_cilium;
mod names;
mod prove;
mod scope;

use crate::analysis::{analyze, Analysis, AnalyzeOptions};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::emit::{self, Format};
use crate::model::{Document, Kind, Manifest, ObjectMeta, Spanned};
use crate::profile::ProfileSettings;
use crate::source::Span;
use crate::{parse, Parsed};

pub use prove::Proof;

/// The kind to convert to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    Knp,
    Cnp,
    Ccnp,
}

impl Target {
    pub const ALL: [Target; 3] = [Target::Knp, Target::Cnp, Target::Ccnp];

    /// `knp`, `cnp`, `ccnp` (as `--to` takes them).
    pub const fn as_str(self) -> &'static str {
        match self {
            Target::Knp => "knp",
            Target::Cnp => "cnp",
            Target::Ccnp => "ccnp",
        }
    }

    /// Accepts the short names and the kinds' own names, in any letter case.
    pub fn parse(text: &str) -> Option<Target> {
        let lower = text.to_ascii_lowercase();
        Target::ALL
            .into_iter()
            .find(|t| t.as_str() == lower || t.kind().name().eq_ignore_ascii_case(&lower))
    }

    pub const fn kind(self) -> Kind {
        match self {
            Target::Knp => Kind::NetworkPolicy,
            Target::Cnp => Kind::CiliumNetworkPolicy,
            Target::Ccnp => Kind::CiliumClusterwideNetworkPolicy,
        }
    }
}

/// What to convert to, and how.
#[derive(Clone, Debug)]
pub struct ConvertOptions {
    pub to: Target,
    /// Where clusterwide policies go when converted to a namespaced kind, when
    /// the input's workloads do not say.
    pub namespace: Option<String>,
    /// Every loss is an error.
    pub strict: bool,
    /// The profile the proof runs under (default `cilium`).
    pub profile: ProfileSettings,
    pub format: Format,
    /// Compare source and output flow by flow.
    pub prove: bool,
}

impl Default for ConvertOptions {
    fn default() -> Self {
        ConvertOptions {
            to: Target::Cnp,
            namespace: None,
            strict: false,
            profile: ProfileSettings::default(),
            format: Format::Yaml,
            prove: true,
        }
    }
}

/// The result of a conversion.
#[derive(Clone, Debug)]
pub struct Conversion {
    /// The input, read and checked under the profile; lowered when the
    /// proof runs or a clusterwide policy is placed (else `lowered` is empty).
    pub source: Analysis,
    /// What was lost or noted, at the source's locations (sorted).
    pub diagnostics: Vec<Diagnostic>,
    /// The output as text.
    pub text: String,
    /// The output, validated (diagnostics, if any, point into `text`);
    /// lowered when the proof runs or the output has diagnostics.
    pub checked: Analysis,
    /// Flow-by-flow comparison of input and output, unless turned off.
    pub proof: Option<Proof>,
}

impl Conversion {
    /// The output manifests, in input order (the documents `checked` holds).
    pub fn output(&self) -> &[Document] {
        &self.checked.parsed.documents
    }

    /// Whether anything was lost: a construct without equivalent, or flows that differ.
    pub fn is_lossy(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| matches!(d.code, Code::NoEquivalent | Code::NotEquivalent))
    }

    /// Whether the conversion failed under its options: errors in the input
    /// or the output, or (strict) any loss.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == Severity::Error)
            || self.source.parsed.has_errors()
            || self.checked.parsed.has_errors()
    }
}

/// What a direction module returns for one source document.
#[derive(Default)]
pub(crate) struct Converted {
    pub manifests: Vec<(Kind, Manifest)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// What a direction module knows besides the document.
pub(crate) struct Ctx<'a> {
    pub document: &'a Document,
    pub target: Target,
    /// Namespaces a clusterwide policy is spread over for a namespaced
    /// target: the input's namespaces its subject can select, or `--namespace`.
    pub namespaces: &'a [String],
    pub out: Converted,
}

impl Ctx<'_> {
    /// Reports a construct the target cannot express.
    pub fn loss(&mut self, span: Span, path: impl Into<String>, message: impl Into<String>, hint: Option<&str>) {
        let mut d = Diagnostic::new(Code::NoEquivalent, span, message).with_path(path);
        if let Some(hint) = hint {
            d = d.with_hint(hint);
        }
        d.document = Some(self.document.index);
        self.out.diagnostics.push(d);
    }

    /// Reports an exact conversion spelled differently.
    pub fn note(&mut self, span: Span, path: impl Into<String>, message: impl Into<String>) {
        let mut d = Diagnostic::new(Code::ConversionNote, span, message).with_path(path);
        d.document = Some(self.document.index);
        self.out.diagnostics.push(d);
    }

    /// The namespace of a namespaced source policy. Without one it is
    /// `default` (where kubectl creates it without `-n`, and where the
    /// engine reads it); a clusterwide output pins that, which is noted.
    pub fn source_namespace(&mut self, metadata: &Spanned<ObjectMeta>) -> String {
        if let Some(namespace) = metadata.namespace() {
            return namespace.to_owned();
        }
        if self.target == Target::Ccnp {
            self.note(
                metadata.span,
                "metadata",
                "this policy has no namespace: it is taken to be in `default`, and the clusterwide policy is \
                 pinned there (set `metadata.namespace` to pin another)",
            );
        }
        "default".to_owned()
    }

    pub fn push(&mut self, kind: Kind, manifest: Manifest) {
        self.out.manifests.push((kind, manifest));
    }
}

/// Converts every policy of `text` to `options.to`.
///
/// Policies already of the target kind are copied; workloads are read (they
/// place the policies and populate the proof) but not written.
pub fn convert(text: &str, options: &ConvertOptions) -> Conversion {
    let analysis_options = AnalyzeOptions {
        profile: options.profile.clone(),
        lower_invalid: false,
    };
    // The IR is for the proof, and for placing clusterwide policies; a
    // conversion without proof of namespaced policies does without it.
    let mut source = Analysis::unlowered(parse(text), &analysis_options);
    let clusterwide = source.parsed.documents.iter().any(|d| {
        matches!(
            d.model_kind(),
            Some(Kind::CiliumClusterwideNetworkPolicy | Kind::ClusterNetworkPolicy)
        )
    });
    if options.prove || clusterwide {
        source.lower(&analysis_options);
    }
    let subjects = names::subjects_by_document(&source.lowered);
    let mut diagnostics = Vec::new();
    let mut output = Vec::with_capacity(source.parsed.documents.len());
    // The source document each output document came from.
    let mut origins = Vec::with_capacity(source.parsed.documents.len());
    // What each document converts to, emptied into `output` and reused.
    let mut converted = Converted::default();
    let refused = crate::sort::set(
        source
            .parsed
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .filter_map(|d| d.document),
    );
    for document in &source.parsed.documents {
        let Some(kind) = document.model_kind().filter(|k| k.is_policy()) else {
            continue;
        };
        if refused.contains(&document.index) {
            let mut d = Diagnostic::new(
                Code::NoEquivalent,
                document.span,
                format!("{} has errors and was not converted", describe(document)),
            )
            .with_hint("fix the errors `netpolkit check` reports first");
            d.document = Some(document.index);
            d.severity = Severity::Error;
            diagnostics.push(d);
            continue;
        }
        let subjects = subjects.get(&document.index).map_or(&[][..], Vec::as_slice);
        let namespaces = names::namespaces_for(document, subjects, &source.cluster, options.namespace.as_deref());
        let spread = matches!(options.to, Target::Knp | Target::Cnp) && !namespaces.is_empty();
        if spread && !names::pinned_only(subjects) {
            // Namespaces created later match the clusterwide policy, not its namespaced parts.
            let mut d = Diagnostic::new(
                Code::NoEquivalent,
                document.span,
                format!(
                    "{} selects pods by namespace labels (or in any namespace); it is written for the namespaces {}, \
                     and namespaces created later are not covered",
                    describe(document),
                    namespaces.join(", ")
                ),
            )
            .with_hint("keep it clusterwide to cover future namespaces, or pin its subject to namespaces");
            d.document = Some(document.index);
            diagnostics.push(d);
        }
        let mut ctx = Ctx {
            document,
            target: options.to,
            namespaces: &namespaces,
            out: std::mem::take(&mut converted),
        };
        match (&document.manifest, options.to) {
            (_, to) if kind == to.kind() => ctx.push(kind, document.manifest.clone()),
            (Manifest::NetworkPolicy(p), Target::Cnp | Target::Ccnp) => knp_to_cilium::convert(&mut ctx, p),
            (Manifest::CiliumNetworkPolicy(p), Target::Ccnp) => scope::to_clusterwide(&mut ctx, p),
            (Manifest::CiliumClusterwideNetworkPolicy(p), Target::Cnp) => scope::to_namespaced(&mut ctx, p),
            (Manifest::CiliumNetworkPolicy(p) | Manifest::CiliumClusterwideNetworkPolicy(p), Target::Knp) => {
                cilium_to_knp::convert(&mut ctx, p, kind == Kind::CiliumClusterwideNetworkPolicy)
            }
            (Manifest::ClusterNetworkPolicy(p), Target::Cnp | Target::Ccnp) => kcnp_to_cilium::convert(&mut ctx, p),
            (Manifest::ClusterNetworkPolicy(_), Target::Knp) => {
                let message = "a ClusterNetworkPolicy has no NetworkPolicy form: its tiers, priorities, deny and \
                               pass actions and cluster-wide subject do not exist there";
                ctx.loss(
                    document.span,
                    "",
                    message,
                    Some("convert it to a CiliumClusterwideNetworkPolicy (`--to ccnp`) instead"),
                );
            }
            _ => {}
        }
        converted = ctx.out;
        diagnostics.append(&mut converted.diagnostics);
        for (kind, manifest) in converted.manifests.drain(..) {
            output.push(build::document(output.len(), kind, manifest));
            origins.push(document.index);
        }
    }
    names::disambiguate(&mut output);
    let refs: Vec<&Document> = output.iter().collect();
    let text_out = emit::emit(&refs, options.format);
    let checked = check_output(output, &text_out, &analysis_options, options.prove);
    let proof = options
        .prove
        .then(|| prove::prove(&source, &checked, &origins, &mut diagnostics));
    if options.strict {
        for d in &mut diagnostics {
            if matches!(d.code, Code::NoEquivalent | Code::NotEquivalent) {
                *d = d.clone().with_severity(Severity::Error);
            }
        }
    }
    crate::sort_diagnostics(&mut diagnostics);
    Conversion {
        source,
        diagnostics,
        text: text_out,
        checked,
        proof,
    }
}

/// The output validated (and, for the proof, lowered) as built, without
/// reading the text back: that would cost as much as reading the input.
/// Only when the validator objects is the text read, so that its
/// diagnostics point into it; the property tests check that reading the
/// text back gives the same entries.
fn check_output(output: Vec<Document>, text: &str, options: &AnalyzeOptions, lower: bool) -> Analysis {
    let mut built = Analysis::unlowered(
        Parsed {
            documents: output,
            diagnostics: Vec::new(),
        },
        options,
    );
    if !built.parsed.diagnostics.is_empty() {
        return analyze(text, options);
    }
    if lower {
        built.lower(options);
    }
    built
}

/// `NetworkPolicy shop/db`.
pub(crate) fn describe(document: &Document) -> String {
    let kind = document.model_kind().map_or("object", |k| k.name());
    let meta = document.manifest.metadata();
    match (meta.and_then(|m| m.namespace()), meta.and_then(|m| m.name())) {
        (Some(ns), Some(name)) if kind_is_namespaced(document) => format!("{kind} {ns}/{name}"),
        (_, Some(name)) => format!("{kind} {name}"),
        _ => kind.to_owned(),
    }
}

fn kind_is_namespaced(document: &Document) -> bool {
    document.model_kind().is_some_and(|k| k.is_namespaced())
}
