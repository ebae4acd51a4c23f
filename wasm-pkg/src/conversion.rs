//! `convert` and `diff` for JavaScript: the options and results, mirrors of
//! `netpolkit::convert` and `netpolkit::compare` filled in by hand like
//! those of [`crate::types`].

use serde::{Deserialize, Serialize};
use tsify::Tsify;

use crate::options::{ClusterFacts, Fields, Profile};
use crate::types::{Diagnostic, OutputFormat};

/// The kind `convert` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "lowercase")]
pub enum ConvertTarget {
    /// NetworkPolicy (networking.k8s.io/v1).
    Knp,
    /// CiliumNetworkPolicy (cilium.io/v2).
    Cnp,
    /// CiliumClusterwideNetworkPolicy (cilium.io/v2).
    Ccnp,
}

impl From<ConvertTarget> for netpolkit::convert::Target {
    fn from(target: ConvertTarget) -> Self {
        match target {
            ConvertTarget::Knp => netpolkit::convert::Target::Knp,
            ConvertTarget::Cnp => netpolkit::convert::Target::Cnp,
            ConvertTarget::Ccnp => netpolkit::convert::Target::Ccnp,
        }
    }
}

/// Options of `convert`: the target kind, how to convert, and the profile
/// options of `explain` (the proof decides flows under that profile).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct ConvertOptions {
    /// The kind to convert every policy to. Policies already of that kind
    /// are copied; workloads are read (they place clusterwide policies and
    /// populate the proof) but not written.
    pub to: ConvertTarget,
    /// Every loss is an error (`ok` is then false when anything was lost).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    /// The namespaces a clusterwide policy goes to when converted to a
    /// namespaced kind (comma-separated), when the text's workloads do not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The output format (default: `"yaml"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<OutputFormat>,
    /// Compare the input and the output flow by flow (default: true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prove: Option<bool>,
    /// Whose semantics the checks and the proof follow (default: the text's
    /// `ClusterProfile`, else Cilium); the options below refine it as they do
    /// for `explain`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    #[serde(flatten)]
    pub facts: ClusterFacts,
}

impl Fields for ConvertOptions {
    const OWN: &'static [&'static str] = &["to", "strict", "namespace", "format", "prove", "profile"];
    const FACTS: bool = true;
}

impl ConvertOptions {
    /// The core's options; a malformed profile option is an error message.
    /// What is left unset is the core's default.
    pub fn core(&self) -> Result<netpolkit::convert::ConvertOptions, String> {
        let defaults = netpolkit::convert::ConvertOptions::default();
        Ok(netpolkit::convert::ConvertOptions {
            to: self.to.into(),
            namespace: self.namespace.clone(),
            strict: self.strict.unwrap_or(defaults.strict),
            profile: self.facts.settings(self.profile)?,
            format: self.format.map_or(defaults.format, Into::into),
            prove: self.prove.unwrap_or(defaults.prove),
        })
    }
}

/// What `convert` produced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
// `proof` is `null` rather than missing when it was not asked for.
#[tsify(missing_as_null)]
pub struct ConvertResult {
    /// The converted manifests, in input order.
    pub text: String,
    /// No errors: none in the input, none in the output, and (with `strict`) nothing lost.
    pub ok: bool,
    /// Something was lost: a construct the target kind cannot express, or
    /// flows whose verdict differs.
    pub lossy: bool,
    /// The input's errors (a policy with errors is not converted) and what
    /// the conversion lost (`NP401`), could not place (`NP402`), decides
    /// differently (`NP403`) or spelled differently (`NP404`), located in
    /// the input text. Ordered by position.
    pub diagnostics: Vec<Diagnostic>,
    /// What checking the output found, located in `text` (normally nothing).
    pub output_diagnostics: Vec<Diagnostic>,
    /// The flow-by-flow comparison of input and output; `null` with `prove: false`.
    pub proof: Option<Proof>,
}

impl ConvertResult {
    /// The result of a conversion of `input`.
    pub fn new(input: &str, conversion: netpolkit::convert::Conversion) -> Self {
        let ok = !conversion.has_errors();
        let lossy = conversion.is_lossy();
        let netpolkit::convert::Conversion {
            source,
            diagnostics,
            text,
            checked,
            proof,
        } = conversion;
        let mut found: Vec<netpolkit::Diagnostic> = source
            .parsed
            .diagnostics
            .into_iter()
            .filter(|d| d.severity == netpolkit::Severity::Error)
            .chain(diagnostics)
            .collect();
        netpolkit::sort_diagnostics(&mut found);
        let located = |text: &str, list: Vec<netpolkit::Diagnostic>| {
            let index = netpolkit::LineIndex::new(text);
            list.iter()
                .map(|d| Diagnostic::from(d.locate(text, &index)))
                .collect::<Vec<_>>()
        };
        ConvertResult {
            diagnostics: located(input, found),
            output_diagnostics: located(&text, checked.parsed.diagnostics),
            text,
            ok,
            lossy,
            proof: proof.map(Proof::from),
        }
    }
}

/// Whether the output decides every flow as the input does. The universe
/// is the text's workloads plus endpoints generated to cover every label,
/// namespace, address and port either side mentions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct Proof {
    /// Every flow gets the same verdict on both sides.
    pub equivalent: bool,
    /// Endpoints of the universe (given and generated).
    pub endpoints: usize,
    /// Flows compared.
    pub flows: u64,
    /// Flows whose verdict differs.
    pub differing: u64,
    /// The first differing flows, with the rules deciding them on each side.
    pub differences: Vec<Difference>,
    /// The generated universe was cut down to fit in memory (very big inputs).
    pub truncated: bool,
}

impl From<netpolkit::convert::Proof> for Proof {
    fn from(p: netpolkit::convert::Proof) -> Self {
        let netpolkit::convert::Proof {
            equivalent,
            endpoints,
            flows,
            differing,
            differences,
            truncated,
        } = p;
        Proof {
            equivalent,
            endpoints,
            flows,
            differing,
            differences: differences.into_iter().map(Difference::from).collect(),
            truncated,
        }
    }
}

/// One flow whose verdict differs between input and output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    /// `shop/web`, or a generated endpoint described by its labels.
    pub from: String,
    pub to: String,
    /// `TCP/80`.
    pub port: String,
    /// The input's verdict.
    pub old_allowed: bool,
    /// The output's verdict.
    pub new_allowed: bool,
    /// The rules deciding the flow in the input, one line each, as `explain` prints them.
    pub old_reasons: Vec<String>,
    /// The rules deciding the flow in the output.
    pub new_reasons: Vec<String>,
}

impl From<netpolkit::compare::Difference> for Difference {
    fn from(d: netpolkit::compare::Difference) -> Self {
        let netpolkit::compare::Difference {
            from,
            to,
            port,
            old_allowed,
            new_allowed,
            old_reasons,
            new_reasons,
        } = d;
        Difference {
            from,
            to,
            port,
            old_allowed,
            new_allowed,
            old_reasons,
            new_reasons,
        }
    }
}

/// Options of `diff`: the profile options of `explain`, for both texts,
/// and what to compare over.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct DiffOptions {
    /// The profile of the old text (overrides `profile`): one set under two profiles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_profile: Option<Profile>,
    /// The profile of the new text (overrides `profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_profile: Option<Profile>,
    /// Only the workloads the texts describe, no generated pods, nodes and addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workloads_only: Option<bool>,
    /// Explain at most this many differing flows (all are counted; default 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    #[serde(flatten)]
    pub facts: ClusterFacts,
}

impl Fields for DiffOptions {
    const OWN: &'static [&'static str] = &["oldProfile", "newProfile", "workloadsOnly", "limit", "profile"];
    const FACTS: bool = true;
}

impl DiffOptions {
    /// The core's options; a malformed profile option is an error message.
    pub fn core(&self) -> Result<netpolkit::compare::DiffOptions, String> {
        let side = |kind: Option<Profile>| self.facts.settings(kind.or(self.profile));
        Ok(netpolkit::compare::DiffOptions {
            old_profile: side(self.old_profile)?,
            new_profile: side(self.new_profile)?,
            workloads_only: self.workloads_only.unwrap_or(false),
            // 0 is the core's default.
            max_explained: self.limit.unwrap_or(0),
        })
    }
}

/// The flows whose verdict differs between two texts (or one text under
/// two profiles), over the texts' workloads and, unless `workloadsOnly`,
/// endpoints generated to cover every label, namespace, address and port
/// either side mentions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct DiffResult {
    /// Endpoints compared (given and generated).
    pub endpoints: usize,
    /// Flows compared.
    pub flows: u64,
    /// Flows whose verdict differs (0: the two sides decide every flow alike).
    pub differing: u64,
    /// The first differing flows (up to `limit`), with the rules deciding them on each side.
    pub differences: Vec<Difference>,
    /// The old text's errors, located in it: policies with errors take no part.
    pub old_diagnostics: Vec<Diagnostic>,
    /// The new text's errors, located in it.
    pub new_diagnostics: Vec<Diagnostic>,
    /// The generated universe was cut down to fit in memory (very big inputs).
    pub truncated: bool,
}

impl DiffResult {
    /// The result of a diff of `old_text` and `new_text`.
    pub fn new(old_text: &str, new_text: &str, diff: netpolkit::compare::Diff) -> Self {
        let netpolkit::compare::Diff { old, new, comparison } = diff;
        let netpolkit::compare::Comparison {
            endpoints,
            flows,
            differences,
            differing,
            lost: _,
            truncated,
        } = comparison;
        let errors = |text: &str, analysis: netpolkit::Analysis| {
            let index = netpolkit::LineIndex::new(text);
            analysis
                .parsed
                .diagnostics
                .iter()
                .filter(|d| d.severity == netpolkit::Severity::Error)
                .map(|d| Diagnostic::from(d.locate(text, &index)))
                .collect::<Vec<_>>()
        };
        DiffResult {
            endpoints,
            flows,
            differing,
            differences: differences.into_iter().map(Difference::from).collect(),
            old_diagnostics: errors(old_text, old),
            new_diagnostics: errors(new_text, new),
            truncated,
        }
    }
}
