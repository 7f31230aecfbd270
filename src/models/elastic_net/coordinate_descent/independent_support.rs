//! Reduction of a lasso support to linearly independent columns.
//!
//! Without a ridge penalty (λ₂ = 0) the objective restricted to a support S with signs s is
//! ½‖y − X_S·w_S‖² + λ₁·sᵀw_S. When the columns of X_S are linearly dependent, as they are
//! whenever |S| exceeds the rank of X, this has no minimizer on the face: along a direction
//! d with X_S·d = 0 the objective changes linearly, by λ₁·sᵀd per unit step. Moving along
//! such a direction, oriented so that sᵀd ≤ 0, until a coefficient reaches zero keeps X·w,
//! does not raise the objective and removes that coefficient from the support. Repeating
//! this for every dependent column leaves a support whose Gram block is positive definite,
//! so the Newton step on it has a unique solution. No optimum is lost, because the lasso
//! always has a minimizer with at most rank(X) nonzeros.
//!
//! A pivoted Cholesky factorization of G_SS picks a basis B of independent columns. Every
//! other support column j is then x_j = X_B·t_j, and the coefficients t_j form a simplex
//! tableau. When a basic coefficient reaches zero before w_j does, j takes its place in the
//! basis and the tableau is updated by one pivot, as in the simplex method.

use super::dot;

/// A column counts as dependent on the basis when the squared sine of its angle to the
/// basis span, ‖x_j − X_B·t_j‖²/‖x_j‖², is at most this. A move of length t along its
/// direction then changes X·w by about 1e-5·t·‖x_j‖ at most.
const DEPENDENCE_THRESHOLD: f64 = 1e-10;

/// Buffers of [`IndependentSupport::reduce`], reused across Newton steps.
#[derive(Default)]
pub(super) struct IndependentSupport {
    /// Working-set positions of the nonzero coefficients.
    support: Vec<usize>,
    /// Pivoted Cholesky factor of G_SS: row a belongs to `support[a]`, and column l to the
    /// l-th basis column. Row-major, `width` columns.
    factor: Vec<f64>,
    width: usize,
    /// Squared distance of each support column from the span of the basis so far.
    remaining: Vec<f64>,
    is_basic: Vec<bool>,
    /// Support indices (into `support`) of the basic and the nonbasic columns.
    basis: Vec<usize>,
    nonbasic: Vec<usize>,
    /// Row-major |B| × |N| tableau. Column c is t_j for j = `nonbasic[c]`, and row a
    /// contains the weights of basis column `basis[a]`.
    tableau: Vec<f64>,
}

/// The coefficient that stops a null-space move on reaching zero.
enum Blocking {
    /// The nonbasic coefficient that defines the direction.
    Nonbasic,
    /// The basic coefficient in this tableau row.
    Basic(usize),
}

impl IndependentSupport {
    /// Moves the lasso coefficients `w` of a working set, without changing X·w or raising
    /// the objective, until the columns of their support are linearly independent.
    ///
    /// `gram` is the working set's row-major k × k Gram block, and `max_rank` an upper
    /// bound on the rank of X, such as its row count. Returns the number of coefficients
    /// set to zero.
    pub fn reduce(&mut self, gram: &[f64], max_rank: usize, w: &mut [f64]) -> usize {
        self.support.clear();
        self.support.extend((0..w.len()).filter(|&i| w[i] != 0.0));
        let before = self.support.len();
        self.factorize(gram, w.len(), before.min(max_rank));
        if self.basis.len() == before {
            return 0;
        }
        self.build_tableau();
        self.move_along_null_space(w);
        before - w.iter().filter(|&&v| v != 0.0).count()
    }

    /// Runs pivoted Cholesky on G_SS until every column left is dependent on the basis,
    /// or `width` columns are basic.
    fn factorize(&mut self, gram: &[f64], k: usize, width: usize) {
        let m = self.support.len();
        let support = &self.support;
        let entry = |a: usize, b: usize| gram[support[a] * k + support[b]];
        self.width = width;
        self.factor.clear();
        self.factor.resize(m * width, 0.0);
        self.remaining.clear();
        self.remaining.extend((0..m).map(|a| entry(a, a)));
        self.is_basic.clear();
        self.is_basic.resize(m, false);
        self.basis.clear();

        for rank in 0..width {
            // The column farthest from the basis span relative to its norm, so that the
            // choice does not depend on how the predictors are scaled.
            let mut pivot = None;
            let mut max_ratio = DEPENDENCE_THRESHOLD;
            for a in (0..m).filter(|&a| !self.is_basic[a]) {
                let ratio = self.remaining[a] / entry(a, a);
                if ratio > max_ratio {
                    max_ratio = ratio;
                    pivot = Some(a);
                }
            }
            let Some(q) = pivot else { break };
            self.is_basic[q] = true;
            self.basis.push(q);
            let diagonal = self.remaining[q].sqrt();
            self.factor[q * width + rank] = diagonal;
            for a in (0..m).filter(|&a| !self.is_basic[a]) {
                let row_a = &self.factor[a * width..a * width + rank];
                let row_q = &self.factor[q * width..q * width + rank];
                let value = (entry(a, q) - dot(row_a, row_q)) / diagonal;
                self.factor[a * width + rank] = value;
                self.remaining[a] -= value * value;
            }
        }
    }

    /// Solves X_B·t_j = x_j for every nonbasic j. With G_BB = L_B·L_Bᵀ and the
    /// factor's row l_j of j, G_Bj = L_B·l_j, so t_j = L_B⁻ᵀ·l_j.
    fn build_tableau(&mut self) {
        let width = self.width;
        let r = self.basis.len();
        self.nonbasic.clear();
        self.nonbasic.extend((0..self.support.len()).filter(|&a| !self.is_basic[a]));
        let n_nonbasic = self.nonbasic.len();
        self.tableau.clear();
        self.tableau.resize(r * n_nonbasic, 0.0);
        let basis_factor = |a: usize, l: usize| self.factor[self.basis[a] * width + l];
        for (c, &j) in self.nonbasic.iter().enumerate() {
            let row_j = &self.factor[j * width..j * width + r];
            for a in (0..r).rev() {
                let mut value = row_j[a];
                for b in a + 1..r {
                    value -= basis_factor(b, a) * self.tableau[b * n_nonbasic + c];
                }
                self.tableau[a * n_nonbasic + c] = value / basis_factor(a, a);
            }
        }
    }

    /// Takes one null-space move per nonbasic column, d = e_j − Σ_a t_aj·e_{B_a}.
    fn move_along_null_space(&mut self, w: &mut [f64]) {
        let r = self.basis.len();
        let n_nonbasic = self.nonbasic.len();
        for c in 0..n_nonbasic {
            let j = self.support[self.nonbasic[c]];
            let basic = |a: usize| self.support[self.basis[a]];
            let weight = |a: usize| self.tableau[a * n_nonbasic + c];

            // sᵀd, with s = 0 for a basic coefficient that an earlier move set to zero.
            let mut slope = sign(w[j]);
            for a in 0..r {
                slope -= sign(w[basic(a)]) * weight(a);
            }
            // Without a slope either way the direction only serves to shrink the support,
            // so it takes w_j towards zero, which guarantees a blocking coefficient.
            let orientation = if slope > 0.0 {
                -1.0
            } else if slope < 0.0 {
                1.0
            } else {
                -sign(w[j])
            };

            let mut step = f64::INFINITY;
            let mut blocking = None;
            if w[j] * orientation < 0.0 {
                step = w[j].abs();
                blocking = Some(Blocking::Nonbasic);
            }
            for a in 0..r {
                let direction = -orientation * weight(a);
                let value = w[basic(a)];
                // A basic coefficient at zero blocks at once, because moving it off zero
                // would leave the face on which the objective is linear along d.
                if direction != 0.0 && value * direction <= 0.0 {
                    let length = value.abs() / direction.abs();
                    if length < step {
                        step = length;
                        blocking = Some(Blocking::Basic(a));
                    }
                }
            }
            // Only rounding can leave no blocking coefficient, because the lasso objective
            // is bounded below. Such a column stays in the support.
            let Some(blocking) = blocking else { continue };

            w[j] = moved(w[j], step * orientation);
            for a in 0..r {
                let i = basic(a);
                w[i] = moved(w[i], -step * orientation * weight(a));
            }
            match blocking {
                Blocking::Nonbasic => w[j] = 0.0,
                Blocking::Basic(b) => {
                    w[basic(b)] = 0.0;
                    self.pivot(b, c);
                }
            }
        }
    }

    /// Makes nonbasic column c basic in place of tableau row b, and updates the tableau
    /// columns after c, which the remaining moves use.
    fn pivot(&mut self, b: usize, c: usize) {
        let r = self.basis.len();
        let n_nonbasic = self.nonbasic.len();
        let tableau = &mut self.tableau;
        let pivot = tableau[b * n_nonbasic + c];
        for column in c + 1..n_nonbasic {
            tableau[b * n_nonbasic + column] /= pivot;
            let scaled = tableau[b * n_nonbasic + column];
            for a in (0..r).filter(|&a| a != b) {
                tableau[a * n_nonbasic + column] -= tableau[a * n_nonbasic + c] * scaled;
            }
        }
        self.basis[b] = self.nonbasic[c];
    }
}

/// Sign of a coefficient, 0 for 0.
fn sign(value: f64) -> f64 {
    if value == 0.0 {
        0.0
    } else {
        value.signum()
    }
}

/// Adds `change` to `value`, giving zero where rounding would carry it past zero.
fn moved(value: f64, change: f64) -> f64 {
    let result = value + change;
    if result * value > 0.0 {
        result
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{Array1, Array2};

    use super::super::cholesky_solve;
    use super::super::tests::random_problem;
    use super::*;

    fn gram_of(x: &Array2<f64>) -> Vec<f64> {
        x.t().dot(x).iter().copied().collect()
    }

    fn l1_norm(w: &[f64]) -> f64 {
        w.iter().map(|v| v.abs()).sum()
    }

    /// Asserts that every coefficient of `after` is zero or keeps its sign in `before`.
    fn assert_on_face(before: &[f64], after: &[f64]) {
        for (i, (&from, &to)) in before.iter().zip(after).enumerate() {
            assert!(to == 0.0 || to * from > 0.0, "coefficient {i} moved from {from} to {to}");
        }
    }

    #[test]
    fn reduce_keeps_fit_and_lowers_l1_norm() {
        let (x, _) = random_problem(5, 6, 14, 1);
        let before: Vec<f64> = (0..14)
            .map(|j| if j % 3 == 0 { -0.2 * (j as f64 + 1.0) } else { 0.1 + 0.05 * j as f64 })
            .collect();
        let mut w = before.clone();
        let removed = IndependentSupport::default().reduce(&gram_of(&x), 6, &mut w);

        let support: Vec<usize> = (0..14).filter(|&j| w[j] != 0.0).collect();
        assert_eq!(removed, 14 - support.len());
        // Six centered rows give rank(X) ≤ 5.
        assert!(support.len() <= 5, "support {support:?}");
        assert_on_face(&before, &w);

        let fit_before = x.dot(&Array1::from(before.clone()));
        let fit_after = x.dot(&Array1::from(w.clone()));
        let drift = (&fit_after - &fit_before).mapv(f64::abs).fold(0.0f64, |m, &v| m.max(v));
        assert!(drift <= 1e-9 * fit_before.dot(&fit_before).sqrt(), "X·w moved by {drift:e}");
        assert!(l1_norm(&w) <= l1_norm(&before) * (1.0 + 1e-12), "‖w‖₁ rose to {}", l1_norm(&w));

        let mut system = Vec::new();
        for &a in &support {
            for &b in &support {
                system.push(x.column(a).dot(&x.column(b)));
            }
        }
        let mut rhs = vec![1.0; support.len()];
        assert!(
            cholesky_solve(&mut system, support.len(), &mut rhs),
            "G_SS is not positive definite"
        );
    }

    #[test]
    fn reduce_leaves_independent_support_unchanged() {
        let (x, _) = random_problem(9, 12, 4, 1);
        let before = vec![0.5, -1.0, 2.0, -0.25];
        let mut w = before.clone();
        let removed = IndependentSupport::default().reduce(&gram_of(&x), 12, &mut w);
        assert_eq!(removed, 0);
        assert_eq!(w, before);
    }

    /// Two equal columns with coefficients of the same sign leave the objective flat along
    /// the null direction, so the move only shrinks the support and keeps their sum.
    #[test]
    fn reduce_merges_duplicate_columns() {
        let (base, _) = random_problem(13, 8, 2, 1);
        let x = Array2::from_shape_fn((8, 3), |(i, j)| base[[i, if j == 2 { 1 } else { 0 }]]);
        let mut w = vec![1.0, 2.0, -0.5];
        let removed = IndependentSupport::default().reduce(&gram_of(&x), 8, &mut w);
        assert_eq!(removed, 1);
        assert!(w[0] == 0.0 || w[1] == 0.0, "{w:?}");
        assert!((w[0] + w[1] - 3.0).abs() <= 1e-12, "{w:?}");
        assert!((w[2] + 0.5).abs() <= 1e-12, "{w:?}");
    }
}
