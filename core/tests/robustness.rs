//! Nothing in the input can make the core panic: corpus and fixture texts
//! with random edits, and pathological shapes, all come back as diagnostics.

use proptest::prelude::*;

fn samples() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut texts: Vec<String> = std::fs::read_dir(dir)
        .expect("fixtures")
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    texts.sort();
    texts
}

/// Characters that matter to YAML, and some that do not.
const EDITS: &[&str] = &[
    ":", "-", " ", "\n", "[", "]", "{", "}", "'", "\"", "#", "&a", "*a", "!!str", "|", ">", "\t", "é", "---\n",
    "...\n", "? ", ",", "~", "<<: *a\n",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn edited_inputs_never_panic(which in 0usize..64, edits in prop::collection::vec((any::<u32>(), 0usize..EDITS.len(), any::<bool>()), 1..12)) {
        let texts = samples();
        let mut text = texts[which % texts.len()].clone();
        for (at, edit, delete) in edits {
            let mut at = at as usize % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            if delete && at < text.len() {
                let mut end = at + 1;
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                text.replace_range(at..end, "");
            } else {
                text.insert_str(at, EDITS[edit]);
            }
        }
        let checked = netpolkit::check(&text, &netpolkit::Options::default());
        // Every diagnostic points inside the text.
        for d in &checked.diagnostics {
            prop_assert!(d.span.start <= d.span.end && d.span.end <= text.len(), "{:?} outside {} bytes", d.span, text.len());
            prop_assert!(text.is_char_boundary(d.span.start) && text.is_char_boundary(d.span.end));
        }
        let report = netpolkit::report(&text, &checked);
        prop_assert_eq!(report.diagnostics.len(), checked.diagnostics.len());
    }
}

/// Deep nesting is refused at 64 levels by the parser's budget; everything up
/// to that must fit in a browser's 1 MiB stack (the test runs in such a thread).
#[test]
fn pathological_shapes_are_diagnostics() {
    let worker = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(pathological_shapes);
    worker.expect("spawn").join().expect("no panic, no stack overflow");
}

fn pathological_shapes() {
    let cases = [
        (0..63).map(|i| format!("{}k:\n", "  ".repeat(i))).collect(),
        format!("spec: {}{}", "{a: ".repeat(62), "}".repeat(62)),
        format!("spec:\n  podSelector:\n    matchLabels: {}{}", "[".repeat(60), "]".repeat(60)),
        format!("a: {}{}", "[".repeat(100_000), "]".repeat(100_000)),
        (0..2000).map(|i| format!("{}k:\n", "  ".repeat(i))).collect(),
        "a: &a [*a]\n".to_owned(),
        "x: &x\n  y: *x\n".to_owned(),
        "\u{feff}\u{0}".to_owned(),
        "---\n---\n---\n".to_owned(),
        "- &a [a, a, a, a, a, a, a, a, a]\n- &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n- &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n- &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n- &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n- &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n- &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n".to_owned(),
        "kind: List\nitems: [1, null, [], {kind: List, items: [{kind: Pod}]}]\n".to_owned(),
    ];
    for text in &cases {
        let checked = netpolkit::check(text, &netpolkit::Options::default());
        assert!(
            checked.diagnostics.iter().all(|d| d.span.end <= text.len()),
            "span outside the text for {:?}",
            &text[..text.len().min(40)]
        );
    }
}
