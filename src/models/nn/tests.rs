use super::*;
use ndarray::{s, Array2};
use rand::distributions::{Distribution, Uniform};

/// Seeded data with a smooth non-linear relation between `predictors` columns and
/// `targets` columns.
fn synthetic(
    rows: usize,
    predictors: usize,
    targets: usize,
    seed: u64,
) -> (Array2<f64>, Array2<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let uniform = Uniform::new(-1.0f64, 1.0);
    let x = Array2::from_shape_simple_fn((rows, predictors), || uniform.sample(&mut rng));
    let y = Array2::from_shape_fn((rows, targets), |(i, j)| {
        let a = x[[i, j % predictors]];
        let b = x[[i, (j + 1) % predictors]];
        (a + 0.5 * b * b).sin() + 0.1 * j as f64
    });
    (x, y)
}

fn small_params() -> DenseNetParams {
    DenseNetParams { hidden: vec![16], epochs: 20, batch_size: 8, ..Default::default() }
}

fn fit(params: DenseNetParams, x: &Array2<f64>, y: &Array2<f64>) -> FittedDenseNet {
    DenseNet::new(params).unwrap().fit_dense(x.view(), y.view()).unwrap()
}

fn bits(values: &Array2<f64>) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn same_seed_gives_identical_predictions() {
    let (x, y) = synthetic(50, 6, 3, 1);
    let params = DenseNetParams { ensemble: 2, validation_fraction: 0.2, ..small_params() };
    let first = fit(params.clone(), &x, &y).predict(x.view()).unwrap();
    let second = fit(params, &x, &y).predict(x.view()).unwrap();
    assert_eq!(bits(&first), bits(&second));
}

#[test]
fn different_seeds_give_different_predictions() {
    let (x, y) = synthetic(50, 6, 3, 1);
    let first = fit(small_params(), &x, &y).predict(x.view()).unwrap();
    let second =
        fit(DenseNetParams { seed: 1, ..small_params() }, &x, &y).predict(x.view()).unwrap();
    assert_ne!(bits(&first), bits(&second));
}

#[test]
fn rayon_threads_do_not_change_predictions() {
    let (x, y) = synthetic(60, 8, 4, 2);
    let params = DenseNetParams { ensemble: 3, ..small_params() };
    let in_pool = |threads| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| fit(params.clone(), &x, &y).predict(x.view()).unwrap())
    };
    let single_thread = in_pool(1);
    let two_threads = in_pool(2);
    assert_eq!(bits(&single_thread), bits(&two_threads));
}

/// The lab data's shapes (700 predictors, 64 hidden units, 1,400 targets) make every
/// product and Adam update large enough to split its blocks across threads, and the
/// 90 rows leave a partial last batch.
#[test]
fn threads_do_not_change_predictions_on_lab_shapes() {
    let (x, y) = synthetic(90, 700, 1400, 3);
    let params = DenseNetParams { epochs: 2, ..Default::default() };
    let in_pool = |threads| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| fit(params.clone(), &x, &y).predict(x.view()).unwrap())
    };
    let single_thread = in_pool(1);
    assert!(single_thread.iter().all(|v| v.is_finite()));
    assert_eq!(bits(&in_pool(2)), bits(&single_thread), "2 threads");
    assert_eq!(bits(&in_pool(4)), bits(&single_thread), "4 threads");
}

#[test]
fn huge_learning_rate_on_raw_data_fails() {
    let (x, y) = synthetic(40, 5, 2, 4);
    let x = x.mapv(|v| 1e6 * v);
    let y = y.mapv(|v| 1e6 * v);
    let params = DenseNetParams { learning_rate: 1e12, scale: false, ..small_params() };
    let err = DenseNet::new(params).unwrap().fit(x.view(), y.view()).err().unwrap();
    assert!(matches!(err, ModelError::NonFiniteLoss { .. }), "{err:?}");
    assert!(err.to_string().contains("not finite at epoch"), "{err}");
}

#[test]
fn scaled_fit_predicts_in_target_units() {
    // Targets far from 0 with a large spread: without mapping back, predictions would be
    // near 0 and the error huge.
    let (x, y) = synthetic(80, 4, 2, 5);
    let y = y.mapv(|v| 1000.0 + 250.0 * v);
    let params = DenseNetParams { epochs: 150, ..small_params() };
    let prediction = fit(params, &x, &y).predict(x.view()).unwrap();
    let rmse = (&prediction - &y).mapv(|e| e * e).mean().unwrap().sqrt();
    let spread = y.std(0.0);
    assert!(rmse < 0.2 * spread, "rmse {rmse} vs target spread {spread}");
}

#[test]
fn unscaled_fit_keeps_raw_units() {
    // y = x₀ − 2x₁ + 3 is exactly linear, so a network without hidden layers fits it
    // in raw units.
    let (x, _) = synthetic(64, 2, 1, 6);
    let y = Array2::from_shape_fn((64, 1), |(i, _)| x[[i, 0]] - 2.0 * x[[i, 1]] + 3.0);
    let params = DenseNetParams {
        hidden: vec![],
        epochs: 400,
        learning_rate: 0.05,
        scale: false,
        ..small_params()
    };
    let fitted = fit(params, &x, &y);
    let layer = &fitted.networks()[0].layers()[0];
    assert!((layer.kernel[[0, 0]] - 1.0).abs() < 0.01, "kernel {}", layer.kernel);
    assert!((layer.kernel[[1, 0]] + 2.0).abs() < 0.01, "kernel {}", layer.kernel);
    assert!((layer.bias[0] - 3.0).abs() < 0.01, "bias {}", layer.bias);
}

#[test]
fn validation_split_sizes_and_order() {
    // Keras's count: 10 rows at 0.25 keep ⌊7.5⌋ = 7 for training.
    let split = split_rows(10, 0.25, 9).unwrap();
    assert_eq!(split.train.len(), 7);
    assert_eq!(split.validation.len(), 3);
    assert!(split.train.windows(2).all(|w| w[0] < w[1]));
    assert!(split.validation.windows(2).all(|w| w[0] < w[1]));
    let mut all: Vec<usize> = split.train.iter().chain(&split.validation).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..10).collect::<Vec<_>>());

    let again = split_rows(10, 0.25, 9).unwrap();
    assert_eq!(again.validation, split.validation);
    assert_eq!(split_rows(10, 0.0, 9).unwrap().validation, Vec::<usize>::new());
    assert_eq!(split_rows(10, 1e-20, 9).unwrap().validation.len(), 1);
}

#[test]
fn validation_split_needs_training_rows() {
    let err = split_rows(1, 0.5, 0).err().unwrap();
    assert!(err.to_string().contains("leaves no training rows out of 1"), "{err}");
}

#[test]
fn history_records_each_member() {
    let (x, y) = synthetic(40, 5, 2, 7);
    let params =
        DenseNetParams { ensemble: 3, seed: 10, validation_fraction: 0.25, ..small_params() };
    let fitted = fit(params, &x, &y);
    let history = fitted.history();
    assert_eq!(history.len(), 3);
    for (member, entry) in history.iter().enumerate() {
        assert_eq!(entry.seed, 10 + member as u64);
        assert_eq!(entry.loss.len(), 20);
        assert_eq!(entry.val_loss.len(), 20);
        assert_eq!(entry.best_epoch, 20);
        assert!(entry.loss.iter().chain(&entry.val_loss).all(|l| l.is_finite() && *l >= 0.0));
        assert!(entry.loss[19] < entry.loss[0], "member {member}: {:?}", entry.loss);
    }
    assert_ne!(history[0].loss, history[1].loss);
    assert!(fitted.fit_notes().contains(&("validation rows".to_string(), "10".to_string())));
}

#[test]
fn early_stopping_keeps_best_epoch() {
    // 30 noisy rows and 400 epochs: the validation loss stops improving long before the
    // last epoch.
    let (x, y) = synthetic(30, 10, 2, 8);
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let noise = Uniform::new(-0.5, 0.5);
    let y = y.mapv(|v| v + noise.sample(&mut rng));
    let params = DenseNetParams {
        hidden: vec![64],
        epochs: 400,
        validation_fraction: 0.3,
        patience: Some(5),
        learning_rate: 0.01,
        ..small_params()
    };
    let fitted = fit(params, &x, &y);
    let history = &fitted.history()[0];
    let epochs_run = history.loss.len();
    assert!(epochs_run < 400, "ran all {epochs_run} epochs");
    assert_eq!(history.best_epoch + 5, epochs_run);
    let best = history.val_loss[history.best_epoch - 1];
    assert!(history.val_loss.iter().all(|&loss| loss >= best));
    let notes = fitted.fit_notes();
    assert!(notes.contains(&("epochs run".to_string(), epochs_run.to_string())), "{notes:?}");
}

#[test]
fn ensemble_averages_member_predictions() {
    let (x, y) = synthetic(40, 5, 2, 11);
    let fitted = fit(DenseNetParams { ensemble: 3, scale: false, ..small_params() }, &x, &y);
    let inputs = x.mapv(|v| v as f32);
    let mut expected = Array2::<f64>::zeros((40, 2));
    for network in fitted.networks() {
        expected += &network.predict(inputs.view()).unwrap().mapv(f64::from);
    }
    expected /= 3.0;
    assert_eq!(fitted.predict(x.view()).unwrap(), expected);
}

#[test]
fn oversized_batch_is_noted() {
    let (x, y) = synthetic(12, 3, 1, 12);
    let fitted = fit(DenseNetParams { batch_size: 100, ..small_params() }, &x, &y);
    assert!(fitted.fit_notes().contains(&("batch_size used".to_string(), "12".to_string())));
}

#[test]
fn every_activation_fits() {
    let (x, y) = synthetic(48, 4, 2, 13);
    for activation in Activation::ALL {
        let fitted = fit(DenseNetParams { activation, epochs: 60, ..small_params() }, &x, &y);
        let loss = &fitted.history()[0].loss;
        assert!(loss[59] < 0.5 * loss[0], "{activation}: {:?}", loss);
    }
}

#[test]
fn settings_list_every_field() {
    let model =
        DenseNet::new(DenseNetParams { hidden: vec![128, 64], ..Default::default() }).unwrap();
    assert_eq!(model.name(), "dense-nn");
    let settings = model.settings();
    let names: Vec<&str> = settings.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "hidden",
            "activation",
            "epochs",
            "batch_size",
            "learning_rate",
            "validation_fraction",
            "patience",
            "seed",
            "ensemble",
            "scale"
        ]
    );
    assert_eq!(settings[0].1, "128,64");
    assert_eq!(settings[6].1, "none");
}

#[test]
fn invalid_settings_are_rejected_by_new() {
    let err = DenseNet::new(DenseNetParams { epochs: 0, ..Default::default() }).unwrap_err();
    assert_eq!(err.setting, "epochs");
}

#[test]
fn predict_checks_predictor_count() {
    let (x, y) = synthetic(20, 3, 1, 14);
    let fitted = fit(small_params(), &x, &y);
    let err = fitted.predict(x.slice(s![.., ..2])).unwrap_err();
    assert!(err.to_string().contains("fitted on 3 predictors but got 2"), "{err}");
}

#[test]
fn non_finite_input_is_rejected() {
    let (mut x, y) = synthetic(20, 3, 1, 15);
    x[[4, 1]] = f64::NAN;
    let err = DenseNet::new(small_params()).unwrap().fit(x.view(), y.view()).err().unwrap();
    assert!(matches!(err, ModelError::Numerical(_)), "{err:?}");

    let (x, mut y) = synthetic(20, 3, 1, 15);
    y[[2, 0]] = 1e300;
    let params = DenseNetParams { scale: false, ..small_params() };
    let err = DenseNet::new(params).unwrap().fit(x.view(), y.view()).err().unwrap();
    assert!(err.to_string().contains("target at row 2, column 0 is 1e300"), "{err}");
}

#[test]
fn mismatched_rows_are_rejected() {
    let (x, y) = synthetic(20, 3, 1, 16);
    let err =
        DenseNet::new(small_params()).unwrap().fit(x.view(), y.slice(s![..5, ..])).err().unwrap();
    assert!(matches!(err, ModelError::Shape(_)), "{err:?}");
}
