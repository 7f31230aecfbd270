//! Ridge regression with alpha chosen by efficient leave-one-out cross-validation.
//!
//! The objective is ridge's, ‖y − Xw − b‖² + α‖w‖² with the intercept b unpenalized,
//! on predictors standardized (or only centered) on the training rows.
//!
//! # Leave-one-out without refitting
//!
//! With an unpenalized intercept the fitted values are ŷ = Hy with the hat matrix
//! H = 11ᵀ/n + X(XᵀX + αI)⁻¹Xᵀ, where X is centered on all n training rows. Ridge with an
//! intercept is a penalized least-squares fit on the design [1, X] with penalty
//! diag(0, αI), and for any such fit the Sherman-Morrison formula gives the residual of
//! row i under the model refitted without it as e_i/(1 − H_ii), e = y − ŷ. The refitted
//! model has its own intercept, so the formula handles centering exactly.
//!
//! One eigendecomposition serves every alpha. When n ≤ p, XXᵀ = UΛUᵀ (n × n). When
//! p < n, XᵀX = VΛVᵀ (p × p) and U = XVΛ^(−1/2). Either way
//! X(XᵀX + αI)⁻¹Xᵀ = U diag(λ/(λ + α)) Uᵀ, so for each alpha
//! ŷ − ȳ = U diag(λ/(λ + α)) Uᵀ(y − ȳ) and H_ii = 1/n + Σ_j U_ij² λ_j/(λ_j + α), which
//! costs O(n·r·q) for rank r and q targets, against a factorization per row and alpha.
//!
//! The predictor scaling is fitted once on all n rows, left-out row included, as when
//! scikit-learn's `RidgeCV` runs on standardized data. Only the centering is refitted.

use ndarray::{Array1, Array2, ArrayView2, Axis};

use super::{format_value, log_grid};
use crate::models::preprocess::eigen::symmetric_eigen;
use crate::models::ridge::{solve_ridge, LinearModel};
use crate::models::scaling::Standardizer;
use crate::models::{check_training_shapes, FittedRegressor, ModelError, Regressor, SettingsError};

const MODEL: &str = "ridge-cv";

/// ridge-cv settings.
///
/// | setting | default | valid range |
/// |---|---|---|
/// | `alpha_min` | 1e-4 | finite, > 0 |
/// | `alpha_max` | 1e4 | finite, > `alpha_min` |
/// | `n_alphas` | 25 | 2 to 1000; the grid is log-spaced and includes both ends |
/// | `standardize` | true | scales predictors to unit population variance (ddof 0) on the training rows, as `ridge` does |
/// | `per_target` | false | false: one alpha for all targets, minimizing the leave-one-out MSE averaged over targets. true: each target's own best alpha |
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RidgeCvParams {
    pub alpha_min: f64,
    pub alpha_max: f64,
    pub n_alphas: usize,
    pub standardize: bool,
    pub per_target: bool,
}

impl Default for RidgeCvParams {
    fn default() -> Self {
        RidgeCvParams {
            alpha_min: 1e-4,
            alpha_max: 1e4,
            n_alphas: 25,
            standardize: true,
            per_target: false,
        }
    }
}

/// Ridge regression tuned by leave-one-out, with checked settings.
#[derive(Debug, Clone)]
pub struct RidgeCv {
    params: RidgeCvParams,
    alphas: Vec<f64>,
}

impl RidgeCv {
    pub fn new(params: RidgeCvParams) -> Result<Self, SettingsError> {
        if !(params.alpha_min.is_finite() && params.alpha_min > 0.0) {
            return Err(SettingsError::new(
                MODEL,
                "alpha_min",
                params.alpha_min,
                "a finite number > 0",
            ));
        }
        if !(params.alpha_max.is_finite() && params.alpha_max > params.alpha_min) {
            return Err(SettingsError::new(
                MODEL,
                "alpha_max",
                params.alpha_max,
                "a finite number > alpha_min",
            ));
        }
        if !(2..=1000).contains(&params.n_alphas) {
            return Err(SettingsError::new(MODEL, "n_alphas", params.n_alphas, "2 to 1000"));
        }
        let alphas = log_grid(params.alpha_min, params.alpha_max, params.n_alphas);
        Ok(RidgeCv { params, alphas })
    }

    /// Returns the alpha grid, in increasing order.
    pub fn alphas(&self) -> &[f64] {
        &self.alphas
    }

    /// Tunes alpha on the training rows, refits with it and returns the concrete fitted
    /// model, whose leave-one-out errors [`Regressor::fit`] hides behind the trait object.
    pub fn fit_ridge_cv(
        &self,
        x: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<FittedRidgeCv, ModelError> {
        check_training_shapes(x, y)?;
        if x.nrows() < 2 {
            return Err(ModelError::Shape(format!(
                "{MODEL} needs at least 2 training rows for leave-one-out, got {}",
                x.nrows()
            )));
        }
        let scaler = if self.params.standardize {
            Standardizer::fit(x, 0.0)
        } else {
            Standardizer::fit_center(x)
        };
        let xs = scaler.transform(x);
        let y_mean = y.mean_axis(Axis(0)).expect("checked: at least one row");
        let yc = &y - &y_mean;

        let loo_mse = leave_one_out_mse(xs.view(), yc.view(), &self.alphas)?;
        let chosen: Vec<usize> = if self.params.per_target {
            (0..yc.ncols()).map(|t| best_index(loo_mse.column(t).iter().copied())).collect()
        } else {
            let mean = loo_mse.mean_axis(Axis(1)).expect("at least one target");
            vec![best_index(mean.iter().copied()); yc.ncols()]
        };

        let mut coef = Array2::zeros((xs.ncols(), yc.ncols()));
        let mut distinct = chosen.clone();
        distinct.sort_unstable();
        distinct.dedup();
        for &a in &distinct {
            let targets: Vec<usize> = (0..yc.ncols()).filter(|&t| chosen[t] == a).collect();
            let solved =
                solve_ridge(xs.view(), yc.select(Axis(1), &targets).view(), self.alphas[a])?;
            for (k, &t) in targets.iter().enumerate() {
                coef.column_mut(t).assign(&solved.column(k));
            }
        }
        Ok(FittedRidgeCv {
            model: LinearModel::from_standardized(coef, &scaler, &y_mean),
            alphas: self.alphas.clone(),
            chosen,
            loo_mse,
        })
    }
}

/// Returns the index of the smallest score, preferring the later index (the larger
/// alpha) on ties. A NaN score never wins.
fn best_index(scores: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::INFINITY);
    for (i, score) in scores.enumerate() {
        if score <= best.1 {
            best = (i, score);
        }
    }
    best.0
}

/// Returns the leave-one-out mean squared error of ridge for every alpha and target
/// (alphas × targets), for predictors `xs` and targets `yc` both centered on their rows.
///
/// The module documentation derives the formula. Eigenvalues at or below
/// λ₁·max(n, p)·ε are dropped as rounding noise. Each changes H by at most λ_j/α, and on
/// the p < n route dividing by √λ_j would amplify that noise.
pub fn leave_one_out_mse(
    xs: ArrayView2<f64>,
    yc: ArrayView2<f64>,
    alphas: &[f64],
) -> Result<Array2<f64>, ModelError> {
    let (n, p) = xs.dim();
    let (values, basis) = if n <= p {
        let (values, vectors) = symmetric_eigen(xs.dot(&xs.t()).view())?;
        let rank = rank(&values, n.max(p));
        (
            values.slice(ndarray::s![..rank]).to_owned(),
            vectors.slice(ndarray::s![.., ..rank]).to_owned(),
        )
    } else {
        let (values, vectors) = symmetric_eigen(xs.t().dot(&xs).view())?;
        let rank = rank(&values, n.max(p));
        let values = values.slice(ndarray::s![..rank]).to_owned();
        let mut basis = xs.dot(&vectors.slice(ndarray::s![.., ..rank]));
        for (mut column, &value) in basis.columns_mut().into_iter().zip(values.iter()) {
            column.mapv_inplace(|v| v / value.sqrt());
        }
        (values, basis)
    };

    let projections = basis.t().dot(&yc);
    let squared_basis = basis.mapv(|v| v * v);
    let mut mse = Array2::zeros((alphas.len(), yc.ncols()));
    for (a, &alpha) in alphas.iter().enumerate() {
        let shrink: Array1<f64> = values.mapv(|lambda| lambda / (lambda + alpha));
        let fitted = basis.dot(&(&projections * &shrink.view().insert_axis(Axis(1))));
        let leverage = squared_basis.dot(&shrink) + 1.0 / n as f64;
        let residual = &yc - &fitted;
        let mut row = mse.row_mut(a);
        for (i, residuals) in residual.rows().into_iter().enumerate() {
            let denominator = 1.0 - leverage[i];
            for (t, e) in residuals.iter().enumerate() {
                let loo = e / denominator;
                row[t] += loo * loo;
            }
        }
        row.mapv_inplace(|v| v / n as f64);
    }
    Ok(mse)
}

/// Counts the eigenvalues, sorted decreasing, above λ₁·`size`·ε.
fn rank(values: &Array1<f64>, size: usize) -> usize {
    let threshold = values.first().copied().unwrap_or(0.0).max(0.0) * size as f64 * f64::EPSILON;
    values.iter().take_while(|&&v| v > threshold).count()
}

/// Ridge refitted with the alpha chosen by leave-one-out.
pub struct FittedRidgeCv {
    model: LinearModel,
    alphas: Vec<f64>,
    /// Index into `alphas` per target.
    chosen: Vec<usize>,
    /// Leave-one-out MSE, alphas × targets.
    loo_mse: Array2<f64>,
}

impl FittedRidgeCv {
    /// The chosen alpha per target (all equal unless `per_target` is set).
    pub fn chosen_alphas(&self) -> Vec<f64> {
        self.chosen.iter().map(|&a| self.alphas[a]).collect()
    }

    /// Leave-one-out mean squared error per alpha (rows, increasing) and target.
    pub fn loo_mse(&self) -> &Array2<f64> {
        &self.loo_mse
    }

    pub fn coef(&self) -> &Array2<f64> {
        &self.model.coef
    }
}

impl FittedRegressor for FittedRidgeCv {
    fn predict(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, ModelError> {
        self.model.predict(x)
    }

    fn fit_notes(&self) -> Vec<(String, String)> {
        let last = self.alphas.len() - 1;
        let loo: f64 =
            self.chosen.iter().enumerate().map(|(t, &a)| self.loo_mse[[a, t]]).sum::<f64>()
                / self.chosen.len() as f64;
        let mut notes = Vec::new();
        let distinct = {
            let mut chosen = self.chosen.clone();
            chosen.sort_unstable();
            chosen.dedup();
            chosen
        };
        if let [only] = distinct[..] {
            notes.push(("alpha chosen".to_string(), format_value(self.alphas[only])));
        } else {
            let mut sorted = self.chosen_alphas();
            sorted.sort_by(f64::total_cmp);
            let median = sorted[sorted.len() / 2];
            notes.push((
                "alpha chosen".to_string(),
                format!(
                    "per target: min {}, median {}, max {}",
                    format_value(sorted[0]),
                    format_value(median),
                    format_value(sorted[sorted.len() - 1])
                ),
            ));
        }
        notes.push(("loo mean mse".to_string(), format_value(loo)));
        let at_edge = self.chosen.iter().filter(|&&a| a == 0 || a == last).count();
        if at_edge > 0 {
            notes.push((
                "alpha at grid edge".to_string(),
                format!("{at_edge} of {} targets; widen alpha_min or alpha_max", self.chosen.len()),
            ));
        }
        notes
    }
}

impl Regressor for RidgeCv {
    fn name(&self) -> &str {
        MODEL
    }

    fn settings(&self) -> Vec<(String, String)> {
        let p = &self.params;
        vec![
            (
                "alphas".into(),
                format!("{} log-spaced from {} to {}", p.n_alphas, p.alpha_min, p.alpha_max),
            ),
            ("standardize".into(), p.standardize.to_string()),
            ("per_target".into(), p.per_target.to_string()),
            ("validation".into(), "leave-one-out".into()),
        ]
    }

    fn fit(
        &self,
        x: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<Box<dyn FittedRegressor>, ModelError> {
        Ok(Box::new(self.fit_ridge_cv(x, y)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn problem(n: usize, p: usize, q: usize, noise: f64, seed: u64) -> (Array2<f64>, Array2<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x = Array2::from_shape_fn((n, p), |_| rng.gen_range(-1.0..1.0) + 2.0);
        let w = Array2::from_shape_fn((p, q), |_| rng.gen_range(-1.0..1.0));
        let y = x.dot(&w) + Array2::from_shape_fn((n, q), |_| noise * rng.gen_range(-1.0..1.0));
        (x, y)
    }

    /// Refits ridge with an intercept on all rows but one, for each row, on the fixed
    /// standardized predictors, and returns the mean squared error per target.
    fn brute_force_loo(xs: &Array2<f64>, y: &Array2<f64>, alpha: f64) -> Array1<f64> {
        let n = xs.nrows();
        let mut sse = Array1::zeros(y.ncols());
        for i in 0..n {
            let keep: Vec<usize> = (0..n).filter(|&r| r != i).collect();
            let x_train = xs.select(Axis(0), &keep);
            let y_train = y.select(Axis(0), &keep);
            let x_mean = x_train.mean_axis(Axis(0)).unwrap();
            let y_mean = y_train.mean_axis(Axis(0)).unwrap();
            let w = solve_ridge((&x_train - &x_mean).view(), (&y_train - &y_mean).view(), alpha)
                .unwrap();
            let prediction = (&xs.row(i) - &x_mean).dot(&w) + &y_mean;
            sse += &(&y.row(i) - &prediction).mapv(|e| e * e);
        }
        sse / n as f64
    }

    #[test]
    fn shortcut_matches_brute_force_refits() {
        // Wide (dual, n ≤ p), square-ish and tall (primal) shapes.
        for (n, p) in [(12, 30), (15, 15), (40, 6)] {
            let (x, y) = problem(n, p, 3, 0.3, n as u64);
            let xs = Standardizer::fit(x.view(), 0.0).transform(x.view());
            let yc = &y - &y.mean_axis(Axis(0)).unwrap();
            let alphas = [1e-3, 0.1, 1.0, 30.0, 1e4];
            let mse = leave_one_out_mse(xs.view(), yc.view(), &alphas).unwrap();
            for (a, &alpha) in alphas.iter().enumerate() {
                let want = brute_force_loo(&xs, &y, alpha);
                for t in 0..3 {
                    let got = mse[[a, t]];
                    assert!(
                        (got - want[t]).abs() <= 1e-8 * want[t],
                        "n {n}, p {p}, alpha {alpha}, target {t}: {got} vs {}",
                        want[t]
                    );
                }
            }
        }
    }

    /// The model chooses the alpha with the lowest brute-force leave-one-out error on its
    /// own grid, and then predicts as ridge with that alpha does.
    #[test]
    fn choice_matches_brute_force_search() {
        let (x, y) = problem(25, 40, 2, 2.0, 7);
        let model = RidgeCv::new(RidgeCvParams { n_alphas: 13, ..Default::default() }).unwrap();
        let fitted = model.fit_ridge_cv(x.view(), y.view()).unwrap();
        let xs = Standardizer::fit(x.view(), 0.0).transform(x.view());
        let brute: Vec<f64> =
            model.alphas().iter().map(|&a| brute_force_loo(&xs, &y, a).mean().unwrap()).collect();
        let best = best_index(brute.iter().copied());
        let chosen = fitted.chosen_alphas();
        assert_eq!(chosen[0], model.alphas()[best], "brute-force errors {brute:?}");
        assert_eq!(chosen[1], chosen[0]);

        let ridge = crate::models::ridge::Ridge::new(crate::models::ridge::RidgeParams {
            alpha: chosen[0],
            standardize: true,
        })
        .unwrap();
        let want = ridge.fit(x.view(), y.view()).unwrap().predict(x.view()).unwrap();
        let got = fitted.predict(x.view()).unwrap();
        assert!(got.iter().zip(want.iter()).all(|(g, w)| (g - w).abs() < 1e-9));
    }

    /// Noise-free targets favour the smallest alpha, pure-noise targets the largest.
    #[test]
    fn per_target_choice_follows_noise() {
        let (x, clean) = problem(30, 8, 1, 0.0, 11);
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        let noise = Array2::from_shape_fn((30, 1), |_| rng.gen_range(-1.0..1.0));
        let y = ndarray::concatenate![Axis(1), clean, noise];
        let params = RidgeCvParams { per_target: true, ..Default::default() };
        let fitted = RidgeCv::new(params).unwrap().fit_ridge_cv(x.view(), y.view()).unwrap();
        let chosen = fitted.chosen_alphas();
        assert_eq!(chosen[0], 1e-4, "{chosen:?}");
        assert!(chosen[1] >= 100.0, "{chosen:?}");
        let notes = fitted.fit_notes();
        assert!(notes[0].1.starts_with("per target"), "{notes:?}");
        assert!(notes.iter().any(|(k, _)| k == "alpha at grid edge"), "{notes:?}");
    }

    #[test]
    fn invalid_grids_are_rejected() {
        let check = |params: RidgeCvParams| RidgeCv::new(params).unwrap_err().setting;
        assert_eq!(check(RidgeCvParams { alpha_min: 0.0, ..Default::default() }), "alpha_min");
        assert_eq!(check(RidgeCvParams { alpha_max: 1e-5, ..Default::default() }), "alpha_max");
        assert_eq!(check(RidgeCvParams { n_alphas: 1, ..Default::default() }), "n_alphas");
        assert_eq!(
            check(RidgeCvParams { alpha_max: f64::INFINITY, ..Default::default() }),
            "alpha_max"
        );
    }

    #[test]
    fn one_training_row_is_an_error() {
        let model = RidgeCv::new(RidgeCvParams::default()).unwrap();
        let err =
            model.fit(Array2::ones((1, 3)).view(), Array2::ones((1, 1)).view()).err().unwrap();
        assert!(err.to_string().contains("at least 2 training rows"), "{err}");
    }
}
