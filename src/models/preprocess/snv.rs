//! Standard normal variate: each row centered on its own mean and divided by its own
//! standard deviation, which removes a spectrum's additive offset and multiplicative
//! scatter. The transform uses no fitted state.

use ndarray::{Array2, ArrayView2, Axis};

/// Returns `x` with every row centered and scaled to unit population standard deviation
/// (ddof 0, as numpy's `std`).
///
/// A row whose standard deviation is rounding noise on its mean (at most 10 ε·max(|mean|,
/// 1), the rule of [`crate::models::scaling::Standardizer`]) becomes all zeros.
pub fn standard_normal_variate(x: ArrayView2<f64>) -> Array2<f64> {
    let mut out = x.to_owned();
    for mut row in out.axis_iter_mut(Axis(0)) {
        let n = row.len() as f64;
        let mean = row.sum() / n;
        let variance = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        let std = variance.sqrt();
        if std <= 10.0 * f64::EPSILON * mean.abs().max(1.0) {
            row.fill(0.0);
        } else {
            row.mapv_inplace(|v| (v - mean) / std);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn rows_get_zero_mean_and_unit_std() {
        let x = array![[1.0, 2.0, 4.0, 9.0], [-3.0, 0.5, 0.25, 8.0]];
        let z = standard_normal_variate(x.view());
        for row in z.rows() {
            assert!(row.mean().unwrap().abs() < 1e-15, "{row}");
            assert!((row.std(0.0) - 1.0).abs() < 1e-15, "{row}");
        }
    }

    #[test]
    fn offset_and_scale_are_removed() {
        let x = array![[1.0, 2.0, 4.0, 9.0]];
        let shifted = x.mapv(|v| 3.5 * v + 100.0);
        let a = standard_normal_variate(x.view());
        let b = standard_normal_variate(shifted.view());
        for (u, v) in a.iter().zip(b.iter()) {
            assert!((u - v).abs() < 1e-13, "{u} vs {v}");
        }
    }

    #[test]
    fn constant_row_becomes_zeros() {
        let x = array![[0.3, 0.3, 0.3], [1.0, 2.0, 3.0]];
        let z = standard_normal_variate(x.view());
        assert_eq!(z.row(0).to_vec(), vec![0.0, 0.0, 0.0]);
        let step = 1.5f64.sqrt();
        for (got, want) in z.row(1).iter().zip([-step, 0.0, step]) {
            assert!((got - want).abs() < 1e-15, "{got} vs {want}");
        }
    }
}
