//! The dense network with its learning rate and hidden layer sizes chosen by inner
//! k-fold cross-validation.
//!
//! Every other setting (epochs, batch size, activation, validation split, early
//! stopping, ensemble, scaling, seed) comes from the plain `dense-nn` model's settings.
//! Each grid point is trained on every inner fold's training rows and scored on its
//! validation rows. The point with the lowest validation MSE, pooled over all rows and
//! averaged over targets, is refitted on all training rows.

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;

use super::folds::inner_folds;
use super::format_value;
use crate::models::nn::{DenseNet, DenseNetParams, HiddenSizes};
use crate::models::{
    check_training_shapes, FittedRegressor, ModelError, Regressor, SettingsError, TrainingHistory,
};

const MODEL: &str = "dense-nn-cv";

/// dense-nn-cv settings.
///
/// | setting | default | valid range |
/// |---|---|---|
/// | `learning_rates` | [0.001, 0.003, 0.01] | at least one; each finite and > 0 |
/// | `hidden` | [[32], [64], [128]] | at least one list of hidden layer sizes, each size ≥ 1 (an empty list gives a linear model) |
/// | `folds` | 3 | ≥ 2; capped at the number of training rows |
/// | `seed` | the run's seed (0 unless given) | seeds the shuffle that assigns rows to folds; a sidecar value overrides the run's |
///
/// The default grid has 9 points, so a fit trains 27 networks before the final one.
/// Three folds, not the five of the other tuned models, keep that within a few seconds
/// on the shipped data sets.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DenseNetCvParams {
    pub learning_rates: Vec<f64>,
    pub hidden: Vec<Vec<usize>>,
    pub folds: usize,
    pub seed: Option<u64>,
}

impl Default for DenseNetCvParams {
    fn default() -> Self {
        DenseNetCvParams {
            learning_rates: vec![0.001, 0.003, 0.01],
            hidden: vec![vec![32], vec![64], vec![128]],
            folds: 3,
            seed: None,
        }
    }
}

/// One point of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct GridPoint {
    pub learning_rate: f64,
    pub hidden: Vec<usize>,
}

/// The dense network tuned by inner k-fold cross-validation, with checked settings.
#[derive(Debug, Clone)]
pub struct DenseNetCv {
    params: DenseNetCvParams,
    base: DenseNetParams,
}

impl DenseNetCv {
    /// Checks the grid and the settings of every network it would train.
    ///
    /// # Errors
    ///
    /// Returns a [`SettingsError`] for an empty grid, fewer than 2 folds, or a grid point
    /// that gives invalid network settings, such as a learning rate of 0.
    pub fn new(params: DenseNetCvParams, base: DenseNetParams) -> Result<Self, SettingsError> {
        if params.learning_rates.is_empty() {
            return Err(SettingsError::new(MODEL, "learning_rates", "[]", "at least one rate"));
        }
        if params.hidden.is_empty() {
            return Err(SettingsError::new(MODEL, "hidden", "[]", "at least one list of sizes"));
        }
        if params.folds < 2 {
            return Err(SettingsError::new(MODEL, "folds", params.folds, "an integer >= 2"));
        }
        let model = DenseNetCv { params, base };
        for point in model.grid() {
            model.network_params(&point).validate().map_err(|e| SettingsError {
                model: MODEL,
                setting: match e.setting {
                    "learning_rate" => "learning_rates",
                    other => other,
                },
                ..e
            })?;
        }
        Ok(model)
    }

    /// Returns the grid points in search order: learning rates outer, hidden sizes inner.
    pub fn grid(&self) -> Vec<GridPoint> {
        let mut points = Vec::new();
        for &learning_rate in &self.params.learning_rates {
            for hidden in &self.params.hidden {
                points.push(GridPoint { learning_rate, hidden: hidden.clone() });
            }
        }
        points
    }

    fn network_params(&self, point: &GridPoint) -> DenseNetParams {
        DenseNetParams {
            learning_rate: point.learning_rate,
            hidden: point.hidden.clone(),
            ..self.base.clone()
        }
    }

    /// Tunes the grid on the training rows, refits the best point on all of them and
    /// returns the concrete fitted model with every point's validation error.
    ///
    /// # Errors
    ///
    /// Returns [`ModelError::Shape`] for fewer than 3 rows, and the error of the first
    /// inner fit when every grid point failed, or the final fit's error.
    pub fn fit_dense_nn_cv(
        &self,
        x: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<FittedDenseNetCv, ModelError> {
        check_training_shapes(x, y)?;
        let n = x.nrows();
        let folds = inner_folds(MODEL, n, self.params.folds, self.params.seed.unwrap_or(0))?;
        let n_folds = folds.len();
        let grid = self.grid();

        // Every (point, fold) job is independent and collected in order, so the choice
        // does not depend on the number of threads.
        let jobs: Vec<(usize, usize)> =
            (0..grid.len()).flat_map(|p| (0..folds.len()).map(move |f| (p, f))).collect();
        let squared_errors: Vec<Result<f64, ModelError>> = jobs
            .par_iter()
            .map(|&(p, f)| {
                let fold = &folds[f];
                let model = DenseNet::new(self.network_params(&grid[p]))
                    .expect("grid points were validated in new");
                let fitted = model.fit(
                    x.select(Axis(0), &fold.train).view(),
                    y.select(Axis(0), &fold.train).view(),
                )?;
                let prediction = fitted.predict(x.select(Axis(0), &fold.validation).view())?;
                let actual = y.select(Axis(0), &fold.validation);
                Ok(sum_of_squares(&prediction, &actual))
            })
            .collect();

        // A point that failed on any fold, such as a learning rate so large that the loss
        // overflowed, gets an infinite error rather than ending the search.
        let n_values = (n * y.ncols()) as f64;
        let mut cv_mse = vec![0.0; grid.len()];
        let mut first_error = None;
        for (&(p, _), result) in jobs.iter().zip(squared_errors) {
            match result {
                Ok(sse) if sse.is_finite() => cv_mse[p] += sse / n_values,
                Ok(_) => cv_mse[p] = f64::INFINITY,
                Err(e) => {
                    log::warn!("{MODEL}: {} failed on an inner fold: {e}", describe(&grid[p]));
                    cv_mse[p] = f64::INFINITY;
                    first_error.get_or_insert(e);
                }
            }
        }
        let mut best = 0;
        for (p, &mse) in cv_mse.iter().enumerate() {
            if mse < cv_mse[best] {
                best = p;
            }
        }
        if !cv_mse[best].is_finite() {
            return Err(first_error.unwrap_or_else(|| {
                ModelError::Numerical(format!(
                    "{MODEL}: every grid point predicted non-finite values on an inner fold; \
                     try smaller learning_rates"
                ))
            }));
        }

        let chosen = grid[best].clone();
        let model = DenseNet::new(self.network_params(&chosen)).expect("validated in new");
        let fitted = model.fit(x, y)?;
        Ok(FittedDenseNetCv { fitted, grid, cv_mse, chosen, n_folds })
    }
}

fn sum_of_squares(prediction: &Array2<f64>, actual: &Array2<f64>) -> f64 {
    prediction.iter().zip(actual.iter()).map(|(p, a)| (p - a) * (p - a)).sum()
}

fn describe(point: &GridPoint) -> String {
    format!(
        "learning_rate {} with hidden {}",
        point.learning_rate,
        HiddenSizes(point.hidden.clone())
    )
}

/// The network refitted with the grid point chosen by inner cross-validation.
pub struct FittedDenseNetCv {
    fitted: Box<dyn FittedRegressor>,
    grid: Vec<GridPoint>,
    /// Mean over targets of the validation MSE of each grid point, infinite for a point
    /// that failed.
    cv_mse: Vec<f64>,
    chosen: GridPoint,
    n_folds: usize,
}

impl FittedDenseNetCv {
    pub fn chosen(&self) -> &GridPoint {
        &self.chosen
    }

    /// Grid points and their mean validation MSE over targets, in search order.
    pub fn cv_mse(&self) -> impl Iterator<Item = (&GridPoint, f64)> {
        self.grid.iter().zip(self.cv_mse.iter().copied())
    }
}

impl FittedRegressor for FittedDenseNetCv {
    fn predict(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, ModelError> {
        self.fitted.predict(x)
    }

    fn history(&self) -> &[TrainingHistory] {
        self.fitted.history()
    }

    fn fit_notes(&self) -> Vec<(String, String)> {
        let best = self.grid.iter().position(|p| *p == self.chosen).unwrap_or(0);
        let mut notes = vec![
            ("learning_rate chosen".to_string(), self.chosen.learning_rate.to_string()),
            ("hidden chosen".to_string(), HiddenSizes(self.chosen.hidden.clone()).to_string()),
            ("cv mean mse".to_string(), format_value(self.cv_mse[best])),
            ("inner folds".to_string(), self.n_folds.to_string()),
        ];
        let failed = self.cv_mse.iter().filter(|mse| !mse.is_finite()).count();
        if failed > 0 {
            notes.push((
                "grid points failed".to_string(),
                format!("{failed} of {}", self.grid.len()),
            ));
        }
        notes.extend(self.fitted.fit_notes());
        notes
    }
}

impl Regressor for DenseNetCv {
    fn name(&self) -> &str {
        MODEL
    }

    fn settings(&self) -> Vec<(String, String)> {
        let p = &self.params;
        let rates: Vec<String> = p.learning_rates.iter().map(f64::to_string).collect();
        let hidden: Vec<String> =
            p.hidden.iter().map(|sizes| HiddenSizes(sizes.clone()).to_string()).collect();
        let mut settings = vec![
            ("learning_rates".to_string(), rates.join(" ")),
            ("hidden".to_string(), hidden.join(" ")),
            ("folds".to_string(), p.folds.to_string()),
            ("fold seed".to_string(), p.seed.unwrap_or(0).to_string()),
        ];
        // The base network's own learning rate and sizes are replaced by the grid's.
        let base = self.base.to_pairs().into_iter();
        settings.extend(base.filter(|(name, _)| name != "learning_rate" && name != "hidden"));
        settings
    }

    fn fit(
        &self,
        x: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<Box<dyn FittedRegressor>, ModelError> {
        Ok(Box::new(self.fit_dense_nn_cv(x, y)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// y = 3·x₀ − 2·x₁ + x₂ on seeded uniform inputs, which a linear network learns and
    /// a small learning rate cannot reach in few epochs.
    fn linear_problem(n: usize) -> (Array2<f64>, Array2<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let x = Array2::from_shape_fn((n, 3), |_| rng.gen_range(-1.0..1.0));
        let y =
            Array2::from_shape_fn((n, 1), |(i, _)| 3.0 * x[[i, 0]] - 2.0 * x[[i, 1]] + x[[i, 2]]);
        (x, y)
    }

    fn base() -> DenseNetParams {
        DenseNetParams { epochs: 30, batch_size: 8, ..Default::default() }
    }

    #[test]
    fn picks_the_learning_rate_that_converges() {
        // With 30 epochs of 5 steps, a rate of 1e-5 barely moves the weights, so its
        // validation error stays near the targets' variance, while 0.05 fits the line.
        let (x, y) = linear_problem(40);
        let params = DenseNetCvParams {
            learning_rates: vec![1e-5, 0.05],
            hidden: vec![vec![], vec![4]],
            ..Default::default()
        };
        let fitted = DenseNetCv::new(params, base()).unwrap().fit_dense_nn_cv(x.view(), y.view());
        let fitted = fitted.unwrap();
        assert_eq!(fitted.chosen().learning_rate, 0.05);
        let scores: Vec<f64> = fitted.cv_mse().map(|(_, mse)| mse).collect();
        assert_eq!(scores.len(), 4);
        assert!(scores[0] > 10.0 * scores[2], "{scores:?}");
        assert!(scores[1] > 10.0 * scores[3], "{scores:?}");
        let notes = fitted.fit_notes();
        assert!(notes.contains(&("learning_rate chosen".into(), "0.05".into())), "{notes:?}");
        assert!(notes.contains(&("inner folds".into(), "3".into())), "{notes:?}");
    }

    #[test]
    fn failing_grid_point_is_skipped() {
        // A learning rate of 1e30 overflows the loss on raw data, so that point fails
        // on every fold and the other one is chosen.
        let (x, y) = linear_problem(30);
        let y = y.mapv(|v| 1e10 * v);
        let base = DenseNetParams { scale: false, ..base() };
        let params = DenseNetCvParams {
            learning_rates: vec![1e30, 0.05],
            hidden: vec![vec![]],
            ..Default::default()
        };
        let fitted = DenseNetCv::new(params, base).unwrap().fit_dense_nn_cv(x.view(), y.view());
        let fitted = fitted.unwrap();
        assert_eq!(fitted.chosen().learning_rate, 0.05);
        let notes = fitted.fit_notes();
        assert!(notes.contains(&("grid points failed".into(), "1 of 2".into())), "{notes:?}");
    }

    #[test]
    fn same_choice_on_one_and_two_threads() {
        let (x, y) = linear_problem(30);
        let params = DenseNetCvParams {
            learning_rates: vec![0.003, 0.03],
            hidden: vec![vec![4], vec![8]],
            ..Default::default()
        };
        let model = DenseNetCv::new(params, base()).unwrap();
        let in_pool = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                let fitted = model.fit_dense_nn_cv(x.view(), y.view()).unwrap();
                let scores: Vec<u64> = fitted.cv_mse().map(|(_, mse)| mse.to_bits()).collect();
                (scores, fitted.predict(x.view()).unwrap())
            })
        };
        assert_eq!(in_pool(1), in_pool(2));
    }

    #[test]
    fn invalid_grids_are_rejected() {
        let empty = DenseNetCvParams { learning_rates: vec![], ..Default::default() };
        let err = DenseNetCv::new(empty, base()).unwrap_err();
        assert_eq!(err.setting, "learning_rates");

        let zero_rate = DenseNetCvParams { learning_rates: vec![0.01, 0.0], ..Default::default() };
        let err = DenseNetCv::new(zero_rate, base()).unwrap_err();
        assert_eq!((err.model, err.setting, err.value.as_str()), (MODEL, "learning_rates", "0"));

        let zero_units = DenseNetCvParams { hidden: vec![vec![0]], ..Default::default() };
        let err = DenseNetCv::new(zero_units, base()).unwrap_err();
        assert_eq!(err.setting, "hidden");

        let one_fold = DenseNetCvParams { folds: 1, ..Default::default() };
        assert_eq!(DenseNetCv::new(one_fold, base()).unwrap_err().setting, "folds");
    }

    #[test]
    fn settings_list_the_grid_and_the_base() {
        let model = DenseNetCv::new(DenseNetCvParams::default(), base()).unwrap();
        let settings = model.settings();
        let value = |name: &str| settings.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        assert_eq!(value("learning_rates").as_deref(), Some("0.001 0.003 0.01"));
        assert_eq!(value("hidden").as_deref(), Some("32 64 128"));
        assert_eq!(value("epochs").as_deref(), Some("30"));
        assert_eq!(value("learning_rate"), None);
    }
}
