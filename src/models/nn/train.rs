//! Minibatch training with Adam, validation loss and early stopping.

use ndarray::{ArrayView2, Zip};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::adam::{Adam, AdamConfig};
use super::network::{Float, Gradients, Network, Workspace};
use crate::models::{ModelError, TrainingHistory};

/// ChaCha stream for the minibatch order, so it is independent of the weight
/// initialization and the validation split drawn from the same seed.
pub(crate) const SHUFFLE_STREAM: u64 = 1;

/// Order in which training rows are grouped into minibatches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOrder {
    /// Rows in their given order every epoch, as Keras's `shuffle=False`.
    Sequential,
    /// A new random permutation of the rows every epoch, drawn from `seed`.
    Shuffled { seed: u64 },
}

/// How to train one network.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// Maximum number of passes over the training rows.
    pub epochs: usize,
    /// Rows per minibatch, capped at the number of training rows. The last batch of an
    /// epoch contains the remaining rows.
    pub batch_size: usize,
    pub adam: AdamConfig,
    pub batch_order: BatchOrder,
    /// Epochs without a lower validation loss after which training stops and the
    /// weights of the best epoch are restored. `None` trains for all epochs and keeps
    /// the last weights.
    pub patience: Option<usize>,
}

/// Predictors and targets of the rows held out to measure the validation loss.
#[derive(Debug, Clone, Copy)]
pub struct ValidationData<'a, T> {
    pub x: ArrayView2<'a, T>,
    pub y: ArrayView2<'a, T>,
}

/// Trains `network` in place on predictors `x` and targets `y` by minimizing the mean
/// squared error with Adam.
///
/// Each step computes the batch loss and its gradients, then applies one Adam update.
/// The epoch loss in the returned history is the batch losses averaged with each batch
/// weighted by its rows, which is the figure Keras reports. The validation loss is the
/// mean squared error over all validation rows after the epoch's last step. The
/// history's `seed` is the shuffle seed, or 0 for [`BatchOrder::Sequential`].
///
/// # Errors
///
/// - [`ModelError::Shape`] when `x`, `y` or the validation data do not match the
///   network's inputs and outputs or each other, or there are no training rows.
/// - [`ModelError::NonFiniteLoss`] with the 1-based epoch when a batch loss or the
///   validation loss is NaN or infinite, or a weight is after the last epoch.
///
/// # Panics
///
/// When `epochs` or `batch_size` is 0, or `patience` is set without validation data.
pub fn train<T: Float>(
    network: &mut Network<T>,
    x: ArrayView2<T>,
    y: ArrayView2<T>,
    validation: Option<ValidationData<'_, T>>,
    config: &TrainConfig,
) -> Result<TrainingHistory, ModelError> {
    assert!(config.epochs >= 1, "epochs must be at least 1");
    assert!(config.batch_size >= 1, "batch_size must be at least 1");
    assert!(
        config.patience.is_none() || validation.is_some(),
        "early stopping needs validation data"
    );
    check_data(network, x, y, "training")?;
    if let Some(data) = validation {
        check_data(network, data.x, data.y, "validation")?;
    }

    let n_rows = x.nrows();
    let n_outputs = network.n_outputs();
    let batch_size = config.batch_size.min(n_rows);
    let mut workspace = Workspace::new(network, batch_size, true);
    let mut gradients = Gradients::zeros_like(network);
    let mut adam = Adam::new(config.adam, network);
    let mut order: Vec<usize> = (0..n_rows).collect();
    let mut shuffle_rng = match config.batch_order {
        BatchOrder::Sequential => None,
        BatchOrder::Shuffled { seed } => {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(SHUFFLE_STREAM);
            Some(rng)
        }
    };

    // The validation inputs never change, so they are copied into the workspace once.
    let mut validation_workspace = validation.map(|data| {
        let mut buffers = Workspace::new(network, data.x.nrows(), false);
        buffers.input_mut(data.x.nrows()).assign(&data.x);
        buffers
    });
    let mut early_stopping = config.patience.map(|patience| EarlyStopping {
        patience,
        best_loss: f64::INFINITY,
        best_epoch: 0,
        epochs_without_improvement: 0,
        best_weights: network.clone(),
    });

    let mut history = TrainingHistory {
        seed: match config.batch_order {
            BatchOrder::Sequential => 0,
            BatchOrder::Shuffled { seed } => seed,
        },
        loss: Vec::with_capacity(config.epochs),
        val_loss: Vec::with_capacity(if validation.is_some() { config.epochs } else { 0 }),
        best_epoch: 0,
    };

    for epoch in 1..=config.epochs {
        if let Some(rng) = shuffle_rng.as_mut() {
            order.shuffle(rng);
        }

        let mut epoch_squared_error = 0.0;
        for batch in order.chunks(batch_size) {
            let rows = batch.len();
            gather_rows(x, batch, workspace.input_mut(rows));
            gather_rows(y, batch, workspace.targets_mut(rows));
            let squared_error = workspace.train_step(network, rows, &mut adam, &mut gradients);
            if !squared_error.is_finite() {
                return Err(ModelError::NonFiniteLoss { epoch });
            }
            epoch_squared_error += squared_error;
        }
        history.loss.push(epoch_squared_error / (n_rows * n_outputs) as f64);

        let (Some(data), Some(buffers)) = (validation, validation_workspace.as_mut()) else {
            continue;
        };
        let rows = data.x.nrows();
        buffers.forward(network, rows);
        let val_loss = squared_error(buffers.output(rows), data.y) / (rows * n_outputs) as f64;
        if !val_loss.is_finite() {
            return Err(ModelError::NonFiniteLoss { epoch });
        }
        history.val_loss.push(val_loss);
        if let Some(stopping) = early_stopping.as_mut() {
            if stopping.should_stop(epoch, val_loss, network) {
                break;
            }
        }
    }

    // A non-finite weight makes the next batch loss non-finite, because every
    // activation passes NaN through. Only the last step has no next batch.
    if !weights_are_finite(network) {
        return Err(ModelError::NonFiniteLoss { epoch: history.loss.len() });
    }
    history.best_epoch = match early_stopping {
        Some(stopping) => {
            network.copy_weights_from(&stopping.best_weights);
            stopping.best_epoch
        }
        None => history.loss.len(),
    };
    Ok(history)
}

/// State of early stopping on the validation loss, as Keras 3's `EarlyStopping` with
/// `min_delta=0` and `restore_best_weights=True`: the best weights are restored at the
/// end of training, also when it ran all epochs.
struct EarlyStopping<T> {
    patience: usize,
    best_loss: f64,
    best_epoch: usize,
    epochs_without_improvement: usize,
    best_weights: Network<T>,
}

impl<T: Float> EarlyStopping<T> {
    /// Records the epoch's validation loss and returns whether training should stop.
    fn should_stop(&mut self, epoch: usize, val_loss: f64, network: &Network<T>) -> bool {
        if val_loss < self.best_loss {
            self.best_loss = val_loss;
            self.best_epoch = epoch;
            self.epochs_without_improvement = 0;
            self.best_weights.copy_weights_from(network);
            false
        } else {
            self.epochs_without_improvement += 1;
            self.epochs_without_improvement >= self.patience
        }
    }
}

fn check_data<T: Float>(
    network: &Network<T>,
    x: ArrayView2<T>,
    y: ArrayView2<T>,
    role: &str,
) -> Result<(), ModelError> {
    if x.nrows() != y.nrows() {
        return Err(ModelError::Shape(format!(
            "{role} predictors have {} rows but targets have {}",
            x.nrows(),
            y.nrows()
        )));
    }
    if x.nrows() == 0 {
        return Err(ModelError::Shape(format!("no {role} rows")));
    }
    if x.ncols() != network.n_inputs() || y.ncols() != network.n_outputs() {
        return Err(ModelError::Shape(format!(
            "{role} data has {} predictors and {} targets but the network takes {} inputs \
             and has {} outputs",
            x.ncols(),
            y.ncols(),
            network.n_inputs(),
            network.n_outputs()
        )));
    }
    Ok(())
}

/// Copies `source` rows listed in `rows` into the leading rows of `destination`.
fn gather_rows<T: Float>(
    source: ArrayView2<T>,
    rows: &[usize],
    mut destination: ndarray::ArrayViewMut2<T>,
) {
    for (mut target, &row) in destination.rows_mut().into_iter().zip(rows) {
        target.assign(&source.row(row));
    }
}

fn squared_error<T: Float>(prediction: ArrayView2<T>, targets: ArrayView2<T>) -> f64 {
    let mut sum = 0.0;
    Zip::from(prediction).and(targets).for_each(|&p, &y| {
        let error = (p - y).to_f64();
        sum += error * error;
    });
    sum
}

fn weights_are_finite<T: Float>(network: &Network<T>) -> bool {
    network.layers().iter().all(|layer| {
        layer.kernel.iter().all(|w| w.is_finite()) && layer.bias.iter().all(|b| b.is_finite())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::nn::network::Dense;
    use crate::models::nn::Activation;
    use ndarray::{array, Array2};

    fn config(epochs: usize, batch_size: usize) -> TrainConfig {
        TrainConfig {
            epochs,
            batch_size,
            adam: AdamConfig { learning_rate: 0.05, ..Default::default() },
            batch_order: BatchOrder::Shuffled { seed: 3 },
            patience: None,
        }
    }

    /// y = 2x − 1 on 20 points in [−1, 1].
    fn line() -> (Array2<f32>, Array2<f32>) {
        let x = Array2::from_shape_fn((20, 1), |(i, _)| i as f32 / 9.5 - 1.0);
        let y = x.mapv(|v| 2.0 * v - 1.0);
        (x, y)
    }

    fn linear_network() -> Network<f32> {
        Network::from_layers(vec![Dense {
            kernel: array![[0.0]],
            bias: array![0.0],
            activation: Activation::Linear,
        }])
        .unwrap()
    }

    #[test]
    fn linear_model_learns_a_line() {
        let (x, y) = line();
        let mut network = linear_network();
        let history = train(&mut network, x.view(), y.view(), None, &config(300, 5)).unwrap();
        let layer = &network.layers()[0];
        assert!((layer.kernel[[0, 0]] - 2.0).abs() < 0.02, "kernel {}", layer.kernel);
        assert!((layer.bias[0] + 1.0).abs() < 0.02, "bias {}", layer.bias);
        assert_eq!(history.loss.len(), 300);
        assert!(history.loss[299] < 1e-3 * history.loss[0], "{:?}", &history.loss[295..]);
        assert!(history.val_loss.is_empty());
        assert_eq!(history.best_epoch, 300);
        assert_eq!(history.seed, 3);
    }

    #[test]
    fn oversized_batch_uses_all_rows() {
        // One batch of all 20 rows makes the epoch a single Adam step. At t = 1 every
        // weight moves by almost exactly the learning rate, and the bias gradient is
        // positive because the targets average −1.
        let (x, y) = line();
        let mut network = linear_network();
        train(&mut network, x.view(), y.view(), None, &config(1, 1000)).unwrap();
        assert!((network.layers()[0].bias[0] + 0.05).abs() < 1e-6);
    }

    #[test]
    fn early_stopping_restores_best_epoch() {
        // A learning rate this large makes the validation loss bounce, so it stops
        // improving well before 200 epochs.
        let (x, y) = line();
        let validation =
            ValidationData { x: x.slice(ndarray::s![..5, ..]), y: y.slice(ndarray::s![..5, ..]) };
        let mut network = linear_network();
        let mut settings = config(200, 4);
        settings.adam.learning_rate = 0.5;
        settings.patience = Some(3);
        let history = train(&mut network, x.view(), y.view(), Some(validation), &settings).unwrap();

        let epochs_run = history.loss.len();
        assert!(epochs_run < 200, "ran all {epochs_run} epochs");
        assert_eq!(history.val_loss.len(), epochs_run);
        assert_eq!(history.best_epoch + 3, epochs_run);
        let best = history.val_loss[history.best_epoch - 1];
        assert!(history.val_loss.iter().all(|&loss| loss >= best));

        let prediction = network.predict(validation.x).unwrap();
        let restored = squared_error(prediction.view(), validation.y) / 5.0;
        assert!((restored - best).abs() <= 1e-6 * best.max(1e-12), "{restored} vs {best}");
    }

    #[test]
    fn huge_learning_rate_reports_epoch() {
        let x = Array2::from_shape_fn((16, 2), |(i, j)| 1e18 * (i + j) as f32);
        let y = Array2::from_shape_fn((16, 1), |(i, _)| 1e18 * i as f32);
        let mut network = Network::from_layers(vec![Dense {
            kernel: array![[0.5], [0.5]],
            bias: array![0.0],
            activation: Activation::Linear,
        }])
        .unwrap();
        let err = train(&mut network, x.view(), y.view(), None, &config(5, 4)).unwrap_err();
        assert!(matches!(err, ModelError::NonFiniteLoss { epoch: 1 }), "{err:?}");
    }

    #[test]
    fn mismatched_rows_are_rejected() {
        let (x, y) = line();
        let mut network = linear_network();
        let err = train(&mut network, x.view(), y.slice(ndarray::s![..3, ..]), None, &config(1, 4))
            .unwrap_err();
        assert!(err.to_string().contains("20 rows but targets have 3"), "{err}");
    }

    #[test]
    fn sequential_order_is_repeatable() {
        let (x, y) = line();
        let mut settings = config(5, 3);
        settings.batch_order = BatchOrder::Sequential;
        let mut first = linear_network();
        let mut second = linear_network();
        train(&mut first, x.view(), y.view(), None, &settings).unwrap();
        train(&mut second, x.view(), y.view(), None, &settings).unwrap();
        assert_eq!(first, second);
    }
}
