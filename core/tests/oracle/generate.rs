//! Random small clusters with NetworkPolicies, as proptest strategies (so
//! failures shrink to small YAML), and their rendering as manifest text.
//!
//! Addresses: pods in 10.244.S.(10+i), nodes at 10.224.N.4, host-network
//! pods at their node's address, outside addresses from TEST-NET ranges.
//! Every IP block is picked from a menu built around those addresses (pod,
//! node and outside ranges, single pods, `0.0.0.0/0`), and its excepts are
//! picked among the menu entries strictly inside it, so they always hit.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::net::IpAddr;

use proptest::prelude::*;

use super::reference::{Cidr, Flow, Proto};

/// Objects in `default` sometimes leave `metadata.namespace` out.
pub const NAMESPACES: [&str; 4] = ["alpha", "default", "beta", "gamma"];
/// Pod label keys (all identity-relevant for Cilium, §3.7) and values.
pub const POD_KEYS: [(&str, &[&str]); 4] = [
    ("app", &["web", "api", "db"]),
    ("tier", &["front", "back"]),
    ("role", &["a", "b"]),
    ("team", &["red", "blue"]),
];
/// Namespace label keys a selector may use; the last is set by the control
/// plane on every namespace.
/// Pod selector keys of the upstream property: the plain ones, and keys
/// that are ordinary labels to Kubernetes but identity labels Cilium
/// synthesises (no pod carries them as a label here).
pub const POD_SELECTOR_KEYS_UPSTREAM: [(&str, &[&str]); 6] = [
    POD_KEYS[0],
    POD_KEYS[1],
    POD_KEYS[2],
    POD_KEYS[3],
    ("io.kubernetes.pod.namespace", &["alpha", "default", "beta"]),
    ("io.cilium.k8s.policy.serviceaccount", &["default", "robot"]),
];
pub const NS_KEYS: [(&str, &[&str]); 3] = [
    ("team", &["red", "blue"]),
    ("env", &["prod", "dev"]),
    (
        "kubernetes.io/metadata.name",
        &["alpha", "default", "beta", "gamma", "delta"],
    ),
];
pub const EXTERNALS: [&str; 3] = ["203.0.113.7", "203.0.113.200", "198.51.100.9"];
pub const NUMBERS: [u16; 6] = [80, 443, 53, 8080, 9090, 5432];
pub const RANGES: [(u16, u16); 4] = [(8000, 8100), (80, 443), (53, 53), (9000, 9999)];
pub const PORT_NAMES: [&str; 4] = ["http", "metrics", "dns", "grpc"];
/// Container ports a pod may have: `http` means 8080, 80 or 9090 depending
/// on the pod, and once UDP.
pub const CONTAINER_PORTS: [(Option<&str>, u16, Proto); 9] = [
    (Some("http"), 8080, Proto::Tcp),
    (Some("http"), 80, Proto::Tcp),
    (Some("http"), 9090, Proto::Tcp),
    (Some("metrics"), 9090, Proto::Tcp),
    (Some("metrics"), 9100, Proto::Tcp),
    (Some("dns"), 53, Proto::Udp),
    (Some("dns"), 53, Proto::Tcp),
    (None, 5432, Proto::Tcp),
    (Some("http"), 8080, Proto::Udp),
];
/// A port no policy names: traffic there is allowed only by port-less rules.
pub const CONTROL_PORT: u16 = 7777;

#[derive(Clone, Debug)]
pub struct Scenario {
    /// Pod selectors may use Cilium's synthesised label keys (upstream only).
    pub synthesised_keys: bool,
    pub namespaces: Vec<Vec<(usize, usize)>>,
    pub nodes: usize,
    pub pods: Vec<PodGen>,
    pub externals: Vec<usize>,
    pub policies: Vec<PolicyGen>,
}

#[derive(Clone, Debug)]
pub struct PodGen {
    pub ns: usize,
    pub labels: Vec<(usize, usize)>,
    pub subnet: u8,
    pub node: Option<usize>,
    pub host_network: bool,
    pub has_ip: bool,
    pub ports: Vec<usize>,
}

#[derive(Clone, Debug)]
pub struct PolicyGen {
    pub ns: usize,
    /// None: `podSelector` left out (it then selects every pod, like `{}`).
    pub pod_selector: Option<SelGen>,
    pub types: TypesGen,
    pub ingress: Option<Vec<RuleGen>>,
    pub egress: Option<Vec<RuleGen>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypesGen {
    Omitted,
    Empty,
    Ingress,
    Egress,
    Both,
    EgressIngress,
}

#[derive(Clone, Debug)]
pub enum ListGen<T> {
    Omitted,
    Empty,
    Items(Vec<T>),
}

#[derive(Clone, Debug)]
pub struct RuleGen {
    pub peers: ListGen<PeerGen>,
    pub ports: ListGen<PortGen>,
}

#[derive(Clone, Debug)]
pub enum PeerGen {
    Pod(SelGen),
    Namespace(SelGen),
    Both(SelGen, SelGen),
    /// Menu index of the cidr; `None` leaves `except` out, `Some(vec![])` writes `except: []`.
    IpBlock(usize, Option<Vec<usize>>),
}

#[derive(Clone, Debug)]
pub struct SelGen {
    pub labels: Vec<(usize, usize)>,
    pub expressions: Vec<(usize, u8, Vec<usize>)>,
    /// How an empty selector is written: `{}`, `{matchLabels: {}}`, `{matchExpressions: []}`.
    pub style: u8,
}

#[derive(Clone, Debug)]
pub struct PortGen {
    /// None: no `protocol`; Some(true): UDP; Some(false): TCP.
    pub udp: Option<bool>,
    pub port: PortNumGen,
}

#[derive(Clone, Debug)]
pub enum PortNumGen {
    Omitted,
    Number(usize),
    Range(usize),
    Named(usize),
}

fn list<T: std::fmt::Debug + Clone + 'static>(
    item: impl Strategy<Value = T> + 'static,
    max: usize,
) -> impl Strategy<Value = ListGen<T>> {
    prop_oneof![
        2 => Just(ListGen::Omitted),
        1 => Just(ListGen::Empty),
        5 => prop::collection::vec(item, 1..=max).prop_map(ListGen::Items),
    ]
}

pub fn selector() -> impl Strategy<Value = SelGen> {
    let expression = (0usize..8, 0u8..4, prop::collection::vec(0usize..8, 1..=2));
    prop_oneof![
        1 => (0u8..3).prop_map(|style| SelGen { labels: vec![], expressions: vec![], style }),
        3 => (
            prop::collection::vec((0usize..8, 0usize..8), 0..=2),
            prop::collection::vec(expression, 0..=2),
            0u8..3,
        )
            .prop_map(|(labels, expressions, style)| SelGen { labels, expressions, style }),
    ]
}

fn peer() -> impl Strategy<Value = PeerGen> {
    prop_oneof![
        3 => selector().prop_map(PeerGen::Pod),
        3 => selector().prop_map(PeerGen::Namespace),
        2 => (selector(), selector()).prop_map(|(n, p)| PeerGen::Both(n, p)),
        4 => (any::<usize>(), prop::option::of(prop::collection::vec(any::<usize>(), 0..=2)))
            .prop_map(|(c, e)| PeerGen::IpBlock(c, e)),
    ]
}

fn port() -> impl Strategy<Value = PortGen> {
    (
        prop::option::of(any::<bool>()),
        prop_oneof![
            1 => Just(PortNumGen::Omitted),
            3 => (0..NUMBERS.len()).prop_map(PortNumGen::Number),
            2 => (0..RANGES.len()).prop_map(PortNumGen::Range),
            3 => (0..PORT_NAMES.len()).prop_map(PortNumGen::Named),
        ],
    )
        .prop_map(|(udp, port)| PortGen { udp, port })
}

fn rules() -> impl Strategy<Value = Option<Vec<RuleGen>>> {
    let rule = (list(peer(), 3), list(port(), 3)).prop_map(|(peers, ports)| RuleGen { peers, ports });
    prop_oneof![
        2 => Just(None),
        4 => prop::collection::vec(rule, 0..=3).prop_map(Some),
    ]
}

fn policy() -> impl Strategy<Value = PolicyGen> {
    (
        0usize..4,
        prop_oneof![1 => Just(None), 12 => selector().prop_map(Some)],
        prop_oneof![
            Just(TypesGen::Omitted),
            Just(TypesGen::Empty),
            Just(TypesGen::Ingress),
            Just(TypesGen::Egress),
            Just(TypesGen::Both),
            Just(TypesGen::EgressIngress),
        ],
        rules(),
        rules(),
    )
        .prop_map(|(ns, pod_selector, types, ingress, egress)| PolicyGen {
            ns,
            pod_selector,
            types,
            ingress,
            egress,
        })
}

pub fn pod() -> impl Strategy<Value = PodGen> {
    (
        0usize..4,
        prop::collection::vec((0usize..4, 0usize..3), 0..=3),
        0u8..4,
        prop::option::weighted(0.8, 0usize..2),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.9),
        prop::collection::vec(0..CONTAINER_PORTS.len(), 0..=3),
    )
        .prop_map(|(ns, labels, subnet, node, host_network, has_ip, ports)| PodGen {
            ns,
            labels,
            subnet,
            node,
            host_network,
            has_ip,
            ports,
        })
}

pub fn scenario(synthesised_keys: bool) -> impl Strategy<Value = Scenario> {
    (
        prop::collection::vec(prop::collection::vec((0usize..2, 0usize..2), 0..=2), 2..=4),
        0usize..=2,
        prop::collection::vec(pod(), 3..=10),
        prop::collection::vec(0..EXTERNALS.len(), 1..=2),
        prop::collection::vec(policy(), 1..=6),
    )
        .prop_map(move |(namespaces, nodes, pods, externals, policies)| Scenario {
            synthesised_keys,
            namespaces,
            nodes,
            pods,
            externals,
            policies,
        })
}

/// What the rendering decided, for enumerating flows.
pub struct Rendered {
    pub yaml: String,
    pub externals: Vec<IpAddr>,
    pub flows: Vec<Flow>,
}

pub fn q(s: &str) -> String {
    format!("\"{s}\"")
}

pub fn render_selector(s: &SelGen, keys: &[(&str, &[&str])]) -> String {
    let mut labels = BTreeMap::new();
    for (k, v) in &s.labels {
        let (key, values) = keys[k % keys.len()];
        labels.entry(key).or_insert(values[v % values.len()]);
    }
    let mut parts = Vec::new();
    if !labels.is_empty() {
        let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{}: {}", q(k), q(v))).collect();
        parts.push(format!("matchLabels: {{{}}}", pairs.join(", ")));
    }
    if !s.expressions.is_empty() {
        let items: Vec<String> = s
            .expressions
            .iter()
            .map(|(k, op, vs)| {
                let (key, values) = keys[k % keys.len()];
                let op = ["In", "NotIn", "Exists", "DoesNotExist"][usize::from(*op % 4)];
                if op == "In" || op == "NotIn" {
                    let chosen: BTreeSet<&str> = vs.iter().map(|v| values[v % values.len()]).collect();
                    let list: Vec<String> = chosen.iter().map(|v| q(v)).collect();
                    format!("{{key: {}, operator: {op}, values: [{}]}}", q(key), list.join(", "))
                } else {
                    format!("{{key: {}, operator: {op}}}", q(key))
                }
            })
            .collect();
        parts.push(format!("matchExpressions: [{}]", items.join(", ")));
    }
    if parts.is_empty() {
        return match s.style % 3 {
            0 => "{}".to_owned(),
            1 => "{matchLabels: {}}".to_owned(),
            _ => "{matchExpressions: []}".to_owned(),
        };
    }
    format!("{{{}}}", parts.join(", "))
}

/// Prefixes an ipBlock may use, built around the scenario's addresses.
pub fn cidr_menu(pod_ips: &[String], node_ips: &[String], externals: &[IpAddr]) -> Vec<String> {
    let mut menu: Vec<String> = [
        "0.0.0.0/0",
        "10.0.0.0/8",
        "10.244.0.0/16",
        "10.244.0.0/24",
        "10.244.1.0/24",
        "10.244.2.0/25",
        "10.224.0.0/16",
        "10.224.1.0/24",
        "203.0.113.0/24",
        "203.0.113.0/25",
        "203.0.113.128/25",
        "198.51.100.0/24",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for ip in pod_ips.iter().chain(node_ips) {
        menu.push(format!("{ip}/32"));
    }
    for ip in externals {
        menu.push(format!("{ip}/32"));
    }
    menu.dedup();
    menu
}

impl Scenario {
    fn pod_selector_keys(&self) -> &'static [(&'static str, &'static [&'static str])] {
        if self.synthesised_keys {
            &POD_SELECTOR_KEYS_UPSTREAM
        } else {
            &POD_KEYS
        }
    }

    pub fn render(&self) -> Rendered {
        let mut y = String::new();
        let no_node_labels = vec![Vec::new(); self.nodes];
        let Workloads {
            pod_ips,
            node_ips,
            port_table,
        } = render_workloads(&mut y, &self.namespaces, &no_node_labels, &self.pods);
        let namespaces = &NAMESPACES[..self.namespaces.len()];
        let ns = |i: usize| namespaces[i % namespaces.len()];
        let mut externals: Vec<IpAddr> = self.externals.iter().map(|e| EXTERNALS[*e].parse().unwrap()).collect();
        externals.sort();
        externals.dedup();
        let menu = cidr_menu(&pod_ips, &node_ips, &externals);

        let mut numbers: BTreeSet<u16> = BTreeSet::from([CONTROL_PORT]);
        for (i, p) in self.policies.iter().enumerate() {
            let _ = writeln!(
                y,
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np{i}{}\nspec:",
                namespace_line(ns(p.ns), i)
            );
            if let Some(s) = &p.pod_selector {
                let _ = writeln!(y, "  podSelector: {}", render_selector(s, self.pod_selector_keys()));
            }
            match p.types {
                TypesGen::Omitted => {}
                TypesGen::Empty => y.push_str("  policyTypes: []\n"),
                TypesGen::Ingress => y.push_str("  policyTypes: [Ingress]\n"),
                TypesGen::Egress => y.push_str("  policyTypes: [Egress]\n"),
                TypesGen::Both => y.push_str("  policyTypes: [Ingress, Egress]\n"),
                TypesGen::EgressIngress => y.push_str("  policyTypes: [Egress, Ingress]\n"),
            }
            for (field, peers_field, rules) in [("ingress", "from", &p.ingress), ("egress", "to", &p.egress)] {
                let Some(rules) = rules else { continue };
                if rules.is_empty() {
                    let _ = writeln!(y, "  {field}: []");
                    continue;
                }
                let _ = writeln!(y, "  {field}:");
                for rule in rules {
                    let mut lines = Vec::new();
                    match &rule.peers {
                        ListGen::Omitted => {}
                        ListGen::Empty => lines.push(format!("{peers_field}: []")),
                        ListGen::Items(peers) => {
                            lines.push(format!("{peers_field}:"));
                            for peer in peers {
                                lines.push(render_peer(peer, &menu, self.pod_selector_keys()));
                            }
                        }
                    }
                    match &rule.ports {
                        ListGen::Omitted => {}
                        ListGen::Empty => lines.push("ports: []".to_owned()),
                        ListGen::Items(ports) => {
                            lines.push("ports:".to_owned());
                            for port in ports {
                                lines.push(render_port(port, &mut numbers, &port_table));
                            }
                        }
                    }
                    if lines.is_empty() {
                        y.push_str("  - {}\n");
                        continue;
                    }
                    for (k, line) in lines.iter().enumerate() {
                        let lead = if k == 0 { "  - " } else { "    " };
                        let _ = writeln!(y, "{lead}{line}");
                    }
                }
            }
            y.push_str("---\n");
        }
        let flows = numbers
            .into_iter()
            .filter(|n| *n > 0)
            .flat_map(|port| [Proto::Tcp, Proto::Udp].map(|proto| Flow { proto, port }))
            .collect();
        Rendered {
            yaml: y,
            externals,
            flows,
        }
    }
}

/// Node label keys a node selector may use, and their values.
pub const NODE_KEYS: [(&str, &[&str]); 2] = [("pool", &["a", "b"]), ("zone", &["z1", "z2"])];

/// What rendering the workloads decided.
pub struct Workloads {
    pub pod_ips: Vec<String>,
    pub node_ips: Vec<String>,
    /// Container ports given to some pod: (name, number, protocol).
    pub port_table: Vec<(Option<&'static str>, u16, Proto)>,
}

/// Namespaces (labels from [`NS_KEYS`]), nodes `n0`.. (labels from
/// [`NODE_KEYS`], one list per node) and pods, as manifests appended to `y`.
pub fn render_workloads(
    y: &mut String,
    namespace_labels: &[Vec<(usize, usize)>],
    node_labels: &[Vec<(usize, usize)>],
    pods: &[PodGen],
) -> Workloads {
    let namespaces = &NAMESPACES[..namespace_labels.len()];
    let ns = |i: usize| namespaces[i % namespaces.len()];
    let nodes = node_labels.len();
    for (i, labels) in namespace_labels.iter().enumerate() {
        let mut map = BTreeMap::new();
        for (k, v) in labels {
            let (key, values) = NS_KEYS[k % 2];
            map.entry(key).or_insert(values[v % values.len()]);
        }
        let _ = writeln!(
            y,
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {}",
            namespaces[i]
        );
        if !map.is_empty() {
            let pairs: Vec<String> = map.iter().map(|(k, v)| format!("{}: {}", q(k), q(v))).collect();
            let _ = writeln!(y, "  labels: {{{}}}", pairs.join(", "));
        }
        y.push_str("---\n");
    }
    let node_ips: Vec<String> = (0..nodes).map(|j| format!("10.224.{j}.4")).collect();
    for (j, ip) in node_ips.iter().enumerate() {
        let mut map = BTreeMap::new();
        for (k, v) in &node_labels[j] {
            let (key, values) = NODE_KEYS[k % NODE_KEYS.len()];
            map.entry(key).or_insert(values[v % values.len()]);
        }
        let labels = if map.is_empty() {
            String::new()
        } else {
            let pairs: Vec<String> = map.iter().map(|(k, v)| format!("{}: {}", q(k), q(v))).collect();
            format!(", labels: {{{}}}", pairs.join(", "))
        };
        let _ = writeln!(
                y,
                "apiVersion: v1\nkind: Node\nmetadata: {{name: n{j}{labels}}}\nstatus: {{addresses: [{{type: InternalIP, address: {ip}}}]}}\n---"
            );
    }
    let mut pod_ips = Vec::new();
    let mut port_table: Vec<(Option<&'static str>, u16, Proto)> = Vec::new();
    for (i, p) in pods.iter().enumerate() {
        let node = if nodes == 0 { None } else { p.node.map(|n| n % nodes) };
        let host_network = p.host_network && node.is_some();
        let ip = if host_network {
            node.map(|n| node_ips[n].clone())
        } else if p.has_ip {
            let ip = format!("10.244.{}.{}", p.subnet % 4, 10 + i);
            pod_ips.push(ip.clone());
            Some(ip)
        } else {
            None
        };
        let _ = writeln!(
            y,
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}{}",
            namespace_line(ns(p.ns), i)
        );
        let mut labels = BTreeMap::new();
        for (k, v) in &p.labels {
            let (key, values) = POD_KEYS[k % POD_KEYS.len()];
            labels.entry(key).or_insert(values[v % values.len()]);
        }
        if !labels.is_empty() {
            let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{}: {}", q(k), q(v))).collect();
            let _ = writeln!(y, "  labels: {{{}}}", pairs.join(", "));
        }
        y.push_str("spec:\n");
        if let Some(n) = node {
            let _ = writeln!(y, "  nodeName: n{n}");
        }
        if host_network {
            y.push_str("  hostNetwork: true\n");
        }
        y.push_str("  containers:\n  - name: c\n    image: x\n");
        // Host-network pods get no container ports: what a named port
        // means on them is not documented anywhere.
        let mut names = BTreeSet::new();
        let mut numbers = BTreeSet::new();
        let mut ports = Vec::new();
        for &c in p.ports.iter().filter(|_| !host_network) {
            let (name, number, proto) = CONTAINER_PORTS[c];
            if name.is_some_and(|n| !names.insert(n)) || !numbers.insert((number, proto)) {
                continue;
            }
            ports.push((name, number, proto));
        }
        if !ports.is_empty() {
            y.push_str("    ports:\n");
            for (name, number, proto) in &ports {
                let name = name.map_or(String::new(), |n| format!("name: {n}, "));
                let _ = writeln!(y, "    - {{{name}containerPort: {number}, protocol: {}}}", proto.name());
            }
        }
        port_table.extend(ports);
        if let Some(ip) = ip {
            let _ = writeln!(y, "status: {{podIP: {ip}}}");
        }
        y.push_str("---\n");
    }
    Workloads {
        pod_ips,
        node_ips,
        port_table,
    }
}

/// `\n  namespace: NS`, left out for every other object in `default`.
pub fn namespace_line(ns: &str, i: usize) -> String {
    if ns == "default" && i.is_multiple_of(2) {
        String::new()
    } else {
        format!("\n  namespace: {ns}")
    }
}

fn render_peer(peer: &PeerGen, menu: &[String], pod_keys: &[(&str, &[&str])]) -> String {
    match peer {
        PeerGen::Pod(s) => format!("- podSelector: {}", render_selector(s, pod_keys)),
        PeerGen::Namespace(s) => format!("- namespaceSelector: {}", render_selector(s, &NS_KEYS)),
        PeerGen::Both(n, p) => format!(
            "- namespaceSelector: {}\n      podSelector: {}",
            render_selector(n, &NS_KEYS),
            render_selector(p, pod_keys)
        ),
        PeerGen::IpBlock(c, except) => format!("- ipBlock: {}", cidr_rule(menu, *c, except)),
    }
}

/// `{cidr: X, except: [...]}`: the `c`-th CIDR of `menu`, with the picked
/// CIDRs of the menu strictly inside it as exceptions (none when none is).
pub fn cidr_rule(menu: &[String], c: usize, except: &Option<Vec<usize>>) -> String {
    let cidr = &menu[c % menu.len()];
    let outer = Cidr::parse(cidr).expect("menu cidr");
    let inside: Vec<&String> = menu
        .iter()
        .filter(|m| outer.strictly_contains(&Cidr::parse(m).expect("menu cidr")))
        .collect();
    match except {
        None => format!("{{cidr: {cidr}}}"),
        Some(picks) => {
            let chosen: BTreeSet<&str> = if inside.is_empty() {
                BTreeSet::new()
            } else {
                picks.iter().map(|p| inside[p % inside.len()].as_str()).collect()
            };
            let chosen: Vec<&str> = chosen.into_iter().collect();
            format!("{{cidr: {cidr}, except: [{}]}}", chosen.join(", "))
        }
    }
}

/// The port as YAML; records the numbers worth checking (both ends of a
/// range and their neighbours, what named ports resolve to).
fn render_port(p: &PortGen, numbers: &mut BTreeSet<u16>, table: &[(Option<&str>, u16, Proto)]) -> String {
    let mut parts = Vec::new();
    match p.udp {
        None => {}
        Some(true) => parts.push("protocol: UDP".to_owned()),
        Some(false) => parts.push("protocol: TCP".to_owned()),
    }
    match &p.port {
        PortNumGen::Omitted => {}
        PortNumGen::Number(i) => {
            let n = NUMBERS[*i];
            numbers.insert(n);
            parts.push(format!("port: {n}"));
        }
        PortNumGen::Range(i) => {
            let (a, b) = RANGES[*i];
            numbers.extend([a - 1, a, a + (b - a) / 2, b, b + 1]);
            parts.push(format!("port: {a}"));
            parts.push(format!("endPort: {b}"));
        }
        PortNumGen::Named(i) => {
            let name = PORT_NAMES[*i];
            numbers.extend(
                table
                    .iter()
                    .filter(|(n, _, _)| *n == Some(name))
                    .map(|(_, port, _)| *port),
            );
            parts.push(format!("port: {name}"));
        }
    }
    format!("- {{{}}}", parts.join(", "))
}
