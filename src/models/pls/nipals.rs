//! NIPALS for PLS2 regression, as scikit-learn 1.9's `PLSRegression` computes it.
//!
//! Each component takes the predictor weight w from the power method on the
//! cross-covariance of the residuals Xₖ and Yₖ, forms the score t = Xₖw, the loadings
//! p = Xₖᵀt / tᵀt and q = Yₖᵀt / tᵀt, and deflates both residuals:
//! Xₖ₊₁ = Xₖ − tpᵀ, Yₖ₊₁ = Yₖ − tqᵀ. The rotation R = W(PᵀW)⁻¹ maps standardized
//! predictors to scores, so the standardized coefficients are RQᵀ.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, Zip};

use crate::models::scaling::Standardizer;
use crate::models::ModelError;

/// Power-method iterations per component before giving up on convergence, as
/// scikit-learn's `max_iter`.
pub(crate) const MAX_ITERATIONS: usize = 500;

/// The power method stops once the squared change of the unit weight vector is below
/// this, as scikit-learn's `tol`.
const TOLERANCE: f64 = 1e-6;

/// A PLS fit in standardized units.
pub(crate) struct NipalsFit {
    pub x_scaler: Standardizer,
    pub y_scaler: Standardizer,
    /// Predictors × components: standardized predictors times this are the scores.
    pub rotations: Array2<f64>,
    /// Targets × components.
    pub y_loadings: Array2<f64>,
    /// Components (0-based) whose power method stopped at `MAX_ITERATIONS`.
    pub unconverged: Vec<usize>,
    /// Reason fewer components than requested were extracted, if any were missing.
    pub stopped: Option<String>,
}

impl NipalsFit {
    pub fn n_components(&self) -> usize {
        self.rotations.ncols()
    }

    /// Returns the coefficients on standardized predictors and targets of the model with
    /// the first `k` components. Because PᵀW is upper triangular, these columns of the
    /// rotation are exactly those of a fit with `k` components.
    pub fn standardized_coefficients(&self, k: usize) -> Array2<f64> {
        let k = k.min(self.n_components());
        self.rotations
            .slice(ndarray::s![.., ..k])
            .dot(&self.y_loadings.slice(ndarray::s![.., ..k]).t())
    }
}

/// Fits up to `n_components` components on `x` (rows × predictors) and `y` (rows ×
/// targets). With `scale`, both are standardized to unit sample variance (ddof 1),
/// otherwise only centered.
///
/// Extraction stops early, with the reason in `stopped`, when the target residual is
/// zero or the predictor residual has no covariance with it beyond rounding noise (see
/// `first_weights`). scikit-learn stops on the first. On the second it extracts
/// components from the noise, or returns NaN coefficients when the covariance is exactly
/// zero.
pub(crate) fn fit(
    x: ArrayView2<f64>,
    y: ArrayView2<f64>,
    n_components: usize,
    scale: bool,
) -> Result<NipalsFit, ModelError> {
    let (x_scaler, y_scaler) = if scale {
        (Standardizer::fit(x, 1.0), Standardizer::fit(y, 1.0))
    } else {
        (Standardizer::fit_center(x), Standardizer::fit_center(y))
    };
    let mut xk = x_scaler.transform(x);
    let mut yk = y_scaler.transform(y);
    let (p, q) = (x.ncols(), y.ncols());
    let x_norm = xk.iter().map(|v| v * v).sum::<f64>().sqrt();

    let mut weights = Array2::zeros((p, n_components));
    let mut x_loadings = Array2::zeros((p, n_components));
    let mut y_loadings = Array2::zeros((q, n_components));
    let mut unconverged = Vec::new();
    let mut stopped = None;
    let mut extracted = 0;
    for k in 0..n_components {
        zero_tiny_columns(&mut yk);
        let Some(power) = first_weights(xk.view(), yk.view(), x_norm) else {
            stopped = Some(if yk.iter().all(|v| v.abs() <= f64::EPSILON) {
                format!("the target residual is zero after {k} components")
            } else {
                format!("the predictor residual has no covariance with the targets after {k} components")
            });
            break;
        };
        if !power.converged {
            unconverged.push(k);
        }
        let mut w = power.weights;
        flip_sign(&mut w);

        let t = xk.dot(&w);
        let tt = t.dot(&t);
        if !(tt.is_finite() && tt > 0.0) {
            return Err(ModelError::Numerical(format!(
                "pls component {}: the score has squared norm {tt:e}; use fewer components",
                k + 1
            )));
        }
        let x_loading = transpose_dot(xk.view(), t.view()) / tt;
        let y_loading = transpose_dot(yk.view(), t.view()) / tt;
        subtract_outer(&mut xk, t.view(), x_loading.view());
        subtract_outer(&mut yk, t.view(), y_loading.view());

        weights.column_mut(k).assign(&w);
        x_loadings.column_mut(k).assign(&x_loading);
        y_loadings.column_mut(k).assign(&y_loading);
        extracted = k + 1;
    }

    let weights = weights.slice(ndarray::s![.., ..extracted]);
    let x_loadings = x_loadings.slice(ndarray::s![.., ..extracted]);
    let rotations = rotations(weights, x_loadings)?;
    Ok(NipalsFit {
        x_scaler,
        y_scaler,
        rotations,
        y_loadings: y_loadings.slice(ndarray::s![.., ..extracted]).to_owned(),
        unconverged,
        stopped,
    })
}

/// Sets to zero each column whose values are all below 10 machine epsilons in magnitude,
/// so rounding noise left by deflation does not seed the power method.
fn zero_tiny_columns(yk: &mut Array2<f64>) {
    let threshold = 10.0 * f64::EPSILON;
    for mut column in yk.columns_mut() {
        if column.iter().all(|v| v.abs() < threshold) {
            column.fill(0.0);
        }
    }
}

struct PowerResult {
    /// Unit predictor weight.
    weights: Array1<f64>,
    converged: bool,
}

/// Returns the first left singular vector of XₖᵀYₖ by the power method, started from the
/// first target column whose covariance with the predictor residual exceeds rounding
/// noise, or `None` when no column's does.
///
/// The covariance Xₖᵀu counts as noise when its norm is at most n·ε·‖X₀‖·‖u‖, with X₀
/// the standardized predictors (Frobenius norm `x_norm`); n·ε bounds the relative
/// rounding error of an inner product of length n. Uncorrelated predictors, such as
/// principal-component scores, reach that state exactly once the components span the
/// part of the predictor space that the targets correlate with. scikit-learn 1.9 goes on
/// extracting components from the noise there, whose y-loadings are about 1e-14.
///
/// Each step maps w to XₖᵀYₖYₖᵀXₖw, normalized. It starts with matrix-vector
/// products on Xₖ and Yₖ, which cost 2n(p + q) per step. When products with the
/// p × q cross-product C = XₖᵀYₖ are cheaper (2pq) and the steps taken so far have cost
/// as much as forming C (npq), it forms C and continues on it. That is never more than
/// twice the cheaper of the two strategies in hindsight. Both give the same iterates.
fn first_weights(xk: ArrayView2<f64>, yk: ArrayView2<f64>, x_norm: f64) -> Option<PowerResult> {
    let (n, p) = xk.dim();
    let q = yk.ncols();
    let eps = f64::EPSILON;

    let mut start = None;
    for column in yk.columns() {
        if !column.iter().any(|v| v.abs() > eps) {
            continue;
        }
        let xw = transpose_dot(xk, column);
        let squared_norm = column.dot(&column);
        let noise = n as f64 * eps * x_norm * squared_norm.sqrt();
        if xw.dot(&xw).sqrt() > noise {
            start = Some(xw / squared_norm);
            break;
        }
    }
    let mut xw = start?;

    let direct_step = 2 * n * (p + q);
    let cross_step = 2 * p * q;
    let cross_setup = n * p * q;
    let mut spent = 0;
    let mut cross: Option<Array2<f64>> = None;
    let mut previous: Option<Array1<f64>> = None;
    for iteration in 1..=MAX_ITERATIONS {
        let w = &xw / (xw.dot(&xw).sqrt() + eps);
        // With one target the power method is exact after one step.
        if q == 1 {
            return Some(PowerResult { weights: w, converged: true });
        }
        if let Some(previous) = &previous {
            let change: f64 = w.iter().zip(previous).map(|(a, b)| (a - b) * (a - b)).sum();
            if change < TOLERANCE {
                return Some(PowerResult { weights: w, converged: true });
            }
        }
        if iteration == MAX_ITERATIONS {
            return Some(PowerResult { weights: w, converged: false });
        }

        xw = match &cross {
            Some(c) => c.dot(&transpose_dot(c.view(), w.view())),
            None => {
                let t = xk.dot(&w);
                let y_weights = transpose_dot(yk, t.view()) / t.dot(&t);
                let u = yk.dot(&y_weights) / (y_weights.dot(&y_weights) + eps);
                spent += direct_step;
                if cross_step < direct_step && spent >= cross_setup {
                    cross = Some(xk.t().dot(&yk));
                }
                transpose_dot(xk, u.view()) / u.dot(&u)
            }
        };
        previous = Some(w);
    }
    unreachable!("the last iteration returns")
}

/// Flips `w` so that its entry of largest magnitude is positive, as scikit-learn's
/// `_svd_flip_1d`, which fixes the sign the power method leaves arbitrary.
fn flip_sign(w: &mut Array1<f64>) {
    let mut largest = 0;
    for (i, v) in w.iter().enumerate() {
        if v.abs() > w[largest].abs() {
            largest = i;
        }
    }
    if w[largest] < 0.0 {
        w.mapv_inplace(|v| -v);
    }
}

/// Returns aᵀv, accumulating scaled rows so that a row-major `a` is read in order.
fn transpose_dot(a: ArrayView2<f64>, v: ArrayView1<f64>) -> Array1<f64> {
    if a.t().is_standard_layout() {
        return a.t().dot(&v);
    }
    let mut sum = Array1::zeros(a.ncols());
    for (row, &weight) in a.rows().into_iter().zip(v) {
        sum.scaled_add(weight, &row);
    }
    sum
}

/// Computes a −= t sᵀ in place.
fn subtract_outer(a: &mut Array2<f64>, t: ArrayView1<f64>, s: ArrayView1<f64>) {
    Zip::from(a.rows_mut()).and(&t).for_each(|mut row, &weight| row.scaled_add(-weight, &s));
}

/// Returns W(PᵀW)⁻¹ for the weights W and loadings P (predictors × components).
///
/// PᵀW is upper triangular with a unit diagonal in exact arithmetic: the weight of
/// component j lies in the row space of Xⱼ, and deflation removes it from every later
/// residual. So R solves R·U = W for U, the upper triangle of PᵀW, column by column,
/// ignoring the rounding noise below the diagonal. scikit-learn takes the
/// pseudo-inverse of the full PᵀW instead, which agrees to rounding.
fn rotations(
    weights: ArrayView2<f64>,
    x_loadings: ArrayView2<f64>,
) -> Result<Array2<f64>, ModelError> {
    let upper = x_loadings.t().dot(&weights);
    let mut rotations = weights.to_owned();
    for k in 0..rotations.ncols() {
        let (done, mut rest) = rotations.view_mut().split_at(Axis(1), k);
        let mut column = rest.column_mut(0);
        for j in 0..k {
            column.scaled_add(-upper[[j, k]], &done.column(j));
        }
        let diagonal = upper[[k, k]];
        if !(diagonal.is_finite() && diagonal.abs() > f64::EPSILON) {
            return Err(ModelError::Numerical(format!(
                "pls component {}: the loading is orthogonal to the weight (pᵀw = {diagonal:e}); \
                 use fewer components",
                k + 1
            )));
        }
        column.mapv_inplace(|v| v / diagonal);
    }
    Ok(rotations)
}
