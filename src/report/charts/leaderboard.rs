//! `leaderboard_rmse.png` and `leaderboard_r2.png`: one bar per model of its RMSE or R²
//! averaged over the targets, in leaderboard order, with the best model highlighted.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    bar_range, break_corners, count, draw_frame, drawable, drawable_bounds, fit_label, join_names,
    model_colour, text, tick_label, trimmed_number, Area, Cut, DrawResult, Frame, AXIS_SIZE,
    CUT_FACTOR, MUTED_COLOUR, NOT_DRAWABLE, OTHER_BAR_COLOUR, TICK_SIZE, VALUE_SIZE,
};
use crate::metrics::Metric;
use crate::report::{format_number, Report};

/// An R² axis reaches at least this low before a bar is cut. Below it a model's squared
/// error is more than twice that of predicting the test mean.
const R2_MIN_CUT: f64 = -1.0;

/// Maximum length of a failure message quoted in a note, in characters.
const MAX_REASON_CHARS: usize = 120;

/// Half the width of a bar, in slots (one slot per model).
const BAR_HALF_WIDTH: f64 = 0.35;

/// Returns the sentence that `report.md` puts under the chart.
pub(super) fn caption(report: &Report, metric: Metric) -> String {
    let rows = report.split.test_ids.len();
    match metric {
        Metric::R2 if r2_defined(report) == 0 => {
            "Mean R² of each model, which is undefined here because every target is constant \
             on the test rows."
                .into()
        }
        Metric::R2 => format!(
            "Mean R² of each model over the {} where R² is defined, on the {rows} test rows, \
             each target weighing the same, with the best model by mean RMSE highlighted.",
            r2_targets(report)
        ),
        _ => format!(
            "Mean {} of each model over the {} on the {rows} test rows, each target weighing \
             the same, with the best model highlighted.",
            metric.label(),
            count(report.targets.len(), "target")
        ),
    }
}

/// Targets where R² is defined, those not constant on the test rows.
fn r2_defined(report: &Report) -> usize {
    report.best().and_then(|m| m.aggregate(Metric::R2)).map_or(0, |a| a.n_defined)
}

/// "3 targets", or "1398 of the 1400 targets" when R² is undefined for some.
fn r2_targets(report: &Report) -> String {
    let n = report.targets.len();
    let defined = r2_defined(report);
    if defined == n {
        count(n, "target")
    } else {
        format!("{defined} of the {}", count(n, "target"))
    }
}

/// Returns the axis cut for `values`, the drawable means of the scored models, or None
/// when every value fits.
///
/// RMSE bars are cut at [`CUT_FACTOR`] times the smallest positive mean. R² bars are cut
/// where 1 − R² reaches [`CUT_FACTOR`] times that of the best model, but never above
/// [`R2_MIN_CUT`], so R² of −50 does not squash models between 0 and 1.
fn cut_for(metric: Metric, values: &[f64]) -> Option<Cut> {
    if metric.higher_is_better() {
        let best = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let worst = values.iter().copied().fold(f64::INFINITY, f64::min);
        let limit = (1.0 - CUT_FACTOR * (1.0 - best)).min(R2_MIN_CUT);
        (worst < limit).then_some(Cut::Below(limit))
    } else {
        let best = values.iter().copied().filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min);
        let worst = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let limit = CUT_FACTOR * best;
        (best.is_finite() && worst > limit).then_some(Cut::Above(limit))
    }
}

/// Draws the leaderboard of `metric` (RMSE or R²).
pub(super) fn draw(report: &Report, metric: Metric, canvas: &Area) -> DrawResult<()> {
    let label = metric.label();
    let means: Vec<Option<f64>> = report
        .models
        .iter()
        .map(|m| if m.failure.is_none() { Some(m.mean(metric)) } else { None })
        .collect();
    let drawable_means: Vec<f64> =
        means.iter().flatten().copied().filter(|v| drawable(*v)).collect();
    let cut = cut_for(metric, &drawable_means);
    let best_name = report.best().map_or("", |m| m.name.as_str());

    let mut frame = Frame {
        title: if metric.higher_is_better() {
            format!("Mean {label} on the test rows (higher is better)")
        } else {
            format!("Mean {label} on the test rows (lower is better)")
        },
        ..Frame::default()
    };
    let all_undefined = metric == Metric::R2 && r2_defined(report) == 0;
    let targets = if metric == Metric::R2 {
        r2_targets(report)
    } else {
        count(report.targets.len(), "target")
    };
    frame.subtitle.push(if all_undefined {
        "R² is undefined for every target, because each is constant on the test rows.".into()
    } else {
        format!(
            "Each bar is one model's {label} averaged over the {targets} on the {} test rows, \
             each target weighing the same.",
            report.split.test_ids.len()
        )
    });
    frame.subtitle.push(format!("Highlighted: {best_name}, the best model by mean RMSE."));
    frame.notes = notes(report, metric, &means, cut);
    let body = draw_frame(canvas, &frame)?;

    let bar_ends = drawable_means.iter().map(|&v| Cut::apply(cut, v).0);
    let (lo, hi) = drawable_bounds(bar_ends.chain([0.0])).unwrap_or((0.0, 1.0));
    let y_range = bar_range(lo, hi);
    let slots = report.models.len();
    let x_range = -0.5..(slots as f64 - 0.5);
    let mut chart = ChartBuilder::on(&body)
        .margin_left(20)
        .margin_right(40)
        .margin_top(10)
        .x_label_area_size(80)
        .y_label_area_size(120)
        .build_cartesian_2d(x_range, y_range.clone())?;
    let y_ticks = |v: &f64| tick_label(*v, &y_range);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(8)
        .y_label_formatter(&y_ticks)
        .label_style(text(TICK_SIZE))
        .axis_desc_style(text(AXIS_SIZE))
        .y_desc(if metric == Metric::R2 {
            "mean R²".to_string()
        } else {
            format!("mean {label} (target units)")
        })
        .x_desc("model, in leaderboard order")
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(TRANSPARENT)
        .draw()?;
    if lo < 0.0 {
        chart.draw_series([PathElement::new(
            vec![(-0.5, 0.0), (slots as f64 - 0.5, 0.0)],
            BLACK.stroke_width(2),
        )])?;
    }

    let span = y_range.end - y_range.start;
    let value_above = text(VALUE_SIZE).pos(Pos::new(HPos::Center, VPos::Bottom));
    let value_below = text(VALUE_SIZE).pos(Pos::new(HPos::Center, VPos::Top));
    for (slot, (model, mean)) in report.models.iter().zip(&means).enumerate() {
        let x = slot as f64;
        let Some(mean) = mean.filter(|v| drawable(*v)) else {
            let missing = if model.failure.is_some() { "failed" } else { "no value" };
            let style = value_above.color(&MUTED_COLOUR);
            chart.draw_series([EmptyElement::at((x, 0.0)) + Text::new(missing, (0, -6), style)])?;
            continue;
        };
        let colour = if model.rank == Some(1) { model_colour(0) } else { OTHER_BAR_COLOUR };
        let (end, was_cut) = Cut::apply(cut, mean);
        chart.draw_series([Rectangle::new(
            [(x - BAR_HALF_WIDTH, 0.0), (x + BAR_HALF_WIDTH, end)],
            colour.filled(),
        )])?;
        if was_cut {
            let (left, right) = (x - BAR_HALF_WIDTH, x + BAR_HALF_WIDTH);
            let corners = break_corners(left, right, end, span);
            chart.draw_series([Polygon::new(corners, WHITE.filled())])?;
        }
        let value =
            if was_cut { format!("{} (cut)", format_number(mean)) } else { format_number(mean) };
        let element = if end >= 0.0 {
            EmptyElement::at((x, end)) + Text::new(value, (0, -6), value_above.clone())
        } else {
            EmptyElement::at((x, end)) + Text::new(value, (0, 6), value_below.clone())
        };
        chart.draw_series([element])?;
    }

    // Model names under the slots, drawn on the canvas because the x axis has no ticks.
    let (pixels, _) = chart.plotting_area().get_pixel_range();
    let slot_width = ((pixels.end - pixels.start) as f64 / slots as f64) as u32;
    let name_style = text(TICK_SIZE).pos(Pos::new(HPos::Center, VPos::Top));
    for (slot, model) in report.models.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(slot as f64, y_range.start));
        let name = fit_label(canvas, &model.name, &name_style, slot_width.saturating_sub(8))?;
        canvas.draw_text(&name, &name_style, (x, y + 10))?;
    }
    Ok(())
}

/// Notes under the plot: the axis cut, failed models and models without a finite mean.
fn notes(report: &Report, metric: Metric, means: &[Option<f64>], cut: Option<Cut>) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(cut) = cut {
        let cut_names: Vec<String> = report
            .models
            .iter()
            .zip(means)
            .filter(|(_, mean)| mean.is_some_and(|v| drawable(v) && Cut::apply(Some(cut), v).1))
            .map(|(m, _)| m.name.clone())
            .collect();
        let limit = trimmed_number(cut.limit());
        let rule = match cut {
            Cut::Above(_) => format!("{limit}, {CUT_FACTOR} times the smallest mean RMSE"),
            Cut::Below(_) => format!("R² = {limit}"),
        };
        notes.push(format!(
            "Axis cut at {rule}: the broken {} of {} {} past it, and the printed value is the \
             full one.",
            if cut_names.len() == 1 { "bar" } else { "bars" },
            join_names(&cut_names),
            if cut_names.len() == 1 { "goes" } else { "go" },
        ));
    }
    for model in &report.models {
        if let Some(reason) = &model.failure {
            let mut reason: String = reason.chars().take(MAX_REASON_CHARS).collect();
            if reason.len() < model.failure.as_ref().map_or(0, String::len) {
                reason.push('…');
            }
            notes.push(format!("{} has no bar: {reason}", model.name));
        }
    }
    let undefined: Vec<String> = report
        .models
        .iter()
        .zip(means)
        .filter(|(_, mean)| mean.is_some_and(|v| !drawable(v)))
        .map(|(m, _)| m.name.clone())
        .collect();
    // With R² undefined for every target the subtitle already explains the missing bars.
    let all_undefined = metric == Metric::R2 && r2_defined(report) == 0;
    if !undefined.is_empty() && !all_undefined {
        notes.push(format!(
            "No bar for {}: the mean {} is {NOT_DRAWABLE}.",
            join_names(&undefined),
            metric.label()
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rmse_cut_at_factor_of_best() {
        assert_eq!(cut_for(Metric::Rmse, &[2.3, 2.4, 2.6, 8.7]), None);
        assert_eq!(cut_for(Metric::Rmse, &[1.0, 1.2, 500.0]), Some(Cut::Above(10.0)));
        assert_eq!(cut_for(Metric::Rmse, &[0.0, 0.0]), None);
        assert_eq!(cut_for(Metric::Rmse, &[0.0, 0.5, 9.0]), Some(Cut::Above(5.0)));
    }

    #[test]
    fn r2_cut_keeps_zero_to_one_readable() {
        assert_eq!(cut_for(Metric::R2, &[0.9, 0.88, -0.005]), None);
        assert_eq!(cut_for(Metric::R2, &[0.9, 0.88, -50.0]), Some(Cut::Below(-1.0)));
        assert_eq!(cut_for(Metric::R2, &[-2.0, -3.0]), None);
        assert_eq!(cut_for(Metric::R2, &[-2.0, -3.0, -500.0]), Some(Cut::Below(-29.0)));
    }
}
