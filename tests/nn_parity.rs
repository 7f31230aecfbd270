//! Parity of the dense network with Keras 3.15.1 (TensorFlow 2.21 CPU).
//!
//! `tests/fixtures/keras_dense_adam.json` contains a `Dense(4, relu) -> Dense(3)` network
//! with fixed initial weights, trained by Keras with Adam on the mean squared error for
//! 3 epochs, batch size 4 over 10 rows (batches of 4, 4 and 2) without shuffling. Its
//! `description` field states the conventions. The tolerances are 1e-6, absolute for
//! weights and predictions and relative for losses: the fixture's note says a float32
//! reimplementation of the same update lands within 1e-7 of the trained weights.

use std::collections::HashMap;

use lunchbench::models::nn::{
    train, Activation, AdamConfig, BatchOrder, Dense, Network, TrainConfig,
};
use ndarray::{Array1, Array2};
use serde::Deserialize;

const TOLERANCE: f64 = 1e-6;

#[derive(Deserialize)]
struct Fixture {
    adam: AdamFixture,
    x: Vec<Vec<f32>>,
    y: Vec<Vec<f32>>,
    initial: HashMap<String, serde_json::Value>,
    trained: HashMap<String, serde_json::Value>,
    loss_per_epoch: Vec<f64>,
    predictions: Vec<Vec<f32>>,
}

#[derive(Deserialize)]
struct AdamFixture {
    learning_rate: f64,
    beta_1: f64,
    beta_2: f64,
    epsilon: f64,
}

fn load_fixture() -> Fixture {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keras_dense_adam.json");
    let text = std::fs::read_to_string(path).expect("read the Keras fixture");
    serde_json::from_str(&text).expect("parse the Keras fixture")
}

fn matrix(rows: &[Vec<f32>]) -> Array2<f32> {
    let n_cols = rows[0].len();
    let flat: Vec<f32> = rows.iter().flatten().copied().collect();
    Array2::from_shape_vec((rows.len(), n_cols), flat).expect("rectangular matrix")
}

fn kernel(weights: &HashMap<String, serde_json::Value>, name: &str) -> Array2<f32> {
    let rows: Vec<Vec<f32>> = serde_json::from_value(weights[name].clone()).expect(name);
    matrix(&rows)
}

fn bias(weights: &HashMap<String, serde_json::Value>, name: &str) -> Array1<f32> {
    let values: Vec<f32> = serde_json::from_value(weights[name].clone()).expect(name);
    Array1::from(values)
}

fn keras_network(weights: &HashMap<String, serde_json::Value>) -> Network<f32> {
    Network::from_layers(vec![
        Dense {
            kernel: kernel(weights, "kernel1"),
            bias: bias(weights, "bias1"),
            activation: Activation::Relu,
        },
        Dense {
            kernel: kernel(weights, "kernel2"),
            bias: bias(weights, "bias2"),
            activation: Activation::Linear,
        },
    ])
    .expect("fixture layers fit together")
}

/// Trains the fixture's initial network with the fixture's recipe.
fn train_like_keras(fixture: &Fixture) -> (Network<f32>, Vec<f64>) {
    let mut network = keras_network(&fixture.initial);
    let config = TrainConfig {
        epochs: 3,
        batch_size: 4,
        adam: AdamConfig {
            learning_rate: fixture.adam.learning_rate,
            beta_1: fixture.adam.beta_1,
            beta_2: fixture.adam.beta_2,
            epsilon: fixture.adam.epsilon,
        },
        batch_order: BatchOrder::Sequential,
        patience: None,
    };
    let x = matrix(&fixture.x);
    let y = matrix(&fixture.y);
    let history = train(&mut network, x.view(), y.view(), None, &config).expect("training");
    (network, history.loss)
}

fn max_abs_difference<'a>(
    got: impl IntoIterator<Item = &'a f32>,
    expected: impl IntoIterator<Item = &'a f32>,
) -> f64 {
    got.into_iter()
        .zip(expected)
        .map(|(&g, &e)| (f64::from(g) - f64::from(e)).abs())
        .fold(0.0, f64::max)
}

#[test]
fn trained_weights_match_keras() {
    let fixture = load_fixture();
    let (network, _) = train_like_keras(&fixture);
    let expected = keras_network(&fixture.trained);
    for (index, (got, want)) in network.layers().iter().zip(expected.layers()).enumerate() {
        let kernel_error = max_abs_difference(&got.kernel, &want.kernel);
        assert!(kernel_error <= TOLERANCE, "layer {index} kernel differs by {kernel_error:e}");
        let bias_error = max_abs_difference(&got.bias, &want.bias);
        assert!(bias_error <= TOLERANCE, "layer {index} bias differs by {bias_error:e}");
    }
}

#[test]
fn training_moves_weights() {
    // Guards the weight comparison against a fixture whose trained and initial weights
    // agree within the tolerance, which would let a no-op training pass.
    let fixture = load_fixture();
    let initial = keras_network(&fixture.initial);
    let trained = keras_network(&fixture.trained);
    let moved = max_abs_difference(&initial.layers()[0].kernel, &trained.layers()[0].kernel);
    assert!(moved > 100.0 * TOLERANCE, "Keras moved the first kernel by only {moved:e}");
}

#[test]
fn epoch_losses_match_keras() {
    let fixture = load_fixture();
    let (_, losses) = train_like_keras(&fixture);
    assert_eq!(losses.len(), fixture.loss_per_epoch.len());
    for (epoch, (got, want)) in losses.iter().zip(&fixture.loss_per_epoch).enumerate() {
        let relative = (got - want).abs() / want.abs();
        assert!(relative <= TOLERANCE, "epoch {}: loss {got} vs Keras {want}", epoch + 1);
    }
}

#[test]
fn predictions_match_keras() {
    let fixture = load_fixture();
    let (network, _) = train_like_keras(&fixture);
    let prediction = network.predict(matrix(&fixture.x).view()).expect("prediction");
    let expected = matrix(&fixture.predictions);
    assert_eq!(prediction.dim(), expected.dim());
    let error = max_abs_difference(&prediction, &expected);
    assert!(error <= TOLERANCE, "predictions differ by {error:e}");
}
