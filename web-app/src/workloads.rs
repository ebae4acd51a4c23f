//! The Summary tab: per workload and direction, what applies
//! (`Analysis::summary`, or `findings::summarize_subjects` for a text
//! without workloads): isolated or not, the policies selecting it, the
//! rules that deny, pass or allow, with their peers and ports. A view of the
//! analysis the editor already ran; nothing here decides anything.

use std::rc::Rc;

use netpolkit::findings::{DirectionSummary, RuleSummary, WorkloadSummary};
use netpolkit::LineIndex;
use yew::prelude::*;

use crate::app::Checked;
use crate::results::plural;

/// At most this many workloads are drawn (a cluster dump can hold
/// thousands); the note says how many there are.
const SHOWN: usize = 100;

/// The summaries of one analysis.
#[derive(Debug, PartialEq)]
pub struct Workloads {
    pub list: Vec<WorkloadSummary>,
    /// The text has no workloads: the list holds one representative pod per
    /// policy subject.
    pub representative: bool,
}

impl Workloads {
    pub fn of(checked: &Checked) -> Self {
        let list = checked.analysis.summary();
        if list.is_empty() {
            Workloads {
                list: netpolkit::findings::summarize_subjects(&checked.analysis),
                representative: true,
            }
        } else {
            Workloads {
                list,
                representative: false,
            }
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub checked: Rc<Checked>,
    pub workloads: Rc<Workloads>,
    /// Called with a position in the report's documents (a selecting policy).
    pub on_document: Callback<usize>,
    /// Called with a rule's byte range in the checked text.
    pub on_rule: Callback<(usize, usize)>,
}

#[function_component(WorkloadsView)]
pub fn workloads_view(props: &Props) -> Html {
    let Props {
        checked,
        workloads,
        on_document,
        on_rule,
    } = props;
    let index = LineIndex::new(&checked.text);
    let line = |offset: usize| index.line_col(&checked.text, offset).line;
    // A policy's document index, as a position in the report's list.
    let position = |doc: usize| checked.report.documents.iter().position(|d| d.index == doc);
    let list = &workloads.list;
    html! {
        <div class="workloads">
            if list.is_empty() {
                <p class="empty" id="workloads-empty">
                    { "Nothing to summarise yet: add policies, and the Pods or Deployments (and Namespaces) they are about." }
                </p>
            } else if workloads.representative {
                <p class="note" id="workloads-note">
                    { "No workloads in the text, so each entry is a representative pod with the labels one policy \
                       selects. Add Pods or Deployments (and Namespaces) to see your own." }
                </p>
            }
            if list.len() > SHOWN {
                <p class="note" id="workloads-more">
                    { format!("Showing the first {SHOWN} of {} workloads.", list.len()) }
                </p>
            }
            { for list.iter().take(SHOWN).map(|w| {
                let heading = format!("workload-{}", slug(&w.workload));
                html! {
                    <section class="workload" data-workload={w.workload.clone()} aria-labelledby={heading.clone()}>
                        <h3 id={heading}>
                            <span class="name">{ &w.workload }</span>{ " " }
                            <span class="kind">{ &w.kind }</span>
                        </h3>
                        <dl class="sides">
                            { side("Ingress", "ingress", "from", &w.ingress, &line, &position, on_document, on_rule) }
                            { side("Egress", "egress", "to", &w.egress, &line, &position, on_document, on_rule) }
                        </dl>
                    </section>
                }
            }) }
        </div>
    }
}

/// `shop/web` → `shop-web`, for element ids.
fn slug(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// The state of one direction in words, and its class.
fn state(s: &DirectionSummary) -> (&'static str, &'static str) {
    if !s.enforced {
        ("not enforced: policies do not apply here", "unenforced")
    } else if s.isolated {
        ("isolated: only what a rule allows gets through", "isolated")
    } else if s.policies.is_empty() {
        ("not isolated: no policy selects it, everything is allowed", "open")
    } else {
        (
            "not isolated: only denies apply, everything else is allowed",
            "selected",
        )
    }
}

#[allow(clippy::too_many_arguments)]
fn side(
    title: &str,
    direction: &'static str,
    preposition: &'static str,
    s: &DirectionSummary,
    line: &dyn Fn(usize) -> usize,
    position: &dyn Fn(usize) -> Option<usize>,
    on_document: &Callback<usize>,
    on_rule: &Callback<(usize, usize)>,
) -> Html {
    let (words, class) = state(s);
    let rules: Vec<(&'static str, &RuleSummary)> = s
        .denies
        .iter()
        .map(|r| ("deny", r))
        .chain(s.passes.iter().map(|r| ("pass", r)))
        .chain(s.allows.iter().map(|r| ("allow", r)))
        .collect();
    html! {
        <div class={classes!("side", class)} data-direction={direction}>
            <dt>{ title }</dt>
            <dd>
                <p class="state"><span class={classes!("pill", class)}>{ words }</span></p>
                if !s.policies.is_empty() {
                    <p class="selected-by">
                        <span class="label">{ "Selected by " }</span>
                        { for s.policies.iter().enumerate().map(|(k, name)| {
                            let at = s.documents.get(k).and_then(|&doc| position(doc));
                            html! {
                                <>
                                    if k > 0 { { ", " } }
                                    if let Some(at) = at {
                                        <button type="button" class="policy-link" data-policy={name.clone()}
                                                title="Show this policy in the editor"
                                                onclick={on_document.reform(move |_: MouseEvent| at)}>
                                            { name }
                                        </button>
                                    } else {
                                        <span class="policy-link" data-policy={name.clone()}>{ name }</span>
                                    }
                                </>
                            }
                        }) }
                    </p>
                }
                if rules.is_empty() {
                    if s.isolated {
                        <p class="no-rules">{ format!("Nothing allowed {preposition} any peer.") }</p>
                    }
                } else {
                    <p class="rules-heading">{ plural(rules.len(), "rule", "rules") }{ ", in the order they apply" }</p>
                    <ul class="rules">
                        { for rules.into_iter().map(|(verdict, r)| rule(verdict, preposition, r, line(r.start), on_rule)) }
                    </ul>
                }
            </dd>
        </div>
    }
}

fn rule(
    verdict: &'static str,
    preposition: &'static str,
    r: &RuleSummary,
    line: usize,
    on_rule: &Callback<(usize, usize)>,
) -> Html {
    let range = (r.start, r.end);
    let path = r.path.strip_prefix("spec.").unwrap_or(&r.path);
    html! {
        <li>
            <button type="button" class={classes!("rule", "summary-rule", verdict)} title="Show this rule in the editor"
                    data-verdict={verdict} data-line={line.to_string()}
                    onclick={on_rule.reform(move |_: MouseEvent| range)}>
                <span class="rule-verdict">{ verdict }</span>{ " " }
                <span class="peers">
                    { preposition }{ " " }
                    { for r.peers.iter().enumerate().map(|(k, p)| html! {
                        <>
                            if k > 0 { { ", " } }
                            <code class="peer">{ p }</code>
                        </>
                    }) }
                </span>{ " " }
                <span class="ports">
                    { "on " }
                    if r.ports.is_empty() {
                        { "every port" }
                    } else {
                        <code>{ r.ports.join(", ") }</code>
                    }
                    if !r.l7.is_empty() {
                        { ", only " }<code>{ r.l7.join(" ") }</code>
                    }
                </span>{ " " }
                <span class="origin">
                    <span class="name">{ &r.policy }</span>{ " " }
                    <code class="path">{ path }</code>{ " " }
                    <span class="where">{ format!("line {line}") }</span>
                </span>
            </button>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Settings;
    use crate::examples;

    fn checked(stem: &str) -> Rc<Checked> {
        Checked::run(
            examples::normalized(examples::find(stem).unwrap()).into(),
            Settings::default(),
        )
    }

    #[test]
    fn the_given_workloads_are_summarised() {
        let w = Workloads::of(&checked("flows"));
        assert!(!w.representative);
        let db = w.list.iter().find(|w| w.workload == "shop/db").unwrap();
        assert!(db.ingress.isolated);
        assert_eq!(db.ingress.policies.len(), db.ingress.documents.len());
        assert_eq!(state(&db.ingress).1, "isolated");
    }

    #[test]
    fn without_workloads_representative_pods_stand_in() {
        let w = Workloads::of(&checked("getting-started"));
        assert!(w.representative);
        assert!(!w.list.is_empty());
        assert!(w.list.iter().all(|w| w.kind == "representative pod"));
    }
}
