//! Times of the dense network with default settings on the shipped data sets, fitting on
//! their training rows and predicting their test rows: `datasets/lab.csv` (60 rows, 700 predictors, 1,400 targets)
//! and `datasets/tecator.csv` (172 rows, 100 predictors, 3 targets).
//!
//! Run with `cargo bench --bench nn`.

use std::path::Path;
use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use lunchbench::models::nn::{DenseNet, DenseNetParams};
use lunchbench::models::Regressor;
use ndarray::Array2;

/// Training and test rows of one data set, split by its `set` column.
struct Dataset {
    train_x: Array2<f64>,
    train_y: Array2<f64>,
    test_x: Array2<f64>,
}

/// Reads `file` from `datasets/`, taking predictor columns whose names start with
/// `predictor_prefix` and target columns accepted by `is_target`.
fn load(file: &str, predictor_prefix: &str, is_target: impl Fn(&str) -> bool) -> Dataset {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets").join(file);
    let mut reader = csv::Reader::from_path(&path)
        .unwrap_or_else(|err| panic!("failed to open {}: {err}", path.display()));
    let headers = reader.headers().expect("failed to read the CSV header").clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let set_column = column("set").expect("missing `set` column");
    let predictors: Vec<usize> =
        (0..headers.len()).filter(|&i| headers[i].starts_with(predictor_prefix)).collect();
    let targets: Vec<usize> = (0..headers.len()).filter(|&i| is_target(&headers[i])).collect();

    let (mut train_x, mut train_y, mut test_x) = (Vec::new(), Vec::new(), Vec::new());
    let (mut n_train, mut n_test) = (0, 0);
    for record in reader.records() {
        let record = record.expect("failed to read a CSV record");
        let value = |i: usize| -> f64 {
            record[i].parse().unwrap_or_else(|_| panic!("{:?} is not a number", &record[i]))
        };
        if &record[set_column] == "train" {
            train_x.extend(predictors.iter().map(|&i| value(i)));
            train_y.extend(targets.iter().map(|&i| value(i)));
            n_train += 1;
        } else {
            test_x.extend(predictors.iter().map(|&i| value(i)));
            n_test += 1;
        }
    }
    Dataset {
        train_x: Array2::from_shape_vec((n_train, predictors.len()), train_x).unwrap(),
        train_y: Array2::from_shape_vec((n_train, targets.len()), train_y).unwrap(),
        test_x: Array2::from_shape_vec((n_test, predictors.len()), test_x).unwrap(),
    }
}

fn datasets() -> [(&'static str, Dataset); 2] {
    let lab =
        load("lab.csv", "inst1_", |name| name.starts_with("inst2_") || name.starts_with("inst3_"));
    assert_eq!(lab.train_x.dim(), (60, 700));
    assert_eq!(lab.train_y.dim(), (60, 1400));
    let tecator = load("tecator.csv", "x_", |name| matches!(name, "water" | "fat" | "protein"));
    assert_eq!(tecator.train_x.dim(), (172, 100));
    assert_eq!(tecator.train_y.dim(), (172, 3));
    [("lab", lab), ("tecator", tecator)]
}

fn bench_nn(c: &mut Criterion) {
    let model = DenseNet::new(DenseNetParams::default()).expect("default settings are valid");
    let datasets = datasets();

    let mut fit = c.benchmark_group("nn_fit");
    fit.sample_size(20).measurement_time(Duration::from_secs(10));
    for (name, data) in &datasets {
        fit.bench_function(*name, |b| {
            b.iter(|| model.fit(black_box(data.train_x.view()), data.train_y.view()).unwrap())
        });
    }
    fit.finish();

    let mut predict = c.benchmark_group("nn_predict");
    for (name, data) in &datasets {
        let fitted = model.fit(data.train_x.view(), data.train_y.view()).unwrap();
        predict.bench_function(*name, |b| {
            b.iter(|| fitted.predict(black_box(data.test_x.view())).unwrap())
        });
    }
    predict.finish();
}

criterion_group!(benches, bench_nn);
criterion_main!(benches);
