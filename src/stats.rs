//! Significance tests for comparing models over resampled folds and over data sets.

use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF, StudentsT};

/// The corrected resampled t-test of Nadeau and Bengio (2003, Machine Learning 52).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CorrectedTTest {
    /// Mean of the per-fold differences.
    pub mean_difference: f64,
    /// Sample standard deviation (ddof 1) of the per-fold differences.
    pub std_difference: f64,
    pub t: f64,
    pub degrees_of_freedom: f64,
    /// Two-sided p-value; 1 when every difference is zero.
    pub p_value: f64,
}

/// Tests whether the mean of `differences` (one per fold, J = k · repeats of them) is
/// zero. The variance is inflated by n_test / n_train because the folds' training sets
/// overlap: t = d̄ / sqrt((1/J + n_test/n_train) · s²), with J − 1 degrees of freedom.
///
/// Returns None with fewer than two differences.
pub fn corrected_t_test(
    differences: &[f64],
    n_train: usize,
    n_test: usize,
) -> Option<CorrectedTTest> {
    let j = differences.len();
    if j < 2 || n_train == 0 {
        return None;
    }
    let mean = differences.iter().sum::<f64>() / j as f64;
    let variance = differences.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (j - 1) as f64;
    let df = (j - 1) as f64;
    let scale = (1.0 / j as f64 + n_test as f64 / n_train as f64) * variance;
    let (t, p_value) = if scale > 0.0 {
        let t = mean / scale.sqrt();
        let distribution = StudentsT::new(0.0, 1.0, df).ok()?;
        (t, 2.0 * distribution.cdf(-t.abs()))
    } else if mean == 0.0 {
        (0.0, 1.0)
    } else {
        (mean.signum() * f64::INFINITY, 0.0)
    };
    Some(CorrectedTTest {
        mean_difference: mean,
        std_difference: variance.sqrt(),
        t,
        degrees_of_freedom: df,
        p_value,
    })
}

/// The Friedman test over data sets (rows) and models (columns) of a score where lower
/// is better.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FriedmanTest {
    /// Mean rank of each model across data sets (1 is best), ties sharing the mean rank.
    pub mean_ranks: Vec<f64>,
    pub chi_squared: f64,
    pub degrees_of_freedom: f64,
    pub p_value: f64,
}

/// Ranks the models within each data set and tests whether their mean ranks differ.
/// Returns None with fewer than two data sets or two models.
pub fn friedman(scores: &[Vec<f64>]) -> Option<FriedmanTest> {
    let n = scores.len();
    let k = scores.first()?.len();
    if n < 2 || k < 2 || scores.iter().any(|row| row.len() != k) {
        return None;
    }
    let mut rank_sums = vec![0.0; k];
    for row in scores {
        for (model, rank) in ranks(row).into_iter().enumerate() {
            rank_sums[model] += rank;
        }
    }
    let mean_ranks: Vec<f64> = rank_sums.iter().map(|s| s / n as f64).collect();
    let (n, kf) = (n as f64, k as f64);
    let chi_squared = 12.0 * n / (kf * (kf + 1.0))
        * mean_ranks.iter().map(|r| (r - (kf + 1.0) / 2.0).powi(2)).sum::<f64>();
    let df = kf - 1.0;
    let p_value = 1.0 - ChiSquared::new(df).ok()?.cdf(chi_squared);
    Some(FriedmanTest { mean_ranks, chi_squared, degrees_of_freedom: df, p_value })
}

/// Ranks `values` ascending from 1, ties sharing their mean rank.
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut result = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &index in &order[i..=j] {
            result[index] = rank;
        }
        i = j + 1;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference from scipy 1.17: with d = [0.1, 0.3, -0.05, 0.2, 0.15], J = 5,
    /// n_train = 48, n_test = 12, t = mean / sqrt((1/5 + 12/48) · var(d, ddof=1)) and
    /// p = 2 · scipy.stats.t.sf(|t|, 4).
    #[test]
    fn corrected_t_test_matches_scipy() {
        let d = [0.1, 0.3, -0.05, 0.2, 0.15];
        let test = corrected_t_test(&d, 48, 12).unwrap();
        assert!((test.mean_difference - 0.14).abs() < 1e-15);
        assert!((test.t - 1.612554394418539).abs() < 1e-12, "t = {}", test.t);
        assert!((test.p_value - 0.1821362989237223).abs() < 1e-10, "p = {}", test.p_value);
        assert_eq!(test.degrees_of_freedom, 4.0);
    }

    #[test]
    fn identical_models_are_not_different() {
        let test = corrected_t_test(&[0.0; 6], 40, 10).unwrap();
        assert_eq!(test.p_value, 1.0);
    }

    /// Reference from scipy 1.17: scipy.stats.friedmanchisquare on the columns of this
    /// table gives statistic 6.4 and p-value 0.04076220397836611 for 5 data sets
    /// (rows) and 3 models (columns).
    #[test]
    fn friedman_matches_scipy() {
        let scores = vec![
            vec![1.0, 2.0, 3.0],
            vec![1.5, 2.5, 2.0],
            vec![0.5, 3.0, 4.0],
            vec![1.0, 2.0, 3.0],
            vec![2.0, 1.0, 3.0],
        ];
        let test = friedman(&scores).unwrap();
        assert!((test.chi_squared - 6.4).abs() < 1e-12, "chi² = {}", test.chi_squared);
        assert!((test.p_value - 0.04076220397836611).abs() < 1e-12, "p = {}", test.p_value);
        assert_eq!(test.mean_ranks, vec![1.2, 2.0, 2.8]);
    }

    #[test]
    fn ties_share_mean_rank() {
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }
}
