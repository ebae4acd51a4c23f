//! The npm package's API, run in headless Chromium through
//! `wasm-bindgen-test-runner` (`cargo test -p wasm-pkg --target wasm32-unknown-unknown`).
//!
//! The core's rules are tested on the host; these tests check what only the
//! boundary can break: options crossing from JS, results crossing back as JS
//! objects (each result is read back from its JS form with `to_rust`, so the
//! serialisation is part of every assertion), and errors thrown as JS `Error`s.
#![cfg(target_arch = "wasm32")]

use tsify::{Ts, Tsify};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use wasm_pkg::{
    format, validate, version, Diagnostic, FormatOptions, FormatResult, OutputFormat, RefusedBy, Severity,
    ValidateOptions, ValidateResult,
};

wasm_bindgen_test_configure!(run_in_browser);

const TYPO: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db
spec:
  podSelecter: {}
";

/// Document 2 (index 1) is not well-formed YAML; document 3 has a typo.
const STREAM: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: first
spec:
  podSelector: {}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: [broken
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: third
spec:
  podSelector: {}
  policyTypez: [Ingress]
";

/// GRE in a port rule exists from Cilium 1.20 on.
const GRE: &str = "apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: tunnels
spec:
  endpointSelector: {}
  egress:
  - toEntities: [world]
    toPorts:
    - ports:
      - port: \"0\"
        protocol: GRE
";

fn run_validate(text: &str, options: Option<ValidateOptions>) -> ValidateResult {
    let options = options.map(|o| o.into_ts().expect("options serialise"));
    let result = validate(text, options).unwrap_or_else(|e| panic!("validate threw: {}", message(e.into())));
    result.to_rust().expect("the result reads back from JS")
}

fn with_version(version: &str) -> Option<ValidateOptions> {
    Some(ValidateOptions {
        cilium_version: Some(version.to_owned()),
    })
}

/// The message of a thrown JS `Error`.
fn message(thrown: JsValue) -> String {
    thrown
        .dyn_into::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|v| panic!("expected a JS Error, got {v:?}"))
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<&str> {
    diagnostics.iter().map(|d| d.code.as_str()).collect()
}

#[wasm_bindgen_test]
fn a_typo_is_reported_with_its_position_path_and_hint() {
    let result = run_validate(TYPO, None);
    assert_eq!(codes(&result.diagnostics), ["NP101"]);
    let d = &result.diagnostics[0];
    assert_eq!(d.name, "unknown-field");
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.refused_by, Some(RefusedBy::ApiServer));
    assert_eq!(d.path, "spec.podSelecter");
    assert_eq!(d.hint.as_deref(), Some("did you mean `podSelector`?"));
    assert_eq!((d.line, d.column), (6, 3));
    assert_eq!((d.end_line, d.end_column), (6, 14));
    assert_eq!(d.start, TYPO.find("podSelecter").unwrap());
    assert_eq!(&TYPO[d.start..d.end], "podSelecter");
    assert_eq!(d.document, Some(0));

    assert_eq!(result.documents.len(), 1);
    let doc = &result.documents[0];
    assert_eq!(doc.kind.as_deref(), Some("NetworkPolicy"));
    assert_eq!(doc.name.as_deref(), Some("db"));
    assert!(doc.modelled && doc.policy);
    assert_eq!(result.summary.documents, 1);
    assert_eq!(result.summary.errors, 1);
}

#[wasm_bindgen_test]
fn a_syntax_error_in_one_document_does_not_hide_the_others() {
    let result = run_validate(STREAM, None);
    assert_eq!(
        result.documents.len(),
        3,
        "every document is listed: {:?}",
        result.documents
    );
    assert_eq!(result.documents[0].name.as_deref(), Some("first"));
    assert_eq!(result.documents[2].name.as_deref(), Some("third"));

    let syntax = result
        .diagnostics
        .iter()
        .find(|d| d.code == "NP001")
        .unwrap_or_else(|| panic!("no yaml-syntax diagnostic in {:?}", result.diagnostics));
    assert_eq!(syntax.document, Some(1));
    assert!((7..=11).contains(&syntax.line), "syntax error on line {}", syntax.line);

    let typo = result
        .diagnostics
        .iter()
        .find(|d| d.code == "NP101")
        .unwrap_or_else(|| panic!("document 3's typo is missing from {:?}", result.diagnostics));
    assert_eq!(typo.document, Some(2));
    assert_eq!(typo.path, "spec.policyTypez");
    assert_eq!((typo.line, typo.column), (19, 3));
    assert_eq!(typo.hint.as_deref(), Some("did you mean `policyTypes`?"));
}

#[wasm_bindgen_test]
fn the_cilium_version_option_changes_the_verdict() {
    let newest = run_validate(GRE, None);
    assert!(
        !codes(&newest.diagnostics).contains(&"NP313"),
        "GRE is allowed by the newest Cilium: {:?}",
        newest.diagnostics
    );
    let old = run_validate(GRE, with_version("1.19"));
    let gate = old
        .diagnostics
        .iter()
        .find(|d| d.code == "NP313")
        .unwrap_or_else(|| panic!("no version-gate under 1.19: {:?}", old.diagnostics));
    assert_eq!(gate.name, "version-gate");
    assert_eq!(gate.path, "spec.egress[0].toPorts[0].ports[0].protocol");
    assert_eq!(gate.line, 12);
    assert!(gate.message.contains("1.19"), "{}", gate.message);
    // `v1.19.5` names the same release line.
    assert_eq!(run_validate(GRE, with_version("v1.19.5")), old);
}

#[wasm_bindgen_test]
fn bad_options_throw_errors_with_readable_messages() {
    let bad_version = ValidateOptions {
        cilium_version: Some("1.2x".to_owned()),
    };
    let thrown = validate(TYPO, Some(bad_version.into_ts().unwrap())).expect_err("a bad version throws");
    let expected = "1.2x".parse::<netpolkit::CiliumVersion>().unwrap_err().to_string();
    assert_eq!(message(thrown.into()), expected);

    let too_old = ValidateOptions {
        cilium_version: Some("1.9".to_owned()),
    };
    let thrown = validate(TYPO, Some(too_old.into_ts().unwrap())).expect_err("an unknown version throws");
    assert!(message(thrown.into()).contains("outside the versions netpolkit knows"));

    // A misspelt option name is refused rather than silently ignored.
    let object = js_sys::Object::new();
    js_sys::Reflect::set(&object, &"ciliumversion".into(), &"1.19".into()).unwrap();
    let thrown = validate(TYPO, Some(Ts::new_unchecked(object.into()))).expect_err("an unknown option throws");
    let text = message(thrown.into());
    assert!(text.starts_with("invalid options: "), "{text}");
    assert!(text.contains("ciliumversion"), "{text}");

    let object = js_sys::Object::new();
    js_sys::Reflect::set(&object, &"output".into(), &"toml".into()).unwrap();
    let thrown = format(TYPO, Some(Ts::new_unchecked(object.into()))).expect_err("an unknown format throws");
    assert!(message(thrown.into()).contains("toml"));
}

#[wasm_bindgen_test]
fn format_normalises_key_order_and_quotes_yaml_1_1_booleans() {
    let text = "spec:
  podSelector:
    matchLabels:
      feature: 'on'
metadata:
  name: web
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
";
    let result: FormatResult = format(text, None).unwrap().to_rust().unwrap();
    assert_eq!(
        result.output,
        "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
spec:
  podSelector:
    matchLabels:
      feature: \"on\"
"
    );
    assert!(result.diagnostics.is_empty(), "{:?}", result.diagnostics);

    let json = FormatOptions {
        output: Some(OutputFormat::Json),
    };
    let result: FormatResult = format(text, Some(json.into_ts().unwrap())).unwrap().to_rust().unwrap();
    let value: serde_json::Value = serde_json::from_str(&result.output).expect("JSON output parses");
    assert_eq!(value["spec"]["podSelector"]["matchLabels"]["feature"], "on");
}

#[wasm_bindgen_test]
fn format_keeps_a_broken_document_and_reports_why() {
    let result: FormatResult = format(STREAM, None).unwrap().to_rust().unwrap();
    assert!(result.output.contains("name: [broken"), "{}", result.output);
    assert!(result.output.contains("name: third"), "{}", result.output);
    assert!(result.diagnostics.iter().all(|d| d.severity == Severity::Error));
    assert!(codes(&result.diagnostics).contains(&"NP001"));
    // A typo is a parse error too, so document 3 is written back from its YAML tree.
    assert!(result.output.contains("policyTypez"), "{}", result.output);
}

#[wasm_bindgen_test]
fn version_is_the_crate_version() {
    assert_eq!(version(), env!("CARGO_PKG_VERSION"));
}

#[wasm_bindgen_test]
fn explain_and_connectivity_work_in_the_browser() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: ns, labels: {app: a}}\nspec: {containers: [{name: a, image: x}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: ns, labels: {app: b}}\nspec: {containers: [{name: b, image: x}]}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: b, namespace: ns}\nspec:\n  podSelector: {matchLabels: {app: b}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: a}}}]\n    ports: [{port: 80}]\n";
    let query = wasm_pkg::analysis::FlowQuery {
        from: "ns/a".into(),
        to: "ns/b".into(),
        port: "80".into(),
    };
    let result = wasm_pkg::explain(text, query.into_ts().expect("query"), None)
        .map_err(JsValue::from)
        .expect("explain")
        .to_rust()
        .expect("result");
    assert_eq!(result.verdict, wasm_pkg::analysis::Verdict::Allow);
    assert_eq!(result.ingress.rules[0].path, "spec.ingress[0].from[0]");
    let matrix = wasm_pkg::connectivity(text, None)
        .map_err(JsValue::from)
        .expect("connectivity")
        .to_rust()
        .expect("matrix");
    assert_eq!(matrix.endpoints, vec!["ns/a".to_owned(), "ns/b".to_owned()]);
    assert!(matrix.is_allowed(0, 1, 0));
    assert!(!matrix.is_allowed(1, 1, 0), "b does not allow itself");
    assert_eq!(matrix.allowed.len(), 2 * 2 * matrix.ports.len());
}

/// A JS options object for `convert`.
fn convert_options(pairs: &[(&str, JsValue)]) -> Ts<wasm_pkg::conversion::ConvertOptions> {
    let object = js_sys::Object::new();
    for (key, value) in pairs {
        js_sys::Reflect::set(&object, &(*key).into(), value).unwrap();
    }
    Ts::new_unchecked(object.into())
}

#[wasm_bindgen_test]
fn convert_returns_the_text_the_diagnostics_and_a_null_proof_when_not_asked() {
    let text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: shop}\nspec:\n  podSelector: {}\n  ingress:\n  - {}\n";
    let result = wasm_pkg::convert(text, convert_options(&[("to", "cnp".into()), ("prove", false.into())]))
        .map_err(JsValue::from)
        .expect("convert");
    let proof = js_sys::Reflect::get(&result.js_value(), &"proof".into()).unwrap();
    assert!(proof.is_null(), "proof is null, not undefined: {proof:?}");
    let result = result.to_rust().expect("the result reads back from JS");
    assert!(result.ok && !result.lossy, "{result:?}");
    assert!(result.text.contains("- fromEntities:\n    - all\n"), "{}", result.text);
    assert!(result.output_diagnostics.is_empty());
    assert_eq!(result.proof, None);

    let proven = wasm_pkg::convert(text, convert_options(&[("to", "cnp".into())]))
        .map_err(JsValue::from)
        .expect("convert")
        .to_rust()
        .expect("result");
    assert!(proven.proof.is_some_and(|p| p.equivalent), "the proof runs by default");

    let thrown = wasm_pkg::convert(text, convert_options(&[("to", "calico".into())])).expect_err("an unknown target");
    let text = message(thrown.into());
    assert!(text.starts_with("invalid options: unknown variant `calico`"), "{text}");
}
