//! `cv_leaderboard_rmse.png` and `cv_leaderboard_r2.png`: one bar per model of its RMSE
//! or R² averaged first over the targets within each fold, then over the folds, with
//! ± 1 standard deviation over the folds as error bars, in cross-validation order.

use super::cv;
use super::leaderboard::{draw_bars, Bar, BarChart};
use super::{drawable, join_names, Area, DrawResult, Frame, Swatch, NOT_DRAWABLE};
use crate::metrics::Metric;
use crate::report::{CrossValidation, Report};

/// Returns the sentence that `report.md` puts under the chart of `metric`.
pub(super) fn caption(report: &Report, cv: &CrossValidation, metric: Metric) -> String {
    format!(
        "Cross-validated {} of each model, averaged first over the {} within each fold and \
         then over the {}, with error bars of ± 1 standard deviation over the folds.",
        metric.label(),
        within_fold(report, metric),
        cv::folds(cv)
    )
}

/// "1400 targets", or for R² "targets where R² is defined".
fn within_fold(report: &Report, metric: Metric) -> String {
    if metric == Metric::R2 {
        "targets where R² is defined".into()
    } else {
        cv::targets(report)
    }
}

/// Draws the cross-validated leaderboard of `metric` (RMSE or R²). A report without a
/// cross-validation gets a blank canvas.
pub(super) fn draw(report: &Report, metric: Metric, canvas: &Area) -> DrawResult<()> {
    let Some(cv) = &report.cross_validation else {
        return Ok(());
    };
    let label = metric.label();
    let n_folds = cv.fold_labels.len();
    let standings = cv::standings(cv);

    let mut frame = Frame {
        title: if metric.higher_is_better() {
            format!("Cross-validated mean {label} (higher is better)")
        } else {
            format!("Cross-validated mean {label} (lower is better)")
        },
        legend: cv::legend(cv, &standings, Swatch::Bar),
        ..Frame::default()
    };
    frame.subtitle.push(format!(
        "Each bar is one model's {label} averaged first over the {} within each fold, then \
         over the {}. Error bars show ± 1 standard deviation over the folds.",
        within_fold(report, metric),
        cv::folds(cv)
    ));
    frame.subtitle.push(format!("{}.", cv::design(cv)));
    frame.notes.extend(cv::test_note(&standings));
    frame.notes.extend(cv::untested_note(cv, &standings));
    frame.notes.extend(cv::failure_notes(cv, |_| "so it has no bar".into()));

    let mut bars = Vec::with_capacity(cv.models.len());
    let mut no_value = Vec::new();
    let mut no_error = Vec::new();
    for (model, standing) in cv.models.iter().zip(&standings) {
        let value =
            if model.failures.is_empty() { Some(cv::fold_mean(model, metric)) } else { None };
        let error = cv::fold_std(model, metric);
        match value {
            Some(v) if !drawable(v) => no_value.push(model.name.clone()),
            Some(_) if !drawable(error) => no_error.push(model.name.clone()),
            _ => {}
        }
        bars.push(Bar {
            name: model.name.clone(),
            detail: Some(standing.detail(model, n_folds)),
            value,
            error: Some(error),
            colour: standing.colour(),
        });
    }
    if !no_value.is_empty() {
        frame.notes.push(format!(
            "No bar for {}: the mean {label} over the folds is {NOT_DRAWABLE}.",
            join_names(&no_value)
        ));
    }
    if !no_error.is_empty() {
        let reason = if n_folds < 2 {
            "a standard deviation needs at least two folds".to_string()
        } else {
            format!("the standard deviation is {NOT_DRAWABLE}")
        };
        frame.notes.push(format!("No error bar for {}: {reason}.", join_names(&no_error)));
    }

    let chart = BarChart {
        metric,
        frame,
        y_desc: if metric == Metric::R2 {
            "mean R² over the folds".to_string()
        } else {
            format!("mean {label} over the folds (target units)")
        },
        x_desc: "model, in cross-validation order",
        bars,
    };
    draw_bars(chart, canvas)
}
