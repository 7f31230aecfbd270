//! Fit and predict time of every model on lab-shaped and tecator-shaped data, and a
//! scaling series over rows and predictors.
//!
//! Lab-shaped data are the 60 training rows of datasets/lab.csv (700 predictors,
//! 1,400 targets); tecator-shaped data are the 172 training rows of datasets/tecator.csv
//! (100 predictors, 3 targets). Every model runs with its default settings.

use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ndarray::{Array2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use lunchbench::config::{build_models, Sidecar, DEFAULT_MODELS};
use lunchbench::data::{self, LoadOptions, RoleSpec};
use lunchbench::models::Regressor;

fn training_rows(name: &str, predictors: &[&str], targets: &[&str]) -> (Array2<f64>, Array2<f64>) {
    let spec = RoleSpec {
        id: Some("sample".into()),
        split: Some("set".into()),
        predictors: predictors.iter().map(|s| s.to_string()).collect(),
        targets: targets.iter().map(|s| s.to_string()).collect(),
        ignore: vec![],
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets").join(name);
    let dataset =
        data::load(&path, &spec, &LoadOptions::default()).expect("shipped data set loads");
    let split = lunchbench::split::split(&dataset, 0.25, 0).expect("shipped split is valid");
    (dataset.x.select(Axis(0), &split.train), dataset.y.select(Axis(0), &split.train))
}

fn all_models() -> Vec<Box<dyn Regressor>> {
    let names: Vec<String> = DEFAULT_MODELS.iter().map(|s| s.to_string()).collect();
    build_models(&names, &Sidecar::default()).expect("default settings are valid")
}

fn bench_data_set(c: &mut Criterion, label: &str, x: &Array2<f64>, y: &Array2<f64>) {
    let models = all_models();
    let mut fit = c.benchmark_group(format!("{label}_fit"));
    fit.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for model in &models {
        fit.bench_function(model.name(), |b| {
            b.iter(|| model.fit(x.view(), y.view()).expect("fit"))
        });
    }
    fit.finish();

    let mut predict = c.benchmark_group(format!("{label}_predict"));
    predict
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    for model in &models {
        let fitted = model.fit(x.view(), y.view()).expect("fit");
        predict.bench_function(model.name(), |b| {
            b.iter(|| fitted.predict(x.view()).expect("predict"))
        });
    }
    predict.finish();
}

fn lab(c: &mut Criterion) {
    let (x, y) = training_rows("lab.csv", &["inst1_*"], &["inst2_*", "inst3_*"]);
    bench_data_set(c, "lab", &x, &y);
}

fn tecator(c: &mut Criterion) {
    let (x, y) = training_rows("tecator.csv", &["x_*"], &["water", "fat", "protein"]);
    bench_data_set(c, "tecator", &x, &y);
}

/// Seeded synthetic data: uniform predictors and 3 targets that are linear in them
/// plus noise.
fn synthetic(rows: usize, predictors: usize) -> (Array2<f64>, Array2<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let x = Array2::from_shape_fn((rows, predictors), |_| rng.gen_range(-1.0..1.0));
    let w = Array2::from_shape_fn((predictors, 3), |_| rng.gen_range(-1.0..1.0));
    let noise = Array2::from_shape_fn((rows, 3), |_| rng.gen_range(-0.1..0.1));
    let y = x.dot(&w) + noise;
    (x, y)
}

fn scaling(c: &mut Criterion) {
    let names: Vec<String> = ["ridge", "pls"]
        .iter()
        .chain(DEFAULT_MODELS.iter().filter(|n| **n == "dense-nn"))
        .map(|s| s.to_string())
        .collect();
    let models = build_models(&names, &Sidecar::default()).expect("default settings are valid");
    let mut group = c.benchmark_group("scaling_fit");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for predictors in [100, 1000] {
        for rows in [100, 1000, 10_000] {
            let (x, y) = synthetic(rows, predictors);
            for model in &models {
                let id = BenchmarkId::new(model.name(), format!("{rows}x{predictors}"));
                group
                    .bench_function(id, |b| b.iter(|| model.fit(x.view(), y.view()).expect("fit")));
            }
        }
    }
    group.finish();
}

criterion_group!(benches, lab, tecator, scaling);
criterion_main!(benches);
