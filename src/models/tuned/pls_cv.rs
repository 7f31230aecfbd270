//! PLS with the number of components chosen by inner k-fold cross-validation.
//!
//! Each inner fold fits PLS once with the largest component count searched and scores
//! every smaller count from the same fit. NIPALS extracts components one after another,
//! so the first k components of a fit with more are those of a fit with k. And because
//! PᵀW is upper triangular for NIPALS, the first k columns of its rotation
//! R = W(PᵀW)⁻¹ are the rotation of the k-component model. The prediction with k
//! components is therefore ȳ + Σ_{j<k} t_j·(q_j ∘ σ_y) with scores t = ((x − x̄)/σ_x)·R.
//! A unit test checks this against separate fits.

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;

use super::folds::{inner_folds, Fold};
use super::format_value;
use crate::models::pls::{max_components, nipals, Pls, PlsParams};
use crate::models::{check_training_shapes, FittedRegressor, ModelError, Regressor, SettingsError};

const MODEL: &str = "pls-cv";

/// pls-cv settings.
///
/// | setting | default | valid range |
/// |---|---|---|
/// | `max_components` | 20 | ≥ 1; counts 1 to `max_components` are searched, capped at min(rows − 1, predictors) of the smallest inner training fold |
/// | `folds` | 5 | ≥ 2; capped at the number of training rows |
/// | `seed` | the run's seed (0 unless given) | seeds the shuffle that assigns rows to folds; a sidecar value overrides the run's |
/// | `scale` | true | as `pls`: predictors and targets scaled to unit sample variance (ddof 1) |
/// | `selection` | `min` | `min`: the count with the lowest validation error. `one-se`: the fewest components whose error is within one standard error (across folds) of that lowest one |
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlsCvParams {
    pub max_components: usize,
    pub folds: usize,
    pub seed: Option<u64>,
    pub scale: bool,
    pub selection: Selection,
}

impl Default for PlsCvParams {
    fn default() -> Self {
        PlsCvParams {
            max_components: 20,
            folds: 5,
            seed: None,
            scale: true,
            selection: Selection::default(),
        }
    }
}

/// Rule that turns the validation errors of each component count into a choice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Selection {
    /// The lowest mean validation error; ties go to fewer components.
    #[default]
    Min,
    /// The one-standard-error rule: the fewest components whose mean validation error is
    /// at most the lowest one plus that count's standard error across folds. It guards
    /// against extra components that lower the error by less than its fold-to-fold noise.
    OneSe,
}

impl std::str::FromStr for Selection {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "min" => Ok(Selection::Min),
            "one-se" => Ok(Selection::OneSe),
            other => Err(format!("unknown selection rule {other:?}: expected min or one-se")),
        }
    }
}

impl std::fmt::Display for Selection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Selection::Min => "min",
            Selection::OneSe => "one-se",
        })
    }
}

/// PLS tuned by inner k-fold cross-validation, with checked settings.
#[derive(Debug, Clone)]
pub struct PlsCv {
    params: PlsCvParams,
}

impl PlsCv {
    pub fn new(params: PlsCvParams) -> Result<Self, SettingsError> {
        if params.max_components == 0 {
            return Err(SettingsError::new(MODEL, "max_components", 0, "an integer >= 1"));
        }
        if params.folds < 2 {
            return Err(SettingsError::new(MODEL, "folds", params.folds, "an integer >= 2"));
        }
        Ok(PlsCv { params })
    }

    /// Tunes the component count on the training rows, refits with it and returns the
    /// concrete fitted model with the validation errors of every count.
    pub fn fit_pls_cv(
        &self,
        x: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<FittedPlsCv, ModelError> {
        check_training_shapes(x, y)?;
        let n = x.nrows();
        let folds = inner_folds(MODEL, n, self.params.folds, self.params.seed.unwrap_or(0))?;
        let n_folds = folds.len();
        let smallest_train = folds.iter().map(|f| f.train.len()).min().unwrap_or(0);
        let cap = self.params.max_components.min(max_components(smallest_train, x.ncols()));
        if cap == 0 {
            return Err(ModelError::Shape(format!(
                "{MODEL} needs at least 2 training rows in every inner fold, but {n_folds} \
                 folds of {n} rows leave {smallest_train}; use more folds or more rows"
            )));
        }

        let per_fold: Vec<Array2<f64>> = folds
            .par_iter()
            .enumerate()
            .map(|(i, fold)| {
                squared_errors_by_components(
                    x.select(Axis(0), &fold.train).view(),
                    y.select(Axis(0), &fold.train).view(),
                    x.select(Axis(0), &fold.validation).view(),
                    y.select(Axis(0), &fold.validation).view(),
                    cap,
                    self.params.scale,
                )
                .map_err(|e| ModelError::Numerical(format!("{MODEL}: inner fold {}: {e}", i + 1)))
            })
            .collect::<Result<_, _>>()?;
        let mut sse = Array2::<f64>::zeros((cap, y.ncols()));
        for errors in &per_fold {
            sse += errors;
        }
        // Mean over targets of each target's MSE over all n validated rows.
        let n_values = (n * y.ncols()) as f64;
        let cv_mse: Vec<f64> = sse.rows().into_iter().map(|row| row.sum() / n_values).collect();
        let mut best = 0;
        for (k, &mse) in cv_mse.iter().enumerate() {
            if mse < cv_mse[best] {
                best = k;
            }
        }
        let chosen = match self.params.selection {
            Selection::Min => best + 1,
            Selection::OneSe => {
                let threshold = cv_mse[best] + standard_error(&per_fold, &folds, best);
                cv_mse.iter().position(|&mse| mse <= threshold).unwrap_or(best) + 1
            }
        };

        let final_params = PlsParams { n_components: chosen, scale: self.params.scale };
        let model = Pls::new(final_params).expect("chosen >= 1").fit(x, y)?;
        Ok(FittedPlsCv { model, chosen, cv_mse, n_folds, requested: self.params.max_components })
    }
}

/// Fits PLS with `cap` components on the training rows and returns, for 1 to `cap`
/// components (rows) and each target (columns), the sum of squared validation errors.
/// A count whose predictions are not finite gets an infinite error. When the fit stops
/// early because a residual ran out, larger counts repeat the last count's errors, as
/// a separate fit with that many components would stop at the same point.
fn squared_errors_by_components(
    x_train: ArrayView2<f64>,
    y_train: ArrayView2<f64>,
    x_val: ArrayView2<f64>,
    y_val: ArrayView2<f64>,
    cap: usize,
    scale: bool,
) -> Result<Array2<f64>, ModelError> {
    let fit = nipals::fit(x_train, y_train, cap, scale)?;
    let scores = fit.x_scaler.transform(x_val).dot(&fit.rotations);

    let mut prediction = Array2::zeros(y_val.dim()) + &fit.y_scaler.mean;
    let mut errors = Array2::zeros((cap, y_val.ncols()));
    for k in 0..cap {
        if k < fit.n_components() {
            let step = &fit.y_loadings.column(k) * &fit.y_scaler.scale;
            let score = scores.column(k).insert_axis(Axis(1));
            prediction += &score.dot(&step.insert_axis(Axis(0)));
        }
        for (t, (predicted, actual)) in
            prediction.columns().into_iter().zip(y_val.columns()).enumerate()
        {
            let sum: f64 =
                predicted.iter().zip(actual.iter()).map(|(p, a)| (p - a) * (p - a)).sum();
            errors[[k, t]] = if sum.is_finite() { sum } else { f64::INFINITY };
        }
    }
    Ok(errors)
}

/// Returns the standard error of the mean validation error with `k + 1` components: the
/// sample standard deviation of the per-fold values (each the mean over the fold's rows
/// and all targets) divided by √folds.
fn standard_error(per_fold: &[Array2<f64>], folds: &[Fold], k: usize) -> f64 {
    let values: Vec<f64> = per_fold
        .iter()
        .zip(folds)
        .map(|(errors, fold)| errors.row(k).sum() / (fold.validation.len() * errors.ncols()) as f64)
        .collect();
    let count = values.len() as f64;
    let mean = values.iter().sum::<f64>() / count;
    let variance = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (count - 1.0);
    (variance / count).sqrt()
}

/// PLS refitted with the component count chosen by inner cross-validation.
pub struct FittedPlsCv {
    model: Box<dyn FittedRegressor>,
    chosen: usize,
    /// Mean over targets of the validation MSE, for 1, 2, … components.
    cv_mse: Vec<f64>,
    n_folds: usize,
    requested: usize,
}

impl FittedPlsCv {
    pub fn n_components(&self) -> usize {
        self.chosen
    }

    /// Mean over targets of the inner validation MSE, for 1, 2, … components.
    pub fn cv_mse(&self) -> &[f64] {
        &self.cv_mse
    }
}

impl FittedRegressor for FittedPlsCv {
    fn predict(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, ModelError> {
        self.model.predict(x)
    }

    fn fit_notes(&self) -> Vec<(String, String)> {
        let mut notes = vec![
            ("n_components chosen".to_string(), self.chosen.to_string()),
            ("cv mean mse".to_string(), format_value(self.cv_mse[self.chosen - 1])),
            ("inner folds".to_string(), self.n_folds.to_string()),
        ];
        if self.cv_mse.len() < self.requested {
            notes.push((
                "n_components searched".to_string(),
                format!(
                    "1 to {} (capped at min(rows - 1, predictors) of the inner training folds)",
                    self.cv_mse.len()
                ),
            ));
        }
        notes
    }
}

impl Regressor for PlsCv {
    fn name(&self) -> &str {
        MODEL
    }

    fn settings(&self) -> Vec<(String, String)> {
        let p = &self.params;
        vec![
            ("max_components".into(), p.max_components.to_string()),
            ("folds".into(), p.folds.to_string()),
            ("seed".into(), p.seed.unwrap_or(0).to_string()),
            ("scale".into(), p.scale.to_string()),
            ("selection".into(), p.selection.to_string()),
        ]
    }

    fn fit(
        &self,
        x: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<Box<dyn FittedRegressor>, ModelError> {
        Ok(Box::new(self.fit_pls_cv(x, y)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Draws a standard normal value by the Box-Muller transform.
    fn standard_normal(rng: &mut impl Rng) -> f64 {
        let u: f64 = rng.gen_range(f64::EPSILON..1.0);
        let v: f64 = rng.gen_range(0.0..1.0);
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

    /// Rows built from `n_factors` latent factors: predictors are the factors times random
    /// loadings plus small noise, and targets are other combinations of the same factors.
    fn latent_problem(
        n: usize,
        p: usize,
        q: usize,
        n_factors: usize,
        noise: f64,
        seed: u64,
    ) -> (Array2<f64>, Array2<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let factors = Array2::from_shape_fn((n, n_factors), |_| standard_normal(&mut rng));
        let x_loadings = Array2::from_shape_fn((n_factors, p), |_| standard_normal(&mut rng));
        let y_loadings = Array2::from_shape_fn((n_factors, q), |_| standard_normal(&mut rng));
        let x = factors.dot(&x_loadings)
            + Array2::from_shape_fn((n, p), |_| 0.2 * noise * standard_normal(&mut rng));
        let y = factors.dot(&y_loadings)
            + Array2::from_shape_fn((n, q), |_| noise * standard_normal(&mut rng));
        (x, y)
    }

    #[test]
    fn truncated_fit_matches_separate_fits() {
        let (x, y) = latent_problem(30, 12, 2, 4, 0.2, 1);
        let (x_train, y_train) = (x.slice(ndarray::s![..22, ..]), y.slice(ndarray::s![..22, ..]));
        let (x_val, y_val) = (x.slice(ndarray::s![22.., ..]), y.slice(ndarray::s![22.., ..]));
        for scale in [true, false] {
            let errors =
                squared_errors_by_components(x_train, y_train, x_val, y_val, 8, scale).unwrap();
            for k in 1..=8 {
                let pls = Pls::new(PlsParams { n_components: k, scale }).unwrap();
                let predicted = pls.fit(x_train, y_train).unwrap().predict(x_val).unwrap();
                for t in 0..2 {
                    let want: f64 = predicted
                        .column(t)
                        .iter()
                        .zip(y_val.column(t))
                        .map(|(p, a)| (p - a).powi(2))
                        .sum();
                    let got = errors[[k - 1, t]];
                    assert!(
                        (got - want).abs() <= 1e-8 * want,
                        "scale {scale}, {k} components, target {t}: {got} vs {want}"
                    );
                }
            }
        }
    }

    fn choose(x: &Array2<f64>, y: &Array2<f64>, seed: u64, selection: Selection) -> FittedPlsCv {
        let params = PlsCvParams { seed: Some(seed), selection, ..Default::default() };
        PlsCv::new(params).unwrap().fit_pls_cv(x.view(), y.view()).unwrap()
    }

    /// With 3 latent factors the error drops sharply up to 3 components. The one-SE rule
    /// stops there on every draw. The plain minimum does on most, but on some draws a
    /// fourth component that fits noise is lower by a hair (0.0030506 against 0.0030510
    /// for seed 7), so it is only checked to stay within one of the truth.
    #[test]
    fn finds_three_latent_factors() {
        for seed in 2..12 {
            let (x, y) = latent_problem(80, 50, 3, 3, 0.05, seed);
            let one_se = choose(&x, &y, seed, Selection::OneSe);
            assert_eq!(one_se.n_components(), 3, "seed {seed}: cv mse {:?}", one_se.cv_mse());
            assert_eq!(one_se.cv_mse().len(), 20);
            let min = choose(&x, &y, seed, Selection::Min);
            assert!(
                (3..=4).contains(&min.n_components()),
                "seed {seed}: {} components, cv mse {:?}",
                min.n_components(),
                min.cv_mse()
            );
        }
    }

    #[test]
    fn minimum_rule_picks_lowest_error() {
        let (x, y) = latent_problem(60, 30, 2, 5, 0.3, 13);
        let fitted = choose(&x, &y, 1, Selection::Min);
        let errors = fitted.cv_mse();
        let lowest = errors.iter().copied().fold(f64::INFINITY, f64::min);
        assert_eq!(errors[fitted.n_components() - 1], lowest, "{errors:?}");
    }

    #[test]
    fn small_folds_cap_the_search() {
        let (x, y) = latent_problem(9, 30, 1, 2, 0.05, 5);
        let fitted =
            PlsCv::new(PlsCvParams::default()).unwrap().fit_pls_cv(x.view(), y.view()).unwrap();
        // 5 folds of 9 rows leave at least 7 training rows, so 6 components at most.
        assert_eq!(fitted.cv_mse().len(), 6);
        let notes = fitted.fit_notes();
        assert!(
            notes.iter().any(|(k, v)| k == "n_components searched" && v.starts_with("1 to 6")),
            "{notes:?}"
        );
    }

    #[test]
    fn invalid_settings_are_rejected() {
        let check = |params: PlsCvParams| PlsCv::new(params).unwrap_err().setting;
        assert_eq!(
            check(PlsCvParams { max_components: 0, ..Default::default() }),
            "max_components"
        );
        assert_eq!(check(PlsCvParams { folds: 1, ..Default::default() }), "folds");
    }

    #[test]
    fn one_row_inner_fold_is_an_error() {
        // 2 folds of 3 rows train one fold on a single row.
        let (x, y) = latent_problem(3, 4, 1, 1, 0.1, 14);
        let model = PlsCv::new(PlsCvParams { folds: 2, ..Default::default() }).unwrap();
        let err = model.fit(x.view(), y.view()).err().unwrap();
        assert!(err.to_string().contains("leave 1"), "{err}");
    }

    #[test]
    fn two_training_rows_are_an_error() {
        let model = PlsCv::new(PlsCvParams::default()).unwrap();
        let err =
            model.fit(Array2::ones((2, 3)).view(), Array2::ones((2, 1)).view()).err().unwrap();
        assert!(err.to_string().contains("at least 3 training rows"), "{err}");
    }
}
