//! netpolkit for JavaScript: the WebAssembly core of the `netpolkit` npm package.
//!
//! This crate only translates. Options arrive as JS objects and become
//! [`netpolkit::Options`]; the core checks or formats the text; its plain
//! results are copied into the tsify mirror types of [`types`] and leave as
//! JS objects. Every decision (what is wrong, where, how to fix it, how a
//! manifest is laid out) belongs to the core, so the CLI, the editor and the
//! npm package can never disagree.
//!
//! Failures the caller can fix (a malformed option) become a thrown JS
//! `Error` in one place, `error()`. Problems in the input text are never
//! thrown: they are diagnostics in the result.

#[cfg(feature = "analysis")]
pub mod analysis;
#[cfg(feature = "analysis")]
pub mod conversion;
#[cfg(feature = "analysis")]
pub mod findings;
#[cfg(feature = "analysis")]
pub mod migration;
pub mod options;
pub mod types;

use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;

pub use types::{
    Diagnostic, DocumentInfo, FormatOptions, FormatResult, OutputFormat, RefusedBy, Related, Severity, Summary,
    ValidateOptions, ValidateResult,
};

/// Checks every document of `text` (YAML documents, JSON objects, `List`
/// items) and returns every object found with every diagnostic. Problems in
/// the text are reported, never thrown; only invalid `options` throw.
#[wasm_bindgen]
pub fn validate(text: &str, options: Option<Ts<ValidateOptions>>) -> Result<Ts<ValidateResult>, JsError> {
    panic_hook();
    let options: ValidateOptions = options_from(options)?;
    let mut core_options = netpolkit::Options::default();
    if let Some(version) = &options.cilium_version {
        core_options.cilium_version = version.parse().map_err(error)?;
    }
    let parsed = netpolkit::check(text, &core_options);
    let result = ValidateResult::from(netpolkit::report(text, &parsed));
    Ok(result.into_ts()?)
}

/// Reads every document of `text` without applying the validation rules:
/// the objects found and the problems of reading them (syntax, unknown
/// fields, wrong types). Cheaper than `validate` when only the outline of a
/// text is needed.
#[wasm_bindgen]
pub fn parse(text: &str) -> Result<Ts<ValidateResult>, JsError> {
    panic_hook();
    let mut parsed = netpolkit::parse(text);
    netpolkit::sort_diagnostics(&mut parsed.diagnostics);
    Ok(ValidateResult::from(netpolkit::report(text, &parsed)).into_ts()?)
}

/// Normalises `text` the way `netpolkit fmt` does: kubectl's layout, keys in
/// the API's order, strings a YAML 1.1 reader would misread quoted. The
/// result also lists the errors found while reading, which explain why a
/// document was kept as written.
#[wasm_bindgen]
pub fn format(text: &str, options: Option<Ts<FormatOptions>>) -> Result<Ts<FormatResult>, JsError> {
    panic_hook();
    let options: FormatOptions = options_from(options)?;
    let mut parsed = netpolkit::parse(text);
    netpolkit::sort_diagnostics(&mut parsed.diagnostics);
    let documents = netpolkit::emit::formatted(text, &parsed);
    let output = netpolkit::emit::render(&documents, options.output.unwrap_or_default().into());
    let index = netpolkit::LineIndex::new(text);
    let diagnostics = parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == netpolkit::Severity::Error)
        .map(|d| Diagnostic::from(d.locate(text, &index)))
        .collect();
    Ok(FormatResult { output, diagnostics }.into_ts()?)
}

/// Explains whether one flow is allowed, and which rules decide it, under
/// the profile of `options` (default: the text's `ClusterProfile`, else
/// Cilium). Throws for a malformed option or a flow that names an endpoint
/// the text does not have.
#[cfg(feature = "analysis")]
#[wasm_bindgen]
pub fn explain(
    text: &str,
    query: Ts<analysis::FlowQuery>,
    options: Option<Ts<analysis::AnalyzeOptions>>,
) -> Result<Ts<analysis::ExplainResult>, JsError> {
    panic_hook();
    let query: analysis::FlowQuery = options_from(Some(query))?;
    let options: analysis::AnalyzeOptions = options_from(options)?;
    let analysis = netpolkit::analyze(
        text,
        &netpolkit::AnalyzeOptions {
            profile: options.settings().map_err(error)?,
            ..Default::default()
        },
    );
    let query = netpolkit::engine::FlowQuery {
        from: query.from,
        to: query.to,
        port: query.port,
    };
    let explanation = analysis.explain(&query).map_err(error)?;
    Ok(analysis::ExplainResult::from(explanation.report(&analysis.lowered, text)).into_ts()?)
}

/// How the policies of `text` combine (cilium-semantics §3): shadowed,
/// redundant or never-matching rules, default-deny surprises, tiers, and,
/// given workloads, half-open paths and blocked DNS; plus, per workload and
/// direction, what applies. Throws only for malformed options.
#[cfg(feature = "analysis")]
#[wasm_bindgen]
pub fn analyze(
    text: &str,
    options: Option<Ts<analysis::AnalyzeOptions>>,
) -> Result<Ts<findings::AnalyzeResult>, JsError> {
    panic_hook();
    let options: analysis::AnalyzeOptions = options_from(options)?;
    let analysis = netpolkit::analyze(
        text,
        &netpolkit::AnalyzeOptions {
            profile: options.settings().map_err(error)?,
            ..Default::default()
        },
    );
    let index = netpolkit::LineIndex::new(text);
    let result = findings::AnalyzeResult {
        findings: analysis
            .findings()
            .iter()
            .map(|d| Diagnostic::from(d.locate(text, &index)))
            .collect(),
        summary: analysis.summary().into_iter().map(Into::into).collect(),
    };
    Ok(result.into_ts()?)
}

/// Which endpoints of the text (pods, controllers' pods, nodes, and the
/// given external addresses) can reach which, on every port the policies
/// mention (and the given ones).
#[cfg(feature = "analysis")]
#[wasm_bindgen]
pub fn connectivity(
    text: &str,
    options: Option<Ts<analysis::ConnectivityOptions>>,
) -> Result<Ts<analysis::ConnectivityResult>, JsError> {
    panic_hook();
    let options: analysis::ConnectivityOptions = options_from(options)?;
    let analysis = netpolkit::analyze(
        text,
        &netpolkit::AnalyzeOptions {
            profile: options.settings().map_err(error)?,
            ..Default::default()
        },
    );
    let mut core = netpolkit::engine::ConnectivityOptions {
        without_nodes: options.without_nodes.unwrap_or(false),
        ..Default::default()
    };
    for port in options.ports.iter().flatten() {
        core.ports
            .push(netpolkit::engine::parse_flow_port(port).map_err(error)?);
    }
    for name in options.externals.iter().flatten() {
        let endpoint = analysis.cluster.resolve(name).map_err(error)?;
        if endpoint.kind != netpolkit::cluster::EndpointKind::External {
            return Err(error(format!(
                "{name} is {} in the cluster, not an external address",
                endpoint.name
            )));
        }
        core.externals.push(endpoint);
    }
    let m = analysis.connectivity(&core);
    let allowed = m.allowed.iter().map(|&a| u8::from(a)).collect();
    Ok(analysis::ConnectivityResult {
        endpoints: m.endpoints,
        ports: m.ports,
        classes: m.classes,
        allowed,
    }
    .into_ts()?)
}

/// Converts every policy of `text` to the kind `options.to` names, reports
/// every construct the target cannot express at its place in `text`, and
/// (unless `prove: false`) compares input and output flow by flow. Problems
/// in the text are diagnostics; only invalid `options` throw.
#[cfg(feature = "analysis")]
#[wasm_bindgen]
pub fn convert(text: &str, options: Ts<conversion::ConvertOptions>) -> Result<Ts<conversion::ConvertResult>, JsError> {
    panic_hook();
    let options: conversion::ConvertOptions = parse_options(options)?;
    let conversion = netpolkit::convert::convert(text, &options.core().map_err(error)?);
    Ok(conversion::ConvertResult::new(text, conversion).into_ts()?)
}

/// The flows whose verdict differs between `oldText` and `newText` (the
/// same text twice with `oldProfile` and `newProfile`: one set under two
/// profiles), with the rules deciding each on both sides. Policies with
/// errors take no part; only invalid `options` throw.
#[cfg(feature = "analysis")]
#[wasm_bindgen]
pub fn diff(
    #[wasm_bindgen(js_name = "oldText")] old_text: &str,
    #[wasm_bindgen(js_name = "newText")] new_text: &str,
    options: Option<Ts<conversion::DiffOptions>>,
) -> Result<Ts<conversion::DiffResult>, JsError> {
    panic_hook();
    let options: conversion::DiffOptions = options_from(options)?;
    let diff = netpolkit::compare::diff(old_text, new_text, &options.core().map_err(error)?);
    Ok(conversion::DiffResult::new(old_text, new_text, diff).into_ts()?)
}

/// Edits that make Azure CNI powered by Cilium allow what the policies of
/// `text` allow today (ipBlock peers on pod or node addresses, Azure NPM's
/// implicit allows, endPort before Cilium 1.17), proven flow by flow; flows
/// that cannot be restored are `NP621` diagnostics. Only invalid `options` throw.
#[cfg(feature = "analysis")]
#[wasm_bindgen]
pub fn rewrite(
    text: &str,
    options: Option<Ts<migration::MigrateOptions>>,
) -> Result<Ts<migration::RewriteResult>, JsError> {
    panic_hook();
    let options: migration::MigrateOptions = options_from(options)?;
    let rewrite = netpolkit::migrate::rewrite(text, &options.core().map_err(error)?);
    Ok(migration::RewriteResult::new(text, &rewrite).into_ts()?)
}

/// Whether moving `text` onto Azure CNI powered by Cilium is safe: every
/// breaking change located, the proposed rewrite, and the flows that change
/// before and after it. Only invalid `options` throw.
#[cfg(feature = "analysis")]
#[wasm_bindgen]
pub fn migrate(
    text: &str,
    options: Option<Ts<migration::MigrateOptions>>,
) -> Result<Ts<migration::MigrateResult>, JsError> {
    panic_hook();
    let options: migration::MigrateOptions = options_from(options)?;
    let migration = netpolkit::migrate::migrate(text, &options.core().map_err(error)?);
    Ok(migration::MigrateResult::new(text, &migration, options.report).into_ts()?)
}

/// The version of netpolkit inside this package (the npm package has the same version).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// The options object, or the defaults when it is `undefined` or `null`;
/// read by [`options::read`], which refuses unknown fields.
fn options_from<T>(options: Option<Ts<T>>) -> Result<T, JsError>
where
    T: Tsify + options::Fields + serde::de::DeserializeOwned + Default,
{
    match options {
        Some(options) => parse_options(options),
        None => Ok(T::default()),
    }
}

/// A required options object, read as [`options_from`] reads optional ones.
fn parse_options<T>(options: Ts<T>) -> Result<T, JsError>
where
    T: Tsify + options::Fields + serde::de::DeserializeOwned,
{
    options::read(options.js_value().clone()).map_err(|e| error(format!("invalid options: {e}")))
}

/// Makes a panic in the core print its message and location to the console
/// instead of a bare `unreachable` trap. Called by every entry point that
/// runs the core rather than once from a `#[wasm_bindgen(start)]` function,
/// because wasm-bindgen would export that function to JS as `start()` and
/// the package's API would grow a function users must not need. `set_once`
/// makes the repeated calls free.
fn panic_hook() {
    console_error_panic_hook::set_once();
}

/// The one place where a Rust error becomes a thrown JS `Error`. The
/// message is passed through as is, so a bad `ciliumVersion` reads exactly
/// like the CLI's `--cilium-version` error.
fn error(message: impl std::fmt::Display) -> JsError {
    JsError::new(&message.to_string())
}
