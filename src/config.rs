//! The settings of one run: the sidecar file, overridden by command-line flags, then
//! validated into models.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cli::{CompareArgs, HiddenGrid};
use crate::data::{LoadOptions, MissingPolicy, RoleSpec};
use crate::error::{Error, Result};
use crate::models::elastic_net::{ElasticNet, ElasticNetParams};
use crate::models::mean::MeanPredictor;
use crate::models::nn::{DenseNet, DenseNetParams};
use crate::models::pls::{Pls, PlsParams};
use crate::models::preprocess::{Pipeline, PreprocessSettings, Step, StepList};
use crate::models::ridge::{Ridge, RidgeParams};
use crate::models::tuned::{
    DenseNetCv, DenseNetCvParams, ElasticNetCv, ElasticNetCvParams, PlsCv, PlsCvParams, RidgeCv,
    RidgeCvParams,
};
use crate::models::Regressor;

/// Models run when neither the flags nor the sidecar name them.
pub const DEFAULT_MODELS: [&str; 5] = ["mean", "ridge", "elastic-net", "pls", "dense-nn"];

/// Every model name `--models` accepts: the defaults, then the tuned models.
pub const KNOWN_MODELS: [&str; 9] = [
    DEFAULT_MODELS[0],
    DEFAULT_MODELS[1],
    DEFAULT_MODELS[2],
    DEFAULT_MODELS[3],
    DEFAULT_MODELS[4],
    "ridge-cv",
    "pls-cv",
    "elastic-net-cv",
    "dense-nn-cv",
];

/// Models that `--tune` accepts, each with the name of its tuned variant.
pub const TUNABLE_MODELS: [(&str, &str); 4] = [
    ("ridge", "ridge-cv"),
    ("pls", "pls-cv"),
    ("elastic-net", "elastic-net-cv"),
    ("dense-nn", "dense-nn-cv"),
];

/// The sidecar TOML file: column roles, run settings and per-model settings.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sidecar {
    pub columns: RoleSpec,
    pub run: RunSection,
    pub ridge: RidgeParams,
    #[serde(rename = "elastic-net")]
    pub elastic_net: ElasticNetParams,
    pub pls: PlsParams,
    #[serde(rename = "dense-nn")]
    pub dense_nn: DenseNetParams,
    #[serde(rename = "ridge-cv")]
    pub ridge_cv: RidgeCvParams,
    #[serde(rename = "pls-cv")]
    pub pls_cv: PlsCvParams,
    #[serde(rename = "elastic-net-cv")]
    pub elastic_net_cv: ElasticNetCvParams,
    #[serde(rename = "dense-nn-cv")]
    pub dense_nn_cv: DenseNetCvParams,
    /// Preprocessing steps for every model and per model name.
    pub preprocess: PreprocessSettings,
    /// Figures published for this data set and split, shown beside each model's.
    pub published: Vec<PublishedFigure>,
}

/// A result from the literature on the same rows, such as a paper's test RMSE.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedFigure {
    pub target: String,
    /// Metric name as in `metrics.csv`: rmse, mae, r2 or max_error.
    pub metric: String,
    pub value: f64,
    /// The publication and the model it reports on.
    pub source: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunSection {
    pub models: Option<Vec<String>>,
    pub seed: Option<u64>,
    pub test_fraction: Option<f64>,
    pub delimiter: Option<String>,
    pub drop_missing: Option<bool>,
    pub cv: Option<usize>,
    pub repeats: Option<usize>,
    pub threads: Option<usize>,
    pub tune: Option<Vec<String>>,
}

/// Everything a comparison needs, merged and checked.
pub struct RunConfig {
    pub csv: PathBuf,
    /// The sidecar file that was read, if any.
    pub sidecar: Option<PathBuf>,
    pub roles: RoleSpec,
    pub load: LoadOptions,
    pub seed: u64,
    pub test_fraction: f64,
    pub out: PathBuf,
    pub peers: PathBuf,
    /// Compare with the existing report instead of writing one.
    pub check: bool,
    /// Folds and repeats of cross-validation, if asked for.
    pub cross_validation: Option<(usize, usize)>,
    pub threads: Option<usize>,
    pub models: Vec<Box<dyn Regressor>>,
    pub published: Vec<PublishedFigure>,
}

impl RunConfig {
    /// Reads the sidecar (the `--config` file, or the CSV path with `.toml` if it exists)
    /// and applies the flags over it, for the first CSV file in `args`.
    pub fn from_args(args: CompareArgs) -> Result<Self> {
        let csv =
            args.csv.first().cloned().ok_or_else(|| Error::Usage("no CSV file given".into()))?;
        let sidecar_path = match &args.config {
            Some(path) => Some(path.clone()),
            None => Some(csv.with_extension("toml")).filter(|p| p.is_file()),
        };
        let mut sidecar = match &sidecar_path {
            Some(path) => read_sidecar(path)?,
            None => Sidecar::default(),
        };
        if let Some(path) = &sidecar_path {
            log::info!("column roles and settings from {}", path.display());
        }

        let mut roles = sidecar.columns.clone();
        roles.override_with(RoleSpec {
            id: args.columns.id,
            split: args.columns.split_column,
            predictors: args.columns.predictors,
            targets: args.columns.targets,
            ignore: args.columns.ignore,
        });

        let delimiter = args.columns.delimiter.or(sidecar.run.delimiter.take());
        let delimiter = parse_delimiter(delimiter.as_deref())?;
        let drop_missing = args.columns.drop_missing || sidecar.run.drop_missing.unwrap_or(false);
        let missing = if drop_missing { MissingPolicy::DropRows } else { MissingPolicy::Reject };

        let m = &args.models;
        let ridge = &mut sidecar.ridge;
        override_value(&mut ridge.alpha, m.ridge_alpha);
        override_value(&mut ridge.standardize, m.ridge_standardize);
        let enet = &mut sidecar.elastic_net;
        override_value(&mut enet.alpha, m.elastic_net_alpha);
        override_value(&mut enet.l1_ratio, m.elastic_net_l1_ratio);
        override_value(&mut enet.standardize, m.elastic_net_standardize);
        override_value(&mut enet.tolerance, m.elastic_net_tolerance);
        override_value(&mut sidecar.pls.n_components, m.pls_components);
        override_value(&mut sidecar.pls.scale, m.pls_scale);
        let nn = &mut sidecar.dense_nn;
        if let Some(hidden) = m.nn_hidden.clone() {
            nn.hidden = hidden.0;
        }
        override_value(&mut nn.activation, m.nn_activation);
        override_value(&mut nn.epochs, m.nn_epochs);
        override_value(&mut nn.batch_size, m.nn_batch_size);
        override_value(&mut nn.learning_rate, m.nn_learning_rate);
        override_value(&mut nn.validation_fraction, m.nn_validation_fraction);
        override_value(&mut nn.patience, m.nn_patience.map(Some));
        override_value(&mut nn.ensemble, m.nn_ensemble);
        override_value(&mut nn.scale, m.nn_scale);
        // The run seed seeds the network too, unless the network's own seed is given.
        override_value(&mut nn.seed, args.run.seed.or(sidecar.run.seed));
        override_value(&mut nn.seed, m.nn_seed);
        override_value(&mut sidecar.ridge_cv.per_target, m.ridge_cv_per_target);
        override_value(&mut sidecar.pls_cv.max_components, m.pls_cv_max_components);
        override_value(&mut sidecar.pls_cv.selection, m.pls_cv_selection);
        if let Some(rates) = m.nn_tune_learning_rates.clone() {
            sidecar.dense_nn_cv.learning_rates = rates;
        }
        if let Some(HiddenGrid(grid)) = m.nn_tune_hidden.clone() {
            sidecar.dense_nn_cv.hidden = grid.into_iter().map(|sizes| sizes.0).collect();
        }
        for folds in [
            &mut sidecar.pls_cv.folds,
            &mut sidecar.elastic_net_cv.folds,
            &mut sidecar.dense_nn_cv.folds,
        ] {
            override_value(folds, m.inner_folds);
        }
        // The inner folds are shuffled with the run seed unless the sidecar gives a seed.
        let run_seed = args.run.seed.or(sidecar.run.seed);
        for seed in [
            &mut sidecar.pls_cv.seed,
            &mut sidecar.elastic_net_cv.seed,
            &mut sidecar.dense_nn_cv.seed,
        ] {
            *seed = seed.or(run_seed);
        }
        // The flag replaces the whole section, per-model lists included.
        if let Some(StepList(steps)) = m.preprocess.clone() {
            sidecar.preprocess = PreprocessSettings { all: steps, ..Default::default() };
        }

        let names = if !args.run.models.is_empty() {
            args.run.models.clone()
        } else {
            sidecar.run.models.clone().unwrap_or_else(|| DEFAULT_MODELS.map(String::from).to_vec())
        };
        let tune = if args.run.tune.is_empty() {
            sidecar.run.tune.clone().unwrap_or_default()
        } else {
            args.run.tune.clone()
        };
        let names = apply_tuning(names, &tune)?;
        let models = build_models(&names, &sidecar)?;
        if models.is_empty() {
            return Err(Error::Usage(
                "no models to run: the sidecar's [run] models is empty; list at least one \
                 model there or in --models"
                    .into(),
            ));
        }
        let tunes_network = names.iter().any(|n| n.rsplit('+').next() == Some("dense-nn-cv"));
        let plain_network = names.iter().any(|n| n.rsplit('+').next() == Some("dense-nn"));
        if tunes_network && !plain_network {
            for (flag, given) in [
                ("--nn-learning-rate", m.nn_learning_rate.is_some()),
                ("--nn-hidden", m.nn_hidden.is_some()),
            ] {
                if given {
                    log::warn!(
                        "{flag} has no effect: dense-nn-cv tries its own grid; set the grid \
                         with --nn-tune-learning-rates or --nn-tune-hidden"
                    );
                }
            }
        }

        let cv = args.run.cv.or(sidecar.run.cv);
        let repeats = args.run.repeats.or(sidecar.run.repeats);
        if let (None, Some(repeats)) = (cv, repeats) {
            return Err(Error::Usage(format!(
                "repeats = {repeats} (from --repeats or the sidecar's [run] repeats) needs \
                 --cv K, because repeats apply only to k-fold cross-validation"
            )));
        }

        let stem =
            csv.file_stem().map_or_else(|| "data".into(), |s| s.to_string_lossy().into_owned());
        Ok(RunConfig {
            out: args.run.out.unwrap_or_else(|| Path::new("reports").join(&stem)),
            peers: args
                .run
                .peers
                .unwrap_or_else(|| Path::new("baselines/results").join(format!("{stem}.json"))),
            check: args.run.check,
            cross_validation: cv.map(|k| (k, repeats.unwrap_or(1))),
            threads: args.run.threads.or(sidecar.run.threads),
            csv,
            sidecar: sidecar_path,
            roles,
            load: LoadOptions { delimiter, missing },
            seed: args.run.seed.or(sidecar.run.seed).unwrap_or(0),
            test_fraction: args.run.test_fraction.or(sidecar.run.test_fraction).unwrap_or(0.25),
            models,
            published: sidecar.published,
        })
    }
}

fn override_value<T>(slot: &mut T, flag: Option<T>) {
    if let Some(value) = flag {
        *slot = value;
    }
}

fn read_sidecar(path: &Path) -> Result<Sidecar> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| Error::Read { path: path.into(), source })?;
    toml::from_str(&text).map_err(|e| {
        // The parser's own display spans several lines with a caret; one line with the
        // position is easier to read in a terminal.
        let position = e.span().map(|span| {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {column}: ")
        });
        Error::Sidecar {
            path: path.into(),
            message: format!("{}{}", position.unwrap_or_default(), e.message()),
        }
    })
}

fn parse_delimiter(text: Option<&str>) -> Result<u8> {
    match text {
        None => Ok(b','),
        Some("tab" | "\\t" | "\t") => Ok(b'\t'),
        Some(s) if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        Some(s) => Err(Error::Usage(format!(
            "invalid delimiter {s:?}: expected one ASCII character or `tab`"
        ))),
    }
}

/// Replaces every entry of each model named in `tune` by its tuned variant, in place,
/// or appends the variant when the model is not in `names`. `tune` takes the names in
/// [`TUNABLE_MODELS`], `nn` for `dense-nn`, and `all` for every one of them.
pub fn apply_tuning(mut names: Vec<String>, tune: &[String]) -> Result<Vec<String>> {
    let mut variants = Vec::new();
    for entry in tune {
        let entry = entry.trim();
        if entry == "all" {
            variants.extend(TUNABLE_MODELS);
            continue;
        }
        let base = if entry == "nn" { "dense-nn" } else { entry };
        let pair = TUNABLE_MODELS.iter().find(|(name, _)| *name == base).ok_or_else(|| {
            let names: Vec<&str> = TUNABLE_MODELS.iter().map(|(name, _)| *name).collect();
            Error::Usage(format!(
                "invalid tune value {entry:?} (from --tune or the sidecar's [run] tune): \
                 expected all, nn or a model name ({})",
                names.join(", ")
            ))
        })?;
        variants.push(*pair);
    }
    for (base, tuned) in variants {
        let mut replaced = false;
        for name in names.iter_mut() {
            // A preprocessed entry such as `snv+pls` keeps its steps.
            let (steps, model) = match name.rsplit_once('+') {
                Some((steps, model)) => (Some(steps), model),
                None => (None, name.as_str()),
            };
            if model == base {
                *name = steps.map_or_else(|| tuned.to_string(), |steps| format!("{steps}+{tuned}"));
                replaced = true;
            }
        }
        if !replaced && !names.iter().any(|name| name == tuned) {
            names.push(tuned.to_string());
        }
    }
    Ok(names)
}

/// Builds the named models, in the order given, from validated settings.
///
/// An entry may start with preprocessing steps joined by `+`, such as `snv+sg1:15+pls`,
/// which replace the sidecar's and the flag's steps for that entry. Entries that end up
/// with the same name, such as `pls` twice, give one model.
pub fn build_models(names: &[String], settings: &Sidecar) -> Result<Vec<Box<dyn Regressor>>> {
    if let Some(unknown) =
        settings.preprocess.per_model.keys().find(|key| !KNOWN_MODELS.contains(&key.as_str()))
    {
        return Err(Error::Usage(format!(
            "invalid [preprocess] key {unknown:?}: expected all or a model name ({})",
            KNOWN_MODELS.join(", ")
        )));
    }
    let mut models: Vec<Box<dyn Regressor>> = Vec::new();
    for entry in names {
        let (steps, name) = match entry.rsplit_once('+') {
            Some((prefix, name)) => {
                let steps = prefix
                    .split('+')
                    .map(str::parse::<Step>)
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|e| Error::Usage(format!("invalid model {entry:?}: {e}")))?;
                (steps, name)
            }
            None => (sidecar_steps(&settings.preprocess, entry).to_vec(), entry.as_str()),
        };
        let model = build_model(name, settings)?;
        let model: Box<dyn Regressor> =
            if steps.is_empty() { model } else { Box::new(Pipeline::new(steps, model)?) };
        if models.iter().all(|m| m.name() != model.name()) {
            models.push(model);
        }
    }
    Ok(models)
}

/// Returns the sidecar's `[preprocess]` steps for the model `name`. A tuned model without
/// its own key takes the key of the model it tunes, so that `--tune pls` keeps the steps
/// set for `pls`.
fn sidecar_steps<'a>(preprocess: &'a PreprocessSettings, name: &str) -> &'a [Step] {
    if !preprocess.per_model.contains_key(name) {
        if let Some((base, _)) = TUNABLE_MODELS.iter().find(|(_, tuned)| *tuned == name) {
            return preprocess.steps_for(base);
        }
    }
    preprocess.steps_for(name)
}

/// Builds one model, without preprocessing, from its name.
fn build_model(name: &str, settings: &Sidecar) -> Result<Box<dyn Regressor>> {
    Ok(match name {
        "mean" => Box::new(MeanPredictor),
        "ridge" => Box::new(Ridge::new(settings.ridge.clone())?),
        "elastic-net" => Box::new(ElasticNet::new(settings.elastic_net.clone())?),
        "pls" => Box::new(Pls::new(settings.pls.clone())?),
        "dense-nn" => Box::new(DenseNet::new(settings.dense_nn.clone())?),
        "ridge-cv" => Box::new(RidgeCv::new(settings.ridge_cv.clone())?),
        "pls-cv" => Box::new(PlsCv::new(settings.pls_cv.clone())?),
        "elastic-net-cv" => Box::new(ElasticNetCv::new(settings.elastic_net_cv.clone())?),
        "dense-nn-cv" => {
            Box::new(DenseNetCv::new(settings.dense_nn_cv.clone(), settings.dense_nn.clone())?)
        }
        other => {
            return Err(Error::Usage(format!(
                "unknown model {other:?}: expected one of {}",
                KNOWN_MODELS.join(", ")
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn tuning_replaces_models_in_place() {
        let tuned = apply_tuning(names(&["mean", "ridge", "dense-nn"]), &names(&["nn", "ridge"]));
        assert_eq!(tuned.unwrap(), names(&["mean", "ridge-cv", "dense-nn-cv"]));
    }

    #[test]
    fn tuning_keeps_preprocessing_steps() {
        let tuned = apply_tuning(names(&["snv+sg1:15+pls", "pls"]), &names(&["pls"]));
        assert_eq!(tuned.unwrap(), names(&["snv+sg1:15+pls-cv", "pls-cv"]));
    }

    /// `[preprocess] pls = [...]` must follow pls when it is tuned, unless pls-cv has a
    /// key of its own.
    #[test]
    fn tuned_model_takes_base_preprocessing() {
        let sidecar: Sidecar = toml::from_str(
            "[preprocess]\nall = [\"standardize\"]\npls = [\"snv\"]\nridge = [\"snv\"]\n\
             ridge-cv = [\"sg1:7:2\"]\n",
        )
        .unwrap();
        let models = build_models(&names(&["pls-cv", "ridge-cv", "mean"]), &sidecar).unwrap();
        let built: Vec<&str> = models.iter().map(|m| m.name()).collect();
        assert_eq!(built, ["snv+pls-cv", "sg1-7-2+ridge-cv", "standardize+mean"]);
    }

    #[test]
    fn tuning_appends_missing_models_once() {
        let tuned = apply_tuning(names(&["mean", "pls-cv"]), &names(&["all", "pls"]));
        let expected = ["mean", "pls-cv", "ridge-cv", "elastic-net-cv", "dense-nn-cv"];
        assert_eq!(tuned.unwrap(), names(&expected));
    }

    #[test]
    fn tuning_rejects_unknown_names() {
        let err = apply_tuning(names(&["mean"]), &names(&["mean"])).unwrap_err().to_string();
        assert!(err.contains("invalid tune value \"mean\""), "{err}");
        assert!(err.contains("ridge, pls, elastic-net, dense-nn"), "{err}");
    }
}
