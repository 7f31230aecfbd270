//! The PNG charts of a report: synthetic reports built through the library, including
//! degenerate ones, and the real binary on a shipped data set.
//!
//! Set `LUNCHBENCH_KEEP_CHARTS` to a folder to keep each test's report there for viewing.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use ndarray::Array2;

use lunchbench::data::Dataset;
use lunchbench::metrics::score_targets;
use lunchbench::models::TrainingHistory;
use lunchbench::report::{self, CrossValidation, Report};
use lunchbench::resample::{k_fold, Fold};
use lunchbench::runner::{FoldRuns, ModelRun, Outcome};
use lunchbench::split::{Split, SplitMethod};

/// Maximum time a report with its charts may take to write, degenerate data included.
const TIME_LIMIT: Duration = Duration::from_secs(20);

const ALL_CHARTS: [&str; 5] = [
    "leaderboard_rmse.png",
    "leaderboard_r2.png",
    "per_target_rmse.png",
    "learning_curves.png",
    "predicted_vs_actual.png",
];

/// Charts drawn when cross-validation ran.
const CV_CHARTS: [&str; 3] =
    ["cv_rmse_boxplot.png", "cv_leaderboard_rmse.png", "cv_leaderboard_r2.png"];

/// Returns [`ALL_CHARTS`] followed by [`CV_CHARTS`].
fn all_charts_with_cv() -> Vec<&'static str> {
    ALL_CHARTS.iter().chain(&CV_CHARTS).copied().collect()
}

/// Builds a data set and split whose test rows have the values `actual` (rows × targets), with
/// two training rows before them.
fn dataset(actual: &Array2<f64>) -> (Dataset, Split) {
    let (rows, targets) = actual.dim();
    let mut y = Array2::zeros((rows + 2, targets));
    y.slice_mut(ndarray::s![2.., ..]).assign(actual);
    let dataset = Dataset {
        path: PathBuf::from("synthetic.csv"),
        sha256: "0".repeat(64),
        n_columns: targets + 2,
        id_column: None,
        ids: (0..rows + 2).map(|r| format!("r{r}")).collect(),
        split_column: None,
        split_labels: None,
        predictor_names: vec!["x1".into()],
        target_names: (0..targets).map(|t| format!("target_{t}")).collect(),
        ignored_names: Vec::new(),
        text_names: Vec::new(),
        x: Array2::zeros((rows + 2, 1)),
        y,
        dropped: Vec::new(),
    };
    let split = Split {
        train: vec![0, 1],
        test: (2..rows + 2).collect(),
        method: SplitMethod::Holdout { test_fraction: 0.5, seed: 0 },
    };
    (dataset, split)
}

fn scored(name: &str, actual: &Array2<f64>, predictions: Array2<f64>) -> ModelRun {
    let scores = score_targets(actual.view(), predictions.view());
    ModelRun {
        name: name.into(),
        settings: Vec::new(),
        fit_notes: Vec::new(),
        outcome: Outcome::Scored { predictions, scores },
        fit_seconds: 0.01,
        predict_seconds: 0.001,
        history: Vec::new(),
    }
}

fn failed(name: &str) -> ModelRun {
    ModelRun {
        name: name.into(),
        settings: Vec::new(),
        fit_notes: Vec::new(),
        outcome: Outcome::Failed { reason: "fit failed: matrix is singular".into() },
        fit_seconds: 0.0,
        predict_seconds: 0.0,
        history: Vec::new(),
    }
}

/// Builds test values of `targets` columns that vary smoothly over rows and columns.
fn smooth_actual(rows: usize, targets: usize) -> Array2<f64> {
    Array2::from_shape_fn((rows, targets), |(r, t)| {
        10.0 + 3.0 * ((r as f64) * 0.7 + t as f64 * 0.05).sin() + t as f64 * 0.1
    })
}

/// Returns `actual` plus a deterministic error of about `scale`.
fn noisy(actual: &Array2<f64>, scale: f64) -> Array2<f64> {
    Array2::from_shape_fn(actual.dim(), |(r, t)| {
        actual[(r, t)] + scale * ((r * 7 + t * 3) as f64 * 1.3).sin()
    })
}

/// Returns predictions of the test mean of each target, like the `mean` model's.
fn column_means(actual: &Array2<f64>) -> Array2<f64> {
    let means = actual.mean_axis(ndarray::Axis(0)).unwrap();
    Array2::from_shape_fn(actual.dim(), |(_, t)| means[t])
}

/// Builds the loss curves of one ensemble member over `epochs` epochs, with a validation
/// loss that starts rising after `best_epoch`.
fn history(seed: u64, epochs: usize, best_epoch: usize) -> TrainingHistory {
    let wobble = |e: usize| 1.0 + 0.05 * ((e as f64 + seed as f64) * 1.7).sin();
    TrainingHistory {
        seed,
        loss: (0..epochs).map(|e| 2.0 * (-(e as f64) / 15.0).exp() * wobble(e) + 0.01).collect(),
        val_loss: (0..epochs)
            .map(|e| {
                let e = e as f64;
                (2.2 * (-e / 15.0).exp() + 0.05 + 0.002 * (e - best_epoch as f64).max(0.0))
                    * wobble(e as usize + 3)
            })
            .collect(),
        best_epoch,
    }
}

/// Runs `build` and writes its report on a thread, failing the test when that takes
/// longer than [`TIME_LIMIT`]. Returns the report folder, kept alive with its temporary
/// parent, and the result of the write.
fn write_report(
    name: &str,
    build: impl FnOnce() -> Report + Send + 'static,
) -> (tempfile::TempDir, PathBuf, lunchbench::error::Result<()>) {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join(name);
    let thread_out = out.clone();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let report = build();
        let _ = sender.send(report::write(&report, &thread_out));
    });
    let result = match receiver.recv_timeout(TIME_LIMIT) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{name}: report took over {TIME_LIMIT:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{name}: report thread panicked"),
    };
    if let Some(keep) = std::env::var_os("LUNCHBENCH_KEEP_CHARTS") {
        copy_folder(&out, &Path::new(&keep).join(name));
    }
    (root, out, result)
}

fn copy_folder(from: &Path, to: &Path) {
    let Ok(entries) = std::fs::read_dir(from) else { return };
    std::fs::create_dir_all(to).unwrap();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            copy_folder(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

/// Decodes `path` and checks its size and that its pixels are not all alike.
fn check_png(path: &Path) {
    let image = image::ImageReader::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .decode()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgb8();
    let (width, height) = image.dimensions();
    assert!(width >= 1200, "{}: width {width} < 1200", path.display());
    assert!(height >= 700, "{}: height {height} < 700", path.display());
    let white = image.pixels().filter(|p| p.0 == [255, 255, 255]).count();
    let drawn = image.pixels().count() - white;
    assert!(drawn * 50 > image.pixels().count(), "{}: under 2% of pixels drawn", path.display());
    let mut colours: Vec<[u8; 3]> = image.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() >= 8, "{}: only {} colours", path.display(), colours.len());
}

/// Lists the chart files in `out/charts`, sorted.
fn chart_files(out: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(out.join("charts")) else { return Vec::new() };
    let mut names: Vec<String> =
        entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// Checks that `out/charts` contains exactly `expected`, each a valid chart, and that
/// `report.md` links each one.
fn check_charts(out: &Path, expected: &[&str]) {
    let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(chart_files(out), expected, "chart files in {}", out.display());
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    for name in &expected {
        check_png(&out.join("charts").join(name));
        assert!(markdown.contains(&format!("](charts/{name})")), "report.md does not link {name}");
    }
    let links = markdown.matches("](charts/").count();
    assert_eq!(links, expected.len(), "report.md links charts that were not written");
}

/// Builds a report with four scored models, one of them the neural network with a three-member
/// ensemble that stopped early, and one failed model.
fn typical_report(rows: usize, targets: usize) -> Report {
    let actual = smooth_actual(rows, targets);
    let (dataset, split) = dataset(&actual);
    let mut network = scored("dense-nn", &actual, noisy(&actual, 0.6));
    network.history = vec![history(0, 60, 45), history(1, 52, 37), history(2, 80, 80)];
    let runs = vec![
        scored("mean", &actual, column_means(&actual)),
        scored("ridge", &actual, noisy(&actual, 0.5)),
        failed("elastic-net"),
        scored("pls", &actual, noisy(&actual, 0.3)),
        network,
    ];
    Report::new(&dataset, &split, runs, None, 0)
}

/// Returns the folds of `k`-fold cross-validation of `rows` rows, repeated `repeats` times.
fn cv_folds(rows: usize, k: usize, repeats: usize) -> Vec<Fold> {
    let ids: Vec<usize> = (0..rows).collect();
    k_fold(&ids, k, repeats, 0).unwrap()
}

/// Builds the runs of one model on `folds` with `targets` targets. Fold f is scored with
/// predictions off by about `scale(f)`, so its RMSE is proportional to that, or fails
/// when `scale(f)` is None.
fn fold_runs(
    name: &str,
    folds: &[Fold],
    targets: usize,
    scale: impl Fn(usize) -> Option<f64>,
) -> FoldRuns {
    let runs = folds
        .iter()
        .enumerate()
        .map(|(f, fold)| {
            let actual = smooth_actual(fold.test.len(), targets);
            match scale(f) {
                Some(scale) => scored(name, &actual, noisy(&actual, scale)),
                None => failed(name),
            }
        })
        .collect();
    FoldRuns { name: name.into(), runs }
}

/// Returns a scale that varies around `centre` by about a fifth from fold to fold.
fn varying(centre: f64) -> impl Fn(usize) -> Option<f64> {
    move |f| Some(centre * (1.0 + 0.2 * ((f as f64) * 2.3).sin()))
}

/// Cross-validates the runs over `folds` of `rows` training rows.
fn cross_validation(
    folds: &[Fold],
    runs: Vec<FoldRuns>,
    k: usize,
    repeats: usize,
    rows: usize,
) -> CrossValidation {
    CrossValidation::new(folds, runs, k, repeats, 0, rows)
}

/// Builds [`typical_report`] with 5-fold cross-validation repeated twice, in which
/// `elastic-net` fails on three of the ten folds.
fn cross_validated_report(targets: usize) -> Report {
    let mut report = typical_report(40, targets);
    let folds = cv_folds(60, 5, 2);
    let runs = vec![
        fold_runs("mean", &folds, targets, varying(3.0)),
        fold_runs("ridge", &folds, targets, varying(0.5)),
        fold_runs("elastic-net", &folds, targets, |f| (f % 4 != 1).then_some(0.45)),
        fold_runs("pls", &folds, targets, varying(0.3)),
        fold_runs("dense-nn", &folds, targets, varying(0.32)),
    ];
    report.cross_validation = Some(cross_validation(&folds, runs, 5, 2, 60));
    report
}

#[test]
fn typical_report_gets_every_chart() {
    let (_root, out, result) = write_report("typical", || typical_report(40, 3));
    result.unwrap();
    check_charts(&out, &ALL_CHARTS);
}

#[test]
fn many_targets_get_lines_and_four_panels() {
    let (_root, out, result) = write_report("many_targets", || typical_report(30, 300));
    result.unwrap();
    check_charts(&out, &ALL_CHARTS);
    let grid = image::image_dimensions(out.join("charts/predicted_vs_actual.png")).unwrap();
    assert_eq!(grid, (1400, 1300), "four panels take two rows");
}

#[test]
fn twenty_targets_get_grouped_bars() {
    let (_root, out, result) = write_report("twenty_targets", || typical_report(25, 20));
    result.unwrap();
    check_charts(&out, &ALL_CHARTS);
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(markdown.contains("as a group of bars per target"));
}

#[test]
fn two_models_with_history_get_two_panels() {
    let (_root, out, result) = write_report("two_histories", || {
        let actual = smooth_actual(20, 2);
        let (dataset, split) = dataset(&actual);
        let mut network = scored("dense-nn", &actual, noisy(&actual, 0.3));
        network.history = vec![history(0, 40, 30), history(1, 35, 35)];
        let mut wide = scored("dense-nn-wide", &actual, noisy(&actual, 0.4));
        wide.history = vec![history(5, 50, 20)];
        Report::new(&dataset, &split, vec![network, wide], None, 0)
    });
    result.unwrap();
    check_charts(&out, &ALL_CHARTS);
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(markdown.contains("of `dense-nn` and `dense-nn-wide`"));
}

#[test]
fn markdown_says_what_each_chart_averages() {
    let (_root, out, result) = write_report("captions", || typical_report(40, 3));
    result.unwrap();
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    let section = markdown.split("## Charts").nth(1).expect("report.md has a Charts section");
    assert!(section.contains("Mean RMSE of each model over the 3 targets on the 40 test rows"));
    assert!(section.contains("Mean R² of each model over the 3 targets"));
    assert!(section.contains("nothing averaged across targets"));
    assert!(section.contains("one pair of lines per ensemble member"));
    assert!(section.contains("values of `pls` and `dense-nn` on each of the 3 targets"));
}

#[test]
fn no_learning_curves_without_history() {
    let (_root, out, result) = write_report("no_history", || {
        let actual = smooth_actual(20, 2);
        let (dataset, split) = dataset(&actual);
        let runs = vec![
            scored("mean", &actual, column_means(&actual)),
            scored("ridge", &actual, noisy(&actual, 0.4)),
        ];
        Report::new(&dataset, &split, runs, None, 0)
    });
    result.unwrap();
    check_charts(
        &out,
        &ALL_CHARTS[..3].iter().chain(&ALL_CHARTS[4..]).copied().collect::<Vec<_>>(),
    );
}

#[test]
fn far_worse_model_is_cut() {
    // Mean R² near −44 and a mean RMSE about 65 times the best one.
    let (_root, out, result) = write_report("far_worse", || {
        let actual = smooth_actual(30, 3);
        let (dataset, split) = dataset(&actual);
        let runs = vec![
            scored("pls", &actual, noisy(&actual, 0.3)),
            scored("ridge", &actual, noisy(&actual, 0.4)),
            scored("broken", &actual, noisy(&actual, 20.0)),
        ];
        Report::new(&dataset, &split, runs, None, 0)
    });
    result.unwrap();
    check_charts(
        &out,
        &[
            "leaderboard_rmse.png",
            "leaderboard_r2.png",
            "per_target_rmse.png",
            "predicted_vs_actual.png",
        ],
    );
}

#[test]
fn single_model_single_target() {
    let (_root, out, result) = write_report("single", || {
        let actual = smooth_actual(12, 1);
        let (dataset, split) = dataset(&actual);
        let runs = vec![scored("ridge", &actual, noisy(&actual, 0.2))];
        Report::new(&dataset, &split, runs, None, 0)
    });
    result.unwrap();
    check_charts(
        &out,
        &[
            "leaderboard_rmse.png",
            "leaderboard_r2.png",
            "per_target_rmse.png",
            "predicted_vs_actual.png",
        ],
    );
}

#[test]
fn all_values_equal() {
    // Constant targets predicted exactly: RMSE 0, R² undefined, zero-width ranges.
    let (_root, out, result) = write_report("all_equal", || {
        let actual = Array2::from_elem((10, 2), 5.0);
        let (dataset, split) = dataset(&actual);
        let mut network = scored("dense-nn", &actual, actual.clone());
        network.history = vec![TrainingHistory {
            seed: 0,
            loss: vec![0.5; 5],
            val_loss: vec![0.5; 5],
            best_epoch: 5,
        }];
        let runs = vec![scored("mean", &actual, actual.clone()), network];
        Report::new(&dataset, &split, runs, None, 0)
    });
    result.unwrap();
    check_charts(&out, &ALL_CHARTS);
}

#[test]
fn two_rows_and_single_epoch() {
    let (_root, out, result) = write_report("two_rows", || {
        let actual = smooth_actual(2, 1);
        let (dataset, split) = dataset(&actual);
        let mut network = scored("dense-nn", &actual, noisy(&actual, 0.1));
        network.history =
            vec![TrainingHistory { seed: 0, loss: vec![0.3], val_loss: vec![], best_epoch: 1 }];
        Report::new(&dataset, &split, vec![network], None, 0)
    });
    result.unwrap();
    check_charts(&out, &ALL_CHARTS);
}

#[test]
fn non_finite_values_are_left_out() {
    let (_root, out, result) = write_report("non_finite", || {
        let actual = smooth_actual(20, 25);
        let (dataset, split) = dataset(&actual);
        let mut bad = noisy(&actual, 0.5);
        bad[(0, 0)] = f64::NAN;
        bad[(3, 1)] = f64::INFINITY;
        for r in 0..20 {
            bad[(r, 5)] = f64::NAN;
        }
        let mut network = scored("dense-nn", &actual, bad);
        let mut member = history(0, 30, 20);
        member.loss[4] = f64::NAN;
        member.loss[5] = f64::INFINITY;
        member.val_loss[6] = 0.0;
        member.val_loss[7] = -1.0;
        network.history = vec![member, history(1, 25, 25)];
        let runs = vec![scored("pls", &actual, noisy(&actual, 0.3)), network];
        Report::new(&dataset, &split, runs, None, 0)
    });
    result.unwrap();
    check_charts(&out, &ALL_CHARTS);
}

#[test]
fn huge_and_tiny_magnitudes() {
    // Values near 1e100 are drawn. Losses past 1e150 either way, and RMSE that overflows
    // to infinity, are left out.
    let (_root, out, result) = write_report("magnitudes", || {
        let actual = smooth_actual(10, 2).mapv(|v| v * 1e100);
        let (dataset, split) = dataset(&actual);
        let mut network = scored("dense-nn", &actual, noisy(&actual, 1e99));
        network.history = vec![TrainingHistory {
            seed: 0,
            loss: vec![1e140, 1e-140, f64::MAX, f64::MIN_POSITIVE, 1e-3],
            val_loss: vec![1e-310, 1e100, 1.0, 1.0, 1e-3],
            best_epoch: 2,
        }];
        let overflowing = scored("overflow", &actual, actual.mapv(|v| v * 1e200));
        let runs = vec![scored("mean", &actual, column_means(&actual)), network, overflowing];
        Report::new(&dataset, &split, runs, None, 0)
    });
    result.unwrap();
    check_charts(&out, &ALL_CHARTS);
}

#[test]
fn large_ensemble_is_summarized() {
    let (_root, out, result) = write_report("large_ensemble", || {
        let actual = smooth_actual(20, 2);
        let (dataset, split) = dataset(&actual);
        let mut network = scored("dense-nn", &actual, noisy(&actual, 0.2));
        network.history = (0..10).map(|seed| history(seed, 40 + seed as usize * 3, 30)).collect();
        let runs = vec![network, scored("mean", &actual, column_means(&actual))];
        Report::new(&dataset, &split, runs, None, 0)
    });
    result.unwrap();
    check_charts(&out, &ALL_CHARTS);
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(markdown.contains("the median over the ensemble members"));
}

#[test]
fn every_model_failed_gets_no_charts() {
    let (_root, out, result) = write_report("all_failed", || {
        let actual = smooth_actual(10, 2);
        let (dataset, split) = dataset(&actual);
        Report::new(&dataset, &split, vec![failed("ridge"), failed("pls")], None, 0)
    });
    result.unwrap();
    assert!(!out.join("charts").exists(), "charts written although every model failed");
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(!markdown.contains("## Charts"), "report.md has a Charts section");
}

#[test]
fn zero_targets_get_no_charts() {
    let (_root, out, result) = write_report("zero_targets", || {
        let actual = Array2::zeros((10, 0));
        let (dataset, split) = dataset(&actual);
        let runs = vec![scored("mean", &actual, Array2::zeros((10, 0)))];
        Report::new(&dataset, &split, runs, None, 0)
    });
    result.unwrap();
    assert!(!out.join("charts").exists(), "charts written for zero targets");
}

#[test]
fn binary_writes_charts_for_tecator() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("tecator");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/tecator.csv");
    let output = assert_cmd::Command::cargo_bin("lunchbench")
        .unwrap()
        .args(["compare", data.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    check_charts(&out, &ALL_CHARTS);
}

#[test]
fn cross_validation_gets_three_charts() {
    let (_root, out, result) = write_report("cross_validation", || cross_validated_report(3));
    result.unwrap();
    check_charts(&out, &all_charts_with_cv());
}

#[test]
fn markdown_says_what_cv_charts_average() {
    let (_root, out, result) = write_report("cv_captions", || cross_validated_report(3));
    result.unwrap();
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    let section = markdown.split("## Charts").nth(1).expect("report.md has a Charts section");
    assert!(section.contains(
        "RMSE on the 10 folds (5-fold cross-validation of the 60 training rows, repeated 2 times)"
    ));
    assert!(section.contains("each fold's RMSE is the mean over the 3 targets"));
    assert!(section
        .contains("averaged first over the 3 targets within each fold and then over the 10 folds"));
    assert!(
        section.contains("averaged first over the targets where R² is defined within each fold")
    );
    assert!(section.contains("error bars of ± 1 standard deviation over the folds"));
}

#[test]
fn cv_with_many_targets() {
    let (_root, out, result) = write_report("cv_many_targets", || cross_validated_report(300));
    result.unwrap();
    check_charts(&out, &all_charts_with_cv());
}

#[test]
fn cv_far_worse_model_is_cut() {
    // A model at 60 times the best, one whose folds climb to 8 times the best, and a
    // model not significantly worse than the best with one fold at 4 times its others.
    let (_root, out, result) = write_report("cv_far_worse", || {
        let mut report = typical_report(30, 3);
        let folds = cv_folds(60, 5, 3);
        let runs = vec![
            fold_runs("pls", &folds, 3, |f| Some(if f == 7 { 1.2 } else { 0.3 })),
            fold_runs("ridge", &folds, 3, varying(0.35)),
            fold_runs("unstable", &folds, 3, |f| Some(0.3 + 0.15 * f as f64)),
            fold_runs("broken", &folds, 3, varying(18.0)),
        ];
        report.cross_validation = Some(cross_validation(&folds, runs, 5, 3, 60));
        report
    });
    result.unwrap();
    check_charts(&out, &all_charts_with_cv());
}

#[test]
fn cv_single_fold() {
    // One fold gives no standard deviation and no t-test.
    let (_root, out, result) = write_report("cv_single_fold", || {
        let mut report = typical_report(20, 2);
        let folds =
            vec![Fold { repeat: 1, fold: 1, train: (0..10).collect(), test: (10..20).collect() }];
        let runs = vec![
            fold_runs("ridge", &folds, 2, |_| Some(0.4)),
            fold_runs("pls", &folds, 2, |_| Some(0.3)),
        ];
        report.cross_validation = Some(cross_validation(&folds, runs, 1, 1, 20));
        report
    });
    result.unwrap();
    check_charts(&out, &all_charts_with_cv());
}

#[test]
fn cv_all_folds_equal() {
    // Equal folds give boxes of zero height and a standard deviation of 0. The two
    // equal models differ by zero on every fold.
    let (_root, out, result) = write_report("cv_all_equal", || {
        let mut report = typical_report(20, 2);
        let folds = cv_folds(30, 3, 1);
        let runs = vec![
            fold_runs("ridge", &folds, 2, |_| Some(0.4)),
            fold_runs("pls", &folds, 2, |_| Some(0.4)),
            fold_runs("mean", &folds, 2, |_| Some(2.0)),
        ];
        report.cross_validation = Some(cross_validation(&folds, runs, 3, 1, 30));
        report
    });
    result.unwrap();
    check_charts(&out, &all_charts_with_cv());
}

#[test]
fn cv_perfect_predictions() {
    // RMSE 0 on every fold: zero-width ranges and no positive mean to cut at.
    let (_root, out, result) = write_report("cv_perfect", || {
        let mut report = typical_report(20, 2);
        let folds = cv_folds(30, 3, 1);
        let runs = vec![
            fold_runs("ridge", &folds, 2, |_| Some(0.0)),
            fold_runs("pls", &folds, 2, |_| Some(0.0)),
        ];
        report.cross_validation = Some(cross_validation(&folds, runs, 3, 1, 30));
        report
    });
    result.unwrap();
    check_charts(&out, &all_charts_with_cv());
}

#[test]
fn cv_failed_folds() {
    // One model fails on every fold and one on a single fold, so neither gets a p-value
    // and only the second gets a box.
    let (_root, out, result) = write_report("cv_failed", || {
        let mut report = typical_report(20, 2);
        let folds = cv_folds(30, 3, 2);
        let runs = vec![
            fold_runs("ridge", &folds, 2, varying(0.4)),
            fold_runs("elastic-net", &folds, 2, |_| None),
            fold_runs("pls", &folds, 2, |f| (f != 2).then_some(0.3)),
        ];
        report.cross_validation = Some(cross_validation(&folds, runs, 3, 2, 30));
        report
    });
    result.unwrap();
    check_charts(&out, &all_charts_with_cv());
}

#[test]
fn cv_non_finite_folds() {
    // Folds with infinite or overflowing RMSE are left out like failed ones.
    let (_root, out, result) = write_report("cv_non_finite", || {
        let mut report = typical_report(20, 2);
        let folds = cv_folds(30, 3, 2);
        let runs = vec![
            fold_runs("ridge", &folds, 2, varying(0.4)),
            fold_runs("overflow", &folds, 2, |f| Some(if f == 0 { f64::INFINITY } else { 1e200 })),
            fold_runs("pls", &folds, 2, |f| Some(if f == 3 { f64::INFINITY } else { 0.3 })),
        ];
        report.cross_validation = Some(cross_validation(&folds, runs, 3, 2, 30));
        report
    });
    result.unwrap();
    check_charts(&out, &all_charts_with_cv());
}

#[test]
fn cv_single_model() {
    let (_root, out, result) = write_report("cv_single_model", || {
        let actual = smooth_actual(12, 1);
        let (dataset, split) = dataset(&actual);
        let runs = vec![scored("ridge", &actual, noisy(&actual, 0.2))];
        let mut report = Report::new(&dataset, &split, runs, None, 0);
        let folds = cv_folds(30, 3, 1);
        let runs = vec![fold_runs("ridge", &folds, 1, varying(0.2))];
        report.cross_validation = Some(cross_validation(&folds, runs, 3, 1, 30));
        report
    });
    result.unwrap();
    check_charts(
        &out,
        &[
            "leaderboard_rmse.png",
            "leaderboard_r2.png",
            "per_target_rmse.png",
            "predicted_vs_actual.png",
            "cv_rmse_boxplot.png",
            "cv_leaderboard_rmse.png",
            "cv_leaderboard_r2.png",
        ],
    );
}

#[test]
fn cv_all_folds_failed() {
    // No model has a value on any fold, so only the test-row charts are drawn.
    let (_root, out, result) = write_report("cv_all_failed", || {
        let mut report = typical_report(20, 2);
        let folds = cv_folds(30, 3, 1);
        let runs =
            vec![fold_runs("ridge", &folds, 2, |_| None), fold_runs("pls", &folds, 2, |_| None)];
        report.cross_validation = Some(cross_validation(&folds, runs, 3, 1, 30));
        report
    });
    result.unwrap();
    check_charts(&out, &ALL_CHARTS);
}

#[test]
fn cv_charts_without_test_row_charts() {
    // Every model failed on the test rows but not on the folds.
    let (_root, out, result) = write_report("cv_only", || {
        let actual = smooth_actual(10, 2);
        let (dataset, split) = dataset(&actual);
        let mut report =
            Report::new(&dataset, &split, vec![failed("ridge"), failed("pls")], None, 0);
        let folds = cv_folds(30, 3, 1);
        let runs = vec![
            fold_runs("ridge", &folds, 2, varying(0.4)),
            fold_runs("pls", &folds, 2, varying(0.3)),
        ];
        report.cross_validation = Some(cross_validation(&folds, runs, 3, 1, 30));
        report
    });
    result.unwrap();
    check_charts(&out, &CV_CHARTS);
}

#[test]
fn binary_writes_cv_charts_for_tecator() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("tecator_cv");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/tecator.csv");
    let output = assert_cmd::Command::cargo_bin("lunchbench")
        .unwrap()
        .args(["compare", data.to_str().unwrap(), "--cv", "3", "--out", out.to_str().unwrap()])
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    check_charts(&out, &all_charts_with_cv());
    if let Some(keep) = std::env::var_os("LUNCHBENCH_KEEP_CHARTS") {
        copy_folder(&out, &Path::new(&keep).join("tecator_cv"));
    }
}
