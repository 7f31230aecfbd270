//! Cross-validation results: each model's score on every fold, summarized over folds
//! and compared with the best model by the corrected resampled t-test.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::metrics::{aggregate, Metric, TargetScores};
use crate::resample::Fold;
use crate::runner::FoldRuns;
use crate::stats::{corrected_t_test, CorrectedTTest};

/// Significance level below which a model counts as worse than the best.
pub const SIGNIFICANCE_LEVEL: f64 = 0.05;

#[derive(Debug, Serialize)]
pub struct CrossValidation {
    pub k: usize,
    pub repeats: usize,
    pub seed: u64,
    /// Training rows that were resampled; the test rows take no part.
    pub n_rows: usize,
    pub fold_labels: Vec<String>,
    /// Models ordered by mean over folds of the mean RMSE across targets, best first.
    pub models: Vec<CrossValidatedModel>,
}

#[derive(Debug, Serialize)]
pub struct CrossValidatedModel {
    pub name: String,
    /// Per fold, the mean across targets of each metric; NaN for a failed fold.
    pub per_fold: BTreeMap<&'static str, Vec<f64>>,
    /// Mean over folds of the per-fold values.
    pub mean: BTreeMap<&'static str, f64>,
    /// Sample standard deviation (ddof 1) over folds.
    pub std: BTreeMap<&'static str, f64>,
    /// Failure messages by fold label, in fold order.
    pub failures: Vec<(String, String)>,
    /// Notes from each fold's fit, such as a tuned setting, by fold label in fold order.
    pub fit_notes: Vec<(String, BTreeMap<String, String>)>,
    /// This model's mean RMSE minus the best model's, fold by fold, tested against zero.
    pub versus_best: Option<CorrectedTTest>,
    /// True for the best model and for every model whose difference from it is not
    /// significant at [`SIGNIFICANCE_LEVEL`].
    pub not_worse_than_best: bool,
    /// Scores of every target on every fold, for metrics.csv.
    #[serde(skip)]
    pub per_target: Vec<Option<Vec<TargetScores>>>,
}

/// Metrics summarized per fold, in the order of the report tables.
const FOLD_METRICS: [Metric; 3] = [Metric::Rmse, Metric::Mae, Metric::R2];

impl CrossValidation {
    pub fn new(
        folds: &[Fold],
        runs: Vec<FoldRuns>,
        k: usize,
        repeats: usize,
        seed: u64,
        n_rows: usize,
    ) -> Self {
        let labels: Vec<String> = folds.iter().map(Fold::label).collect();
        let mut models: Vec<CrossValidatedModel> =
            runs.into_iter().map(|r| summarize(r, &labels)).collect();
        models.sort_by(|a, b| a.mean[Metric::Rmse.name()].total_cmp(&b.mean[Metric::Rmse.name()]));

        let n_test = folds.iter().map(|f| f.test.len()).sum::<usize>() / folds.len().max(1);
        let n_train = folds.iter().map(|f| f.train.len()).sum::<usize>() / folds.len().max(1);
        let best: Option<Vec<f64>> =
            models.first().map(|m| m.per_fold[Metric::Rmse.name()].clone());
        for (i, model) in models.iter_mut().enumerate() {
            let Some(best) = &best else { break };
            if i == 0 {
                model.not_worse_than_best = model.failures.is_empty();
                continue;
            }
            let differences: Vec<f64> =
                model.per_fold[Metric::Rmse.name()].iter().zip(best).map(|(m, b)| m - b).collect();
            if differences.iter().any(|d| !d.is_finite()) {
                continue;
            }
            model.versus_best = corrected_t_test(&differences, n_train, n_test);
            model.not_worse_than_best =
                model.versus_best.is_some_and(|t| t.p_value >= SIGNIFICANCE_LEVEL);
        }
        CrossValidation {
            k,
            repeats,
            seed,
            n_rows,
            fold_labels: folds.iter().map(Fold::label).collect(),
            models,
        }
    }
}

fn summarize(runs: FoldRuns, labels: &[String]) -> CrossValidatedModel {
    let mut per_fold: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut fit_notes = Vec::new();
    let mut per_target = Vec::new();
    for (run, label) in runs.runs.iter().zip(labels) {
        if !run.fit_notes.is_empty() {
            fit_notes.push((label.clone(), run.fit_notes.iter().cloned().collect()));
        }
        let scores = run.scores();
        for metric in FOLD_METRICS {
            let value = scores.map_or(f64::NAN, |s| {
                let values: Vec<f64> = s.iter().map(|t| t.get(metric)).collect();
                aggregate(&values, metric).mean
            });
            per_fold.entry(metric.name()).or_default().push(value);
        }
        if let crate::runner::Outcome::Failed { reason } = &run.outcome {
            failures.push((label.clone(), reason.clone()));
        }
        per_target.push(scores.map(<[TargetScores]>::to_vec));
    }
    let mut mean = BTreeMap::new();
    let mut std = BTreeMap::new();
    for (metric, values) in &per_fold {
        let (m, s) = mean_and_std(values);
        mean.insert(*metric, m);
        std.insert(*metric, s);
    }
    CrossValidatedModel {
        name: runs.name,
        per_fold,
        mean,
        std,
        failures,
        fit_notes,
        versus_best: None,
        not_worse_than_best: false,
        per_target,
    }
}

/// Mean and sample standard deviation; NaN if any value is NaN.
fn mean_and_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (mean, f64::NAN);
    }
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, variance.sqrt())
}
