//! The train/test split, computed once so every model gets the same rows.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::data::{Dataset, SplitLabel};
use crate::error::{Error, Result};

/// Minimum rows on either side of a split, because fewer leave R² and the fitted
/// standard deviations undefined.
pub const MIN_ROWS_PER_SIDE: usize = 2;

/// Row indices of each side, each list ascending.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Split {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
    pub method: SplitMethod,
}

/// The method that made the split.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SplitMethod {
    /// Taken from the file's split column.
    Column { column: String },
    /// A shuffled holdout: `test_fraction` of the rows, rounded, are test rows.
    Holdout { test_fraction: f64, seed: u64 },
}

/// Splits `dataset` by its split column if it has one, else by a seeded holdout.
pub fn split(dataset: &Dataset, test_fraction: f64, seed: u64) -> Result<Split> {
    let split = match (&dataset.split_labels, &dataset.split_column) {
        (Some(labels), Some(column)) => from_labels(labels, column),
        _ => holdout(dataset.n_rows(), test_fraction, seed)?,
    };
    check_sizes(&split)?;
    Ok(split)
}

fn from_labels(labels: &[SplitLabel], column: &str) -> Split {
    let side =
        |wanted| labels.iter().enumerate().filter(|(_, l)| **l == wanted).map(|(i, _)| i).collect();
    Split {
        train: side(SplitLabel::Train),
        test: side(SplitLabel::Test),
        method: SplitMethod::Column { column: column.into() },
    }
}

/// Shuffles `0..n_rows` with a ChaCha8 generator seeded by `seed`, and takes the first
/// round(n_rows · test_fraction) as test rows.
pub fn holdout(n_rows: usize, test_fraction: f64, seed: u64) -> Result<Split> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(Error::Split(format!(
            "--test-fraction {test_fraction} is out of range; expected a number between 0 and 1, exclusive"
        )));
    }
    let mut order: Vec<usize> = (0..n_rows).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let n_test = (n_rows as f64 * test_fraction).round() as usize;
    let mut test = order[..n_test].to_vec();
    let mut train = order[n_test..].to_vec();
    test.sort_unstable();
    train.sort_unstable();
    Ok(Split { train, test, method: SplitMethod::Holdout { test_fraction, seed } })
}

fn check_sizes(split: &Split) -> Result<()> {
    if split.train.len() < MIN_ROWS_PER_SIDE || split.test.len() < MIN_ROWS_PER_SIDE {
        return Err(Error::Split(format!(
            "{} training and {} test rows; each side needs at least {MIN_ROWS_PER_SIDE} (add rows, \
             or change --test-fraction or the split column)",
            split.train.len(),
            split.test.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        #[test]
        fn holdout_partitions_rows(n in 4usize..500, fraction in 0.05f64..0.95, seed in any::<u64>()) {
            let split = holdout(n, fraction, seed).unwrap();
            let train: BTreeSet<usize> = split.train.iter().copied().collect();
            let test: BTreeSet<usize> = split.test.iter().copied().collect();
            prop_assert_eq!(train.len(), split.train.len(), "duplicate training row");
            prop_assert_eq!(test.len(), split.test.len(), "duplicate test row");
            prop_assert!(train.is_disjoint(&test));
            let union: BTreeSet<usize> = train.union(&test).copied().collect();
            prop_assert_eq!(union, (0..n).collect::<BTreeSet<_>>());
            prop_assert_eq!(split.test.len(), (n as f64 * fraction).round() as usize);
        }
    }

    #[test]
    fn holdout_is_seeded() {
        assert_eq!(holdout(50, 0.25, 7).unwrap(), holdout(50, 0.25, 7).unwrap());
        assert_ne!(holdout(50, 0.25, 7).unwrap().test, holdout(50, 0.25, 8).unwrap().test);
    }

    #[test]
    fn labels_split_by_side() {
        use SplitLabel::*;
        let split = from_labels(&[Train, Test, Train, Test, Train], "set");
        assert_eq!(split.train, vec![0, 2, 4]);
        assert_eq!(split.test, vec![1, 3]);
    }

    #[test]
    fn tiny_side_is_rejected() {
        let split = holdout(5, 0.1, 0).unwrap();
        let message = check_sizes(&split).unwrap_err().to_string();
        assert!(message.contains("4 training and 1 test rows"), "{message}");
    }

    #[test]
    fn fraction_out_of_range_is_rejected() {
        assert!(holdout(10, 1.0, 0).is_err());
        assert!(holdout(10, 0.0, 0).is_err());
        assert!(holdout(10, f64::NAN, 0).is_err());
    }
}
