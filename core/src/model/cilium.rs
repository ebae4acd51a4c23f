//! `cilium.io/v2` CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy
//! (cilium-semantics §2). Both kinds share every type: a clusterwide policy is
//! the same rule without a namespace.

use super::{IntOrString, LabelMap, LabelSelector, List, ObjectMeta, Protocol, Spanned, Str};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct CiliumPolicy {
    pub metadata: Spanned<ObjectMeta>,
    pub spec: Option<Spanned<Rule>>,
    pub specs: Option<List<Rule>>,
}

impl CiliumPolicy {
    /// `spec` followed by the items of `specs`, with the path of each.
    pub fn rules(&self) -> impl Iterator<Item = (String, &Spanned<Rule>)> {
        self.spec.iter().map(|r| ("spec".to_owned(), r)).chain(
            self.specs
                .iter()
                .flat_map(|l| l.iter().enumerate().map(|(i, r)| (format!("specs[{i}]"), r))),
        )
    }
}

/// Traffic direction, as seen from the selected endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// One `Rule` (`spec`, or an item of `specs`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rule {
    pub description: Option<Str>,
    pub endpoint_selector: Option<Spanned<LabelSelector>>,
    pub node_selector: Option<Spanned<LabelSelector>>,
    pub enable_default_deny: Option<Spanned<DefaultDenyConfig>>,
    pub ingress: Option<List<PeerRule>>,
    pub ingress_deny: Option<List<PeerRule>>,
    pub egress: Option<List<PeerRule>>,
    pub egress_deny: Option<List<PeerRule>>,
    pub labels: Option<List<RuleLabel>>,
    pub log: Option<Spanned<LogConfig>>,
}

impl Rule {
    /// The four rule lists with their direction, deny flag and field name.
    pub fn sections(&self) -> [(Direction, bool, &'static str, Option<&List<PeerRule>>); 4] {
        [
            (Direction::Ingress, false, "ingress", self.ingress.as_ref()),
            (Direction::Ingress, true, "ingressDeny", self.ingress_deny.as_ref()),
            (Direction::Egress, false, "egress", self.egress.as_ref()),
            (Direction::Egress, true, "egressDeny", self.egress_deny.as_ref()),
        ]
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct DefaultDenyConfig {
    pub ingress: Option<Spanned<bool>>,
    pub egress: Option<Spanned<bool>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleLabel {
    pub key: Option<Str>,
    pub value: Option<Str>,
    pub source: Option<Str>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogConfig {
    pub value: Option<Str>,
}

/// The kinds of L3 peer a rule can name; a rule may use only one of them
/// (§2.12). The field is `from<Name>` on ingress and `to<Name>` on egress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeerKind {
    Endpoints,
    Requires,
    Cidr,
    CidrSet,
    Entities,
    Groups,
    Nodes,
    Services,
    Fqdns,
}

impl PeerKind {
    /// The YAML field name in `direction`.
    pub const fn field(self, direction: Direction) -> &'static str {
        match (self, direction) {
            (PeerKind::Endpoints, Direction::Ingress) => "fromEndpoints",
            (PeerKind::Endpoints, Direction::Egress) => "toEndpoints",
            (PeerKind::Requires, Direction::Ingress) => "fromRequires",
            (PeerKind::Requires, Direction::Egress) => "toRequires",
            (PeerKind::Cidr, Direction::Ingress) => "fromCIDR",
            (PeerKind::Cidr, Direction::Egress) => "toCIDR",
            (PeerKind::CidrSet, Direction::Ingress) => "fromCIDRSet",
            (PeerKind::CidrSet, Direction::Egress) => "toCIDRSet",
            (PeerKind::Entities, Direction::Ingress) => "fromEntities",
            (PeerKind::Entities, Direction::Egress) => "toEntities",
            (PeerKind::Groups, Direction::Ingress) => "fromGroups",
            (PeerKind::Groups, Direction::Egress) => "toGroups",
            (PeerKind::Nodes, Direction::Ingress) => "fromNodes",
            (PeerKind::Nodes, Direction::Egress) => "toNodes",
            (PeerKind::Services, _) => "toServices",
            (PeerKind::Fqdns, _) => "toFQDNs",
        }
    }
}

/// An ingress, ingressDeny, egress or egressDeny rule. One type for all four:
/// the reader only admits the fields the CRD allows in each place (deny
/// rules have no L7, no authentication, no toFQDNs; only egress has
/// toServices and toFQDNs).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PeerRule {
    pub endpoints: Option<List<LabelSelector>>,
    /// Deprecated; a list of selectors before 1.19, an always-empty list of
    /// strings since. Kept as written and judged by version.
    pub requires: Option<List<crate::yaml::Node>>,
    pub cidr: Option<Spanned<Vec<Str>>>,
    pub cidr_set: Option<List<CidrRule>>,
    pub entities: Option<Spanned<Vec<Spanned<Entity>>>>,
    pub groups: Option<List<Group>>,
    pub nodes: Option<List<LabelSelector>>,
    pub services: Option<List<ServiceSelector>>,
    pub fqdns: Option<List<FqdnSelector>>,
    pub to_ports: Option<List<PortRule>>,
    pub icmps: Option<List<IcmpRule>>,
    pub authentication: Option<Spanned<Authentication>>,
}

impl PeerRule {
    /// The L3 peer fields that are present (even if empty), with their
    /// spans, in field order (without allocating: validation asks this of
    /// every rule).
    pub fn peer_kinds(&self) -> impl Iterator<Item = (PeerKind, crate::source::Span)> {
        [
            (PeerKind::Endpoints, self.endpoints.as_ref().map(|l| l.span)),
            (PeerKind::Requires, self.requires.as_ref().map(|l| l.span)),
            (PeerKind::Cidr, self.cidr.as_ref().map(|l| l.span)),
            (PeerKind::CidrSet, self.cidr_set.as_ref().map(|l| l.span)),
            (PeerKind::Entities, self.entities.as_ref().map(|l| l.span)),
            (PeerKind::Groups, self.groups.as_ref().map(|l| l.span)),
            (PeerKind::Nodes, self.nodes.as_ref().map(|l| l.span)),
            (PeerKind::Services, self.services.as_ref().map(|l| l.span)),
            (PeerKind::Fqdns, self.fqdns.as_ref().map(|l| l.span)),
        ]
        .into_iter()
        .filter_map(|(kind, span)| Some((kind, span?)))
    }
}

/// `fromCIDRSet`/`toCIDRSet` item.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CidrRule {
    pub cidr: Option<Str>,
    pub cidr_group_ref: Option<Str>,
    pub cidr_group_selector: Option<Spanned<LabelSelector>>,
    pub except: Option<Spanned<Vec<Str>>>,
}

/// Entities of the CRD enum (§2.11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entity {
    All,
    World,
    Cluster,
    Host,
    Init,
    Ingress,
    Unmanaged,
    RemoteNode,
    Health,
    None,
    KubeApiserver,
}

impl Entity {
    pub const ALL: [Entity; 11] = [
        Entity::All,
        Entity::World,
        Entity::Cluster,
        Entity::Host,
        Entity::Init,
        Entity::Ingress,
        Entity::Unmanaged,
        Entity::RemoteNode,
        Entity::Health,
        Entity::None,
        Entity::KubeApiserver,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Entity::All => "all",
            Entity::World => "world",
            Entity::Cluster => "cluster",
            Entity::Host => "host",
            Entity::Init => "init",
            Entity::Ingress => "ingress",
            Entity::Unmanaged => "unmanaged",
            Entity::RemoteNode => "remote-node",
            Entity::Health => "health",
            Entity::None => "none",
            Entity::KubeApiserver => "kube-apiserver",
        }
    }

    pub fn from_name(name: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.as_str() == name)
    }
}

/// `fromGroups`/`toGroups` item (cloud provider groups).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Group {
    pub aws: Option<Spanned<AwsGroup>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct AwsGroup {
    pub labels: Option<Spanned<LabelMap>>,
    pub security_groups_ids: Option<Spanned<Vec<Str>>>,
    pub security_groups_names: Option<Spanned<Vec<Str>>>,
    pub region: Option<Str>,
}

/// `toServices` item.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceSelector {
    pub k8s_service: Option<Spanned<ServiceName>>,
    pub k8s_service_selector: Option<Spanned<ServiceLabelSelector>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceName {
    pub service_name: Option<Str>,
    pub namespace: Option<Str>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceLabelSelector {
    pub selector: Option<Spanned<LabelSelector>>,
    pub namespace: Option<Str>,
}

/// `toFQDNs` item, and a DNS L7 rule (`rules.dns[]`), which has the same shape.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FqdnSelector {
    pub match_name: Option<Str>,
    pub match_pattern: Option<Str>,
}

/// `toPorts` item.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PortRule {
    pub ports: Option<List<PortProtocol>>,
    pub terminating_tls: Option<Spanned<TlsContext>>,
    pub originating_tls: Option<Spanned<TlsContext>>,
    pub server_names: Option<Spanned<Vec<Str>>>,
    pub listener: Option<Spanned<Listener>>,
    pub rules: Option<Spanned<L7Rules>>,
}

/// A port, port range or protocol. `port` is a string in the CRD ("80",
/// "0" for all ports, or a named port).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PortProtocol {
    pub port: Option<Str>,
    pub end_port: Option<Spanned<i64>>,
    pub protocol: Option<Spanned<Protocol>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct TlsContext {
    pub secret: Option<Spanned<SecretRef>>,
    pub trusted_ca: Option<Str>,
    pub certificate: Option<Str>,
    pub private_key: Option<Str>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SecretRef {
    pub name: Option<Str>,
    pub namespace: Option<Str>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Listener {
    pub envoy_config: Option<Spanned<EnvoyConfigRef>>,
    pub name: Option<Str>,
    pub priority: Option<Spanned<i64>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct EnvoyConfigRef {
    pub kind: Option<Str>,
    pub name: Option<Str>,
}

/// `toPorts[].rules`: exactly one L7 protocol.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct L7Rules {
    pub http: Option<List<HttpRule>>,
    pub dns: Option<List<FqdnSelector>>,
    /// Removed in Cilium 1.20.
    pub kafka: Option<List<KafkaRule>>,
    /// Generic L7 parser name; removed in Cilium 1.20.
    pub l7proto: Option<Str>,
    /// Generic L7 rules (key/value maps); removed in Cilium 1.20.
    pub l7: Option<List<LabelMap>>,
}

impl L7Rules {
    /// The L7 protocols present, by field name.
    pub fn present(&self) -> Vec<&'static str> {
        let mut present = Vec::new();
        if self.http.is_some() {
            present.push("http");
        }
        if self.dns.is_some() {
            present.push("dns");
        }
        if self.kafka.is_some() {
            present.push("kafka");
        }
        if self.l7proto.is_some() {
            present.push("l7proto");
        }
        present
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct HttpRule {
    pub path: Option<Str>,
    pub method: Option<Str>,
    pub host: Option<Str>,
    pub headers: Option<Spanned<Vec<Str>>>,
    pub header_matches: Option<List<HeaderMatch>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeaderMatch {
    pub name: Option<Str>,
    pub value: Option<Str>,
    pub secret: Option<Spanned<SecretRef>>,
    pub mismatch: Option<Str>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct KafkaRule {
    pub role: Option<Str>,
    pub api_key: Option<Str>,
    pub api_version: Option<Str>,
    pub client_id: Option<Str>,
    pub topic: Option<Str>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct IcmpRule {
    pub fields: Option<List<IcmpField>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct IcmpField {
    pub family: Option<Str>,
    pub icmp_type: Option<Spanned<IntOrString>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Authentication {
    pub mode: Option<Str>,
}
