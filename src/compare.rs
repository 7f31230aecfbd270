//! The `compare` command: load → split → fit and score → report.

use std::io::Write as _;
use std::path::PathBuf;

use crate::cli::CompareArgs;
use crate::config::RunConfig;
use crate::error::{Error, Result};
use crate::report::summary::Summary;
use crate::report::{self, CrossValidation, Report};
use crate::{data, resample, runner, split};

/// Largest worker thread count. More threads than cores only add overhead, and an
/// operating system may refuse to start thousands of them.
const MAX_THREADS: usize = 1024;

/// Runs a comparison of every CSV file in `args`, each with its own report, and with
/// several files a summary that ranks the models across them.
///
/// Every file is loaded, split and resampled before any model is fitted, so that an
/// error in a later file leaves the reports of the earlier ones untouched.
pub fn compare(args: CompareArgs) -> Result<Vec<Report>> {
    if args.csv.len() == 1 {
        return Ok(vec![run(prepare(args)?)?]);
    }
    let base = args.run.out.clone().unwrap_or_else(|| PathBuf::from("reports"));
    let summary_dir = base.join("summary");
    let mut prepared = Vec::new();
    for csv in &args.csv {
        let mut one = args.clone();
        let stem =
            csv.file_stem().map_or_else(|| "data".into(), |s| s.to_string_lossy().into_owned());
        one.csv = vec![csv.clone()];
        one.run.out = Some(base.join(stem));
        prepared.push(prepare(one)?);
    }
    if !args.run.check {
        report::check_writable(&summary_dir)?;
    }
    let reports = prepared.into_iter().map(run).collect::<Result<Vec<_>>>()?;
    let summary = Summary::new(&reports);
    print!("\n{}", summary.render());
    if !args.run.check {
        summary.write(&summary_dir)?;
        log::info!("summary written to {}", summary_dir.display());
    }
    Ok(reports)
}

/// One CSV file loaded, split and resampled, with its settings checked.
struct Prepared {
    config: RunConfig,
    dataset: data::Dataset,
    split: split::Split,
    /// Fold count, repeats and the folds, when cross-validation is on.
    folds: Option<(usize, usize, Vec<resample::Fold>)>,
}

/// Loads and splits one CSV file, draws its folds and checks its report folder.
fn prepare(args: CompareArgs) -> Result<Prepared> {
    let config = RunConfig::from_args(args)?;
    let dataset = data::load(&config.csv, &config.roles, &config.load)?;
    log::info!(
        "{}: {} rows, {} predictors, {} targets",
        config.csv.display(),
        dataset.n_rows(),
        dataset.predictor_names.len(),
        dataset.target_names.len()
    );
    if !dataset.text_names.is_empty() {
        log::info!("left out non-numeric columns: {}", dataset.text_names.join(", "));
    }
    let split = split::split(&dataset, config.test_fraction, config.seed)?;
    if !config.check {
        report::check_writable(&config.out)?;
    }

    if let Some(threads) = config.threads {
        if !(1..=MAX_THREADS).contains(&threads) {
            return Err(Error::Usage(format!(
                "invalid --threads {threads}: expected 1 to {MAX_THREADS}"
            )));
        }
        // The global pool can be built once per process; a second call keeps the first.
        if let Err(error) = rayon::ThreadPoolBuilder::new().num_threads(threads).build_global() {
            log::warn!("--threads {threads} not applied: {error}");
        }
    }
    let folds = match config.cross_validation {
        Some((k, repeats)) => {
            Some((k, repeats, resample::k_fold(&split.train, k, repeats, config.seed)?))
        }
        None => None,
    };
    Ok(Prepared { config, dataset, split, folds })
}

/// Runs the comparison of one prepared CSV file and returns its report after printing
/// the leaderboard to stdout and writing the report folder.
fn run(prepared: Prepared) -> Result<Report> {
    let Prepared { config, dataset, split, folds } = prepared;
    let cross_validation = folds.map(|(k, repeats, folds)| {
        log::info!(
            "cross-validating {} training rows: {k} folds, {repeats} repeats",
            split.train.len()
        );
        let runs = runner::run_folds(&dataset, &folds, &config.models);
        CrossValidation::new(&folds, runs, k, repeats, config.seed, split.train.len())
    });

    let runs = runner::run(&dataset, &split, &config.models);
    let mut report = Report::new(&dataset, &split, runs, config.sidecar.clone(), config.seed);
    report.cross_validation = cross_validation;
    report.peers = report::peers::load(&config.peers, &dataset.sha256);
    report.published = report::published_comparisons(&report, &config.published)?;

    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(report::terminal::render(&report).as_bytes());
    // A run in which no model was scored writes nothing, so an earlier report survives.
    if report.best().is_none() {
        return Err(Error::Usage(
            "every model failed, so no report was written; see the messages above".into(),
        ));
    }
    if config.check {
        report::check::check(&report, &config.out)?;
        eprintln!("{}: every number matches this run", config.out.display());
    } else {
        report::write(&report, &config.out)?;
        log::info!("report written to {}", config.out.display());
    }
    Ok(report)
}
