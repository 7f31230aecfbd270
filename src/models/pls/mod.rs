//! Partial least squares regression (PLS2: all targets share the latent components),
//! fitted by NIPALS as scikit-learn's `PLSRegression` (see `nipals`).

pub(crate) mod nipals;

use ndarray::{Array1, Array2, ArrayView2, Zip};

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

/// A fitted PLS model. It predicts as scikit-learn does, (x − x̄)·B + ȳ, where the
/// coefficients B are in the units of the original predictors and targets.
struct FittedPls {
    x_mean: Array1<f64>,
    coef: Array2<f64>,
    y_mean: Array1<f64>,
    /// Components extracted, which is fewer than `n_components` when a residual ran out.
    n_components: usize,
    requested: usize,
    /// Components whose power method did not converge, 1-based.
    unconverged: Vec<usize>,
}

/// Caps the number of components at what `n_rows` training rows and `n_predictors`
/// columns support: centering leaves rank at most rows − 1, and components past the rank
/// could only fit rounding noise.
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

        let fit = nipals::fit(x, y, n_components, self.params.scale)?;
        if let Some(reason) = &fit.stopped {
            log::warn!(
                "pls: stopped at {} of {n_components} components: {reason}",
                fit.n_components()
            );
        }
        let unconverged: Vec<usize> = fit.unconverged.iter().map(|k| k + 1).collect();
        if !unconverged.is_empty() {
            log::warn!(
                "pls: the power method did not converge in {} iterations for component(s) \
                 {unconverged:?}",
                nipals::MAX_ITERATIONS
            );
        }

        // Back to raw units: B[i, j] = B_standardized[i, j] · σ_y[j] / σ_x[i].
        let mut coef = fit.standardized_coefficients(fit.n_components());
        for (mut row, &x_scale) in coef.rows_mut().into_iter().zip(&fit.x_scaler.scale) {
            Zip::from(&mut row).and(&fit.y_scaler.scale).for_each(|b, &y_scale| {
                *b = *b * y_scale / x_scale;
            });
        }
        Ok(Box::new(FittedPls {
            coef,
            x_mean: fit.x_scaler.mean,
            y_mean: fit.y_scaler.mean,
            n_components: fit.rotations.ncols(),
            requested: self.params.n_components,
            unconverged,
        }))
    }
}

impl FittedRegressor for FittedPls {
    fn predict(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, ModelError> {
        check_predict_shape(x, self.coef.nrows())?;
        let pred = (&x - &self.x_mean).dot(&self.coef) + &self.y_mean;
        if pred.iter().any(|v| !v.is_finite()) {
            return Err(ModelError::Numerical(format!(
                "pls with {} components predicted non-finite values; use fewer components",
                self.n_components
            )));
        }
        Ok(pred)
    }

    fn fit_notes(&self) -> Vec<(String, String)> {
        let mut notes = Vec::new();
        if self.n_components < self.requested {
            notes.push(("n_components used".into(), self.n_components.to_string()));
        }
        if !self.unconverged.is_empty() {
            let list: Vec<String> = self.unconverged.iter().map(|k| k.to_string()).collect();
            notes.push(("components not converged".into(), list.join(", ")));
        }
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::ridge::{Ridge, RidgeParams};
    use ndarray::Axis;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random_problem(n: usize, p: usize, q: usize, seed: u64) -> (Array2<f64>, Array2<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x = Array2::from_shape_fn((n, p), |_| rng.gen_range(-1.0..1.0));
        let w = Array2::from_shape_fn((p, q), |_| rng.gen_range(-1.0..1.0));
        let y = x.dot(&w) + Array2::from_shape_fn((n, q), |_| rng.gen_range(-0.3..0.3));
        (x, y)
    }

    fn fit_predict(x: &Array2<f64>, y: &Array2<f64>, k: usize, scale: bool) -> Array2<f64> {
        let pls = Pls::new(PlsParams { n_components: k, scale }).unwrap();
        pls.fit(x.view(), y.view()).unwrap().predict(x.view()).unwrap()
    }

    fn assert_all_close(got: &Array2<f64>, want: &Array2<f64>, relative: f64) {
        assert_eq!(got.dim(), want.dim());
        for ((i, j), &w) in want.indexed_iter() {
            let g = got[[i, j]];
            assert!((g - w).abs() <= relative * w.abs().max(1.0), "[{i}, {j}]: {g} vs {w}");
        }
    }

    /// With as many components as predictors, PLS spans the whole predictor space, so it
    /// is ordinary least squares whatever the weights were.
    #[test]
    fn all_components_equal_least_squares() {
        let (x, y) = random_problem(40, 6, 3, 1);
        let ols = Ridge::new(RidgeParams { alpha: 0.0, standardize: false }).unwrap();
        let want = ols.fit(x.view(), y.view()).unwrap().predict(x.view()).unwrap();
        for scale in [true, false] {
            assert_all_close(&fit_predict(&x, &y, 6, scale), &want, 1e-9);
        }
    }

    /// With one target, k components minimize the squared error over the Krylov space
    /// spanned by s, As, …, Aᵏ⁻¹s, where A = XᵀX and s = Xᵀy on centered data.
    #[test]
    fn single_target_matches_krylov_least_squares() {
        let (x, y) = random_problem(30, 8, 1, 2);
        let xc = &x - &x.mean_axis(Axis(0)).unwrap();
        let yc = &y - &y.mean_axis(Axis(0)).unwrap();
        let a = xc.t().dot(&xc);
        for k in 1..=4 {
            let mut basis = Array2::zeros((8, k));
            basis.column_mut(0).assign(&xc.t().dot(&yc.column(0)));
            for j in 1..k {
                let next = a.dot(&basis.column(j - 1));
                basis.column_mut(j).assign(&(&next / next.dot(&next).sqrt()));
            }
            let reduced = basis.t().dot(&a).dot(&basis);
            let rhs = basis.t().dot(&xc.t().dot(&yc));
            let solution = crate::models::linalg::solve_spd(reduced.view(), rhs.view()).unwrap();
            let want = xc.dot(&basis.dot(&solution)) + y.mean_axis(Axis(0)).unwrap();
            assert_all_close(&fit_predict(&x, &y, k, false), &want, 1e-8);
        }
    }

    #[test]
    fn components_capped_with_note() {
        let (x, y) = random_problem(4, 10, 2, 3);
        let pls = Pls::new(PlsParams { n_components: 8, scale: true }).unwrap();
        let fitted = pls.fit(x.view(), y.view()).unwrap();
        assert_eq!(fitted.fit_notes(), vec![("n_components used".to_string(), "3".to_string())]);
        assert!(fitted.predict(x.view()).unwrap().iter().all(|v| v.is_finite()));
    }

    #[test]
    fn constant_target_predicts_its_mean() {
        let (x, mut y) = random_problem(20, 5, 2, 4);
        y.column_mut(1).fill(2.5);
        for scale in [true, false] {
            let predicted = fit_predict(&x, &y, 3, scale);
            assert!(predicted.column(1).iter().all(|&v| (v - 2.5).abs() < 1e-12), "{predicted}");
            let single = fit_predict(&x, &y.slice(ndarray::s![.., 0..1]).to_owned(), 3, scale);
            assert_all_close(&predicted.slice(ndarray::s![.., 0..1]).to_owned(), &single, 1e-12);
        }
    }

    #[test]
    fn only_constant_targets_stop_at_zero_components() {
        let (x, _) = random_problem(20, 5, 1, 5);
        let y = Array2::from_elem((20, 2), -1.25);
        let pls = Pls::new(PlsParams { n_components: 3, scale: true }).unwrap();
        let fitted = pls.fit(x.view(), y.view()).unwrap();
        assert_eq!(fitted.fit_notes(), vec![("n_components used".to_string(), "0".to_string())]);
        let predicted = fitted.predict(x.view()).unwrap();
        assert!(predicted.iter().all(|&v| v == -1.25), "{predicted}");
    }

    /// Two copies of one predictor have rank 1, so the predictor residual is zero after
    /// one component and the fit stops there instead of dividing by zero.
    #[test]
    fn exhausted_predictors_stop_without_nan() {
        let (x, y) = random_problem(15, 1, 2, 6);
        let doubled = ndarray::concatenate(Axis(1), &[x.view(), x.view()]).unwrap();
        let pls = Pls::new(PlsParams { n_components: 2, scale: true }).unwrap();
        let fitted = pls.fit(doubled.view(), y.view()).unwrap();
        assert_eq!(fitted.fit_notes(), vec![("n_components used".to_string(), "1".to_string())]);
        let want = fit_predict(&x, &y, 1, true);
        assert_all_close(&fitted.predict(doubled.view()).unwrap(), &want, 1e-10);
    }

    #[test]
    fn zero_components_rejected() {
        let err = Pls::new(PlsParams { n_components: 0, scale: true }).unwrap_err();
        assert_eq!(err.setting, "n_components");
    }

    #[test]
    fn one_row_is_an_error() {
        let pls = Pls::new(PlsParams::default()).unwrap();
        let err = pls.fit(Array2::ones((1, 3)).view(), Array2::ones((1, 1)).view()).err().unwrap();
        assert!(err.to_string().contains("at least 2 training rows"), "{err}");
    }

    #[test]
    fn wrong_predictor_count_is_an_error() {
        let (x, y) = random_problem(10, 4, 1, 7);
        let fitted = Pls::new(PlsParams::default()).unwrap().fit(x.view(), y.view()).unwrap();
        assert!(matches!(fitted.predict(Array2::zeros((2, 3)).view()), Err(ModelError::Shape(_))));
    }
}
