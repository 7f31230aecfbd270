//! The mean predictor: every prediction is the training mean of its target.
//!
//! It is the floor every model must beat, and its R² on new rows is at most about 0.

use ndarray::{Array1, Array2, ArrayView2, Axis};

use super::{check_predict_shape, check_training_shapes, FittedRegressor, ModelError, Regressor};

/// Predicts each target's training mean, ignoring the predictors.
#[derive(Debug, Clone, Default)]
pub struct MeanPredictor;

struct FittedMean {
    mean: Array1<f64>,
    n_predictors: usize,
}

impl Regressor for MeanPredictor {
    fn name(&self) -> &str {
        "mean"
    }

    fn settings(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    fn fit(
        &self,
        x: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<Box<dyn FittedRegressor>, ModelError> {
        check_training_shapes(x, y)?;
        let mean = y.mean_axis(Axis(0)).expect("checked: at least one row");
        Ok(Box::new(FittedMean { mean, n_predictors: x.ncols() }))
    }
}

impl FittedRegressor for FittedMean {
    fn predict(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, ModelError> {
        check_predict_shape(x, self.n_predictors)?;
        let mut out = Array2::zeros((x.nrows(), self.mean.len()));
        out.rows_mut().into_iter().for_each(|mut row| row.assign(&self.mean));
        Ok(out)
    }
}
