//! The summary across data sets when one command compares several CSV files: each
//! model's rank on every data set, the mean rank, and a Friedman test of whether the
//! ranks differ.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::{folder, format_number, Report};
use crate::error::{Error, Result};
use crate::metrics::Metric;
use crate::stats::{friedman, FriedmanTest};

#[derive(Debug, Serialize)]
pub struct Summary {
    /// The meaning of each score: the cross-validated or the test-row mean RMSE across targets.
    pub score: String,
    pub datasets: Vec<String>,
    /// Models scored on every data set, in the first report's leaderboard order.
    pub models: Vec<String>,
    /// scores[d][m]: the score of model m on data set d.
    pub scores: Vec<Vec<f64>>,
    /// None with fewer than two data sets or two models.
    pub friedman: Option<FriedmanTest>,
    /// Models left out because they failed on some data set.
    pub left_out: Vec<String>,
}

impl Summary {
    pub fn new(reports: &[Report]) -> Summary {
        let cross_validated = reports.iter().all(|r| r.cross_validation.is_some());
        let score_of = |report: &Report, name: &str| -> Option<f64> {
            let value = match &report.cross_validation {
                Some(cv) if cross_validated => {
                    cv.models.iter().find(|m| m.name == name)?.mean[Metric::Rmse.name()]
                }
                _ => report
                    .models
                    .iter()
                    .find(|m| m.name == name && m.failure.is_none())?
                    .mean(Metric::Rmse),
            };
            value.is_finite().then_some(value)
        };
        let candidates: Vec<String> = reports
            .first()
            .map_or_else(Vec::new, |r| r.models.iter().map(|m| m.name.clone()).collect());
        let (models, left_out): (Vec<String>, Vec<String>) = candidates
            .into_iter()
            .partition(|name| reports.iter().all(|r| score_of(r, name).is_some()));
        let scores: Vec<Vec<f64>> = reports
            .iter()
            .map(|r| models.iter().map(|name| score_of(r, name).unwrap_or(f64::NAN)).collect())
            .collect();
        let datasets = reports.iter().map(|r| r.manifest.file.display().to_string()).collect();
        let score = if cross_validated {
            "mean RMSE across targets, averaged over the cross-validation folds"
        } else {
            "mean RMSE across targets on the test rows"
        };
        Summary {
            score: score.into(),
            friedman: friedman(&scores),
            datasets,
            models,
            scores,
            left_out,
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::from("# lunchbench summary across data sets\n\n");
        let _ = writeln!(
            out,
            "Each cell is the {}; the rank in brackets is within the data set (1 is best). Units \
             differ between data sets, so only the ranks are compared across them.\n",
            self.score
        );
        let _ = writeln!(out, "| data set | {} |", self.models.join(" | "));
        let _ = writeln!(out, "|---|{}", "---|".repeat(self.models.len()));
        for (dataset, row) in self.datasets.iter().zip(&self.scores) {
            let ranks = rank_row(row);
            let cells: Vec<String> = row
                .iter()
                .zip(ranks)
                .map(|(v, r)| format!("{} ({r})", format_number(*v)))
                .collect();
            let _ = writeln!(out, "| `{dataset}` | {} |", cells.join(" | "));
        }
        if let Some(test) = &self.friedman {
            let ranks: Vec<String> = test.mean_ranks.iter().map(|r| format!("{r:.2}")).collect();
            let _ = writeln!(out, "| mean rank | {} |", ranks.join(" | "));
            let _ = writeln!(
                out,
                "\nFriedman test over {} data sets and {} models: χ² = {}, {} degrees of freedom, p = {}. \
                 With few data sets the test has little power; a large p-value does not show the \
                 models are equal.",
                self.datasets.len(),
                self.models.len(),
                format_number(test.chi_squared),
                test.degrees_of_freedom,
                format_number(test.p_value)
            );
        }
        if !self.left_out.is_empty() {
            let _ = writeln!(
                out,
                "\nLeft out because they failed on some data set: {}.",
                self.left_out.join(", ")
            );
        }
        out
    }

    /// Writes summary.md and summary.json into `dir`, replacing an earlier summary only
    /// once both are written.
    pub fn write(&self, dir: &Path) -> Result<()> {
        folder::write_atomically(dir, |staging| {
            let md = staging.join("summary.md");
            std::fs::write(&md, self.render())
                .map_err(|source| Error::Write { path: md, source })?;
            let json = staging.join("summary.json");
            let text = serde_json::to_string_pretty(self).map_err(|e| Error::Write {
                path: json.clone(),
                source: std::io::Error::other(e),
            })?;
            std::fs::write(&json, text + "\n").map_err(|source| Error::Write { path: json, source })
        })
    }
}

fn rank_row(row: &[f64]) -> Vec<String> {
    row.iter()
        .map(|v| {
            let better = row.iter().filter(|o| *o < v).count();
            let ties = row.iter().filter(|o| *o == v).count();
            let rank = better as f64 + (ties as f64 + 1.0) / 2.0;
            if rank.fract() == 0.0 {
                format!("{rank:.0}")
            } else {
                format!("{rank:.1}")
            }
        })
        .collect()
}
