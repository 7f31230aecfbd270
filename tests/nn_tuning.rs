//! `--tune nn` and the `[dense-nn-cv]` sidecar section, through the real binary on the
//! shipped tecator data.

use std::path::Path;

use assert_cmd::Command;

/// Copies tecator.csv into `dir` with a sidecar made of the shipped one plus `extra`.
fn tecator_in(dir: &Path, extra: &str) {
    std::fs::copy("datasets/tecator.csv", dir.join("tecator.csv")).unwrap();
    let sidecar = std::fs::read_to_string("datasets/tecator.toml").unwrap() + "\n" + extra;
    std::fs::write(dir.join("tecator.toml"), sidecar).unwrap();
}

fn compare(dir: &Path, args: &[&str]) -> (i32, String) {
    let mut full = vec!["compare", "tecator.csv"];
    full.extend_from_slice(args);
    let output = Command::cargo_bin("lunchbench").unwrap().args(&full).current_dir(dir).output();
    let output = output.unwrap();
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Returns the model names in results.json, sorted, because results list models by rank.
fn model_names(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("reports/tecator/results.json")).unwrap();
    let results: serde_json::Value = serde_json::from_str(&text).unwrap();
    let models = results["models"].as_array().unwrap();
    let mut names: Vec<String> =
        models.iter().map(|m| m["name"].as_str().unwrap().to_string()).collect();
    names.sort();
    names
}

#[test]
fn tune_flag_replaces_the_network() {
    let dir = tempfile::tempdir().unwrap();
    tecator_in(dir.path(), "");
    let args = [
        "--models",
        "mean,dense-nn",
        "--tune",
        "nn",
        "--nn-epochs",
        "40",
        "--nn-tune-learning-rates",
        "0.0001,0.01",
        "--nn-tune-hidden",
        "4/8,4",
    ];
    let (code, stderr) = compare(dir.path(), &args);
    assert_eq!(code, 0, "stderr: {stderr}");
    assert_eq!(model_names(dir.path()), ["dense-nn-cv", "mean"]);

    let report = std::fs::read_to_string(dir.path().join("reports/tecator/report.md")).unwrap();
    for fragment in [
        "learning_rates = 0.0001 0.01",
        "hidden = 4 8,4",
        "folds = 3",
        "epochs = 40",
        "inner folds: 3",
        // 40 epochs of 6 steps at 1e-4 leave the network far from the fat response, so
        // the larger rate wins.
        "learning_rate chosen: 0.01",
    ] {
        assert!(report.contains(fragment), "{fragment} missing from the report");
    }
}

#[test]
fn sidecar_asks_for_tuning() {
    let dir = tempfile::tempdir().unwrap();
    let extra = "[dense-nn-cv]\nlearning_rates = [0.02]\nhidden = [[], [3]]\nfolds = 2\n";
    tecator_in(dir.path(), extra);
    let sidecar = std::fs::read_to_string(dir.path().join("tecator.toml")).unwrap();
    let sidecar = sidecar.replace("[columns]", "[run]\ntune = [\"nn\"]\n\n[columns]");
    std::fs::write(dir.path().join("tecator.toml"), sidecar).unwrap();

    let (code, stderr) = compare(dir.path(), &["--models", "ridge,dense-nn", "--nn-epochs", "20"]);
    assert_eq!(code, 0, "stderr: {stderr}");
    assert_eq!(model_names(dir.path()), ["dense-nn-cv", "ridge"]);
    let report = std::fs::read_to_string(dir.path().join("reports/tecator/report.md")).unwrap();
    for fragment in ["learning_rates = 0.02", "hidden = none 3", "folds = 2", "inner folds: 2"] {
        assert!(report.contains(fragment), "{fragment} missing from the report");
    }
}

#[test]
fn invalid_tune_values_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    tecator_in(dir.path(), "");
    let cases: [(&[&str], &str); 5] = [
        (&["--tune", "forest"], "invalid tune value \"forest\" (from --tune"),
        (&["--tune", "nn", "--nn-tune-learning-rates", "0.01,-1"], "learning_rates = -1"),
        (&["--tune", "nn", "--nn-tune-hidden", "8/0"], "invalid value '8/0' for '--nn-tune-hidden"),
        (&["--tune", "nn", "--nn-tune-hidden", "32//64"], "invalid value '32//64' for"),
        (&["--tune", "nn", "--nn-tune-hidden", "1000000000"], "<= 100000"),
    ];
    for (args, fragment) in cases {
        let (code, stderr) = compare(dir.path(), args);
        assert_eq!(code, 2, "{args:?}: stderr {stderr}");
        assert!(stderr.contains(fragment), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    assert!(!dir.path().join("reports").exists(), "a failed run wrote a report");
}

/// The grid replaces the plain network's learning rate and hidden sizes, so those flags
/// get a warning instead of being dropped silently.
#[test]
fn replaced_network_flags_warn() {
    let dir = tempfile::tempdir().unwrap();
    tecator_in(dir.path(), "");
    let mut args = vec!["--models", "mean", "--tune", "nn", "--nn-epochs", "3"];
    args.extend(["--nn-tune-learning-rates", "0.01", "--nn-tune-hidden", "4"]);
    args.extend(["--nn-learning-rate", "0.05", "--nn-hidden", "16"]);
    let (code, stderr) = compare(dir.path(), &args);
    assert_eq!(code, 0, "stderr: {stderr}");
    assert!(stderr.contains("--nn-learning-rate has no effect"), "{stderr}");
    assert!(stderr.contains("--nn-hidden has no effect"), "{stderr}");
    assert!(stderr.contains("--nn-tune-learning-rates"), "{stderr}");

    let (code, stderr) = compare(dir.path(), &["--models", "mean", "--nn-learning-rate", "0.05"]);
    assert_eq!(code, 0, "stderr: {stderr}");
    assert!(!stderr.contains("has no effect"), "{stderr}");
}
