//! Results that scikit-learn and Keras recorded on the same split, read from the JSON
//! file that `baselines/peers.py` writes.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Peer results for one data set.
#[derive(Debug, Clone, Serialize)]
pub struct PeerResults {
    pub source: String,
    pub date: String,
    pub versions: BTreeMap<String, String>,
    pub models: Vec<PeerModel>,
}

/// One peer model's summary across targets, and its fit time.
#[derive(Debug, Clone, Serialize)]
pub struct PeerModel {
    pub name: String,
    pub description: String,
    pub mean_rmse: f64,
    pub median_rmse: f64,
    /// None when R² is undefined for every target.
    pub mean_r2: Option<f64>,
    pub fit_seconds: f64,
    pub timing_note: String,
}

#[derive(Deserialize)]
struct PeerFile {
    dataset_sha256: String,
    date: String,
    versions: BTreeMap<String, String>,
    #[serde(default)]
    model_settings: BTreeMap<String, String>,
    models: BTreeMap<String, PeerEntry>,
}

#[derive(Deserialize)]
struct PeerEntry {
    summary: PeerSummary,
    fit_seconds: f64,
    #[serde(default)]
    timing_note: String,
}

#[derive(Deserialize)]
struct PeerSummary {
    mean_rmse: f64,
    median_rmse: f64,
    mean_r2: Option<f64>,
}

/// Reads peer results from `path` when it exists and was recorded on a file with
/// checksum `sha256`; otherwise returns None and logs why.
pub fn load(path: &Path, sha256: &str) -> Option<PeerResults> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => {
            log::info!("no peer results shown: {}: {error}", path.display());
            return None;
        }
    };
    let file: PeerFile = match serde_json::from_str(&text) {
        Ok(file) => file,
        Err(error) => {
            log::warn!("peer results left out: {}: invalid JSON: {error}", path.display());
            return None;
        }
    };
    if file.dataset_sha256 != sha256 {
        log::warn!(
            "peer results left out: {} was recorded on a file with another SHA-256 ({})",
            path.display(),
            file.dataset_sha256
        );
        return None;
    }
    let mut settings = file.model_settings;
    let models = file
        .models
        .into_iter()
        .map(|(name, entry)| PeerModel {
            description: settings.remove(&name).unwrap_or_default(),
            name,
            mean_rmse: entry.summary.mean_rmse,
            median_rmse: entry.summary.median_rmse,
            mean_r2: entry.summary.mean_r2,
            fit_seconds: entry.fit_seconds,
            timing_note: entry.timing_note,
        })
        .collect();
    Some(PeerResults {
        source: path.display().to_string(),
        date: file.date,
        versions: file.versions,
        models,
    })
}
