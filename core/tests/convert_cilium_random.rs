//! Conversion of policies written natively as CiliumNetworkPolicy,
//! CiliumClusterwideNetworkPolicy and ClusterNetworkPolicy, on random policy
//! sets (`oracle::cilium_generate`): CNP → CCNP, CCNP → CNP, CNP → KNP,
//! CCNP → KNP, ClusterNetworkPolicy → CNP and → CCNP.
//!
//! Unlike `convert.rs`, whose sources are NetworkPolicies and their
//! conversions (all inside what every kind can say), these sources use
//! everything the validator accepts. Most policies are bent into what the
//! direction's target can express (`expressible` in the generator), the
//! rest are not, so both exact and lossy conversions are checked in numbers.
//! For every case and direction:
//!
//! - nothing panics, the source validates clean (else the generator is
//!   wrong), the output validates without errors, and the only errors of
//!   the conversion are `needs-namespace` (a clusterwide policy whose
//!   subject selects no namespace of the input);
//! - every `no-equivalent` points at a span of the source text, inside its
//!   document;
//! - the flows of the input's workloads are decided twice, by the engine's
//!   connectivity matrix (source entries against output entries, over every
//!   port either side cuts) and by `compare` over the same workloads
//!   without generated endpoints: the two sets of differing flows must be
//!   the same, so the comparison the proof is built on never misses (or
//!   invents) a flow the workloads show;
//! - when nothing is reported lost (no `no-equivalent`, no
//!   `needs-namespace`), no flow may differ and the proof must say
//!   equivalent; when flows of the workloads differ, the proof must not.
//!
//! `CONVERT_CASES=n` runs more cases, `CONVERT_SEED=n` another seed.

#[allow(dead_code)]
mod oracle;

use std::collections::{BTreeMap, BTreeSet};

use netpolkit::cluster::Endpoint;
use netpolkit::compare::{compare, CompareOptions, Side};
use netpolkit::convert::{convert, Conversion, ConvertOptions, Target};
use netpolkit::engine::{Connectivity, ConnectivityOptions, Engine, Flow};
use netpolkit::ir::lower::LowerOptions;
use netpolkit::ir::{lower, Lowered, PortNumber, PortProto, Proto};
use netpolkit::profile::ProfileSettings;
use netpolkit::{Code, Document, Kind, LineIndex, Manifest, Severity};
use oracle::cilium_generate::{scenario, Aim, CiliumScenario, Source};
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};

/// About 3.5 policies of the source kind per case: over 10,000 per direction.
const CASES: u32 = 3000;
const SEED: u64 = 0x6369_6c69_756d_7264;

/// Cilium (newest) with every feature the generated policies use turned
/// on, so that both sides enforce everything: ClusterNetworkPolicy, node
/// selector labels (`fromNodes`/`toNodes`, KCNP `nodes`) and the host
/// firewall (host policies, §3.1 step 2).
fn profile() -> ProfileSettings {
    ProfileSettings {
        cluster_network_policy: Some(true),
        node_selector_labels: Some(true),
        host_firewall: Some(true),
        ..ProfileSettings::default()
    }
}

/// What a direction's runs add up to.
#[derive(Default)]
struct Tally {
    policies: usize,
    /// Source policies with a `no-equivalent` or `needs-namespace`.
    lossy_policies: usize,
    /// Cases where the workloads' flows differ.
    differing_cases: usize,
    /// Cases where nothing was reported lost (so exactness was checked).
    exact_cases: usize,
    /// Time spent converting (with the proof), and checking.
    converting: std::time::Duration,
    checking: std::time::Duration,
}

// --- the ports compared ------------------------------------------------------

/// The ports `compare` decides (one per interval of the port space that the
/// rules of either side cut, per group of protocols that no rule tells
/// apart; ICMP: each type named and one other), worked out here from the
/// entries as `compare/universe.rs` documents it, so that a flow of the
/// matrix can be mapped to the flow `compare` decides for it.
struct PortSpace {
    coverers: Vec<Proto>,
    groups: Vec<(Vec<bool>, Proto)>,
    /// Per group (by its protocol): the cuts, ascending.
    cuts: BTreeMap<Proto, Vec<u16>>,
    /// Per ICMP group: the types named, and the one other.
    icmp: BTreeMap<Proto, (BTreeSet<u16>, u16)>,
}

const CANDIDATES: [Proto; 5] = [Proto::Tcp, Proto::Udp, Proto::Sctp, Proto::Icmp, Proto::Icmpv6];

impl PortSpace {
    fn new(lowered: [&Lowered; 2], endpoints: &[Endpoint]) -> PortSpace {
        let specs: Vec<&PortProto> = lowered
            .iter()
            .flat_map(|l| l.entries.iter())
            .flat_map(|e| &e.l4)
            .flat_map(|r| &r.ports)
            .collect();
        let named: BTreeSet<&str> = specs
            .iter()
            .filter_map(|p| match &p.port {
                PortNumber::Named(n) => Some(n.as_str()),
                PortNumber::Number(_) => None,
            })
            .collect();
        let mut coverers: Vec<Proto> = specs.iter().map(|p| p.protocol).collect();
        coverers.extend(
            endpoints
                .iter()
                .flat_map(|e| &e.ports)
                .filter(|c| c.name.as_deref().is_some_and(|n| named.contains(n)))
                .map(|c| c.protocol),
        );
        coverers.sort();
        coverers.dedup();
        let mut groups: Vec<(Vec<bool>, Proto)> = Vec::new();
        for c in CANDIDATES {
            let signature: Vec<bool> = coverers.iter().map(|p| p.covers(c)).collect();
            if !groups.iter().any(|(s, _)| *s == signature) {
                groups.push((signature, c));
            }
        }
        let mut cuts = BTreeMap::new();
        let mut icmp = BTreeMap::new();
        for (_, protocol) in &groups {
            let protocol = *protocol;
            let covering: Vec<&&PortProto> = specs.iter().filter(|p| p.protocol.covers(protocol)).collect();
            if matches!(protocol, Proto::Icmp | Proto::Icmpv6) {
                let types: BTreeSet<u16> = covering
                    .iter()
                    .filter_map(|p| match p.port {
                        PortNumber::Number(n) => Some(n),
                        PortNumber::Named(_) => None,
                    })
                    .collect();
                let preferred = if protocol == Proto::Icmp { 8 } else { 128 };
                let other = std::iter::once(preferred)
                    .chain(0..=255)
                    .find(|t| !types.contains(t))
                    .unwrap_or(preferred);
                icmp.insert(protocol, (types, other));
                continue;
            }
            let mut set: BTreeSet<u32> = BTreeSet::new();
            for p in &covering {
                match &p.port {
                    PortNumber::Number(0) => {}
                    PortNumber::Number(n) => {
                        let end = p.end_port.filter(|e| e > n).unwrap_or(*n);
                        set.insert(u32::from(*n));
                        set.insert(u32::from(end) + 1);
                    }
                    PortNumber::Named(name) => {
                        for c in endpoints.iter().flat_map(|e| &e.ports) {
                            if c.name.as_deref() == Some(name.as_str()) && c.protocol.covers(protocol) {
                                set.insert(u32::from(c.port));
                                set.insert(u32::from(c.port) + 1);
                            }
                        }
                    }
                }
            }
            let list: Vec<u16> = set
                .into_iter()
                .filter_map(|c| u16::try_from(c).ok())
                .filter(|c| *c > 0)
                .collect();
            cuts.insert(protocol, list);
        }
        PortSpace {
            coverers,
            groups,
            cuts,
            icmp,
        }
    }

    /// Every flow `compare` decides.
    fn all(&self) -> Vec<Flow> {
        let mut flows = Vec::new();
        for (protocol, (types, other)) in &self.icmp {
            flows.extend(types.iter().chain([other]).map(|&port| Flow {
                protocol: *protocol,
                port,
            }));
        }
        for (protocol, cuts) in &self.cuts {
            let protocol = *protocol;
            match cuts.first() {
                None => flows.push(Flow { protocol, port: 80 }),
                Some(first) => {
                    if *first > 1 {
                        flows.push(Flow {
                            protocol,
                            port: first - 1,
                        });
                    }
                    flows.extend(cuts.iter().map(|&port| Flow { protocol, port }));
                }
            }
        }
        flows.sort();
        flows.dedup();
        flows
    }

    /// The flow `compare` decides in `flow`'s stead: its group's protocol,
    /// and the port its interval is represented by.
    fn representative(&self, flow: Flow) -> Flow {
        let signature: Vec<bool> = self.coverers.iter().map(|p| p.covers(flow.protocol)).collect();
        let protocol = self
            .groups
            .iter()
            .find(|(s, _)| *s == signature)
            .map_or(flow.protocol, |(_, p)| *p);
        if let Some((types, other)) = self.icmp.get(&protocol) {
            let port = if types.contains(&flow.port) { flow.port } else { *other };
            return Flow { protocol, port };
        }
        let cuts = self.cuts.get(&protocol).map(Vec::as_slice).unwrap_or_default();
        let port = match cuts.iter().rev().find(|c| **c <= flow.port) {
            Some(cut) => *cut,
            None => match cuts.first() {
                Some(first) if *first > 1 => first - 1,
                Some(_) => flow.port,
                None => 80,
            },
        };
        Flow { protocol, port }
    }
}

// --- one case ----------------------------------------------------------------

/// (from, to, port) → (source allows, output allows).
type Flows = BTreeMap<(String, String, String), (bool, bool)>;

/// A differing flow of the matrix, its verdicts and the flow `compare` decides for it.
type Differing = ((String, String, String), (bool, bool), Flow);

fn connectivity(engine: &Engine, ports: Vec<Flow>) -> Connectivity {
    engine.connectivity(&ConnectivityOptions {
        ports,
        ..ConnectivityOptions::default()
    })
}

/// The workloads' flows that differ between source and output, by the
/// engine's matrix over `ports` and every port either side mentions, each
/// with the flow `compare` decides in its stead.
fn matrix_differences(
    c: &Conversion,
    output: &Lowered,
    ports: Vec<Flow>,
    space: &PortSpace,
) -> Result<Vec<Differing>, String> {
    let source = &c.source;
    let old = source.engine();
    let new = Engine::new(&source.profile, output, &source.cluster);
    // Each side adds the ports its own rules mention: until both check the same.
    let mut a = connectivity(&old, ports);
    let b = connectivity(&new, a.flows.clone());
    if b.flows != a.flows {
        a = connectivity(&old, b.flows.clone());
    }
    if a.flows != b.flows || a.endpoints != b.endpoints {
        return Err(format!(
            "the matrices do not line up: {:?} / {:?}",
            a.endpoints, b.endpoints
        ));
    }
    let mut out = Vec::new();
    for (i, from) in a.endpoints.iter().enumerate() {
        for (j, to) in a.endpoints.iter().enumerate() {
            for (p, flow) in a.flows.iter().enumerate() {
                let (x, y) = (a.is_allowed(i, j, p), b.is_allowed(i, j, p));
                if x != y {
                    let key = (from.clone(), to.clone(), flow.to_string());
                    out.push((key, (x, y), space.representative(*flow)));
                }
            }
        }
    }
    Ok(out)
}

/// The output's entries in the input's cluster: `toServices` resolved
/// against the input's Services (§2.8), as the proof does. (`c.checked` is
/// the output alone, where they resolve to nothing.)
fn output_lowered(c: &Conversion) -> Lowered {
    let services: Vec<&Document> = c
        .source
        .parsed
        .documents
        .iter()
        .filter(|d| matches!(d.manifest, Manifest::Service(_)))
        .collect();
    if services.is_empty() {
        return c.checked.lowered.clone();
    }
    let documents: Vec<Document> = c.checked.parsed.documents.iter().chain(services).cloned().collect();
    lower(
        &documents,
        &c.checked.parsed.diagnostics,
        &c.checked.profile,
        LowerOptions::default(),
    )
}

fn located(text: &str, d: &netpolkit::Diagnostic) -> String {
    let index = LineIndex::new(text);
    let at = index.line_col(text, d.span.start.min(text.len()));
    format!("{}:{} {} {}: {}", at.line, at.column, d.code.id(), d.path, d.message)
}

fn check(text: &str, options: &ConvertOptions, kind: Kind, tally: &mut Tally) -> Result<(), String> {
    let started = std::time::Instant::now();
    let c = convert(text, options);
    tally.converting += started.elapsed();
    let started = std::time::Instant::now();
    let result = check_conversion(&c, text, options, kind, tally);
    tally.checking += started.elapsed();
    result
}

fn check_conversion(
    c: &Conversion,
    text: &str,
    options: &ConvertOptions,
    kind: Kind,
    tally: &mut Tally,
) -> Result<(), String> {
    let target = options.to.as_str();
    // The generator writes valid policies only.
    let invalid: Vec<String> = c
        .source
        .parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| located(text, d))
        .collect();
    if !invalid.is_empty() {
        return Err(format!("the generator wrote an invalid input:\n{}", invalid.join("\n")));
    }
    let output_errors: Vec<String> = c
        .checked
        .parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| located(&c.text, d))
        .collect();
    if !output_errors.is_empty() {
        return Err(format!(
            "to {target}: the output does not validate:\n{}\n--- output ---\n{}",
            output_errors.join("\n"),
            c.text
        ));
    }
    let unexpected: Vec<String> = c
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error && d.code != Code::NeedsNamespace)
        .map(|d| located(text, d))
        .collect();
    if !unexpected.is_empty() {
        return Err(format!("to {target}: unexpected errors:\n{}", unexpected.join("\n")));
    }

    // Every loss points into its own document of the source.
    for d in c.diagnostics.iter().filter(|d| d.code == Code::NoEquivalent) {
        let document = d
            .document
            .and_then(|i| c.source.parsed.documents.iter().find(|doc| doc.index == i));
        let inside = |doc: &Document| doc.span.start <= d.span.start && d.span.end <= doc.span.end;
        let index = LineIndex::new(text);
        let at = index.line_col(text, d.span.start.min(text.len()));
        let real = d.span.start < d.span.end
            && d.span.end <= text.len()
            && text.is_char_boundary(d.span.start)
            && text.is_char_boundary(d.span.end)
            && at.line >= 1
            && at.column >= 1
            && document.is_some_and(inside);
        if !real {
            return Err(format!(
                "to {target}: a no-equivalent without a real span in its document: {:?} (document {:?})\n{}",
                d.span,
                document.map(|doc| doc.span),
                located(text, d)
            ));
        }
    }

    let policies: Vec<&Document> = c
        .source
        .parsed
        .documents
        .iter()
        .filter(|d| d.model_kind() == Some(kind))
        .collect();
    tally.policies += policies.len();
    let loss = |d: &netpolkit::Diagnostic| matches!(d.code, Code::NoEquivalent | Code::NeedsNamespace);
    tally.lossy_policies += policies
        .iter()
        .filter(|p| c.diagnostics.iter().any(|d| loss(d) && d.document == Some(p.index)))
        .count();
    let lost = c.diagnostics.iter().any(loss);

    // The workloads' flows: the matrix against `compare`, over the same ports.
    let output = output_lowered(c);
    let space = PortSpace::new([&c.source.lowered, &output], &c.source.cluster.endpoints);
    let matrix = matrix_differences(c, &output, space.all(), &space)?;
    let workloads: Vec<Document> = c
        .source
        .parsed
        .documents
        .iter()
        .filter(|d| !d.model_kind().is_some_and(|k| k.is_policy()))
        .cloned()
        .collect();
    let compared = compare(
        &workloads,
        Side {
            profile: &c.source.profile,
            lowered: &c.source.lowered,
        },
        Side {
            profile: &c.checked.profile,
            lowered: &output,
        },
        &CompareOptions {
            generate: false,
            max_explained: 0,
        },
    );
    let found: Flows = compared
        .differences
        .iter()
        .map(|d| {
            (
                (d.from.clone(), d.to.clone(), d.port.clone()),
                (d.old_allowed, d.new_allowed),
            )
        })
        .collect();
    if found.len() as u64 != compared.differing {
        return Err(format!(
            "to {target}: compare counts {} differing flows and lists {}",
            compared.differing,
            found.len()
        ));
    }
    let mut seen: Flows = BTreeMap::new();
    let mut all: Flows = BTreeMap::new();
    for ((from, to, port), verdicts, representative) in &matrix {
        all.insert((from.clone(), to.clone(), port.clone()), *verdicts);
        let key = (from.clone(), to.clone(), representative.to_string());
        if let Some(other) = seen.insert(key.clone(), *verdicts) {
            if other != *verdicts {
                return Err(format!(
                    "to {target}: {key:?} stands for ports with different verdicts\n--- output ---\n{}",
                    c.text
                ));
            }
        }
    }
    let missed: Vec<String> = seen
        .iter()
        .filter(|(k, v)| found.get(*k) != Some(*v))
        .map(|(k, v)| format!("{} -> {} {}: {v:?}", k.0, k.1, k.2))
        .collect();
    let invented: Vec<String> = found
        .iter()
        .filter(|(k, v)| all.get(*k) != Some(*v))
        .map(|(k, v)| format!("{} -> {} {}: {v:?}", k.0, k.1, k.2))
        .collect();
    if !missed.is_empty() || !invented.is_empty() {
        return Err(format!(
            "to {target}: compare and the matrix disagree on the workloads' flows\nmissed by compare:\n{}\n\
             found by compare only:\n{}\n--- output ---\n{}",
            missed.join("\n"),
            invented.join("\n"),
            c.text
        ));
    }

    let proof = c.proof.as_ref().ok_or("no proof")?;
    let not_equivalent = c.diagnostics.iter().any(|d| d.code == Code::NotEquivalent);
    if not_equivalent == proof.equivalent {
        return Err(format!(
            "to {target}: not-equivalent reported {not_equivalent}, proof equivalent {}",
            proof.equivalent
        ));
    }
    if !all.is_empty() {
        tally.differing_cases += 1;
        if proof.equivalent {
            let first: Vec<String> = all
                .iter()
                .take(5)
                .map(|(k, v)| format!("{} -> {} {}: {v:?}", k.0, k.1, k.2))
                .collect();
            return Err(format!(
                "to {target}: the proof misses flows of the workloads that differ:\n{}\n--- output ---\n{}",
                first.join("\n"),
                c.text
            ));
        }
    }
    if !lost {
        tally.exact_cases += 1;
        if !all.is_empty() || !proof.equivalent {
            let first: Vec<String> = all
                .iter()
                .take(10)
                .map(|(k, v)| format!("{} -> {} {}: {v:?}", k.0, k.1, k.2))
                .collect();
            let notes: Vec<String> = c.diagnostics.iter().map(|d| located(text, d)).collect();
            return Err(format!(
                "to {target}: nothing reported lost, yet {} flows of the workloads differ and the proof finds {} \
                 (e.g. {:?}):\n{}\ndiagnostics:\n{}\n--- output ---\n{}",
                all.len(),
                proof.differing,
                proof.differences.first().map(|d| format!(
                    "{} -> {} {}: {} -> {}",
                    d.from, d.to, d.port, d.old_allowed, d.new_allowed
                )),
                first.join("\n"),
                notes.join("\n"),
                c.text
            ));
        }
    }
    Ok(())
}

// --- the runs ----------------------------------------------------------------

fn run(name: &str, source: Source, target: Target, kind: Kind) {
    let cases = std::env::var("CONVERT_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(CASES);
    let seed = std::env::var("CONVERT_SEED")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(SEED);
    let config = Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        max_shrink_iters: 1000,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let tally = std::cell::RefCell::new(Tally::default());
    let started = std::time::Instant::now();
    let aim = match target {
        Target::Knp => Aim::Knp,
        Target::Cnp => Aim::Cnp,
        Target::Ccnp => Aim::Ccnp,
    };
    let result = runner.run(&scenario(source, aim), |s: CiliumScenario| {
        let text = s.render();
        let options = ConvertOptions {
            to: target,
            namespace: s.flag(),
            profile: profile(),
            ..ConvertOptions::default()
        };
        check(&text, &options, kind, &mut tally.borrow_mut()).map_err(TestCaseError::fail)
    });
    match result {
        Ok(()) => {
            let t = tally.borrow();
            let share = |n: usize, of: usize| 100.0 * n as f64 / of.max(1) as f64;
            println!(
                "{name}: {cases} cases, {} policies converted, {:.1}% of them reported lossy; {:.1}% of the cases \
                 exact (checked flow for flow), {:.1}% with differing flows; {:.1}s ({:.1}s converting and proving, \
                 {:.1}s checking)",
                t.policies,
                share(t.lossy_policies, t.policies),
                share(t.exact_cases, cases as usize),
                share(t.differing_cases, cases as usize),
                started.elapsed().as_secs_f64(),
                t.converting.as_secs_f64(),
                t.checking.as_secs_f64(),
            );
            if cases >= CASES {
                assert!(t.policies >= 10_000, "only {} policies", t.policies);
                // Both kinds of case must be there in numbers.
                assert!(
                    t.exact_cases * 10 >= cases as usize,
                    "only {} exact cases",
                    t.exact_cases
                );
                assert!(t.differing_cases >= 10, "only {} differing cases", t.differing_cases);
            }
        }
        Err(TestError::Fail(why, minimal)) => {
            panic!(
                "{name} failed (seed {seed}):\n{why}\n\nshrunk scenario (--namespace {:?}):\n{}",
                minimal.flag(),
                minimal.render()
            )
        }
        Err(e) => panic!("{name}: {e}"),
    }
}

/// §2.13: a CNP's subject and peers written with the namespace Cilium injects.
#[test]
fn cnp_to_ccnp_on_random_cilium_policies() {
    run("cnp -> ccnp", Source::Cnp, Target::Ccnp, Kind::CiliumNetworkPolicy);
}

/// §2.13: a CCNP spread over the namespaces it selects (or `--namespace`).
#[test]
fn ccnp_to_cnp_on_random_cilium_policies() {
    run(
        "ccnp -> cnp",
        Source::Ccnp,
        Target::Cnp,
        Kind::CiliumClusterwideNetworkPolicy,
    );
}

/// §1.8 "Reverse direction": the subset a NetworkPolicy can say.
#[test]
fn cnp_to_knp_on_random_cilium_policies() {
    run("cnp -> knp", Source::Cnp, Target::Knp, Kind::CiliumNetworkPolicy);
}

/// §1.8 and §2.13: clusterwide, then per namespace.
#[test]
fn ccnp_to_knp_on_random_cilium_policies() {
    run(
        "ccnp -> knp",
        Source::Ccnp,
        Target::Knp,
        Kind::CiliumClusterwideNetworkPolicy,
    );
}

/// §3.5: tiers, priorities and actions into Cilium's one level.
#[test]
fn kcnp_to_cnp_on_random_cluster_network_policies() {
    run("kcnp -> cnp", Source::Kcnp, Target::Cnp, Kind::ClusterNetworkPolicy);
}

/// §3.5.
#[test]
fn kcnp_to_ccnp_on_random_cluster_network_policies() {
    run("kcnp -> ccnp", Source::Kcnp, Target::Ccnp, Kind::ClusterNetworkPolicy);
}
