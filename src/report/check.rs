//! Comparing a fresh run against a report folder written earlier, for `compare --check`.
//!
//! Every number in `results.json` and in `predictions/*.csv` must match within
//! [`RELATIVE_TOLERANCE`]. Wall-clock times and the run date are skipped, because they
//! change on every run.

use std::path::Path;

use serde_json::Value;

use super::Report;
use crate::error::{Error, Result};

/// Largest relative difference accepted between a committed number and a fresh one.
/// Float32 network training can round differently on CPUs with other SIMD kernels, so
/// exact equality would fail on a machine other than the one that wrote the report.
pub const RELATIVE_TOLERANCE: f64 = 1e-5;

/// Keys whose values change from run to run: dates, and wall-clock times (this run's
/// under `timings`, the recorded peers' under `fit_seconds`).
const VOLATILE_KEYS: [&str; 3] = ["date", "timings", "fit_seconds"];

/// Returns an error naming the first difference between `report` and the folder `dir`.
pub fn check(report: &Report, dir: &Path) -> Result<()> {
    let path = dir.join("results.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|source| Error::Read { path: path.clone(), source })?;
    let committed: Value = serde_json::from_str(&text)
        .map_err(|e| Error::Check(format!("{}: invalid JSON: {e}", path.display())))?;
    let fresh = serde_json::to_value(report)
        .map_err(|e| Error::Check(format!("cannot serialize the report: {e}")))?;
    if let Some(difference) = first_difference(&committed, &fresh, "") {
        return Err(Error::Check(format!(
            "{}: {difference}; regenerate the report with the same command without --check",
            path.display()
        )));
    }

    for model in &report.models {
        let Some(predictions) = &model.predictions else { continue };
        let path = dir.join("predictions").join(format!("{}.csv", model.name));
        let committed = read_numbers(&path)?;
        let fresh: Vec<f64> = predictions.iter().copied().collect();
        if committed.len() != fresh.len() {
            return Err(Error::Check(format!(
                "{}: {} values committed, {} computed",
                path.display(),
                committed.len(),
                fresh.len()
            )));
        }
        for (i, (a, b)) in committed.iter().zip(&fresh).enumerate() {
            if !close(*a, *b) {
                return Err(Error::Check(format!(
                    "{}: value {i} (row-major) is {a} committed but {b} computed",
                    path.display()
                )));
            }
        }
    }
    Ok(())
}

fn close(a: f64, b: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    (a - b).abs() <= RELATIVE_TOLERANCE * a.abs().max(b.abs()) + 1e-12
}

/// Returns the first path where `a` and `b` differ, as a sentence.
fn first_difference(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (key, value) in x {
                if VOLATILE_KEYS.contains(&key.as_str()) {
                    continue;
                }
                let here = format!("{at}/{key}");
                match y.get(key) {
                    Some(other) => {
                        if let Some(d) = first_difference(value, other, &here) {
                            return Some(d);
                        }
                    }
                    None => return Some(format!("{here} is committed but no longer computed")),
                }
            }
            y.keys()
                .find(|k| !x.contains_key(*k) && !VOLATILE_KEYS.contains(&k.as_str()))
                .map(|k| format!("{at}/{k} is computed but not committed"))
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Some(format!(
                    "{at} has {} entries committed, {} computed",
                    x.len(),
                    y.len()
                ));
            }
            x.iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (p, q))| first_difference(p, q, &format!("{at}/{i}")))
        }
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
            (!close(x, y)).then(|| format!("{at} is {x} committed but {y} computed"))
        }
        _ => (a != b).then(|| format!("{at} is {a} committed but {b} computed")),
    }
}

fn read_numbers(path: &Path) -> Result<Vec<f64>> {
    let check_error = |message: String| Error::Check(format!("{}: {message}", path.display()));
    let mut reader = csv::Reader::from_path(path).map_err(|e| check_error(e.to_string()))?;
    let mut values = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| check_error(e.to_string()))?;
        for cell in record.iter().skip(1) {
            values.push(
                cell.parse::<f64>()
                    .map_err(|_| check_error(format!("{cell:?} is not a number")))?,
            );
        }
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_within_tolerance_match() {
        let a = json!({"x": 1.0, "timings": {"fit_seconds": 3.0}, "list": [1.0, "a"]});
        let b = json!({"x": 1.0 + 1e-9, "timings": {"fit_seconds": 9.0}, "list": [1.0, "a"]});
        assert_eq!(first_difference(&a, &b, ""), None);
    }

    #[test]
    fn changed_number_is_named() {
        let a = json!({"models": [{"rmse": 0.5}]});
        let b = json!({"models": [{"rmse": 0.6}]});
        let d = first_difference(&a, &b, "").unwrap();
        assert!(d.contains("/models/0/rmse is 0.5 committed but 0.6 computed"), "{d}");
    }

    #[test]
    fn null_matches_only_null() {
        assert_eq!(first_difference(&json!({"r2": null}), &json!({"r2": null}), ""), None);
        assert!(first_difference(&json!({"r2": null}), &json!({"r2": 0.1}), "").is_some());
    }
}
