//! Baselines that tune their own hyperparameter on the training rows they are given.
//!
//! Each model here is a [`crate::models::Regressor`] whose `fit` searches a grid with an
//! inner validation on its training rows only (leave-one-out for ridge-cv, seeded k-fold
//! for pls-cv, elastic-net-cv and dense-nn-cv), then refits on all of them with the chosen value. So
//! when the runner passes one outer fold's training rows, the search is nested inside
//! that fold. The chosen value and its validation error are reported by `fit_notes`.
//!
//! Every search minimizes one score for all targets: the mean over targets of the
//! validation mean squared error, in the targets' own units. ridge-cv can instead choose
//! one alpha per target.

pub mod dense_nn_cv;
pub mod elastic_net_cv;
mod folds;
pub mod pls_cv;
pub mod ridge_cv;

pub use self::dense_nn_cv::{DenseNetCv, DenseNetCvParams};
pub use self::elastic_net_cv::{ElasticNetCv, ElasticNetCvParams};
pub use self::pls_cv::{PlsCv, PlsCvParams};
pub use self::ridge_cv::{RidgeCv, RidgeCvParams};

/// Returns `count` values from `low` to `high`, both included, evenly spaced on a log
/// scale. Needs 0 < `low`, `low` < `high` and `count` ≥ 2.
pub(crate) fn log_grid(low: f64, high: f64, count: usize) -> Vec<f64> {
    // Working with logarithms keeps every step finite where high / low would overflow, as
    // for 1e-160 to 1e160. The ends are set exactly.
    let (log_low, log_high) = (low.ln(), high.ln());
    let step = (log_high - log_low) / (count - 1) as f64;
    let mut grid: Vec<f64> = (0..count).map(|i| (log_low + step * i as f64).exp()).collect();
    grid[0] = low;
    grid[count - 1] = high;
    grid
}

/// Formats a grid value for notes and settings, rounded to six significant digits.
fn format_value(value: f64) -> String {
    let rounded: f64 = format!("{value:.5e}").parse().unwrap_or(value);
    rounded.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_grid_includes_both_ends() {
        let grid = log_grid(1e-4, 1e4, 25);
        assert_eq!(grid.len(), 25);
        assert!((grid[0] - 1e-4).abs() < 1e-18);
        assert!((grid[24] - 1e4).abs() < 1e-9);
        assert!((grid[12] - 1.0).abs() < 1e-12, "{}", grid[12]);
        assert!(grid.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn log_grid_spans_wide_ranges() {
        let grid = log_grid(1e-160, 1e160, 5);
        assert!(grid.iter().all(|v| v.is_finite() && *v > 0.0), "{grid:?}");
        assert!((grid[2] - 1.0).abs() < 1e-9, "{}", grid[2]);
        assert!((grid[4] / 1e160 - 1.0).abs() < 1e-9, "{}", grid[4]);
    }

    #[test]
    fn values_keep_six_digits() {
        assert_eq!(format_value(0.1), "0.1");
        assert_eq!(format_value(1.0 / 3.0), "0.333333");
        assert_eq!(format_value(31622.776601683792), "31622.8");
        assert_eq!(format_value(1e-4), "0.0001");
    }
}
