//! `diff` at the benchmark's scale (1,000 pods, 500 policies): a change to
//! one port of one policy must be found, and nothing else reported. The
//! first comparison materialised a bounded matrix and missed exactly this.

use netpolkit::compare::{diff, DiffOptions};

#[path = "../benches/generate.rs"]
mod generate;

#[test]
fn one_port_of_one_policy_is_found_among_500() {
    let old = generate::cluster(1000, 500);
    // p-0 selects `app: app-47` in ns-4 and allows ingress on port 80 and `http`.
    let start = old.find("  name: p-0\n").expect("policy p-0");
    let at = start + old[start..].find("    - port: 80\n").expect("p-0 allows port 80");
    let new = format!(
        "{}    - port: 8443\n{}",
        &old[..at],
        &old[at + "    - port: 80\n".len()..]
    );

    let d = diff(&old, &new, &DiffOptions::default());
    let c = &d.comparison;
    assert!(!c.truncated, "the universe was cut down");
    assert!(
        c.endpoints > 1000,
        "the given pods and the generated ones: {}",
        c.endpoints
    );
    assert!(c.differing > 0, "the changed port was not found");
    assert_eq!(c.differing, c.differences.len() as u64);
    for f in &c.differences {
        // Only flows into p-0's pods, on the old or the new port, and in the
        // direction the change implies.
        assert!(f.to.contains("ns-4/") && f.to.contains("app=app-47"), "{f:?}");
        match f.port.as_str() {
            "TCP/80" => assert!(f.old_allowed && !f.new_allowed, "{f:?}"),
            "TCP/8443" => assert!(!f.old_allowed && f.new_allowed, "{f:?}"),
            other => panic!("unexpected port {other}: {f:?}"),
        }
        assert!(
            f.new_reasons
                .iter()
                .chain(&f.old_reasons)
                .any(|r| r.contains("ns-4/p-0")),
            "{f:?}"
        );
    }
    assert!(c.differences.iter().any(|f| f.port == "TCP/80"));
    assert!(c.differences.iter().any(|f| f.port == "TCP/8443"));
}
