//! Dense linear algebra the closed-form models need, on faer 0.24's blocked SIMD kernels
//! over ndarray storage.

use std::ops::Range;

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::linalg::solvers::Solve;
use faer::{Accum, MatMut, MatRef, Par, Side};
use ndarray::{s, Array2, ArrayView2, ArrayViewMut2};
use rayon::prelude::*;

use super::ModelError;

/// Views an ndarray matrix as a faer matrix, without copying.
fn faer_ref(a: ArrayView2<'_, f64>) -> MatRef<'_, f64> {
    let (rows, cols) = a.dim();
    let (row_stride, col_stride) = (a.strides()[0], a.strides()[1]);
    // SAFETY: the view borrows its elements for the returned lifetime, every index inside
    // its shape addresses an initialized element of one allocation, and a shared view
    // rules out writes while it lives.
    unsafe { MatRef::from_raw_parts(a.as_ptr(), rows, cols, row_stride, col_stride) }
}

/// Views a mutable ndarray matrix as a mutable faer matrix, without copying.
fn faer_mut(mut a: ArrayViewMut2<'_, f64>) -> MatMut<'_, f64> {
    let (rows, cols) = a.dim();
    let (row_stride, col_stride) = (a.strides()[0], a.strides()[1]);
    // SAFETY: as in `faer_ref`, and the exclusive borrow rules out any other access.
    // ndarray's mutable views never alias two indices to one element.
    unsafe { MatMut::from_raw_parts_mut(a.as_mut_ptr(), rows, cols, row_stride, col_stride) }
}

/// Returns the Gram matrix aᵀa of the columns of `a`. Pass `a.t()` for the Gram matrix
/// of the rows, aaᵀ.
pub fn gram(a: ArrayView2<f64>) -> Array2<f64> {
    let cols = a.ncols();
    let mut product = sum_over_row_blocks(a.nrows(), cols * cols / 2, (cols, cols), |rows, sum| {
        add_lower_gram(sum.view_mut(), a.slice(s![rows, ..]));
    });
    mirror_lower(&mut product);
    product
}

/// Splits rows `0..n_rows` into one contiguous range per rayon thread, runs `add_block`
/// on each range with a zeroed accumulator of shape `dim`, and returns the sum of the
/// accumulators. Small jobs, below `PARALLEL_MULTIPLY_ADDS` with `work_per_row`
/// multiply-adds per row, run as one range on the calling thread.
///
/// faer's own multithreaded product synchronizes its threads with spinning barriers,
/// which measured slower than one thread whenever other processes kept the 2 cores of
/// the benchmark machine busy. Separate ranges need no synchronization until the sum.
pub fn sum_over_row_blocks(
    n_rows: usize,
    work_per_row: usize,
    dim: (usize, usize),
    add_block: impl Fn(Range<usize>, &mut Array2<f64>) + Sync,
) -> Array2<f64> {
    let threads = rayon::current_num_threads();
    if threads < 2 || n_rows < 2 || n_rows * work_per_row < PARALLEL_MULTIPLY_ADDS {
        let mut sum = Array2::zeros(dim);
        add_block(0..n_rows, &mut sum);
        return sum;
    }
    let block = n_rows.div_ceil(threads);
    let starts: Vec<usize> = (0..n_rows).step_by(block).collect();
    starts
        .into_par_iter()
        .map(|start| {
            let mut sum = Array2::zeros(dim);
            add_block(start..(start + block).min(n_rows), &mut sum);
            sum
        })
        .reduce_with(|mut sum, part| {
            sum += &part;
            sum
        })
        .expect("at least one range, because n_rows >= 2")
}

/// Multiply-adds from which `sum_over_row_blocks` splits its work across threads. The
/// value is an estimate of where a second thread starts to save more time than it costs.
const PARALLEL_MULTIPLY_ADDS: usize = 1 << 24;

/// Adds aᵀa to the lower triangle of `sum`, on the calling thread. The strict upper
/// triangle of `sum` is left as it is.
pub fn add_lower_gram(sum: ArrayViewMut2<f64>, a: ArrayView2<f64>) {
    let a = faer_ref(a);
    triangular::matmul(
        faer_mut(sum),
        BlockStructure::TriangularLower,
        Accum::Add,
        a.transpose(),
        BlockStructure::Rectangular,
        a,
        BlockStructure::Rectangular,
        1.0,
        Par::Seq,
    );
}

/// Adds aᵀb to `sum`, on the calling thread.
pub fn add_transpose_product(sum: ArrayViewMut2<f64>, a: ArrayView2<f64>, b: ArrayView2<f64>) {
    let a = faer_ref(a).transpose();
    matmul(faer_mut(sum), Accum::Add, a, faer_ref(b), 1.0, Par::Seq);
}

/// Copies the lower triangle of a square matrix onto its upper triangle.
pub fn mirror_lower(a: &mut Array2<f64>) {
    for i in 0..a.nrows() {
        for j in (i + 1)..a.ncols() {
            a[[i, j]] = a[[j, i]];
        }
    }
}

/// Solves `a · x = b` for a symmetric positive definite `a` by Cholesky factorization.
///
/// Only the lower triangle of `a` is read. `b` may have many columns, which share one
/// factorization. Costs O(n³ + n² · k) for an n × n system with k right-hand sides.
pub fn solve_spd(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Result<Array2<f64>, ModelError> {
    let not_positive_definite = |pivot: usize| {
        ModelError::Numerical(format!(
            "matrix is not positive definite (pivot {pivot} is not a positive number); use a \
             larger penalty"
        ))
    };
    let factor = faer_ref(a).llt(Side::Lower).map_err(|error| match error {
        faer::linalg::solvers::LltError::NonPositivePivot { index } => not_positive_definite(index),
    })?;
    let mut x = b.as_standard_layout().into_owned();
    factor.solve_in_place(faer_mut(x.view_mut()));
    // An infinite pivot passes faer's positivity check but leaves NaN in the solution.
    if x.iter().any(|v| !v.is_finite()) {
        return Err(ModelError::Numerical(
            "solving the positive definite system gave non-finite values; use a larger \
             penalty or rescale the data"
                .into(),
        ));
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
    fn solve_spd_accepts_transposed_right_hand_side() {
        let a = array![[4.0, 2.0], [2.0, 5.0]];
        let x_true = array![[1.0, -2.0, 0.5], [0.5, 3.0, -1.0]];
        let b = a.dot(&x_true);
        let b_transposed = b.t().to_owned();
        let x = solve_spd(a.view(), b_transposed.t()).unwrap();
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

    #[test]
    fn solve_spd_rejects_nan() {
        let a = array![[1.0, 0.0], [0.0, f64::NAN]];
        let b = array![[1.0], [1.0]];
        assert!(matches!(solve_spd(a.view(), b.view()), Err(ModelError::Numerical(_))));
    }

    #[test]
    fn gram_matches_ndarray_product() {
        let a = array![[1.0, 2.0, 0.5], [0.0, -1.0, 2.0], [2.0, 0.3, -0.7], [1.5, 1.0, 0.0]];
        // 6,000 rows × 80 columns are enough work to be split across threads.
        let tall = Array2::from_shape_fn((6000, 80), |(i, j)| ((i * 13 + j * 7) % 19) as f64 - 9.0);
        for view in [a.view(), a.t(), tall.view()] {
            let want = view.t().dot(&view);
            let got = gram(view);
            assert_eq!(got.dim(), want.dim());
            for (g, w) in got.iter().zip(want.iter()) {
                assert!((g - w).abs() < 1e-12, "{g} vs {w}");
            }
        }
    }
}
