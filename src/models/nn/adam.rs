//! The Adam optimizer in the form Keras 3 applies it.

use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut1, ArrayViewMut2};
use rayon::prelude::*;

use super::network::{Float, Gradients, Network};

/// Adam hyperparameters, with Keras's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamConfig {
    pub learning_rate: f64,
    pub beta_1: f64,
    pub beta_2: f64,
    pub epsilon: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig { learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 }
    }
}

/// Adam moment estimates for every parameter of one network, and the step count.
///
/// Each step updates, for every weight w with gradient g:
///
/// ```text
/// m += (g − m)(1 − β₁)
/// v += (g² − v)(1 − β₂)
/// w −= (m · α) / (√v + ε)     with α = lr · √(1 − β₂ᵗ) / (1 − β₁ᵗ)
/// ```
///
/// with t counting steps from 1. This is the operation order of `keras.optimizers.Adam`
/// (`update_step` in Keras 3.15), which rounds differently in float32 from the
/// textbook m = β₁m + (1 − β₁)g.
#[derive(Debug, Clone)]
pub struct Adam<T> {
    config: AdamConfig,
    step: u64,
    kernel_moments: Vec<(Array2<T>, Array2<T>)>,
    bias_moments: Vec<(Array1<T>, Array1<T>)>,
}

impl<T: Float> Adam<T> {
    /// Creates zero moments shaped like `network`'s parameters.
    pub fn new(config: AdamConfig, network: &Network<T>) -> Self {
        let kernel_moments = network
            .layers()
            .iter()
            .map(|l| (Array2::zeros(l.kernel.raw_dim()), Array2::zeros(l.kernel.raw_dim())))
            .collect();
        let bias_moments = network
            .layers()
            .iter()
            .map(|l| (Array1::zeros(l.bias.raw_dim()), Array1::zeros(l.bias.raw_dim())))
            .collect();
        Adam { config, step: 0, kernel_moments, bias_moments }
    }

    /// Number of steps taken so far.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// Counts one more step and returns the coefficients of its update.
    pub(super) fn begin_step(&mut self) -> Coefficients<T> {
        self.step += 1;
        let config = self.config;
        // As Keras, the bias corrections are computed in the variable's precision.
        let t = T::from_f64(self.step as f64);
        let beta_1 = T::from_f64(config.beta_1);
        let beta_2 = T::from_f64(config.beta_2);
        let learning_rate = T::from_f64(config.learning_rate);
        let alpha = learning_rate * (T::ONE - beta_2.powf(t)).sqrt() / (T::ONE - beta_1.powf(t));
        Coefficients {
            one_minus_beta_1: T::from_f64(1.0 - config.beta_1),
            one_minus_beta_2: T::from_f64(1.0 - config.beta_2),
            alpha,
            epsilon: T::from_f64(config.epsilon),
        }
    }

    /// Returns views of every layer's moments, in layer order.
    pub(super) fn layer_moments_mut(&mut self) -> Vec<LayerMoments<'_, T>> {
        self.kernel_moments
            .iter_mut()
            .zip(self.bias_moments.iter_mut())
            .map(|((m_k, v_k), (m_b, v_b))| LayerMoments {
                kernel: (m_k.view_mut(), v_k.view_mut()),
                bias: (m_b.view_mut(), v_b.view_mut()),
            })
            .collect()
    }

    /// Applies one update to every parameter of `network` from `gradients`.
    pub fn step(&mut self, network: &mut Network<T>, gradients: &Gradients<T>) {
        let coefficients = self.begin_step();

        let moments = self.kernel_moments.iter_mut().zip(self.bias_moments.iter_mut());
        for (((layer, (m_k, v_k)), (m_b, v_b)), (g_k, g_b)) in network
            .layers_mut()
            .iter_mut()
            .zip(moments)
            .map(|(layer, (k, b))| ((layer, k), b))
            .zip(gradients.kernels.iter().zip(&gradients.biases))
        {
            update(
                layer.kernel.as_slice_mut().expect("kernel is contiguous"),
                g_k.as_slice().expect("gradient is contiguous"),
                m_k.as_slice_mut().expect("moment is contiguous"),
                v_k.as_slice_mut().expect("moment is contiguous"),
                &coefficients,
            );
            update(
                layer.bias.as_slice_mut().expect("bias is contiguous"),
                g_b.as_slice().expect("gradient is contiguous"),
                m_b.as_slice_mut().expect("moment is contiguous"),
                v_b.as_slice_mut().expect("moment is contiguous"),
                &coefficients,
            );
        }
    }
}

/// First and second moments of one layer's kernel and bias.
pub(super) struct LayerMoments<'a, T> {
    pub kernel: (ArrayViewMut2<'a, T>, ArrayViewMut2<'a, T>),
    pub bias: (ArrayViewMut1<'a, T>, ArrayViewMut1<'a, T>),
}

/// Per-step constants of the update: α is the bias-corrected step size.
#[derive(Debug, Clone, Copy)]
pub(super) struct Coefficients<T> {
    one_minus_beta_1: T,
    one_minus_beta_2: T,
    alpha: T,
    epsilon: T,
}

/// Weights per parallel task of an update. The update is elementwise, so the split
/// never changes the results.
const CHUNK: usize = 8192;

/// Updates moments and weights in one pass over the four arrays, in parallel chunks
/// when there are many weights.
pub(super) fn update<T: Float>(
    weights: &mut [T],
    gradients: &[T],
    first_moments: &mut [T],
    second_moments: &mut [T],
    c: &Coefficients<T>,
) {
    let n = weights.len();
    assert_eq!(gradients.len(), n);
    assert_eq!(first_moments.len(), n);
    assert_eq!(second_moments.len(), n);
    if n <= CHUNK {
        update_chunk(weights, gradients, first_moments, second_moments, c);
        return;
    }
    weights
        .par_chunks_mut(CHUNK)
        .zip(gradients.par_chunks(CHUNK))
        .zip(first_moments.par_chunks_mut(CHUNK))
        .zip(second_moments.par_chunks_mut(CHUNK))
        .for_each(|(((w, g), m), v)| update_chunk(w, g, m, v, c));
}

/// Updates a block of a kernel (or any 2-D parameter) row by row, on the calling
/// thread. Each view must have the same shape and contiguous rows.
pub(super) fn update_block<T: Float>(
    mut weights: ArrayViewMut2<T>,
    gradients: ArrayView2<T>,
    mut first_moments: ArrayViewMut2<T>,
    mut second_moments: ArrayViewMut2<T>,
    c: &Coefficients<T>,
) {
    assert_eq!(weights.dim(), gradients.dim());
    assert_eq!(weights.dim(), first_moments.dim());
    assert_eq!(weights.dim(), second_moments.dim());
    let rows = weights
        .rows_mut()
        .into_iter()
        .zip(gradients.rows())
        .zip(first_moments.rows_mut())
        .zip(second_moments.rows_mut());
    for (((mut w, g), mut m), mut v) in rows {
        update_chunk(
            w.as_slice_mut().expect("parameter rows are contiguous"),
            g.as_slice().expect("gradient rows are contiguous"),
            m.as_slice_mut().expect("moment rows are contiguous"),
            v.as_slice_mut().expect("moment rows are contiguous"),
            c,
        );
    }
}

/// Updates a slice of a bias vector on the calling thread.
pub(super) fn update_slice<T: Float>(
    weights: &mut [T],
    gradients: &[T],
    first_moments: &mut [T],
    second_moments: &mut [T],
    c: &Coefficients<T>,
) {
    assert_eq!(gradients.len(), weights.len());
    assert_eq!(first_moments.len(), weights.len());
    assert_eq!(second_moments.len(), weights.len());
    update_chunk(weights, gradients, first_moments, second_moments, c);
}

/// Runs [`update_loop`] compiled for AVX2 when the processor has it. The loop has no
/// fused multiply-adds and IEEE square roots and divisions round the same in every
/// vector width, so both paths give bit-identical weights.
fn update_chunk<T: Float>(
    weights: &mut [T],
    gradients: &[T],
    first_moments: &mut [T],
    second_moments: &mut [T],
    c: &Coefficients<T>,
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor supports AVX2, checked just above.
        unsafe { update_avx2(weights, gradients, first_moments, second_moments, c) };
        return;
    }
    update_loop(weights, gradients, first_moments, second_moments, c);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn update_avx2<T: Float>(
    weights: &mut [T],
    gradients: &[T],
    first_moments: &mut [T],
    second_moments: &mut [T],
    c: &Coefficients<T>,
) {
    update_loop(weights, gradients, first_moments, second_moments, c);
}

#[inline(always)]
fn update_loop<T: Float>(
    weights: &mut [T],
    gradients: &[T],
    first_moments: &mut [T],
    second_moments: &mut [T],
    c: &Coefficients<T>,
) {
    for (((w, &g), m), v) in
        weights.iter_mut().zip(gradients).zip(first_moments.iter_mut()).zip(second_moments)
    {
        *m = *m + (g - *m) * c.one_minus_beta_1;
        *v = *v + (g * g - *v) * c.one_minus_beta_2;
        *w = *w - (*m * c.alpha) / (v.sqrt() + c.epsilon);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::nn::network::Dense;
    use crate::models::nn::Activation;
    use ndarray::array;

    fn one_weight_network(w: f64) -> Network<f64> {
        Network::from_layers(vec![Dense {
            kernel: array![[w]],
            bias: array![0.0],
            activation: Activation::Linear,
        }])
        .unwrap()
    }

    #[test]
    fn first_step_moves_by_learning_rate() {
        // At t = 1, m = 0.1g and v = 0.001g², so the step is lr · g / (|g| + ε/√0.001)
        // ≈ lr · sign(g) for |g| ≫ ε.
        let mut network = one_weight_network(0.5);
        let mut adam = Adam::new(AdamConfig::default(), &network);
        let gradients = Gradients { kernels: vec![array![[4.0]]], biases: vec![array![0.0]] };
        adam.step(&mut network, &gradients);
        let moved = 0.5 - network.layers()[0].kernel[[0, 0]];
        assert!((moved - 0.001).abs() < 1e-9, "moved {moved}");
        assert_eq!(network.layers()[0].bias[0], 0.0);
        assert_eq!(adam.steps(), 1);
    }

    #[test]
    fn matches_textbook_recursions_in_f64() {
        // The textbook recursions m = β₁m + (1 − β₁)g and v = β₂v + (1 − β₂)g² with the
        // step α·m / (√v + ε), in f64. Keras's operation order changes only the rounding.
        let config = AdamConfig { learning_rate: 0.01, ..Default::default() };
        let mut network = one_weight_network(1.0);
        let mut adam = Adam::new(config, &network);
        let (mut w, mut m, mut v) = (1.0f64, 0.0f64, 0.0f64);
        for t in 1..=20 {
            let g = 2.0 * w - 0.3 * t as f64;
            let gradients = Gradients { kernels: vec![array![[g]]], biases: vec![array![0.0]] };
            network.layers_mut()[0].kernel[[0, 0]] = w;
            adam.step(&mut network, &gradients);
            m = 0.9 * m + 0.1 * g;
            v = 0.999 * v + 0.001 * g * g;
            let alpha = 0.01 * (1.0 - 0.999f64.powi(t)).sqrt() / (1.0 - 0.9f64.powi(t));
            w -= alpha * m / (v.sqrt() + 1e-7);
            let got = network.layers()[0].kernel[[0, 0]];
            assert!((got - w).abs() < 1e-12, "step {t}: {got} vs {w}");
        }
    }
}
