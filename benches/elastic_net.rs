//! Elastic-net fit times on the shipped data sets, with default settings.
//!
//! - `lab`: lab.csv training rows, 60 × 700 predictors (`inst1_*`) → 1,400 targets
//!   (`inst2_*`, `inst3_*`), in-house coordinate descent.
//! - `tecator`: tecator.csv training rows, 172 × 100 predictors → 3 targets.
//! - `lab_linfa_10_targets`: the first 10 lab targets with the linfa-elasticnet solver. All
//!   1,400 took 69 s in one run on a 2-core AMD EPYC, too long to repeat.
//! - `tecator_linfa`: tecator with the linfa-elasticnet solver.
//!
//! Run with `cargo bench --bench elastic_net`. Samples are few and short, so medians from a
//! machine that is busy with other work are only rough.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use lunchbench::models::elastic_net::{ElasticNet, ElasticNetParams, Solver};
use lunchbench::models::Regressor;
use ndarray::{s, Array2};

/// Reads the `set = train` rows of a data set, with predictors and targets chosen by
/// column name.
fn read_train_rows(
    file: &str,
    is_predictor: impl Fn(&str) -> bool,
    is_target: impl Fn(&str) -> bool,
) -> (Array2<f64>, Array2<f64>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets").join(file);
    let mut reader = csv::Reader::from_path(&path)
        .unwrap_or_else(|e| panic!("failed to open {}: {e}", path.display()));
    let headers = reader.headers().expect("header row").clone();
    let predictors: Vec<usize> =
        (0..headers.len()).filter(|&i| is_predictor(&headers[i])).collect();
    let targets: Vec<usize> = (0..headers.len()).filter(|&i| is_target(&headers[i])).collect();
    let set = headers.iter().position(|h| h == "set").expect("a `set` column");

    let (mut x, mut y, mut n_rows) = (Vec::new(), Vec::new(), 0);
    for record in reader.records() {
        let record = record.expect("valid CSV row");
        if &record[set] != "train" {
            continue;
        }
        let value = |i: usize| record[i].parse::<f64>().expect("numeric cell");
        x.extend(predictors.iter().map(|&i| value(i)));
        y.extend(targets.iter().map(|&i| value(i)));
        n_rows += 1;
    }
    (
        Array2::from_shape_vec((n_rows, predictors.len()), x).expect("rectangular predictors"),
        Array2::from_shape_vec((n_rows, targets.len()), y).expect("rectangular targets"),
    )
}

fn bench_elastic_net_fit(c: &mut Criterion) {
    let (lab_x, lab_y) = read_train_rows(
        "lab.csv",
        |name| name.starts_with("inst1_"),
        |name| name.starts_with("inst2_") || name.starts_with("inst3_"),
    );
    assert_eq!(lab_x.dim(), (60, 700));
    assert_eq!(lab_y.dim(), (60, 1400));
    let (tecator_x, tecator_y) = read_train_rows(
        "tecator.csv",
        |name| name.starts_with("x_"),
        |name| ["water", "fat", "protein"].contains(&name),
    );
    assert_eq!(tecator_x.dim(), (172, 100));
    assert_eq!(tecator_y.dim(), (172, 3));

    let ours = ElasticNet::new(ElasticNetParams::default()).expect("default settings are valid");
    let linfa = ElasticNet::new(ElasticNetParams { solver: Solver::Linfa, ..Default::default() })
        .expect("default settings are valid");
    let lab_y_10 = lab_y.slice(s![.., ..10]).to_owned();

    let mut group = c.benchmark_group("elastic_net_fit");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6));
    group.bench_function("lab", |b| {
        b.iter(|| ours.fit(black_box(lab_x.view()), black_box(lab_y.view())).expect("fit"))
    });
    group.bench_function("tecator", |b| {
        b.iter(|| ours.fit(black_box(tecator_x.view()), black_box(tecator_y.view())).expect("fit"))
    });
    // About one fit per sample, so criterion warns that 10 samples do not fit in the time.
    group.bench_function("lab_linfa_10_targets", |b| {
        b.iter(|| linfa.fit(black_box(lab_x.view()), black_box(lab_y_10.view())).expect("fit"))
    });
    group.bench_function("tecator_linfa", |b| {
        b.iter(|| linfa.fit(black_box(tecator_x.view()), black_box(tecator_y.view())).expect("fit"))
    });
    group.finish();
}

criterion_group!(benches, bench_elastic_net_fit);
criterion_main!(benches);
