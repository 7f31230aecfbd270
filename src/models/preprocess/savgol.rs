//! Savitzky-Golay filtering along the predictor axis.
//!
//! Each output value is the value, or a derivative, at one channel of the polynomial of
//! degree `order` fitted by least squares to the `window` channels around it. Channels
//! are taken as unit-spaced, so a derivative is per channel, as scipy's `savgol_filter`
//! with its default `delta=1`. Within `window / 2` channels of either end the filter
//! evaluates the polynomial fitted to the first or last `window` channels, as
//! `savgol_filter(..., mode='interp')` does.

use ndarray::{Array2, ArrayView2};

use crate::models::{ModelError, SettingsError};

const STEP: &str = "preprocess";

/// Largest derivative the filter computes: smoothing (0), first (1) or second (2).
pub const MAX_DERIVATIVE: usize = 2;

/// Savitzky-Golay settings.
///
/// | setting | default | valid range |
/// |---|---|---|
/// | `window` | 11 | odd, ≥ `order` + 2, and at most the number of predictors (checked at fit) |
/// | `order` | 2 | polynomial degree, ≥ `derivative` |
/// | `derivative` | 0 | 0 (smoothing), 1 or 2 |
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SavitzkyGolayParams {
    pub window: usize,
    pub order: usize,
    pub derivative: usize,
}

impl Default for SavitzkyGolayParams {
    fn default() -> Self {
        SavitzkyGolayParams { window: 11, order: 2, derivative: 0 }
    }
}

impl SavitzkyGolayParams {
    /// Checks every setting except the window's upper bound, which depends on the data.
    pub fn check(self) -> Result<Self, SettingsError> {
        if self.derivative > MAX_DERIVATIVE {
            return Err(SettingsError::new(
                STEP,
                "sg derivative",
                self.derivative,
                "0 (smoothing), 1 or 2",
            ));
        }
        if self.order < self.derivative {
            return Err(SettingsError::new(
                STEP,
                "sg order",
                self.order,
                "a polynomial order >= the derivative",
            ));
        }
        if self.window.is_multiple_of(2) || self.window < self.order + 2 {
            return Err(SettingsError::new(
                STEP,
                "sg window",
                self.window,
                "an odd number of channels >= order + 2",
            ));
        }
        Ok(self)
    }

    /// Returns the weights `c` such that `Σₖ c[k]·x[i − m + k]` is the filter's output at
    /// channel i, for every channel at least m = `window / 2` from either end (the order
    /// of scipy's `savgol_coeffs(..., use='dot')`).
    pub fn center_coefficients(&self) -> Vec<f64> {
        LeastSquaresWindow::new(*self).coefficients_at(0)
    }

    /// Builds the filter for rows of `n_predictors` channels.
    pub fn fit(&self, n_predictors: usize) -> Result<SavitzkyGolay, ModelError> {
        if self.window > n_predictors {
            return Err(ModelError::Shape(format!(
                "Savitzky-Golay window of {} channels is longer than the {n_predictors} \
                 predictors; use a window of at most {n_predictors}",
                self.window
            )));
        }
        let fit = LeastSquaresWindow::new(*self);
        let half = (self.window / 2) as i64;
        Ok(SavitzkyGolay {
            window: self.window,
            n_predictors,
            center: fit.coefficients_at(0),
            head: (-half..0).map(|t| fit.coefficients_at(t)).collect(),
            tail: (1..=half).map(|t| fit.coefficients_at(t)).collect(),
        })
    }
}

/// A Savitzky-Golay filter for rows of a fixed number of channels.
#[derive(Debug, Clone, PartialEq)]
pub struct SavitzkyGolay {
    window: usize,
    n_predictors: usize,
    /// Weights of the channels around an interior channel, first channel first.
    center: Vec<f64>,
    /// Weights of the first `window` channels for each of the first `window / 2` outputs.
    head: Vec<Vec<f64>>,
    /// Weights of the last `window` channels for each of the last `window / 2` outputs.
    tail: Vec<Vec<f64>>,
}

impl SavitzkyGolay {
    pub fn n_predictors(&self) -> usize {
        self.n_predictors
    }

    /// Filters each row of `x`, which must have the fitted number of columns.
    pub fn transform(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let p = self.n_predictors;
        let half = self.window / 2;
        let mut out = Array2::zeros(x.dim());
        for (row, mut filtered) in x.rows().into_iter().zip(out.rows_mut()) {
            let first = row.slice(ndarray::s![..self.window]);
            let last = row.slice(ndarray::s![p - self.window..]);
            for (i, weights) in self.head.iter().enumerate() {
                filtered[i] = dot(weights, first);
            }
            for i in half..p - half {
                filtered[i] = dot(&self.center, row.slice(ndarray::s![i - half..=i + half]));
            }
            for (i, weights) in self.tail.iter().enumerate() {
                filtered[p - half + i] = dot(weights, last);
            }
        }
        out
    }
}

fn dot(weights: &[f64], values: ndarray::ArrayView1<f64>) -> f64 {
    weights.iter().zip(values.iter()).map(|(w, v)| w * v).sum()
}

/// The least-squares polynomial fit on one window, in the thin QR form A = QR of its
/// Vandermonde matrix A[k][j] = u_kʲ.
///
/// The abscissae are u_k = (k − m)/m for k = 0..window, scaled into [−1, 1] so that the
/// columns of A stay far from collinear for high orders. Modified Gram-Schmidt with one
/// reorthogonalization pass keeps Q orthonormal to rounding.
struct LeastSquaresWindow {
    params: SavitzkyGolayParams,
    /// Q, columns j = 0..=order, each of length `window`.
    q: Vec<Vec<f64>>,
    /// R, upper triangular, row-major (order + 1)².
    r: Vec<f64>,
}

impl LeastSquaresWindow {
    fn new(params: SavitzkyGolayParams) -> Self {
        let half = (params.window / 2) as f64;
        let terms = params.order + 1;
        let abscissae: Vec<f64> = (0..params.window).map(|k| (k as f64 - half) / half).collect();
        let mut q: Vec<Vec<f64>> = Vec::with_capacity(terms);
        let mut r = vec![0.0; terms * terms];
        for j in 0..terms {
            let mut column: Vec<f64> = abscissae.iter().map(|u| u.powi(j as i32)).collect();
            for _pass in 0..2 {
                for (i, basis) in q.iter().enumerate() {
                    let projection: f64 = basis.iter().zip(&column).map(|(b, c)| b * c).sum();
                    r[i * terms + j] += projection;
                    for (c, b) in column.iter_mut().zip(basis) {
                        *c -= projection * b;
                    }
                }
            }
            let norm = column.iter().map(|c| c * c).sum::<f64>().sqrt();
            r[j * terms + j] = norm;
            column.iter_mut().for_each(|c| *c /= norm);
            q.push(column);
        }
        LeastSquaresWindow { params, q, r }
    }

    /// Returns the weights of the window's channels that give the fitted polynomial's
    /// derivative at `position` channels from the window center (−m ≤ position ≤ m).
    ///
    /// The polynomial's coefficients are β = R⁻¹Qᵀx, and its d-th derivative in channel
    /// units at u = position/m is e·β with e_j = j!/(j − d)!·u^(j − d)/mᵈ for j ≥ d.
    /// So the weights are Q·z with Rᵀz = e.
    fn coefficients_at(&self, position: i64) -> Vec<f64> {
        let SavitzkyGolayParams { window, order, derivative } = self.params;
        let terms = order + 1;
        let half = (window / 2) as f64;
        let u = position as f64 / half;
        let mut e = vec![0.0; terms];
        for (j, value) in e.iter_mut().enumerate().skip(derivative) {
            let falling: f64 = ((j - derivative + 1)..=j).map(|f| f as f64).product();
            *value = falling * u.powi((j - derivative) as i32) / half.powi(derivative as i32);
        }
        // Forward substitution for the lower-triangular Rᵀ.
        let mut z = vec![0.0; terms];
        for j in 0..terms {
            let mut value = e[j];
            for (i, zi) in z.iter().enumerate().take(j) {
                value -= self.r[i * terms + j] * zi;
            }
            z[j] = value / self.r[j * terms + j];
        }
        (0..window)
            .map(|k| self.q.iter().zip(&z).map(|(column, zj)| column[k] * zj).sum())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array1};

    fn params(window: usize, order: usize, derivative: usize) -> SavitzkyGolayParams {
        SavitzkyGolayParams { window, order, derivative }.check().unwrap()
    }

    fn assert_all_close(got: &[f64], want: &[f64], tolerance: f64, what: &str) {
        assert_eq!(got.len(), want.len(), "{what}: length");
        for (k, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g - w).abs() <= tolerance, "{what}[{k}]: {g} vs {w}");
        }
    }

    /// The values that scipy 1.17.1's `savgol_coeffs(5, 2, deriv=d, use='dot')` returns
    /// (times 7 for d = 2).
    #[test]
    fn window_five_coefficients() {
        let smooth: Vec<f64> = [-3.0, 12.0, 17.0, 12.0, -3.0].iter().map(|c| c / 35.0).collect();
        assert_all_close(&params(5, 2, 0).center_coefficients(), &smooth, 1e-15, "smoothing");
        let first: Vec<f64> = [-2.0, -1.0, 0.0, 1.0, 2.0].iter().map(|c| c / 10.0).collect();
        assert_all_close(&params(5, 2, 1).center_coefficients(), &first, 1e-15, "first");
        let second: Vec<f64> = [2.0, -1.0, -2.0, -1.0, 2.0].iter().map(|c| c / 7.0).collect();
        assert_all_close(&params(5, 2, 2).center_coefficients(), &second, 1e-15, "second");
    }

    /// Outputs of scipy 1.17.1 `savgol_filter(x, window, order, deriv=d, mode='interp')`
    /// on the same ten values, edges included.
    #[test]
    fn matches_scipy_interp_mode() {
        let x = array![[0.3, 1.1, 0.4, 2.5, 1.9, 3.2, 2.8, 4.6, 3.9, 5.1]];
        let cases: [(usize, usize, usize, [f64; 10]); 4] = [
            (
                5,
                2,
                0,
                [
                    0.3199999999999996,
                    0.7799999999999998,
                    1.239999999999999,
                    1.634285714285713,
                    2.6028571428571414,
                    2.557142857142855,
                    3.5371428571428547,
                    3.8199999999999967,
                    4.359999999999996,
                    4.9999999999999964,
                ],
            ),
            (5, 2, 1, [0.46, 0.46, 0.46, 0.57, 0.55, 0.51, 0.54, 0.49, 0.59, 0.69]),
            (
                7,
                3,
                2,
                [
                    0.516666666666664,
                    0.3333333333333315,
                    0.1499999999999989,
                    -0.03333333333333321,
                    0.09047619047619065,
                    -0.12857142857142825,
                    0.08095238095238122,
                    -0.05238095238095242,
                    -0.18571428571428594,
                    -0.3190476190476196,
                ],
            ),
            (
                9,
                4,
                1,
                [
                    0.5639212639212652,
                    0.406850556850558,
                    0.41357161357161476,
                    0.5099585599585612,
                    0.621885521885522,
                    0.5654040404040407,
                    0.4081779331779301,
                    0.35922688422688337,
                    0.5465229215229279,
                    1.098038073038093,
                ],
            ),
        ];
        for (window, order, derivative, want) in cases {
            let filter = params(window, order, derivative).fit(10).unwrap();
            let got = filter.transform(x.view());
            let what = format!("window {window}, order {order}, derivative {derivative}");
            assert_all_close(got.row(0).as_slice().unwrap(), &want, 1e-12, &what);
        }
    }

    /// A polynomial of degree ≤ order is its own least-squares fit, so the filter returns
    /// its value or derivative exactly at every channel, edges included.
    #[test]
    fn polynomial_derivatives_are_exact() {
        let p = 40;
        for (window, order) in [(5, 2), (7, 3), (11, 2), (15, 4), (21, 6), (31, 8)] {
            for derivative in 0..=MAX_DERIVATIVE.min(order) {
                // c(t) = Σ_j a_j (t − 17)^j with degree `order`, and its derivatives.
                let coefficients: Vec<f64> = (0..=order).map(|j| 0.5 - 0.1 * j as f64).collect();
                let value = |t: f64, d: usize| -> f64 {
                    let s = t - 17.0;
                    (d..=order)
                        .map(|j| {
                            let falling: f64 = ((j - d + 1)..=j).map(|f| f as f64).product();
                            coefficients[j] * falling * s.powi((j - d) as i32)
                        })
                        .sum()
                };
                let x = Array1::from_iter((0..p).map(|t| value(t as f64, 0)))
                    .insert_axis(ndarray::Axis(0));
                let filtered =
                    params(window, order, derivative).fit(p).unwrap().transform(x.view());
                let scale = x.iter().fold(1.0f64, |m, v| m.max(v.abs()));
                for t in 0..p {
                    let want = value(t as f64, derivative);
                    let got = filtered[[0, t]];
                    assert!(
                        (got - want).abs() <= 1e-9 * scale,
                        "window {window}, order {order}, derivative {derivative}, channel {t}: \
                         {got} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn window_equal_to_predictors_uses_one_fit() {
        let x = array![[1.0, 4.0, 2.0, 8.0, 5.0]];
        let filter = params(5, 2, 0).fit(5).unwrap();
        let out = filter.transform(x.view());
        assert!(out.iter().all(|v| v.is_finite()));
        // The middle channel is the only interior one and uses the center weights.
        let center: f64 =
            params(5, 2, 0).center_coefficients().iter().zip(x.iter()).map(|(c, v)| c * v).sum();
        assert!((out[[0, 2]] - center).abs() < 1e-14);
    }

    #[test]
    fn window_longer_than_predictors_is_an_error() {
        let err = params(11, 2, 1).fit(7).unwrap_err();
        assert!(err.to_string().contains("11 channels"), "{err}");
        assert!(err.to_string().contains("at most 7"), "{err}");
    }

    #[test]
    fn invalid_settings_are_rejected() {
        let check = |window, order, derivative| {
            SavitzkyGolayParams { window, order, derivative }.check().unwrap_err()
        };
        assert_eq!(check(10, 2, 0).setting, "sg window");
        assert_eq!(check(3, 2, 0).setting, "sg window");
        assert_eq!(check(11, 1, 2).setting, "sg order");
        assert_eq!(check(11, 4, 3).setting, "sg derivative");
        assert!(check(4, 2, 0).to_string().contains("= 4"));
    }
}
