//! Writing a folder so that readers see either the old one or the complete new one.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Returns an error unless `out` is a folder or can become one: it does not exist yet
/// and its nearest existing ancestor is a folder. Creates nothing.
pub fn check_target(out: &Path) -> Result<()> {
    let not_a_folder = |path: &Path| Error::Write {
        path: out.into(),
        source: std::io::Error::other(format!(
            "{} exists and is not a folder; pass another --out",
            path.display()
        )),
    };
    if out.exists() {
        return if out.is_dir() { Ok(()) } else { Err(not_a_folder(out)) };
    }
    match out.ancestors().skip(1).find(|a| !a.as_os_str().is_empty() && a.exists()) {
        Some(ancestor) if !ancestor.is_dir() => Err(not_a_folder(ancestor)),
        _ => Ok(()),
    }
}

/// Runs `fill` on a fresh temporary folder beside `out`, then swaps it into place.
///
/// If `fill` fails, the temporary folder is removed and `out` is untouched.
pub fn write_atomically(out: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let write_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    if out.exists() && !out.is_dir() {
        return Err(Error::Write {
            path: out.into(),
            source: std::io::Error::other("exists and is not a folder; pass another --out"),
        });
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(write_error(&parent))?;
    let name =
        out.file_name().map_or_else(|| "report".into(), |n| n.to_string_lossy().into_owned());
    let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(write_error(&staging))?;
    }
    // Errors name `out`, the folder the user asked for, not the temporary one.
    std::fs::create_dir_all(&staging).map_err(write_error(out))?;

    if let Err(error) = fill(&staging) {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(error);
    }

    let previous = parent.join(format!(".{name}.previous-{}", std::process::id()));
    let had_previous = out.exists();
    if had_previous {
        std::fs::rename(out, &previous).map_err(write_error(out))?;
    }
    if let Err(source) = std::fs::rename(&staging, out) {
        if had_previous {
            let _ = std::fs::rename(&previous, out);
        }
        let _ = std::fs::remove_dir_all(&staging);
        return Err(Error::Write { path: out.into(), source });
    }
    if had_previous {
        if let Err(error) = std::fs::remove_dir_all(&previous) {
            log::warn!("cannot remove the previous report at {}: {error}", previous.display());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_fill_keeps_previous_folder() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("report");
        write_atomically(&out, |dir| {
            std::fs::write(dir.join("a.txt"), "old")
                .map_err(|e| Error::Write { path: dir.into(), source: e })
        })
        .unwrap();
        let result = write_atomically(&out, |dir| {
            std::fs::write(dir.join("a.txt"), "new").unwrap();
            Err(Error::Check("simulated failure".into()))
        });
        assert!(result.is_err());
        assert_eq!(std::fs::read_to_string(out.join("a.txt")).unwrap(), "old");
        let leftovers: Vec<_> = std::fs::read_dir(root.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temporary folder left behind");
    }

    #[test]
    fn successful_fill_replaces_folder() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("nested/report");
        let write = |text: &'static str| {
            move |dir: &Path| {
                std::fs::write(dir.join("a.txt"), text)
                    .map_err(|e| Error::Write { path: dir.into(), source: e })
            }
        };
        write_atomically(&out, write("one")).unwrap();
        write_atomically(&out, write("two")).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a.txt")).unwrap(), "two");
    }
}
