//! Column standardization fitted on training rows.

use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2, Axis, Zip};

/// Centers columns by their mean and divides them by their standard deviation.
///
/// A column whose standard deviation is zero on the fitting rows keeps scale 1, as in
/// scikit-learn's `StandardScaler`, so a constant predictor becomes zero rather than NaN.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    pub mean: Array1<f64>,
    pub scale: Array1<f64>,
}

impl Standardizer {
    /// Fits means and standard deviations with `ddof` delta degrees of freedom
    /// (0 for the population standard deviation, 1 for the sample one).
    pub fn fit(x: ArrayView2<f64>, ddof: f64) -> Self {
        let mean = x.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(x.ncols()));
        let mut scale = if (x.nrows() as f64) > ddof {
            column_variance(x, ddof).mapv_into(f64::sqrt)
        } else {
            Array1::ones(x.ncols())
        };
        // A tiny standard deviation relative to the mean is rounding noise on a constant
        // column, so dividing by it would blow that noise up to unit variance.
        for (s, m) in scale.iter_mut().zip(mean.iter()) {
            if s.is_nan() || *s <= 10.0 * f64::EPSILON * m.abs().max(1.0) {
                *s = 1.0;
            }
        }
        Standardizer { mean, scale }
    }

    /// Centers only: mean removed, scale 1.
    pub fn fit_center(x: ArrayView2<f64>) -> Self {
        let mean = x.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(x.ncols()));
        let scale = Array1::ones(x.ncols());
        Standardizer { mean, scale }
    }

    /// Returns (x − mean) / scale in one pass over `x`.
    pub fn transform(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let zip = Zip::from(&x).and_broadcast(&self.mean).and_broadcast(&self.scale);
        if x.len() >= PARALLEL_ELEMENTS {
            zip.par_map_collect(|&v, &m, &s| (v - m) / s)
        } else {
            zip.map_collect(|&v, &m, &s| (v - m) / s)
        }
    }

    /// Writes (x − mean) / scale into `out`, which has the shape of `x`.
    pub fn transform_into(&self, x: ArrayView2<f64>, out: ArrayViewMut2<f64>) {
        Zip::from(out).and(&x).and_broadcast(&self.mean).and_broadcast(&self.scale).for_each(
            |out, &v, &m, &s| {
                *out = (v - m) / s;
            },
        );
    }

    pub fn inverse_transform(&self, z: ArrayView2<f64>) -> Array2<f64> {
        &z * &self.scale + &self.mean
    }
}

/// Element count from which the transform runs on several threads. The value is an
/// estimate of where waking a thread starts to save more time than it costs.
const PARALLEL_ELEMENTS: usize = 1 << 16;

/// Returns the variance of each column with `ddof` delta degrees of freedom.
///
/// This is the row-by-row Welford recurrence of ndarray 0.16's `var_axis`, step for step,
/// so the results are bit-identical to it. ndarray's version calls the library `fma`
/// function per element because the crate is built without the FMA target feature, which
/// makes it several times slower than this one on x86-64 processors that have FMA.
fn column_variance(x: ArrayView2<f64>, ddof: f64) -> Array1<f64> {
    let mut mean = vec![0.0; x.ncols()];
    let mut sum_sq = vec![0.0; x.ncols()];
    for (i, row) in x.rows().into_iter().enumerate() {
        let count = (i + 1) as f64;
        match row.as_slice() {
            Some(row) => welford_step(row, count, &mut mean, &mut sum_sq),
            None => welford_step(&row.to_vec(), count, &mut mean, &mut sum_sq),
        }
    }
    let dof = x.nrows() as f64 - ddof;
    sum_sq.into_iter().map(|s| s / dof).collect()
}

/// Adds one row to the running column means and sums of squared deviations.
fn welford_step(row: &[f64], count: f64, mean: &mut [f64], sum_sq: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the processor supports FMA, checked just above.
        unsafe { welford_step_fma(row, count, mean, sum_sq) };
        return;
    }
    welford_step_portable(row, count, mean, sum_sq);
}

#[inline(always)]
fn welford_step_portable(row: &[f64], count: f64, mean: &mut [f64], sum_sq: &mut [f64]) {
    for ((mean, sum_sq), &v) in mean.iter_mut().zip(sum_sq.iter_mut()).zip(row) {
        let delta = v - *mean;
        *mean += delta / count;
        *sum_sq = (v - *mean).mul_add(delta, *sum_sq);
    }
}

/// `welford_step_portable` compiled with FMA, so `mul_add` becomes one instruction.
/// Fused multiply-add is correctly rounded either way, so both give the same bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
unsafe fn welford_step_fma(row: &[f64], count: f64, mean: &mut [f64], sum_sq: &mut [f64]) {
    welford_step_portable(row, count, mean, sum_sq);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn constant_column_becomes_zero() {
        let x = array![[1.0, 0.3], [2.0, 0.3], [3.0, 0.3]];
        let s = Standardizer::fit(x.view(), 0.0);
        let z = s.transform(x.view());
        assert!(z.iter().all(|v| v.is_finite()));
        assert_eq!(z.column(1).to_vec(), vec![0.0, 0.0, 0.0]);
    }

    #[test]
    fn population_and_sample_scale() {
        let x = array![[1.0], [3.0]];
        assert_eq!(Standardizer::fit(x.view(), 0.0).scale[0], 1.0);
        assert!((Standardizer::fit(x.view(), 1.0).scale[0] - 2f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn variance_matches_ndarray_bit_for_bit() {
        let x = Array2::from_shape_fn((37, 5), |(i, j)| ((i * 7 + j * 3) % 11) as f64 * 0.37 + 1e3);
        for ddof in [0.0, 1.0] {
            let want = x.var_axis(Axis(0), ddof);
            assert_eq!(column_variance(x.view(), ddof), want, "ddof {ddof}");
            assert_eq!(column_variance(x.t().t(), ddof), want, "ddof {ddof}, transposed twice");
        }
        let columns = x.t().to_owned();
        assert_eq!(column_variance(columns.t(), 1.0), x.var_axis(Axis(0), 1.0), "column-major");
    }

    #[test]
    fn transform_matches_broadcast_arithmetic() {
        let x = Array2::from_shape_fn((300, 250), |(i, j)| ((i * 13 + j) % 17) as f64 - 4.5);
        let s = Standardizer::fit(x.view(), 1.0);
        assert_eq!(s.transform(x.view()), (&x - &s.mean) / &s.scale);
        let small = x.slice(ndarray::s![..4, ..]);
        assert_eq!(s.transform(small), (&small - &s.mean) / &s.scale);
    }

    #[test]
    fn inverse_undoes_transform() {
        let x = array![[1.0, -4.0], [2.5, 7.0], [9.0, 0.5]];
        let s = Standardizer::fit(x.view(), 1.0);
        let back = s.inverse_transform(s.transform(x.view()).view());
        for (a, b) in back.iter().zip(x.iter()) {
            assert!((a - b).abs() < 1e-12);
        }
    }
}
