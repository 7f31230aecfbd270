//! Settings of the dense network and their validation.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::models::SettingsError;

/// Name of the model in tables, file names and settings errors.
pub const MODEL_NAME: &str = "dense-nn";

/// Activation function of the hidden layers.
///
/// Serialized in lowercase (`relu`, `tanh`, `sigmoid`, `linear`), as Keras names them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// max(0, z).
    #[default]
    Relu,
    /// Hyperbolic tangent.
    Tanh,
    /// Logistic function 1 / (1 + e^−z).
    Sigmoid,
    /// Identity.
    Linear,
}

impl Activation {
    /// All activations, in the order of their documentation.
    pub const ALL: [Activation; 4] =
        [Activation::Relu, Activation::Tanh, Activation::Sigmoid, Activation::Linear];

    /// Lowercase name, as in the settings file.
    pub fn as_str(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::Linear => "linear",
        }
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error from parsing an activation name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown activation {name:?}: expected one of relu, tanh, sigmoid, linear")]
pub struct ParseActivationError {
    pub name: String,
}

impl FromStr for Activation {
    type Err = ParseActivationError;

    /// Parses a lowercase or mixed-case name such as `relu` or `Tanh`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let name = text.trim();
        Activation::ALL
            .into_iter()
            .find(|activation| activation.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| ParseActivationError { name: text.to_string() })
    }
}

/// Hidden layer sizes parsed from command-line text such as `64`, `128,64` or `none`.
///
/// `none` or an empty string gives no hidden layer, which makes the network a linear
/// model. Spaces around the sizes are allowed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HiddenSizes(pub Vec<usize>);

/// Error from parsing hidden layer sizes.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "invalid hidden layer sizes {text:?}: {item:?} is not an integer >= 1 \
     (expected comma-separated unit counts such as 64 or 128,64, or none)"
)]
pub struct ParseHiddenSizesError {
    /// The whole text that failed to parse.
    pub text: String,
    /// The comma-separated item that is not a valid size.
    pub item: String,
}

impl FromStr for HiddenSizes {
    type Err = ParseHiddenSizesError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("none") {
            return Ok(HiddenSizes(Vec::new()));
        }
        let mut sizes = Vec::new();
        for item in trimmed.split(',') {
            match item.trim().parse::<usize>() {
                Ok(size) if size >= 1 => sizes.push(size),
                _ => {
                    return Err(ParseHiddenSizesError {
                        text: text.to_string(),
                        item: item.trim().to_string(),
                    })
                }
            }
        }
        Ok(HiddenSizes(sizes))
    }
}

impl fmt::Display for HiddenSizes {
    /// Writes the sizes comma-separated, or `none` for no hidden layer, so the output
    /// parses back to the same value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        let parts: Vec<String> = self.0.iter().map(usize::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

/// Largest hidden layer accepted. A layer this wide keeps 1.6 MB of float32 weights,
/// gradients and Adam moments per input column, and a mistyped size far above it would
/// abort the process on allocation instead of failing with an error.
pub const MAX_UNITS: usize = 100_000;

/// Dense network settings.
///
/// | setting | default | valid range |
/// |---|---|---|
/// | `hidden` | `[64]` | units per hidden layer, each from 1 to 100,000 (empty gives a linear model) |
/// | `activation` | `relu` | `relu`, `tanh`, `sigmoid` or `linear`, for every hidden layer (the output layer is linear) |
/// | `epochs` | 80 | ≥ 1 |
/// | `batch_size` | 32 | ≥ 1, capped at the number of training rows |
/// | `learning_rate` | 0.001 | finite, > 0 and > 0 in float32 (Adam step size) |
/// | `validation_fraction` | 0.0 | in [0, 1), the share of the training rows held out to measure the validation loss |
/// | `patience` | none | ≥ 1 epochs without a lower validation loss before training stops (needs `validation_fraction` > 0) |
/// | `seed` | 0 | any, seeds weights, minibatch order and the validation split |
/// | `ensemble` | 1 | ≥ 1 networks, trained from seeds `seed`, `seed + 1`, …, whose predictions are averaged |
/// | `scale` | true | standardizes predictors and targets (ddof 0) on the training rows, or with false feeds raw values as a plain Keras script does |
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DenseNetParams {
    pub hidden: Vec<usize>,
    pub activation: Activation,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub validation_fraction: f64,
    pub patience: Option<usize>,
    pub seed: u64,
    pub ensemble: usize,
    pub scale: bool,
}

impl Default for DenseNetParams {
    fn default() -> Self {
        DenseNetParams {
            hidden: vec![64],
            activation: Activation::Relu,
            epochs: 80,
            batch_size: 32,
            learning_rate: 0.001,
            validation_fraction: 0.0,
            patience: None,
            seed: 0,
            ensemble: 1,
            scale: true,
        }
    }
}

impl DenseNetParams {
    /// Checks every setting against its valid range.
    ///
    /// # Errors
    ///
    /// Returns a [`SettingsError`] naming the first invalid setting, its value and the
    /// valid range.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let invalid = |setting, value: String, expected| {
            Err(SettingsError::new(MODEL_NAME, setting, value, expected))
        };
        if self.hidden.iter().any(|&units| units == 0 || units > MAX_UNITS) {
            return invalid(
                "hidden",
                format!("{:?}", self.hidden),
                "a list of layer sizes, each >= 1 and <= 100000 (empty for a linear model)",
            );
        }
        if self.epochs == 0 {
            return invalid("epochs", "0".into(), "an integer >= 1");
        }
        if self.batch_size == 0 {
            return invalid("batch_size", "0".into(), "an integer >= 1");
        }
        let rate = self.learning_rate;
        if !(rate.is_finite() && rate > 0.0 && (rate as f32) > 0.0 && (rate as f32).is_finite()) {
            return invalid(
                "learning_rate",
                rate.to_string(),
                "a finite number > 0 that float32 can represent",
            );
        }
        let fraction = self.validation_fraction;
        if !(fraction.is_finite() && (0.0..1.0).contains(&fraction)) {
            return invalid("validation_fraction", fraction.to_string(), "a number in [0, 1)");
        }
        match self.patience {
            Some(0) => {
                return invalid(
                    "patience",
                    "0".into(),
                    "an integer >= 1, or no patience to disable early stopping",
                )
            }
            Some(patience) if fraction == 0.0 => {
                return invalid(
                    "patience",
                    patience.to_string(),
                    "no patience unless validation_fraction > 0, because early stopping \
                     watches the validation loss",
                )
            }
            _ => {}
        }
        if self.ensemble == 0 {
            return invalid("ensemble", "0".into(), "an integer >= 1");
        }
        Ok(())
    }

    /// Lists the settings as (name, value) pairs in declaration order, for reports.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let patience = self.patience.map_or_else(|| "none".to_string(), |p| p.to_string());
        vec![
            ("hidden".into(), HiddenSizes(self.hidden.clone()).to_string()),
            ("activation".into(), self.activation.to_string()),
            ("epochs".into(), self.epochs.to_string()),
            ("batch_size".into(), self.batch_size.to_string()),
            ("learning_rate".into(), self.learning_rate.to_string()),
            ("validation_fraction".into(), self.validation_fraction.to_string()),
            ("patience".into(), patience),
            ("seed".into(), self.seed.to_string()),
            ("ensemble".into(), self.ensemble.to_string()),
            ("scale".into(), self.scale.to_string()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected_setting(params: DenseNetParams) -> SettingsError {
        params.validate().expect_err("settings should be rejected")
    }

    #[test]
    fn defaults_are_valid() {
        assert_eq!(DenseNetParams::default().validate(), Ok(()));
    }

    #[test]
    fn empty_hidden_is_valid() {
        let params = DenseNetParams { hidden: vec![], ..Default::default() };
        assert_eq!(params.validate(), Ok(()));
    }

    #[test]
    fn huge_layer_size_is_rejected() {
        let err = rejected_setting(DenseNetParams {
            hidden: vec![64, 1_000_000_000],
            ..Default::default()
        });
        assert_eq!(err.setting, "hidden");
        assert!(err.expected.contains("100000"), "{}", err.expected);
    }

    #[test]
    fn zero_layer_size_is_rejected() {
        let err = rejected_setting(DenseNetParams { hidden: vec![8, 0], ..Default::default() });
        assert_eq!(err.model, "dense-nn");
        assert_eq!(err.setting, "hidden");
        assert_eq!(err.value, "[8, 0]");
        assert!(err.to_string().contains(">= 1"), "{err}");
    }

    #[test]
    fn zero_counts_are_rejected() {
        let cases = [
            ("epochs", DenseNetParams { epochs: 0, ..Default::default() }),
            ("batch_size", DenseNetParams { batch_size: 0, ..Default::default() }),
            ("ensemble", DenseNetParams { ensemble: 0, ..Default::default() }),
        ];
        for (setting, params) in cases {
            let err = rejected_setting(params);
            assert_eq!(err.setting, setting);
            assert_eq!(err.value, "0");
            assert_eq!(err.expected, "an integer >= 1");
        }
    }

    #[test]
    fn bad_learning_rates_are_rejected() {
        for rate in [0.0, -0.01, f64::NAN, f64::INFINITY, 1e-50, 1e300] {
            let err =
                rejected_setting(DenseNetParams { learning_rate: rate, ..Default::default() });
            assert_eq!(err.setting, "learning_rate", "rate {rate}");
            assert_eq!(err.value, rate.to_string());
        }
    }

    #[test]
    fn validation_fraction_range() {
        for fraction in [0.0, 0.2, 0.99] {
            let params = DenseNetParams { validation_fraction: fraction, ..Default::default() };
            assert_eq!(params.validate(), Ok(()), "fraction {fraction}");
        }
        for fraction in [-0.1, 1.0, 1.5, f64::NAN] {
            let err = rejected_setting(DenseNetParams {
                validation_fraction: fraction,
                ..Default::default()
            });
            assert_eq!(err.setting, "validation_fraction", "fraction {fraction}");
            assert!(err.to_string().contains("[0, 1)"), "{err}");
        }
    }

    #[test]
    fn patience_needs_validation_rows() {
        let err = rejected_setting(DenseNetParams { patience: Some(5), ..Default::default() });
        assert_eq!(err.setting, "patience");
        assert_eq!(err.value, "5");
        assert!(err.to_string().contains("validation_fraction > 0"), "{err}");

        let params =
            DenseNetParams { patience: Some(5), validation_fraction: 0.2, ..Default::default() };
        assert_eq!(params.validate(), Ok(()));
    }

    #[test]
    fn zero_patience_is_rejected() {
        let err = rejected_setting(DenseNetParams {
            patience: Some(0),
            validation_fraction: 0.2,
            ..Default::default()
        });
        assert_eq!(err.setting, "patience");
        assert_eq!(err.value, "0");
    }

    #[test]
    fn hidden_sizes_parse() {
        let cases: [(&str, Vec<usize>); 6] = [
            ("64", vec![64]),
            ("128,64", vec![128, 64]),
            (" 32 , 16 ,8 ", vec![32, 16, 8]),
            ("none", vec![]),
            ("NONE", vec![]),
            ("", vec![]),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<HiddenSizes>(), Ok(HiddenSizes(expected)), "text {text:?}");
        }
    }

    #[test]
    fn hidden_sizes_errors_name_the_item() {
        let cases = [("64,,32", ""), ("64,x", "x"), ("0", "0"), ("-3", "-3"), ("1.5", "1.5")];
        for (text, item) in cases {
            let err = text.parse::<HiddenSizes>().expect_err(text);
            assert_eq!(err.text, text);
            assert_eq!(err.item, item);
            assert!(err.to_string().contains("128,64"), "{err}");
        }
    }

    #[test]
    fn hidden_sizes_display_round_trips() {
        for sizes in [vec![], vec![64], vec![128, 64, 7]] {
            let text = HiddenSizes(sizes.clone()).to_string();
            assert_eq!(text.parse::<HiddenSizes>(), Ok(HiddenSizes(sizes)));
        }
    }

    #[test]
    fn activation_names_round_trip() {
        for activation in Activation::ALL {
            assert_eq!(activation.as_str().parse::<Activation>(), Ok(activation));
        }
        assert_eq!("Tanh".parse::<Activation>(), Ok(Activation::Tanh));
        let err = "softplus".parse::<Activation>().unwrap_err();
        assert!(err.to_string().contains("relu, tanh, sigmoid, linear"), "{err}");
    }

    #[test]
    fn toml_uses_defaults_and_lowercase_names() {
        let params: DenseNetParams =
            toml::from_str("hidden = [128, 64]\nactivation = \"tanh\"\npatience = 10\n").unwrap();
        assert_eq!(params.hidden, vec![128, 64]);
        assert_eq!(params.activation, Activation::Tanh);
        assert_eq!(params.patience, Some(10));
        assert_eq!(params.epochs, 80);
        assert!(params.scale);

        let text = toml::to_string(&DenseNetParams::default()).unwrap();
        assert!(text.contains("activation = \"relu\""), "{text}");
    }

    #[test]
    fn toml_rejects_unknown_settings() {
        let err = toml::from_str::<DenseNetParams>("epoch = 5\n").unwrap_err();
        assert!(err.to_string().contains("epoch"), "{err}");
    }
}
