//! Column standardization fitted on training rows.

use ndarray::{Array1, Array2, ArrayView2, Axis};

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
            x.std_axis(Axis(0), ddof)
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

    pub fn transform(&self, x: ArrayView2<f64>) -> Array2<f64> {
        (&x - &self.mean) / &self.scale
    }

    pub fn inverse_transform(&self, z: ArrayView2<f64>) -> Array2<f64> {
        &z * &self.scale + &self.mean
    }
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
    fn inverse_undoes_transform() {
        let x = array![[1.0, -4.0], [2.5, 7.0], [9.0, 0.5]];
        let s = Standardizer::fit(x.view(), 1.0);
        let back = s.inverse_transform(s.transform(x.view()).view());
        for (a, b) in back.iter().zip(x.iter()) {
            assert!((a - b).abs() < 1e-12);
        }
    }
}
