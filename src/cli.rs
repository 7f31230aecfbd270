//! Command-line arguments, parsed into plain values before anything is loaded.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::models::nn::{Activation, HiddenSizes};
use crate::models::preprocess::StepList;
use crate::models::tuned::pls_cv::Selection;

#[derive(Debug, Parser)]
#[command(
    name = "lunchbench",
    version,
    about = "Does a dense neural network beat the classic regressors on your data?"
)]
pub struct Cli {
    /// Log more detail to stderr (-v for progress, -vv for debugging).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fit every model on the same training rows, score it on the same test rows, print
    /// a leaderboard and write a report folder.
    Compare(CompareArgs),
}

#[derive(Debug, Clone, Args)]
#[command(after_help = PARITY_HELP, allow_negative_numbers = true)]
pub struct CompareArgs {
    /// CSV files with a header row. Column roles come from a sidecar TOML file of the
    /// same name (data.csv → data.toml) when one exists, and from the flags below. With
    /// several files, each gets its own report and a summary ranks the models across them.
    #[arg(required = true, num_args = 1..)]
    pub csv: Vec<PathBuf>,

    /// Sidecar file with column roles and settings [default: the CSV path with .toml]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub columns: ColumnArgs,

    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub models: ModelArgs,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Columns")]
pub struct ColumnArgs {
    /// Target columns: names or globs (`*`, `?`), comma-separated
    #[arg(long, value_delimiter = ',', value_name = "PATTERNS")]
    pub targets: Vec<String>,

    /// Predictor columns [default: every numeric column with no other role]
    #[arg(long, value_delimiter = ',', value_name = "PATTERNS")]
    pub predictors: Vec<String>,

    /// Columns to leave out
    #[arg(long, value_delimiter = ',', value_name = "PATTERNS")]
    pub ignore: Vec<String>,

    /// Column of row ids, used in the predictions files [default: line numbers]
    #[arg(long, value_name = "COLUMN")]
    pub id: Option<String>,

    /// Column of `train`/`test` labels; `none` for a random holdout [default: a column named set or split]
    #[arg(long, value_name = "COLUMN")]
    pub split_column: Option<String>,

    /// Field delimiter: a single character, or `tab`
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,

    /// Drop rows with an empty or NaN predictor or target cell instead of failing; the
    /// report lists them
    #[arg(long)]
    pub drop_missing: bool,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Run")]
pub struct RunArgs {
    /// Fraction of rows held out for testing when there is no split column [default: 0.25]
    #[arg(long, value_name = "FRACTION")]
    pub test_fraction: Option<f64>,

    /// Seed of the holdout shuffle and of every seeded model [default: 0]
    #[arg(long)]
    pub seed: Option<u64>,

    /// Cross-validate the training rows with K folds before scoring the test rows once
    #[arg(long, value_name = "K")]
    pub cv: Option<usize>,

    /// Repeats of the K-fold cross-validation, each with a fresh seeded shuffle [default: 1]
    #[arg(long, value_name = "R")]
    pub repeats: Option<usize>,

    /// Worker threads for cross-validation folds and per-target fits [default: all cores]
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Models to run, comma-separated; steps joined by + before a name preprocess that
    /// entry only, as in pls,snv+sg1+pls [default: mean,ridge,elastic-net,pls,dense-nn]
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub models: Vec<String>,

    /// Tune these models by inner cross-validation on the training rows, comma-separated:
    /// ridge, pls, elastic-net, nn (the dense network's learning rate and hidden sizes),
    /// or all. Each runs as its -cv variant, such as dense-nn-cv, in place of the plain
    /// model, or in addition to --models when the plain model is not among them
    #[arg(long, value_delimiter = ',', value_name = "MODELS")]
    pub tune: Vec<String>,

    /// Report folder [default: reports/<CSV file stem>]; with several CSV files, the
    /// folder that contains one report per file and the summary [default: reports]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Compare the fresh results with the report already in the report folder instead of
    /// writing it. Fails if a number differs by more than 1e-5 relative; times and dates
    /// are skipped
    #[arg(long)]
    pub check: bool,

    /// Peer results JSON written by baselines/peers.py, shown beside lunchbench's numbers
    /// when its data set checksum matches [default: baselines/results/<CSV file stem>.json]
    #[arg(long, value_name = "FILE")]
    pub peers: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Model settings (override the sidecar)")]
pub struct ModelArgs {
    /// Preprocessing steps for every model, comma-separated and applied in order, or `none`;
    /// replaces the sidecar's `[preprocess]` section [default: none]
    ///
    /// Steps are fitted on the training rows only, then applied to the test rows:
    ///   standardize            columns to zero mean and unit population variance
    ///   snv                    each row to zero mean and unit standard deviation
    ///   sg0, sg1, sg2          Savitzky-Golay smoothing, first or second derivative along
    ///                          the predictors in column order; add :WINDOW or
    ///                          :WINDOW:ORDER (odd window >= order + 2) [default: 11, 2]
    ///   pca                    principal-component scores; add :COMPONENTS [default: 10]
    /// Example: --preprocess snv,sg1:15:2 runs every model on first derivatives of SNV
    /// spectra. snv and sg steps must come before pca.
    #[arg(long, value_name = "STEPS", verbatim_doc_comment)]
    pub preprocess: Option<StepList>,

    /// Ridge penalty α in ‖y − Xw‖² + α‖w‖² [default: 1]
    #[arg(long, value_name = "ALPHA")]
    pub ridge_alpha: Option<f64>,

    /// Standardize predictors for ridge [default: true]
    #[arg(long, value_name = "BOOL")]
    pub ridge_standardize: Option<bool>,

    /// Elastic-net penalty α [default: 0.01]
    #[arg(long, value_name = "ALPHA")]
    pub elastic_net_alpha: Option<f64>,

    /// Elastic-net mix between L1 (1) and L2 (0) [default: 0.5]
    #[arg(long, value_name = "RATIO")]
    pub elastic_net_l1_ratio: Option<f64>,

    /// Standardize predictors for elastic-net [default: true]
    #[arg(long, value_name = "BOOL")]
    pub elastic_net_standardize: Option<bool>,

    /// Elastic-net duality-gap tolerance, relative to ‖y‖² [default: 1e-4]
    #[arg(long, value_name = "TOL")]
    pub elastic_net_tolerance: Option<f64>,

    /// Number of PLS components, capped at min(training rows − 1, predictors) [default: 5]
    #[arg(long, value_name = "N")]
    pub pls_components: Option<usize>,

    /// Scale predictors and targets to unit sample variance for PLS [default: true]
    #[arg(long, value_name = "BOOL")]
    pub pls_scale: Option<bool>,

    /// Choose one ridge-cv alpha per target instead of one for all targets [default: false]
    #[arg(long, value_name = "BOOL")]
    pub ridge_cv_per_target: Option<bool>,

    /// Largest number of components pls-cv tries, from 1 [default: 20]
    #[arg(long, value_name = "N")]
    pub pls_cv_max_components: Option<usize>,

    /// How pls-cv picks the component count: min (lowest validation error) or one-se
    /// (fewest components within one standard error of it) [default: min]
    #[arg(long, value_name = "RULE")]
    pub pls_cv_selection: Option<Selection>,

    /// Learning rates dense-nn-cv tries, comma-separated [default: 0.001,0.003,0.01]
    #[arg(long, value_delimiter = ',', value_name = "RATES")]
    pub nn_tune_learning_rates: Option<Vec<f64>>,

    /// Hidden layer sizes dense-nn-cv tries, separated by /, such as 32/64/128,64; `none`
    /// is a network without hidden layers [default: 32/64/128]
    #[arg(long, value_name = "GRID")]
    pub nn_tune_hidden: Option<HiddenGrid>,

    /// Inner cross-validation folds of pls-cv, elastic-net-cv and dense-nn-cv, drawn from
    /// the training rows with the run seed [default: 5 for pls-cv, 3 for elastic-net-cv and
    /// dense-nn-cv]
    #[arg(long, value_name = "N")]
    pub inner_folds: Option<usize>,

    /// Hidden layer sizes of the network, such as 64 or 128,64; `none` for a linear model [default: 64]
    #[arg(long, value_name = "SIZES")]
    pub nn_hidden: Option<HiddenSizes>,

    /// Activation of the hidden layers: relu, tanh, sigmoid or linear [default: relu]
    #[arg(long, value_name = "NAME")]
    pub nn_activation: Option<Activation>,

    /// Training epochs of the network [default: 80]
    #[arg(long, value_name = "N")]
    pub nn_epochs: Option<usize>,

    /// Rows per minibatch; the last batch of an epoch may be smaller [default: 32]
    #[arg(long, value_name = "ROWS")]
    pub nn_batch_size: Option<usize>,

    /// Adam learning rate [default: 0.001]
    #[arg(long, value_name = "RATE")]
    pub nn_learning_rate: Option<f64>,

    /// Fraction of the training rows held out to compute a validation loss per epoch [default: 0]
    #[arg(long, value_name = "FRACTION")]
    pub nn_validation_fraction: Option<f64>,

    /// Stop after this many epochs without a lower validation loss and keep the best weights [default: off]
    #[arg(long, value_name = "EPOCHS")]
    pub nn_patience: Option<usize>,

    /// Networks trained from seeds seed, seed + 1, …, whose predictions are averaged [default: 1]
    #[arg(long, value_name = "N")]
    pub nn_ensemble: Option<usize>,

    /// Standardize predictors and targets for the network; false reproduces a plain Keras script [default: true]
    #[arg(long, value_name = "BOOL")]
    pub nn_scale: Option<bool>,

    /// Seed of the network's initial weights and batch shuffles [default: --seed]
    #[arg(long, value_name = "SEED")]
    pub nn_seed: Option<u64>,
}

/// Hidden layer sizes to search, parsed from sizes lists separated by `/`.
#[derive(Debug, Clone, PartialEq)]
pub struct HiddenGrid(pub Vec<HiddenSizes>);

impl std::str::FromStr for HiddenGrid {
    type Err = crate::models::nn::ParseHiddenSizesError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // An empty entry, as in 32//64, is a typo rather than a request for a linear
        // model, which must be spelled `none`.
        let parse_entry = |entry: &str| {
            if entry.trim().is_empty() {
                Err(crate::models::nn::ParseHiddenSizesError {
                    text: text.to_string(),
                    item: String::new(),
                })
            } else {
                entry.parse()
            }
        };
        text.split('/').map(parse_entry).collect::<Result<_, _>>().map(HiddenGrid)
    }
}

const PARITY_HELP: &str = "\
Conventions (each matches scikit-learn 1.9 with the same settings):
  ridge        minimizes ‖y − Xw − b‖² + α‖w‖² per target, intercept unpenalized; with
               --ridge-standardize true, predictors are scaled by their population
               standard deviation (StandardScaler) on the training rows
  elastic-net  one ElasticNet per target: 1/(2n)‖y − Xw − b‖² + α·ρ‖w‖₁ + α(1 − ρ)/2‖w‖²;
               --elastic-net-alpha 0.05 --elastic-net-l1-ratio 0.5 --elastic-net-tolerance 1e-10
               reproduces ElasticNet(alpha=0.05, l1_ratio=0.5) on standardized predictors
  pls          PLSRegression(n_components, scale=True): NIPALS, sample standard deviation
  metrics      RMSE, MAE, R² (1 − SS_res/SS_tot around the test mean; NaN for a target that
               is constant on the test rows) and max abs error per target, then mean,
               median and worst across targets";
