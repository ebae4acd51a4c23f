//! The proof: source and output decided flow by flow over one universe.
//!
//! The whole sets are compared (policies interact: a policy that adds no
//! default deny still widens what another one allows), then, only when
//! flows differ, each source policy against its own output, to say which
//! conversion is responsible.

use crate::analysis::Analysis;
use crate::compare::{compare, CompareOptions, Difference, Side};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{lower, lower::LowerOptions, Lowered};
use crate::model::{Document, Manifest};

/// How many differing flows a proof explains.
const EXPLAINED: usize = 20;

/// The outcome of comparing a conversion's source and output.
#[derive(Clone, Debug, PartialEq)]
pub struct Proof {
    /// Every flow of the universe gets the same verdict on both sides.
    pub equivalent: bool,
    /// Endpoints of the universe (given workloads and generated ones).
    pub endpoints: usize,
    /// Flows compared.
    pub flows: u64,
    /// Flows whose verdict differs.
    pub differing: u64,
    /// The first differing flows, with the rules deciding them on each side.
    pub differences: Vec<Difference>,
    /// The generated universe was cut down to fit in memory (very big
    /// inputs): "equivalent" then covers fewer generated pods.
    pub truncated: bool,
}

/// Compares `source` with `output` (the output as validated and lowered). `origins[i]` is
/// the source document output document `i` came from. Adds a
/// [`Code::NotEquivalent`] diagnostic to each source policy whose own
/// conversion changes verdicts (or to the first one when only their
/// combination does).
pub fn prove(source: &Analysis, output: &Analysis, origins: &[usize], diagnostics: &mut Vec<Diagnostic>) -> Proof {
    let workloads: Vec<Document> = source
        .parsed
        .documents
        .iter()
        .filter(|d| !d.model_kind().is_some_and(|k| k.is_policy()))
        .cloned()
        .collect();
    let options = CompareOptions {
        generate: true,
        max_explained: EXPLAINED,
    };
    let services = services(source);
    let relowered;
    let output_lowered = if services.is_empty() {
        &output.lowered
    } else {
        relowered = lower_with(&output.parsed.documents, &services, output);
        &relowered
    };
    let whole = compare(
        &workloads,
        Side {
            profile: &source.profile,
            lowered: &source.lowered,
        },
        Side {
            profile: &output.profile,
            lowered: output_lowered,
        },
        &options,
    );
    if whole.differing > 0 {
        blame(
            source,
            output,
            origins,
            &workloads,
            &services,
            &whole.differences,
            whole.differing,
            diagnostics,
        );
    }
    Proof {
        equivalent: whole.differing == 0,
        endpoints: whole.endpoints,
        flows: whole.flows,
        differing: whole.differing,
        differences: whole.differences,
        truncated: whole.truncated,
    }
}

/// The input's Services. The output is applied to the same cluster as the
/// input, so its `toServices` peers stand for the same Services' pods
/// (§2.8); the output's own text has no Service to resolve them against.
fn services(source: &Analysis) -> Vec<Document> {
    source
        .parsed
        .documents
        .iter()
        .filter(|d| matches!(d.manifest, Manifest::Service(_)))
        .cloned()
        .collect()
}

/// `policies` lowered under `analysis`'s profile and check, with `services` to resolve `toServices`.
fn lower_with(policies: &[Document], services: &[Document], analysis: &Analysis) -> Lowered {
    let documents: Vec<Document> = policies.iter().chain(services).cloned().collect();
    lower(
        &documents,
        &analysis.parsed.diagnostics,
        &analysis.profile,
        LowerOptions::default(),
    )
}

#[allow(clippy::too_many_arguments)]
fn blame(
    source: &Analysis,
    output: &Analysis,
    origins: &[usize],
    workloads: &[Document],
    services: &[Document],
    differences: &[Difference],
    differing: u64,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let policies: Vec<&Document> = source
        .parsed
        .documents
        .iter()
        .filter(|d| d.model_kind().is_some_and(|k| k.is_policy()))
        .collect();
    let options = CompareOptions {
        generate: true,
        max_explained: 1,
    };
    let mut blamed = false;
    for document in &policies {
        let mine: Vec<Document> = output
            .parsed
            .documents
            .iter()
            .zip(origins)
            .filter(|(_, origin)| **origin == document.index)
            .map(|(d, _)| d.clone())
            .collect();
        let old = lower_with(std::slice::from_ref(*document), services, source);
        let new = lower_with(&mine, services, output);
        let alone = compare(
            workloads,
            Side {
                profile: &source.profile,
                lowered: &old,
            },
            Side {
                profile: &output.profile,
                lowered: &new,
            },
            &options,
        );
        if let Some(first) = alone.differences.first() {
            diagnostics.push(not_equivalent(document, alone.differing, first));
            blamed = true;
        }
    }
    if let (false, Some(document), Some(first)) = (blamed, policies.first(), differences.first()) {
        let mut d = not_equivalent(document, differing, first);
        d.message = format!("{} (through how the converted policies combine)", d.message);
        diagnostics.push(d);
    }
}

fn not_equivalent(document: &Document, differing: u64, first: &Difference) -> Diagnostic {
    let verdict = |allowed: bool| if allowed { "allowed" } else { "denied" };
    let flows = if differing == 1 { "flow" } else { "flows" };
    let mut d = Diagnostic::new(
        Code::NotEquivalent,
        document.span,
        format!(
            "the converted {} decides {differing} {flows} differently, e.g. {} -> {} {}: {} before, {} after",
            super::describe(document),
            first.from,
            first.to,
            first.port,
            verdict(first.old_allowed),
            verdict(first.new_allowed),
        ),
    )
    .with_hint("the conversion lost something the diagnostics above name; keep the source kind for this policy");
    d.document = Some(document.index);
    d
}
