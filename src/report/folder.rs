//! Writing a folder so that readers see either the old one or the complete new one.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Entries that lunchbench writes in a report or summary folder. An existing folder is
/// replaced only when it contains nothing else, so that a mistyped `--out` cannot delete
/// a user's own files.
const REPORT_ENTRIES: [&str; 9] = [
    "report.md",
    "results.json",
    "metrics.csv",
    "timings.csv",
    "charts",
    "predictions",
    "history",
    "summary.md",
    "summary.json",
];

/// Returns an error unless a report can replace `out`: `out` does not exist yet and its
/// nearest existing ancestor is a folder, or it is an empty folder, or it is an earlier
/// report or summary folder. Creates nothing.
pub fn check_target(out: &Path) -> Result<()> {
    let rejected =
        |message: String| Error::Write { path: out.into(), source: std::io::Error::other(message) };
    if out.file_name().is_none() {
        return Err(rejected(
            "is not a folder name that a report can replace; pass a new folder such as \
             reports/run1 to --out"
                .into(),
        ));
    }
    if out.exists() {
        if !out.is_dir() {
            return Err(rejected("exists and is not a folder; pass another --out".into()));
        }
        return check_earlier_report(out).map_err(rejected);
    }
    match out.ancestors().skip(1).find(|a| !a.as_os_str().is_empty() && a.exists()) {
        Some(ancestor) if !ancestor.is_dir() => Err(rejected(format!(
            "{} exists and is not a folder; pass another --out",
            ancestor.display()
        ))),
        _ => Ok(()),
    }
}

/// Returns a message unless the existing folder `out` is empty or contains only
/// [`REPORT_ENTRIES`], with results.json or summary.json among them.
fn check_earlier_report(out: &Path) -> std::result::Result<(), String> {
    let entries = std::fs::read_dir(out).map_err(|e| format!("cannot be read: {e}"))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot be read: {e}"))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    let foreign: Vec<&String> =
        names.iter().filter(|n| !REPORT_ENTRIES.contains(&n.as_str())).collect();
    let has_results = names.iter().any(|n| n == "results.json" || n == "summary.json");
    if names.is_empty() || (foreign.is_empty() && has_results) {
        return Ok(());
    }
    let reason = match foreign.first() {
        Some(name) => format!("it contains {name}, which lunchbench did not write"),
        None => "it has no results.json or summary.json".to_string(),
    };
    Err(format!(
        "is a folder but not an earlier lunchbench report ({reason}). A report replaces the \
         whole --out folder, so pass a new or empty folder to --out"
    ))
}

/// Runs `fill` on a fresh temporary folder beside `out`, then swaps it into place.
///
/// If `fill` fails, the temporary folder is removed and `out` is untouched.
pub fn write_atomically(out: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let write_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    // Checked again here, because the folder may have changed while the models ran.
    check_target(out)?;
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
        if let Err(source) = std::fs::rename(out, &previous) {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(Error::Write { path: out.into(), source });
        }
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

    fn write_results(text: &'static str) -> impl FnOnce(&Path) -> Result<()> {
        move |dir: &Path| {
            std::fs::write(dir.join("results.json"), text)
                .map_err(|e| Error::Write { path: dir.into(), source: e })
        }
    }

    #[test]
    fn failed_fill_keeps_previous_folder() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("report");
        write_atomically(&out, write_results("old")).unwrap();
        let result = write_atomically(&out, |dir| {
            std::fs::write(dir.join("results.json"), "new").unwrap();
            Err(Error::Check("simulated failure".into()))
        });
        assert!(result.is_err());
        assert_eq!(std::fs::read_to_string(out.join("results.json")).unwrap(), "old");
        let leftovers: Vec<_> = std::fs::read_dir(root.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temporary folder left behind");
    }

    #[test]
    fn successful_fill_replaces_folder() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("nested/report");
        write_atomically(&out, write_results("one")).unwrap();
        write_atomically(&out, write_results("two")).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("results.json")).unwrap(), "two");
    }

    #[test]
    fn empty_folder_is_replaced() {
        let root = tempfile::tempdir().unwrap();
        write_atomically(root.path(), write_results("new")).unwrap();
        assert_eq!(std::fs::read_to_string(root.path().join("results.json")).unwrap(), "new");
    }

    /// A folder with a user's own files in it, such as the input CSV, must survive.
    #[test]
    fn foreign_folder_is_kept() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("data");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("lab.csv"), "a,b\n1,2\n").unwrap();
        std::fs::write(out.join("results.json"), "{}").unwrap();

        let early = check_target(&out).unwrap_err().to_string();
        assert!(early.contains("lab.csv"), "{early}");
        assert!(early.contains("new or empty folder"), "{early}");
        let late = write_atomically(&out, write_results("new")).unwrap_err().to_string();
        assert!(late.contains("lab.csv"), "{late}");

        assert_eq!(std::fs::read_to_string(out.join("lab.csv")).unwrap(), "a,b\n1,2\n");
        assert_eq!(std::fs::read_to_string(out.join("results.json")).unwrap(), "{}");
        let leftovers: Vec<_> = std::fs::read_dir(root.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temporary folder left behind");
    }

    #[test]
    fn folder_without_results_is_kept() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("charts")).unwrap();
        let message = check_target(root.path()).unwrap_err().to_string();
        assert!(message.contains("no results.json"), "{message}");
        assert!(root.path().join("charts").exists());
    }

    #[test]
    fn dot_and_parent_are_rejected() {
        for out in [".", "..", "reports/.."] {
            let message = check_target(Path::new(out)).unwrap_err().to_string();
            assert!(message.contains("not a folder name"), "{out}: {message}");
        }
    }
}
