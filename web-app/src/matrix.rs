//! The Connectivity tab: who can reach whom among the document's endpoints,
//! one port at a time (`Analysis::connectivity`, as `netpolkit
//! connectivity` prints it). A cell is a button: it explains its flow in the
//! Flow tab. Arrow keys move between cells (one tab stop for the table).

use std::rc::Rc;

use netpolkit::engine::{Connectivity, ConnectivityOptions, FlowQuery};
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlSelectElement};
use yew::prelude::*;

use crate::app::Checked;
use crate::flow;

/// Rows and columns drawn at most: a table of 60 × 60 buttons still
/// renders quickly; bigger documents are explained in the Flow tab.
pub const MAX_ENDPOINTS: usize = 60;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub checked: Rc<Checked>,
    /// The flow of the Flow tab: its port is shown first.
    pub query: Rc<FlowQuery>,
    pub on_cell: Callback<FlowQuery>,
}

/// "shop/web → shop/db TCP/5432: allowed".
pub fn cell_label(from: &str, to: &str, port: &str, allowed: bool) -> String {
    format!("{from} → {to} {port}: {}", if allowed { "allowed" } else { "denied" })
}

/// The (row, column) of the cell button an event happened in.
fn cell_of(target: Option<web_sys::EventTarget>) -> Option<(Element, usize, usize)> {
    let element = target?.dyn_into::<Element>().ok()?;
    let cell = element.closest("button[data-i]").ok()??;
    let i = cell.get_attribute("data-i")?.parse().ok()?;
    let j = cell.get_attribute("data-j")?.parse().ok()?;
    Some((cell, i, j))
}

#[function_component(ConnectivityView)]
pub fn connectivity_view(props: &Props) -> Html {
    let Props {
        checked,
        query,
        on_cell,
    } = props;
    let matrix: Rc<Connectivity> = use_memo(checked.clone(), |c| {
        c.analysis.connectivity(&ConnectivityOptions::default())
    });
    // The port picked here; else the Flow tab's, if the matrix has it.
    let picked = use_state(|| None::<String>);
    let preferred = use_memo((checked.clone(), query.clone()), |(c, q)| {
        flow::query_flow(&c.analysis.cluster, q).map(|f| f.to_string())
    });
    let port = picked
        .as_ref()
        .and_then(|p| matrix.ports.iter().position(|x| x == p))
        .or_else(|| {
            preferred
                .as_ref()
                .as_ref()
                .and_then(|p| matrix.ports.iter().position(|x| x == p))
        })
        .unwrap_or(0);

    let total = matrix.endpoints.len();
    let n = total.min(MAX_ENDPOINTS);
    if total == 0 {
        return html! {
            <div class="connectivity">
                <p class="empty" id="matrix-empty">
                    { "No workloads in the document yet: add Pods, Deployments or Nodes to see who can reach whom." }
                </p>
            </div>
        };
    }

    let on_port = {
        let picked = picked.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            picked.set(Some(select.value()));
        })
    };
    let onclick = {
        let (matrix, on_cell) = (matrix.clone(), on_cell.clone());
        Callback::from(move |e: MouseEvent| {
            let Some((_, i, j)) = cell_of(e.target()) else {
                return;
            };
            let (Some(from), Some(to), Some(flow)) =
                (matrix.endpoints.get(i), matrix.endpoints.get(j), matrix.flows.get(port))
            else {
                return;
            };
            on_cell.emit(FlowQuery {
                from: from.clone(),
                to: to.clone(),
                port: flow::flow_port(flow),
            });
        })
    };
    // Roving focus: the cell moved to gets the table's one tab stop.
    let onkeydown = Callback::from(move |e: KeyboardEvent| {
        let Some((cell, i, j)) = cell_of(e.target()) else {
            return;
        };
        let last = n - 1;
        let (i2, j2) = match e.key().as_str() {
            "ArrowRight" => (i, (j + 1).min(last)),
            "ArrowLeft" => (i, j.saturating_sub(1)),
            "ArrowDown" => ((i + 1).min(last), j),
            "ArrowUp" => (i.saturating_sub(1), j),
            "Home" => (i, 0),
            "End" => (i, last),
            _ => return,
        };
        e.prevent_default();
        let next = cell.closest("table").ok().flatten().and_then(|t| {
            t.query_selector(&format!("button[data-i=\"{i2}\"][data-j=\"{j2}\"]"))
                .ok()
                .flatten()
        });
        if let Some(next) = next.and_then(|c| c.dyn_into::<HtmlElement>().ok()) {
            let _ = cell.set_attribute("tabindex", "-1");
            let _ = next.set_attribute("tabindex", "0");
            let _ = next.focus();
        }
    });

    let port_name = matrix.ports.get(port).cloned().unwrap_or_default();
    let names = &matrix.endpoints[..n];
    html! {
        <div class="connectivity">
            <div class="matrix-controls">
                <span class="field">
                    <label for="matrix-port">{ "Port" }</label>
                    <select id="matrix-port" onchange={on_port} ~value={port_name.clone()}>
                        { for matrix.ports.iter().enumerate().map(|(k, p)| html! {
                            <option value={p.clone()} selected={k == port}>{ p.clone() }</option>
                        }) }
                    </select>
                </span>
                <span class="muted" id="matrix-stats">
                    { format!("{total} endpoints in {} classes, {} ports", matrix.classes, matrix.ports.len()) }
                </span>
            </div>
            if total > n {
                <p class="note" id="matrix-note">
                    { format!("Showing the first {n} of {total} endpoints; the Flow tab explains flows between any of them.") }
                </p>
            }
            <p class="legend" id="matrix-legend">
                { "Rows are sources, columns destinations: " }<strong>{ "Y" }</strong>{ " allowed, " }<strong>{ "." }</strong>
                { " denied. Select a cell to explain its flow." }
            </p>
            <div class="matrix-scroll">
                <table id="matrix" class="matrix" aria-describedby="matrix-legend" {onclick} {onkeydown}>
                    <caption class="visually-hidden">{ format!("Connectivity on {port_name}") }</caption>
                    <thead>
                        <tr>
                            <th scope="col" class="corner"><span aria-hidden="true">{ "from \\ to" }</span></th>
                            { for names.iter().enumerate().map(|(j, name)| html! {
                                <th scope="col" class="col" title={name.clone()}>
                                    <span aria-hidden="true">{ j + 1 }</span>
                                    <span class="visually-hidden">{ name.clone() }</span>
                                </th>
                            }) }
                        </tr>
                    </thead>
                    <tbody>
                        { for names.iter().enumerate().map(|(i, from)| html! {
                            <tr>
                                <th scope="row" class="row" title={from.clone()}>
                                    <span class="index" aria-hidden="true">{ format!("{}.", i + 1) }</span>{ " " }{ from.clone() }
                                </th>
                                { for names.iter().enumerate().map(|(j, to)| {
                                    let allowed = matrix.is_allowed(i, j, port);
                                    let label = cell_label(from, to, &port_name, allowed);
                                    html! {
                                        <td>
                                            <button type="button" class={classes!("cell", if allowed { "y" } else { "n" })}
                                                    data-i={i.to_string()} data-j={j.to_string()}
                                                    tabindex={if i == 0 && j == 0 { "0" } else { "-1" }}
                                                    title={label.clone()} aria-label={label}>
                                                { if allowed { "Y" } else { "." } }
                                            </button>
                                        </td>
                                    }
                                }) }
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::examples;

    #[test]
    fn the_flows_example_matrix_has_the_flows_its_comments_state() {
        let text = examples::normalized(examples::find("flows").unwrap());
        let analysis = netpolkit::analyze(&text, &netpolkit::AnalyzeOptions::default());
        let m = analysis.connectivity(&ConnectivityOptions::default());
        let at = |name: &str| m.endpoints.iter().position(|e| e == name).unwrap();
        let port = |name: &str| m.ports.iter().position(|p| p == name).unwrap();
        assert!(m.endpoints.len() <= MAX_ENDPOINTS);
        assert!(m.is_allowed(at("shop/web"), at("shop/api"), port("TCP/9000")));
        assert!(!m.is_allowed(at("shop/web"), at("shop/db"), port("TCP/5432")));
        assert!(m.is_allowed(at("shop/api"), at("shop/db"), port("TCP/5432")));
        assert_eq!(
            cell_label("shop/web", "shop/db", "TCP/5432", false),
            "shop/web → shop/db TCP/5432: denied"
        );
    }
}
