//! `results.json`: the whole report for machines. NaN values are written as `null`.

use std::path::Path;

use super::Report;
use crate::error::{Error, Result};

pub fn write(report: &Report, dir: &Path) -> Result<()> {
    let path = dir.join("results.json");
    let text = serde_json::to_string_pretty(report)
        .map_err(|e| Error::Write { path: path.clone(), source: std::io::Error::other(e) })?;
    std::fs::write(&path, text + "\n").map_err(|source| Error::Write { path, source })
}
