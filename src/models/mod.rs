//! Regression models behind one object-safe interface.
//!
//! A model is built from validated settings and implements [`Regressor`]. Fitting
//! returns a separate [`FittedRegressor`], so settings never carry fitted state and a
//! fitted model cannot be refitted by accident. The runner uses only these traits.

pub mod elastic_net;
pub(crate) mod linalg;
pub mod mean;
pub mod nn;
pub mod pls;
pub mod preprocess;
pub mod ridge;
pub mod scaling;
pub mod tuned;

use ndarray::{Array2, ArrayView2};
use thiserror::Error;

/// A regression model that maps predictors (rows × columns) to one or more targets
/// (rows × targets).
pub trait Regressor: Send + Sync {
    /// Short name used in tables and file names, such as `ridge`.
    fn name(&self) -> &str;

    /// Returns the model's settings as (name, value) pairs, in a stable order.
    fn settings(&self) -> Vec<(String, String)>;

    /// Fits the model on training rows only.
    ///
    /// `x` is rows × predictors and `y` is rows × targets, with the same row count.
    fn fit(
        &self,
        x: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<Box<dyn FittedRegressor>, ModelError>;
}

/// A fitted model: the state learned from training rows.
pub trait FittedRegressor: Send + Sync {
    /// Predicts rows × targets for rows × predictors.
    fn predict(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, ModelError>;

    /// Per-epoch losses of each network trained during the fit, for models that train
    /// iteratively; empty for closed-form models.
    fn history(&self) -> &[TrainingHistory] {
        &[]
    }

    /// Facts learned during the fit that the report should state, such as a cap applied
    /// to a setting, as (name, value) pairs.
    fn fit_notes(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// Loss per epoch of one trained network.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct TrainingHistory {
    /// Seed the network was initialized and shuffled with.
    pub seed: u64,
    /// Mean squared error on the training rows, averaged over the batches of each epoch.
    pub loss: Vec<f64>,
    /// Mean squared error on the validation rows after each epoch, when there are any.
    pub val_loss: Vec<f64>,
    /// Epoch whose weights were kept (1-based), which differs from the last epoch when
    /// early stopping restored the best weights.
    pub best_epoch: usize,
}

/// The reason a fit or a prediction failed.
#[derive(Debug, Error)]
pub enum ModelError {
    /// The training loss became NaN or infinite.
    #[error("training loss is not finite at epoch {epoch}")]
    NonFiniteLoss { epoch: usize },
    /// The input does not have the shape the model expects.
    #[error("{0}")]
    Shape(String),
    /// A numerical step failed, such as a factorization of a singular matrix.
    #[error("{0}")]
    Numerical(String),
}

/// A setting outside its valid range.
#[derive(Debug, Error, PartialEq)]
#[error("invalid {model} setting {setting} = {value}: expected {expected}")]
pub struct SettingsError {
    pub model: &'static str,
    pub setting: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl SettingsError {
    pub fn new(
        model: &'static str,
        setting: &'static str,
        value: impl ToString,
        expected: &'static str,
    ) -> Self {
        SettingsError { model, setting, value: value.to_string(), expected }
    }
}

/// Checks that `x` and `y` have the same number of rows and at least one column each.
pub(crate) fn check_training_shapes(
    x: ArrayView2<f64>,
    y: ArrayView2<f64>,
) -> Result<(), ModelError> {
    if x.nrows() != y.nrows() {
        return Err(ModelError::Shape(format!(
            "predictors have {} rows but targets have {}",
            x.nrows(),
            y.nrows()
        )));
    }
    if x.nrows() == 0 || x.ncols() == 0 || y.ncols() == 0 {
        return Err(ModelError::Shape(format!(
            "cannot fit on {} rows, {} predictors and {} targets",
            x.nrows(),
            x.ncols(),
            y.ncols()
        )));
    }
    Ok(())
}

/// Checks that `x` has the number of predictor columns the model was fitted on.
pub(crate) fn check_predict_shape(
    x: ArrayView2<f64>,
    n_predictors: usize,
) -> Result<(), ModelError> {
    if x.ncols() != n_predictors {
        return Err(ModelError::Shape(format!(
            "model was fitted on {n_predictors} predictors but got {}",
            x.ncols()
        )));
    }
    Ok(())
}
