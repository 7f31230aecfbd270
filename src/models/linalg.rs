//! Dense linear algebra the closed-form models need.

use ndarray::{Array2, ArrayView2};

use super::ModelError;

/// Solves `a · x = b` for a symmetric positive definite `a` by Cholesky factorization.
///
/// `b` may have many columns, which share one factorization. Costs O(n³ + n² · k) for
/// an n × n system with k right-hand sides.
pub fn solve_spd(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Result<Array2<f64>, ModelError> {
    let n = a.nrows();
    let mut l = a.to_owned();
    for j in 0..n {
        let mut d = l[[j, j]];
        for k in 0..j {
            d -= l[[j, k]] * l[[j, k]];
        }
        if !d.is_finite() || d <= 0.0 {
            return Err(ModelError::Numerical(format!(
                "matrix is not positive definite (pivot {j} is {d:e}); use a larger penalty"
            )));
        }
        let d = d.sqrt();
        l[[j, j]] = d;
        for i in (j + 1)..n {
            let mut s = l[[i, j]];
            for k in 0..j {
                s -= l[[i, k]] * l[[j, k]];
            }
            l[[i, j]] = s / d;
        }
    }

    // Forward then backward substitution, all right-hand sides at once.
    let mut x = b.to_owned();
    for i in 0..n {
        for k in 0..i {
            let lik = l[[i, k]];
            let (head, mut tail) = x.view_mut().split_at(ndarray::Axis(0), i);
            tail.row_mut(0).scaled_add(-lik, &head.row(k));
        }
        let lii = l[[i, i]];
        x.row_mut(i).mapv_inplace(|v| v / lii);
    }
    for i in (0..n).rev() {
        for k in (i + 1)..n {
            let lki = l[[k, i]];
            let (mut head, tail) = x.view_mut().split_at(ndarray::Axis(0), i + 1);
            head.row_mut(i).scaled_add(-lki, &tail.row(k - i - 1));
        }
        let lii = l[[i, i]];
        x.row_mut(i).mapv_inplace(|v| v / lii);
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn solve_spd_matches_known_solution() {
        let a = array![[4.0, 2.0, 0.6], [2.0, 5.0, 1.0], [0.6, 1.0, 3.0]];
        let x_true = array![[1.0, -2.0], [0.5, 3.0], [-1.5, 0.25]];
        let b = a.dot(&x_true);
        let x = solve_spd(a.view(), b.view()).unwrap();
        for (got, want) in x.iter().zip(x_true.iter()) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
    }

    #[test]
    fn solve_spd_rejects_singular() {
        let a = array![[1.0, 1.0], [1.0, 1.0]];
        let b = array![[1.0], [1.0]];
        assert!(matches!(solve_spd(a.view(), b.view()), Err(ModelError::Numerical(_))));
    }
}
