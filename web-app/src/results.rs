//! The results pane's summary and its Problems tab: the documents found
//! and the diagnostics, all straight from `netpolkit::report` (precedence
//! findings have a tab of their own, `findings.rs`; the counts above the
//! tabs include them). Items are buttons, so each is reachable by keyboard
//! and moves the editor to where it points.

use std::rc::Rc;

use netpolkit::{DocumentInfo, LocatedDiagnostic, RefusedBy, Severity};
use yew::prelude::*;

use crate::app::Checked;
use crate::editor::severity_class;
use crate::text::code_spans;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub checked: Rc<Checked>,
    /// The diagnostic picked last.
    pub active: Option<usize>,
    /// Called with an index into the report's documents.
    pub on_document: Callback<usize>,
    /// Called with an index into the report's diagnostics.
    pub on_diagnostic: Callback<usize>,
    /// Shows the Findings tab.
    pub on_show_findings: Callback<()>,
}

/// The counts, above the tabs: a component of its own so that typing, which
/// changes no report, skips it.
#[derive(Properties, PartialEq)]
pub struct SummaryProps {
    pub checked: Rc<Checked>,
}

#[function_component(Summary)]
pub fn summary(props: &SummaryProps) -> Html {
    let checked = &props.checked;
    let s = &checked.report.summary;
    let profile = &checked.analysis.profile;
    // The checks always follow a Cilium version; the profile decides flows.
    let under = if profile.is_cilium() {
        profile.describe()
    } else {
        format!("Cilium {}; flows: {}", checked.version(), profile.describe())
    };
    html! {
        <section class="summary" aria-labelledby="summary-heading">
            <h2 id="summary-heading" class="visually-hidden">{ "Summary" }</h2>
            <p id="summary" role="status" aria-live="polite">
                <span class="count">{ plural(s.documents, "document", "documents") }</span>{ " " }
                <span class={classes!("count", "error", (s.errors == 0).then_some("zero"))}>
                    { plural(s.errors, "error", "errors") }
                </span>{ " " }
                <span class={classes!("count", "warning", (s.warnings == 0).then_some("zero"))}>
                    { plural(s.warnings, "warning", "warnings") }
                </span>{ " " }
                <span class={classes!("count", "info", (s.infos == 0).then_some("zero"))}>
                    { plural(s.infos, "note", "notes") }
                </span>{ " " }
                <span class="muted" id="profile-line">{ format!("({under})") }</span>
            </p>
        </section>
    }
}

/// The Problems tab: the documents found and the diagnostics. A component
/// of its own so that typing, which changes neither the report nor the
/// callbacks, skips re-rendering a long list.
#[function_component(Results)]
pub fn results(props: &Props) -> Html {
    let Props {
        checked,
        active,
        on_document,
        on_diagnostic,
        on_show_findings,
    } = props;
    let (report, active) = (&checked.report, *active);
    let version = checked.version().to_string();
    let problems: Vec<usize> = (0..report.diagnostics.len())
        .filter(|&i| !checked.is_finding(i))
        .collect();
    let findings = checked.findings.len();
    html! {
        <div class="results">
            <section aria-labelledby="documents-heading">
                <h2 id="documents-heading">{ "Documents" }</h2>
                if report.documents.is_empty() {
                    <p class="empty">{ "No documents yet: paste or type a manifest." }</p>
                } else {
                    <ul id="documents" class="documents">
                        { for report.documents.iter().enumerate().map(|(i, doc)| {
                            let (mut problems, mut findings) = (0, 0);
                            for (k, d) in report.diagnostics.iter().enumerate() {
                                if d.document == Some(doc.index) {
                                    if checked.is_finding(k) { findings += 1 } else { problems += 1 }
                                }
                            }
                            document(doc, problems, findings, on_document.reform(move |_: MouseEvent| i))
                        }) }
                    </ul>
                }
            </section>

            <section aria-labelledby="problems-heading">
                <h2 id="problems-heading">{ format!("Problems ({})", problems.len()) }</h2>
                if problems.is_empty() {
                    <p class="empty ok">{ format!("No problems found for Cilium {version}.") }</p>
                } else {
                    <ol id="diagnostics" class="diagnostics">
                        { for problems.into_iter().map(|i| {
                            diagnostic(&report.diagnostics[i], active == Some(i), on_diagnostic.reform(move |_: MouseEvent| i))
                        }) }
                    </ol>
                }
                if findings > 0 {
                    <p class="note" id="findings-pointer">
                        { format!("{} about how the policies interact ", plural(findings, "precedence finding", "precedence findings")) }
                        { if findings == 1 { "is" } else { "are" } }{ " listed under " }
                        <button type="button" class="link" onclick={on_show_findings.reform(|_: MouseEvent| ())}>
                            { "Findings" }
                        </button>{ "." }
                    </p>
                }
            </section>
        </div>
    }
}

fn document(doc: &DocumentInfo, problems: usize, findings: usize, onclick: Callback<MouseEvent>) -> Html {
    let kind = doc.kind.as_deref().unwrap_or("(no kind)");
    let name = match (&doc.namespace, &doc.name) {
        (Some(ns), Some(name)) => format!("{ns}/{name}"),
        (None, Some(name)) => name.clone(),
        _ => "(no name)".to_owned(),
    };
    let lines = if doc.line == doc.end_line {
        format!("line {}", doc.line)
    } else {
        format!("lines {}–{}", doc.line, doc.end_line)
    };
    html! {
        <li>
            <button type="button" class={classes!("document", (!doc.policy).then_some("other"))}
                    data-line={doc.line.to_string()} {onclick}>
                <span class="kind">{ kind }</span>{ " " }
                <span class="name">{ name }</span>{ " " }
                <span class="where">{ lines }</span>
                if problems > 0 {
                    { " " }<span class="badge">{ plural(problems, "problem", "problems") }</span>
                }
                if findings > 0 {
                    { " " }<span class="badge finding-badge">{ plural(findings, "finding", "findings") }</span>
                }
            </button>
        </li>
    }
}

/// One diagnostic as a button (the Problems and Convert tabs).
pub fn diagnostic(d: &LocatedDiagnostic, active: bool, onclick: Callback<MouseEvent>) -> Html {
    let (icon, label) = match d.severity {
        Severity::Error => ("✖", "Error"),
        Severity::Warning => ("▲", "Warning"),
        Severity::Info => ("ℹ", "Note"),
    };
    html! {
        <li>
            <button type="button"
                    class={classes!("diag", severity_class(d.severity), active.then_some("active"))}
                    aria-current={active.then_some("true")}
                    data-code={d.code.id()}
                    data-line={d.line.to_string()}
                    data-column={d.column.to_string()}
                    {onclick}>
                <span class="head">
                    <span class="sev"><span aria-hidden="true">{ icon }</span>{ " " }{ label }</span>{ " " }
                    <span class="code">{ d.code.id() }</span>{ " " }
                    <span class="name">{ d.name }</span>{ " " }
                    <span class="where">{ format!("line {}, column {}", d.line, d.column) }</span>
                </span>{ " " }
                <span class="message">{ rich(&d.message) }</span>{ " " }
                if !d.path.is_empty() {
                    <code class="path">{ &d.path }</code>{ " " }
                }
                if let Some(hint) = &d.hint {
                    <span class="hint"><strong>{ "Hint: " }</strong>{ rich(hint) }</span>{ " " }
                }
                if d.refused_by == Some(RefusedBy::CiliumAgent) {
                    <span class="refused">
                        { "kubectl apply succeeds, but the Cilium agent refuses the policy: it is not enforced." }
                    </span>{ " " }
                }
                { for d.related.iter().map(|r| html! {
                    <span class="related">{ format!("line {}, column {}: ", r.line, r.column) }{ rich(&r.message) }</span>
                }) }
            </button>
        </li>
    }
}

/// Text with its backtick-quoted parts as `<code>`.
pub fn rich(text: &str) -> Html {
    html! {
        { for code_spans(text).map(|(code, part)| if code {
            html! { <code>{ part }</code> }
        } else {
            html! { { part } }
        }) }
    }
}

pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
