//! Fits every model on the same training rows and scores it on the same test rows.
//!
//! The runner knows models only through [`Regressor`]; it never branches on a name.

use std::time::Instant;

use ndarray::{Array2, Axis};

use crate::data::Dataset;
use crate::metrics::{score_targets, TargetScores};
use crate::models::{Regressor, TrainingHistory};
use crate::split::Split;

/// What one model did on the split.
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
    /// The fit or the prediction failed; the message says why.
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

/// Fits and scores each model in turn. A model that fails is recorded as failed and
/// the others still run.
pub fn run(dataset: &Dataset, split: &Split, models: &[Box<dyn Regressor>]) -> Vec<ModelRun> {
    let x_train = dataset.x.select(Axis(0), &split.train);
    let y_train = dataset.y.select(Axis(0), &split.train);
    let x_test = dataset.x.select(Axis(0), &split.test);
    let y_test = dataset.y.select(Axis(0), &split.test);

    models
        .iter()
        .map(|model| {
            log::info!("fitting {} on {} rows", model.name(), x_train.nrows());
            let started = Instant::now();
            let fitted = model.fit(x_train.view(), y_train.view());
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
            let predicted = fitted.predict(x_test.view());
            run.predict_seconds = started.elapsed().as_secs_f64();
            run.outcome = match predicted {
                Ok(predictions) if predictions.iter().all(|v| v.is_finite()) => {
                    let scores = score_targets(y_test.view(), predictions.view());
                    Outcome::Scored { predictions, scores }
                }
                Ok(_) => Outcome::Failed { reason: "predictions are not finite".into() },
                Err(error) => Outcome::Failed { reason: format!("predict failed: {error}") },
            };
            if let Outcome::Failed { reason } = &run.outcome {
                log::error!("{}: {reason}", model.name());
            }
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
