//! The independent oracle of `tests/upstream_oracle.rs`: a reference
//! evaluator written from the Kubernetes documentation, and a generator of
//! small random clusters.

pub mod cilium_generate;
pub mod generate;
pub mod reference;
