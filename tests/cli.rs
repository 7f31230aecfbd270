//! The real binary on small files built for each case and on the shipped data sets.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

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

/// Runs `compare` on `contents` written to `data.csv` in a fresh folder and expects one
/// error line that contains every string in `expected`.
fn expect_error(contents: &[u8], extra: &[&str], expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data.csv"), contents).unwrap();
    let mut args = vec!["compare", "data.csv"];
    args.extend_from_slice(extra);
    let run = lunchbench(&args, dir.path());
    assert_eq!(run.code, 2, "exit code; stderr: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "panic: {}", run.stderr);
    let errors: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "expected one error line, got: {}", run.stderr);
    for want in expected {
        assert!(errors[0].contains(want), "error {:?} does not contain {want:?}", errors[0]);
    }
    assert!(!dir.path().join("reports").exists(), "a failed run wrote a report");
}

/// Returns a small linear data set as CSV text: `n` rows, predictors x1..x3, target y.
fn linear_csv(n: usize) -> String {
    let mut text = String::from("id,x1,x2,x3,y\n");
    for i in 0..n {
        let (a, b, c) = (i as f64 * 0.37 % 1.0, (i * i) as f64 * 0.11 % 1.0, (i as f64).sin());
        let y = 2.0 * a - b + 0.5 * c + 0.01 * (i as f64 * 1.7).cos();
        text.push_str(&format!("r{i},{a},{b},{c},{y}\n"));
    }
    text
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let run = lunchbench(&["compare", "nope.csv", "--targets", "y"], dir.path());
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("nope.csv: cannot read file"), "{}", run.stderr);
}

#[test]
fn empty_file() {
    expect_error(b"", &["--targets", "y"], &["data.csv", "file is empty"]);
}

#[test]
fn header_only() {
    expect_error(b"x1,x2,y\n", &["--targets", "y"], &["data.csv", "no data rows"]);
}

#[test]
fn row_with_too_many_fields() {
    expect_error(
        b"x1,y\n1,2\n3,4,5\n6,7\n",
        &["--targets", "y"],
        &["line 3 has 3 fields but the header has 2"],
    );
}

#[test]
fn row_with_too_few_fields() {
    expect_error(
        b"x1,x2,y\n1,2,3\n4,5,6\n7,8\n",
        &["--targets", "y"],
        &["line 4 has 2 fields but the header has 3"],
    );
}

/// Replaces field `column` of line `line` (1-based, the header is line 1) in CSV text.
fn set_cell(text: &str, line: usize, column: usize, value: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut fields: Vec<String> = lines[line - 1].split(',').map(String::from).collect();
    fields[column] = value.into();
    lines[line - 1] = fields.join(",");
    lines.join("\n") + "\n"
}

#[test]
fn non_numeric_cell() {
    let text = set_cell(&linear_csv(10), 7, 1, "1.2.3");
    expect_error(
        text.as_bytes(),
        &["--targets", "y", "--id", "id"],
        &["line 7", "\"x1\"", "\"1.2.3\"", "not a number"],
    );
}

#[test]
fn empty_and_nan_cells_are_rejected() {
    let text = b"x1,x2,y\n1,2,3\n4,,6\n7,8,NaN\n1,1,1\n2,2,2\n";
    expect_error(
        text,
        &["--targets", "y"],
        &["2 empty or NaN cells", "line 3 column \"x2\"", "line 4 column \"y\"", "--drop-missing"],
    );
}

#[test]
fn drop_missing_drops_and_reports_rows() {
    let dir = tempfile::tempdir().unwrap();
    let text = set_cell(&linear_csv(20), 5, 2, "");
    std::fs::write(dir.path().join("data.csv"), text).unwrap();
    let run = lunchbench(
        &["compare", "data.csv", "--targets", "y", "--id", "id", "--drop-missing"],
        dir.path(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = std::fs::read_to_string(dir.path().join("reports/data/report.md")).unwrap();
    assert!(report.contains("20 in the file, 19 used"), "{report}");
    assert!(report.contains("line 5 (r3)"), "{report}");
}

#[test]
fn infinite_value() {
    expect_error(
        b"x1,y\n1,2\ninf,3\n3,4\n5,6\n",
        &["--targets", "y"],
        &["line 3", "\"x1\"", "\"inf\"", "infinite"],
    );
}

#[test]
fn duplicate_column_names() {
    expect_error(
        b"x1,x1,y\n1,2,3\n",
        &["--targets", "y"],
        &["duplicate column name \"x1\"", "columns 1 and 2"],
    );
}

#[test]
fn target_that_matches_nothing_suggests_names() {
    expect_error(
        b"x1,protein\n1,2\n3,4\n",
        &["--targets", "protien"],
        &["\"protien\" matches no column", "did you mean \"protein\""],
    );
}

#[test]
fn predictor_glob_that_matches_nothing() {
    expect_error(
        b"x1,y\n1,2\n3,4\n",
        &["--targets", "y", "--predictors", "inst1_*"],
        &["predictor column pattern \"inst1_*\" matches no column"],
    );
}

#[test]
fn no_predictors_left() {
    expect_error(
        b"x1,y\n1,2\n3,4\n",
        &["--targets", "y", "--ignore", "x1"],
        &["no predictor columns left"],
    );
}

#[test]
fn no_targets_named() {
    expect_error(b"x1,y\n1,2\n3,4\n", &[], &["no target columns named", "--targets"]);
}

#[test]
fn bad_split_value() {
    expect_error(
        b"set,x1,y\ntrain,1,2\nvalid,3,4\n",
        &["--targets", "y"],
        &["line 3", "\"set\"", "\"valid\"", "train or test"],
    );
}

#[test]
fn split_too_small() {
    expect_error(
        linear_csv(6).as_bytes(),
        &["--targets", "y", "--id", "id", "--test-fraction", "0.1"],
        &["5 training and 1 test rows", "at least 2"],
    );
}

#[test]
fn unknown_model() {
    expect_error(
        linear_csv(10).as_bytes(),
        &["--targets", "y", "--models", "ridge,forest"],
        &["unknown model \"forest\""],
    );
}

#[test]
fn invalid_setting_names_value_and_range() {
    expect_error(
        linear_csv(10).as_bytes(),
        &["--targets", "y", "--ridge-alpha", "-2"],
        &["ridge", "alpha", "-2", ">= 0"],
    );
}

#[test]
fn bom_crlf_and_semicolons_just_work() {
    let dir = tempfile::tempdir().unwrap();
    let text = linear_csv(24).replace(',', ";").replace('\n', "\r\n");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(text.as_bytes());
    std::fs::write(dir.path().join("data.csv"), bytes).unwrap();
    let run = lunchbench(
        &["compare", "data.csv", "--targets", "y", "--id", "id", "--delimiter", ";"],
        dir.path(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("18 training rows, 6 test rows, 3 predictors, 1 target\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn tab_delimiter() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data.csv"), linear_csv(12).replace(',', "\t")).unwrap();
    let run = lunchbench(
        &["compare", "data.csv", "--targets", "y", "--id", "id", "--delimiter", "tab"],
        dir.path(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn constant_predictor_and_target_stay_finite() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("x1,flat,y,level\n");
    for i in 0..16 {
        text.push_str(&format!("{},{},{},7\n", i as f64 / 3.0, 0.25, (i as f64 * 0.9).sin()));
    }
    std::fs::write(dir.path().join("data.csv"), text).unwrap();
    let run = lunchbench(&["compare", "data.csv", "--targets", "y,level"], dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let predictions = dir.path().join("reports/data/predictions");
    for entry in std::fs::read_dir(&predictions).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.to_lowercase().contains("nan"), "NaN in predictions: {text}");
    }
    let report = std::fs::read_to_string(dir.path().join("reports/data/report.md")).unwrap();
    assert!(report.contains("R² undefined: target constant on the test rows"), "{report}");
    assert!(report.contains("R² leaves out 1 target constant"), "{report}");
}

#[test]
fn failed_run_keeps_previous_report() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data.csv"), linear_csv(20)).unwrap();
    let first = lunchbench(&["compare", "data.csv", "--targets", "y", "--id", "id"], dir.path());
    assert_eq!(first.code, 0, "{}", first.stderr);
    let report = dir.path().join("reports/data/report.md");
    let before = std::fs::read_to_string(&report).unwrap();
    std::fs::write(dir.path().join("data.csv"), "id,x1,y\nr1,1,2\nr2,oops,3\n").unwrap();
    let second = lunchbench(&["compare", "data.csv", "--targets", "y", "--id", "id"], dir.path());
    assert_eq!(second.code, 2);
    assert_eq!(std::fs::read_to_string(&report).unwrap(), before);
}

/// `--out` naming the folder that contains the data must not replace it.
#[test]
fn out_folder_with_other_files_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let csv = linear_csv(20);
    std::fs::write(dir.path().join("data.csv"), &csv).unwrap();
    let run = lunchbench(
        &["compare", "data.csv", "--targets", "y", "--models", "mean", "--out", "."],
        dir.path(),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("not a folder name"), "{}", run.stderr);

    let out = dir.path().to_str().unwrap();
    let run = lunchbench(
        &["compare", "data.csv", "--targets", "y", "--models", "mean", "--out", out],
        dir.path(),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("it contains data.csv"), "{}", run.stderr);
    assert!(run.stderr.contains("new or empty folder"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(dir.path().join("data.csv")).unwrap(), csv);
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(entries.len(), 1, "a failed run left files behind");
}

#[test]
fn resampling_settings_are_checked() {
    let csv = linear_csv(20);
    let targets = ["--targets", "y", "--models", "mean"];
    let with = |extra: &[&'static str]| [&targets[..], extra].concat();
    expect_error(csv.as_bytes(), &with(&["--repeats", "3"]), &["needs --cv K"]);
    expect_error(
        csv.as_bytes(),
        &with(&["--cv", "2", "--repeats", "18446744073709551615"]),
        &["invalid --repeats 18446744073709551615", "at most 1000"],
    );
    expect_error(
        csv.as_bytes(),
        &with(&["--cv", "2", "--threads", "100000"]),
        &["invalid --threads 100000", "1 to 1024"],
    );
}

/// Most folds of this target are constant on their test rows, so their R² is undefined,
/// and the report must explain why the table shows NaN.
#[test]
fn cv_table_explains_undefined_r2() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("x1,x2,y\n");
    for i in 0..40 {
        let y = if i < 2 { 2.0 } else { 1.0 };
        text.push_str(&format!("{},{},{y}\n", i as f64 * 0.1, (i as f64).sin()));
    }
    std::fs::write(dir.path().join("data.csv"), text).unwrap();
    let args = ["compare", "data.csv", "--targets", "y", "--models", "mean,ridge", "--cv", "5"];
    let run = lunchbench(&args, dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = std::fs::read_to_string(dir.path().join("reports/data/report.md")).unwrap();
    assert!(report.contains("NaN ± NaN"), "{report}");
    assert!(report.contains("R² is undefined there"), "{report}");
}

/// A bad second file must fail before the first file's report is rewritten, so the
/// reports and the summary of the earlier run stay consistent.
#[test]
fn multi_file_error_comes_before_fitting() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("one.csv"), linear_csv(20)).unwrap();
    std::fs::write(dir.path().join("two.csv"), linear_csv(24)).unwrap();
    let args = ["compare", "one.csv", "two.csv", "--targets", "y", "--models", "mean,ridge"];
    let first = lunchbench(&[&args[..], &["--seed", "1"]].concat(), dir.path());
    assert_eq!(first.code, 0, "{}", first.stderr);
    let report = dir.path().join("reports/one/results.json");
    let summary = dir.path().join("reports/summary/summary.json");
    let (report_before, summary_before) =
        (std::fs::read(&report).unwrap(), std::fs::read(&summary).unwrap());

    std::fs::write(dir.path().join("two.csv"), "id,x1\nr1,1\nr2,2\n").unwrap();
    let second = lunchbench(&[&args[..], &["--seed", "2"]].concat(), dir.path());
    assert_eq!(second.code, 2, "{}", second.stderr);
    assert!(second.stderr.contains("two.csv"), "{}", second.stderr);
    assert!(second.stdout.is_empty(), "models were fitted first: {}", second.stdout);
    assert_eq!(std::fs::read(&report).unwrap(), report_before);
    assert_eq!(std::fs::read(&summary).unwrap(), summary_before);
}

#[test]
fn empty_model_list_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data.csv"), linear_csv(20)).unwrap();
    std::fs::write(
        dir.path().join("data.toml"),
        "[columns]\ntargets = [\"y\"]\n[run]\nmodels = []\n",
    )
    .unwrap();
    let run = lunchbench(&["compare", "data.csv"], dir.path());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no models to run"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "a table was printed: {}", run.stdout);
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `compare` on a shipped data set into a temporary folder and checks the files.
fn check_shipped(
    name: &str,
    n_targets: usize,
    n_test: usize,
    n_train: usize,
    models: &[&str],
) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join(name);
    let csv = format!("datasets/{name}.csv");
    let mut args = vec!["compare", &csv, "--out", out_dir.to_str().unwrap()];
    let model_list = models.join(",");
    args.extend(["--models", &model_list]);
    let run = lunchbench(&args, &repo());
    assert_eq!(run.code, 0, "{}", run.stderr);
    for model in models {
        assert!(run.stdout.contains(model), "leaderboard lacks {model}: {}", run.stdout);
    }
    assert!(run.stdout.contains("1 *"), "no best model marked: {}", run.stdout);

    let metrics = std::fs::read_to_string(out_dir.join("metrics.csv")).unwrap();
    assert_eq!(metrics.lines().count(), 1 + models.len() * n_targets * 4);
    for model in models {
        let predictions =
            std::fs::read_to_string(out_dir.join(format!("predictions/{model}.csv"))).unwrap();
        assert_eq!(predictions.lines().count(), 1 + n_test, "{model} predictions rows");
        assert_eq!(predictions.lines().next().unwrap().split(',').count(), 1 + n_targets);
    }
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("results.json")).unwrap())
            .unwrap();
    let train: Vec<&str> = results["split"]["train_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let test: Vec<&str> = results["split"]["test_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(train.len(), n_train);
    assert_eq!(test.len(), n_test);
    assert!(train.iter().all(|id| !test.contains(id)), "a row is on both sides");
    assert_eq!(results["models"].as_array().unwrap().len(), models.len());
    let report = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    let sha = results["manifest"]["sha256"].as_str().unwrap();
    assert!(report.contains(sha));
    out
}

const ALL_MODELS: [&str; 5] = ["mean", "ridge", "elastic-net", "pls", "dense-nn"];

#[test]
fn tecator_end_to_end() {
    let out = check_shipped("tecator", 3, 43, 172, &ALL_MODELS);
    let history = std::fs::read_to_string(out.path().join("tecator/history/dense-nn.csv")).unwrap();
    // The tecator sidecar trains for 1,000 epochs.
    assert_eq!(history.lines().count(), 1 + 1000);
    let report = std::fs::read_to_string(out.path().join("tecator/report.md")).unwrap();
    assert!(report.contains("## Published figures"), "{report}");
    assert!(report.contains("epochs = 1000"), "{report}");
}

#[test]
fn lab_end_to_end() {
    let out = check_shipped("lab", 1400, 20, 60, &ALL_MODELS);
    let history = std::fs::read_to_string(out.path().join("lab/history/dense-nn.csv")).unwrap();
    assert_eq!(history.lines().count(), 1 + 80);
}

#[test]
fn failed_network_leaves_other_models_scored() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("tecator");
    let args = [
        "compare",
        "datasets/tecator.csv",
        "--out",
        dir.to_str().unwrap(),
        "--nn-scale",
        "false",
        "--nn-learning-rate",
        "1e30",
    ];
    let run = lunchbench(&args, &repo());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("training loss is not finite at epoch 1"), "{}", run.stdout);
    for model in ["mean", "ridge", "elastic-net", "pls"] {
        assert!(
            dir.join(format!("predictions/{model}.csv")).is_file(),
            "{model} predictions missing"
        );
    }
    assert!(!dir.join("predictions/dense-nn.csv").exists());
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    let failed: Vec<&serde_json::Value> =
        results["models"].as_array().unwrap().iter().filter(|m| !m["failure"].is_null()).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["name"], "dense-nn");
}

#[test]
fn same_seed_gives_identical_predictions() {
    let out = tempfile::tempdir().unwrap();
    let mut predictions = Vec::new();
    for run in ["a", "b"] {
        let dir = out.path().join(run);
        let args = [
            "compare",
            "datasets/tecator.csv",
            "--out",
            dir.to_str().unwrap(),
            "--models",
            "dense-nn",
            "--nn-epochs",
            "50",
            "--seed",
            "7",
        ];
        let result = lunchbench(&args, &repo());
        assert_eq!(result.code, 0, "{}", result.stderr);
        predictions.push(std::fs::read_to_string(dir.join("predictions/dense-nn.csv")).unwrap());
    }
    assert_eq!(predictions[0], predictions[1]);
}

#[test]
fn holdout_without_split_column_is_seeded() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data.csv"), linear_csv(40)).unwrap();
    let test_ids = |seed: &str| {
        let run = lunchbench(
            &[
                "compare",
                "data.csv",
                "--targets",
                "y",
                "--id",
                "id",
                "--seed",
                seed,
                "--models",
                "ridge",
            ],
            dir.path(),
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        let results: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("reports/data/results.json")).unwrap(),
        )
        .unwrap();
        results["split"]["test_ids"].clone()
    };
    assert_eq!(test_ids("3"), test_ids("3"));
    assert_ne!(test_ids("3"), test_ids("4"));
    assert_eq!(test_ids("3").as_array().unwrap().len(), 10);
}

#[test]
fn cross_validation_reports_every_fold() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("tecator");
    let args = [
        "compare",
        "datasets/tecator.csv",
        "--out",
        dir.to_str().unwrap(),
        "--models",
        "mean,ridge,pls",
        "--cv",
        "3",
        "--repeats",
        "2",
    ];
    let run = lunchbench(&args, &repo());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let metrics = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    assert!(metrics.starts_with("model,fold,target,metric,value"));
    // 3 models × (1 test + 6 folds) × 3 targets × 4 metrics, plus the header.
    assert_eq!(metrics.lines().count(), 1 + 3 * 7 * 3 * 4);
    assert!(metrics.contains("ridge,r2f3,fat,rmse,"));
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    let cv = &results["cross_validation"];
    assert_eq!(cv["fold_labels"].as_array().unwrap().len(), 6);
    assert_eq!(cv["n_rows"], 172);
    let models = cv["models"].as_array().unwrap();
    assert_eq!(models.len(), 3);
    assert_eq!(models.last().unwrap()["name"], "mean");
    assert_eq!(models.last().unwrap()["not_worse_than_best"], false);
    let p = models.last().unwrap()["versus_best"]["p_value"].as_f64().unwrap();
    assert!(p < 0.05, "mean predictor p-value {p}");
    let report = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(report.contains("## Cross-validation"), "{report}");
}

#[test]
fn cross_validation_does_not_depend_on_threads() {
    let out = tempfile::tempdir().unwrap();
    let mut summaries = Vec::new();
    for threads in ["1", "2"] {
        let dir = out.path().join(threads);
        let args = [
            "compare",
            "datasets/tecator.csv",
            "--out",
            dir.to_str().unwrap(),
            "--models",
            "ridge,elastic-net,dense-nn",
            "--nn-epochs",
            "20",
            "--cv",
            "4",
            "--threads",
            threads,
        ];
        let run = lunchbench(&args, &repo());
        assert_eq!(run.code, 0, "{}", run.stderr);
        let results: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap())
                .unwrap();
        let models: Vec<serde_json::Value> = results["cross_validation"]["models"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["per_fold"].clone())
            .collect();
        summaries.push(models);
    }
    assert_eq!(summaries[0], summaries[1]);
}

#[test]
fn too_many_folds_is_an_error() {
    expect_error(
        linear_csv(12).as_bytes(),
        &["--targets", "y", "--id", "id", "--cv", "6"],
        &["--cv 6 on 9 training rows", "fewer folds"],
    );
}

#[test]
fn several_files_get_a_summary() {
    let out = tempfile::tempdir().unwrap();
    let args = [
        "compare",
        "datasets/tecator.csv",
        "datasets/lab.csv",
        "--out",
        out.path().to_str().unwrap(),
        "--models",
        "mean,ridge,pls",
    ];
    let run = lunchbench(&args, &repo());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(out.path().join("tecator/report.md").is_file());
    assert!(out.path().join("lab/report.md").is_file());
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("summary/summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(summary["datasets"].as_array().unwrap().len(), 2);
    assert_eq!(summary["models"].as_array().unwrap().len(), 3);
    // The mean predictor is last on both data sets.
    assert_eq!(summary["friedman"]["mean_ranks"][2], 3.0);
    assert!(run.stdout.contains("Friedman test over 2 data sets and 3 models"), "{}", run.stdout);
}

#[test]
fn every_model_failing_keeps_previous_report() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data.csv"), linear_csv(20)).unwrap();
    let base = ["compare", "data.csv", "--targets", "y", "--id", "id", "--models", "dense-nn"];
    let first = lunchbench(&base, dir.path());
    assert_eq!(first.code, 0, "{}", first.stderr);
    let report = dir.path().join("reports/data/report.md");
    let before = std::fs::read_to_string(&report).unwrap();
    let mut failing = base.to_vec();
    failing.extend(["--nn-scale", "false", "--nn-learning-rate", "1e30"]);
    let second = lunchbench(&failing, dir.path());
    assert_eq!(second.code, 2, "{}", second.stderr);
    assert!(
        second.stderr.contains("every model failed, so no report was written"),
        "{}",
        second.stderr
    );
    assert_eq!(std::fs::read_to_string(&report).unwrap(), before);
}

#[test]
fn value_too_large_for_squares() {
    let text = set_cell(&linear_csv(10), 4, 4, "1e200");
    expect_error(
        text.as_bytes(),
        &["--targets", "y", "--id", "id"],
        &["line 4", "\"y\"", "\"1e200\"", "rescale the column"],
    );
}

#[test]
fn utf16_file_is_named() {
    expect_error(
        b"\xFF\xFEx\x001\x00",
        &["--targets", "y"],
        &["data.csv", "UTF-16", "save it as UTF-8"],
    );
}

#[test]
fn out_that_is_a_file_fails_before_fitting() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data.csv"), linear_csv(12)).unwrap();
    std::fs::write(dir.path().join("afile"), "keep").unwrap();
    let run = lunchbench(
        &["compare", "data.csv", "--targets", "y", "--id", "id", "--out", "afile"],
        dir.path(),
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("afile: cannot write report: exists and is not a folder"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "models were fitted first: {}", run.stdout);
}

#[test]
fn sidecar_error_is_one_line_with_position() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data.csv"), linear_csv(12)).unwrap();
    std::fs::write(
        dir.path().join("data.toml"),
        "[columns]\ntargets = [\"y\"]\ntragets = [\"a\"]\n",
    )
    .unwrap();
    let run = lunchbench(&["compare", "data.csv"], dir.path());
    assert_eq!(run.code, 2);
    let errors: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    assert!(
        errors[0]
            .contains("data.toml: invalid sidecar file: line 3, column 1: unknown field `tragets`"),
        "{}",
        errors[0]
    );
}
