//! Policy changes that restore, under the target, the flows the policies
//! allowed before (AKS FAQ; cilium-semantics §3.6), proven by the engine.

use super::{max_explained, MigrateOptions, Rewrite, Sides};
use crate::compare::{compare, CompareOptions, Side};

/// The rewrite of `text`, read as `sides`.
pub fn rewrite_sides(text: &str, sides: &Sides, options: &MigrateOptions) -> Rewrite {
    let proof = compare(
        &sides.workloads(),
        Side {
            profile: &sides.before.profile,
            lowered: &sides.before.lowered,
        },
        Side {
            profile: &sides.after.profile,
            lowered: &sides.after.lowered,
        },
        &CompareOptions {
            generate: true,
            max_explained: max_explained(options),
        },
    );
    Rewrite {
        text: text.to_owned(),
        edits: Vec::new(),
        diagnostics: Vec::new(),
        proof,
    }
}
