//! Shared parts of the cross-validation charts: each model's standing against the best
//! model by the corrected resampled t-test, the colour and legend entry of each standing,
//! and the sentences on folds and failures.

use plotters::style::RGBColor;

use super::leaderboard::shortened;
use super::{count, join_names, model_colour, LegendEntry, Swatch, OTHER_BAR_COLOUR};
use crate::metrics::Metric;
use crate::report::cross_validation::{CrossValidatedModel, SIGNIFICANCE_LEVEL};
use crate::report::{format_number, CrossValidation, Report};

/// Models not significantly worse than the best: the best model's colour mixed half
/// and half with white, so the two stay apart in lightness as well as hue.
const NOT_WORSE_COLOUR: RGBColor = RGBColor(234, 175, 128);

/// Models with no p-value, because they or the best model failed or have a single fold.
const UNTESTED_COLOUR: RGBColor = RGBColor(200, 200, 200);

/// Maximum number of fold labels listed in a note on failed folds.
const MAX_LISTED_FOLDS: usize = 5;

/// A model's place against the best model of a cross-validation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Standing {
    /// The model with the smallest mean RMSE over the folds, scored on every fold.
    Best,
    /// A model whose RMSE difference from the best has p at or above [`SIGNIFICANCE_LEVEL`].
    NotWorse { p_value: f64 },
    /// A model whose RMSE difference from the best has p below [`SIGNIFICANCE_LEVEL`].
    Worse { p_value: f64 },
    /// A model without a test, because it or the best model failed on a fold, or there is
    /// a single fold.
    Untested,
}

impl Standing {
    /// Returns the standing of the model at `index` in `cv.models`.
    pub(super) fn of(cv: &CrossValidation, index: usize) -> Standing {
        let model = &cv.models[index];
        if index == 0 {
            let scored = model.not_worse_than_best && fold_mean(model, Metric::Rmse).is_finite();
            return if scored { Standing::Best } else { Standing::Untested };
        }
        match model.versus_best {
            Some(test) if model.not_worse_than_best => Standing::NotWorse { p_value: test.p_value },
            Some(test) => Standing::Worse { p_value: test.p_value },
            None => Standing::Untested,
        }
    }

    pub(super) fn colour(self) -> RGBColor {
        match self {
            Standing::Best => model_colour(0),
            Standing::NotWorse { .. } => NOT_WORSE_COLOUR,
            Standing::Worse { .. } => OTHER_BAR_COLOUR,
            Standing::Untested => UNTESTED_COLOUR,
        }
    }

    /// Returns the line printed under the model's name: "best", its p-value, the share
    /// of folds it failed on, or "not tested".
    pub(super) fn detail(self, model: &CrossValidatedModel, n_folds: usize) -> String {
        match self {
            Standing::Best => "best".into(),
            Standing::NotWorse { p_value } | Standing::Worse { p_value } => {
                format!("p = {}", format_number(p_value))
            }
            Standing::Untested if !model.failures.is_empty() => {
                format!("failed on {} of {n_folds}", model.failures.len())
            }
            Standing::Untested => "not tested".into(),
        }
    }

    /// Returns the legend label of this standing, which names the best model.
    fn legend_label(self, best_name: &str) -> String {
        match self {
            Standing::Best => format!("best: {best_name}"),
            Standing::NotWorse { .. } => {
                format!("not significantly worse (p ≥ {SIGNIFICANCE_LEVEL})")
            }
            Standing::Worse { .. } => format!("significantly worse (p < {SIGNIFICANCE_LEVEL})"),
            Standing::Untested => "not tested against the best".into(),
        }
    }

    /// Index of the standing's kind, for ordering and deduplicating legend entries.
    fn kind(self) -> usize {
        match self {
            Standing::Best => 0,
            Standing::NotWorse { .. } => 1,
            Standing::Worse { .. } => 2,
            Standing::Untested => 3,
        }
    }
}

/// Returns the standing of every model in `cv.models`, in order.
pub(super) fn standings(cv: &CrossValidation) -> Vec<Standing> {
    (0..cv.models.len()).map(|i| Standing::of(cv, i)).collect()
}

/// Returns one legend entry, with the `swatch`, for each kind of standing present.
pub(super) fn legend(
    cv: &CrossValidation,
    standings: &[Standing],
    swatch: Swatch,
) -> Vec<LegendEntry> {
    let best_name = cv.models.first().map_or("", |m| m.name.as_str());
    let mut present: Vec<Standing> = Vec::new();
    for standing in standings {
        if !present.iter().any(|s| s.kind() == standing.kind()) {
            present.push(*standing);
        }
    }
    present.sort_by_key(|s| s.kind());
    present
        .into_iter()
        .map(|s| LegendEntry { label: s.legend_label(best_name), colour: s.colour(), swatch })
        .collect()
}

/// Returns true when some model of `cv` has a value on at least one fold, so that the
/// cross-validation charts have something to draw.
pub(super) fn any_scored(cv: &CrossValidation) -> bool {
    cv.models.iter().any(|m| fold_values(m, Metric::Rmse).iter().any(|v| v.is_finite()))
}

/// Returns the value of `metric` on each fold: the mean across targets, NaN for a
/// failed fold, and no values when the metric is missing.
pub(super) fn fold_values(model: &CrossValidatedModel, metric: Metric) -> &[f64] {
    model.per_fold.get(metric.name()).map_or(&[], Vec::as_slice)
}

/// Returns the mean over the folds of `metric`, NaN when it is missing.
pub(super) fn fold_mean(model: &CrossValidatedModel, metric: Metric) -> f64 {
    model.mean.get(metric.name()).copied().unwrap_or(f64::NAN)
}

/// Returns the standard deviation over the folds of `metric`, NaN when it is missing.
pub(super) fn fold_std(model: &CrossValidatedModel, metric: Metric) -> f64 {
    model.std.get(metric.name()).copied().unwrap_or(f64::NAN)
}

/// "5-fold cross-validation of the 60 training rows, repeated 3 times", without the
/// repeats when there is one.
pub(super) fn design(cv: &CrossValidation) -> String {
    let design = format!("{}-fold cross-validation of the {} training rows", cv.k, cv.n_rows);
    if cv.repeats == 1 {
        design
    } else {
        format!("{design}, repeated {} times", cv.repeats)
    }
}

/// "15 folds".
pub(super) fn folds(cv: &CrossValidation) -> String {
    count(cv.fold_labels.len(), "fold")
}

/// "1400 targets".
pub(super) fn targets(report: &Report) -> String {
    count(report.targets.len(), "target")
}

/// Returns the note on the t-test behind the colours, or None when no model has a p-value.
pub(super) fn test_note(standings: &[Standing]) -> Option<String> {
    let tested =
        standings.iter().any(|s| matches!(s, Standing::NotWorse { .. } | Standing::Worse { .. }));
    tested.then(|| {
        format!(
            "p is the two-sided corrected resampled t-test of each model's RMSE minus the best \
             model's, fold by fold, as in the cross-validation table of report.md. Models with \
             p ≥ {SIGNIFICANCE_LEVEL} count as not significantly worse than the best."
        )
    })
}

/// Returns the note on models without a p-value that did not fail on any fold, which
/// the notes of [`failure_notes`] do not explain, or None when there is none.
pub(super) fn untested_note(cv: &CrossValidation, standings: &[Standing]) -> Option<String> {
    let names: Vec<String> = cv
        .models
        .iter()
        .zip(standings)
        .skip(1)
        .filter(|(m, s)| **s == Standing::Untested && m.failures.is_empty())
        .map(|(m, _)| m.name.clone())
        .collect();
    if names.is_empty() {
        return None;
    }
    let one = names.len() == 1;
    let reason = if cv.fold_labels.len() < 2 {
        "the t-test needs at least two folds".to_string()
    } else if standings.first() != Some(&Standing::Best) {
        "the first model in cross-validation order failed on a fold or has a fold whose RMSE \
         is not finite"
            .to_string()
    } else if one {
        "it or the best model has a fold whose RMSE is not finite".to_string()
    } else {
        "each of them has a fold whose RMSE is not finite, or the best model has".to_string()
    };
    let verb = if one { "has" } else { "have" };
    Some(format!("{} {verb} no p-value: {reason}.", join_names(&names)))
}

/// Returns one note per model that failed on some folds: how many, on which folds, what
/// `consequence` returns for the model ("so it has no bar"), and the first failure message.
pub(super) fn failure_notes(
    cv: &CrossValidation,
    consequence: impl Fn(&CrossValidatedModel) -> String,
) -> Vec<String> {
    let n_folds = cv.fold_labels.len();
    let mut notes = Vec::new();
    for model in cv.models.iter().filter(|m| !m.failures.is_empty()) {
        let mut labels: Vec<&str> =
            model.failures.iter().take(MAX_LISTED_FOLDS).map(|(l, _)| l.as_str()).collect();
        if model.failures.len() > MAX_LISTED_FOLDS {
            labels.push("…");
        }
        let (first_fold, first_reason) = &model.failures[0];
        notes.push(format!(
            "{} failed on {} of the {n_folds} folds ({}), {}. On {first_fold}: {}",
            model.name,
            model.failures.len(),
            labels.join(", "),
            consequence(model),
            shortened(first_reason),
        ));
    }
    notes
}
