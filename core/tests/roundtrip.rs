//! parse → emit → parse yields an equal model, for generated manifests full
//! of the strings YAML 1.1 readers misread (`on`, `yes`, `0755`, `~`...),
//! and `fmt` is idempotent. Generation is seeded (proptest), so failures
//! reproduce.

use netpolkit::emit::{self, Format};
use netpolkit::yaml::{to_yaml, Out};
use proptest::prelude::*;

/// A tiny deterministic generator driven by one seed.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    /// Strings chosen to break naive YAML emitters.
    fn text(&mut self) -> String {
        const TRICKY: &[&str] = &[
            "on",
            "off",
            "yes",
            "no",
            "y",
            "n",
            "Y",
            "No",
            "true",
            "False",
            "null",
            "Null",
            "~",
            "0755",
            "1e3",
            "0x1F",
            "12",
            "1.5",
            ".inf",
            "-",
            "- a",
            "a: b",
            "#x",
            "",
            " padded ",
            "multi\nline",
            "ünïcödé",
            "@at",
            "`tick`",
            "'quote",
            "\"dq",
            "k8s:app",
            "*.example.com",
            "a,b",
            "[x]",
            "{y}",
            "!tag",
            "&anchor",
            "*alias",
            "%pct",
            "2026-01-01",
            "10:20",
            "<<",
        ];
        const PLAIN: &[&str] = &[
            "web",
            "api",
            "db",
            "shop",
            "frontend",
            "role",
            "tier",
            "app.kubernetes.io/name",
        ];
        if self.chance(40) {
            self.pick(TRICKY).to_owned()
        } else {
            self.pick(PLAIN).to_owned()
        }
    }

    /// Valid label keys, some of which YAML 1.1 reads as booleans or null.
    fn label_key(&mut self) -> String {
        self.pick(&[
            "app",
            "tier",
            "role",
            "app.kubernetes.io/name",
            "k8s-app",
            "on",
            "yes",
            "y",
            "No",
            "true",
            "null",
        ])
        .to_owned()
    }

    /// Valid label values, many of which YAML 1.1 reads as something else.
    fn label_value(&mut self) -> String {
        self.pick(&[
            "on", "yes", "No", "true", "null", "0755", "1e3", "12", "1.5", "", "y", "n", "Y", "web", "api", "0x1F",
        ])
        .to_owned()
    }

    /// Object names: valid DNS names, tricky ones included.
    fn name(&mut self) -> String {
        if self.chance(85) {
            self.pick(&[
                "web",
                "allow-dns",
                "on",
                "yes",
                "null",
                "0755",
                "1e3",
                "y",
                "default-deny",
            ])
            .to_owned()
        } else {
            self.text()
        }
    }

    fn map(&mut self, max: u64) -> Out {
        let n = self.below(max + 1);
        if self.chance(80) {
            Out::Map(
                (0..n)
                    .map(|_| (self.label_key(), Out::Str(self.label_value())))
                    .collect(),
            )
        } else {
            Out::Map((0..n).map(|_| (self.text(), Out::Str(self.text()))).collect())
        }
    }

    fn selector(&mut self) -> Out {
        let mut entries = Vec::new();
        if self.chance(70) {
            entries.push(("matchLabels".to_owned(), self.map(3)));
        }
        if self.chance(30) {
            let ops = ["In", "NotIn", "Exists", "DoesNotExist"];
            let n = self.below(3);
            let items = (0..n)
                .map(|_| {
                    let mut e = vec![
                        ("key".to_owned(), Out::Str(self.label_key())),
                        ("operator".to_owned(), Out::Str(self.pick(&ops).to_owned())),
                    ];
                    if self.chance(60) {
                        let values = (0..self.below(3)).map(|_| Out::Str(self.label_value())).collect();
                        e.push(("values".to_owned(), Out::Seq(values)));
                    }
                    Out::Map(e)
                })
                .collect();
            entries.push(("matchExpressions".to_owned(), Out::Seq(items)));
        }
        Out::Map(entries)
    }

    fn metadata(&mut self, namespaced: bool) -> Out {
        let mut m = vec![("name".to_owned(), Out::Str(self.name()))];
        if namespaced && self.chance(70) {
            m.push(("namespace".to_owned(), Out::Str(self.name())));
        }
        if self.chance(40) {
            m.push(("labels".to_owned(), self.map(3)));
        }
        if self.chance(20) {
            m.push(("annotations".to_owned(), self.map(2)));
        }
        Out::Map(m)
    }

    fn list(&mut self, max: u64, item: impl Fn(&mut Gen) -> Out) -> Out {
        let n = self.below(max + 1);
        Out::Seq((0..n).map(|_| item(self)).collect())
    }

    fn knp(&mut self) -> Out {
        let rule = |g: &mut Gen, peers: &str| {
            let mut r = Vec::new();
            if g.chance(70) {
                let peer = |g: &mut Gen| {
                    let mut p = Vec::new();
                    match g.below(3) {
                        0 => p.push(("podSelector".to_owned(), g.selector())),
                        1 => {
                            p.push(("namespaceSelector".to_owned(), g.selector()));
                            if g.chance(50) {
                                p.push(("podSelector".to_owned(), g.selector()));
                            }
                        }
                        _ => {
                            let mut b = vec![(
                                "cidr".to_owned(),
                                Out::str(g.pick(&["10.0.0.0/8", "fd00::/8", "1.2.3.4/32"])),
                            )];
                            if g.chance(50) {
                                b.push(("except".to_owned(), Out::Seq(vec![Out::str("10.1.0.0/16")])));
                            }
                            p.push(("ipBlock".to_owned(), Out::Map(b)));
                        }
                    }
                    Out::Map(p)
                };
                r.push((peers.to_owned(), g.list(3, peer)));
            }
            if g.chance(60) {
                let port = |g: &mut Gen| {
                    let mut p = Vec::new();
                    if g.chance(60) {
                        p.push(("protocol".to_owned(), Out::str(g.pick(&["TCP", "UDP", "SCTP"]))));
                    }
                    if g.chance(80) {
                        p.push((
                            "port".to_owned(),
                            if g.chance(70) {
                                Out::Int(g.below(65535) as i64 + 1)
                            } else {
                                Out::str(g.pick(&["http", "dns-tcp", "80"]))
                            },
                        ));
                    }
                    if g.chance(20) {
                        p.push(("endPort".to_owned(), Out::Int(g.below(65535) as i64 + 1)));
                    }
                    Out::Map(p)
                };
                r.push(("ports".to_owned(), g.list(3, port)));
            }
            Out::Map(r)
        };
        let mut spec = vec![("podSelector".to_owned(), self.selector())];
        if self.chance(50) {
            spec.push((
                "policyTypes".to_owned(),
                self.list(2, |g| Out::str(g.pick(&["Ingress", "Egress"]))),
            ));
        }
        if self.chance(70) {
            spec.push(("ingress".to_owned(), self.list(3, |g| rule(g, "from"))));
        }
        if self.chance(50) {
            spec.push(("egress".to_owned(), self.list(3, |g| rule(g, "to"))));
        }
        Out::Map(vec![
            ("apiVersion".to_owned(), Out::str("networking.k8s.io/v1")),
            ("kind".to_owned(), Out::str("NetworkPolicy")),
            ("metadata".to_owned(), self.metadata(true)),
            ("spec".to_owned(), Out::Map(spec)),
        ])
    }

    fn cilium_rule(&mut self, from: bool) -> Out {
        let dir = if from { "from" } else { "to" };
        let mut r = Vec::new();
        match self.below(5) {
            0 => r.push((format!("{dir}Endpoints"), self.list(2, |g| g.selector()))),
            1 => r.push((format!("{dir}CIDR"), Out::Seq(vec![Out::str("10.0.0.0/8")]))),
            2 => r.push((
                format!("{dir}CIDRSet"),
                Out::Seq(vec![Out::Map(vec![
                    ("cidr".to_owned(), Out::str("10.0.0.0/8")),
                    ("except".to_owned(), Out::Seq(vec![Out::str("10.96.0.0/12")])),
                ])]),
            )),
            3 => r.push((
                format!("{dir}Entities"),
                self.list(3, |g| {
                    Out::str(g.pick(&["world", "cluster", "host", "remote-node", "all"]))
                }),
            )),
            _ => {}
        }
        if self.chance(60) {
            let ports = self.list(3, |g| {
                let mut p = vec![(
                    "port".to_owned(),
                    Out::Str(g.pick(&["80", "443", "0", "http", "8080"]).to_owned()),
                )];
                if g.chance(60) {
                    p.push(("protocol".to_owned(), Out::str(g.pick(&["TCP", "UDP", "ANY", "SCTP"]))));
                }
                Out::Map(p)
            });
            let mut port_rule = vec![("ports".to_owned(), ports)];
            if self.chance(30) {
                port_rule.push((
                    "rules".to_owned(),
                    Out::Map(vec![(
                        "http".to_owned(),
                        self.list(2, |g| {
                            Out::Map(vec![
                                ("method".to_owned(), Out::str(g.pick(&["GET", "POST"]))),
                                ("path".to_owned(), Out::Str(format!("/{}", g.text()))),
                            ])
                        }),
                    )]),
                ));
            }
            r.push(("toPorts".to_owned(), Out::Seq(vec![Out::Map(port_rule)])));
        }
        Out::Map(r)
    }

    fn cnp(&mut self, clusterwide: bool) -> Out {
        let mut spec = vec![];
        if self.chance(30) {
            spec.push(("description".to_owned(), Out::Str(self.text())));
        }
        spec.push(("endpointSelector".to_owned(), self.selector()));
        if self.chance(20) {
            spec.push((
                "enableDefaultDeny".to_owned(),
                Out::Map(vec![("ingress".to_owned(), Out::Bool(self.chance(50)))]),
            ));
        }
        for (key, from) in [
            ("ingress", true),
            ("ingressDeny", true),
            ("egress", false),
            ("egressDeny", false),
        ] {
            if self.chance(40) {
                spec.push((key.to_owned(), self.list(2, |g| g.cilium_rule(from))));
            }
        }
        let kind = if clusterwide {
            "CiliumClusterwideNetworkPolicy"
        } else {
            "CiliumNetworkPolicy"
        };
        Out::Map(vec![
            ("apiVersion".to_owned(), Out::str("cilium.io/v2")),
            ("kind".to_owned(), Out::str(kind)),
            ("metadata".to_owned(), self.metadata(!clusterwide)),
            ("spec".to_owned(), Out::Map(spec)),
        ])
    }

    fn stream(&mut self) -> Vec<Out> {
        (0..1 + self.below(4))
            .map(|_| match self.below(3) {
                0 => self.knp(),
                1 => self.cnp(false),
                _ => self.cnp(true),
            })
            .collect()
    }
}

fn round_trip(text: &str) -> Result<(), TestCaseError> {
    let first = netpolkit::parse(text);
    let emitted = emit::render(&emit::formatted(text, &first), Format::Yaml);
    let second = netpolkit::parse(&emitted);
    prop_assert_eq!(
        first.documents.len(),
        second.documents.len(),
        "documents lost:\n{}",
        emitted
    );
    for (a, b) in first.documents.iter().zip(&second.documents) {
        prop_assert_eq!(
            &a.manifest,
            &b.manifest,
            "changed by emit:\n--- input\n{}\n--- emitted\n{}",
            text,
            emitted
        );
    }
    // What was valid stays valid; what had no YAML problems still has none.
    prop_assert_eq!(
        first.has_errors(),
        second.has_errors(),
        "validity changed:\n{}",
        emitted
    );
    let again = emit::render(&emit::formatted(&emitted, &second), Format::Yaml);
    prop_assert_eq!(&emitted, &again, "fmt is not idempotent");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn generated_manifests_round_trip(seed in any::<u64>()) {
        let mut g = Gen(seed | 1);
        let text = to_yaml(&g.stream());
        round_trip(&text)?;
    }
}

/// The generator must exercise the model emitter, not only the fallback for
/// documents with errors: a good share of documents must be error-free.
#[test]
fn generator_produces_valid_documents() {
    let (mut valid, mut total) = (0, 0);
    for seed in 1..500u64 {
        let mut g = Gen(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        for doc in g.stream() {
            let text = to_yaml(&[doc]);
            total += 1;
            if !netpolkit::check(&text, &netpolkit::Options::default()).has_errors() {
                valid += 1;
            }
        }
    }
    assert!(
        valid * 4 >= total,
        "only {valid} of {total} generated documents are valid"
    );
}

#[test]
fn tricky_strings_survive() {
    let text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: x\n  labels:\n    a: 'on'\n    b: '0755'\n    c: '~'\n    d: '1e3'\n    e: 'null'\n    f: 'yes'\nspec:\n  podSelector: {}\n";
    let parsed = netpolkit::parse(text);
    assert!(!parsed.has_errors(), "{:?}", parsed.diagnostics);
    let emitted = emit::render(&emit::formatted(text, &parsed), Format::Yaml);
    for value in ["on", "0755", "~", "1e3", "null", "yes"] {
        assert!(
            emitted.contains(&format!("\"{value}\"")) || emitted.contains(&format!("'{value}'")),
            "{value} not quoted in\n{emitted}"
        );
    }
    round_trip(text).unwrap();
}
