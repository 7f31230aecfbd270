//! Ridge with no penalty against linfa-linear's ordinary least squares, an independent
//! implementation of the same estimator.

use linfa::traits::{Fit, Predict};
use linfa::Dataset;
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use lunchbench::models::ridge::{Ridge, RidgeParams};
use lunchbench::models::Regressor;

#[test]
fn unpenalized_ridge_matches_least_squares() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let x =
        Array2::from_shape_fn((50, 5), |(_, j)| rng.gen_range(-1.0..1.0) * (j + 1) as f64 + 3.0);
    let w = Array1::from(vec![0.5, -1.0, 2.0, 0.0, 0.25]);
    let y: Array1<f64> = x.dot(&w) + 4.0 + Array1::from_shape_fn(50, |_| rng.gen_range(-0.1..0.1));

    let ols =
        linfa_linear::LinearRegression::new().fit(&Dataset::new(x.clone(), y.clone())).unwrap();
    let want = ols.predict(&x);

    for standardize in [false, true] {
        let ridge = Ridge::new(RidgeParams { alpha: 0.0, standardize }).unwrap();
        let y2 = y.clone().insert_axis(ndarray::Axis(1));
        let got = ridge.fit(x.view(), y2.view()).unwrap().predict(x.view()).unwrap();
        for (i, (g, w)) in got.column(0).iter().zip(want.iter()).enumerate() {
            assert!(
                (g - w).abs() < 1e-9 * w.abs().max(1.0),
                "standardize {standardize}, row {i}: {g} vs {w}"
            );
        }
    }
}
