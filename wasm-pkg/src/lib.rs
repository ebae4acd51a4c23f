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

/// The version of netpolkit inside this package (the npm package has the same version).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// The options object, or the defaults when it is `undefined` or `null`.
///
/// It goes through a JSON value on its way to `T`: serde-wasm-bindgen reads
/// only the fields a struct declares, so `deny_unknown_fields` would never
/// see a misspelt option, and `{ ciliumversion: "1.19" }` would silently
/// check against the wrong version. The error also reads
/// `invalid options: unknown field ...` instead of naming Rust types.
fn options_from<T>(options: Option<Ts<T>>) -> Result<T, JsError>
where
    T: Tsify + serde::de::DeserializeOwned + Default,
{
    let Some(options) = options else {
        return Ok(T::default());
    };
    let invalid = |e: &dyn std::fmt::Display| error(format!("invalid options: {e}"));
    let value: serde_json::Value = serde_wasm_bindgen::from_value(options.js_value()).map_err(|e| invalid(&e))?;
    serde_json::from_value(value).map_err(|e| invalid(&e))
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
