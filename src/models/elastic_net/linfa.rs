//! The linfa-elasticnet path: one linfa fit per centered target.

use linfa::traits::{Fit, Predict};
use linfa::Dataset;
use ndarray::{Array1, Array2};

use super::ElasticNetParams;
use crate::models::ModelError;

/// Fits one centered target with linfa-elasticnet and returns its coefficients.
pub(super) fn fit_linfa_one(
    x: &Array2<f64>,
    y: Array1<f64>,
    params: &ElasticNetParams,
) -> Result<Array1<f64>, ModelError> {
    let dataset = Dataset::new(x.clone(), y);
    let model = linfa_elasticnet::ElasticNet::params()
        .penalty(params.alpha)
        .l1_ratio(params.l1_ratio)
        .tolerance(params.tolerance)
        .max_iterations(params.max_iterations)
        .with_intercept(false)
        .fit(&dataset)
        .map_err(|e| ModelError::Numerical(format!("linfa-elasticnet failed: {e}")))?;
    // The fitted hyperplane is all that is kept; predict once to keep linfa's own
    // prediction path exercised in debug builds.
    debug_assert_eq!(model.predict(x).len(), x.nrows());
    Ok(model.hyperplane().to_owned())
}
