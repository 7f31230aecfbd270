//! Preprocessing steps as written on the command line and in the sidecar file.
//!
//! Text form, used by `--preprocess`, in `--models` entries and in sidecar lists:
//!
//! | text | step |
//! |---|---|
//! | `standardize` | columns centered and scaled to unit population variance |
//! | `snv` | standard normal variate, per row |
//! | `sg0`, `sg1`, `sg2`, optionally `:WINDOW` or `:WINDOW:ORDER` | Savitzky-Golay smoothing, first or second derivative (window 11, order 2 unless given) |
//! | `pca`, optionally `:COMPONENTS` | principal-component scores (10 unless given) |
//!
//! A sidecar list may also hold tables, such as `{ step = "sg", window = 15, order = 3,
//! derivative = 1 }` or `{ step = "pca", components = 8 }`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use thiserror::Error;

use super::pca::PcaParams;
use super::savgol::SavitzkyGolayParams;
use super::Step;

/// Error from parsing or checking a step's text form.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid preprocessing step {text:?}: {reason}")]
pub struct StepError {
    pub text: String,
    pub reason: String,
}

const STEP_SYNTAX: &str = "expected standardize, snv, sg0, sg1 or sg2 (optionally \
                           :WINDOW or :WINDOW:ORDER), or pca (optionally :COMPONENTS)";

impl FromStr for Step {
    type Err = StepError;

    /// Parses the text form, such as `snv`, `sg1:15:3` or `pca:8`, and checks its settings.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |reason: String| StepError { text: text.to_string(), reason };
        let mut parts = text.trim().split(':');
        let kind = parts.next().unwrap_or_default().to_ascii_lowercase();
        let numbers = parts
            .map(|part| part.trim().parse::<usize>())
            .collect::<Result<Vec<usize>, _>>()
            .map_err(|_| error(format!("settings must be whole numbers; {STEP_SYNTAX}")))?;
        let too_many = |allowed: usize| {
            error(format!("{kind} takes at most {allowed} settings, got {}", numbers.len()))
        };
        let step = match kind.as_str() {
            "standardize" | "snv" if !numbers.is_empty() => return Err(too_many(0)),
            "standardize" => Step::Standardize,
            "snv" => Step::Snv,
            "sg0" | "sg1" | "sg2" => {
                if numbers.len() > 2 {
                    return Err(too_many(2));
                }
                let defaults = SavitzkyGolayParams::default();
                Step::SavitzkyGolay(SavitzkyGolayParams {
                    derivative: usize::from(kind.as_bytes()[2] - b'0'),
                    window: numbers.first().copied().unwrap_or(defaults.window),
                    order: numbers.get(1).copied().unwrap_or(defaults.order),
                })
            }
            "pca" => {
                if numbers.len() > 1 {
                    return Err(too_many(1));
                }
                let components =
                    numbers.first().copied().unwrap_or(PcaParams::default().components);
                Step::Pca(PcaParams { components })
            }
            _ => return Err(error(STEP_SYNTAX.into())),
        };
        step.check().map_err(|e| error(e.to_string()))
    }
}

impl fmt::Display for Step {
    /// Writes the text form with every setting explicit, such as `sg1:11:2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Standardize => f.write_str("standardize"),
            Step::Snv => f.write_str("snv"),
            Step::SavitzkyGolay(p) => write!(f, "sg{}:{}:{}", p.derivative, p.window, p.order),
            Step::Pca(p) => write!(f, "pca:{}", p.components),
        }
    }
}

/// The table form of a step in a sidecar list.
#[derive(Deserialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
enum StepTable {
    Standardize,
    Snv,
    Sg(SavitzkyGolayParams),
    Pca(PcaParams),
}

impl<'de> Deserialize<'de> for Step {
    /// Reads a step from its text form or from a table with a `step` key.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StepVisitor;

        impl<'de> Visitor<'de> for StepVisitor {
            type Value = Step;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a step such as \"snv\" or \"sg1:11:2\", or a table such as \
                     { step = \"sg\", window = 11, order = 2, derivative = 1 }",
                )
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Step, E> {
                text.parse().map_err(E::custom)
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Step, A::Error> {
                let table = StepTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                let step = match table {
                    StepTable::Standardize => Step::Standardize,
                    StepTable::Snv => Step::Snv,
                    StepTable::Sg(params) => Step::SavitzkyGolay(params),
                    StepTable::Pca(params) => Step::Pca(params),
                };
                step.check().map_err(de::Error::custom)
            }
        }

        deserializer.deserialize_any(StepVisitor)
    }
}

/// Steps parsed from comma-separated text such as `snv,sg1:15:2`. The text `none` or an
/// empty string gives no step.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepList(pub Vec<Step>);

impl FromStr for StepList {
    type Err = StepError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("none") {
            return Ok(StepList(Vec::new()));
        }
        trimmed.split(',').map(str::parse).collect::<Result<_, _>>().map(StepList)
    }
}

/// The sidecar's `[preprocess]` section: steps for every model (`all`) and, under a
/// model's name, steps that replace `all` for that model.
///
/// ```toml
/// [preprocess]
/// all = ["snv", "sg1:15:2"]
/// pls = ["sg2", { step = "pca", components = 12 }]
/// dense-nn = []
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PreprocessSettings {
    pub all: Vec<Step>,
    /// Steps per model name; [`crate::config::build_models`] rejects unknown names.
    #[serde(flatten)]
    pub per_model: BTreeMap<String, Vec<Step>>,
}

impl PreprocessSettings {
    /// Returns the steps that apply to the model named `model`.
    pub fn steps_for(&self, model: &str) -> &[Step] {
        self.per_model.get(model).unwrap_or(&self.all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sg(derivative: usize, window: usize, order: usize) -> Step {
        Step::SavitzkyGolay(SavitzkyGolayParams { window, order, derivative })
    }

    #[test]
    fn text_forms_parse() {
        let cases = [
            ("snv", Step::Snv),
            ("standardize", Step::Standardize),
            ("sg0", sg(0, 11, 2)),
            ("sg1:15", sg(1, 15, 2)),
            ("SG2:21:3", sg(2, 21, 3)),
            ("pca", Step::Pca(PcaParams { components: 10 })),
            (" pca:4 ", Step::Pca(PcaParams { components: 4 })),
        ];
        for (text, want) in cases {
            assert_eq!(text.parse::<Step>().unwrap(), want, "{text}");
        }
    }

    #[test]
    fn display_round_trips() {
        for text in ["snv", "standardize", "sg1:15:3", "pca:7"] {
            let step: Step = text.parse().unwrap();
            assert_eq!(step.to_string(), text);
            assert_eq!(step.to_string().parse::<Step>().unwrap(), step);
        }
        assert_eq!("sg2".parse::<Step>().unwrap().to_string(), "sg2:11:2");
    }

    #[test]
    fn bad_text_is_rejected() {
        let cases = [
            ("sg3", "expected standardize"),
            ("sg1:12", "sg window = 12"),
            ("sg1:5:4", "sg window = 5"),
            ("sg2:11:1", "sg order = 1"),
            ("sg1:x", "whole numbers"),
            ("sg1:11:2:1", "at most 2 settings"),
            ("snv:3", "at most 0 settings"),
            ("pca:0", "pca components = 0"),
            ("", "expected standardize"),
        ];
        for (text, fragment) in cases {
            let message = text.parse::<Step>().unwrap_err().to_string();
            assert!(message.contains(fragment), "{text:?}: {message}");
            assert!(message.contains(&format!("{text:?}")), "{text:?}: {message}");
        }
    }

    #[test]
    fn step_lists_parse() {
        assert_eq!("none".parse::<StepList>().unwrap().0, vec![]);
        assert_eq!("".parse::<StepList>().unwrap().0, vec![]);
        let list: StepList = "snv,sg1:15".parse().unwrap();
        assert_eq!(list.0, vec![Step::Snv, sg(1, 15, 2)]);
        assert!("snv,,sg1".parse::<StepList>().is_err());
    }

    #[test]
    fn sidecar_section_reads_text_and_tables() {
        let text = r#"
            all = ["snv", "sg1:15:2"]
            pls = [{ step = "sg", window = 9, order = 3, derivative = 2 }, { step = "pca", components = 6 }]
            dense-nn = []
        "#;
        let settings: PreprocessSettings = toml::from_str(text).unwrap();
        assert_eq!(settings.all, vec![Step::Snv, sg(1, 15, 2)]);
        assert_eq!(
            settings.steps_for("pls"),
            &[sg(2, 9, 3), Step::Pca(PcaParams { components: 6 })]
        );
        assert_eq!(settings.steps_for("dense-nn"), &[] as &[Step]);
        assert_eq!(settings.steps_for("ridge"), settings.all.as_slice());
    }

    #[test]
    fn sidecar_tables_are_checked() {
        let read = |text: &str| toml::from_str::<PreprocessSettings>(text).unwrap_err().to_string();
        let message = read(r#"all = [{ step = "sg", window = 8 }]"#);
        assert!(message.contains("sg window = 8"), "{message}");
        let message = read(r#"all = [{ step = "sg", widow = 9 }]"#);
        assert!(message.contains("widow"), "{message}");
        let message = read(r#"all = [{ step = "wavelet" }]"#);
        assert!(message.contains("wavelet"), "{message}");
        let message = read(r#"all = ["sg4"]"#);
        assert!(message.contains("sg4"), "{message}");
    }
}
