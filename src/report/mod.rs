//! The results of a comparison and the writers that turn them into files.
//!
//! [`Report`] is plain data built once from the run; each writer (terminal table,
//! Markdown, CSV, JSON, PNG charts) reads it and depends on no model. The report folder is
//! assembled under a temporary name and renamed into place, so a failed run leaves the
//! previous report as it was.

mod charts;
pub mod check;
pub mod cross_validation;
mod csv_files;
pub(crate) mod folder;
mod json;
mod markdown;
pub mod peers;
pub mod summary;
pub mod terminal;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ndarray::{Array2, Axis};
use serde::Serialize;

use crate::config::PublishedFigure;
use crate::data::{Dataset, DroppedRow};
use crate::error::{Error, Result};
use crate::metrics::{aggregate, Aggregate, Metric, TargetScores};
use crate::models::TrainingHistory;
use crate::runner::{ModelRun, Outcome};
use crate::split::{Split, SplitMethod};

pub use cross_validation::CrossValidation;
pub use peers::PeerResults;

/// Everything a comparison produced, in the order the leaderboard shows it.
#[derive(Debug, Serialize)]
pub struct Report {
    pub manifest: Manifest,
    pub split: SplitRecord,
    pub targets: Vec<String>,
    /// Models ranked by mean RMSE across targets, failed models last.
    pub models: Vec<ModelReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peers: Option<PeerResults>,
    /// Cross-validation of the training rows, when it was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cross_validation: Option<CrossValidation>,
    /// Published figures for this data set, each beside every model's value.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub published: Vec<PublishedComparison>,
    /// Test-row values of every target, rows × targets, for the charts and predictions.
    #[serde(skip)]
    pub actual: Array2<f64>,
}

/// The data, settings and version of a run, enough to reproduce it.
#[derive(Debug, Serialize)]
pub struct Manifest {
    pub lunchbench_version: String,
    /// UTC time the run finished, RFC 3339.
    pub date: String,
    pub file: PathBuf,
    pub sha256: String,
    pub sidecar: Option<PathBuf>,
    /// Data rows in the file, before any were dropped.
    pub rows_in_file: usize,
    pub rows_used: usize,
    pub dropped_rows: Vec<DroppedRow>,
    pub columns: ColumnCounts,
    pub id_column: Option<String>,
    pub seed: u64,
}

#[derive(Debug, Serialize)]
pub struct ColumnCounts {
    pub total: usize,
    pub id: usize,
    pub split: usize,
    pub predictors: usize,
    pub targets: usize,
    pub ignored: usize,
    /// Non-numeric columns with no role, left out of the predictors.
    pub text: usize,
}

#[derive(Debug, Serialize)]
pub struct SplitRecord {
    pub method: SplitMethod,
    pub train_ids: Vec<String>,
    pub test_ids: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ModelReport {
    pub name: String,
    /// 1 for the best model; None for a failed one.
    pub rank: Option<usize>,
    pub settings: BTreeMap<String, String>,
    pub fit_notes: BTreeMap<String, String>,
    /// The failure message when the model could not be fitted or scored.
    pub failure: Option<String>,
    /// Each metric summarized across targets.
    pub aggregates: BTreeMap<&'static str, Aggregate>,
    /// Scores of each target, in the order of [`Report::targets`].
    pub per_target: Vec<TargetScores>,
    pub timings: Timings,
    pub history: Vec<TrainingHistory>,
    /// Test-row predictions, rows × targets.
    #[serde(skip)]
    pub predictions: Option<Array2<f64>>,
}

/// Wall-clock times, kept apart from the scores because they change on every run.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Timings {
    pub fit_seconds: f64,
    pub predict_seconds: f64,
}

impl ModelReport {
    pub fn aggregate(&self, metric: Metric) -> Option<&Aggregate> {
        self.aggregates.get(metric.name())
    }

    pub fn mean(&self, metric: Metric) -> f64 {
        self.aggregate(metric).map_or(f64::NAN, |a| a.mean)
    }
}

impl Report {
    /// Builds the report of one run, ranking the models by mean RMSE across targets.
    pub fn new(
        dataset: &Dataset,
        split: &Split,
        runs: Vec<ModelRun>,
        sidecar: Option<PathBuf>,
        seed: u64,
    ) -> Report {
        let mut models: Vec<ModelReport> = runs.into_iter().map(model_report).collect();
        models.sort_by(|a, b| match (&a.failure, &b.failure) {
            (None, None) => a.mean(Metric::Rmse).total_cmp(&b.mean(Metric::Rmse)),
            (None, Some(_)) => std::cmp::Ordering::Less,
            (Some(_), None) => std::cmp::Ordering::Greater,
            (Some(_), Some(_)) => std::cmp::Ordering::Equal,
        });
        let mut rank = 0;
        for model in &mut models {
            if model.failure.is_none() {
                rank += 1;
                model.rank = Some(rank);
            }
        }

        let ids = |rows: &[usize]| rows.iter().map(|&r| dataset.ids[r].clone()).collect();
        let manifest = Manifest {
            lunchbench_version: env!("CARGO_PKG_VERSION").into(),
            date: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            file: dataset.path.clone(),
            sha256: dataset.sha256.clone(),
            sidecar,
            rows_in_file: dataset.n_rows() + dataset.dropped.len(),
            rows_used: dataset.n_rows(),
            dropped_rows: dataset.dropped.clone(),
            columns: ColumnCounts {
                total: dataset.n_columns,
                id: usize::from(dataset.id_column.is_some()),
                split: usize::from(dataset.split_column.is_some()),
                predictors: dataset.predictor_names.len(),
                targets: dataset.target_names.len(),
                ignored: dataset.ignored_names.len(),
                text: dataset.text_names.len(),
            },
            id_column: dataset.id_column.clone(),
            seed,
        };
        Report {
            manifest,
            split: SplitRecord {
                method: split.method.clone(),
                train_ids: ids(&split.train),
                test_ids: ids(&split.test),
            },
            targets: dataset.target_names.clone(),
            models,
            peers: None,
            cross_validation: None,
            published: Vec::new(),
            actual: dataset.y.select(Axis(0), &split.test),
        }
    }

    /// Returns the top-ranked model, if any model was scored.
    pub fn best(&self) -> Option<&ModelReport> {
        self.models.first().filter(|m| m.rank == Some(1))
    }

    /// Number of targets whose R² is undefined because they are constant on the test rows.
    pub fn n_constant_targets(&self) -> usize {
        let first = self.actual.row(0);
        self.actual
            .columns()
            .into_iter()
            .zip(first.iter())
            .filter(|(c, v)| c.iter().all(|x| x == *v))
            .count()
    }
}

fn model_report(run: ModelRun) -> ModelReport {
    let (per_target, predictions, failure) = match run.outcome {
        Outcome::Scored { predictions, scores } => (scores, Some(predictions), None),
        Outcome::Failed { reason } => (Vec::new(), None, Some(reason)),
    };
    let aggregates = if per_target.is_empty() {
        BTreeMap::new()
    } else {
        Metric::ALL
            .iter()
            .map(|&m| {
                let values: Vec<f64> = per_target.iter().map(|s| s.get(m)).collect();
                (m.name(), aggregate(&values, m))
            })
            .collect()
    };
    ModelReport {
        name: run.name,
        rank: None,
        settings: run.settings.into_iter().collect(),
        fit_notes: run.fit_notes.into_iter().collect(),
        failure,
        aggregates,
        per_target,
        timings: Timings { fit_seconds: run.fit_seconds, predict_seconds: run.predict_seconds },
        history: run.history,
        predictions,
    }
}

/// A published figure and each scored model's value of the same metric on the same target.
#[derive(Debug, Serialize)]
pub struct PublishedComparison {
    pub figure: PublishedFigure,
    pub models: BTreeMap<String, f64>,
}

/// Pairs every published figure with the models' values.
///
/// # Errors
/// A figure that names an unknown target or metric.
pub fn published_comparisons(
    report: &Report,
    figures: &[PublishedFigure],
) -> Result<Vec<PublishedComparison>> {
    figures
        .iter()
        .map(|figure| {
            let target = report.targets.iter().position(|t| *t == figure.target).ok_or_else(|| {
                Error::Usage(format!(
                    "published figure for target {:?}: no such target; use one of the target columns",
                    figure.target
                ))
            })?;
            let metric = Metric::ALL.into_iter().find(|m| m.name() == figure.metric).ok_or_else(|| {
                Error::Usage(format!(
                    "published figure metric {:?} is unknown; expected rmse, mae, r2 or max_error",
                    figure.metric
                ))
            })?;
            let models = report
                .models
                .iter()
                .filter(|m| m.failure.is_none())
                .map(|m| (m.name.clone(), m.per_target[target].get(metric)))
                .collect();
            Ok(PublishedComparison { figure: figure.clone(), models })
        })
        .collect()
}

/// Checks before any model is fitted that a report can be written to `out`: it is a
/// folder or does not exist yet, and its parent folder can be created.
pub fn check_writable(out: &Path) -> Result<()> {
    folder::check_target(out)
}

/// Writes every report file into `out`, replacing an earlier report there only once all
/// files are written.
pub fn write(report: &Report, out: &Path) -> Result<()> {
    folder::write_atomically(out, |dir| {
        markdown::write(report, dir)?;
        csv_files::write(report, dir)?;
        json::write(report, dir)?;
        charts::write(report, dir)?;
        Ok(())
    })
}

/// Formats a number for tables: 4 significant digits, scientific notation for very
/// small or large magnitudes.
pub fn format_number(value: f64) -> String {
    if value.is_nan() {
        return "NaN".into();
    }
    if value == 0.0 {
        return "0".into();
    }
    let magnitude = value.abs().log10().floor() as i32;
    if !(-3..6).contains(&magnitude) {
        format!("{value:.3e}")
    } else {
        let decimals = (3 - magnitude).max(0) as usize;
        format!("{value:.decimals$}")
    }
}

/// Returns the sentence that states what the leaderboard's averages are over.
pub fn averaging_note(report: &Report) -> String {
    let n = report.targets.len();
    let constant = report.n_constant_targets();
    let mut note = format!(
        "Mean, median and worst are taken over the {n} target{} on the {} test rows, each target weighing the same",
        if n == 1 { "" } else { "s" },
        report.split.test_ids.len()
    );
    if constant > 0 {
        note.push_str(&format!(
            "; R² leaves out {constant} target{} constant on the test rows, where it is undefined",
            if constant == 1 { "" } else { "s" }
        ));
    }
    note.push('.');
    note
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_format_keeps_four_significant_digits() {
        assert_eq!(format_number(0.006662), "0.006662");
        assert_eq!(format_number(12.971162), "12.97");
        assert_eq!(format_number(-0.9), "-0.9000");
        assert_eq!(format_number(0.0000123), "1.230e-5");
        assert_eq!(format_number(f64::NAN), "NaN");
    }
}
