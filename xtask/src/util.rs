//! Running commands: PATH with the project's tools first, output shown as it
//! comes, and the runners' own summary lines kept for the end.

use std::ffi::OsStr;
use std::fmt;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// An xtask failure: what went wrong, in one sentence.
#[derive(Debug)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error(e.to_string())
    }
}

impl From<String> for Error {
    fn from(e: String) -> Self {
        Error(e)
    }
}

impl From<&str> for Error {
    fn from(e: &str) -> Self {
        Error(e.to_owned())
    }
}

pub type Result<T = ()> = std::result::Result<T, Error>;

/// Where the repository is, and the PATH its commands run with.
pub struct Ctx {
    pub root: PathBuf,
    path: std::ffi::OsString,
}

impl Ctx {
    pub fn new() -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let mut dirs = vec![root.join(".tools/node_modules/.bin")];
        if let Some(home) = std::env::var_os("CARGO_HOME") {
            dirs.push(PathBuf::from(home).join("bin"));
        } else if let Some(home) = std::env::var_os("HOME") {
            dirs.push(PathBuf::from(home).join(".cargo/bin"));
        }
        if let Some(existing) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&existing));
        }
        let path = std::env::join_paths(dirs).unwrap_or_default();
        Ctx { root, path }
    }

    /// A command run from the repository root with the project's PATH.
    pub fn cmd(&self, program: impl AsRef<OsStr>) -> Cmd {
        let mut command = Command::new(program);
        command.current_dir(&self.root).env("PATH", &self.path);
        Cmd { command }
    }

    /// Whether `program` is on the project's PATH.
    pub fn has(&self, program: &str) -> bool {
        std::env::split_paths(&self.path).any(|d| d.join(program).is_file())
    }

    /// The first line `program --version` prints, if it runs.
    pub fn version_of(&self, program: &str) -> Option<String> {
        let out = self
            .cmd(program)
            .arg("--version")
            .command
            .stderr(Stdio::null())
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .map(|l| l.trim().to_owned())
    }
}

/// A command being prepared.
pub struct Cmd {
    command: Command,
}

/// The summary lines a test runner printed, to repeat at the end of `test`.
#[derive(Clone, Debug)]
pub struct Summary {
    pub runner: String,
    pub lines: Vec<String>,
}

impl Cmd {
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.command.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.command.env(key, value);
        self
    }

    pub fn dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.command.current_dir(dir);
        self
    }

    fn describe(&self) -> String {
        let mut s = self.command.get_program().to_string_lossy().into_owned();
        for a in self.command.get_args() {
            s.push(' ');
            s.push_str(&a.to_string_lossy());
        }
        s
    }

    /// Runs with inherited output; fails on a non-zero exit.
    pub fn run(mut self) -> Result {
        let what = self.describe();
        eprintln!("$ {what}");
        let status = self
            .command
            .status()
            .map_err(|e| Error(format!("cannot run `{what}`: {e}")))?;
        if status.success() {
            Ok(())
        } else {
            Err(Error(format!("`{what}` failed ({status})")))
        }
    }

    /// Runs and returns stdout (stderr passes through); fails on a non-zero exit.
    pub fn read(mut self) -> Result<String> {
        let what = self.describe();
        let out = self
            .command
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| Error(format!("cannot run `{what}`: {e}")))?;
        if !out.status.success() {
            return Err(Error(format!("`{what}` failed ({})", out.status)));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Runs a test runner: shows its output as it comes (stderr merged into
    /// stdout order is not guaranteed), keeps the lines `is_summary` picks,
    /// and fails on a non-zero exit.
    pub fn run_tests(mut self, runner: &str, is_summary: impl Fn(&str) -> bool) -> Result<Summary> {
        let what = self.describe();
        eprintln!("$ {what}");
        let mut child = self
            .command
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| Error(format!("cannot run `{what}`: {e}")))?;
        let mut lines = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            for line in BufReader::new(stdout).lines() {
                let line = line?;
                println!("{line}");
                if is_summary(&line) {
                    lines.push(line.trim().to_owned());
                }
            }
        }
        let status = child.wait()?;
        if !status.success() {
            return Err(Error(format!("`{what}` failed ({status})")));
        }
        Ok(Summary {
            runner: runner.to_owned(),
            lines,
        })
    }
}

/// `cargo test` and `wasm-bindgen-test-runner` summary lines.
pub fn is_cargo_summary(line: &str) -> bool {
    line.trim_start().starts_with("test result:")
}

/// `node --test` (TAP) summary lines.
pub fn is_node_summary(line: &str) -> bool {
    let l = line.trim_start();
    ["# tests", "# pass", "# fail", "# skipped", "# duration_ms"]
        .iter()
        .any(|p| l.starts_with(p))
}
