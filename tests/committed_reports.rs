//! The reports committed under reports/ must match what the code computes now. Each
//! case reruns the command from reports/regenerate.sh with --check, which compares every
//! number in results.json and predictions/ within a relative tolerance of 1e-5 and skips
//! wall-clock times and dates.

use std::path::PathBuf;

use assert_cmd::Command;

fn check(args: &[&str]) {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut full = vec!["compare"];
    full.extend_from_slice(args);
    full.push("--check");
    let output =
        Command::cargo_bin("lunchbench").unwrap().args(&full).current_dir(&repo).output().unwrap();
    assert!(
        output.status.success(),
        "committed report differs; run reports/regenerate.sh and review the diff:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn lab_report_matches() {
    check(&["datasets/lab.csv"]);
}

#[test]
fn tecator_report_matches() {
    check(&["datasets/tecator.csv"]);
}

/// Both shipped data sets, cross-validated as in reports/regenerate.sh.
const CROSS_VALIDATED: [&str; 6] =
    ["datasets/lab.csv", "datasets/tecator.csv", "--cv", "5", "--repeats", "3"];

#[test]
fn cross_validated_reports_match() {
    check(&[&CROSS_VALIDATED[..], &["--out", "reports/cv"]].concat());
}

/// Every model tuned inside every fold: the slowest committed report, about two minutes
/// on 2 cores.
#[test]
fn tuned_cross_validated_reports_match() {
    check(&[&CROSS_VALIDATED[..], &["--tune", "all", "--out", "reports/cv-tuned"]].concat());
}

#[test]
fn tecator_fat_report_matches() {
    check(&[
        "datasets/tecator.csv",
        "--config",
        "datasets/tecator-fat.toml",
        "--out",
        "reports/tecator-fat",
    ]);
}
