//! The linfa-elasticnet path: one linfa fit per centered target.

use linfa::traits::{Fit, Predict};
use linfa::Dataset;
use ndarray::{Array1, Array2};

use super::{ElasticNetParams, TargetFit};
use crate::models::ModelError;

/// Fits one centered target with linfa-elasticnet.
pub(super) fn fit_linfa_one(
    x: &Array2<f64>,
    y: Array1<f64>,
    params: &ElasticNetParams,
) -> Result<TargetFit, ModelError> {
    let gap_tolerance = params.tolerance * y.dot(&y);
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
    // linfa reports the gap of n times the objective, with the same threshold
    // tolerance·‖y‖², from the last time its stopping rule computed it.
    Ok(TargetFit {
        coef: model.hyperplane().to_vec(),
        duality_gap: model.duality_gap(),
        gap_tolerance,
        n_iterations: model.n_steps(),
    })
}
