//! Preprocessing pipelines: steps fitted on the training rows, then a model fitted on the
//! transformed rows.
//!
//! A [`Pipeline`] is a [`Regressor`] like any other, so every step is fitted inside
//! `fit`, on the rows the runner passes to it, and never sees a test row. Its fitted form
//! stores each fitted step and the fitted model, and `predict` applies the same steps
//! with the parameters learned from the training rows.
//!
//! Steps run in the given order. Savitzky-Golay filters and the standard normal variate
//! treat the predictors as channels in wavelength order, so they must come before `pca`,
//! whose scores have no such order.

pub(crate) mod eigen;
pub mod pca;
pub mod savgol;
pub mod snv;
pub mod spec;

use ndarray::{Array2, ArrayView2, CowArray, Ix2};

use self::pca::{FittedPca, PcaParams};
use self::savgol::{SavitzkyGolay, SavitzkyGolayParams};
use self::snv::standard_normal_variate;
pub use self::spec::{PreprocessSettings, StepError, StepList};
use super::scaling::Standardizer;
use super::{
    check_predict_shape, check_training_shapes, FittedRegressor, ModelError, Regressor,
    SettingsError, TrainingHistory,
};

/// One preprocessing step and its settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// Columns centered on their training mean and divided by their training population
    /// standard deviation (ddof 0). A constant column keeps scale 1.
    Standardize,
    /// Standard normal variate: each row centered and scaled by its own statistics.
    Snv,
    /// Savitzky-Golay smoothing or derivative along the predictor axis.
    SavitzkyGolay(SavitzkyGolayParams),
    /// Principal-component scores of the training rows' centered predictors.
    Pca(PcaParams),
}

impl Step {
    /// Checks the step's settings. Bounds that depend on the data are checked at fit.
    pub fn check(self) -> Result<Self, SettingsError> {
        match self {
            Step::Standardize | Step::Snv => Ok(self),
            Step::SavitzkyGolay(params) => params.check().map(Step::SavitzkyGolay),
            Step::Pca(params) => params.check().map(Step::Pca),
        }
    }

    /// Returns the step's part of a model name: its text form with `-` in place of `:`,
    /// so that the name is also a valid file name, such as `sg1-11-2`.
    pub fn name_part(&self) -> String {
        self.to_string().replace(':', "-")
    }

    /// Returns whether the step needs the predictors in wavelength order.
    fn is_spectral(&self) -> bool {
        matches!(self, Step::Snv | Step::SavitzkyGolay(_))
    }

    /// Fits the step on training rows `x` (already transformed by the earlier steps).
    pub fn fit(&self, x: ArrayView2<f64>) -> Result<FittedStep, ModelError> {
        Ok(match self {
            Step::Standardize => FittedStep::Standardize(Standardizer::fit(x, 0.0)),
            Step::Snv => FittedStep::Snv,
            Step::SavitzkyGolay(params) => FittedStep::SavitzkyGolay(params.fit(x.ncols())?),
            Step::Pca(params) => FittedStep::Pca(params.fit(x)?),
        })
    }
}

/// A step with the parameters it learned from the training rows.
#[derive(Debug, Clone, PartialEq)]
pub enum FittedStep {
    Standardize(Standardizer),
    /// Stateless: every row is scaled by its own statistics.
    Snv,
    /// The filter's weights depend only on its settings and the predictor count.
    SavitzkyGolay(SavitzkyGolay),
    Pca(FittedPca),
}

impl FittedStep {
    /// Transforms rows with the column count the step was fitted on.
    pub fn transform(&self, x: ArrayView2<f64>) -> Array2<f64> {
        match self {
            FittedStep::Standardize(scaler) => scaler.transform(x),
            FittedStep::Snv => standard_normal_variate(x),
            FittedStep::SavitzkyGolay(filter) => filter.transform(x),
            FittedStep::Pca(pca) => pca.transform(x),
        }
    }

    fn fit_note(&self) -> Option<(String, String)> {
        match self {
            FittedStep::Pca(pca) => pca.fit_note().map(|note| ("pca components used".into(), note)),
            _ => None,
        }
    }
}

/// Preprocessing steps followed by a model.
///
/// The name is the steps' name parts and the model's name joined by `+`, such as
/// `snv+sg1-11-2+pls`, so two pipelines with different steps or settings never share
/// a leaderboard row.
pub struct Pipeline {
    steps: Vec<Step>,
    model: Box<dyn Regressor>,
    name: String,
}

impl Pipeline {
    /// Checks each step and their order, and wraps `model`.
    pub fn new(steps: Vec<Step>, model: Box<dyn Regressor>) -> Result<Self, SettingsError> {
        let steps = steps.into_iter().map(Step::check).collect::<Result<Vec<_>, _>>()?;
        if let Some(pca) = steps.iter().position(|s| matches!(s, Step::Pca(_))) {
            if let Some(spectral) = steps[pca..].iter().find(|s| s.is_spectral()) {
                return Err(SettingsError::new(
                    "preprocess",
                    "steps",
                    format!("{spectral} after {}", steps[pca]),
                    "snv and sg steps before pca, because pca scores are not in wavelength order",
                ));
            }
        }
        let mut name: Vec<String> = steps.iter().map(Step::name_part).collect();
        name.push(model.name().to_string());
        Ok(Pipeline { steps, model, name: name.join("+") })
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Fits the steps, then the model, on the training rows and returns the concrete
    /// fitted pipeline, whose fitted steps [`Regressor::fit`] hides behind the trait object.
    pub fn fit_pipeline(
        &self,
        x: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<FittedPipeline, ModelError> {
        check_training_shapes(x, y)?;
        let mut current: CowArray<f64, Ix2> = x.into();
        let mut fitted_steps = Vec::with_capacity(self.steps.len());
        for step in &self.steps {
            let fitted = step.fit(current.view())?;
            current = fitted.transform(current.view()).into();
            fitted_steps.push(fitted);
        }
        let model = self.model.fit(current.view(), y)?;
        Ok(FittedPipeline { steps: fitted_steps, model, n_predictors: x.ncols() })
    }
}

impl Regressor for Pipeline {
    fn name(&self) -> &str {
        &self.name
    }

    /// Returns the steps in text form under `preprocess`, then the model's settings.
    fn settings(&self) -> Vec<(String, String)> {
        let steps: Vec<String> = self.steps.iter().map(Step::to_string).collect();
        let mut settings = vec![("preprocess".to_string(), steps.join(", "))];
        settings.extend(self.model.settings());
        settings
    }

    fn fit(
        &self,
        x: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<Box<dyn FittedRegressor>, ModelError> {
        Ok(Box::new(self.fit_pipeline(x, y)?))
    }
}

/// A fitted pipeline: the fitted steps in order and the model fitted on their output.
pub struct FittedPipeline {
    steps: Vec<FittedStep>,
    model: Box<dyn FittedRegressor>,
    n_predictors: usize,
}

impl FittedPipeline {
    pub fn steps(&self) -> &[FittedStep] {
        &self.steps
    }

    /// Applies the fitted steps to rows with the training predictor count.
    pub fn transform(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, ModelError> {
        check_predict_shape(x, self.n_predictors)?;
        let mut current = x.to_owned();
        for step in &self.steps {
            current = step.transform(current.view());
        }
        Ok(current)
    }
}

impl FittedRegressor for FittedPipeline {
    fn predict(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, ModelError> {
        let transformed = self.transform(x)?;
        self.model.predict(transformed.view())
    }

    fn history(&self) -> &[TrainingHistory] {
        self.model.history()
    }

    /// Returns the steps' notes (a capped component count), then the model's.
    fn fit_notes(&self) -> Vec<(String, String)> {
        let mut notes: Vec<(String, String)> =
            self.steps.iter().filter_map(FittedStep::fit_note).collect();
        notes.extend(self.model.fit_notes());
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::mean::MeanPredictor;
    use crate::models::ridge::{Ridge, RidgeParams};
    use ndarray::{array, Axis};

    fn ridge() -> Box<dyn Regressor> {
        Box::new(Ridge::new(RidgeParams::default()).unwrap())
    }

    fn steps(text: &str) -> Vec<Step> {
        text.parse::<StepList>().unwrap().0
    }

    #[test]
    fn name_lists_steps_with_settings() {
        let pipeline = Pipeline::new(steps("snv,sg1,pca:4"), ridge()).unwrap();
        assert_eq!(pipeline.name(), "snv+sg1-11-2+pca-4+ridge");
        let settings = pipeline.settings();
        assert_eq!(settings[0], ("preprocess".into(), "snv, sg1:11:2, pca:4".into()));
        assert_eq!(settings[1].0, "alpha");
    }

    #[test]
    fn spectral_step_after_pca_is_rejected() {
        let err = Pipeline::new(steps("pca:3,sg1"), ridge()).err().unwrap();
        assert_eq!(err.setting, "steps");
        assert!(err.to_string().contains("sg1:11:2 after pca:3"), "{err}");
        assert!(Pipeline::new(steps("standardize,pca:3,standardize"), ridge()).is_ok());
    }

    #[test]
    fn prediction_applies_fitted_steps() {
        let x = array![
            [1.0, 2.0, 3.5, 4.0, 5.5, 6.0, 7.0],
            [2.0, 2.5, 3.0, 5.0, 5.0, 6.5, 8.0],
            [0.5, 1.0, 2.0, 2.5, 3.0, 3.5, 3.0],
            [3.0, 4.0, 4.5, 6.0, 7.5, 8.0, 9.5],
            [1.5, 1.0, 2.5, 2.0, 4.5, 4.0, 6.0]
        ];
        let y = x.sum_axis(Axis(1)).insert_axis(Axis(1));
        let pipeline = Pipeline::new(steps("snv,sg1:5:2,pca:2"), ridge()).unwrap();
        let fitted = pipeline.fit_pipeline(x.view(), y.view()).unwrap();

        // The same steps by hand: fit each on the output of the one before.
        let snv = standard_normal_variate(x.view());
        let filter = SavitzkyGolayParams { window: 5, order: 2, derivative: 1 }.fit(7).unwrap();
        let filtered = filter.transform(snv.view());
        let pca = PcaParams { components: 2 }.fit(filtered.view()).unwrap();
        let scores = pca.transform(filtered.view());
        assert_eq!(fitted.steps()[2], FittedStep::Pca(pca));
        let by_hand = ridge().fit(scores.view(), y.view()).unwrap().predict(scores.view()).unwrap();
        assert_eq!(fitted.predict(x.view()).unwrap(), by_hand);
    }

    #[test]
    fn window_too_long_fails_the_fit() {
        let x = Array2::from_shape_fn((6, 5), |(i, j)| (i * j) as f64);
        let y = Array2::from_shape_fn((6, 1), |(i, _)| i as f64);
        let pipeline = Pipeline::new(steps("sg0:7:2"), Box::new(MeanPredictor)).unwrap();
        let err = pipeline.fit(x.view(), y.view()).err().unwrap();
        assert!(err.to_string().contains("longer than the 5 predictors"), "{err}");
    }

    #[test]
    fn predict_checks_predictor_count() {
        let x = Array2::from_shape_fn((6, 5), |(i, j)| ((i + 1) * (j + 2)) as f64 % 7.0);
        let y = Array2::from_shape_fn((6, 1), |(i, _)| i as f64);
        let fitted = Pipeline::new(steps("pca:2"), ridge()).unwrap().fit(x.view(), y.view());
        let err = fitted.unwrap().predict(Array2::zeros((2, 4)).view()).unwrap_err();
        assert!(err.to_string().contains("5 predictors but got 4"), "{err}");
    }

    #[test]
    fn pca_cap_appears_in_fit_notes() {
        let x =
            Array2::from_shape_fn((4, 6), |(i, j)| ((i * i * 7 + j * j * 3 + i * j) % 11) as f64);
        let y = Array2::from_shape_fn((4, 1), |(i, _)| i as f64);
        let fitted =
            Pipeline::new(steps("pca:10"), ridge()).unwrap().fit(x.view(), y.view()).unwrap();
        let notes = fitted.fit_notes();
        assert_eq!(notes[0].0, "pca components used", "{notes:?}");
        assert!(notes[0].1.starts_with("3 of 10"), "{notes:?}");
    }
}
