//! One training step in few parallel regions: the forward pass, backpropagation of the
//! mean squared error and the Adam update, fused.
//!
//! The plain path ([`Workspace::forward`], [`Workspace::backward`], [`Adam::step`]) waits
//! for every thread after each product and streams every parameter once more for Adam.
//! Here the output layer's forward pass, deltas, gradients and bias update run as one
//! region over blocks of its units. Then each lower layer runs one region over blocks of
//! its own units, which computes their deltas, applies Adam to the rows of the kernel
//! above that those units feed (that kernel is no longer needed), and computes their
//! gradients. Last, Adam updates the first layer's kernel. A network with one hidden
//! layer takes four regions per step instead of about ten.
//!
//! Each block runs the same products on the same column blocks as the plain path, and
//! Adam is elementwise, so the weights after a step are bit-identical to the plain
//! path's. Only the loss is summed in another order.

use ndarray::{s, Array1, Array2, ArrayView2, ArrayViewMut1, ArrayViewMut2, Axis};
use rayon::prelude::*;

use super::adam::{update, update_block, update_slice, Adam, Coefficients, LayerMoments};
use super::matmul::{block_width, is_parallel, matmul};
use super::network::{Dense, Float, Gradients, Network, Workspace};
use super::params::Activation;

impl<T: Float> Workspace<T> {
    /// Trains `network` by one Adam step on the first `rows` rows of the input and target
    /// buffers, and returns their sum of squared errors as [`Self::backward`] does.
    /// `gradients` receives this step's gradients.
    ///
    /// # Panics
    ///
    /// As [`Self::backward`], and when `adam` was created for other layer shapes.
    pub fn train_step(
        &mut self,
        network: &mut Network<T>,
        rows: usize,
        adam: &mut Adam<T>,
        gradients: &mut Gradients<T>,
    ) -> f64 {
        assert!(rows <= self.capacity, "batch of {rows} rows exceeds workspace capacity");
        assert!(!self.deltas.is_empty(), "workspace was allocated without backward buffers");
        let top = network.layers().len() - 1;
        for (index, layer) in network.layers()[..top].iter().enumerate() {
            self.forward_layer(layer, index, rows);
        }

        let coefficients = adam.begin_step();
        let mut moments = adam.layer_moments_mut();
        let layers = network.layers_mut();
        let squared_error = self.output_region(
            &mut layers[top],
            &mut moments[top],
            (&mut gradients.kernels[top], &mut gradients.biases[top]),
            rows,
            &coefficients,
        );
        for index in (1..=top).rev() {
            let (lower_layers, upper_layers) = layers.split_at_mut(index);
            let (lower_moments, upper_moments) = moments.split_at_mut(index);
            let (lower_kernels, upper_kernels) = gradients.kernels.split_at_mut(index);
            self.hidden_region(
                (&mut lower_layers[index - 1], &mut upper_layers[0]),
                (&mut lower_moments[index - 1], &mut upper_moments[0]),
                (&mut lower_kernels[index - 1], &mut gradients.biases[index - 1]),
                &upper_kernels[0],
                index,
                rows,
                &coefficients,
            );
        }
        // The first layer's kernel has no region below it. Its column blocks are strided,
        // so it is updated as one contiguous array, in parallel chunks.
        if top > 0 {
            let (first, second) = &mut moments[0].kernel;
            update(
                layers[0].kernel.as_slice_mut().expect("kernels are contiguous"),
                gradients.kernels[0].as_slice().expect("gradients are contiguous"),
                first.as_slice_mut().expect("moments are contiguous"),
                second.as_slice_mut().expect("moments are contiguous"),
                &coefficients,
            );
        }
        squared_error
    }

    /// Runs the output layer's region and returns the batch's sum of squared errors.
    fn output_region(
        &mut self,
        layer: &mut Dense<T>,
        moments: &mut LayerMoments<'_, T>,
        (kernel_gradient, bias_gradient): (&mut Array2<T>, &mut Array1<T>),
        rows: usize,
        c: &Coefficients<T>,
    ) -> f64 {
        let index = self.activations.len() - 2;
        let (n_inputs, units) = layer.kernel.dim();
        // A network without hidden layers updates its only kernel here.
        let updates_kernel = index == 0;
        let activation = layer.activation;
        let scale = T::from_f64(2.0 / (rows * units) as f64);
        let (before, after) = self.activations.split_at_mut(index + 1);
        let inputs = before[index].slice(s![..rows, ..]);
        let mut outputs = after[0].slice_mut(s![..rows, ..]);
        let mut deltas = self.deltas[index].slice_mut(s![..rows, ..]);
        let targets = self.targets.slice(s![..rows, ..]);

        let width = block_width(units);
        let mut outputs = outputs.axis_chunks_iter_mut(Axis(1), width);
        let mut deltas = deltas.axis_chunks_iter_mut(Axis(1), width);
        let mut targets = targets.axis_chunks_iter(Axis(1), width);
        let mut kernel = layer.kernel.axis_chunks_iter_mut(Axis(1), width);
        let mut kernel_gradient = kernel_gradient.axis_chunks_iter_mut(Axis(1), width);
        let mut kernel_first = moments.kernel.0.axis_chunks_iter_mut(Axis(1), width);
        let mut kernel_second = moments.kernel.1.axis_chunks_iter_mut(Axis(1), width);
        let mut bias = layer.bias.axis_chunks_iter_mut(Axis(0), width);
        let mut bias_gradient = bias_gradient.axis_chunks_iter_mut(Axis(0), width);
        let mut bias_first = moments.bias.0.axis_chunks_iter_mut(Axis(0), width);
        let mut bias_second = moments.bias.1.axis_chunks_iter_mut(Axis(0), width);
        let blocks: Vec<OutputBlock<'_, T>> = (0..units.div_ceil(width))
            .map(|_| OutputBlock {
                outputs: next(&mut outputs),
                deltas: next(&mut deltas),
                targets: next(&mut targets),
                kernel: next(&mut kernel),
                kernel_gradient: next(&mut kernel_gradient),
                kernel_moments: (next(&mut kernel_first), next(&mut kernel_second)),
                bias: Parameter {
                    values: next(&mut bias),
                    gradient: next(&mut bias_gradient),
                    moments: (next(&mut bias_first), next(&mut bias_second)),
                },
            })
            .collect();

        let run =
            |block: OutputBlock<'_, T>| block.run(inputs, activation, scale, updates_kernel, c);
        let sums: Vec<f64> = if is_parallel(rows * n_inputs * units) {
            blocks.into_par_iter().map(run).collect()
        } else {
            blocks.into_iter().map(run).collect()
        };
        sums.iter().sum()
    }

    /// Runs the region of layer `index − 1`, whose outputs feed layer `index`.
    #[allow(clippy::too_many_arguments)]
    fn hidden_region(
        &mut self,
        (lower, upper): (&mut Dense<T>, &mut Dense<T>),
        (lower_moments, upper_moments): (&mut LayerMoments<'_, T>, &mut LayerMoments<'_, T>),
        (kernel_gradient, bias_gradient): (&mut Array2<T>, &mut Array1<T>),
        upper_gradient: &Array2<T>,
        index: usize,
        rows: usize,
        c: &Coefficients<T>,
    ) {
        let activation = lower.activation;
        let units = lower.n_units();
        let work = rows * upper.n_units() * units;
        let (lower_deltas, upper_deltas) = self.deltas.split_at_mut(index);
        let upper_deltas = upper_deltas[0].slice(s![..rows, ..]);
        let mut deltas = lower_deltas[index - 1].slice_mut(s![..rows, ..]);
        let outputs = self.activations[index].slice(s![..rows, ..]);
        let inputs = self.activations[index - 1].slice(s![..rows, ..]);

        let width = block_width(units);
        let mut deltas = deltas.axis_chunks_iter_mut(Axis(1), width);
        let mut outputs = outputs.axis_chunks_iter(Axis(1), width);
        let mut upper_kernel = upper.kernel.axis_chunks_iter_mut(Axis(0), width);
        let mut upper_gradient = upper_gradient.axis_chunks_iter(Axis(0), width);
        let mut upper_first = upper_moments.kernel.0.axis_chunks_iter_mut(Axis(0), width);
        let mut upper_second = upper_moments.kernel.1.axis_chunks_iter_mut(Axis(0), width);
        let mut kernel_gradient = kernel_gradient.axis_chunks_iter_mut(Axis(1), width);
        let mut bias = lower.bias.axis_chunks_iter_mut(Axis(0), width);
        let mut bias_gradient = bias_gradient.axis_chunks_iter_mut(Axis(0), width);
        let mut bias_first = lower_moments.bias.0.axis_chunks_iter_mut(Axis(0), width);
        let mut bias_second = lower_moments.bias.1.axis_chunks_iter_mut(Axis(0), width);
        let blocks: Vec<HiddenBlock<'_, T>> = (0..units.div_ceil(width))
            .map(|_| HiddenBlock {
                deltas: next(&mut deltas),
                outputs: next(&mut outputs),
                upper_kernel: next(&mut upper_kernel),
                upper_gradient: next(&mut upper_gradient),
                upper_moments: (next(&mut upper_first), next(&mut upper_second)),
                kernel_gradient: next(&mut kernel_gradient),
                bias: Parameter {
                    values: next(&mut bias),
                    gradient: next(&mut bias_gradient),
                    moments: (next(&mut bias_first), next(&mut bias_second)),
                },
            })
            .collect();

        let run = |block: HiddenBlock<'_, T>| block.run(upper_deltas, inputs, activation, c);
        if is_parallel(work) {
            blocks.into_par_iter().for_each(run);
        } else {
            blocks.into_iter().for_each(run);
        }
    }
}

/// Returns the next chunk of an iterator that yields one chunk per block.
fn next<I: Iterator>(chunks: &mut I) -> I::Item {
    chunks.next().expect("one chunk per block")
}

/// A slice of a bias vector with its gradient and moments.
struct Parameter<'a, T> {
    values: ArrayViewMut1<'a, T>,
    gradient: ArrayViewMut1<'a, T>,
    moments: (ArrayViewMut1<'a, T>, ArrayViewMut1<'a, T>),
}

impl<T: Float> Parameter<'_, T> {
    /// Sums `deltas` over rows into the gradient, in row order as the plain path does,
    /// then applies Adam.
    fn sum_and_update(&mut self, deltas: ArrayView2<T>, c: &Coefficients<T>) {
        let gradient = self.gradient.as_slice_mut().expect("bias gradients are contiguous");
        gradient.fill(T::ZERO);
        for row in deltas.rows() {
            for (g, &d) in gradient.iter_mut().zip(row) {
                *g = *g + d;
            }
        }
        update_slice(
            self.values.as_slice_mut().expect("biases are contiguous"),
            gradient,
            self.moments.0.as_slice_mut().expect("moments are contiguous"),
            self.moments.1.as_slice_mut().expect("moments are contiguous"),
            c,
        );
    }
}

/// One block of the output layer's units: their columns of every array involved.
struct OutputBlock<'a, T> {
    outputs: ArrayViewMut2<'a, T>,
    deltas: ArrayViewMut2<'a, T>,
    targets: ArrayView2<'a, T>,
    kernel: ArrayViewMut2<'a, T>,
    kernel_gradient: ArrayViewMut2<'a, T>,
    kernel_moments: (ArrayViewMut2<'a, T>, ArrayViewMut2<'a, T>),
    bias: Parameter<'a, T>,
}

impl<T: Float> OutputBlock<'_, T> {
    fn run(
        mut self,
        inputs: ArrayView2<T>,
        activation: Activation,
        scale: T,
        updates_kernel: bool,
        c: &Coefficients<T>,
    ) -> f64 {
        matmul(self.outputs.view_mut(), inputs, self.kernel.view());
        let bias = self.bias.values.as_slice().expect("biases are contiguous");
        activation.apply_rows_with_bias(self.outputs.view_mut(), bias);

        let mut squared_error = 0.0;
        let rows = self.outputs.rows().into_iter().zip(self.targets.rows());
        for ((a_row, y_row), mut d_row) in rows.zip(self.deltas.rows_mut()) {
            squared_error += activation
                .output_deltas(
                    scale,
                    a_row.as_slice().expect("workspace rows are contiguous"),
                    y_row.as_slice().expect("workspace rows are contiguous"),
                    d_row.as_slice_mut().expect("workspace rows are contiguous"),
                )
                .to_f64();
        }

        matmul(self.kernel_gradient.view_mut(), inputs.t(), self.deltas.view());
        self.bias.sum_and_update(self.deltas.view(), c);
        if updates_kernel {
            let (first, second) = self.kernel_moments;
            update_block(self.kernel, self.kernel_gradient.view(), first, second, c);
        }
        squared_error
    }
}

/// One block of a hidden layer's units: their columns of the layer's arrays and their
/// rows of the kernel above.
struct HiddenBlock<'a, T> {
    deltas: ArrayViewMut2<'a, T>,
    outputs: ArrayView2<'a, T>,
    upper_kernel: ArrayViewMut2<'a, T>,
    upper_gradient: ArrayView2<'a, T>,
    upper_moments: (ArrayViewMut2<'a, T>, ArrayViewMut2<'a, T>),
    kernel_gradient: ArrayViewMut2<'a, T>,
    bias: Parameter<'a, T>,
}

impl<T: Float> HiddenBlock<'_, T> {
    fn run(
        mut self,
        upper_deltas: ArrayView2<T>,
        inputs: ArrayView2<T>,
        activation: Activation,
        c: &Coefficients<T>,
    ) {
        // These rows of the kernel above are read for the last time here, so Adam may
        // update them right after.
        matmul(self.deltas.view_mut(), upper_deltas, self.upper_kernel.t());
        activation.scale_rows_by_derivative(self.deltas.view_mut(), self.outputs);
        let (first, second) = self.upper_moments;
        update_block(self.upper_kernel, self.upper_gradient, first, second, c);

        matmul(self.kernel_gradient.view_mut(), inputs.t(), self.deltas.view());
        self.bias.sum_and_update(self.deltas.view(), c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::nn::adam::AdamConfig;
    use rand::distributions::{Distribution, Uniform};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn random_matrix(rows: usize, cols: usize, rng: &mut ChaCha8Rng) -> Array2<f32> {
        let uniform = Uniform::new(-1.0f32, 1.0);
        Array2::from_shape_simple_fn((rows, cols), || uniform.sample(rng))
    }

    /// Trains two copies of one network for four steps, one on the plain path and one on
    /// the fused step, and checks that their weights stay bit-identical.
    fn check_same_weights(inputs: usize, hidden: &[usize], activation: Activation, outputs: usize) {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let network: Network<f32> =
            Network::glorot_uniform(inputs, hidden, activation, outputs, &mut rng);
        let rows = 24;
        let x = random_matrix(rows, inputs, &mut rng);
        let y = random_matrix(rows, outputs, &mut rng);
        let config = AdamConfig { learning_rate: 0.01, ..Default::default() };

        let mut plain = network.clone();
        let mut fused = network;
        let mut plain_adam = Adam::new(config, &plain);
        let mut fused_adam = Adam::new(config, &fused);
        let mut plain_workspace = Workspace::new(&plain, rows, true);
        let mut fused_workspace = Workspace::new(&fused, rows, true);
        let mut plain_gradients = Gradients::zeros_like(&plain);
        let mut fused_gradients = Gradients::zeros_like(&fused);
        for step in 0..4 {
            // Batches of 24 and then 17 rows, so the partial-batch path is covered.
            let batch = if step % 2 == 0 { rows } else { 17 };
            for workspace in [&mut plain_workspace, &mut fused_workspace] {
                workspace.input_mut(batch).assign(&x.slice(s![..batch, ..]));
                workspace.targets_mut(batch).assign(&y.slice(s![..batch, ..]));
            }
            plain_workspace.forward(&plain, batch);
            let plain_loss = plain_workspace.backward(&plain, batch, &mut plain_gradients);
            plain_adam.step(&mut plain, &plain_gradients);
            let fused_loss = fused_workspace.train_step(
                &mut fused,
                batch,
                &mut fused_adam,
                &mut fused_gradients,
            );

            assert!(
                (plain_loss - fused_loss).abs() <= 1e-5 * plain_loss,
                "step {step}: loss {plain_loss} vs {fused_loss}"
            );
            for (index, (a, b)) in plain.layers().iter().zip(fused.layers()).enumerate() {
                assert_eq!(
                    a.kernel, b.kernel,
                    "{activation} {hidden:?}: step {step}, kernel {index}"
                );
                assert_eq!(a.bias, b.bias, "{activation} {hidden:?}: step {step}, bias {index}");
            }
        }
    }

    #[test]
    fn fused_step_matches_plain_one_hidden_layer() {
        // 700 inputs, 64 units and 300 outputs split every product into several blocks,
        // and the first layer's forward product is large enough to run its blocks in
        // parallel.
        check_same_weights(700, &[64], Activation::Relu, 300);
    }

    #[test]
    fn fused_step_matches_plain_two_hidden_layers() {
        check_same_weights(40, &[48, 20], Activation::Tanh, 5);
        check_same_weights(40, &[48, 20], Activation::Sigmoid, 5);
    }

    #[test]
    fn fused_step_matches_plain_linear_model() {
        check_same_weights(30, &[], Activation::Relu, 70);
    }
}
