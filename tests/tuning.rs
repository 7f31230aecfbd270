//! The tuned baselines on tecator.csv's training rows: ridge-cv's leave-one-out shortcut
//! against refits, and every tuned model through the binary with its choice reported.

use std::path::Path;

use assert_cmd::Command;
use ndarray::{Array1, Array2, Axis};

use lunchbench::data::{self, LoadOptions, RoleSpec};
use lunchbench::models::pls::{Pls, PlsParams};
use lunchbench::models::ridge::{Ridge, RidgeParams};
use lunchbench::models::tuned::{PlsCv, PlsCvParams, RidgeCv, RidgeCvParams};
use lunchbench::models::{FittedRegressor, Regressor};
use lunchbench::split;

fn tecator_train() -> (Array2<f64>, Array2<f64>) {
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
    (dataset.x.select(Axis(0), &split.train), dataset.y.select(Axis(0), &split.train))
}

/// Returns the leave-one-out MSE per target of unstandardized `ridge`, refitted with its
/// own centering on each set of n − 1 rows.
fn brute_force_loo(x: &Array2<f64>, y: &Array2<f64>, alpha: f64) -> Array1<f64> {
    let model = Ridge::new(RidgeParams { alpha, standardize: false }).unwrap();
    let n = x.nrows();
    let mut sse = Array1::zeros(y.ncols());
    for i in 0..n {
        let keep: Vec<usize> = (0..n).filter(|&r| r != i).collect();
        let fitted =
            model.fit(x.select(Axis(0), &keep).view(), y.select(Axis(0), &keep).view()).unwrap();
        let prediction = fitted.predict(x.slice(ndarray::s![i..=i, ..])).unwrap();
        sse += &(&y.row(i) - &prediction.row(0)).mapv(|e| e * e);
    }
    sse / n as f64
}

/// On the real spectra the shortcut matches 172 refits per alpha to 1e-8 relative and
/// so chooses the same alpha. Without standardization the refits and the shortcut fit
/// the same model, because centering is the only step fitted on the rows.
#[test]
fn ridge_cv_matches_refits_on_tecator() {
    let (x, y) = tecator_train();
    let params = RidgeCvParams {
        alpha_min: 1e-4,
        alpha_max: 1e4,
        n_alphas: 9,
        standardize: false,
        per_target: false,
    };
    let model = RidgeCv::new(params).unwrap();
    let fitted = model.fit_ridge_cv(x.view(), y.view()).unwrap();
    let mut brute_mean = Vec::new();
    for (a, &alpha) in model.alphas().iter().enumerate() {
        let want = brute_force_loo(&x, &y, alpha);
        for t in 0..y.ncols() {
            let got = fitted.loo_mse()[[a, t]];
            assert!(
                (got - want[t]).abs() <= 1e-8 * want[t],
                "alpha {alpha}, target {t}: shortcut {got}, refits {}",
                want[t]
            );
        }
        brute_mean.push(want.mean().unwrap());
    }
    let best = (0..brute_mean.len()).min_by(|&i, &j| brute_mean[i].total_cmp(&brute_mean[j]));
    assert_eq!(fitted.chosen_alphas()[0], model.alphas()[best.unwrap()], "{brute_mean:?}");
}

/// pls-cv refits the plain PLS model with the chosen count, so its predictions equal
/// those of `pls` with that many components.
#[test]
fn pls_cv_refits_plain_pls() {
    let (x, y) = tecator_train();
    let fitted =
        PlsCv::new(PlsCvParams::default()).unwrap().fit_pls_cv(x.view(), y.view()).unwrap();
    let k = fitted.n_components();
    assert!((1..=20).contains(&k), "{k}");
    let errors = fitted.cv_mse();
    let lowest = errors.iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(errors[k - 1], lowest);
    let plain = Pls::new(PlsParams { n_components: k, scale: true }).unwrap();
    let want = plain.fit(x.view(), y.view()).unwrap().predict(x.view()).unwrap();
    assert_eq!(fitted.predict(x.view()).unwrap(), want);
}

fn results(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("reports/tecator/results.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn binary_reports_chosen_values() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy("datasets/tecator.csv", dir.path().join("tecator.csv")).unwrap();
    std::fs::copy("datasets/tecator.toml", dir.path().join("tecator.toml")).unwrap();
    let output = Command::cargo_bin("lunchbench")
        .unwrap()
        .args(["compare", "tecator.csv", "--models", "ridge-cv,pls-cv,elastic-net-cv"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    let results = results(dir.path());
    let models = results["models"].as_array().unwrap();
    let notes = |name: &str| {
        let model = models.iter().find(|m| m["name"] == name).unwrap();
        model["fit_notes"].as_object().unwrap().clone()
    };
    assert!(notes("ridge-cv").contains_key("alpha chosen"));
    assert!(notes("ridge-cv").contains_key("loo mean mse"));
    assert!(notes("pls-cv").contains_key("n_components chosen"));
    assert!(notes("elastic-net-cv").contains_key("alpha chosen"));
    assert!(notes("elastic-net-cv").contains_key("l1_ratio chosen"));
}

#[test]
fn tuned_settings_come_from_sidecar_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy("datasets/tecator.csv", dir.path().join("tecator.csv")).unwrap();
    let sidecar = std::fs::read_to_string("datasets/tecator.toml").unwrap()
        + "\n[pls-cv]\nmax_components = 4\nselection = \"one-se\"\n\n[ridge-cv]\nn_alphas = 5\n";
    std::fs::write(dir.path().join("tecator.toml"), sidecar).unwrap();
    let output = Command::cargo_bin("lunchbench")
        .unwrap()
        .args(["compare", "tecator.csv", "--models", "ridge-cv,pls-cv", "--inner-folds", "3"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    let report = std::fs::read_to_string(dir.path().join("reports/tecator/report.md")).unwrap();
    for fragment in
        ["max_components = 4", "selection = one-se", "folds = 3", "inner folds: 3", "5 log-spaced"]
    {
        assert!(report.contains(fragment), "{fragment} missing from the report");
    }
}

#[test]
fn invalid_tuned_settings_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy("datasets/tecator.csv", dir.path().join("tecator.csv")).unwrap();
    let cases: [(&str, &str); 3] = [
        ("[ridge-cv]\nalpha_min = -1.0\n", "ridge-cv setting alpha_min = -1"),
        ("[elastic-net-cv]\nl1_ratios = [0.0]\n", "elastic-net-cv setting l1_ratios = 0"),
        ("[pls-cv]\nfolds = 1\n", "pls-cv setting folds = 1"),
    ];
    for (section, fragment) in cases {
        let sidecar = std::fs::read_to_string("datasets/tecator.toml").unwrap() + "\n" + section;
        std::fs::write(dir.path().join("tecator.toml"), sidecar).unwrap();
        let output = Command::cargo_bin("lunchbench")
            .unwrap()
            .args(["compare", "tecator.csv", "--models", "ridge-cv,pls-cv,elastic-net-cv"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{section}: stderr {stderr}");
        assert!(stderr.contains(fragment), "{section}: {stderr}");
    }
}
