//! Folds for k-fold and repeated k-fold cross-validation of the training rows.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::split::MIN_ROWS_PER_SIDE;

/// One fold: rows to fit on and rows to score, as indices into the data set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fold {
    /// 1-based repeat number.
    pub repeat: usize,
    /// 1-based fold number within the repeat.
    pub fold: usize,
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

impl Fold {
    /// Returns a label such as `r1f3` for metrics.csv and logs.
    pub fn label(&self) -> String {
        format!("r{}f{}", self.repeat, self.fold)
    }
}

/// Largest number of repeats: far more than resampling needs, so that a mistyped count
/// fails at once instead of running for hours or exhausting memory.
const MAX_REPEATS: usize = 1000;

/// Splits `rows` into `k` folds, `repeats` times, each repeat with a fresh shuffle.
///
/// Repeat r shuffles with a ChaCha8 generator seeded by `seed + r − 1`, so repeat 1 of
/// a run with 3 repeats equals the only repeat of a run with 1. Fold sizes differ by at
/// most one row, and within a repeat every row is scored exactly once.
pub fn k_fold(rows: &[usize], k: usize, repeats: usize, seed: u64) -> Result<Vec<Fold>> {
    if k < 2 {
        return Err(Error::Usage(format!("invalid --cv {k}: expected at least 2 folds")));
    }
    if repeats < 1 {
        return Err(Error::Usage("invalid --repeats 0: expected at least 1".into()));
    }
    if repeats > MAX_REPEATS {
        return Err(Error::Usage(format!(
            "invalid --repeats {repeats}: expected at most {MAX_REPEATS}, because each repeat \
             refits every model K times"
        )));
    }
    if rows.len() / k < MIN_ROWS_PER_SIDE {
        return Err(Error::Usage(format!(
            "--cv {k} on {} training rows leaves folds of fewer than {MIN_ROWS_PER_SIDE} rows; use fewer folds",
            rows.len()
        )));
    }
    let mut folds = Vec::with_capacity(k * repeats);
    for repeat in 1..=repeats {
        let mut order = rows.to_vec();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed.wrapping_add(repeat as u64 - 1)));
        let (base, extra) = (order.len() / k, order.len() % k);
        let mut start = 0;
        for fold in 1..=k {
            let size = base + usize::from(fold <= extra);
            let mut test = order[start..start + size].to_vec();
            let mut train: Vec<usize> =
                order[..start].iter().chain(&order[start + size..]).copied().collect();
            test.sort_unstable();
            train.sort_unstable();
            folds.push(Fold { repeat, fold, train, test });
            start += size;
        }
    }
    Ok(folds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn every_row_scored_once_per_repeat(n in 10usize..200, k in 2usize..6, repeats in 1usize..4, seed in any::<u64>()) {
            let rows: Vec<usize> = (0..n).map(|i| i * 2 + 1).collect();
            let folds = k_fold(&rows, k, repeats, seed).unwrap();
            prop_assert_eq!(folds.len(), k * repeats);
            for r in 1..=repeats {
                let mut scored: Vec<usize> = folds.iter().filter(|f| f.repeat == r).flat_map(|f| f.test.clone()).collect();
                scored.sort_unstable();
                prop_assert_eq!(&scored, &rows);
            }
            for f in &folds {
                prop_assert!(f.train.iter().all(|i| !f.test.contains(i)), "row on both sides");
                prop_assert_eq!(f.train.len() + f.test.len(), n);
                prop_assert!(f.test.len() == n / k || f.test.len() == n / k + 1);
            }
        }
    }

    #[test]
    fn repeats_shuffle_differently_and_reproducibly() {
        let rows: Vec<usize> = (0..30).collect();
        let a = k_fold(&rows, 5, 2, 9).unwrap();
        assert_eq!(a, k_fold(&rows, 5, 2, 9).unwrap());
        assert_ne!(a[0].test, a[5].test);
        assert_eq!(k_fold(&rows, 5, 1, 9).unwrap()[..], a[..5]);
    }

    #[test]
    fn too_many_folds_is_rejected() {
        let rows: Vec<usize> = (0..7).collect();
        let message = k_fold(&rows, 4, 1, 0).unwrap_err().to_string();
        assert!(message.contains("fewer than 2 rows"), "{message}");
        assert!(k_fold(&rows, 1, 1, 0).is_err());
    }
}
