//! Seeded k-fold splits of the training rows for inner cross-validation.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::models::ModelError;

/// One fold: the rows to fit on and the rows to validate on, each in increasing order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fold {
    pub train: Vec<usize>,
    pub validation: Vec<usize>,
}

/// Splits `n_rows` training rows into inner folds for `model`: `n_folds` of them, capped
/// at the number of rows, shuffled with `seed`.
///
/// # Errors
///
/// Returns [`ModelError::Shape`] for fewer than 3 rows, which leave an inner fold too
/// small to fit on.
pub(crate) fn inner_folds(
    model: &str,
    n_rows: usize,
    n_folds: usize,
    seed: u64,
) -> Result<Vec<Fold>, ModelError> {
    if n_rows < 3 {
        return Err(ModelError::Shape(format!(
            "{model} needs at least 3 training rows for inner cross-validation, got {n_rows}"
        )));
    }
    Ok(k_fold(n_rows, n_folds.min(n_rows), seed))
}

/// Splits rows 0..`n_rows` into `n_folds` folds after a shuffle seeded with `seed`.
///
/// Every row is validated in exactly one fold, and fold sizes differ by at most one. Needs
/// 2 ≤ `n_folds` ≤ `n_rows`.
pub(crate) fn k_fold(n_rows: usize, n_folds: usize, seed: u64) -> Vec<Fold> {
    let mut order: Vec<usize> = (0..n_rows).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    (0..n_folds)
        .map(|fold| {
            let start = fold * n_rows / n_folds;
            let end = (fold + 1) * n_rows / n_folds;
            let mut validation = order[start..end].to_vec();
            validation.sort_unstable();
            let mut train: Vec<usize> =
                order[..start].iter().chain(&order[end..]).copied().collect();
            train.sort_unstable();
            Fold { train, validation }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_validated_once() {
        for (n, k) in [(60, 5), (7, 3), (10, 10), (2, 2)] {
            let folds = k_fold(n, k, 3);
            assert_eq!(folds.len(), k);
            let mut seen = vec![0; n];
            for fold in &folds {
                for &row in &fold.validation {
                    seen[row] += 1;
                }
                assert_eq!(fold.train.len() + fold.validation.len(), n);
                assert!(fold.validation.iter().all(|row| !fold.train.contains(row)));
            }
            assert!(seen.iter().all(|&count| count == 1), "n = {n}, k = {k}: {seen:?}");
            let sizes: Vec<usize> = folds.iter().map(|f| f.validation.len()).collect();
            let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(max - min <= 1, "n = {n}, k = {k}: {sizes:?}");
        }
    }

    #[test]
    fn seed_decides_the_split() {
        assert_eq!(k_fold(30, 5, 1), k_fold(30, 5, 1));
        assert_ne!(k_fold(30, 5, 1), k_fold(30, 5, 2));
    }
}
