//! Parity with scikit-learn 1.9.1 on tecator.csv's train/test split.
//!
//! `tests/fixtures/sklearn_tecator.json` contains scikit-learn's test-set predictions and
//! per-target RMSE, MAE and R² for each model; its `description` field states the
//! conventions (StandardScaler with ddof 0, PLSRegression with scale=True, ElasticNet per
//! target to tolerance 1e-10).

use std::path::Path;

use ndarray::{Array2, Axis};
use serde_json::Value;

use lunchbench::data::{self, LoadOptions, RoleSpec};
use lunchbench::metrics::score_targets;
use lunchbench::models::elastic_net::{ElasticNet, ElasticNetParams};
use lunchbench::models::mean::MeanPredictor;
use lunchbench::models::pls::{Pls, PlsParams};
use lunchbench::models::ridge::{Ridge, RidgeParams};
use lunchbench::models::Regressor;
use lunchbench::split;

fn fixture() -> Value {
    let text = std::fs::read_to_string("tests/fixtures/sklearn_tecator.json").unwrap();
    serde_json::from_str(&text).unwrap()
}

fn matrix(value: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(value.clone()).unwrap();
    let n_cols = rows[0].len();
    Array2::from_shape_vec((rows.len(), n_cols), rows.concat()).unwrap()
}

fn assert_close(what: &str, got: f64, want: f64, relative: f64) {
    let scale = want.abs().max(1e-12);
    assert!(
        (got - want).abs() <= relative * scale,
        "{what}: got {got}, scikit-learn {want}, relative tolerance {relative}"
    );
}

/// Fits `model` on tecator's training rows and checks predictions and metrics against
/// the fixture entry `key` at `relative` tolerance.
fn check_model(model: &dyn Regressor, key: &str, relative: f64) {
    let spec = RoleSpec {
        id: Some("sample".into()),
        split: Some("set".into()),
        predictors: vec!["x_*".into()],
        targets: vec!["water".into(), "fat".into(), "protein".into()],
        ignore: vec![],
    };
    let dataset =
        data::load(Path::new("datasets/tecator.csv"), &spec, &LoadOptions::default()).unwrap();
    let split = split::split(&dataset, 0.25, 0).unwrap();
    let x_train = dataset.x.select(Axis(0), &split.train);
    let y_train = dataset.y.select(Axis(0), &split.train);
    let x_test = dataset.x.select(Axis(0), &split.test);
    let y_test = dataset.y.select(Axis(0), &split.test);

    let predictions =
        model.fit(x_train.view(), y_train.view()).unwrap().predict(x_test.view()).unwrap();
    let expected = &fixture()["models"][key];
    let want = matrix(&expected["test_predictions"]);
    assert_eq!(predictions.dim(), want.dim());
    for ((i, j), &w) in want.indexed_iter() {
        assert_close(
            &format!("{key} prediction row {i} target {j}"),
            predictions[[i, j]],
            w,
            relative,
        );
    }

    let scores = score_targets(y_test.view(), predictions.view());
    for (j, s) in scores.iter().enumerate() {
        assert_close(
            &format!("{key} rmse target {j}"),
            s.rmse,
            expected["rmse"][j].as_f64().unwrap(),
            relative,
        );
        assert_close(
            &format!("{key} mae target {j}"),
            s.mae,
            expected["mae"][j].as_f64().unwrap(),
            relative,
        );
        assert_close(
            &format!("{key} r2 target {j}"),
            s.r2,
            expected["r2"][j].as_f64().unwrap(),
            relative,
        );
    }
}

#[test]
fn mean_predictor_matches_scikit_learn() {
    check_model(&MeanPredictor, "mean", 1e-6);
}

#[test]
fn ridge_matches_scikit_learn() {
    let ridge = Ridge::new(RidgeParams { alpha: 1.0, standardize: true }).unwrap();
    check_model(&ridge, "ridge_alpha1_standardized", 1e-6);
}

#[test]
fn pls_matches_scikit_learn() {
    let pls = Pls::new(PlsParams { n_components: 5, scale: true }).unwrap();
    check_model(&pls, "pls_5_components_scaled", 1e-6);
}

/// PLS on principal-component scores. Their columns are uncorrelated, so 3 components
/// reach the least-squares fit on the 3 targets and leave a predictor residual whose
/// covariance with the target residual is rounding noise. lunchbench stops there and
/// notes it. scikit-learn extracts the fourth and fifth components from the noise (its
/// power method stops at 500 iterations on the fifth), with y-loadings of about 1e-14,
/// so the predictions agree all the same.
#[test]
fn pls_on_pca_scores_matches_scikit_learn() {
    let text = std::fs::read_to_string("tests/fixtures/sklearn_pca_scores.json").unwrap();
    let fixture: Value = serde_json::from_str(&text).unwrap();
    let x_train = matrix(&fixture["x_train"]);
    let y_train = matrix(&fixture["y_train"]);
    let x_test = matrix(&fixture["x_test"]);
    let cases = [("pls_2_components_scaled", 2, vec![]), ("pls_5_components_scaled", 5, vec!["3"])];
    for (key, n_components, used) in cases {
        let expected = &fixture["models"][key];
        assert_eq!(expected["n_components"], n_components, "{key}");
        let pls = Pls::new(PlsParams { n_components, scale: true }).unwrap();
        let fitted = pls.fit(x_train.view(), y_train.view()).unwrap();
        let notes: Vec<(String, String)> =
            used.iter().map(|n| ("n_components used".to_string(), n.to_string())).collect();
        assert_eq!(fitted.fit_notes(), notes, "{key}");

        let predictions = fitted.predict(x_test.view()).unwrap();
        let want = matrix(&expected["test_predictions"]);
        assert_eq!(predictions.dim(), want.dim());
        for ((i, j), &w) in want.indexed_iter() {
            let label = format!("{key} prediction row {i} target {j}");
            assert_close(&label, predictions[[i, j]], w, 1e-6);
        }
    }
}

#[test]
fn elastic_net_matches_scikit_learn() {
    let params = ElasticNetParams {
        alpha: 0.05,
        l1_ratio: 0.5,
        tolerance: 1e-10,
        max_iterations: 100_000,
        ..Default::default()
    };
    check_model(
        &ElasticNet::new(params).unwrap(),
        "elasticnet_alpha0.05_l1ratio0.5_standardized",
        1e-4,
    );
}
