//! Elastic net with alpha and l1_ratio chosen by inner k-fold cross-validation.
//!
//! For each l1_ratio ρ the alphas run down a log-spaced path from α_max, the smallest
//! alpha at which every coefficient of every target is zero, to α_max·`alpha_min_ratio`.
//! On the predictors X standardized (or only centered) and the targets Y centered on all
//! training rows, α_max = max_{j,t} |x_jᵀy_t|/(n·ρ), as in scikit-learn's
//! `ElasticNetCV`, which also keeps that one grid for every inner fold. Each fold fits
//! the whole path on one Gram matrix, each alpha from zero or, with `warm_start`, from
//! the previous alpha's coefficients.
//! The pair (ρ, α) with the lowest validation MSE, averaged over targets, is refitted
//! on all training rows as the plain `elastic-net` model.

use ndarray::{Array2, ArrayView2, Axis};

use super::folds::inner_folds;
use super::{format_value, log_grid};
use crate::models::elastic_net::{
    fit_centered_path, ElasticNet, ElasticNetParams, FittedElasticNet, PathStart, Solver,
};
use crate::models::scaling::Standardizer;
use crate::models::{check_training_shapes, FittedRegressor, ModelError, Regressor, SettingsError};

const MODEL: &str = "elastic-net-cv";

/// Targets fitted along a path at once, which bounds the coefficients kept in memory to
/// `n_alphas` × predictors × this many values.
const TARGET_CHUNK: usize = 256;

/// elastic-net-cv settings.
///
/// | setting | default | valid range |
/// |---|---|---|
/// | `l1_ratios` | [0.1, 0.5, 1.0] | at least one; each above 0 and at most 1 |
/// | `n_alphas` | 7 | 2 to 1000 alphas per l1_ratio |
/// | `alpha_min_ratio` | 1e-3 | above 0 and below 1; the smallest alpha is α_max times this |
/// | `folds` | 3 | ≥ 2; capped at the number of training rows |
/// | `seed` | the run's seed (0 unless given) | seeds the shuffle that assigns rows to folds; a sidecar value overrides the run's |
/// | `standardize`, `tolerance`, `max_iterations` | true, 1e-4, 1000 | as for `elastic-net`, in every inner and the final fit |
/// | `warm_start` | false | true starts each alpha's inner fit from the previous alpha's coefficients, false from zero |
///
/// The defaults come from measurements on the shipped data sets, release builds on a
/// 2-core machine. The validation error on lab.csv is flat near its minimum, so a coarse
/// grid chooses about as well as a fine one at a fraction of the fits:
///
/// | l1_ratios | alphas | inner folds | lab.csv choice, test mean RMSE | CPU time of one lab.csv fit |
/// |---|---|---|---|---|
/// | [0.1, 0.5, 0.9, 1.0] | 20 | 5 | (0.1, 0.00593), 0.006312 | — |
/// | [0.1, 0.5, 0.9, 1.0] | 10 | 5 | (0.1, 0.00465), 0.006273 | 36 s (an earlier build) |
/// | [0.1, 0.5, 1.0] | 10 | 3 | (0.1, 0.00100), 0.006285 | 16–18 s |
/// | [0.1, 0.5, 1.0] | 7 | 3 | (0.1, 0.00465), 0.006273 | 11–13 s |
///
/// At the chosen pair the inner-fold MSE of the 7-alpha grid is 0.3% above that of the
/// 10-alpha grid. Every row chose (1, 0.00692) on tecator.csv, with test mean RMSE
/// 2.3230. That is tecator.csv's smallest alpha, so the range stays at three decades.
/// Neither data set chose l1_ratio 0.9. Seven alphas, half a decade apart, need 30% fewer
/// fits per path than ten.
///
/// NOTE: warm starts need fewer sweeps, but not less time. On lab.csv with 10 alphas,
/// one fit took 50 s of CPU time warm against 18 s cold. A warm Newton step begins on the
/// previous alpha's support, which is wider than the new one, and cuts it back one sign
/// change at a time: for l1_ratio 0.1 that took 12 re-solves per step, against 2 from zero.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ElasticNetCvParams {
    pub l1_ratios: Vec<f64>,
    pub n_alphas: usize,
    pub alpha_min_ratio: f64,
    pub folds: usize,
    pub seed: Option<u64>,
    pub standardize: bool,
    pub tolerance: f64,
    pub max_iterations: u32,
    pub warm_start: bool,
}

impl Default for ElasticNetCvParams {
    fn default() -> Self {
        let plain = ElasticNetParams::default();
        ElasticNetCvParams {
            l1_ratios: vec![0.1, 0.5, 1.0],
            n_alphas: 7,
            alpha_min_ratio: 1e-3,
            folds: 3,
            seed: None,
            standardize: plain.standardize,
            tolerance: plain.tolerance,
            max_iterations: plain.max_iterations,
            warm_start: false,
        }
    }
}

/// Elastic net tuned by inner k-fold cross-validation, with checked settings.
#[derive(Debug, Clone)]
pub struct ElasticNetCv {
    params: ElasticNetCvParams,
}

impl ElasticNetCv {
    pub fn new(params: ElasticNetCvParams) -> Result<Self, SettingsError> {
        if params.l1_ratios.is_empty() {
            return Err(SettingsError::new(MODEL, "l1_ratios", "[]", "at least one ratio"));
        }
        if let Some(bad) = params.l1_ratios.iter().find(|r| !(**r > 0.0 && **r <= 1.0)) {
            return Err(SettingsError::new(
                MODEL,
                "l1_ratios",
                bad,
                "ratios above 0 and at most 1",
            ));
        }
        if !(2..=1000).contains(&params.n_alphas) {
            return Err(SettingsError::new(MODEL, "n_alphas", params.n_alphas, "2 to 1000"));
        }
        if !(params.alpha_min_ratio > 0.0 && params.alpha_min_ratio < 1.0) {
            return Err(SettingsError::new(
                MODEL,
                "alpha_min_ratio",
                params.alpha_min_ratio,
                "a number above 0 and below 1",
            ));
        }
        if params.folds < 2 {
            return Err(SettingsError::new(MODEL, "folds", params.folds, "an integer >= 2"));
        }
        if !(params.tolerance.is_finite() && params.tolerance > 0.0) {
            return Err(SettingsError::new(
                MODEL,
                "tolerance",
                params.tolerance,
                "a finite number > 0",
            ));
        }
        if params.max_iterations == 0 {
            return Err(SettingsError::new(MODEL, "max_iterations", 0, "an integer >= 1"));
        }
        Ok(ElasticNetCv { params })
    }

    fn scaler(&self, x: ArrayView2<f64>) -> Standardizer {
        if self.params.standardize {
            Standardizer::fit(x, 0.0)
        } else {
            Standardizer::fit_center(x)
        }
    }

    /// Returns the decreasing alpha path for each l1_ratio, from the training rows.
    fn alpha_paths(&self, x: ArrayView2<f64>, y: ArrayView2<f64>) -> Vec<Vec<f64>> {
        let xs = self.scaler(x).transform(x);
        let yc = &y - &y.mean_axis(Axis(0)).expect("checked: at least one row");
        let largest = xs.t().dot(&yc).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        // With no correlation at all every alpha gives zero coefficients, so any grid will
        // do; this one keeps the logarithms finite.
        let largest = if largest > 0.0 { largest } else { 1.0 };
        let n = x.nrows() as f64;
        self.params
            .l1_ratios
            .iter()
            .map(|&ratio| {
                let alpha_max = largest / (n * ratio);
                let mut path = log_grid(
                    alpha_max * self.params.alpha_min_ratio,
                    alpha_max,
                    self.params.n_alphas,
                );
                path.reverse();
                path
            })
            .collect()
    }

    /// Tunes (l1_ratio, alpha) on the training rows, refits with them and returns the
    /// concrete fitted model with every pair's validation error.
    pub fn fit_elastic_net_cv(
        &self,
        x: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<FittedElasticNetCv, ModelError> {
        check_training_shapes(x, y)?;
        let n = x.nrows();
        let folds = inner_folds(MODEL, n, self.params.folds, self.params.seed.unwrap_or(0))?;
        let paths = self.alpha_paths(x, y);
        let n_folds = folds.len();
        let mut sse: Vec<Vec<f64>> = paths.iter().map(|path| vec![0.0; path.len()]).collect();
        let mut n_unconverged = 0;
        let path_start = if self.params.warm_start { PathStart::Warm } else { PathStart::Cold };
        for fold in folds {
            let x_train = x.select(Axis(0), &fold.train);
            let y_train = y.select(Axis(0), &fold.train);
            let scaler = self.scaler(x_train.view());
            let xs = scaler.transform(x_train.view());
            let y_mean = y_train.mean_axis(Axis(0)).expect("a fold has training rows");
            let yc = &y_train - &y_mean;
            let x_val = scaler.transform(x.select(Axis(0), &fold.validation).view());
            let y_val = y.select(Axis(0), &fold.validation);

            for ((&ratio, path), fold_sse) in self.params.l1_ratios.iter().zip(&paths).zip(&mut sse)
            {
                for start in (0..y.ncols()).step_by(TARGET_CHUNK) {
                    let targets: Vec<usize> =
                        (start..(start + TARGET_CHUNK).min(y.ncols())).collect();
                    let points = fit_centered_path(
                        xs.view(),
                        yc.select(Axis(1), &targets).view(),
                        path,
                        ratio,
                        self.params.tolerance,
                        self.params.max_iterations,
                        path_start,
                    );
                    let actual = y_val.select(Axis(1), &targets);
                    let offset = y_mean.select(Axis(0), &targets);
                    for (a, point) in points.iter().enumerate() {
                        let residual = &actual - &(x_val.dot(&point.coef) + &offset);
                        fold_sse[a] += residual.iter().map(|e| e * e).sum::<f64>();
                        n_unconverged += point.n_unconverged;
                    }
                }
            }
        }

        let n_values = (n * y.ncols()) as f64;
        let cv_mse: Vec<Vec<f64>> =
            sse.iter().map(|row| row.iter().map(|s| s / n_values).collect()).collect();
        // Ties go to the earlier l1_ratio and the larger alpha (the earlier path entry).
        let mut best = (0, 0);
        for (r, row) in cv_mse.iter().enumerate() {
            for (a, &mse) in row.iter().enumerate() {
                if mse < cv_mse[best.0][best.1] {
                    best = (r, a);
                }
            }
        }

        let params = ElasticNetParams {
            alpha: paths[best.0][best.1],
            l1_ratio: self.params.l1_ratios[best.0],
            standardize: self.params.standardize,
            tolerance: self.params.tolerance,
            max_iterations: self.params.max_iterations,
            solver: Solver::CoordinateDescent,
        };
        let model = ElasticNet::new(params)
            .map_err(|e| ModelError::Numerical(format!("{MODEL}: chosen settings: {e}")))?
            .fit_elastic_net(x, y)?;
        Ok(FittedElasticNetCv {
            model,
            l1_ratios: self.params.l1_ratios.clone(),
            alphas: paths,
            cv_mse,
            best,
            n_folds,
            n_unconverged,
        })
    }
}

/// The elastic net refitted with the pair chosen by inner cross-validation.
pub struct FittedElasticNetCv {
    model: FittedElasticNet,
    l1_ratios: Vec<f64>,
    /// Decreasing alpha path per l1_ratio.
    alphas: Vec<Vec<f64>>,
    /// Mean over targets of the validation MSE, per l1_ratio and alpha.
    cv_mse: Vec<Vec<f64>>,
    /// Indices of the chosen l1_ratio and alpha.
    best: (usize, usize),
    n_folds: usize,
    /// Inner fits, counted per target, fold, l1_ratio and alpha, that stopped at
    /// `max_iterations` above the tolerance.
    n_unconverged: usize,
}

impl FittedElasticNetCv {
    pub fn alpha(&self) -> f64 {
        self.alphas[self.best.0][self.best.1]
    }

    pub fn l1_ratio(&self) -> f64 {
        self.l1_ratios[self.best.0]
    }

    /// Decreasing alpha path per l1_ratio, in the order of the `l1_ratios` setting.
    pub fn alphas(&self) -> &[Vec<f64>] {
        &self.alphas
    }

    /// Mean over targets of the validation MSE, per l1_ratio and alpha.
    pub fn cv_mse(&self) -> &[Vec<f64>] {
        &self.cv_mse
    }

    pub fn model(&self) -> &FittedElasticNet {
        &self.model
    }
}

impl FittedRegressor for FittedElasticNetCv {
    fn predict(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, ModelError> {
        self.model.predict(x)
    }

    fn fit_notes(&self) -> Vec<(String, String)> {
        let (r, a) = self.best;
        let mut notes = vec![
            ("alpha chosen".to_string(), format_value(self.alpha())),
            ("l1_ratio chosen".to_string(), self.l1_ratio().to_string()),
            ("cv mean mse".to_string(), format_value(self.cv_mse[r][a])),
            ("inner folds".to_string(), self.n_folds.to_string()),
        ];
        if a + 1 == self.alphas[r].len() {
            notes.push((
                "alpha at grid edge".to_string(),
                "the smallest alpha of the path; lower alpha_min_ratio".to_string(),
            ));
        }
        if self.n_unconverged > 0 {
            notes.push((
                "unconverged inner fits".to_string(),
                format!("{} (raise max_iterations or tolerance)", self.n_unconverged),
            ));
        }
        notes.extend(self.model.fit_notes());
        notes
    }
}

impl Regressor for ElasticNetCv {
    fn name(&self) -> &str {
        MODEL
    }

    fn settings(&self) -> Vec<(String, String)> {
        let p = &self.params;
        let ratios: Vec<String> = p.l1_ratios.iter().map(f64::to_string).collect();
        vec![
            ("l1_ratios".into(), ratios.join(", ")),
            ("n_alphas".into(), p.n_alphas.to_string()),
            ("alpha_min_ratio".into(), p.alpha_min_ratio.to_string()),
            ("folds".into(), p.folds.to_string()),
            ("seed".into(), p.seed.unwrap_or(0).to_string()),
            ("standardize".into(), p.standardize.to_string()),
            ("tolerance".into(), p.tolerance.to_string()),
            ("max_iterations".into(), p.max_iterations.to_string()),
            ("warm_start".into(), p.warm_start.to_string()),
        ]
    }

    fn fit(
        &self,
        x: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<Box<dyn FittedRegressor>, ModelError> {
        Ok(Box::new(self.fit_elastic_net_cv(x, y)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Rows with `p` predictors of which the first `k` carry the targets, plus noise.
    fn sparse_problem(
        n: usize,
        p: usize,
        k: usize,
        noise: f64,
        seed: u64,
    ) -> (Array2<f64>, Array2<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x = Array2::from_shape_fn((n, p), |_| rng.gen_range(-1.0..1.0));
        let w = Array2::from_shape_fn(
            (p, 2),
            |(j, _)| if j < k { rng.gen_range(1.0..2.0) } else { 0.0 },
        );
        let y = x.dot(&w) + Array2::from_shape_fn((n, 2), |_| noise * rng.gen_range(-1.0..1.0));
        (x, y)
    }

    fn fit(x: &Array2<f64>, y: &Array2<f64>, params: ElasticNetCvParams) -> FittedElasticNetCv {
        ElasticNetCv::new(params).unwrap().fit_elastic_net_cv(x.view(), y.view()).unwrap()
    }

    #[test]
    fn alpha_max_zeroes_every_coefficient() {
        let (x, y) = sparse_problem(40, 15, 3, 0.1, 1);
        let model = ElasticNetCv::new(ElasticNetCvParams::default()).unwrap();
        let paths = model.alpha_paths(x.view(), y.view());
        for (path, &ratio) in paths.iter().zip(&model.params.l1_ratios) {
            assert!(path.windows(2).all(|w| w[0] > w[1]), "path is not decreasing");
            let at_max = ElasticNetParams { alpha: path[0], l1_ratio: ratio, ..Default::default() };
            let fitted =
                ElasticNet::new(at_max).unwrap().fit_elastic_net(x.view(), y.view()).unwrap();
            assert!(fitted.coef().iter().all(|&w| w == 0.0), "l1_ratio {ratio}");
            let below =
                ElasticNetParams { alpha: 0.95 * path[0], l1_ratio: ratio, ..Default::default() };
            let fitted =
                ElasticNet::new(below).unwrap().fit_elastic_net(x.view(), y.view()).unwrap();
            assert!(fitted.coef().iter().any(|&w| w != 0.0), "l1_ratio {ratio}");
            assert!((path[path.len() - 1] / path[0] - 1e-3).abs() < 1e-12);
        }
    }

    /// The choice is the grid point with the lowest error, and refitting with it gives
    /// the same predictions as the plain elastic net with those settings.
    #[test]
    fn choice_is_lowest_error_and_refit() {
        let (x, y) = sparse_problem(50, 20, 4, 0.3, 2);
        let fitted = fit(&x, &y, ElasticNetCvParams { seed: Some(3), ..Default::default() });
        let lowest = fitted.cv_mse().iter().flatten().copied().fold(f64::INFINITY, f64::min);
        let (r, a) = fitted.best;
        assert_eq!(fitted.cv_mse()[r][a], lowest);

        let plain = ElasticNetParams {
            alpha: fitted.alpha(),
            l1_ratio: fitted.l1_ratio(),
            ..Default::default()
        };
        let want = ElasticNet::new(plain)
            .unwrap()
            .fit(x.view(), y.view())
            .unwrap()
            .predict(x.view())
            .unwrap();
        assert_eq!(fitted.predict(x.view()).unwrap(), want);
    }

    /// Noise-free sparse targets are best fitted with little shrinkage, so the choice is
    /// the smallest alpha. A pure-noise target is best fitted with almost no predictor, so
    /// its alpha stays in the top quarter of the path, which spans 1 to 1e-3 of α_max.
    #[test]
    fn choice_follows_noise_level() {
        let (x, y) = sparse_problem(60, 10, 3, 0.0, 4);
        let base = ElasticNetCvParams { n_alphas: 20, ..Default::default() };
        let clean = fit(&x, &y, ElasticNetCvParams { tolerance: 1e-10, ..base.clone() });
        let (r, a) = clean.best;
        assert_eq!(a, clean.alphas()[r].len() - 1, "cv mse {:?}", clean.cv_mse());
        assert!(clean.fit_notes().iter().any(|(k, _)| k == "alpha at grid edge"));

        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let noise = Array2::from_shape_fn((60, 1), |_| rng.gen_range(-1.0..1.0));
        let noisy = fit(&x, &noise, base);
        assert!(noisy.best.1 < 5, "alpha index {}, cv mse {:?}", noisy.best.1, noisy.cv_mse());
    }

    /// Warm and cold starts meet the same tolerance, so on a well-posed problem they give
    /// the same choice and validation errors that agree closely.
    #[test]
    fn warm_and_cold_starts_agree() {
        let (x, y) = sparse_problem(50, 20, 4, 0.3, 6);
        let base = ElasticNetCvParams { tolerance: 1e-10, ..Default::default() };
        let cold = fit(&x, &y, base.clone());
        let warm = fit(&x, &y, ElasticNetCvParams { warm_start: true, ..base });
        assert_eq!(cold.best, warm.best);
        for (cold_row, warm_row) in cold.cv_mse().iter().zip(warm.cv_mse()) {
            for (c, w) in cold_row.iter().zip(warm_row) {
                assert!((c - w).abs() <= 1e-6 * c, "{c} vs {w}");
            }
        }
    }

    #[test]
    fn results_do_not_depend_on_thread_count() {
        let (x, y) = sparse_problem(40, 30, 5, 0.2, 8);
        let y = ndarray::concatenate![Axis(1), y, y.mapv(|v| v * v)];
        for warm_start in [false, true] {
            let params = ElasticNetCvParams { warm_start, ..Default::default() };
            let fit_on = |threads: usize| {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                pool.install(|| fit(&x, &y, params.clone()))
            };
            let one = fit_on(1);
            let two = fit_on(2);
            assert_eq!(one.cv_mse(), two.cv_mse(), "warm_start {warm_start}");
            assert_eq!(one.best, two.best, "warm_start {warm_start}");
            assert_eq!(one.model().coef(), two.model().coef(), "warm_start {warm_start}");
        }
    }

    #[test]
    fn invalid_settings_are_rejected() {
        let check = |params: ElasticNetCvParams| ElasticNetCv::new(params).unwrap_err();
        let err = check(ElasticNetCvParams { l1_ratios: vec![0.5, 0.0], ..Default::default() });
        assert_eq!(err.setting, "l1_ratios");
        assert!(err.to_string().contains("= 0"), "{err}");
        let err = check(ElasticNetCvParams { l1_ratios: vec![], ..Default::default() });
        assert_eq!(err.setting, "l1_ratios");
        let err = check(ElasticNetCvParams { alpha_min_ratio: 1.0, ..Default::default() });
        assert_eq!(err.setting, "alpha_min_ratio");
        let err = check(ElasticNetCvParams { n_alphas: 1, ..Default::default() });
        assert_eq!(err.setting, "n_alphas");
        let err = check(ElasticNetCvParams { folds: 1, ..Default::default() });
        assert_eq!(err.setting, "folds");
    }
}
