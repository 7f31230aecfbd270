//! Dense layers, the forward pass and backpropagation of the mean squared error.
//!
//! A layer computes `a_out = f(a_in · K + b)` with the kernel `K` stored inputs × units,
//! as Keras stores it. All passes write into buffers allocated once per batch size
//! ([`Workspace`]), so a training step allocates no arrays. The products run in column
//! blocks on rayon's threads, with results that do not depend on the thread count.

use ndarray::{s, Array1, Array2, ArrayView2, ArrayViewMut2, LinalgScalar};
use rand::distributions::{Distribution, Uniform};
use rand::Rng;

use super::matmul::{for_column_blocks, matmul};
use super::params::Activation;
use crate::models::ModelError;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// Floating-point type a network computes in: `f32` for training, `f64` for gradient
/// checks.
pub trait Float:
    LinalgScalar + PartialOrd + Send + Sync + std::fmt::Debug + std::fmt::Display + sealed::Sealed
{
    const ZERO: Self;
    const ONE: Self;
    fn from_f64(value: f64) -> Self;
    fn to_f64(self) -> f64;
    fn sqrt(self) -> Self;
    fn exp(self) -> Self;
    fn tanh(self) -> Self;
    fn powf(self, exponent: Self) -> Self;
    fn is_finite(self) -> bool;
}

macro_rules! impl_float {
    ($t:ty) => {
        impl Float for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            #[inline(always)]
            fn from_f64(value: f64) -> Self {
                value as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline(always)]
            fn powf(self, exponent: Self) -> Self {
                <$t>::powf(self, exponent)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
        }
    };
}

impl_float!(f32);
impl_float!(f64);

impl Activation {
    /// Applies the activation to one pre-activation value.
    #[inline(always)]
    fn apply<T: Float>(self, z: T) -> T {
        match self {
            // NaN passes through, so a non-finite weight always reaches the loss.
            Activation::Relu => {
                if z < T::ZERO {
                    T::ZERO
                } else {
                    z
                }
            }
            Activation::Tanh => z.tanh(),
            // Both branches avoid exp of a large positive number, which would overflow.
            Activation::Sigmoid => {
                if z >= T::ZERO {
                    T::ONE / (T::ONE + (T::ZERO - z).exp())
                } else {
                    let e = z.exp();
                    e / (T::ONE + e)
                }
            }
            Activation::Linear => z,
        }
    }

    /// Returns the derivative f'(z) expressed through the output a = f(z), which is all
    /// the backward pass keeps.
    #[inline(always)]
    fn derivative_from_output<T: Float>(self, a: T) -> T {
        match self {
            // The derivative at z = 0 is taken as 0, as TensorFlow's ReluGrad does.
            Activation::Relu => {
                if a > T::ZERO {
                    T::ONE
                } else {
                    T::ZERO
                }
            }
            Activation::Tanh => T::ONE - a * a,
            Activation::Sigmoid => a * (T::ONE - a),
            Activation::Linear => T::ONE,
        }
    }

    /// Replaces each value z with f(z + bias), the bias taken elementwise.
    fn apply_with_bias<T: Float>(self, values: &mut [T], bias: &[T]) {
        // Each arm passes a constant activation, so the per-element match folds away
        // and the loop vectorizes.
        fn run<T: Float>(values: &mut [T], bias: &[T], f: impl Fn(T) -> T) {
            for (value, &b) in values.iter_mut().zip(bias) {
                *value = f(*value + b);
            }
        }
        match self {
            Activation::Relu => run(values, bias, |z| Activation::Relu.apply(z)),
            Activation::Tanh => run(values, bias, |z| Activation::Tanh.apply(z)),
            Activation::Sigmoid => run(values, bias, |z| Activation::Sigmoid.apply(z)),
            Activation::Linear => run(values, bias, |z| z),
        }
    }

    /// Replaces each value z of every row of `block` with f(z + bias).
    pub(super) fn apply_rows_with_bias<T: Float>(self, mut block: ArrayViewMut2<T>, bias: &[T]) {
        for mut row in block.rows_mut() {
            self.apply_with_bias(row.as_slice_mut().expect("workspace rows are contiguous"), bias);
        }
    }

    /// Multiplies every delta in `deltas` by f'(z), computed from the matching layer
    /// output a = f(z) in `outputs`.
    pub(super) fn scale_rows_by_derivative<T: Float>(
        self,
        mut deltas: ArrayViewMut2<T>,
        outputs: ArrayView2<T>,
    ) {
        for (mut d_row, a_row) in deltas.rows_mut().into_iter().zip(outputs.rows()) {
            let d_row = d_row.as_slice_mut().expect("workspace rows are contiguous");
            let a_row = a_row.as_slice().expect("workspace rows are contiguous");
            self.scale_by_derivative(d_row, a_row);
        }
    }

    /// Multiplies each delta by f'(z), computed from the layer output a = f(z).
    fn scale_by_derivative<T: Float>(self, deltas: &mut [T], outputs: &[T]) {
        fn run<T: Float>(deltas: &mut [T], outputs: &[T], derivative: impl Fn(T) -> T) {
            for (delta, &a) in deltas.iter_mut().zip(outputs) {
                *delta = *delta * derivative(a);
            }
        }
        match self {
            Activation::Relu => {
                run(deltas, outputs, |a| Activation::Relu.derivative_from_output(a))
            }
            Activation::Tanh => {
                run(deltas, outputs, |a| Activation::Tanh.derivative_from_output(a))
            }
            Activation::Sigmoid => {
                run(deltas, outputs, |a| Activation::Sigmoid.derivative_from_output(a))
            }
            Activation::Linear => {}
        }
    }

    /// Writes the output layer's deltas `scale · (a − y) · f'(a)` for one row and
    /// returns the row's sum of squared errors.
    pub(super) fn output_deltas<T: Float>(
        self,
        scale: T,
        outputs: &[T],
        targets: &[T],
        deltas: &mut [T],
    ) -> T {
        fn run<T: Float>(
            scale: T,
            outputs: &[T],
            targets: &[T],
            deltas: &mut [T],
            derivative: impl Fn(T) -> T,
        ) -> T {
            // Eight running sums, one per lane, let the loop vectorize: a single running
            // sum would fix the order of every addition.
            let mut lanes = [T::ZERO; LANES];
            let mut delta_chunks = deltas.chunks_exact_mut(LANES);
            let mut output_chunks = outputs.chunks_exact(LANES);
            let mut target_chunks = targets.chunks_exact(LANES);
            for ((delta, a), y) in
                (&mut delta_chunks).zip(&mut output_chunks).zip(&mut target_chunks)
            {
                // Fixed-size arrays let the compiler drop the bounds checks and vectorize
                // the eight lanes.
                let delta: &mut [T; LANES] = delta.try_into().expect("chunks are exact");
                let a: &[T; LANES] = a.try_into().expect("chunks are exact");
                let y: &[T; LANES] = y.try_into().expect("chunks are exact");
                for lane in 0..LANES {
                    let error = a[lane] - y[lane];
                    lanes[lane] = lanes[lane] + error * error;
                    delta[lane] = scale * error * derivative(a[lane]);
                }
            }
            let remainder = delta_chunks
                .into_remainder()
                .iter_mut()
                .zip(output_chunks.remainder())
                .zip(target_chunks.remainder());
            for (lane, ((delta, &a), &y)) in remainder.enumerate() {
                let error = a - y;
                lanes[lane] = lanes[lane] + error * error;
                *delta = scale * error * derivative(a);
            }
            lanes.iter().fold(T::ZERO, |sum, &lane| sum + lane)
        }
        const LANES: usize = 8;
        match self {
            Activation::Relu => {
                run(scale, outputs, targets, deltas, |a| Activation::Relu.derivative_from_output(a))
            }
            Activation::Tanh => {
                run(scale, outputs, targets, deltas, |a| Activation::Tanh.derivative_from_output(a))
            }
            Activation::Sigmoid => run(scale, outputs, targets, deltas, |a| {
                Activation::Sigmoid.derivative_from_output(a)
            }),
            Activation::Linear => run(scale, outputs, targets, deltas, |_| T::ONE),
        }
    }
}

/// One fully connected layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense<T> {
    /// Weights, inputs × units.
    pub kernel: Array2<T>,
    /// One bias per unit.
    pub bias: Array1<T>,
    pub activation: Activation,
}

impl<T: Float> Dense<T> {
    pub fn n_inputs(&self) -> usize {
        self.kernel.nrows()
    }

    pub fn n_units(&self) -> usize {
        self.kernel.ncols()
    }

    /// Creates a layer with a Glorot-uniform kernel, drawn from
    /// U(−limit, limit) with limit = sqrt(6 / (inputs + units)) as Keras's
    /// `GlorotUniform`, and zero biases.
    pub fn glorot_uniform<R: Rng + ?Sized>(
        n_inputs: usize,
        n_units: usize,
        activation: Activation,
        rng: &mut R,
    ) -> Self {
        let limit = (6.0 / (n_inputs + n_units) as f64).sqrt();
        let uniform = Uniform::new(-limit, limit);
        let kernel =
            Array2::from_shape_simple_fn((n_inputs, n_units), || T::from_f64(uniform.sample(rng)));
        Dense { kernel, bias: Array1::from_elem(n_units, T::ZERO), activation }
    }
}

/// A stack of dense layers, like a Keras `Sequential` model of `Dense` layers.
#[derive(Debug, Clone, PartialEq)]
pub struct Network<T> {
    layers: Vec<Dense<T>>,
}

impl<T: Float> Network<T> {
    /// Builds a network from given layers, such as weights exported from Keras.
    ///
    /// # Errors
    ///
    /// Returns [`ModelError::Shape`] when there are no layers, a layer has no units, a
    /// bias length differs from its kernel's units, or a layer's inputs differ from the
    /// previous layer's units.
    pub fn from_layers(layers: Vec<Dense<T>>) -> Result<Self, ModelError> {
        if layers.is_empty() {
            return Err(ModelError::Shape("a network needs at least one layer".into()));
        }
        for (index, layer) in layers.iter().enumerate() {
            if layer.n_inputs() == 0 || layer.n_units() == 0 {
                return Err(ModelError::Shape(format!(
                    "layer {index} has kernel shape {:?}: expected at least one input and unit",
                    layer.kernel.dim()
                )));
            }
            if layer.bias.len() != layer.n_units() {
                return Err(ModelError::Shape(format!(
                    "layer {index} has {} units but {} biases",
                    layer.n_units(),
                    layer.bias.len()
                )));
            }
            if index > 0 && layers[index - 1].n_units() != layer.n_inputs() {
                return Err(ModelError::Shape(format!(
                    "layer {index} takes {} inputs but layer {} has {} units",
                    layer.n_inputs(),
                    index - 1,
                    layers[index - 1].n_units()
                )));
            }
        }
        Ok(Network { layers })
    }

    /// Creates a network of Glorot-uniform layers: `hidden` layers with `activation`,
    /// then a linear output layer of `n_outputs` units. The kernels are drawn in layer
    /// order from `rng`.
    pub fn glorot_uniform<R: Rng + ?Sized>(
        n_inputs: usize,
        hidden: &[usize],
        activation: Activation,
        n_outputs: usize,
        rng: &mut R,
    ) -> Self {
        let mut layers = Vec::with_capacity(hidden.len() + 1);
        let mut fan_in = n_inputs;
        for &units in hidden {
            layers.push(Dense::glorot_uniform(fan_in, units, activation, rng));
            fan_in = units;
        }
        layers.push(Dense::glorot_uniform(fan_in, n_outputs, Activation::Linear, rng));
        Network { layers }
    }

    pub fn layers(&self) -> &[Dense<T>] {
        &self.layers
    }

    pub(crate) fn layers_mut(&mut self) -> &mut [Dense<T>] {
        &mut self.layers
    }

    pub fn n_inputs(&self) -> usize {
        self.layers[0].n_inputs()
    }

    pub fn n_outputs(&self) -> usize {
        self.layers[self.layers.len() - 1].n_units()
    }

    /// Number of trainable weights and biases.
    pub fn n_parameters(&self) -> usize {
        self.layers.iter().map(|layer| layer.kernel.len() + layer.bias.len()).sum()
    }

    /// Computes the outputs (rows × outputs) for `x` (rows × inputs).
    ///
    /// # Errors
    ///
    /// Returns [`ModelError::Shape`] when `x` does not have [`Self::n_inputs`] columns.
    pub fn predict(&self, x: ArrayView2<T>) -> Result<Array2<T>, ModelError> {
        if x.ncols() != self.n_inputs() {
            return Err(ModelError::Shape(format!(
                "network takes {} inputs but got {}",
                self.n_inputs(),
                x.ncols()
            )));
        }
        let mut workspace = Workspace::new(self, x.nrows().max(1), false);
        let rows = x.nrows();
        workspace.input_mut(rows).assign(&x);
        workspace.forward(self, rows);
        Ok(workspace.output(rows).to_owned())
    }

    /// Copies every weight and bias of `source`, which must have the same shapes.
    pub(crate) fn copy_weights_from(&mut self, source: &Network<T>) {
        for (layer, from) in self.layers.iter_mut().zip(&source.layers) {
            layer.kernel.assign(&from.kernel);
            layer.bias.assign(&from.bias);
        }
    }
}

/// Gradients of the loss, one kernel and bias array per layer.
#[derive(Debug, Clone)]
pub struct Gradients<T> {
    pub kernels: Vec<Array2<T>>,
    pub biases: Vec<Array1<T>>,
}

impl<T: Float> Gradients<T> {
    pub fn zeros_like(network: &Network<T>) -> Self {
        Gradients {
            kernels: network.layers.iter().map(|l| Array2::zeros(l.kernel.raw_dim())).collect(),
            biases: network.layers.iter().map(|l| Array1::zeros(l.bias.raw_dim())).collect(),
        }
    }
}

/// Buffers for the forward and backward passes of up to `capacity` rows.
///
/// A batch of fewer rows, such as the last partial batch of an epoch, uses the leading
/// rows of every buffer.
#[derive(Debug, Clone)]
pub struct Workspace<T> {
    pub(super) capacity: usize,
    /// `activations[0]` is the input batch and `activations[l + 1]` the output of layer l.
    pub(super) activations: Vec<Array2<T>>,
    /// Loss derivative with respect to each layer's pre-activation (empty when the
    /// workspace only runs forward passes).
    pub(super) deltas: Vec<Array2<T>>,
    pub(super) targets: Array2<T>,
}

impl<T: Float> Workspace<T> {
    /// Allocates buffers for `capacity` rows of `network`, with the backward-pass
    /// buffers only when `backward` is true.
    pub fn new(network: &Network<T>, capacity: usize, backward: bool) -> Self {
        let mut activations = vec![Array2::zeros((capacity, network.n_inputs()))];
        activations.extend(network.layers.iter().map(|l| Array2::zeros((capacity, l.n_units()))));
        let deltas = if backward {
            network.layers.iter().map(|l| Array2::zeros((capacity, l.n_units()))).collect()
        } else {
            Vec::new()
        };
        let targets = Array2::zeros((if backward { capacity } else { 0 }, network.n_outputs()));
        Workspace { capacity, activations, deltas, targets }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Returns the first `rows` rows of the input buffer, for the caller to fill.
    pub fn input_mut(&mut self, rows: usize) -> ArrayViewMut2<'_, T> {
        self.activations[0].slice_mut(s![..rows, ..])
    }

    /// Returns the first `rows` rows of the target buffer, for the caller to fill.
    pub fn targets_mut(&mut self, rows: usize) -> ArrayViewMut2<'_, T> {
        self.targets.slice_mut(s![..rows, ..])
    }

    /// Returns the network outputs of the last forward pass over `rows` rows.
    pub fn output(&self, rows: usize) -> ArrayView2<'_, T> {
        self.activations[self.activations.len() - 1].slice(s![..rows, ..])
    }

    /// Runs the forward pass over the first `rows` rows of the input buffer.
    ///
    /// # Panics
    ///
    /// When `rows` exceeds the capacity, or `network` has other layer shapes than the
    /// network the workspace was allocated for.
    pub fn forward(&mut self, network: &Network<T>, rows: usize) {
        assert!(rows <= self.capacity, "batch of {rows} rows exceeds workspace capacity");
        for (index, layer) in network.layers.iter().enumerate() {
            self.forward_layer(layer, index, rows);
        }
    }

    /// Computes the outputs of layer `index` from its inputs, for the first `rows` rows.
    pub(super) fn forward_layer(&mut self, layer: &Dense<T>, index: usize, rows: usize) {
        let (before, after) = self.activations.split_at_mut(index + 1);
        let inputs = before[index].slice(s![..rows, ..]);
        let outputs = after[0].slice_mut(s![..rows, ..]);
        let work = rows * layer.n_inputs() * layer.n_units();
        for_column_blocks(outputs, work, |columns, mut block| {
            matmul(block.view_mut(), inputs, layer.kernel.slice(s![.., columns.clone()]));
            let bias = layer.bias.as_slice().expect("bias is contiguous");
            layer.activation.apply_rows_with_bias(block.view_mut(), &bias[columns]);
        });
    }

    /// Computes the mean squared error of the last forward pass against the first
    /// `rows` target rows, and its gradients into `gradients`.
    ///
    /// The loss is averaged over rows and outputs, as Keras's `mse` loss is over one
    /// batch. Returns the sum of squared errors, so callers can weight batches by their
    /// rows; the batch loss is that sum divided by `rows × outputs`.
    ///
    /// # Panics
    ///
    /// As [`Self::forward`], and when the workspace has no backward-pass buffers.
    pub fn backward(
        &mut self,
        network: &Network<T>,
        rows: usize,
        gradients: &mut Gradients<T>,
    ) -> f64 {
        assert!(!self.deltas.is_empty(), "workspace was allocated without backward buffers");
        let n_layers = network.layers.len();
        let last = &network.layers[n_layers - 1];
        let scale = T::from_f64(2.0 / (rows * last.n_units()) as f64);

        // Output layer: dL/dz = 2 (a − y) f'(a) / (rows × outputs).
        let mut squared_error = 0.0;
        {
            let outputs = self.activations[n_layers].slice(s![..rows, ..]);
            let targets = self.targets.slice(s![..rows, ..]);
            let mut delta = self.deltas[n_layers - 1].slice_mut(s![..rows, ..]);
            for ((a_row, y_row), mut d_row) in
                outputs.rows().into_iter().zip(targets.rows()).zip(delta.rows_mut())
            {
                let a_row = a_row.as_slice().expect("workspace rows are contiguous");
                let y_row = y_row.as_slice().expect("workspace rows are contiguous");
                let d_row = d_row.as_slice_mut().expect("workspace rows are contiguous");
                let row_sum = last.activation.output_deltas(scale, a_row, y_row, d_row);
                squared_error += row_sum.to_f64();
            }
        }

        for index in (0..n_layers).rev() {
            let layer = &network.layers[index];
            let (lower, upper) = self.deltas.split_at_mut(index);
            let delta = upper[0].slice(s![..rows, ..]);
            let inputs = self.activations[index].slice(s![..rows, ..]);

            let work = rows * layer.n_inputs() * layer.n_units();
            for_column_blocks(gradients.kernels[index].view_mut(), work, |columns, block| {
                matmul(block, inputs.t(), delta.slice(s![.., columns]));
            });
            let bias_gradient = gradients.biases[index].as_slice_mut().expect("contiguous");
            bias_gradient.fill(T::ZERO);
            for row in delta.rows() {
                let row = row.as_slice().expect("workspace rows are contiguous");
                for (g, &d) in bias_gradient.iter_mut().zip(row) {
                    *g = *g + d;
                }
            }

            // The input layer needs no delta of its own inputs.
            if index == 0 {
                break;
            }
            let below = &network.layers[index - 1];
            // Each block of the lower layer's units takes the matching rows of the kernel,
            // so no block needs another's partial sums.
            let lower_delta = lower[index - 1].slice_mut(s![..rows, ..]);
            let lower_outputs = self.activations[index].slice(s![..rows, ..]);
            for_column_blocks(lower_delta, work, |columns, mut block| {
                let kernel_rows = layer.kernel.slice(s![columns.clone(), ..]);
                matmul(block.view_mut(), delta, kernel_rows.t());
                let outputs = lower_outputs.slice(s![.., columns]);
                below.activation.scale_rows_by_derivative(block, outputs);
            });
        }
        squared_error
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// Mean squared error of `network` on (x, y), computed without the workspace.
    fn reference_loss(network: &Network<f64>, x: &Array2<f64>, y: &Array2<f64>) -> f64 {
        let prediction = network.predict(x.view()).unwrap();
        let errors = &prediction - y;
        errors.mapv(|e| e * e).mean().unwrap()
    }

    fn random_matrix(rows: usize, cols: usize, rng: &mut ChaCha8Rng) -> Array2<f64> {
        let uniform = Uniform::new(-1.0, 1.0);
        Array2::from_shape_simple_fn((rows, cols), || uniform.sample(rng))
    }

    /// Compares backpropagated gradients with central differences of the loss in f64.
    fn check_gradients(activation: Activation) {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut network: Network<f64> =
            Network::glorot_uniform(5, &[6, 4], activation, 3, &mut rng);
        // Non-zero biases make the check cover the bias path through every activation.
        for layer in network.layers_mut() {
            let n = layer.bias.len();
            layer.bias.assign(&random_matrix(1, n, &mut rng).row(0).mapv(|b| 0.3 * b));
        }
        let x = random_matrix(7, 5, &mut rng);
        let y = random_matrix(7, 3, &mut rng);

        let mut workspace = Workspace::new(&network, 7, true);
        workspace.input_mut(7).assign(&x);
        workspace.targets_mut(7).assign(&y);
        workspace.forward(&network, 7);
        let mut gradients = Gradients::zeros_like(&network);
        let squared_error = workspace.backward(&network, 7, &mut gradients);
        let loss = reference_loss(&network, &x, &y);
        assert!((squared_error / 21.0 - loss).abs() < 1e-12, "{squared_error} vs {loss}");

        // With h = 1e-6 the central-difference error is O(h²) from curvature plus
        // O(1e-16 / h) from rounding, about 1e-10 here, far below the 1e-7 tolerance.
        // A relu unit whose pre-activation lies within h of 0 would break the check, but
        // the fixed seed avoids that.
        let h = 1e-6;
        let mut worst = 0.0f64;
        for index in 0..network.layers().len() {
            let kernel_shape = network.layers()[index].kernel.dim();
            for i in 0..kernel_shape.0 {
                for j in 0..kernel_shape.1 {
                    let analytic = gradients.kernels[index][[i, j]];
                    let numeric = central_difference(&mut network, &x, &y, h, |net| {
                        &mut net.layers_mut()[index].kernel[[i, j]]
                    });
                    worst = worst.max((analytic - numeric).abs() / numeric.abs().max(1e-3));
                }
            }
            for j in 0..network.layers()[index].bias.len() {
                let analytic = gradients.biases[index][j];
                let numeric = central_difference(&mut network, &x, &y, h, |net| {
                    &mut net.layers_mut()[index].bias[j]
                });
                worst = worst.max((analytic - numeric).abs() / numeric.abs().max(1e-3));
            }
        }
        assert!(worst < 1e-7, "{activation}: worst relative gradient error {worst:e}");
    }

    fn central_difference(
        network: &mut Network<f64>,
        x: &Array2<f64>,
        y: &Array2<f64>,
        h: f64,
        parameter: impl Fn(&mut Network<f64>) -> &mut f64,
    ) -> f64 {
        let original = *parameter(network);
        *parameter(network) = original + h;
        let plus = reference_loss(network, x, y);
        *parameter(network) = original - h;
        let minus = reference_loss(network, x, y);
        *parameter(network) = original;
        (plus - minus) / (2.0 * h)
    }

    #[test]
    fn gradients_match_finite_differences_relu() {
        check_gradients(Activation::Relu);
    }

    #[test]
    fn gradients_match_finite_differences_tanh() {
        check_gradients(Activation::Tanh);
    }

    #[test]
    fn gradients_match_finite_differences_sigmoid() {
        check_gradients(Activation::Sigmoid);
    }

    #[test]
    fn gradients_match_finite_differences_linear() {
        check_gradients(Activation::Linear);
    }

    #[test]
    fn activations_match_their_definitions() {
        let inputs = [-30.0f64, -1.5, 0.0, 0.4, 30.0];
        for z in inputs {
            assert_eq!(Activation::Relu.apply(z), z.max(0.0));
            assert!((Activation::Tanh.apply(z) - z.tanh()).abs() < 1e-15);
            assert!((Activation::Sigmoid.apply(z) - 1.0 / (1.0 + (-z).exp())).abs() < 1e-15);
            assert_eq!(Activation::Linear.apply(z), z);
        }
        for activation in Activation::ALL {
            assert!(activation.apply(f64::NAN).is_nan(), "{activation}");
        }
        assert!(Activation::Sigmoid.apply(-1000.0f32).is_finite());
        assert_eq!(Activation::Sigmoid.apply(1000.0f32), 1.0);
    }

    #[test]
    fn glorot_kernel_stays_within_limit() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let layer: Dense<f32> = Dense::glorot_uniform(700, 64, Activation::Relu, &mut rng);
        let limit = (6.0f32 / 764.0).sqrt();
        assert!(layer.kernel.iter().all(|w| w.abs() <= limit));
        // The variance of U(−l, l) is l²/3, and 44,800 draws pin it within a few percent.
        let variance = layer.kernel.mapv(|w| w * w).mean().unwrap();
        assert!((variance / (limit * limit / 3.0) - 1.0).abs() < 0.05, "variance {variance}");
        assert!(layer.bias.iter().all(|&b| b == 0.0));
    }

    #[test]
    fn same_seed_gives_same_weights() {
        let build = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            Network::<f32>::glorot_uniform(4, &[3], Activation::Tanh, 2, &mut rng)
        };
        assert_eq!(build(3), build(3));
        assert_ne!(build(3), build(4));
    }

    #[test]
    fn linear_network_has_one_layer() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let network = Network::<f32>::glorot_uniform(4, &[], Activation::Relu, 2, &mut rng);
        assert_eq!(network.layers().len(), 1);
        assert_eq!(network.layers()[0].activation, Activation::Linear);
        assert_eq!(network.n_parameters(), 4 * 2 + 2);
    }

    #[test]
    fn predict_computes_layer_formula() {
        let hidden = Dense {
            kernel: array![[1.0, -1.0], [0.5, 2.0]],
            bias: array![0.0, -1.0],
            activation: Activation::Relu,
        };
        let output = Dense {
            kernel: array![[2.0], [3.0]],
            bias: array![1.0],
            activation: Activation::Linear,
        };
        let network = Network::from_layers(vec![hidden, output]).unwrap();
        // Row [2, 1]: hidden z = [2.5, -1] → relu [2.5, 0] → 2·2.5 + 1 = 6.
        // Row [0, 1]: hidden z = [0.5, 1] → [0.5, 1] → 1 + 3 + 1 = 5.
        let prediction = network.predict(array![[2.0, 1.0], [0.0, 1.0]].view()).unwrap();
        assert_eq!(prediction, array![[6.0], [5.0]]);
    }

    #[test]
    fn predict_accepts_zero_rows() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let network = Network::<f32>::glorot_uniform(4, &[3], Activation::Relu, 2, &mut rng);
        let prediction = network.predict(Array2::zeros((0, 4)).view()).unwrap();
        assert_eq!(prediction.dim(), (0, 2));
    }

    #[test]
    fn mismatched_layers_are_rejected() {
        let layer = |inputs, units| Dense::<f32> {
            kernel: Array2::zeros((inputs, units)),
            bias: Array1::zeros(units),
            activation: Activation::Linear,
        };
        let err = Network::from_layers(vec![layer(3, 4), layer(5, 2)]).unwrap_err();
        assert!(err.to_string().contains("layer 1 takes 5 inputs but layer 0 has 4 units"));

        let mut short_bias = layer(3, 4);
        short_bias.bias = Array1::zeros(3);
        let err = Network::from_layers(vec![short_bias]).unwrap_err();
        assert!(err.to_string().contains("4 units but 3 biases"), "{err}");

        assert!(Network::<f32>::from_layers(vec![]).is_err());
    }
}
