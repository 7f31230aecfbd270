//! `report.md`: the run manifest, the leaderboard and per-target results.

use std::fmt::Write as _;
use std::path::Path;

use super::terminal::{leaderboard_rows, LEADERBOARD_HEADER};
use super::{averaging_note, charts, format_number, ModelReport, Report};
use crate::error::{Error, Result};
use crate::metrics::{Metric, R2_UNDEFINED};
use crate::split::SplitMethod;

/// Targets listed in full up to this count; above it, only the best and worst.
const ALL_TARGETS_UP_TO: usize = 30;
/// Targets shown at each end when the list is cut.
const TARGETS_AT_EACH_END: usize = 10;

pub fn write(report: &Report, dir: &Path) -> Result<()> {
    let path = dir.join("report.md");
    std::fs::write(&path, render(report)).map_err(|source| Error::Write { path, source })
}

fn table(out: &mut String, header: &[String], rows: &[Vec<String>]) {
    let escape = |cell: &String| cell.replace('|', "\\|");
    let _ = writeln!(out, "| {} |", header.iter().map(escape).collect::<Vec<_>>().join(" | "));
    let _ = writeln!(out, "|{}", header.iter().map(|_| "---|").collect::<String>());
    for row in rows {
        let _ = writeln!(out, "| {} |", row.iter().map(escape).collect::<Vec<_>>().join(" | "));
    }
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let m = &report.manifest;
    let name = m.file.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let _ = writeln!(out, "# lunchbench report: {name}\n");

    let _ = writeln!(out, "## Run\n");
    let c = &m.columns;
    let split = match &report.split.method {
        SplitMethod::Column { column } => format!("from column `{column}`"),
        SplitMethod::Holdout { test_fraction, seed } => {
            format!("seeded shuffled holdout, test fraction {test_fraction}, seed {seed}")
        }
    };
    let mut facts = vec![
        ("file", format!("`{}`", m.file.display())),
        ("SHA-256", format!("`{}`", m.sha256)),
        ("sidecar", m.sidecar.as_ref().map_or("none".into(), |p| format!("`{}`", p.display()))),
        ("rows", format!("{} in the file, {} used", m.rows_in_file, m.rows_used)),
        (
            "columns",
            format!(
                "{} in all: {} id, {} split, {} predictors, {} targets, {} ignored, {} non-numeric left out",
                c.total, c.id, c.split, c.predictors, c.targets, c.ignored, c.text
            ),
        ),
        ("split", format!("{split}: {} training rows, {} test rows", report.split.train_ids.len(), report.split.test_ids.len())),
        ("seed", m.seed.to_string()),
        ("lunchbench", m.lunchbench_version.clone()),
        ("date", m.date.clone()),
    ];
    if !m.dropped_rows.is_empty() {
        let lines: Vec<String> =
            m.dropped_rows.iter().map(|d| format!("line {} ({})", d.line, d.id)).collect();
        facts.push((
            "dropped rows",
            format!("{} with empty or NaN cells: {}", lines.len(), lines.join(", ")),
        ));
    }
    table(
        &mut out,
        &["".into(), "".into()],
        &facts.into_iter().map(|(k, v)| vec![k.to_string(), v]).collect::<Vec<_>>(),
    );
    let _ = writeln!(out, "\nThe training and test row ids are in `results.json` under `split`.\n");

    let _ = writeln!(out, "## Leaderboard\n");
    let _ = writeln!(
        out,
        "{} Models are ranked by mean RMSE; `*` marks the best.\n",
        averaging_note(report)
    );
    let header: Vec<String> = LEADERBOARD_HEADER.iter().map(|s| s.to_string()).collect();
    table(&mut out, &header, &leaderboard_rows(report));
    let _ = writeln!(out, "\nTimes are wall-clock seconds on the machine that ran the report.\n");

    let _ = writeln!(out, "## Settings\n");
    for model in &report.models {
        let mut settings: Vec<String> =
            model.settings.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        settings.extend(model.fit_notes.iter().map(|(k, v)| format!("{k}: {v}")));
        let text = if settings.is_empty() { "no settings".into() } else { settings.join(", ") };
        let _ = writeln!(out, "- `{}`: {text}", model.name);
    }
    let _ = writeln!(out);

    cross_validation_section(&mut out, report);
    published_section(&mut out, report);
    peers_section(&mut out, report);
    per_target_section(&mut out, report);
    charts_section(&mut out, report);
    out
}

fn cross_validation_section(out: &mut String, report: &Report) {
    let Some(cv) = &report.cross_validation else { return };
    let _ = writeln!(out, "## Cross-validation\n");
    let _ = writeln!(
        out,
        "{}-fold cross-validation of the {} training rows, repeated {} time{} with seeded \
         shuffles (seed {}): {} fits per model, each fitted on its fold's training rows only. \
         Each value is first averaged over the targets of a fold, then the mean and standard \
         deviation are taken over the {} folds. The test rows take no part; the leaderboard \
         above scores them once with models fitted on all training rows. Δ RMSE is the \
         model's mean RMSE minus the best model's, and p is the two-sided corrected resampled \
         t-test of Nadeau and Bengio (2003) on the per-fold differences; `yes` marks models \
         not significantly worse than the best (p ≥ {}).\n",
        cv.k,
        cv.n_rows,
        cv.repeats,
        if cv.repeats == 1 { "" } else { "s" },
        cv.seed,
        cv.fold_labels.len(),
        cv.fold_labels.len(),
        super::cross_validation::SIGNIFICANCE_LEVEL
    );
    let header: Vec<String> = ["model", "RMSE", "MAE", "R²", "Δ RMSE", "p", "not worse than best"]
        .map(String::from)
        .to_vec();
    let mean_sd = |m: &super::cross_validation::CrossValidatedModel, metric: Metric| {
        format!(
            "{} ± {}",
            format_number(m.mean[metric.name()]),
            format_number(m.std[metric.name()])
        )
    };
    let rows: Vec<Vec<String>> = cv
        .models
        .iter()
        .map(|m| {
            let (delta, p) = match &m.versus_best {
                Some(t) => (format_number(t.mean_difference), format_number(t.p_value)),
                None => (String::new(), String::new()),
            };
            let verdict = if !m.failures.is_empty() {
                match m.failures.len() {
                    1 => "failed on 1 fold".to_string(),
                    n => format!("failed on {n} folds"),
                }
            } else if m.not_worse_than_best {
                "yes".into()
            } else {
                "no".into()
            };
            vec![
                m.name.clone(),
                mean_sd(m, Metric::Rmse),
                mean_sd(m, Metric::Mae),
                mean_sd(m, Metric::R2),
                delta,
                p,
                verdict,
            ]
        })
        .collect();
    table(out, &header, &rows);
    let r2_undefined =
        |m: &&super::cross_validation::CrossValidatedModel| m.mean[Metric::R2.name()].is_nan();
    if cv.models.iter().filter(r2_undefined).any(|m| m.mean[Metric::Rmse.name()].is_finite()) {
        let _ = writeln!(
            out,
            "\nR² is NaN where a fold's test rows have a constant value in every target, \
             because R² is undefined there. RMSE and MAE still cover every fold."
        );
    }
    let noted: Vec<_> = cv.models.iter().filter(|m| !m.fit_notes.is_empty()).collect();
    if !noted.is_empty() {
        let _ = writeln!(out, "\nWhat the fits reported on each fold (tuned settings, caps):\n");
        for m in noted {
            let folds: Vec<String> = m
                .fit_notes
                .iter()
                .map(|(fold, notes)| {
                    let notes: Vec<String> =
                        notes.iter().map(|(k, v)| format!("{k} {v}")).collect();
                    format!("{fold}: {}", notes.join(", "))
                })
                .collect();
            let _ = writeln!(out, "- `{}`: {}", m.name, folds.join("; "));
        }
    }
    let _ = writeln!(out);
}

fn published_section(out: &mut String, report: &Report) {
    if report.published.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Published figures\n");
    let _ = writeln!(out, "Results reported in the literature for the same test rows, beside each model's value here.\n");
    let names: Vec<&String> =
        report.models.iter().filter(|m| m.failure.is_none()).map(|m| &m.name).collect();
    let mut header = vec!["target".to_string(), "metric".into(), "published".into()];
    header.extend(names.iter().map(|n| n.to_string()));
    header.push("source".into());
    let rows: Vec<Vec<String>> = report
        .published
        .iter()
        .map(|p| {
            let mut row = vec![
                p.figure.target.clone(),
                p.figure.metric.clone(),
                format_number(p.figure.value),
            ];
            row.extend(
                names.iter().map(|n| p.models.get(*n).map_or(String::new(), |v| format_number(*v))),
            );
            row.push(p.figure.source.clone());
            row
        })
        .collect();
    table(out, &header, &rows);
    let _ = writeln!(out);
}

fn peers_section(out: &mut String, report: &Report) {
    let Some(peers) = &report.peers else { return };
    let _ = writeln!(
        out,
        "## Peer results
"
    );
    let versions: Vec<String> = ["scikit_learn", "keras", "tensorflow"]
        .iter()
        .filter_map(|k| peers.versions.get(*k).map(|v| format!("{k} {v}")))
        .collect();
    let _ = writeln!(
        out,
        "Recorded by `baselines/peers.py` on the same file (same SHA-256) and the same split, on \
         {} with {}; read from `{}`. Averages are over the same targets as above; fit times \
         come from that run, not this one.\n",
        peers.date,
        versions.join(", "),
        peers.source
    );
    let header: Vec<String> =
        ["peer model", "RMSE mean", "RMSE median", "R² mean", "fit s", "settings"]
            .map(String::from)
            .to_vec();
    let rows: Vec<Vec<String>> = peers
        .models
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                format_number(p.mean_rmse),
                format_number(p.median_rmse),
                p.mean_r2.map_or("NaN".into(), format_number),
                format_number(p.fit_seconds),
                p.description.clone(),
            ]
        })
        .collect();
    table(out, &header, &rows);
    let _ = writeln!(out);
}

/// Links every chart that [`charts::write`] draws, with what each one shows.
fn charts_section(out: &mut String, report: &Report) {
    let charts = charts::plan(report);
    if charts.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Charts\n");
    for chart in charts {
        let _ =
            writeln!(out, "![{}]({}/{})\n", chart.alt_text, charts::CHARTS_DIR, chart.file_name);
        let _ = writeln!(out, "{}\n", chart.caption);
    }
}

fn per_target_section(out: &mut String, report: &Report) {
    let scored: Vec<&ModelReport> = report.models.iter().filter(|m| m.failure.is_none()).collect();
    let Some(best) = scored.first() else { return };
    let n = report.targets.len();
    let _ = writeln!(out, "## Per-target results\n");

    let mut order: Vec<usize> = (0..n).collect();
    let shown: Vec<usize> = if n <= ALL_TARGETS_UP_TO {
        let _ = writeln!(out, "RMSE and R² of every target on the test rows.\n");
        order
    } else {
        order.sort_by(|&a, &b| best.per_target[a].rmse.total_cmp(&best.per_target[b].rmse));
        let _ = writeln!(
            out,
            "RMSE and R² on the test rows of the {TARGETS_AT_EACH_END} targets that the best model, `{}`, \
             predicts best and the {TARGETS_AT_EACH_END} it predicts worst, by RMSE. Every target is in \
             `metrics.csv`.\n",
            best.name
        );
        let mut ends = order[..TARGETS_AT_EACH_END].to_vec();
        ends.extend_from_slice(&order[n - TARGETS_AT_EACH_END..]);
        ends
    };

    let mut header = vec!["target".to_string()];
    for model in &scored {
        header.push(format!("{} RMSE", model.name));
        header.push(format!("{} R²", model.name));
    }
    let mut undefined = false;
    let rows: Vec<Vec<String>> = shown
        .iter()
        .map(|&t| {
            let mut row = vec![report.targets[t].clone()];
            for model in &scored {
                let s = model.per_target[t];
                row.push(format_number(s.get(Metric::Rmse)));
                undefined |= s.r2.is_nan();
                row.push(if s.r2.is_nan() { "NaN †".into() } else { format_number(s.r2) });
            }
            row
        })
        .collect();
    table(out, &header, &rows);
    if undefined {
        let _ = writeln!(out, "\n† {R2_UNDEFINED}.");
    }
    let _ = writeln!(out);
}
