//! Principal-component scores: the predictors, centered on the training rows, projected
//! onto the directions of largest variance of those rows.

use ndarray::{Array1, Array2, ArrayView2, Axis};

use super::eigen::symmetric_eigen;
use crate::models::{ModelError, SettingsError};

/// Principal-component settings.
///
/// | setting | default | valid range |
/// |---|---|---|
/// | `components` | 10 | ≥ 1; capped at min(rows − 1, predictors) of the training rows and at their numerical rank |
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PcaParams {
    pub components: usize,
}

impl Default for PcaParams {
    fn default() -> Self {
        PcaParams { components: 10 }
    }
}

impl PcaParams {
    pub fn check(self) -> Result<Self, SettingsError> {
        if self.components == 0 {
            return Err(SettingsError::new("preprocess", "pca components", 0, "an integer >= 1"));
        }
        Ok(self)
    }

    /// Fits the components on the training rows `x`.
    ///
    /// The loadings are the leading eigenvectors of XᵀX for the centered X (n × p). When
    /// n ≤ p they come from the smaller n × n matrix XXᵀ = UΛUᵀ instead, as
    /// v_j = Xᵀu_j/√λ_j. Components whose eigenvalue is below λ₁·max(n, p)·ε are left
    /// out, because rounding alone decides their direction. Each loading is signed so
    /// that its entry of largest magnitude (the first, on ties) is positive, which makes
    /// the scores independent of the eigensolver's arbitrary signs.
    pub fn fit(&self, x: ArrayView2<f64>) -> Result<FittedPca, ModelError> {
        let (n, p) = x.dim();
        let cap = n.saturating_sub(1).min(p);
        if cap == 0 {
            return Err(ModelError::Shape(format!(
                "pca needs at least 2 training rows and 1 predictor, got {n} rows and {p} \
                 predictors"
            )));
        }
        let mean = x.mean_axis(Axis(0)).expect("checked: at least 2 rows");
        let centered = &x - &mean;
        let limit = self.components.min(cap);

        let mut loadings = if n <= p {
            let (values, vectors) = symmetric_eigen(centered.dot(&centered.t()).view())?;
            let k = numerical_rank(&values, n.max(p)).min(limit);
            let mut loadings = Array2::zeros((p, k));
            for j in 0..k {
                let v = centered.t().dot(&vectors.column(j)) / values[j].sqrt();
                loadings.column_mut(j).assign(&v);
            }
            loadings
        } else {
            let (values, vectors) = symmetric_eigen(centered.t().dot(&centered).view())?;
            let k = numerical_rank(&values, n.max(p)).min(limit);
            vectors.slice(ndarray::s![.., ..k]).to_owned()
        };
        if loadings.ncols() == 0 {
            return Err(ModelError::Numerical(
                "pca found no component: the training rows are all equal".into(),
            ));
        }
        for mut column in loadings.columns_mut() {
            let mut largest = 0;
            for (i, v) in column.iter().enumerate() {
                if v.abs() > column[largest].abs() {
                    largest = i;
                }
            }
            if column[largest] < 0.0 {
                column.mapv_inplace(|v| -v);
            }
        }
        Ok(FittedPca { mean, loadings, requested: self.components, cap })
    }
}

/// Counts the eigenvalues, sorted decreasing, above λ₁·`size`·ε.
fn numerical_rank(values: &Array1<f64>, size: usize) -> usize {
    let threshold = values.first().copied().unwrap_or(0.0) * size as f64 * f64::EPSILON;
    values.iter().take_while(|&&v| v > threshold && v > 0.0).count()
}

/// Fitted principal components: the training mean and the loadings (predictors ×
/// components).
#[derive(Debug, Clone, PartialEq)]
pub struct FittedPca {
    pub mean: Array1<f64>,
    pub loadings: Array2<f64>,
    requested: usize,
    /// min(rows − 1, predictors) of the training rows.
    cap: usize,
}

impl FittedPca {
    /// Returns the scores (rows × components) of rows with the fitted predictor count.
    pub fn transform(&self, x: ArrayView2<f64>) -> Array2<f64> {
        (&x - &self.mean).dot(&self.loadings)
    }

    pub fn n_components(&self) -> usize {
        self.loadings.ncols()
    }

    /// Explains a component count below the requested one, if there is one.
    pub fn fit_note(&self) -> Option<String> {
        let used = self.n_components();
        if used >= self.requested {
            None
        } else if used < self.requested.min(self.cap) {
            Some(format!("{used} of {} (numerical rank of the training rows)", self.requested))
        } else {
            Some(format!(
                "{used} of {} (capped at min(training rows - 1, predictors))",
                self.requested
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random(n: usize, p: usize, seed: u64) -> Array2<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let factors = Array2::from_shape_fn((n, 4), |_| rng.gen_range(-1.0..1.0));
        let loadings = Array2::from_shape_fn((4, p), |_| rng.gen_range(-1.0..1.0));
        factors.dot(&loadings) + Array2::from_shape_fn((n, p), |_| rng.gen_range(-0.05..0.05))
    }

    fn fit(x: &Array2<f64>, components: usize) -> FittedPca {
        PcaParams { components }.check().unwrap().fit(x.view()).unwrap()
    }

    /// Both routes, through XXᵀ for 12 × 30 and through XᵀX for 40 × 6, return
    /// orthonormal loadings and scores that are uncorrelated on the training rows.
    #[test]
    fn loadings_orthonormal_on_both_routes() {
        let x = random(12, 30, 1);
        let wide = fit(&x, 5);
        let tall_x = random(40, 6, 2);
        let tall = fit(&tall_x, 3);
        for (fitted, x) in [(&wide, &x), (&tall, &tall_x)] {
            let scores = fitted.transform(x.view());
            // Scores of different components are uncorrelated on the training rows.
            let gram = scores.t().dot(&scores);
            for i in 0..gram.nrows() {
                for j in 0..i {
                    assert!(
                        gram[[i, j]].abs() < 1e-9 * gram[[0, 0]],
                        "({i}, {j}) {}",
                        gram[[i, j]]
                    );
                }
            }
            let orthonormal = fitted.loadings.t().dot(&fitted.loadings);
            for ((i, j), v) in orthonormal.indexed_iter() {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((v - want).abs() < 1e-10, "loadings ({i}, {j}): {v}");
            }
        }
    }

    /// Through XXᵀ and through XᵀX the loadings are the same up to rounding, signs
    /// included.
    #[test]
    fn gram_and_covariance_routes_match() {
        let x = random(20, 20, 3);
        let via_gram = fit(&x, 4);
        let mean = x.mean_axis(Axis(0)).unwrap();
        let centered = &x - &mean;
        let (_, vectors) = symmetric_eigen(centered.t().dot(&centered).view()).unwrap();
        for j in 0..4 {
            let column = vectors.column(j);
            let sign = if column.iter().fold(0.0f64, |m, v| if v.abs() > m.abs() { *v } else { m })
                < 0.0
            {
                -1.0
            } else {
                1.0
            };
            for (a, b) in via_gram.loadings.column(j).iter().zip(column.iter()) {
                assert!((a - sign * b).abs() < 1e-9, "component {j}: {a} vs {}", sign * b);
            }
        }
    }

    #[test]
    fn largest_loading_entry_is_positive() {
        let x = random(15, 25, 4);
        for column in fit(&x, 6).loadings.columns() {
            let largest = column.iter().fold(0.0f64, |m, v| if v.abs() > m.abs() { *v } else { m });
            assert!(largest > 0.0, "{column}");
        }
    }

    #[test]
    fn components_are_capped_with_a_note() {
        let x = random(5, 30, 5);
        let fitted = fit(&x, 10);
        assert_eq!(fitted.n_components(), 4);
        let note = fitted.fit_note().unwrap();
        assert!(note.contains("4 of 10"), "{note}");
        assert!(note.contains("rows - 1"), "{note}");
    }

    #[test]
    fn rank_deficient_rows_drop_components() {
        // Rank 1 after centering: every row is a multiple of one direction.
        let x = array![[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [3.0, 6.0, 9.0], [0.0, 0.0, 0.0]];
        let fitted = fit(&x, 3);
        assert_eq!(fitted.n_components(), 1);
        assert!(fitted.fit_note().unwrap().contains("numerical rank"));
    }

    #[test]
    fn equal_rows_are_an_error() {
        let x = array![[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]];
        let err = PcaParams { components: 1 }.fit(x.view()).unwrap_err();
        assert!(err.to_string().contains("all equal"), "{err}");
    }

    #[test]
    fn zero_components_are_rejected() {
        let err = PcaParams { components: 0 }.check().unwrap_err();
        assert_eq!(err.setting, "pca components");
    }
}
