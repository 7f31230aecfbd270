//! Elastic-net parity on tecator.csv with scikit-learn 1.9.1 and with linfa-elasticnet.
//!
//! The reference values in `fixtures/sklearn_tecator.json` come from scikit-learn's
//! `ElasticNet(alpha=0.05, l1_ratio=0.5, tol=1e-10)` fitted per target on the training rows
//! after a `StandardScaler` (population standard deviation), as its `description` states.

use std::path::Path;

use lunchbench::models::elastic_net::{ElasticNet, ElasticNetParams, FittedElasticNet, Solver};
use lunchbench::models::FittedRegressor;
use ndarray::{Array1, Array2, ArrayView1, Axis};

const FIXTURE_MODEL: &str = "elasticnet_alpha0.05_l1ratio0.5_standardized";
const TARGETS: [&str; 3] = ["water", "fat", "protein"];
const ALPHA: f64 = 0.05;
const L1_RATIO: f64 = 0.5;
/// The fixture's tolerance, so that both fits stop at the same precision.
const TOLERANCE: f64 = 1e-10;

struct Split {
    x_train: Array2<f64>,
    y_train: Array2<f64>,
    x_test: Array2<f64>,
    y_test: Array2<f64>,
}

/// Reads tecator.csv into the rows its `set` column marks as train and test.
fn read_tecator() -> Split {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/tecator.csv");
    let mut reader = csv::Reader::from_path(&path).expect("datasets/tecator.csv is readable");
    let headers = reader.headers().expect("tecator.csv has a header row").clone();
    let position = |name: &str| {
        headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"))
    };
    let set_column = position("set");
    let predictor_columns: Vec<usize> = (1..=100).map(|i| position(&format!("x_{i:03}"))).collect();
    let target_columns: Vec<usize> = TARGETS.iter().map(|name| position(name)).collect();

    let mut train = (Vec::new(), Vec::new(), 0);
    let mut test = (Vec::new(), Vec::new(), 0);
    for record in reader.records() {
        let record = record.expect("tecator.csv rows parse");
        let rows = match &record[set_column] {
            "train" => &mut train,
            "test" => &mut test,
            other => panic!("unexpected set {other}"),
        };
        let value = |i: usize| record[i].parse::<f64>().expect("numeric cell");
        rows.0.extend(predictor_columns.iter().map(|&i| value(i)));
        rows.1.extend(target_columns.iter().map(|&i| value(i)));
        rows.2 += 1;
    }
    let matrix = |values: Vec<f64>, n_rows: usize, n_columns: usize| {
        Array2::from_shape_vec((n_rows, n_columns), values).expect("rectangular data")
    };
    Split {
        x_train: matrix(train.0, train.2, 100),
        y_train: matrix(train.1, train.2, 3),
        x_test: matrix(test.0, test.2, 100),
        y_test: matrix(test.1, test.2, 3),
    }
}

struct Reference {
    test_predictions: Array2<f64>,
    rmse: Vec<f64>,
    mae: Vec<f64>,
    r2: Vec<f64>,
}

fn read_reference() -> Reference {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sklearn_tecator.json");
    let text = std::fs::read_to_string(path).expect("fixture is readable");
    let json: serde_json::Value = serde_json::from_str(&text).expect("fixture is JSON");
    let model = &json["models"][FIXTURE_MODEL];
    let numbers = |value: &serde_json::Value| -> Vec<f64> {
        value.as_array().expect("array").iter().map(|v| v.as_f64().expect("number")).collect()
    };
    let rows: Vec<Vec<f64>> = model["test_predictions"]
        .as_array()
        .expect("prediction rows")
        .iter()
        .map(numbers)
        .collect();
    let n_rows = rows.len();
    let flat: Vec<f64> = rows.into_iter().flatten().collect();
    Reference {
        test_predictions: Array2::from_shape_vec((n_rows, 3), flat).expect("43 × 3 predictions"),
        rmse: numbers(&model["rmse"]),
        mae: numbers(&model["mae"]),
        r2: numbers(&model["r2"]),
    }
}

fn fit(split: &Split, solver: Solver, max_iterations: u32) -> FittedElasticNet {
    let params = ElasticNetParams {
        alpha: ALPHA,
        l1_ratio: L1_RATIO,
        standardize: true,
        tolerance: TOLERANCE,
        max_iterations,
        solver,
    };
    let model = ElasticNet::new(params).expect("valid settings");
    model.fit_elastic_net(split.x_train.view(), split.y_train.view()).expect("fit succeeds")
}

fn relative_error(got: f64, expected: f64) -> f64 {
    (got - expected).abs() / expected.abs()
}

fn rmse(truth: ArrayView1<f64>, prediction: ArrayView1<f64>) -> f64 {
    (&truth - &prediction).mapv(|e| e * e).mean().expect("rows").sqrt()
}

fn mae(truth: ArrayView1<f64>, prediction: ArrayView1<f64>) -> f64 {
    (&truth - &prediction).mapv(f64::abs).mean().expect("rows")
}

/// R² = 1 − SS_res/SS_tot, with SS_tot taken around the mean of `truth`.
fn r2(truth: ArrayView1<f64>, prediction: ArrayView1<f64>) -> f64 {
    let mean = truth.mean().expect("rows");
    let ss_res: f64 = (&truth - &prediction).mapv(|e| e * e).sum();
    let ss_tot: f64 = truth.mapv(|v| (v - mean) * (v - mean)).sum();
    1.0 - ss_res / ss_tot
}

/// Computes the objective 1/(2n)‖y − ŷ‖² + αρ‖w‖₁ + α(1 − ρ)/2·‖w‖² of each target on the
/// training rows, with w the coefficients on the standardized predictors.
fn objectives(split: &Split, fitted: &FittedElasticNet) -> Vec<f64> {
    let n = split.x_train.nrows() as f64;
    let scale = split.x_train.std_axis(Axis(0), 0.0);
    let residual = &split.y_train - &fitted.predict(split.x_train.view()).expect("predict");
    (0..TARGETS.len())
        .map(|j| {
            let w: Array1<f64> = &fitted.coef().column(j) * &scale;
            let loss = residual.column(j).mapv(|e| e * e).sum() / (2.0 * n);
            let l1 = w.mapv(f64::abs).sum();
            let l2 = w.dot(&w);
            loss + ALPHA * L1_RATIO * l1 + 0.5 * ALPHA * (1.0 - L1_RATIO) * l2
        })
        .collect()
}

#[test]
fn test_predictions_match_scikit_learn() {
    let split = read_tecator();
    let reference = read_reference();
    let fitted = fit(&split, Solver::CoordinateDescent, 1000);
    assert!(fitted.converged().iter().all(|&c| c), "gaps {:?}", fitted.duality_gaps());

    let predictions = fitted.predict(split.x_test.view()).expect("predict");
    assert_eq!(predictions.dim(), reference.test_predictions.dim());
    for ((row, j), &expected) in reference.test_predictions.indexed_iter() {
        let got = predictions[[row, j]];
        let error = relative_error(got, expected);
        assert!(error <= 1e-4, "{} row {row}: {got} vs {expected} ({error:e})", TARGETS[j]);
    }
}

#[test]
fn test_metrics_match_scikit_learn() {
    let split = read_tecator();
    let reference = read_reference();
    let fitted = fit(&split, Solver::CoordinateDescent, 1000);
    let predictions = fitted.predict(split.x_test.view()).expect("predict");

    for (j, target) in TARGETS.iter().enumerate() {
        let truth = split.y_test.column(j);
        let prediction = predictions.column(j);
        let metrics = [
            ("rmse", rmse(truth, prediction), reference.rmse[j]),
            ("mae", mae(truth, prediction), reference.mae[j]),
            ("r2", r2(truth, prediction), reference.r2[j]),
        ];
        for (name, got, expected) in metrics {
            let error = relative_error(got, expected);
            assert!(error <= 1e-4, "{target} {name}: {got} vs {expected} ({error:e})");
        }
    }
}

/// Both solvers stop at a duality gap of at most 1e-10·‖y‖², so their objectives may
/// differ by about that much. linfa-elasticnet needs 18,000 to 30,000 sweeps per target here.
#[test]
fn objective_matches_linfa() {
    let split = read_tecator();
    let ours = fit(&split, Solver::CoordinateDescent, 1000);
    let linfa = fit(&split, Solver::Linfa, 200_000);
    assert!(ours.converged().iter().all(|&c| c), "gaps {:?}", ours.duality_gaps());
    assert!(linfa.converged().iter().all(|&c| c), "gaps {:?}", linfa.duality_gaps());

    let ours_objective = objectives(&split, &ours);
    let linfa_objective = objectives(&split, &linfa);
    for (j, target) in TARGETS.iter().enumerate() {
        let error = relative_error(ours_objective[j], linfa_objective[j]);
        assert!(
            error <= 1e-6,
            "{target}: objective {} vs linfa {} ({error:e})",
            ours_objective[j],
            linfa_objective[j]
        );
    }
}
