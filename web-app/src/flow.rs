//! The Flow tab: a source, a destination and a port; the verdict, and for
//! egress and ingress the sentence and the rules that decide it, each a
//! button that selects the rule in the editor. The answer is
//! `Analysis::explain` + `Explanation::report`, as `netpolkit explain` prints.

use std::rc::Rc;

use netpolkit::cluster::{Cluster, Endpoint, EndpointKind};
use netpolkit::engine::{parse_port, DirectionReport, ExplainReport, Flow, FlowQuery, PortSpec, RuleRef};
use netpolkit::ir::Proto;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::app::Checked;
use crate::results::rich;

/// The port a new flow starts with.
pub const DEFAULT_PORT: &str = "80";

/// At most this many endpoints are offered in the inputs' suggestions.
const MAX_SUGGESTIONS: usize = 500;

/// The three inputs of the panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    From,
    To,
    Port,
}

pub fn empty_query() -> FlowQuery {
    FlowQuery {
        from: String::new(),
        to: String::new(),
        port: DEFAULT_PORT.to_owned(),
    }
}

/// Where a rule is in the text that was analysed, for the editor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleAt {
    pub start_utf16: u32,
    pub end_utf16: u32,
    pub line: usize,
    pub column: usize,
}

impl RuleAt {
    fn of(rule: &RuleRef) -> Self {
        let utf16 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        RuleAt {
            start_utf16: utf16(rule.start_utf16),
            end_utf16: utf16(rule.end_utf16),
            line: rule.line,
            column: rule.column,
        }
    }
}

/// The first flow a comment of the text states the way the examples and
/// netpolkit's scenarios do: `# allow shop/web -> shop/api 9000 ...`.
pub fn declared_flow(text: &str) -> Option<FlowQuery> {
    text.lines()
        .filter_map(|line| line.trim_start().strip_prefix('#'))
        .find_map(|comment| {
            let mut words = comment.split_whitespace();
            if !matches!(words.next()?, "allow" | "deny") {
                return None;
            }
            let from = words.next()?;
            if words.next()? != "->" {
                return None;
            }
            let (to, port) = (words.next()?, words.next()?);
            Some(FlowQuery {
                from: from.to_owned(),
                to: to.to_owned(),
                port: port.to_owned(),
            })
        })
}

/// The flow to show for a text just loaded: the one its comments state,
/// else the first two pods on the first container port of the second.
pub fn default_flow(text: &str, cluster: &Cluster) -> Option<FlowQuery> {
    declared_flow(text).or_else(|| {
        let mut pods = cluster.endpoints.iter().filter(|e| e.is_pod());
        let (from, to) = (pods.next()?, pods.next()?);
        let port = to
            .ports
            .first()
            .map_or_else(|| DEFAULT_PORT.to_owned(), |p| port_text(p.port, p.protocol));
        Some(FlowQuery {
            from: from.name.clone(),
            to: to.name.clone(),
            port,
        })
    })
}

/// A port as the Port input takes it: `8080`, `53/UDP`, `8/ICMP`.
pub fn port_text(port: u16, protocol: Proto) -> String {
    if protocol == Proto::Tcp {
        port.to_string()
    } else {
        format!("{port}/{}", protocol.as_str())
    }
}

/// A flow of the connectivity matrix as the Port input takes it.
pub fn flow_port(flow: &Flow) -> String {
    format!("{}/{}", flow.port, flow.protocol.as_str())
}

/// The flow a query is about, as the matrix names its ports (`TCP/9000`),
/// if the port can be known (a named port needs a destination that has it).
pub fn query_flow(cluster: &Cluster, query: &FlowQuery) -> Option<Flow> {
    match parse_port(query.port.trim()).ok()? {
        PortSpec::Number(port, protocol) => Some(Flow { protocol, port }),
        named => named.resolve(&cluster.resolve(&query.to).ok()?).ok(),
    }
}

/// What the panel shows for a query.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Something is missing: a prompt, not an error.
    Incomplete(&'static str),
    /// The query names something that is not there, or is not a port.
    Error(String),
    Explained(Box<ExplainReport>),
}

pub fn explain(checked: &Checked, query: &FlowQuery) -> Outcome {
    let analysis = &checked.analysis;
    let trimmed = FlowQuery {
        from: query.from.trim().to_owned(),
        to: query.to.trim().to_owned(),
        port: query.port.trim().to_owned(),
    };
    if trimmed.from.is_empty() || trimmed.to.is_empty() {
        return Outcome::Incomplete(if analysis.cluster.endpoints.is_empty() {
            "The document has no workloads yet. Add Pods, Deployments or Nodes to explain flows between them, \
             or name IP addresses and DNS names."
        } else {
            "Pick a source and a destination."
        });
    }
    if trimmed.port.is_empty() {
        return Outcome::Incomplete("Give a port: 80, 53/UDP, a named port such as http, or 8/ICMP.");
    }
    match analysis.explain(&trimmed) {
        Ok(explanation) => Outcome::Explained(Box::new(explanation.report(&analysis.lowered, &checked.text))),
        Err(message) => Outcome::Error(message),
    }
}

/// What an endpoint is, for the suggestions.
fn endpoint_kind(e: &Endpoint) -> &'static str {
    match &e.kind {
        EndpointKind::Pod if e.host_network => "Pod (host network)",
        EndpointKind::Pod => "Pod",
        EndpointKind::Template(kind) => kind.name(),
        EndpointKind::Node => "Node",
        EndpointKind::External => "outside the cluster",
    }
}

/// The ports to suggest for a destination: its container ports, by name
/// and by number.
fn port_suggestions(cluster: &Cluster, to: &str) -> Vec<(String, String)> {
    let Ok(destination) = cluster.resolve(to) else {
        return Vec::new();
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for p in &destination.ports {
        let number = port_text(p.port, p.protocol);
        if let Some(name) = &p.name {
            out.push((name.clone(), format!("{} {}", p.protocol.as_str(), p.port)));
        }
        if !out.iter().any(|(v, _)| *v == number) {
            out.push((number, p.name.clone().unwrap_or_default()));
        }
    }
    out
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub checked: Rc<Checked>,
    /// What the inputs hold.
    pub input: FlowQuery,
    /// What is explained (the inputs, once the typing pauses).
    pub query: Rc<FlowQuery>,
    pub on_input: Callback<(Field, String)>,
    pub on_swap: Callback<()>,
    pub on_rule: Callback<RuleAt>,
}

#[function_component(FlowPanel)]
pub fn flow_panel(props: &Props) -> Html {
    let Props {
        checked,
        input,
        query,
        on_input,
        on_swap,
        on_rule,
    } = props;
    let outcome = use_memo((checked.clone(), query.clone()), |(c, q)| explain(c, q));
    let endpoints = use_memo(checked.clone(), |c| {
        c.analysis
            .cluster
            .endpoints
            .iter()
            .take(MAX_SUGGESTIONS)
            .map(|e| (e.name.clone(), endpoint_kind(e)))
            .collect::<Vec<_>>()
    });
    let ports = use_memo((checked.clone(), input.to.clone()), |(c, to)| {
        port_suggestions(&c.analysis.cluster, to)
    });

    let field =
        |id: &'static str, label: &'static str, f: Field, value: &str, list: &'static str, hint: &'static str| {
            let oninput = on_input.reform(move |e: InputEvent| {
                let input: HtmlInputElement = e.target_unchecked_into();
                (f, input.value())
            });
            html! {
                <div class={classes!("flow-field", id)}>
                    <label for={id}>{ label }</label>
                    <input id={id} type="text" {list} value={value.to_owned()} {oninput} placeholder={hint}
                           autocomplete="off" spellcheck="false" autocapitalize="off" aria-describedby="flow-help" />
                </div>
            }
        };
    let swap = on_swap.reform(|_: MouseEvent| ());
    let skipped = &checked.analysis.lowered.skipped;

    html! {
        <div class="flow">
            <form class="flow-form" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                { field("flow-from", "From", Field::From, &input.from, "flow-endpoints", "namespace/name") }
                <button type="button" id="flow-swap" class="swap" onclick={swap}
                        title="Swap source and destination" aria-label="Swap source and destination">
                    <span aria-hidden="true">{ "⇄" }</span>
                </button>
                { field("flow-to", "To", Field::To, &input.to, "flow-endpoints", "namespace/name") }
                { field("flow-port", "Port", Field::Port, &input.port, "flow-ports", "80") }
            </form>
            <p id="flow-help" class="flow-help">
                { "Pods as " }<code>{ "namespace/name" }</code>{ " (a Deployment's name stands for its pods), nodes as " }
                <code>{ "node/name" }</code>{ ", or an IP address or DNS name. Ports: " }
                <code>{ "80" }</code>{ ", " }<code>{ "53/UDP" }</code>{ ", a named port, " }<code>{ "8/ICMP" }</code>{ "." }
            </p>
            <datalist id="flow-endpoints">
                { for endpoints.iter().map(|(name, kind)| html! { <option value={name.clone()}>{ *kind }</option> }) }
            </datalist>
            <datalist id="flow-ports">
                { for ports.iter().map(|(value, label)| html! { <option value={value.clone()}>{ label.clone() }</option> }) }
            </datalist>
            <div id="flow-outcome" aria-live="polite">
                { outcome_view(&outcome, on_rule) }
            </div>
            if !skipped.is_empty() {
                <section class="skipped" aria-labelledby="skipped-heading">
                    <h3 id="skipped-heading">{ format!("Not taking part ({})", skipped.len()) }</h3>
                    <ul id="skipped">
                        { for skipped.iter().map(|s| html! {
                            <li>{ s.policy.display_name() }{ ": " }{ rich(&s.reason) }</li>
                        }) }
                    </ul>
                </section>
            }
        </div>
    }
}

fn outcome_view(outcome: &Outcome, on_rule: &Callback<RuleAt>) -> Html {
    let report = match outcome {
        Outcome::Incomplete(prompt) => return html! { <p id="flow-prompt" class="empty">{ *prompt }</p> },
        Outcome::Error(message) => {
            return html! {
                <p id="flow-error" class="flow-error"><strong>{ "Cannot explain this flow: " }</strong>{ rich(message) }</p>
            }
        }
        Outcome::Explained(report) => report,
    };
    let allowed = report.verdict == "allow";
    let port = if report.protocol.starts_with("ICMP") {
        format!("{} type {}", report.protocol, report.port)
    } else {
        format!("{}/{}", report.protocol, report.port)
    };
    html! {
        <>
            <p id="flow-verdict" class={classes!("verdict", report.verdict)} data-verdict={report.verdict}>
                <span class="word">
                    <span aria-hidden="true">{ if allowed { "✔ " } else { "✖ " } }</span>
                    { if allowed { "ALLOW" } else { "DENY" } }
                </span>{ " " }
                <span class="what">
                    <code class="from">{ &report.from }</code>{ " → " }<code class="to">{ &report.to }</code>{ " " }
                    <code class="port">{ port }</code>
                </span>
            </p>
            <p id="flow-profile" class="flow-profile">{ "Profile: " }{ &report.profile }</p>
            { direction("Egress", "flow-egress", &report.egress, on_rule) }
            { direction("Ingress", "flow-ingress", &report.ingress, on_rule) }
        </>
    }
}

fn direction(title: &'static str, id: &'static str, d: &DirectionReport, on_rule: &Callback<RuleAt>) -> Html {
    let allowed = d.verdict == "allow";
    // Decided: these rules allowed or denied the flow. Otherwise they are
    // the rules of the policies that select the endpoint.
    let decided = d.reason == netpolkit::engine::ReasonKind::Decided;
    let heading = format!("{id}-heading");
    html! {
        <section id={id} class={classes!("direction", d.verdict)} data-verdict={d.verdict} aria-labelledby={heading.clone()}>
            <h3 id={heading}>
                <span class="dir">{ title }</span>{ " at " }<code>{ &d.at }</code>{ " " }
                <span class={classes!("pill", d.verdict)}>{ if allowed { "allowed" } else { "denied" } }</span>
                if !d.enforced {
                    { " " }<span class="pill none">{ "no policy" }</span>
                }
            </h3>
            <p class="dir-summary">{ &d.summary }</p>
            if !d.rules.is_empty() {
                <p class="rules-heading">{ if decided { "Decided by" } else { "Rules of the policies selecting it" } }</p>
                <ol class="rules">
                    { for d.rules.iter().map(|r| rule(r, decided, on_rule.reform({
                        let at = RuleAt::of(r);
                        move |_: MouseEvent| at
                    }))) }
                </ol>
            }
            if !d.l7.is_empty() {
                <p class="rules-heading">{ "Then only these L7 requests pass" }</p>
                <ul class="l7">{ for d.l7.iter().map(|l| html! { <li><code>{ l }</code></li> }) }</ul>
            }
        </section>
    }
}

/// A rule as a button. Its own verdict is shown only when it decided: a
/// policy that merely selects the endpoint may have allow rules that do
/// not match this flow (or, for a NetworkPolicy without rules, none).
fn rule(r: &RuleRef, decided: bool, onclick: Callback<MouseEvent>) -> Html {
    let name = match &r.namespace {
        Some(ns) => format!("{ns}/{}", r.name),
        None => r.name.clone(),
    };
    let path = r.path.strip_prefix("spec.").unwrap_or(&r.path);
    html! {
        <li>
            <button type="button" class={classes!("rule", r.verdict)} title="Show this rule in the editor"
                    data-line={r.line.to_string()} data-column={r.column.to_string()}
                    data-kind={r.kind} data-name={name.clone()} {onclick}>
                if decided || r.verdict != "allow" {
                    <span class="rule-verdict">{ r.verdict }</span>{ " " }
                }
                <span class="kind">{ r.kind }</span>{ " " }
                <span class="name">{ name }</span>{ " " }
                <code class="path">{ path }</code>{ " " }
                <span class="where">{ format!("line {}", r.line) }</span>
            </button>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::examples;
    use netpolkit::AnalyzeOptions;

    fn analysed(stem: &str) -> (String, netpolkit::Analysis) {
        let text = examples::normalized(examples::find(stem).unwrap());
        let analysis = netpolkit::analyze(&text, &AnalyzeOptions::default());
        (text, analysis)
    }

    #[test]
    fn a_comment_states_the_flow_to_show() {
        let text = "# S01\n# flows:\n#   deny shop/web -> shop/db 5432/TCP ingress\nkind: Pod\n";
        let q = declared_flow(text).unwrap();
        assert_eq!(
            (q.from.as_str(), q.to.as_str(), q.port.as_str()),
            ("shop/web", "shop/db", "5432/TCP")
        );
        assert_eq!(declared_flow("# allow everything\n# deny a b c\n"), None);
    }

    #[test]
    fn the_flows_example_opens_on_an_allowed_flow_and_every_stated_flow_holds() {
        let (text, analysis) = analysed("flows");
        assert!(!analysis.parsed.has_errors());
        let q = default_flow(&text, &analysis.cluster).unwrap();
        assert_eq!(
            (q.from.as_str(), q.to.as_str(), q.port.as_str()),
            ("shop/web", "shop/api", "9000")
        );
        // Every `# allow|deny FROM -> TO PORT` line of the example, under the
        // profile of the paragraph it is in.
        let mut upstream = false;
        let mut stated = 0;
        for line in text.lines().take_while(|l| l.starts_with('#')) {
            upstream |= line.contains("upstream profile");
            let Some(q) = declared_flow(line) else { continue };
            let profile = if upstream {
                netpolkit::profile::ProfileKind::Upstream
            } else {
                netpolkit::profile::ProfileKind::Cilium
            };
            let analysis = netpolkit::analyze(
                &text,
                &AnalyzeOptions {
                    profile: netpolkit::profile::ProfileSettings {
                        kind: Some(profile),
                        ..Default::default()
                    },
                    ..Default::default()
                },
            );
            let allowed = analysis.explain(&q).unwrap_or_else(|e| panic!("{line}: {e}")).allowed;
            assert_eq!(
                allowed,
                line.trim_start_matches('#').trim_start().starts_with("allow"),
                "{line}"
            );
            stated += 1;
        }
        assert!(stated >= 8, "{stated}");
    }

    #[test]
    fn without_a_stated_flow_the_first_two_pods_are_shown() {
        let (text, analysis) = analysed("online-boutique");
        if let Some(q) = default_flow(&text, &analysis.cluster) {
            assert!(analysis.explain(&q).is_ok(), "{q:?}");
        }
        let (text, analysis) = analysed("getting-started");
        assert_eq!(default_flow(&text, &analysis.cluster), None, "no workloads in it");
    }

    #[test]
    fn ports_read_back_as_the_matrix_names_them() {
        let (_, analysis) = analysed("flows");
        let q = |to: &str, port: &str| FlowQuery {
            from: "shop/api".into(),
            to: to.into(),
            port: port.into(),
        };
        let flow = query_flow(&analysis.cluster, &q("shop/db", "postgres")).unwrap();
        assert_eq!(flow.to_string(), "TCP/5432");
        assert_eq!(flow_port(&flow), "5432/TCP");
        assert_eq!(
            query_flow(&analysis.cluster, &q("shop/db", "53/udp"))
                .unwrap()
                .to_string(),
            "UDP/53"
        );
        assert_eq!(query_flow(&analysis.cluster, &q("shop/nope", "http")), None);
        assert_eq!(port_text(53, Proto::Udp), "53/UDP");
        assert_eq!(port_text(80, Proto::Tcp), "80");
        let suggested = port_suggestions(&analysis.cluster, "shop/db");
        assert!(suggested.iter().any(|(v, _)| v == "postgres"));
        assert!(suggested.iter().any(|(v, _)| v == "9187"));
    }
}
