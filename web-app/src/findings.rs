//! The Findings tab: the precedence findings (`NP5xx`, from
//! `Analysis::findings`) grouped by severity, then by the policy they are
//! about, each with its hint and both of its locations: the rule itself and
//! the other policy's rule it conflicts with. Everything shown comes from
//! the report; the grouping is only an order.

use std::rc::Rc;

use netpolkit::{DocumentInfo, LocatedDiagnostic, Severity};
use yew::prelude::*;

use crate::app::Checked;
use crate::editor::severity_class;
use crate::results::{plural, rich};

/// Which location of a finding to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The rule the finding is about (its own range).
    Own,
    /// Related location `n` (the other end of a conflict).
    Related(usize),
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub checked: Rc<Checked>,
    /// The diagnostic picked last (an index of the report's diagnostics).
    pub active: Option<usize>,
    /// Called with an index into the report's diagnostics and the end to show.
    pub on_finding: Callback<(usize, End)>,
}

/// The findings about one policy: its document (`None` for findings
/// without one) and their indices in the report's diagnostics.
type PolicyFindings = (Option<usize>, Vec<usize>);

/// The findings as the tab lists them: per severity, per policy; worst
/// severity first, policies in document order, findings by position.
pub fn groups(checked: &Checked) -> Vec<(Severity, Vec<PolicyFindings>)> {
    let diagnostics = &checked.report.diagnostics;
    let mut out: Vec<(Severity, Vec<PolicyFindings>)> = Vec::new();
    for severity in [Severity::Error, Severity::Warning, Severity::Info] {
        let mut by_policy: Vec<PolicyFindings> = Vec::new();
        for &i in &checked.findings {
            let d = &diagnostics[i];
            if d.severity != severity {
                continue;
            }
            match by_policy.iter_mut().find(|(doc, _)| *doc == d.document) {
                Some((_, list)) => list.push(i),
                None => by_policy.push((d.document, vec![i])),
            }
        }
        // Documents in order; findings without one last.
        by_policy.sort_by_key(|(doc, _)| doc.map_or(usize::MAX, |d| d));
        if !by_policy.is_empty() {
            out.push((severity, by_policy));
        }
    }
    out
}

#[function_component(FindingsPanel)]
pub fn findings_panel(props: &Props) -> Html {
    let Props {
        checked,
        active,
        on_finding,
    } = props;
    let report = &checked.report;
    if checked.findings.is_empty() {
        return html! {
            <div class="findings">
                <p class="empty ok" id="findings-empty">
                    { "No precedence findings: no rule is overridden, redundant or left half-open." }
                </p>
                <p class="legend">
                    { "Findings compare the policies with each other: a deny that overrides an allow, a rule that \
                       never takes effect, a path allowed at one end only. Add workloads (Pods, Deployments) to \
                       let them be checked against real pods." }
                </p>
            </div>
        };
    }
    html! {
        <div class="findings">
            <p class="legend">
                { "How the policies interact: which rule wins, what never takes effect. Pick a finding to mark \
                   both of its rules in the editor." }
            </p>
            { for groups(checked).into_iter().map(|(severity, policies)| {
                let count: usize = policies.iter().map(|(_, list)| list.len()).sum();
                let (one, many) = severity_words(severity);
                let heading = format!("findings-{}", severity_class(severity));
                html! {
                    <section class={classes!("finding-group", severity_class(severity))} aria-labelledby={heading.clone()}>
                        <h2 id={heading}>{ plural(count, one, many) }</h2>
                        { for policies.into_iter().map(|(doc, list)| {
                            let info = doc.and_then(|d| document(report.documents.as_slice(), d));
                            html! {
                                <section class="finding-policy">
                                    <h3 data-document={doc.map(|d| d.to_string())}>{ policy_name(info) }</h3>
                                    <ol class="finding-list">
                                        { for list.into_iter().map(|i| {
                                            finding(checked, i, *active == Some(i), on_finding)
                                        }) }
                                    </ol>
                                </section>
                            }
                        }) }
                    </section>
                }
            }) }
        </div>
    }
}

fn severity_words(severity: Severity) -> (&'static str, &'static str) {
    match severity {
        Severity::Error => ("error", "errors"),
        Severity::Warning => ("warning", "warnings"),
        Severity::Info => ("note", "notes"),
    }
}

fn document(documents: &[DocumentInfo], index: usize) -> Option<&DocumentInfo> {
    documents.iter().find(|d| d.index == index)
}

/// The document a byte offset falls in.
fn document_at(documents: &[DocumentInfo], offset: usize) -> Option<&DocumentInfo> {
    documents
        .iter()
        .find(|d| d.start <= offset && offset < d.end.max(d.start + 1))
}

/// `NetworkPolicy shop/db`.
fn policy_name(doc: Option<&DocumentInfo>) -> String {
    let Some(doc) = doc else {
        return "Other".to_owned();
    };
    let kind = doc.kind.as_deref().unwrap_or("(no kind)");
    match (&doc.namespace, &doc.name) {
        (Some(ns), Some(name)) => format!("{kind} {ns}/{name}"),
        (None, Some(name)) => format!("{kind} {name}"),
        _ => kind.to_owned(),
    }
}

/// Where a location is: `document 9, line 231:7` (documents count from 1).
fn place(doc: Option<&DocumentInfo>, line: usize, column: usize) -> String {
    match doc {
        Some(doc) => format!("document {}, line {line}:{column}", doc.index + 1),
        None => format!("line {line}:{column}"),
    }
}

fn finding(checked: &Checked, i: usize, active: bool, on_finding: &Callback<(usize, End)>) -> Html {
    let report = &checked.report;
    let d: &LocatedDiagnostic = &report.diagnostics[i];
    let (icon, label) = match d.severity {
        Severity::Error => ("✖", "Error"),
        Severity::Warning => ("▲", "Warning"),
        Severity::Info => ("ℹ", "Note"),
    };
    let own_doc = d.document.and_then(|doc| document(&report.documents, doc));
    html! {
        <li class={classes!("finding", severity_class(d.severity), active.then_some("active"))}
            data-code={d.code.id()} data-index={i.to_string()}>
            <button type="button" class="finding-main" aria-current={active.then_some("true")}
                    data-line={d.line.to_string()} data-column={d.column.to_string()}
                    onclick={on_finding.reform(move |_: MouseEvent| (i, End::Own))}>
                <span class="head">
                    <span class="sev"><span aria-hidden="true">{ icon }</span>{ " " }{ label }</span>{ " " }
                    <span class="code">{ d.code.id() }</span>{ " " }
                    <span class="name">{ d.name }</span>
                </span>{ " " }
                <span class="message">{ rich(&d.message) }</span>
            </button>
            <div class="finding-body">
                if let Some(hint) = &d.hint {
                    <p class="hint"><strong>{ "Hint: " }</strong>{ rich(hint) }</p>
                }
                <ul class="ends" aria-label="Locations">
                    <li>
                        <button type="button" class="end own"
                                data-line={d.line.to_string()} data-column={d.column.to_string()}
                                title="Show this rule in the editor"
                                onclick={on_finding.reform(move |_: MouseEvent| (i, End::Own))}>
                            <span class="role">{ "This rule" }</span>{ " " }
                            <span class="what">{ policy_name(own_doc) }{ " " }<code>{ &d.path }</code></span>{ " " }
                            <span class="where">{ place(own_doc, d.line, d.column) }</span>
                        </button>
                    </li>
                    { for d.related.iter().enumerate().map(|(n, r)| {
                        let doc = document_at(&report.documents, r.start);
                        html! {
                            <li>
                                <button type="button" class="end other"
                                        data-line={r.line.to_string()} data-column={r.column.to_string()}
                                        title="Show the other rule in the editor"
                                        onclick={on_finding.reform(move |_: MouseEvent| (i, End::Related(n)))}>
                                    <span class="role">{ "Other rule" }</span>{ " " }
                                    <span class="what">{ rich(&r.message) }</span>{ " " }
                                    <span class="where">{ place(doc, r.line, r.column) }</span>
                                </button>
                            </li>
                        }
                    }) }
                </ul>
            </div>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Settings;
    use crate::examples;

    #[test]
    fn findings_group_by_severity_then_policy() {
        let text = examples::normalized(examples::find("flows").unwrap());
        let checked = Checked::run(text.into(), Settings::default());
        let groups = groups(&checked);
        let severities: Vec<Severity> = groups.iter().map(|(s, _)| *s).collect();
        assert!(severities.windows(2).all(|w| w[0] > w[1]), "{severities:?}");
        let listed: usize = groups.iter().flat_map(|(_, p)| p).map(|(_, l)| l.len()).sum();
        assert_eq!(listed, checked.findings.len());
        // The deny of no-web-to-db overrides allows of two policies: one group each.
        let (_, notes) = groups.iter().find(|(s, _)| *s == Severity::Info).unwrap();
        let names: Vec<String> = notes
            .iter()
            .map(|(doc, _)| policy_name(doc.and_then(|d| document(&checked.report.documents, d))))
            .collect();
        assert_eq!(
            names,
            ["NetworkPolicy shop/db-ingress", "CiliumNetworkPolicy shop/api"],
            "{names:?}"
        );
        let first = &checked.report.diagnostics[notes[0].1[0]];
        assert_eq!(first.code.id(), "NP502");
        let other = document_at(&checked.report.documents, first.related[0].start).unwrap();
        assert_eq!(other.name.as_deref(), Some("no-web-to-db"));
    }
}
