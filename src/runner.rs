//! Fits every model on the same training rows and scores it on the same test rows.
//!
//! The runner reaches models only through [`Regressor`]; it never branches on a name.

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use ndarray::{Array2, Axis};
use rayon::prelude::*;

use crate::data::Dataset;
use crate::metrics::{score_targets, TargetScores};
use crate::models::{Regressor, TrainingHistory};
use crate::resample::Fold;
use crate::split::Split;

/// One model's results on the split.
#[derive(Debug, Clone)]
pub struct ModelRun {
    pub name: String,
    pub settings: Vec<(String, String)>,
    pub fit_notes: Vec<(String, String)>,
    pub outcome: Outcome,
    /// Wall time of `fit`, in seconds.
    pub fit_seconds: f64,
    /// Wall time of `predict` on the test rows, in seconds; 0 when the fit failed.
    pub predict_seconds: f64,
    pub history: Vec<TrainingHistory>,
}

#[derive(Debug, Clone)]
pub enum Outcome {
    /// Test-row predictions (rows × targets) and the scores of each target.
    Scored { predictions: Array2<f64>, scores: Vec<TargetScores> },
    /// The fit or the prediction failed; the message gives the reason.
    Failed { reason: String },
}

impl ModelRun {
    pub fn scores(&self) -> Option<&[TargetScores]> {
        match &self.outcome {
            Outcome::Scored { scores, .. } => Some(scores),
            Outcome::Failed { .. } => None,
        }
    }
}

/// Fits and scores each model in turn on the split. A model that fails is recorded as
/// failed and the others still run.
pub fn run(dataset: &Dataset, split: &Split, models: &[Box<dyn Regressor>]) -> Vec<ModelRun> {
    let rows = Rows::select(dataset, &split.train, &split.test);
    models
        .iter()
        .map(|model| {
            log::info!("fitting {} on {} rows", model.name(), rows.x_train.nrows());
            let run = run_one(model.as_ref(), &rows);
            log::info!(
                "{} done: fit {:.3} s, predict {:.3} s",
                run.name,
                run.fit_seconds,
                run.predict_seconds
            );
            run
        })
        .collect()
}

/// One model's results on every cross-validation fold, in fold order.
#[derive(Debug, Clone)]
pub struct FoldRuns {
    pub name: String,
    pub runs: Vec<ModelRun>,
}

/// Fits and scores every model on every fold. Fold × model jobs run in parallel on the
/// current rayon pool. Each job is independent, so only the wall times depend on the
/// number of threads.
pub fn run_folds(
    dataset: &Dataset,
    folds: &[Fold],
    models: &[Box<dyn Regressor>],
) -> Vec<FoldRuns> {
    let jobs: Vec<(usize, usize)> =
        (0..folds.len()).flat_map(|f| (0..models.len()).map(move |m| (f, m))).collect();
    let progress = progress_bar(jobs.len() as u64);
    let mut results: Vec<(usize, usize, ModelRun)> = jobs
        .par_iter()
        .map(|&(f, m)| {
            let fold = &folds[f];
            let rows = Rows::select(dataset, &fold.train, &fold.test);
            let mut run = run_one(models[m].as_ref(), &rows);
            // Predictions of every fold are not reported; only their scores are.
            if let Outcome::Scored { predictions, .. } = &mut run.outcome {
                *predictions = Array2::zeros((0, 0));
            }
            progress.inc(1);
            log::debug!("{} on fold {} done", run.name, fold.label());
            (f, m, run)
        })
        .collect();
    progress.finish_and_clear();
    results.sort_by_key(|(f, m, _)| (*m, *f));
    let mut by_model: Vec<FoldRuns> =
        models.iter().map(|m| FoldRuns { name: m.name().to_string(), runs: Vec::new() }).collect();
    for (_, m, run) in results {
        by_model[m].runs.push(run);
    }
    by_model
}

/// Returns a progress bar on stderr when it is a terminal, and a hidden one otherwise.
fn progress_bar(len: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("cross-validation {bar:40} {pos}/{len} fits, {eta} left")
    {
        bar.set_style(style);
    }
    bar
}

/// Training and test rows of one split or fold.
struct Rows {
    x_train: Array2<f64>,
    y_train: Array2<f64>,
    x_test: Array2<f64>,
    y_test: Array2<f64>,
}

impl Rows {
    fn select(dataset: &Dataset, train: &[usize], test: &[usize]) -> Rows {
        Rows {
            x_train: dataset.x.select(Axis(0), train),
            y_train: dataset.y.select(Axis(0), train),
            x_test: dataset.x.select(Axis(0), test),
            y_test: dataset.y.select(Axis(0), test),
        }
    }
}

/// Fits `model` on the training rows, predicts the test rows and scores them.
fn run_one(model: &dyn Regressor, rows: &Rows) -> ModelRun {
    let started = Instant::now();
    let fitted = model.fit(rows.x_train.view(), rows.y_train.view());
    let fit_seconds = started.elapsed().as_secs_f64();
    let mut run = ModelRun {
        name: model.name().to_string(),
        settings: model.settings(),
        fit_notes: Vec::new(),
        outcome: Outcome::Failed { reason: String::new() },
        fit_seconds,
        predict_seconds: 0.0,
        history: Vec::new(),
    };
    let fitted = match fitted {
        Ok(fitted) => fitted,
        Err(error) => {
            log::error!("{}: fit failed: {error}", model.name());
            run.outcome = Outcome::Failed { reason: format!("fit failed: {error}") };
            return run;
        }
    };
    run.fit_notes = fitted.fit_notes();
    run.history = fitted.history().to_vec();

    let started = Instant::now();
    let predicted = fitted.predict(rows.x_test.view());
    run.predict_seconds = started.elapsed().as_secs_f64();
    run.outcome = match predicted {
        Ok(predictions) if predictions.iter().all(|v| v.is_finite()) => {
            let scores = score_targets(rows.y_test.view(), predictions.view());
            Outcome::Scored { predictions, scores }
        }
        Ok(_) => Outcome::Failed { reason: "predictions are not finite".into() },
        Err(error) => Outcome::Failed { reason: format!("predict failed: {error}") },
    };
    if let Outcome::Failed { reason } = &run.outcome {
        log::error!("{}: {reason}", model.name());
    }
    run
}
