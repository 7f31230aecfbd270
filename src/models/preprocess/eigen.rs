//! Symmetric eigendecomposition, shared by principal components and ridge-cv.

use linfa_linalg::eigh::Eigh;
use ndarray::{Array1, Array2, ArrayView2};

use crate::models::ModelError;

/// Returns the eigenvalues of the symmetric matrix `a` in decreasing order and the
/// matching unit eigenvectors as the columns of the second matrix.
///
/// The solver is linfa-linalg 0.2's implicit symmetric QR (Householder reduction to
/// tridiagonal form, then Wilkinson-shifted Givens sweeps), which costs O(n³) for n × n.
/// Non-finite entries are rejected first, because its 2 × 2 step unwraps a value that
/// NaN makes missing.
pub(crate) fn symmetric_eigen(
    a: ArrayView2<f64>,
) -> Result<(Array1<f64>, Array2<f64>), ModelError> {
    if a.nrows() != a.ncols() {
        return Err(ModelError::Shape(format!(
            "eigendecomposition needs a square matrix, got {} × {}",
            a.nrows(),
            a.ncols()
        )));
    }
    if a.iter().any(|v| !v.is_finite()) {
        return Err(ModelError::Numerical(
            "matrix for the eigendecomposition has non-finite entries".into(),
        ));
    }
    let (values, vectors) =
        a.eigh().map_err(|e| ModelError::Numerical(format!("eigendecomposition failed: {e}")))?;
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&i, &j| values[j].total_cmp(&values[i]).then(i.cmp(&j)));
    let sorted_values = Array1::from_iter(order.iter().map(|&i| values[i]));
    let mut sorted_vectors = Array2::zeros(vectors.dim());
    for (column, &i) in order.iter().enumerate() {
        sorted_vectors.column_mut(column).assign(&vectors.column(i));
    }
    Ok((sorted_values, sorted_vectors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Returns the Gram matrix XXᵀ of `n` random rows whose columns have scales from 1 down
    /// to 1e-6, so that the eigenvalues span about twelve orders of magnitude.
    fn ill_conditioned_gram(n: usize, p: usize, seed: u64) -> Array2<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x = Array2::from_shape_fn((n, p), |(_, j)| {
            rng.gen_range(-1.0..1.0) * 10f64.powf(-6.0 * j as f64 / p as f64)
        });
        x.dot(&x.t())
    }

    #[test]
    fn reconstructs_ill_conditioned_gram() {
        for (n, p) in [(60, 700), (40, 10), (1, 3)] {
            let a = ill_conditioned_gram(n, p, n as u64);
            let (values, vectors) = symmetric_eigen(a.view()).unwrap();
            let largest = values[0];
            let residual = a.dot(&vectors) - &vectors * &values;
            let worst = residual.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            assert!(worst <= 1e-13 * largest, "n = {n}: residual {worst:e}, λ₁ = {largest:e}");
            let gram = vectors.t().dot(&vectors) - Array2::<f64>::eye(n);
            let worst = gram.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            assert!(worst <= 1e-12, "n = {n}: eigenvectors off orthonormal by {worst:e}");
        }
    }

    #[test]
    fn values_are_decreasing() {
        let a = array![[1.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 2.0]];
        let (values, vectors) = symmetric_eigen(a.view()).unwrap();
        assert_eq!(values.to_vec(), vec![3.0, 2.0, 1.0]);
        assert_eq!(vectors.column(0).mapv(f64::abs).to_vec(), vec![0.0, 1.0, 0.0]);
    }

    #[test]
    fn nan_is_rejected() {
        let a = array![[1.0, f64::NAN], [f64::NAN, 1.0]];
        assert!(matches!(symmetric_eigen(a.view()), Err(ModelError::Numerical(_))));
    }
}
