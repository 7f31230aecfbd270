//! Regression metrics with scikit-learn's definitions, per target and across targets.

use ndarray::{ArrayView1, ArrayView2};
use serde::Serialize;

/// A per-target error measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Root mean squared error.
    Rmse,
    /// Mean absolute error.
    Mae,
    /// Coefficient of determination, 1 − SS_res / SS_tot with SS_tot around the mean of
    /// the scored rows.
    R2,
    /// Largest absolute error over the scored rows.
    MaxError,
}

impl Metric {
    pub const ALL: [Metric; 4] = [Metric::Rmse, Metric::Mae, Metric::R2, Metric::MaxError];

    pub fn name(self) -> &'static str {
        match self {
            Metric::Rmse => "rmse",
            Metric::Mae => "mae",
            Metric::R2 => "r2",
            Metric::MaxError => "max_error",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Metric::Rmse => "RMSE",
            Metric::Mae => "MAE",
            Metric::R2 => "R²",
            Metric::MaxError => "max abs error",
        }
    }

    pub fn higher_is_better(self) -> bool {
        self == Metric::R2
    }
}

/// The reason R² of a target is NaN.
pub const R2_UNDEFINED: &str = "R² undefined: target constant on the test rows";

/// Scores of one target on the test rows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TargetScores {
    pub rmse: f64,
    pub mae: f64,
    /// NaN when the target is constant on the scored rows, where R² is undefined.
    pub r2: f64,
    pub max_error: f64,
}

impl TargetScores {
    pub fn get(&self, metric: Metric) -> f64 {
        match metric {
            Metric::Rmse => self.rmse,
            Metric::Mae => self.mae,
            Metric::R2 => self.r2,
            Metric::MaxError => self.max_error,
        }
    }
}

/// Scores one target. Both views must have the same, non-zero length.
pub fn score_target(actual: ArrayView1<f64>, predicted: ArrayView1<f64>) -> TargetScores {
    assert_eq!(actual.len(), predicted.len(), "actual and predicted lengths differ");
    assert!(!actual.is_empty(), "no rows to score");
    let n = actual.len() as f64;
    let mut sum_sq = 0.0;
    let mut sum_abs = 0.0;
    let mut max_abs: f64 = 0.0;
    for (a, p) in actual.iter().zip(predicted.iter()) {
        let e = a - p;
        sum_sq += e * e;
        sum_abs += e.abs();
        max_abs = max_abs.max(e.abs());
    }
    TargetScores {
        rmse: (sum_sq / n).sqrt(),
        mae: sum_abs / n,
        r2: r2(actual, sum_sq),
        max_error: max_abs,
    }
}

fn r2(actual: ArrayView1<f64>, ss_res: f64) -> f64 {
    let first = actual[0];
    if actual.iter().all(|&a| a == first) {
        return f64::NAN;
    }
    let mean = actual.sum() / actual.len() as f64;
    let ss_tot: f64 = actual.iter().map(|a| (a - mean) * (a - mean)).sum();
    1.0 - ss_res / ss_tot
}

/// Scores every target: column j of `actual` against column j of `predicted`.
pub fn score_targets(actual: ArrayView2<f64>, predicted: ArrayView2<f64>) -> Vec<TargetScores> {
    assert_eq!(actual.dim(), predicted.dim(), "actual and predicted shapes differ");
    actual.columns().into_iter().zip(predicted.columns()).map(|(a, p)| score_target(a, p)).collect()
}

/// A metric summarized across targets, each target weighing the same.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Aggregate {
    /// Arithmetic mean over the targets where the metric is defined.
    pub mean: f64,
    /// Median over the same targets.
    pub median: f64,
    /// The worst target: the largest error, or the smallest R².
    pub worst: f64,
    /// Targets where the metric is defined; the others (R² of a constant target) are
    /// left out of the three summaries.
    pub n_defined: usize,
    pub n_targets: usize,
}

/// Summarizes `values`, one per target, leaving NaN values out. With no defined value
/// every summary is NaN.
pub fn aggregate(values: &[f64], metric: Metric) -> Aggregate {
    let mut defined: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    defined.sort_by(f64::total_cmp);
    let n = defined.len();
    if n == 0 {
        return Aggregate {
            mean: f64::NAN,
            median: f64::NAN,
            worst: f64::NAN,
            n_defined: 0,
            n_targets: values.len(),
        };
    }
    let mean = defined.iter().sum::<f64>() / n as f64;
    let median =
        if n % 2 == 1 { defined[n / 2] } else { (defined[n / 2 - 1] + defined[n / 2]) / 2.0 };
    let worst = if metric.higher_is_better() { defined[0] } else { defined[n - 1] };
    Aggregate { mean, median, worst, n_defined: n, n_targets: values.len() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array1};
    use proptest::prelude::*;

    #[test]
    fn known_values() {
        let s = score_target(array![3.0, -0.5, 2.0, 7.0].view(), array![2.5, 0.0, 2.0, 8.0].view());
        // scikit-learn 1.x: mean_squared_error = 0.375, mean_absolute_error = 0.5,
        // r2_score = 0.9486081370449679, max_error = 1.0 on these vectors.
        assert!((s.rmse - 0.375f64.sqrt()).abs() < 1e-15);
        assert!((s.mae - 0.5).abs() < 1e-15);
        assert!((s.r2 - 0.9486081370449679).abs() < 1e-15);
        assert_eq!(s.max_error, 1.0);
    }

    #[test]
    fn constant_target_has_undefined_r2() {
        let s = score_target(array![2.0, 2.0, 2.0].view(), array![2.0, 2.1, 1.9].view());
        assert!(s.r2.is_nan());
        assert!(s.rmse > 0.0);
    }

    #[test]
    fn aggregate_leaves_out_nan_and_labels_count() {
        let a = aggregate(&[0.5, f64::NAN, 0.9, 0.1], Metric::R2);
        assert_eq!(a.n_defined, 3);
        assert_eq!(a.n_targets, 4);
        assert!((a.mean - 0.5).abs() < 1e-15);
        assert_eq!(a.median, 0.5);
        assert_eq!(a.worst, 0.1);
        let e = aggregate(&[1.0, 4.0, 2.0, 3.0], Metric::Rmse);
        assert_eq!(e.median, 2.5);
        assert_eq!(e.worst, 4.0);
    }

    fn vectors() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
        (2usize..40).prop_flat_map(|n| {
            (prop::collection::vec(-1e3f64..1e3, n), prop::collection::vec(-1e3f64..1e3, n))
        })
    }

    proptest! {
        #[test]
        fn errors_are_non_negative((a, p) in vectors()) {
            let s = score_target(Array1::from(a).view(), Array1::from(p).view());
            prop_assert!(s.rmse >= 0.0);
            prop_assert!(s.mae >= 0.0);
            prop_assert!(s.max_error >= 0.0);
            prop_assert!(s.mae <= s.rmse * (1.0 + 1e-12));
            prop_assert!(s.rmse <= s.max_error * (1.0 + 1e-12));
        }

        #[test]
        fn perfect_prediction_scores_one((a, _) in vectors()) {
            prop_assume!(a.iter().any(|v| *v != a[0]));
            let a = Array1::from(a);
            let s = score_target(a.view(), a.view());
            prop_assert_eq!(s.rmse, 0.0);
            prop_assert_eq!(s.r2, 1.0);
        }

        #[test]
        fn mean_prediction_scores_zero_r2((a, _) in vectors()) {
            prop_assume!(a.iter().any(|v| *v != a[0]));
            let a = Array1::from(a);
            let mean = Array1::from_elem(a.len(), a.mean().unwrap());
            let s = score_target(a.view(), mean.view());
            prop_assert!(s.r2.abs() < 1e-9, "r2 {}", s.r2);
        }

        #[test]
        fn row_order_does_not_matter((a, p) in vectors(), seed in any::<u64>()) {
            use rand::{seq::SliceRandom, SeedableRng};
            let mut order: Vec<usize> = (0..a.len()).collect();
            order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
            let before = score_target(Array1::from(a.clone()).view(), Array1::from(p.clone()).view());
            let a2: Array1<f64> = order.iter().map(|&i| a[i]).collect();
            let p2: Array1<f64> = order.iter().map(|&i| p[i]).collect();
            let after = score_target(a2.view(), p2.view());
            for metric in Metric::ALL {
                let (x, y) = (before.get(metric), after.get(metric));
                prop_assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0) || (x.is_nan() && y.is_nan()),
                    "{} changed from {} to {}", metric.name(), x, y);
            }
        }
    }
}
