//! The connectivity matrix as text, JSON, CSV or Graphviz DOT.

use std::fmt::Write;

use super::explain::{parse_port, PortSpec};
use super::{Connectivity, Flow};

/// Output formats of [`render_matrix`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatrixFormat {
    /// One table per port: rows are sources, columns destinations.
    Text,
    /// `{endpoints, ports, classes, allowed: {PORT: [row per source]}}`,
    /// where character `to` of a row is `1` (allowed) or `0` (denied): a
    /// thousand pods make a few megabytes, not a nested array of millions.
    Json,
    /// `from,to,protocol,port,verdict`, one line per pair and port.
    Csv,
    /// A directed graph: an edge for every allowed pair, labelled with its ports.
    Dot,
}

/// A port given for the matrix: a number with an optional protocol.
pub fn parse_flow_port(text: &str) -> Result<Flow, String> {
    match parse_port(text)? {
        PortSpec::Number(port, protocol) => Ok(Flow { protocol, port }),
        PortSpec::Named(name, _) => Err(format!("`{name}`: give port numbers here (named ports differ per pod)")),
    }
}

pub fn render_matrix(m: &Connectivity, format: MatrixFormat) -> String {
    let n = m.endpoints.len();
    let mut out = String::new();
    match format {
        MatrixFormat::Text => {
            let width = m.endpoints.iter().map(|e| e.chars().count()).max().unwrap_or(0).max(4);
            for (p, port) in m.ports.iter().enumerate() {
                let _ = writeln!(out, "{port}  (rows: from, columns: to; Y allowed, . denied)");
                let _ = write!(out, "{:width$}", "", width = width + 4);
                for j in 0..n {
                    let _ = write!(out, " {:>3}", j + 1);
                }
                out.push('\n');
                for i in 0..n {
                    let _ = write!(
                        out,
                        "{:width$}",
                        format!("{}. {}", i + 1, m.endpoints[i]),
                        width = width + 4
                    );
                    for j in 0..n {
                        let _ = write!(out, " {:>3}", if m.is_allowed(i, j, p) { "Y" } else { "." });
                    }
                    out.push('\n');
                }
                out.push('\n');
            }
            let _ = writeln!(out, "{n} endpoints in {} classes, {} ports", m.classes, m.ports.len());
        }
        MatrixFormat::Csv => {
            out.push_str("from,to,protocol,port,verdict\n");
            for i in 0..n {
                for j in 0..n {
                    for (p, flow) in m.flows.iter().enumerate() {
                        let _ = writeln!(
                            out,
                            "{},{},{},{},{}",
                            csv(&m.endpoints[i]),
                            csv(&m.endpoints[j]),
                            flow.protocol.as_str(),
                            flow.port,
                            if m.is_allowed(i, j, p) { "allow" } else { "deny" }
                        );
                    }
                }
            }
        }
        MatrixFormat::Json => {
            let allowed: serde_json::Map<String, serde_json::Value> = m
                .ports
                .iter()
                .enumerate()
                .map(|(p, port)| {
                    let rows = (0..n)
                        .map(|i| {
                            (0..n)
                                .map(|j| if m.is_allowed(i, j, p) { '1' } else { '0' })
                                .collect::<String>()
                        })
                        .collect::<Vec<_>>();
                    (port.clone(), serde_json::json!(rows))
                })
                .collect();
            let value = serde_json::json!({
                "endpoints": m.endpoints,
                "ports": m.ports,
                "classes": m.classes,
                "allowed": allowed,
            });
            out = serde_json::to_string_pretty(&value).unwrap_or_default();
            out.push('\n');
        }
        MatrixFormat::Dot => {
            out.push_str("digraph connectivity {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n");
            for (i, e) in m.endpoints.iter().enumerate() {
                let _ = writeln!(out, "  n{i} [label={}];", dot(e));
            }
            for i in 0..n {
                for j in 0..n {
                    let ports: Vec<&str> = (0..m.flows.len())
                        .filter(|&p| m.is_allowed(i, j, p))
                        .map(|p| m.ports[p].as_str())
                        .collect();
                    if !ports.is_empty() && i != j {
                        let _ = writeln!(out, "  n{i} -> n{j} [label={}];", dot(&ports.join(", ")));
                    }
                }
            }
            out.push_str("}\n");
        }
    }
    out
}

fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn dot(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}
