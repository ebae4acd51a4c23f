//! `cargo xtask setup`: install what is missing, skip what is present at
//! the right version. Everything comes from apt, crates.io and npm.

use std::path::Path;
use std::thread;

use crate::pins;
use crate::util::{Ctx, Error, Result};

/// What a command needs installed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Building and serving the editor.
    Serve,
    /// Everything `cargo xtask test` runs.
    Test,
}

pub fn setup(ctx: &Ctx, needs: Needs) -> Result {
    crate::versions::check(ctx)?;
    wasm_target(ctx)?;
    rust_tools(ctx)?;
    node_tools(ctx)?;
    if needs == Needs::Test {
        chromium(ctx)?;
        js_test_dependencies(ctx)?;
    }
    eprintln!("setup: all tools present");
    Ok(())
}

fn wasm_target(ctx: &Ctx) -> Result {
    let installed = ctx.cmd("rustup").args(["target", "list", "--installed"]).read()?;
    if installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        return Ok(());
    }
    ctx.cmd("rustup")
        .args(["target", "add", "wasm32-unknown-unknown"])
        .run()
}

/// wasm-bindgen-cli and trunk compile from source (about 20 minutes on two
/// cores the first time), so the two installs run side by side.
fn rust_tools(ctx: &Ctx) -> Result {
    let want_bindgen = format!("wasm-bindgen {}", pins::WASM_BINDGEN);
    let want_trunk = format!("trunk {}", pins::TRUNK);
    let need_bindgen = ctx.version_of("wasm-bindgen").as_deref() != Some(want_bindgen.as_str());
    let need_trunk = ctx.version_of("trunk").as_deref() != Some(want_trunk.as_str());
    thread::scope(|s| {
        // Not --locked: the lockfile inside wasm-bindgen-cli 0.2.130 pins a
        // webpki-roots version crates.io no longer serves.
        let bindgen = need_bindgen.then(|| {
            s.spawn(|| {
                ctx.cmd("cargo")
                    .args([
                        "install",
                        "--force",
                        &format!("wasm-bindgen-cli@{}", pins::WASM_BINDGEN),
                    ])
                    .run()
            })
        });
        let trunk = need_trunk.then(|| {
            s.spawn(|| {
                ctx.cmd("cargo")
                    .args(["install", "--force", "--locked", &format!("trunk@{}", pins::TRUNK)])
                    .run()
            })
        });
        for handle in [bindgen, trunk].into_iter().flatten() {
            handle
                .join()
                .map_err(|_| Error("an install thread panicked".into()))??;
        }
        Ok::<(), Error>(())
    })?;
    for (tool, want) in [("wasm-bindgen", &want_bindgen), ("trunk", &want_trunk)] {
        if ctx.version_of(tool).as_deref() != Some(want.as_str()) {
            return Err(Error(format!("{tool} is not `{want}` after installing it")));
        }
    }
    Ok(())
}

/// wasm-opt from npm `binaryen`, into the project-local `.tools/`.
fn node_tools(ctx: &Ctx) -> Result {
    let wanted = format!("(version_{})", pins::BINARYEN);
    if ctx.version_of("wasm-opt").is_some_and(|v| v.ends_with(&wanted))
        && ctx.root.join(".tools/node_modules/.bin/wasm-opt").exists()
    {
        return Ok(());
    }
    let tools = ctx.root.join(".tools");
    std::fs::create_dir_all(&tools)?;
    for file in ["package.json", "package-lock.json"] {
        std::fs::copy(ctx.root.join("xtask/tools").join(file), tools.join(file))?;
    }
    ctx.cmd("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .dir(&tools)
        .run()?;
    match ctx.version_of("wasm-opt") {
        Some(v) if v.ends_with(&wanted) => Ok(()),
        other => Err(Error(format!("wasm-opt reports {other:?}, wanted {wanted}"))),
    }
}

/// Debian's chromium and chromedriver, for the WASM and end-to-end tests.
fn chromium(ctx: &Ctx) -> Result {
    if Path::new("/usr/bin/chromium").exists() && Path::new("/usr/bin/chromedriver").exists() {
        return Ok(());
    }
    let root = ctx.cmd("id").arg("-u").read().map(|s| s.trim() == "0").unwrap_or(false);
    let apt = |args: &[&str]| {
        let cmd = if root {
            ctx.cmd("apt-get")
        } else {
            ctx.cmd("sudo").arg("apt-get")
        };
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive").run()
    };
    apt(&["update"])?;
    apt(&[
        "install",
        "-y",
        "--no-install-recommends",
        "chromium",
        "chromium-driver",
    ])
}

/// playwright-core for the editor's end-to-end test, from its lockfile;
/// reinstalled only when the lockfile changes.
fn js_test_dependencies(ctx: &Ctx) -> Result {
    let dir = ctx.root.join("tests/e2e");
    let lock = std::fs::read(dir.join("package-lock.json"))?;
    let stamp_path = dir.join("node_modules/.netpolkit-lock");
    if std::fs::read(&stamp_path).ok().as_deref() == Some(lock.as_slice()) {
        return Ok(());
    }
    // PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: the tests use Debian's chromium.
    ctx.cmd("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .dir(&dir)
        .run()?;
    std::fs::write(stamp_path, lock)?;
    Ok(())
}
