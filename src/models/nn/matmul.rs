//! Matrix products of the training step, split into column blocks that run in parallel.
//!
//! The network's products are small: a batch of 32 rows against kernels of tens to
//! thousands of columns. On the lab data's shapes, matrixmultiply's own threads spent
//! more time waking each other than multiplying. Here each product runs single-threaded in the `gemm` crate, and the work is
//! split at a coarser grain, into blocks of output columns that rayon runs in parallel.
//!
//! The blocks depend only on the shapes, never on the number of threads, and every
//! output element is computed by one block from whole rows and columns of the
//! operands. So the results are bit-identical whether the blocks run on one thread or
//! many.

use std::ops::Range;

use ndarray::{ArrayView2, ArrayViewMut2, Axis};
use rayon::prelude::*;

use super::network::Float;

/// Most column blocks one product is split into, enough to keep a few cores busy.
const MAX_BLOCKS: usize = 4;

/// Minimum columns in a block, because narrower products waste most of a GEMM micro-kernel.
const MIN_BLOCK_COLUMNS: usize = 16;

/// Multiply-adds below which a product runs its blocks on the calling thread, because
/// handing them to rayon would cost more than it saves.
const PARALLEL_WORK: usize = 1 << 20;

/// Returns the width of the column blocks for an output of `columns` columns.
pub fn block_width(columns: usize) -> usize {
    let blocks = (columns / MIN_BLOCK_COLUMNS).clamp(1, MAX_BLOCKS);
    columns.div_ceil(blocks).max(1)
}

/// Returns whether a product of `work` multiply-adds should run its blocks in parallel.
pub fn is_parallel(work: usize) -> bool {
    work >= PARALLEL_WORK
}

/// Computes `c = a · b` on one thread. Transposed operands are views with swapped
/// strides, such as `x.t()`.
///
/// # Panics
///
/// When the shapes do not conform.
pub fn matmul<T: Float>(mut c: ArrayViewMut2<T>, a: ArrayView2<T>, b: ArrayView2<T>) {
    let (m, k) = a.dim();
    let n = b.ncols();
    assert_eq!(b.nrows(), k, "inner dimensions differ");
    assert_eq!(c.dim(), (m, n), "output shape differs");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c.fill(T::ZERO);
        return;
    }
    let (c_row, c_col) = (c.strides()[0], c.strides()[1]);
    let (a_row, a_col) = (a.strides()[0], a.strides()[1]);
    let (b_row, b_col) = (b.strides()[0], b.strides()[1]);
    // SAFETY: the pointers and strides come from views of exactly the shapes passed, so
    // every element gemm reads or writes lies inside them. `c` is a mutable view, so it
    // cannot overlap `a` or `b`, which are borrowed shared for the call. With `read_dst`
    // false, gemm overwrites `c` without reading it, and `Parallelism::None` keeps the
    // call on this thread.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            c_col,
            c_row,
            false,
            a.as_ptr(),
            a_col,
            a_row,
            b.as_ptr(),
            b_col,
            b_row,
            T::ZERO,
            T::ONE,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// Splits `c` into column blocks of [`block_width`] and calls `block` with each block's
/// column range and view, in parallel when `work` multiply-adds make it worthwhile.
pub fn for_column_blocks<T, F>(mut c: ArrayViewMut2<T>, work: usize, block: F)
where
    T: Float,
    F: Fn(Range<usize>, ArrayViewMut2<T>) + Sync + Send,
{
    let width = block_width(c.ncols());
    let chunks = c.axis_chunks_iter_mut(Axis(1), width);
    let with_range = |(index, chunk): (usize, ArrayViewMut2<T>)| {
        let start = index * width;
        block(start..start + chunk.ncols(), chunk)
    };
    if is_parallel(work) {
        chunks.into_par_iter().enumerate().for_each(with_range);
    } else {
        chunks.enumerate().for_each(with_range);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn matrix(rows: usize, cols: usize, seed: usize) -> Array2<f64> {
        Array2::from_shape_fn((rows, cols), |(i, j)| ((i * 31 + j * 17 + seed) % 23) as f64 - 11.0)
    }

    #[test]
    fn matmul_matches_ndarray_dot() {
        // Integer-valued entries keep every sum exact, so the results must be equal.
        let a = matrix(7, 5, 1);
        let b = matrix(5, 9, 2);
        let mut c = Array2::from_elem((7, 9), f64::NAN);
        matmul(c.view_mut(), a.view(), b.view());
        assert_eq!(c, a.dot(&b));
    }

    #[test]
    fn matmul_reads_transposed_views() {
        let a = matrix(5, 7, 3);
        let b = matrix(9, 5, 4);
        let mut c = Array2::zeros((7, 9));
        matmul(c.view_mut(), a.t(), b.t());
        assert_eq!(c, a.t().dot(&b.t()));
    }

    #[test]
    fn matmul_writes_into_a_slice() {
        let a = matrix(4, 3, 5);
        let b = matrix(3, 6, 6);
        let mut c = Array2::from_elem((6, 6), -1.0);
        matmul(c.slice_mut(ndarray::s![1..5, ..]), a.view(), b.view());
        assert_eq!(c.slice(ndarray::s![1..5, ..]), a.dot(&b));
        assert!(c.row(0).iter().chain(c.row(5)).all(|&v| v == -1.0));
    }

    #[test]
    fn empty_inner_dimension_gives_zeros() {
        let mut c = Array2::from_elem((2, 3), 5.0);
        matmul(c.view_mut(), Array2::<f64>::zeros((2, 0)).view(), Array2::zeros((0, 3)).view());
        assert!(c.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn blocks_cover_every_column_once() {
        for columns in [1, 3, 16, 31, 64, 100, 1400] {
            let width = block_width(columns);
            let blocks = columns.div_ceil(width);
            assert!((1..=MAX_BLOCKS).contains(&blocks), "{columns} columns in {blocks} blocks");
            for work in [0, PARALLEL_WORK] {
                let mut c = Array2::<f64>::zeros((2, columns));
                for_column_blocks(c.view_mut(), work, |range, mut block| {
                    assert_eq!(range.len(), block.ncols());
                    for (offset, mut column) in block.columns_mut().into_iter().enumerate() {
                        column += (range.start + offset) as f64 + 1.0;
                    }
                });
                let expected = Array2::from_shape_fn((2, columns), |(_, j)| j as f64 + 1.0);
                assert_eq!(c, expected, "{columns} columns, work {work}");
            }
        }
    }
}
