//! The tool versions the project builds with: the one place they are pinned.
//! `cargo xtask versions` checks that Cargo.toml, Cargo.lock and Trunk.toml agree.

/// wasm-bindgen: the crate (exact pin in the workspace Cargo.toml), the CLI
/// that post-processes the .wasm and the test runner must all be this version.
pub const WASM_BINDGEN: &str = "0.2.130";
/// Trunk 0.22 needs rustc 1.96; 0.21.14 builds on 1.95.
pub const TRUNK: &str = "0.21.14";
/// wasm-opt comes from npm `binaryen` (Debian's 108 cannot read rustc's output).
pub const BINARYEN: &str = "132";
