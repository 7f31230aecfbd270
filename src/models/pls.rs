//! Partial least squares regression (PLS2: all targets share the latent components),
//! fitted by linfa-pls's NIPALS port of scikit-learn's `PLSRegression`.

use linfa::traits::{Fit, Predict};
use linfa::Dataset;
use linfa_pls::PlsRegression;
use ndarray::{Array2, ArrayView2};

use super::{
    check_predict_shape, check_training_shapes, FittedRegressor, ModelError, Regressor,
    SettingsError,
};

/// PLS settings.
///
/// | setting | default | valid range |
/// |---|---|---|
/// | `n_components` | 5 | ≥ 1; capped at min(rows − 1, predictors) of the training rows |
/// | `scale` | true | scales predictors and targets to unit sample variance (ddof 1), as scikit-learn's `scale=True` |
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlsParams {
    pub n_components: usize,
    pub scale: bool,
}

impl Default for PlsParams {
    fn default() -> Self {
        PlsParams { n_components: 5, scale: true }
    }
}

/// PLS regression with checked settings.
#[derive(Debug, Clone)]
pub struct Pls {
    params: PlsParams,
}

impl Pls {
    pub fn new(params: PlsParams) -> Result<Self, SettingsError> {
        if params.n_components == 0 {
            return Err(SettingsError::new("pls", "n_components", 0, "an integer >= 1"));
        }
        Ok(Pls { params })
    }
}

struct FittedPls {
    model: PlsRegression<f64>,
    n_predictors: usize,
    n_components: usize,
    requested: usize,
}

/// Caps the number of components at what `n_rows` training rows and `n_predictors`
/// columns support: centering leaves rank at most rows − 1, and NIPALS deflation past
/// that rank divides by zero and yields NaN predictions.
pub fn max_components(n_rows: usize, n_predictors: usize) -> usize {
    n_rows.saturating_sub(1).min(n_predictors)
}

impl Regressor for Pls {
    fn name(&self) -> &str {
        "pls"
    }

    fn settings(&self) -> Vec<(String, String)> {
        vec![
            ("n_components".into(), self.params.n_components.to_string()),
            ("scale".into(), self.params.scale.to_string()),
        ]
    }

    fn fit(
        &self,
        x: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<Box<dyn FittedRegressor>, ModelError> {
        check_training_shapes(x, y)?;
        let cap = max_components(x.nrows(), x.ncols());
        if cap == 0 {
            return Err(ModelError::Shape(format!(
                "pls needs at least 2 training rows, got {}",
                x.nrows()
            )));
        }
        let n_components = self.params.n_components.min(cap);
        if n_components < self.params.n_components {
            log::warn!(
                "pls: n_components {} capped at {n_components} ({} training rows, {} predictors)",
                self.params.n_components,
                x.nrows(),
                x.ncols()
            );
        }
        let dataset = Dataset::new(x.to_owned(), y.to_owned());
        let model = PlsRegression::params(n_components)
            .scale(self.params.scale)
            .fit(&dataset)
            .map_err(|e| ModelError::Numerical(format!("linfa-pls failed: {e}")))?;
        Ok(Box::new(FittedPls {
            model,
            n_predictors: x.ncols(),
            n_components,
            requested: self.params.n_components,
        }))
    }
}

impl FittedRegressor for FittedPls {
    fn predict(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, ModelError> {
        check_predict_shape(x, self.n_predictors)?;
        let pred: Array2<f64> = self.model.predict(&x.to_owned());
        if pred.iter().any(|v| !v.is_finite()) {
            return Err(ModelError::Numerical(format!(
                "pls with {} components predicted non-finite values; use fewer components",
                self.n_components
            )));
        }
        Ok(pred)
    }

    fn fit_notes(&self) -> Vec<(String, String)> {
        if self.n_components < self.requested {
            vec![("n_components used".into(), self.n_components.to_string())]
        } else {
            Vec::new()
        }
    }
}
