//! The YAML layer: the only module that knows the YAML library.
//!
//! Reading turns text into [`Node`] trees (one per document) that carry byte
//! spans into the whole input; the model reader works on those trees and
//! never sees the library. Writing turns an [`Out`] tree into YAML or JSON.
//!
//! Why a span-carrying tree instead of deserializing straight into typed
//! structs: a typed deserializer stops at the first problem of a document and
//! knows no field paths, while an editor needs every problem of every
//! document, each with a path and a location. The tree is built by a
//! hand-written serde visitor (`visit_i64`/`visit_u64`/`visit_str` behind
//! `deserialize_any`, which is what keeps int-or-string values and their
//! locations intact) wrapped in serde-saphyr's `Spanned`.

mod emit;
mod split;
mod tree;

pub use emit::{to_json, to_yaml, Out};
pub use split::{parse_stream, RawDocument};
pub use tree::{Entry, Node, Value};
