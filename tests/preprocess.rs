//! Preprocessing pipelines on tecator.csv: no fitted step uses a test row, through the
//! library and through the binary, and the sidecar and flags build the pipelines.

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;
use ndarray::{Array2, Axis};

use lunchbench::data::{self, Dataset, LoadOptions, RoleSpec};
use lunchbench::models::preprocess::{FittedStep, Pipeline, StepList};
use lunchbench::models::ridge::{Ridge, RidgeParams};
use lunchbench::models::scaling::Standardizer;
use lunchbench::models::FittedRegressor;
use lunchbench::split::{self, Split};

const ALL_STEPS: &str = "standardize,snv,sg1:7:2,pca:6";

fn tecator() -> (Dataset, Split) {
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
    (dataset, split)
}

fn pipeline(steps: &str) -> Pipeline {
    let steps = steps.parse::<StepList>().unwrap().0;
    Pipeline::new(steps, Box::new(Ridge::new(RidgeParams::default()).unwrap())).unwrap()
}

/// Returns `x` with the rows in `rows` replaced by a rescaled, shifted copy.
fn perturb_rows(x: &Array2<f64>, rows: &[usize]) -> Array2<f64> {
    let mut changed = x.clone();
    for &row in rows {
        changed.row_mut(row).mapv_inplace(|v| 3.0 * v + 0.7);
    }
    changed
}

/// Changing every test row leaves the fitted pipeline unchanged: its predictions on the
/// original test rows are bit for bit the same.
#[test]
fn test_rows_do_not_change_the_fit() {
    let (dataset, split) = tecator();
    let changed = perturb_rows(&dataset.x, &split.test);
    let probe = dataset.x.select(Axis(0), &split.test);
    let y_train = dataset.y.select(Axis(0), &split.train);
    let model = pipeline(ALL_STEPS);

    let original =
        model.fit_pipeline(dataset.x.select(Axis(0), &split.train).view(), y_train.view());
    let refitted = model.fit_pipeline(changed.select(Axis(0), &split.train).view(), y_train.view());
    let (original, refitted) = (original.unwrap(), refitted.unwrap());

    assert_eq!(original.steps(), refitted.steps());
    assert_eq!(original.predict(probe.view()).unwrap(), refitted.predict(probe.view()).unwrap());
}

/// The fitted standardization and principal components hold the training rows' statistics
/// exactly, and fitting on all rows instead would give different ones.
#[test]
fn fitted_steps_use_training_rows_only() {
    let (dataset, split) = tecator();
    let x_train = dataset.x.select(Axis(0), &split.train);
    let y_train = dataset.y.select(Axis(0), &split.train);
    let fitted =
        pipeline("standardize,pca:4").fit_pipeline(x_train.view(), y_train.view()).unwrap();

    let FittedStep::Standardize(scaler) = &fitted.steps()[0] else { panic!("not standardize") };
    let train_scaler = Standardizer::fit(x_train.view(), 0.0);
    assert_eq!(scaler, &train_scaler);
    let all_rows_scaler = Standardizer::fit(dataset.x.view(), 0.0);
    assert_ne!(scaler.mean, all_rows_scaler.mean);

    let FittedStep::Pca(pca) = &fitted.steps()[1] else { panic!("not pca") };
    let standardized = train_scaler.transform(x_train.view());
    let train_mean = standardized.mean_axis(Axis(0)).unwrap();
    assert_eq!(pca.mean, train_mean);
    // Scores of the training rows are centered on those rows.
    let train_scores = pca.transform(standardized.view());
    let largest = train_scores.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for mean in train_scores.mean_axis(Axis(0)).unwrap() {
        assert!(mean.abs() < 1e-12 * largest, "training score mean {mean}");
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn lunchbench(args: &[&str], cwd: &Path) -> Run {
    let output =
        Command::cargo_bin("lunchbench").unwrap().args(args).current_dir(cwd).output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Reads a predictions file into id → the row's text.
fn predictions(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let (id, values) = line.split_once(',').unwrap();
            (id.to_string(), values.to_string())
        })
        .collect()
}

/// Copies tecator.csv and its sidecar into a fresh folder, with the predictors of the
/// test rows in `changed_lines` (1-based file lines) rescaled.
fn write_tecator(dir: &Path, changed_lines: &[usize]) {
    let text = std::fs::read_to_string("datasets/tecator.csv").unwrap();
    let mut out = String::new();
    for (index, line) in text.lines().enumerate() {
        if changed_lines.contains(&(index + 1)) {
            let fields: Vec<String> = line
                .split(',')
                .enumerate()
                .map(|(column, field)| match field.parse::<f64>() {
                    Ok(v) if (2..102).contains(&column) => (3.0 * v + 0.7).to_string(),
                    _ => field.to_string(),
                })
                .collect();
            assert_eq!(fields[1], "test", "line {} is not a test row", index + 1);
            out.push_str(&fields.join(","));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    std::fs::write(dir.join("tecator.csv"), out).unwrap();
    std::fs::copy("datasets/tecator.toml", dir.join("tecator.toml")).unwrap();
}

/// Through the runner: rescaling the predictors of some test rows changes the predictions
/// of those rows only, for pipelines and tuned models alike.
#[test]
fn binary_keeps_test_rows_apart() {
    let original = tempfile::tempdir().unwrap();
    let changed = tempfile::tempdir().unwrap();
    write_tecator(original.path(), &[]);
    // Lines 2 to 173 are the 172 training rows, then the test rows meat173 to meat215.
    let changed_lines: Vec<usize> = (200..=216).collect();
    write_tecator(changed.path(), &changed_lines);

    let models = "ridge,ridge-cv,elastic-net-cv,pls-cv";
    let args = ["compare", "tecator.csv", "--preprocess", ALL_STEPS, "--models", models];
    for dir in [&original, &changed] {
        let run = lunchbench(&args, dir.path());
        assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    }
    let names = [
        "standardize+snv+sg1-7-2+pca-6+ridge",
        "standardize+snv+sg1-7-2+pca-6+ridge-cv",
        "standardize+snv+sg1-7-2+pca-6+elastic-net-cv",
        "standardize+snv+sg1-7-2+pca-6+pls-cv",
    ];
    for model in names {
        let file = format!("reports/tecator/predictions/{model}.csv");
        let before = predictions(&original.path().join(&file));
        let after = predictions(&changed.path().join(&file));
        assert_eq!(before.len(), 43, "{model}");
        for (id, row) in &before {
            let number: usize = id.trim_start_matches("meat").parse().unwrap();
            if number + 1 < 200 {
                assert_eq!(row, &after[id], "{model}: unchanged row {id} got a new prediction");
            } else {
                assert_ne!(row, &after[id], "{model}: rescaled row {id} kept its prediction");
            }
        }
    }
}

#[test]
fn leaderboard_names_list_the_steps() {
    let dir = tempfile::tempdir().unwrap();
    write_tecator(dir.path(), &[]);
    let run = lunchbench(
        &["compare", "tecator.csv", "--models", "pls,snv+sg2:15:2+pls", "--preprocess", "none"],
        dir.path(),
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert!(run.stdout.contains("│ snv+sg2-15-2+pls "), "{}", run.stdout);
    assert!(run.stdout.contains("│ pls "), "{}", run.stdout);
    let report = std::fs::read_to_string(dir.path().join("reports/tecator/report.md")).unwrap();
    assert!(report.contains("preprocess = snv, sg2:15:2"), "{report}");
}

#[test]
fn sidecar_section_applies_per_model() {
    let dir = tempfile::tempdir().unwrap();
    write_tecator(dir.path(), &[]);
    let sidecar = std::fs::read_to_string(dir.path().join("tecator.toml")).unwrap();
    let section = "\n[preprocess]\nall = [\"snv\"]\npls = [{ step = \"sg\", window = 9, order = 3, derivative = 2 }]\nmean = []\n";
    std::fs::write(dir.path().join("tecator.toml"), sidecar + section).unwrap();
    let run = lunchbench(&["compare", "tecator.csv", "--models", "mean,ridge,pls"], dir.path());
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    for name in ["│ mean ", "│ snv+ridge ", "│ sg2-9-3+pls "] {
        assert!(run.stdout.contains(name), "{name} missing: {}", run.stdout);
    }
}

#[test]
fn invalid_steps_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    write_tecator(dir.path(), &[]);
    let cases: [(&[&str], &str); 4] = [
        (&["--preprocess", "sg1:12"], "sg window = 12"),
        (&["--preprocess", "pca:3,snv"], "snv after pca:3"),
        (&["--models", "wavelet+pls"], "\"wavelet\""),
        (&["--preprocess", "sg0:201"], "longer than the 100 predictors"),
    ];
    for (extra, fragment) in cases {
        let mut args = vec!["compare", "tecator.csv", "--models", "ridge"];
        args.extend_from_slice(extra);
        let run = lunchbench(&args, dir.path());
        assert_eq!(run.code, 2, "{extra:?}: stderr {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{extra:?}: {}", run.stderr);
        assert!(run.stderr.contains(fragment), "{extra:?}: {}", run.stderr);
    }
}

#[test]
fn unknown_sidecar_model_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    write_tecator(dir.path(), &[]);
    let sidecar = std::fs::read_to_string(dir.path().join("tecator.toml")).unwrap();
    std::fs::write(dir.path().join("tecator.toml"), sidecar + "\n[preprocess]\nplss = [\"snv\"]\n")
        .unwrap();
    let run = lunchbench(&["compare", "tecator.csv"], dir.path());
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert!(run.stderr.contains("invalid [preprocess] key \"plss\""), "{}", run.stderr);
}

#[test]
fn help_documents_the_steps() {
    let dir = tempfile::tempdir().unwrap();
    let run = lunchbench(&["compare", "--help"], dir.path());
    assert_eq!(run.code, 0);
    for fragment in ["--preprocess <STEPS>", "sg0, sg1, sg2", ":WINDOW:ORDER", "pca"] {
        assert!(run.stdout.contains(fragment), "{fragment} missing: {}", run.stdout);
    }
}

/// Small and degenerate training sets (one row, one predictor, constant columns) give an
/// error or a fit with finite predictions, never a panic, for every step and tuned model.
#[test]
fn tiny_inputs_fail_cleanly() {
    use lunchbench::models::tuned::{
        ElasticNetCv, ElasticNetCvParams, PlsCv, PlsCvParams, RidgeCv, RidgeCvParams,
    };
    use lunchbench::models::Regressor;

    let models: Vec<Box<dyn Fn() -> Box<dyn Regressor>>> = vec![
        Box::new(|| Box::new(Ridge::new(RidgeParams::default()).unwrap())),
        Box::new(|| Box::new(RidgeCv::new(RidgeCvParams::default()).unwrap())),
        Box::new(|| Box::new(PlsCv::new(PlsCvParams::default()).unwrap())),
        Box::new(|| Box::new(ElasticNetCv::new(ElasticNetCvParams::default()).unwrap())),
    ];
    let mut n_fitted = 0;
    for n in 1..6 {
        for p in [1, 2, 5, 9] {
            for constant in [false, true] {
                let x = Array2::from_shape_fn((n, p), |(i, j)| {
                    if constant {
                        1.5
                    } else {
                        ((i * 7 + j * j * 3) % 5) as f64
                    }
                });
                let y = Array2::from_shape_fn((n, 2), |(i, t)| (i + t) as f64);
                for steps in
                    ["standardize", "snv", "sg0:3:1", "sg2:5:2", "pca:3", "snv,sg1:3:1,pca:2"]
                {
                    for make in &models {
                        let steps_list = steps.parse::<StepList>().unwrap().0;
                        let model = Pipeline::new(steps_list, make()).unwrap();
                        if let Ok(fitted) = model.fit(x.view(), y.view()) {
                            if let Ok(predicted) = fitted.predict(x.view()) {
                                n_fitted += 1;
                                assert!(
                                    predicted.iter().all(|v| v.is_finite()),
                                    "{} on {n} × {p} (constant {constant})",
                                    model.name()
                                );
                            }
                        }
                    }
                }
            }
        }
    }
    // Over 300 of the 960 combinations fit, so the checks above are not vacuous.
    assert!(n_fitted > 300, "{n_fitted} fits");
}
