//! Policy changes that restore, under the target, the flows the policies
//! allowed before (AKS FAQ; cilium-semantics §3.6), proven by the engine.
//!
//! The rewrite is planned on the models ([`peers`]: ipBlock peers and
//! `endPort`; [`companion`]: CiliumNetworkPolicies for what a NetworkPolicy
//! cannot say), turned into small text edits on the original ([`edit`]),
//! and proven by comparing the original under the dataplane of today with
//! the rewritten text under the target, flow by flow ([`proof`]).

mod companion;
mod edit;
mod peers;
mod proof;

use std::collections::{BTreeMap, BTreeSet};

use ipnet::IpNet;

use super::{Edit, MigrateOptions, Rewrite, Sides};
use crate::convert::build::{s, sp};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::model::{
    CiliumPolicy, Direction, Document, Kind, LabelEntry, LabelMap, LabelSelector, Manifest, NetworkPolicy,
    NetworkPolicyPeer, NetworkPolicyPort, ObjectMeta, PeerRule, Rule,
};
use crate::profile::Profile;
use crate::source::Span;

/// The annotation that ties a companion policy to the policy it completes.
pub const COMPLETES: &str = "netpolkit.dev/completes";

/// The rewrite of `text`, read as `sides`.
pub fn rewrite_sides(text: &str, sides: &Sides, options: &MigrateOptions, findings: &[Diagnostic]) -> Rewrite {
    let mut ctx = Ctx::new(text, sides, options);
    ctx.nodes_lost = crate::sort::set(
        findings
            .iter()
            .filter(|d| d.code == Code::IpBlockNodeRange)
            .filter_map(|d| Some((d.document?, d.path.clone()))),
    );
    let documents_with =
        |code: Code| crate::sort::set(findings.iter().filter(|d| d.code == code).filter_map(|d| d.document));
    ctx.node_egress_lost = documents_with(Code::NodeEgressLost);
    ctx.external_ingress_lost = documents_with(Code::ExternalIngressEnforced);
    let mut plan = Plan::default();
    for document in &sides.after.parsed.documents {
        if ctx.refused.contains(&document.index) {
            continue;
        }
        if let Manifest::NetworkPolicy(policy) = &document.manifest {
            peers::plan(&ctx, document, policy, &mut plan);
        }
    }
    if options.from == crate::profile::ProfileKind::AzureNpm {
        companion::azure_npm(&ctx, &mut plan);
    }
    let (edits, mut diagnostics) = plan.edits(&ctx);
    let rewritten = edit::apply(text, &edits);
    let (proof, leftovers) = proof::prove(&ctx, &rewritten, &plan.narrowed);
    diagnostics.append(&mut plan.unrestored);
    diagnostics.extend(leftovers);
    crate::sort_diagnostics(&mut diagnostics);
    Rewrite {
        text: rewritten,
        edits,
        diagnostics,
        proof,
    }
}

/// What every planning step reads.
pub(super) struct Ctx<'a> {
    pub text: &'a str,
    pub sides: &'a Sides,
    pub options: &'a MigrateOptions,
    /// The target's profile: its address ranges decide what a block holds.
    pub profile: &'a Profile,
    /// Documents with errors: the target would refuse them as they are.
    pub refused: BTreeSet<usize>,
    /// The ipBlocks (document, path of the cidr) whose nodes the checks find
    /// lost (NP602): a block whose nodes another policy already admits needs
    /// no companion, which keeps a rewrite applied twice from adding two.
    pub nodes_lost: BTreeSet<(usize, String)>,
    /// The policies whose pods lose Azure NPM's egress to their node (NP610),
    /// and the Services whose external clients lose their way in (NP611):
    /// where the engine finds it already restored, no companion is added.
    pub node_egress_lost: BTreeSet<usize>,
    pub external_ingress_lost: BTreeSet<usize>,
}

impl<'a> Ctx<'a> {
    fn new(text: &'a str, sides: &'a Sides, options: &'a MigrateOptions) -> Ctx<'a> {
        let refused = crate::sort::set(
            sides
                .after
                .parsed
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .filter_map(|d| d.document),
        );
        Ctx {
            text,
            sides,
            options,
            profile: &sides.after.profile,
            refused,
            nodes_lost: BTreeSet::new(),
            node_egress_lost: BTreeSet::new(),
            external_ingress_lost: BTreeSet::new(),
        }
    }

    /// The document with index `index`.
    pub fn document(&self, index: usize) -> Option<&'a Document> {
        self.sides.after.parsed.documents.iter().find(|d| d.index == index)
    }
}

/// Why a change is made, located at the field it fixes.
#[derive(Clone, Debug)]
pub(super) struct Why {
    pub document: usize,
    pub span: Span,
    pub path: String,
    pub reason: String,
}

impl Why {
    fn proposal(&self) -> Diagnostic {
        let mut d = Diagnostic::new(Code::RewriteProposed, self.span, self.reason.clone()).with_path(self.path.clone());
        d.document = Some(self.document);
        d
    }
}

/// A flow that cannot be restored exactly, at the field that causes it.
pub(super) fn not_restored(document: usize, span: Span, path: &str, message: String, hint: &str) -> Diagnostic {
    let mut d = Diagnostic::new(Code::NotRestored, span, message).with_path(path);
    if !hint.is_empty() {
        d = d.with_hint(hint);
    }
    d.document = Some(document);
    d
}

/// A change to a NetworkPolicy's own text.
#[derive(Clone, Debug)]
pub(super) enum Change {
    /// Peers added to `spec.<direction>[rule]` right after peer `after`.
    AddPeers {
        direction: Direction,
        rule: usize,
        after: usize,
        peers: Vec<NetworkPolicyPeer>,
    },
    /// Port item `port` of `spec.<direction>[rule]` replaced by `ports`.
    ExpandPort {
        direction: Direction,
        rule: usize,
        port: usize,
        ports: Vec<NetworkPolicyPort>,
    },
}

/// A CiliumNetworkPolicy inserted after a policy, for what the policy's
/// own kind cannot say (entities) or what the old dataplane allowed
/// without any rule (Azure NPM's exceptions).
#[derive(Clone, Debug)]
pub(super) struct Companion {
    /// The document it follows and completes.
    pub after: usize,
    pub name: String,
    pub namespace: Option<String>,
    /// `NetworkPolicy shop/web`.
    pub completes: String,
    /// One rule per subject, each with its ingress and egress rules.
    pub rules: Vec<(LabelSelector, Vec<PeerRule>, Vec<PeerRule>)>,
    pub whys: Vec<Why>,
}

impl Companion {
    /// Adds `rule` for `subject` in `direction` (once).
    pub fn add(&mut self, subject: &LabelSelector, direction: Direction, rule: PeerRule, why: Why) {
        let index = match self.rules.iter().position(|(s, _, _)| s == subject) {
            Some(i) => i,
            None => {
                self.rules.push((subject.clone(), Vec::new(), Vec::new()));
                self.rules.len() - 1
            }
        };
        let (_, ingress, egress) = &mut self.rules[index];
        let list = if direction == Direction::Ingress {
            ingress
        } else {
            egress
        };
        if !list.contains(&rule) {
            list.push(rule);
        }
        self.whys.push(why);
    }

    /// The companion as a document, written by the emitter like any model.
    fn document(&self) -> Document {
        let rule = |(subject, ingress, egress): &(LabelSelector, Vec<PeerRule>, Vec<PeerRule>)| Rule {
            endpoint_selector: Some(sp(subject.clone())),
            ingress: (!ingress.is_empty()).then(|| sp(ingress.iter().cloned().map(sp).collect())),
            egress: (!egress.is_empty()).then(|| sp(egress.iter().cloned().map(sp).collect())),
            ..Rule::default()
        };
        let (spec, specs) = match self.rules.as_slice() {
            [one] => (Some(sp(rule(one))), None),
            many => (None, Some(sp(many.iter().map(|r| sp(rule(r))).collect()))),
        };
        let metadata = ObjectMeta {
            name: Some(s(self.name.clone())),
            namespace: self.namespace.clone().map(s),
            annotations: Some(sp(LabelMap::new(vec![LabelEntry {
                key: s(COMPLETES),
                value: s(self.completes.clone()),
            }]))),
            ..ObjectMeta::default()
        };
        let policy = CiliumPolicy {
            metadata: sp(metadata),
            spec,
            specs,
        };
        crate::convert::build::document(0, Kind::CiliumNetworkPolicy, Manifest::CiliumNetworkPolicy(policy))
    }
}

/// Pods selected by labels instead of by an address range: the proof takes
/// the pods given as all there are (the premise of the narrowing).
#[derive(Clone, Debug, Default)]
pub(super) struct Narrowed {
    pub ranges: Vec<IpNet>,
    /// (namespace, matchLabels) of each selector added.
    pub selectors: Vec<(String, Vec<(String, String)>)>,
}

/// Everything planned, before it becomes text.
#[derive(Default)]
pub(super) struct Plan {
    /// Per document, its changes in planning order.
    pub changes: BTreeMap<usize, Vec<(Change, Why)>>,
    pub companions: Vec<Companion>,
    /// NP621 found while planning.
    pub unrestored: Vec<Diagnostic>,
    pub narrowed: Vec<Narrowed>,
}

impl Plan {
    pub fn change(&mut self, document: usize, change: Change, why: Why) {
        self.changes.entry(document).or_default().push((change, why));
    }

    /// The companion named `<policy>-<suffix>` that follows `document`,
    /// created on first use with a name no policy of its namespace has.
    pub fn companion(&mut self, ctx: &Ctx, document: &Document, suffix: &str) -> &mut Companion {
        let meta = document.manifest.metadata();
        let base = format!("{}-{suffix}", meta.and_then(|m| m.name()).unwrap_or("policy"));
        if let Some(i) = self
            .companions
            .iter()
            .position(|c| c.after == document.index && c.name.starts_with(&base))
        {
            return &mut self.companions[i];
        }
        let namespace = meta.and_then(|m| m.namespace()).map(str::to_owned);
        let taken = |name: &str| {
            ctx.sides.after.parsed.documents.iter().any(|d| {
                d.model_kind() == Some(Kind::CiliumNetworkPolicy)
                    && d.name() == Some(name)
                    && d.manifest.metadata().and_then(|m| m.namespace()) == namespace.as_deref()
            }) || self
                .companions
                .iter()
                .any(|c| c.name == name && c.namespace == namespace)
        };
        let mut name = base.clone();
        let mut n = 2;
        while taken(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        self.companions.push(Companion {
            after: document.index,
            name,
            namespace,
            completes: crate::convert::describe(document),
            rules: Vec::new(),
            whys: Vec::new(),
        });
        let last = self.companions.len() - 1;
        &mut self.companions[last]
    }

    /// The text edits, in text order, with an NP620 per reason (and NP621
    /// where a change cannot be placed at all).
    fn edits(&self, ctx: &Ctx) -> (Vec<Edit>, Vec<Diagnostic>) {
        let mut edits = Vec::new();
        let mut diagnostics = Vec::new();
        for (&index, changes) in &self.changes {
            let Some(document) = ctx.document(index) else { continue };
            let Manifest::NetworkPolicy(policy) = &document.manifest else {
                continue;
            };
            let policy_name = crate::convert::describe(document);
            let placed = place_in_text(ctx.text, policy, changes);
            match placed {
                Some(placed) => {
                    for ((range, replacement), (_, why)) in placed.into_iter().zip(changes) {
                        edits.push(Edit {
                            document: index,
                            policy: policy_name.clone(),
                            range,
                            replacement,
                            reason: why.reason.clone(),
                        });
                        diagnostics.push(why.proposal());
                    }
                }
                None => {
                    let changed = apply_to_model(policy, changes);
                    match edit::replace_document(ctx.text, document, changed) {
                        Some((range, replacement)) => {
                            let reasons: Vec<&str> = changes.iter().map(|(_, w)| w.reason.as_str()).collect();
                            edits.push(Edit {
                                document: index,
                                policy: policy_name.clone(),
                                range,
                                replacement,
                                reason: format!(
                                    "The document is written again (its lists are in flow style or cannot be \
                                     extended line by line). {}",
                                    reasons.join(" ")
                                ),
                            });
                            diagnostics.extend(changes.iter().map(|(_, w)| w.proposal()));
                        }
                        None => diagnostics.extend(changes.iter().map(|(_, w)| {
                            not_restored(
                                w.document,
                                w.span,
                                &w.path,
                                format!("this change cannot be written into a List item: {}", w.reason),
                                "make the change by hand",
                            )
                        })),
                    }
                }
            }
        }
        for companion in &self.companions {
            let Some(document) = ctx.document(companion.after) else {
                continue;
            };
            let Some((at, at_end)) = edit::after_document(ctx.text, document) else {
                diagnostics.extend(companion.whys.iter().map(|w| {
                    not_restored(
                        w.document,
                        w.span,
                        &w.path,
                        format!(
                            "the CiliumNetworkPolicy `{}` cannot be inserted inside a List: {}",
                            companion.name, w.reason
                        ),
                        "add the companion policy by hand",
                    )
                }));
                continue;
            };
            let reasons: Vec<&str> = companion.whys.iter().map(|w| w.reason.as_str()).collect();
            edits.push(Edit {
                document: companion.after,
                policy: companion.name.clone(),
                range: at..at,
                replacement: edit::document_text(&companion.document(), at_end),
                reason: dedup_join(&reasons),
            });
            diagnostics.extend(companion.whys.iter().map(Why::proposal));
        }
        crate::sort::sort_by_key(&mut edits, |e| e.range.start);
        (edits, diagnostics)
    }
}

fn dedup_join(reasons: &[&str]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for r in reasons {
        if !seen.contains(r) {
            seen.push(r);
        }
    }
    seen.join(" ")
}

/// The rule list of `direction`.
fn rules(policy: &NetworkPolicy, direction: Direction) -> Option<&crate::model::List<crate::model::NetworkPolicyRule>> {
    let spec = policy.spec.as_ref()?;
    match direction {
        Direction::Ingress => spec.ingress.as_ref(),
        Direction::Egress => spec.egress.as_ref(),
    }
}

/// Each change as a text edit, or `None` when one of them cannot be
/// placed line by line (or two would touch the same lines).
fn place_in_text(
    text: &str,
    policy: &NetworkPolicy,
    changes: &[(Change, Why)],
) -> Option<Vec<(std::ops::Range<usize>, String)>> {
    let mut out = Vec::new();
    for (change, _) in changes {
        let placed = match change {
            Change::AddPeers {
                direction,
                rule,
                after,
                peers,
            } => {
                let peer = rules(policy, *direction)?.get(*rule)?.peers.as_ref()?.get(*after)?;
                let item = edit::item(text, peer.span)?;
                edit::insert_after(item, &edit::peer_lines(peers.clone()))
            }
            Change::ExpandPort {
                direction,
                rule,
                port,
                ports,
            } => {
                let item_span = rules(policy, *direction)?.get(*rule)?.ports.as_ref()?.get(*port)?.span;
                let item = edit::item(text, item_span)?;
                edit::replace_item(item, &edit::port_lines(ports.clone()))
            }
        };
        out.push(placed);
    }
    // Replacements must not meet other edits.
    for (i, (a, _)) in out.iter().enumerate() {
        for (b, _) in out.iter().skip(i + 1) {
            let meets = if a.is_empty() && b.is_empty() {
                false
            } else if a.is_empty() {
                b.start < a.start && a.start < b.end
            } else if b.is_empty() {
                a.start < b.start && b.start < a.end
            } else {
                a.start < b.end && b.start < a.end
            };
            if meets {
                return None;
            }
        }
    }
    Some(out)
}

/// The policy with every change made, for the fallback that writes the
/// document again.
fn apply_to_model(policy: &NetworkPolicy, changes: &[(Change, Why)]) -> NetworkPolicy {
    let mut policy = policy.clone();
    // Later positions first, so earlier indexes stay valid.
    let mut ordered: Vec<&Change> = changes.iter().map(|(c, _)| c).collect();
    let position = |c: &&Change| match c {
        Change::AddPeers {
            direction, rule, after, ..
        } => (*direction, *rule, *after),
        Change::ExpandPort {
            direction, rule, port, ..
        } => (*direction, *rule, *port),
    };
    crate::sort::sort_by(&mut ordered, |a, b| position(b).cmp(&position(a)));
    let Some(spec) = policy.spec.as_mut() else {
        return policy;
    };
    for change in ordered {
        let (direction, rule) = match change {
            Change::AddPeers { direction, rule, .. } | Change::ExpandPort { direction, rule, .. } => {
                (*direction, *rule)
            }
        };
        let list = match direction {
            Direction::Ingress => spec.value.ingress.as_mut(),
            Direction::Egress => spec.value.egress.as_mut(),
        };
        let Some(rule) = list.and_then(|l| l.value.get_mut(rule)) else {
            continue;
        };
        match change {
            Change::AddPeers { after, peers, .. } => {
                if let Some(list) = rule.value.peers.as_mut() {
                    let at = (*after + 1).min(list.value.len());
                    for (k, p) in peers.iter().enumerate() {
                        list.value.insert(at + k, sp(p.clone()));
                    }
                }
            }
            Change::ExpandPort { port, ports, .. } => {
                if let Some(list) = rule.value.ports.as_mut() {
                    if *port < list.value.len() {
                        list.value.splice(*port..=*port, ports.iter().cloned().map(sp));
                    }
                }
            }
        }
    }
    policy
}
