//! Dense neural network regressor with the semantics of a Keras `Sequential` model of
//! `Dense` layers, trained with Adam on the mean squared error in float32.
//!
//! [`DenseNet`] is the [`Regressor`]: it standardizes the data, splits off validation
//! rows, trains one or more networks and averages their predictions. The layers below
//! it are public for callers that need the raw Keras recipe with given weights:
//! [`Network`] and [`Dense`] contain the weights, and [`train`] runs minibatch Adam on
//! prepared float32 arrays.

mod adam;
mod matmul;
mod network;
mod params;
mod step;
mod train;

use ndarray::{Array2, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

pub use adam::{Adam, AdamConfig};
pub use network::{Dense, Float, Gradients, Network, Workspace};
pub use params::{
    Activation, DenseNetParams, HiddenSizes, ParseActivationError, ParseHiddenSizesError,
    MODEL_NAME,
};
pub use train::{train, BatchOrder, TrainConfig, ValidationData};

use super::scaling::Standardizer;
use super::{
    check_predict_shape, check_training_shapes, FittedRegressor, ModelError, Regressor,
    SettingsError, TrainingHistory,
};

/// One trained ensemble member and its loss history.
type TrainedMember = (Network<f32>, TrainingHistory);

/// ChaCha stream for the initial weights of a network.
const INIT_STREAM: u64 = 0;
/// ChaCha stream for the validation split.
const SPLIT_STREAM: u64 = 2;

/// Dense neural network with checked settings, which [`DenseNetParams`] documents.
///
/// With `scale` on, predictors and targets are standardized to mean 0 and population
/// standard deviation 1 on all rows passed to `fit`, validation rows included, and
/// predictions are mapped back to the targets' units. The losses in
/// [`FittedRegressor::history`] are then in standardized target units.
///
/// With `validation_fraction` f > 0, fit permutes its rows with the seed and holds out
/// the last n − ⌊n(1 − f)⌋ rows of that permutation, the count Keras's
/// `validation_split` takes. Every ensemble member uses the same split.
///
/// ```
/// use lunchbench::models::nn::{DenseNet, DenseNetParams};
/// use lunchbench::models::Regressor;
/// use ndarray::Array2;
///
/// let x = Array2::from_shape_fn((40, 3), |(i, j)| (i * (j + 1)) as f64 / 40.0);
/// let y = x.sum_axis(ndarray::Axis(1)).insert_axis(ndarray::Axis(1));
/// let params = DenseNetParams { hidden: vec![8], epochs: 5, ..Default::default() };
/// let model = DenseNet::new(params)?;
/// let fitted = model.fit(x.view(), y.view())?;
/// assert_eq!(fitted.predict(x.view())?.dim(), (40, 1));
/// assert_eq!(fitted.history()[0].loss.len(), 5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct DenseNet {
    params: DenseNetParams,
}

impl DenseNet {
    /// Checks `params` and builds the model.
    ///
    /// # Errors
    ///
    /// Returns the [`SettingsError`] of [`DenseNetParams::validate`].
    pub fn new(params: DenseNetParams) -> Result<Self, SettingsError> {
        params.validate()?;
        Ok(DenseNet { params })
    }

    pub fn params(&self) -> &DenseNetParams {
        &self.params
    }

    /// Fits the model and returns the concrete fitted type, which exposes the trained
    /// networks.
    ///
    /// # Errors
    ///
    /// - [`ModelError::Shape`] when `x` and `y` have different row counts, no rows or
    ///   columns, or the validation split leaves no training rows.
    /// - [`ModelError::Numerical`] when a value is NaN, infinite or beyond the range of
    ///   float32.
    /// - [`ModelError::NonFiniteLoss`] from the first ensemble member whose loss stops
    ///   being finite.
    pub fn fit_dense(
        &self,
        x: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<FittedDenseNet, ModelError> {
        check_training_shapes(x, y)?;
        let params = &self.params;
        let (x_scaler, y_scaler) = if params.scale {
            (Some(Standardizer::fit(x, 0.0)), Some(Standardizer::fit(y, 0.0)))
        } else {
            (None, None)
        };
        let x32 = to_f32(x, x_scaler.as_ref(), "predictor")?;
        let y32 = to_f32(y, y_scaler.as_ref(), "target")?;

        let split = split_rows(x.nrows(), params.validation_fraction, params.seed)?;
        let train_x = x32.select(Axis(0), &split.train);
        let train_y = y32.select(Axis(0), &split.train);
        let validation_x = x32.select(Axis(0), &split.validation);
        let validation_y = y32.select(Axis(0), &split.validation);
        let validation = (!split.validation.is_empty())
            .then(|| ValidationData { x: validation_x.view(), y: validation_y.view() });

        // Members are independent, so training them in parallel gives the same results
        // as in sequence. Results are collected in member order, so the error returned
        // is the one of the lowest failing seed.
        let members: Vec<Result<TrainedMember, ModelError>> = (0..params.ensemble)
            .into_par_iter()
            .map(|member| {
                let seed = params.seed.wrapping_add(member as u64);
                self.train_member(seed, train_x.view(), train_y.view(), validation)
            })
            .collect();
        let mut networks = Vec::with_capacity(params.ensemble);
        let mut histories = Vec::with_capacity(params.ensemble);
        for member in members {
            let (network, history) = member?;
            networks.push(network);
            histories.push(history);
        }

        let notes = self.fit_notes(split.train.len(), split.validation.len(), &histories);
        Ok(FittedDenseNet {
            networks,
            x_scaler,
            y_scaler,
            n_predictors: x.ncols(),
            histories,
            notes,
        })
    }

    fn train_member(
        &self,
        seed: u64,
        x: ArrayView2<f32>,
        y: ArrayView2<f32>,
        validation: Option<ValidationData<'_, f32>>,
    ) -> Result<TrainedMember, ModelError> {
        let params = &self.params;
        let mut init_rng = ChaCha8Rng::seed_from_u64(seed);
        init_rng.set_stream(INIT_STREAM);
        let mut network = Network::glorot_uniform(
            x.ncols(),
            &params.hidden,
            params.activation,
            y.ncols(),
            &mut init_rng,
        );
        let config = TrainConfig {
            epochs: params.epochs,
            batch_size: params.batch_size,
            adam: AdamConfig { learning_rate: params.learning_rate, ..AdamConfig::default() },
            batch_order: BatchOrder::Shuffled { seed },
            patience: params.patience,
        };
        let history = train(&mut network, x, y, validation, &config)?;
        Ok((network, history))
    }

    fn fit_notes(
        &self,
        n_train: usize,
        n_validation: usize,
        histories: &[TrainingHistory],
    ) -> Vec<(String, String)> {
        let mut notes = Vec::new();
        if self.params.batch_size > n_train {
            notes.push(("batch_size used".into(), n_train.to_string()));
        }
        if n_validation > 0 {
            notes.push(("validation rows".into(), n_validation.to_string()));
        }
        if self.params.patience.is_some() {
            let epochs: Vec<String> = histories.iter().map(|h| h.loss.len().to_string()).collect();
            let best: Vec<String> = histories.iter().map(|h| h.best_epoch.to_string()).collect();
            notes.push(("epochs run".into(), epochs.join(", ")));
            notes.push(("best epoch".into(), best.join(", ")));
        }
        notes
    }
}

impl Regressor for DenseNet {
    fn name(&self) -> &str {
        MODEL_NAME
    }

    fn settings(&self) -> Vec<(String, String)> {
        self.params.to_pairs()
    }

    fn fit(
        &self,
        x: ArrayView2<f64>,
        y: ArrayView2<f64>,
    ) -> Result<Box<dyn FittedRegressor>, ModelError> {
        Ok(Box::new(self.fit_dense(x, y)?))
    }
}

/// Trained networks of a [`DenseNet`] with the scaling fitted on its training rows.
#[derive(Debug, Clone)]
pub struct FittedDenseNet {
    networks: Vec<Network<f32>>,
    x_scaler: Option<Standardizer>,
    y_scaler: Option<Standardizer>,
    n_predictors: usize,
    histories: Vec<TrainingHistory>,
    notes: Vec<(String, String)>,
}

impl FittedDenseNet {
    /// Returns the trained networks, one per ensemble member in seed order.
    pub fn networks(&self) -> &[Network<f32>] {
        &self.networks
    }
}

impl FittedRegressor for FittedDenseNet {
    /// Averages the members' predictions in f64 and maps them back to target units.
    fn predict(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, ModelError> {
        check_predict_shape(x, self.n_predictors)?;
        let inputs = to_f32_unchecked(x, self.x_scaler.as_ref());
        let mut sum = Array2::<f64>::zeros((x.nrows(), self.networks[0].n_outputs()));
        for network in &self.networks {
            let prediction = network.predict(inputs.view())?;
            sum.zip_mut_with(&prediction, |total, &p| *total += f64::from(p));
        }
        let mean = sum / self.networks.len() as f64;
        Ok(match &self.y_scaler {
            Some(scaler) => scaler.inverse_transform(mean.view()),
            None => mean,
        })
    }

    fn history(&self) -> &[TrainingHistory] {
        &self.histories
    }

    fn fit_notes(&self) -> Vec<(String, String)> {
        self.notes.clone()
    }
}

/// Standardizes `values` when a scaler is given and converts them to float32.
fn to_f32_unchecked(values: ArrayView2<f64>, scaler: Option<&Standardizer>) -> Array2<f32> {
    match scaler {
        Some(scaler) => scaler.transform(values).mapv(|v| v as f32),
        None => values.mapv(|v| v as f32),
    }
}

/// As [`to_f32_unchecked`], but fails on a NaN or infinite value, or on one that
/// leaves float32's range of about ±3.4e38.
fn to_f32(
    values: ArrayView2<f64>,
    scaler: Option<&Standardizer>,
    role: &str,
) -> Result<Array2<f32>, ModelError> {
    let invalid = |(row, column): (usize, usize), reason: &str| {
        ModelError::Numerical(format!(
            "{role} at row {row}, column {column} is {:?}{reason}: remove or impute it \
             before fitting",
            values[[row, column]]
        ))
    };
    if let Some((index, _)) = values.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(invalid(index, ""));
    }
    let converted = to_f32_unchecked(values, scaler);
    if let Some((index, _)) = converted.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(invalid(index, ", beyond the range of float32"));
    }
    Ok(converted)
}

/// Row indices for training and validation, each in ascending order.
struct RowSplit {
    train: Vec<usize>,
    validation: Vec<usize>,
}

/// Holds out the last n − ⌊n(1 − fraction)⌋ rows of a seeded permutation of `n_rows`.
fn split_rows(n_rows: usize, fraction: f64, seed: u64) -> Result<RowSplit, ModelError> {
    if fraction == 0.0 {
        return Ok(RowSplit { train: (0..n_rows).collect(), validation: Vec::new() });
    }
    // At least one row is held out, also for a fraction so small that 1 − fraction
    // rounds to 1.
    let n_train = ((n_rows as f64 * (1.0 - fraction)).floor() as usize).min(n_rows - 1);
    if n_train == 0 {
        return Err(ModelError::Shape(format!(
            "validation_fraction {fraction} leaves no training rows out of {n_rows}: \
             lower it or pass more rows"
        )));
    }
    let mut rows: Vec<usize> = (0..n_rows).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(SPLIT_STREAM);
    rows.shuffle(&mut rng);
    let mut validation = rows.split_off(n_train);
    rows.sort_unstable();
    validation.sort_unstable();
    Ok(RowSplit { train: rows, validation })
}

#[cfg(test)]
mod tests;
