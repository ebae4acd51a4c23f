//! The YAML layer: the only module that knows the YAML library.
//!
//! Reading turns text into [`Node`] trees (one per document) that carry byte
//! spans into the whole input; the model reader works on those trees and
//! never sees the library. Writing turns an [`Out`] tree into YAML or JSON.
//!
//! Why a span-carrying tree instead of deserializing straight into typed
//! structs: a typed deserializer stops at the first problem of a document and
//! knows no field paths, while an editor needs every problem of every
//! document, each with a path and a location.
//!
//! Reading is built on the events of granit-parser (the parser serde-saphyr
//! itself runs on) rather than on serde-saphyr's deserializer: the tree needs
//! only events with spans, and leaving the deserializer out takes 125 KB
//! (gzipped) off the `.wasm`. Writing is our own (`emit.rs` lays out,
//! `style.rs` picks plain, quoted or block style, `plain.rs` decides what
//! may go unquoted): it replaced serde-saphyr's serializer, whose output it
//! reproduces byte for byte on every manifest we have (it only quotes a few
//! more odd strings), to leave serde-saphyr out of the `.wasm` and to write
//! large outputs about three times faster. The quoting is what keeps
//! YAML 1.1 readers (kubectl) from misreading strings.

mod build;
mod emit;
mod events;
mod limits;
mod merge;
mod plain;
mod scalar;
mod split;
mod style;
mod tag;
mod tree;

pub use emit::{to_json, to_yaml, walk, Leaf, Out, OutBuilder, Sink, YamlWriter};
pub use split::{parse_stream, RawDocument};
pub use tree::{Entry, Node, Value};
