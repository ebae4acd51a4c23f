//! The example manifests from `examples/`, compiled in by `build.rs` so the
//! page never fetches anything after it has loaded.

/// One file of `examples/`.
#[derive(Debug, PartialEq, Eq)]
pub struct Example {
    /// File name without `.yaml`; also the `#example=<stem>` URL hash.
    pub stem: &'static str,
    /// The file's first comment line, up to its first full stop or colon.
    pub title: &'static str,
    pub text: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/examples.rs"));

/// What a first-time visitor sees: it has one deliberate mistake, so a
/// diagnostic shows at once.
pub const DEFAULT: &str = "getting-started";

pub fn find(stem: &str) -> Option<&'static Example> {
    EXAMPLES.iter().find(|e| e.stem == stem)
}

/// The example a URL hash such as `#example=online-boutique` names.
pub fn from_hash(hash: &str) -> Option<&'static Example> {
    hash.trim_start_matches('#')
        .split('&')
        .find_map(|part| part.strip_prefix("example="))
        .and_then(find)
}

/// The example to open with: the one in the URL hash, else [`DEFAULT`], else
/// the first there is.
pub fn initial(hash: &str) -> Option<&'static Example> {
    from_hash(hash).or_else(|| find(DEFAULT)).or_else(|| EXAMPLES.first())
}

/// The text as a textarea holds it: browsers turn CR LF into LF, and the
/// core's positions must refer to exactly what the textarea shows.
pub fn normalized(example: &Example) -> String {
    example.text.replace("\r\n", "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_file_is_compiled_in_with_a_title() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");
        let on_disk = std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "yaml"))
            .count();
        assert_eq!(EXAMPLES.len(), on_disk);
        assert!(EXAMPLES.windows(2).all(|w| w[0].stem < w[1].stem));
        for e in EXAMPLES {
            assert!(
                !e.title.is_empty() && !e.title.starts_with('#'),
                "{}: {:?}",
                e.stem,
                e.title
            );
            assert!(e.text.starts_with('#'), "{} starts with a comment", e.stem);
        }
        assert_eq!(find(DEFAULT).unwrap().title, "Getting started with netpolkit");
    }

    #[test]
    fn the_hash_picks_the_example() {
        let last = EXAMPLES.last().unwrap().stem;
        assert_eq!(initial(&format!("#example={last}")).unwrap().stem, last);
        assert_eq!(initial(&format!("#foo=1&example={last}")).unwrap().stem, last);
        assert_eq!(initial("#example=nope").unwrap().stem, DEFAULT);
        assert_eq!(initial("").unwrap().stem, DEFAULT);
    }
}
