//! The Convert tab: the document's policies as another kind
//! (`netpolkit::convert::convert`, as `netpolkit convert` writes them), what
//! the conversion lost (listed here and marked in the editor), the output
//! with its own diagnostics, Copy and Download, and the proof's verdict.

use std::rc::Rc;

use netpolkit::convert::{Conversion, ConvertOptions, Proof, Target};
use netpolkit::emit::Format;
use netpolkit::{LineIndex, LocatedDiagnostic};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, BlobPropertyBag, Element, HtmlDocument, HtmlInputElement, HtmlSelectElement, Url};
use yew::prelude::*;

use crate::app::Checked;
use crate::results::{diagnostic, plural};
use crate::{editor, text};

/// Differing flows listed under the proof badge at most.
const MAX_DIFFERENCES: usize = 5;

/// The name the output is downloaded as.
pub const DOWNLOAD_NAME: &str = "converted.yaml";

/// What the controls of the tab set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvertSettings {
    pub to: Target,
    pub strict: bool,
    pub prove: bool,
    /// Where clusterwide policies go for a namespaced target (comma-separated); empty: the core decides.
    pub namespace: String,
}

impl Default for ConvertSettings {
    /// The core's defaults.
    fn default() -> Self {
        let core = ConvertOptions::default();
        ConvertSettings {
            to: core.to,
            strict: core.strict,
            prove: core.prove,
            namespace: core.namespace.unwrap_or_default(),
        }
    }
}

/// One conversion and what it was made of.
#[derive(Debug)]
pub struct Converted {
    /// The analysis of the same text and profile.
    pub checked: Rc<Checked>,
    pub settings: ConvertSettings,
    pub conversion: Conversion,
    /// The conversion's diagnostics, located in the input text.
    pub diagnostics: Vec<LocatedDiagnostic>,
    /// The output's own diagnostics, located in the output text.
    pub output_diagnostics: Vec<LocatedDiagnostic>,
}

/// A conversion is a function of the text, the profile and the settings.
impl PartialEq for Converted {
    fn eq(&self, other: &Self) -> bool {
        self.settings == other.settings && (Rc::ptr_eq(&self.checked, &other.checked) || self.checked == other.checked)
    }
}

impl Converted {
    /// Converts the text `checked` was made from, under its profile.
    pub fn run(checked: &Rc<Checked>, settings: &ConvertSettings) -> Self {
        let namespace = settings.namespace.trim();
        let options = ConvertOptions {
            to: settings.to,
            namespace: (!namespace.is_empty()).then(|| namespace.to_owned()),
            strict: settings.strict,
            profile: checked.settings.profile(),
            format: Format::Yaml,
            prove: settings.prove,
        };
        let conversion = netpolkit::convert::convert(&checked.text, &options);
        let located = |text: &str, list: &[netpolkit::Diagnostic]| {
            let index = LineIndex::new(text);
            list.iter().map(|d| d.locate(text, &index)).collect::<Vec<_>>()
        };
        Converted {
            diagnostics: located(&checked.text, &conversion.diagnostics),
            output_diagnostics: located(&conversion.text, &conversion.checked.parsed.diagnostics),
            checked: checked.clone(),
            settings: settings.clone(),
            conversion,
        }
    }

    /// The index the editor's marks give conversion diagnostic `i`: after
    /// the report's own diagnostics.
    pub fn mark_index(&self, i: usize) -> usize {
        self.checked.report.diagnostics.len() + i
    }

    /// The marks of the conversion's diagnostics in the input.
    pub fn marks(&self) -> Vec<text::Mark> {
        text::marks_from(&self.diagnostics, self.mark_index(0))
    }
}

/// How each target is named in the picker: the kind it writes.
pub fn target_label(target: Target) -> &'static str {
    target.kind().name()
}

/// The proof badge: its state (a class and `data-proof`) and its words.
pub fn proof_badge(proof: Option<&Proof>) -> (&'static str, String) {
    match proof {
        None => ("off", "not proven".to_owned()),
        Some(p) if p.equivalent => (
            "equivalent",
            format!("equivalent: {}", plural_u64(p.flows, "flow", "flows")),
        ),
        Some(p) => (
            "differs",
            format!("differs: {} of {}", p.differing, plural_u64(p.flows, "flow", "flows")),
        ),
    }
}

fn plural_u64(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A Blob URL holding `text`, for the download link.
fn blob_url(text: &str) -> Option<String> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = BlobPropertyBag::new();
    options.set_type("application/yaml");
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    Url::create_object_url_with_blob(&blob).ok()
}

/// What the Copy button last did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Copied {
    Not,
    Done,
    /// The clipboard refused: the text is selected for Ctrl+C instead.
    Selected,
}

/// Selects the output's text in the page, for copying by hand.
fn select_output(output: &NodeRef) -> bool {
    let (Some(element), Some(window)) = (output.cast::<Element>(), web_sys::window()) else {
        return false;
    };
    match window.get_selection() {
        Ok(Some(selection)) => {
            let _ = selection.remove_all_ranges();
            selection.select_all_children(&element).is_ok()
        }
        _ => false,
    }
}

/// Copies `text` with the asynchronous clipboard API; where there is none
/// (an insecure context), selects the output and uses the `copy` command.
fn copy(text: String, output: NodeRef, copied: UseStateHandle<Copied>) {
    let Some(window) = web_sys::window() else { return };
    let navigator = window.navigator();
    let has_clipboard = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard"))
        .map(|c| !c.is_undefined() && !c.is_null())
        .unwrap_or(false);
    if !has_clipboard {
        let done = select_output(&output)
            && window
                .document()
                .and_then(|d| d.dyn_into::<HtmlDocument>().ok())
                .is_some_and(|d| d.exec_command("copy") == Ok(true));
        copied.set(if done { Copied::Done } else { Copied::Selected });
        return;
    }
    let promise = navigator.clipboard().write_text(&text);
    yew::platform::spawn_local(async move {
        if wasm_bindgen_futures::JsFuture::from(promise).await.is_ok() {
            copied.set(Copied::Done);
        } else {
            select_output(&output);
            copied.set(Copied::Selected);
        }
    });
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub converted: Rc<Converted>,
    /// The diagnostic picked last (an index of the editor's marks).
    pub active: Option<usize>,
    pub on_settings: Callback<ConvertSettings>,
    /// Called with an index into the conversion's diagnostics.
    pub on_diagnostic: Callback<usize>,
}

#[function_component(ConvertPanel)]
pub fn convert_panel(props: &Props) -> Html {
    let Props {
        converted,
        active,
        on_settings,
        on_diagnostic,
    } = props;
    let settings = &converted.settings;
    let conversion = &converted.conversion;
    let output = use_node_ref();
    let copied = use_state(|| Copied::Not);
    let url = use_state(|| None::<String>);
    // A fresh Blob URL for every output; the previous one is revoked.
    {
        let (url, copied) = (url.clone(), copied.clone());
        use_effect_with(converted.clone(), move |c| {
            let made = (!c.conversion.text.is_empty())
                .then(|| blob_url(&c.conversion.text))
                .flatten();
            url.set(made.clone());
            copied.set(Copied::Not);
            move || {
                if let Some(u) = made {
                    let _ = Url::revoke_object_url(&u);
                }
            }
        });
    }

    let on_target = {
        let (on_settings, settings) = (on_settings.clone(), settings.clone());
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Some(to) = Target::parse(&select.value()) {
                on_settings.emit(ConvertSettings { to, ..settings.clone() });
            }
        })
    };
    let on_strict = {
        let (on_settings, settings) = (on_settings.clone(), settings.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            on_settings.emit(ConvertSettings {
                strict: input.checked(),
                ..settings.clone()
            });
        })
    };
    let on_prove = {
        let (on_settings, settings) = (on_settings.clone(), settings.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            on_settings.emit(ConvertSettings {
                prove: input.checked(),
                ..settings.clone()
            });
        })
    };
    // On change (Enter or leaving the field), not on every key: each value converts anew.
    let on_namespace = {
        let (on_settings, settings) = (on_settings.clone(), settings.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            on_settings.emit(ConvertSettings {
                namespace: input.value(),
                ..settings.clone()
            });
        })
    };
    let on_copy = {
        let (text, output, copied) = (conversion.text.clone(), output.clone(), copied.clone());
        Callback::from(move |_: MouseEvent| copy(text.clone(), output.clone(), copied.clone()))
    };
    let on_output_diagnostic = {
        let output = output.clone();
        Callback::from(move |index: usize| {
            let mark = output
                .cast::<Element>()
                .and_then(|o| o.query_selector(&format!("[data-starts~=\"{index}\"]")).ok().flatten());
            if let Some(mark) = mark {
                let options = web_sys::ScrollIntoViewOptions::new();
                options.set_block(web_sys::ScrollLogicalPosition::Center);
                mark.scroll_into_view_with_scroll_into_view_options(&options);
            }
        })
    };

    let policies = converted.checked.report.documents.iter().filter(|d| d.policy).count();
    let written = conversion.output().len();
    let output_marks = text::marks(&converted.output_diagnostics);
    let segments = text::segments(&conversion.text, &output_marks, None);
    let (state, words) = proof_badge(conversion.proof.as_ref());
    let ok = !conversion.has_errors();

    html! {
        <div class="convert">
            <div class="convert-controls">
                <span class="field">
                    <label for="convert-target">{ "To" }</label>
                    <select id="convert-target" onchange={on_target} ~value={settings.to.as_str()}>
                        { for Target::ALL.into_iter().map(|t| html! {
                            <option value={t.as_str()} selected={t == settings.to}>{ target_label(t) }</option>
                        }) }
                    </select>
                </span>
                <span class="field check" title="Every loss is an error">
                    <input type="checkbox" id="convert-strict" ~checked={settings.strict} onchange={on_strict} />
                    <label for="convert-strict">{ "Strict" }</label>
                </span>
                <span class="field check" title="Compare the input and the output flow by flow">
                    <input type="checkbox" id="convert-prove" ~checked={settings.prove} onchange={on_prove} />
                    <label for="convert-prove">{ "Prove" }</label>
                </span>
                <span class="field">
                    <label for="convert-namespace">{ "Namespace" }</label>
                    <input type="text" id="convert-namespace" value={settings.namespace.clone()} onchange={on_namespace}
                           placeholder="from the workloads" autocomplete="off" spellcheck="false" autocapitalize="off"
                           title="Where clusterwide policies go when converted to a namespaced kind (comma-separated), when the document's workloads do not say" />
                </span>
            </div>

            <p id="convert-status" class={classes!("convert-status", if ok { "ok" } else { "failed" })} aria-live="polite">
                <span id="convert-proof" class={classes!("proof", state)} data-proof={state}
                      title={conversion.proof.as_ref().map(|p| format!(
                          "{} between {} endpoints (the document's workloads and generated ones)",
                          plural_u64(p.flows, "flow", "flows"), p.endpoints))}>
                    { words }
                </span>{ " " }
                <span class="muted">
                    { format!("{} read, {written} written as {}", plural(policies, "policy", "policies"), target_label(settings.to)) }
                    if !ok {
                        { " — with errors" }
                    }
                </span>
            </p>
            if let Some(proof) = conversion.proof.as_ref().filter(|p| !p.equivalent) {
                { differences(proof) }
            }

            <section aria-labelledby="convert-diagnostics-heading">
                <h3 id="convert-diagnostics-heading">{ format!("Conversion ({})", converted.diagnostics.len()) }</h3>
                if converted.diagnostics.is_empty() {
                    <p class="empty ok" id="convert-clean">{ "Nothing lost." }</p>
                } else {
                    <ol id="convert-diagnostics" class="diagnostics">
                        { for converted.diagnostics.iter().enumerate().map(|(i, d)| {
                            let picked = *active == Some(converted.mark_index(i));
                            diagnostic(d, picked, on_diagnostic.reform(move |_: MouseEvent| i))
                        }) }
                    </ol>
                }
            </section>

            <section class="convert-output" aria-labelledby="convert-output-heading">
                <div class="output-head">
                    <h3 id="convert-output-heading">{ "Output" }</h3>
                    <button type="button" id="convert-copy" class="action" onclick={on_copy}
                            disabled={conversion.text.is_empty()}>{ "Copy" }</button>
                    if let Some(href) = url.as_ref() {
                        <a id="convert-download" class="action" href={href.clone()} download={DOWNLOAD_NAME}>{ "Download" }</a>
                    } else {
                        <a id="convert-download" class="action disabled" aria-disabled="true">{ "Download" }</a>
                    }
                    <span id="convert-copy-status" class="muted" role="status">
                        { match *copied {
                            Copied::Not => "",
                            Copied::Done => "Copied.",
                            Copied::Selected => "The clipboard is not available: the text is selected, press Ctrl+C.",
                        } }
                    </span>
                </div>
                if conversion.text.is_empty() {
                    <p class="empty" id="convert-empty">{ "No policies to convert." }</p>
                }
                <pre id="convert-output" class="output" ref={output} tabindex="0"
                     aria-label="Converted manifests (read-only)" hidden={conversion.text.is_empty()}>
                    { for segments.iter().map(editor::segment) }
                </pre>
                if !converted.output_diagnostics.is_empty() {
                    <ol id="convert-output-diagnostics" class="diagnostics">
                        { for converted.output_diagnostics.iter().enumerate().map(|(i, d)| {
                            diagnostic(d, false, on_output_diagnostic.reform(move |_: MouseEvent| i))
                        }) }
                    </ol>
                }
            </section>
        </div>
    }
}

/// The first flows the output decides differently, each with the rules
/// deciding it on both sides (folded).
fn differences(proof: &Proof) -> Html {
    let verdict = |allowed: bool| if allowed { "allowed" } else { "denied" };
    let shown = &proof.differences[..proof.differences.len().min(MAX_DIFFERENCES)];
    let more = proof.differing.saturating_sub(shown.len() as u64);
    html! {
        <ol id="convert-differences" class="differences">
            { for shown.iter().map(|d| html! {
                <li>
                    <code class="from">{ &d.from }</code>{ " → " }<code class="to">{ &d.to }</code>{ " " }
                    <code class="port">{ &d.port }</code>{ ": " }
                    <span class={classes!("pill", if d.old_allowed { "allow" } else { "deny" })}>{ verdict(d.old_allowed) }</span>
                    { " before, " }
                    <span class={classes!("pill", if d.new_allowed { "allow" } else { "deny" })}>{ verdict(d.new_allowed) }</span>
                    { " after" }
                    if !d.old_reasons.is_empty() || !d.new_reasons.is_empty() {
                        <details class="reasons">
                            <summary>{ "Why" }</summary>
                            <ul>
                                { for d.old_reasons.iter().map(|r| html! { <li>{ "before: " }{ r }</li> }) }
                                { for d.new_reasons.iter().map(|r| html! { <li>{ "after: " }{ r }</li> }) }
                            </ul>
                        </details>
                    }
                </li>
            }) }
            if more > 0 {
                <li class="more">{ format!("… and {more} more") }</li>
            }
        </ol>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Settings;

    const KNP: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  podSelector: {}
  ingress:
  - {}
";

    const CNP_DENY: &str = "apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  endpointSelector: {}
  egress:
  - toEndpoints:
    - {}
  egressDeny:
  - toEndpoints:
    - matchLabels:
        app: db
";

    fn converted(text: &str, settings: ConvertSettings) -> Converted {
        Converted::run(&Checked::run(text.into(), Settings::default()), &settings)
    }

    #[test]
    fn the_defaults_are_the_cores() {
        let s = ConvertSettings::default();
        assert_eq!(s.to, Target::Cnp);
        assert!(s.prove && !s.strict && s.namespace.is_empty());
    }

    #[test]
    fn a_networkpolicy_becomes_a_ciliumnetworkpolicy_with_from_entities_all() {
        let c = converted(KNP, ConvertSettings::default());
        assert!(
            c.conversion.text.contains("kind: CiliumNetworkPolicy"),
            "{}",
            c.conversion.text
        );
        assert!(
            c.conversion.text.contains("- fromEntities:\n    - all"),
            "{}",
            c.conversion.text
        );
        assert!(c.output_diagnostics.is_empty());
        assert_eq!(proof_badge(c.conversion.proof.as_ref()).0, "equivalent");
        let unproven = converted(
            KNP,
            ConvertSettings {
                prove: false,
                ..ConvertSettings::default()
            },
        );
        assert_eq!(
            proof_badge(unproven.conversion.proof.as_ref()),
            ("off", "not proven".to_owned())
        );
    }

    #[test]
    fn losses_are_located_in_the_input_after_the_reports_marks() {
        let c = converted(
            CNP_DENY,
            ConvertSettings {
                to: Target::Knp,
                ..ConvertSettings::default()
            },
        );
        let lost = c
            .diagnostics
            .iter()
            .position(|d| d.code.id() == "NP401")
            .expect("NP401");
        let d = &c.diagnostics[lost];
        assert!(d.path.starts_with("spec.egressDeny"), "{}", d.path);
        assert!((11..=12).contains(&d.line), "line {}", d.line);
        let marks = c.marks();
        assert_eq!(marks[lost].index, c.checked.report.diagnostics.len() + lost);
        assert_eq!((marks[lost].start, marks[lost].end), (d.start, d.end));
        let strict = converted(
            CNP_DENY,
            ConvertSettings {
                to: Target::Knp,
                strict: true,
                ..ConvertSettings::default()
            },
        );
        assert!(strict.conversion.has_errors());
    }

    #[test]
    fn the_badge_counts_flows() {
        let proof = |equivalent, flows, differing| Proof {
            equivalent,
            endpoints: 3,
            flows,
            differing,
            differences: Vec::new(),
            truncated: false,
        };
        assert_eq!(
            proof_badge(Some(&proof(true, 12, 0))),
            ("equivalent", "equivalent: 12 flows".to_owned())
        );
        assert_eq!(
            proof_badge(Some(&proof(false, 12, 1))),
            ("differs", "differs: 1 of 12 flows".to_owned())
        );
        assert_eq!(
            proof_badge(Some(&proof(true, 1, 0))),
            ("equivalent", "equivalent: 1 flow".to_owned())
        );
    }
}
