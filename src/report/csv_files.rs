//! Machine-readable tables: `metrics.csv`, `timings.csv`, `predictions/*.csv` and
//! `history/*.csv`. Numbers are written at full precision.

use std::path::Path;

use ndarray::Array2;

use super::Report;
use crate::error::{Error, Result};
use crate::metrics::{Metric, TargetScores};

fn csv_error(path: &Path) -> impl Fn(csv::Error) -> Error + '_ {
    move |e| Error::Write { path: path.into(), source: std::io::Error::other(e) }
}

/// The `fold` value of the test-row scores in metrics.csv; cross-validation folds are
/// labelled `r<repeat>f<fold>`.
pub const TEST_FOLD: &str = "test";

pub fn write(report: &Report, dir: &Path) -> Result<()> {
    write_metrics(report, &dir.join("metrics.csv"))?;
    write_timings(report, &dir.join("timings.csv"))?;

    let predictions = dir.join("predictions");
    std::fs::create_dir_all(&predictions)
        .map_err(|source| Error::Write { path: predictions.clone(), source })?;
    write_matrix(report, &report.actual, &predictions.join("actual.csv"))?;
    for model in &report.models {
        if let Some(matrix) = &model.predictions {
            write_matrix(report, matrix, &predictions.join(format!("{}.csv", model.name)))?;
        }
    }

    let with_history: Vec<_> = report.models.iter().filter(|m| !m.history.is_empty()).collect();
    if !with_history.is_empty() {
        let history = dir.join("history");
        std::fs::create_dir_all(&history)
            .map_err(|source| Error::Write { path: history.clone(), source })?;
        for model in with_history {
            let path = history.join(format!("{}.csv", model.name));
            let mut writer = csv::Writer::from_path(&path).map_err(csv_error(&path))?;
            writer
                .write_record(["member", "seed", "epoch", "loss", "val_loss", "best_epoch"])
                .map_err(csv_error(&path))?;
            for (member, h) in model.history.iter().enumerate() {
                for (e, loss) in h.loss.iter().enumerate() {
                    let val = h.val_loss.get(e).map_or(String::new(), |v| v.to_string());
                    let record = [
                        member.to_string(),
                        h.seed.to_string(),
                        (e + 1).to_string(),
                        loss.to_string(),
                        val,
                        h.best_epoch.to_string(),
                    ];
                    writer.write_record(&record).map_err(csv_error(&path))?;
                }
            }
            writer.flush().map_err(|source| Error::Write { path: path.clone(), source })?;
        }
    }
    Ok(())
}

fn write_metrics(report: &Report, path: &Path) -> Result<()> {
    let mut writer = csv::Writer::from_path(path).map_err(csv_error(path))?;
    writer.write_record(["model", "fold", "target", "metric", "value"]).map_err(csv_error(path))?;
    let mut write_scores = |model: &str, fold: &str, scores: &[TargetScores]| -> Result<()> {
        for (target, scores) in report.targets.iter().zip(scores) {
            for metric in Metric::ALL {
                let value = scores.get(metric).to_string();
                writer
                    .write_record([model, fold, target, metric.name(), &value])
                    .map_err(csv_error(path))?;
            }
        }
        Ok(())
    };
    for model in &report.models {
        write_scores(&model.name, TEST_FOLD, &model.per_target)?;
    }
    if let Some(cv) = &report.cross_validation {
        for model in &cv.models {
            for (label, scores) in cv.fold_labels.iter().zip(&model.per_target) {
                if let Some(scores) = scores {
                    write_scores(&model.name, label, scores)?;
                }
            }
        }
    }
    writer.flush().map_err(|source| Error::Write { path: path.into(), source })
}

fn write_timings(report: &Report, path: &Path) -> Result<()> {
    let mut writer = csv::Writer::from_path(path).map_err(csv_error(path))?;
    writer.write_record(["model", "fit_seconds", "predict_seconds"]).map_err(csv_error(path))?;
    for model in &report.models {
        let t = model.timings;
        writer
            .write_record([
                model.name.clone(),
                t.fit_seconds.to_string(),
                t.predict_seconds.to_string(),
            ])
            .map_err(csv_error(path))?;
    }
    writer.flush().map_err(|source| Error::Write { path: path.into(), source })
}

/// Writes test rows × targets with the row id first.
fn write_matrix(report: &Report, matrix: &Array2<f64>, path: &Path) -> Result<()> {
    let mut writer = csv::Writer::from_path(path).map_err(csv_error(path))?;
    let id_header = report.manifest.id_column.clone().unwrap_or_else(|| "id".into());
    let mut header = vec![id_header];
    header.extend(report.targets.iter().cloned());
    writer.write_record(&header).map_err(csv_error(path))?;
    for (id, row) in report.split.test_ids.iter().zip(matrix.rows()) {
        let mut record = vec![id.clone()];
        record.extend(row.iter().map(|v| v.to_string()));
        writer.write_record(&record).map_err(csv_error(path))?;
    }
    writer.flush().map_err(|source| Error::Write { path: path.into(), source })
}
