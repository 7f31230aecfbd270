//! Ridge regression in closed form, for any number of targets at once.
//!
//! Minimizes ‖y − Xw − b‖² + α‖w‖² per target (no 1/n factor, as scikit-learn's
//! `Ridge`), with the intercept b unpenalized. Centering X and y removes the intercept
//! from the system. When predictors outnumber rows the dual form
//! w = Xᵀ(XXᵀ + αI)⁻¹y solves an n × n system instead of a p × p one.

use ndarray::{s, Array1, Array2, ArrayView2, Axis};

use super::linalg::{add_lower_gram, add_transpose_product, gram, solve_spd, sum_over_row_blocks};
use super::scaling::Standardizer;
use super::{
    check_predict_shape, check_training_shapes, FittedRegressor, ModelError, Regressor,
    SettingsError,
};

/// Ridge settings.
///
/// | setting | default | valid range |
/// |---|---|---|
/// | `alpha` | 1.0 | finite, ≥ 0 (0 needs a full-rank system) |
/// | `standardize` | true | scales predictors to unit population variance (ddof 0) on the training rows |
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RidgeParams {
    pub alpha: f64,
    pub standardize: bool,
}

impl Default for RidgeParams {
    fn default() -> Self {
        RidgeParams { alpha: 1.0, standardize: true }
    }
}

/// Ridge regression with checked settings.
#[derive(Debug, Clone)]
pub struct Ridge {
    params: RidgeParams,
}

impl Ridge {
    pub fn new(params: RidgeParams) -> Result<Self, SettingsError> {
        if !(params.alpha.is_finite() && params.alpha >= 0.0) {
            return Err(SettingsError::new("ridge", "alpha", params.alpha, "a finite number >= 0"));
        }
        Ok(Ridge { params })
    }
}

/// Coefficients in the units of the original predictors.
pub(crate) struct LinearModel {
    pub coef: Array2<f64>,
    pub intercept: Array1<f64>,
}

impl LinearModel {
    /// Maps coefficients fitted on standardized predictors back to raw units.
    pub fn from_standardized(
        mut coef: Array2<f64>,
        scaler: &Standardizer,
        y_mean: &Array1<f64>,
    ) -> Self {
        // In place, because a second p × targets array costs page faults on wide data.
        coef /= &scaler.scale.view().insert_axis(Axis(1));
        let intercept = y_mean - &scaler.mean.dot(&coef);
        LinearModel { coef, intercept }
    }
}

impl FittedRegressor for LinearModel {
    fn predict(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, ModelError> {
        check_predict_shape(x, self.coef.nrows())?;
        Ok(x.dot(&self.coef) + &self.intercept)
    }
}

impl Regressor for Ridge {
    fn name(&self) -> &str {
        "ridge"
    }

    fn settings(&self) -> Vec<(String, String)> {
        vec![
            ("alpha".into(), self.params.alpha.to_string()),
            ("standardize".into(), self.params.standardize.to_string()),
        ]
    }

    fn fit(
        &self,
        x: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<Box<dyn FittedRegressor>, ModelError> {
        check_training_shapes(x, y)?;
        let scaler = if self.params.standardize {
            Standardizer::fit(x, 0.0)
        } else {
            Standardizer::fit_center(x)
        };
        let y_mean = y.mean_axis(Axis(0)).expect("checked: at least one row");
        let yc = &y - &y_mean;
        let coef = if x.ncols() > x.nrows() {
            solve_ridge(scaler.transform(x).view(), yc.view(), self.params.alpha)?
        } else {
            solve_primal_streaming(x, &scaler, yc.view(), self.params.alpha)?
        };
        Ok(Box::new(LinearModel::from_standardized(coef, &scaler, &y_mean)))
    }
}

/// Solves the centered ridge system, choosing the primal or dual form by shape.
pub(crate) fn solve_ridge(
    x: ArrayView2<f64>,
    y: ArrayView2<f64>,
    alpha: f64,
) -> Result<Array2<f64>, ModelError> {
    let (n, p) = x.dim();
    if p > n {
        let mut system = gram(x.t());
        system.diag_mut().mapv_inplace(|d| d + alpha);
        let dual = solve_spd(system.view(), y)?;
        Ok(x.t().dot(&dual))
    } else {
        let mut system = gram(x);
        system.diag_mut().mapv_inplace(|d| d + alpha);
        solve_spd(system.view(), x.t().dot(&y).view())
    }
}

/// Rows standardized at a time by `solve_primal_streaming`. Each block's product updates
/// the whole p × p Gram matrix, so blocks of a few hundred rows keep that traffic small
/// next to the multiplications.
const STREAMING_BLOCK_ROWS: usize = 512;

/// Solves the primal system (ZᵀZ + αI)w = Zᵀy for the standardized predictors
/// Z = `scaler`(x) without storing Z. Blocks of rows are standardized into a buffer and
/// their products accumulated, which saves the n × p allocation and its pass over memory.
fn solve_primal_streaming(
    x: ArrayView2<f64>,
    scaler: &Standardizer,
    y: ArrayView2<f64>,
    alpha: f64,
) -> Result<Array2<f64>, ModelError> {
    let (n, p) = x.dim();
    let q = y.ncols();
    // Columns 0..p accumulate the lower triangle of ZᵀZ, columns p.. accumulate Zᵀy.
    let sums = sum_over_row_blocks(n, p * p / 2 + p * q, (p, p + q), |rows, sum| {
        let mut buffer = Array2::zeros((STREAMING_BLOCK_ROWS.min(rows.len()), p));
        for start in rows.clone().step_by(STREAMING_BLOCK_ROWS) {
            let end = (start + STREAMING_BLOCK_ROWS).min(rows.end);
            let mut z = buffer.slice_mut(s![..end - start, ..]);
            scaler.transform_into(x.slice(s![start..end, ..]), z.view_mut());
            let (gram_part, cross_part) = sum.view_mut().split_at(Axis(1), p);
            add_lower_gram(gram_part, z.view());
            add_transpose_product(cross_part, z.view(), y.slice(s![start..end, ..]));
        }
    });
    let (gram_lower, cross) = sums.view().split_at(Axis(1), p);
    let mut system = gram_lower.to_owned();
    system.diag_mut().mapv_inplace(|d| d + alpha);
    solve_spd(system.view(), cross)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn primal_and_dual_forms_agree() {
        // 4 rows, 3 predictors (primal) and its transpose-shaped twin (dual) must both
        // satisfy the normal equations (XᵀX + αI)w = Xᵀy.
        let x = array![
            [1.0, 2.0, 0.5, -1.0, 3.0],
            [0.0, -1.0, 2.0, 1.5, 0.2],
            [2.0, 0.3, -0.7, 0.0, 1.0]
        ];
        let y = array![[1.0], [-0.5], [2.0]];
        let w = solve_ridge(x.view(), y.view(), 0.7).unwrap();
        let mut lhs = x.t().dot(&x);
        lhs.diag_mut().mapv_inplace(|d| d + 0.7);
        let residual = lhs.dot(&w) - x.t().dot(&y);
        assert!(residual.iter().all(|r| r.abs() < 1e-10), "{residual}");
    }

    /// Streaming blocks of rows, on one thread (1,300 rows) and split across threads
    /// (4,000 rows × 100 predictors), gives the solution of the materialized system.
    #[test]
    fn streaming_matches_materialized_primal() {
        for (n, p, standardize) in [(1300, 7, true), (1300, 7, false), (4000, 100, true)] {
            let x = Array2::from_shape_fn((n, p), |(i, j)| {
                ((i * 31 + j * 17) % 23) as f64 * 0.1 + j as f64
            });
            let y = Array2::from_shape_fn((n, 2), |(i, t)| ((i * 7 + t) % 13) as f64);
            let scaler = if standardize {
                Standardizer::fit(x.view(), 0.0)
            } else {
                Standardizer::fit_center(x.view())
            };
            let yc = &y - &y.mean_axis(Axis(0)).unwrap();
            let want = solve_ridge(scaler.transform(x.view()).view(), yc.view(), 0.5).unwrap();
            let got = solve_primal_streaming(x.view(), &scaler, yc.view(), 0.5).unwrap();
            assert_eq!(got.dim(), want.dim());
            for (g, w) in got.iter().zip(want.iter()) {
                assert!((g - w).abs() <= 1e-9 * w.abs().max(1e-3), "{n} × {p}: {g} vs {w}");
            }
        }
    }

    #[test]
    fn negative_alpha_is_rejected() {
        let err = Ridge::new(RidgeParams { alpha: -1.0, standardize: true }).unwrap_err();
        assert_eq!(err.setting, "alpha");
        assert!(err.to_string().contains("-1"));
    }

    #[test]
    fn constant_predictor_stays_finite() {
        let x = array![[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [4.0, 5.0]];
        let y = array![[2.0], [4.0], [6.0], [8.0]];
        let fitted = Ridge::new(RidgeParams::default()).unwrap().fit(x.view(), y.view()).unwrap();
        let pred = fitted.predict(x.view()).unwrap();
        assert!(pred.iter().all(|v| v.is_finite()));
    }
}
