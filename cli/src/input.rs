//! Reading the inputs: files, directories (recursively) and stdin.

use std::io::Read;
use std::path::{Path, PathBuf};

/// One text to check, and the name to show for it.
pub struct Input {
    pub name: String,
    pub text: String,
}

/// Reads every path: `-` is stdin, a directory contributes its `.yaml`,
/// `.yml` and `.json` files (sorted, hidden entries skipped).
pub fn collect(paths: &[String]) -> Result<Vec<Input>, String> {
    let mut inputs = Vec::new();
    for path in paths {
        if path == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| format!("cannot read stdin: {e}"))?;
            inputs.push(Input {
                name: "<stdin>".to_owned(),
                text,
            });
            continue;
        }
        let path = Path::new(path);
        if path.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            files.sort();
            for file in files {
                inputs.push(read(&file)?);
            }
        } else {
            inputs.push(read(path)?);
        }
    }
    Ok(inputs)
}

fn read(path: &Path) -> Result<Input, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8 text", path.display()))?;
    Ok(Input {
        name: path.display().to_string(),
        text,
    })
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if entry.file_type()?.is_dir() {
            walk(&path, files)?;
        } else if matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json")) {
            files.push(path);
        }
    }
    Ok(())
}
