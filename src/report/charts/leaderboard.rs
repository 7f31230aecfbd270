//! `leaderboard_rmse.png` and `leaderboard_r2.png`: one bar per model of its RMSE or R²
//! averaged over the targets, in leaderboard order, with the best model highlighted.
//!
//! [`draw_bars`] draws any chart of one bar per model, with optional error bars.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    bar_range_for_lines, break_corners, count, draw_frame, draw_slot_labels, drawable,
    drawable_bounds, join_names, model_colour, slot_label_area, text, tick_label, trimmed_number,
    Area, Cut, DrawResult, Frame, Plot, AXIS_SIZE, CUT_FACTOR, MUTED_COLOUR, NOT_DRAWABLE,
    OTHER_BAR_COLOUR, TEXT_COLOUR, TICK_SIZE, VALUE_SIZE,
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

/// Half the width of the cap at each end of an error bar, in slots.
const CAP_HALF_WIDTH: f64 = 0.08;

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
pub(super) fn cut_for(metric: Metric, values: &[f64]) -> Option<Cut> {
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

/// Draws the leaderboard of `metric` (RMSE or R²) on the test rows.
pub(super) fn draw(report: &Report, metric: Metric, canvas: &Area) -> DrawResult<()> {
    let label = metric.label();
    let means: Vec<Option<f64>> = report
        .models
        .iter()
        .map(|m| if m.failure.is_none() { Some(m.mean(metric)) } else { None })
        .collect();
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
    frame.notes = notes(report, metric, &means);

    let bars = report
        .models
        .iter()
        .zip(means)
        .map(|(model, value)| Bar {
            name: model.name.clone(),
            detail: None,
            value,
            error: None,
            colour: if model.rank == Some(1) { model_colour(0) } else { OTHER_BAR_COLOUR },
        })
        .collect();
    let chart = BarChart {
        metric,
        frame,
        y_desc: if metric == Metric::R2 {
            "mean R²".to_string()
        } else {
            format!("mean {label} (target units)")
        },
        x_desc: "model, in leaderboard order",
        bars,
    };
    draw_bars(chart, canvas)
}

/// One model's slot in a [`BarChart`].
#[derive(Debug, Clone)]
pub(super) struct Bar {
    pub name: String,
    /// Second line under the name, such as a p-value.
    pub detail: Option<String>,
    /// Height of the bar; None for a failed model, which gets "failed" in its slot.
    pub value: Option<f64>,
    /// Half the length of the error bar drawn around the value, if any.
    pub error: Option<f64>,
    pub colour: RGBColor,
}

/// A chart of one bar per model, with the axis cut of [`cut_for`].
#[derive(Debug)]
pub(super) struct BarChart {
    /// RMSE or R², which decides the axis cut and the sign of the bars.
    pub metric: Metric,
    /// Title, subtitle and legend, and the notes printed after the note on the axis cut.
    pub frame: Frame,
    pub y_desc: String,
    pub x_desc: &'static str,
    pub bars: Vec<Bar>,
}

/// Draws `chart`: bars from zero in slot order, each labelled with its value (and ±
/// its error), with bars past the axis cut broken and error bars clipped at it.
pub(super) fn draw_bars(chart: BarChart, canvas: &Area) -> DrawResult<()> {
    let BarChart { metric, mut frame, y_desc, x_desc, bars } = chart;
    let drawable_values: Vec<f64> =
        bars.iter().filter_map(|b| b.value).filter(|v| drawable(*v)).collect();
    let cut = cut_for(metric, &drawable_values);
    let whiskers: Vec<Option<Whisker>> = bars.iter().map(|b| Whisker::new(b, cut)).collect();
    if let Some(cut) = cut {
        frame.notes.insert(0, cut_note(&bars, &whiskers, cut));
    }
    let body = draw_frame(canvas, &frame)?;

    let bar_ends = drawable_values.iter().map(|&v| Cut::apply(cut, v).0);
    let whisker_ends = whiskers.iter().flatten().flat_map(|w| [w.low, w.high]);
    let (lo, hi) = drawable_bounds(bar_ends.chain(whisker_ends).chain([0.0])).unwrap_or((0.0, 1.0));
    let label_lines = if whiskers.iter().any(Option::is_some) { 2 } else { 1 };
    let y_range = bar_range_for_lines(lo, hi, label_lines);
    let slots = bars.len();
    let x_range = -0.5..(slots as f64 - 0.5);
    let has_details = bars.iter().any(|b| b.detail.is_some());
    let mut plot = ChartBuilder::on(&body)
        .margin_left(20)
        .margin_right(40)
        .margin_top(10)
        .x_label_area_size(slot_label_area(has_details))
        .y_label_area_size(120)
        .build_cartesian_2d(x_range, y_range.clone())?;
    let y_ticks = |v: &f64| tick_label(*v, &y_range);
    plot.configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(8)
        .y_label_formatter(&y_ticks)
        .label_style(text(TICK_SIZE))
        .axis_desc_style(text(AXIS_SIZE))
        .y_desc(y_desc)
        .x_desc(x_desc)
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(TRANSPARENT)
        .draw()?;
    if lo < 0.0 {
        plot.draw_series([PathElement::new(
            vec![(-0.5, 0.0), (slots as f64 - 0.5, 0.0)],
            BLACK.stroke_width(2),
        )])?;
    }

    let span = y_range.end - y_range.start;
    let value_above = text(VALUE_SIZE).pos(Pos::new(HPos::Center, VPos::Bottom));
    let value_below = text(VALUE_SIZE).pos(Pos::new(HPos::Center, VPos::Top));
    for (slot, (bar, whisker)) in bars.iter().zip(&whiskers).enumerate() {
        let x = slot as f64;
        let Some(value) = bar.value.filter(|v| drawable(*v)) else {
            let missing = if bar.value.is_none() { "failed" } else { "no value" };
            let style = value_above.color(&MUTED_COLOUR);
            plot.draw_series([EmptyElement::at((x, 0.0)) + Text::new(missing, (0, -6), style)])?;
            continue;
        };
        let (end, was_cut) = Cut::apply(cut, value);
        plot.draw_series([Rectangle::new(
            [(x - BAR_HALF_WIDTH, 0.0), (x + BAR_HALF_WIDTH, end)],
            bar.colour.filled(),
        )])?;
        if was_cut {
            let (left, right) = (x - BAR_HALF_WIDTH, x + BAR_HALF_WIDTH);
            let corners = break_corners(left, right, end, span);
            plot.draw_series([Polygon::new(corners, WHITE.filled())])?;
        }
        if let Some(whisker) = *whisker {
            draw_whisker(&mut plot, x, whisker)?;
        }

        let mut lines = vec![if was_cut {
            format!("{} (cut)", format_number(value))
        } else {
            format_number(value)
        }];
        if let Some(error) = bar.error.filter(|_| whisker.is_some()) {
            lines.push(format!("± {}", format_number(error)));
        }
        let line_step = VALUE_SIZE as i32 + 4;
        if end >= 0.0 {
            let top = whisker.map_or(end, |w| w.high.max(end));
            for (i, line) in lines.iter().rev().enumerate() {
                let offset = (0, -6 - line_step * i as i32);
                let label = Text::new(line.clone(), offset, value_above.clone());
                plot.draw_series([EmptyElement::at((x, top)) + label])?;
            }
        } else {
            let bottom = whisker.map_or(end, |w| w.low.min(end));
            for (i, line) in lines.iter().enumerate() {
                let offset = (0, 6 + line_step * i as i32);
                let label = Text::new(line.clone(), offset, value_below.clone());
                plot.draw_series([EmptyElement::at((x, bottom)) + label])?;
            }
        }
    }

    let labels: Vec<(&str, Option<&str>)> =
        bars.iter().map(|b| (b.name.as_str(), b.detail.as_deref())).collect();
    draw_slot_labels(canvas, &plot, &labels)
}

/// An error bar as drawn: its ends after the axis cut, and whether the cut clipped each.
#[derive(Debug, Clone, Copy)]
struct Whisker {
    low: f64,
    high: f64,
    low_clipped: bool,
    high_clipped: bool,
}

impl Whisker {
    /// Returns the error bar of `bar`, or None when it has no drawable error or its bar
    /// is cut.
    fn new(bar: &Bar, cut: Option<Cut>) -> Option<Whisker> {
        let value = bar.value.filter(|v| drawable(*v))?;
        let error = bar.error.filter(|e| drawable(*e) && *e >= 0.0)?;
        let (low, high) = (value - error, value + error);
        if Cut::apply(cut, value).1 || !drawable(low) || !drawable(high) {
            return None;
        }
        let (low, low_clipped) = Cut::apply(cut, low);
        let (high, high_clipped) = Cut::apply(cut, high);
        Some(Whisker { low, high, low_clipped, high_clipped })
    }

    fn clipped(&self) -> bool {
        self.low_clipped || self.high_clipped
    }
}

/// Draws `whisker` at slot `x`, with a cap at each end that the axis cut left alone.
fn draw_whisker(plot: &mut Plot, x: f64, whisker: Whisker) -> DrawResult<()> {
    let style = ShapeStyle::from(TEXT_COLOUR).stroke_width(2);
    let Whisker { low, high, low_clipped, high_clipped } = whisker;
    plot.draw_series([PathElement::new(vec![(x, low), (x, high)], style)])?;
    for (end, clipped) in [(low, low_clipped), (high, high_clipped)] {
        if !clipped {
            let cap = vec![(x - CAP_HALF_WIDTH, end), (x + CAP_HALF_WIDTH, end)];
            plot.draw_series([PathElement::new(cap, style)])?;
        }
    }
    Ok(())
}

/// Returns the note on the axis cut, which names the bars past it and the error bars it
/// clips.
fn cut_note(bars: &[Bar], whiskers: &[Option<Whisker>], cut: Cut) -> String {
    let cut_names: Vec<String> = bars
        .iter()
        .filter(|b| b.value.is_some_and(|v| drawable(v) && Cut::apply(Some(cut), v).1))
        .map(|b| b.name.clone())
        .collect();
    let limit = trimmed_number(cut.limit());
    let rule = match cut {
        Cut::Above(_) => format!("{limit}, {CUT_FACTOR} times the smallest mean RMSE"),
        Cut::Below(_) => format!("R² = {limit}"),
    };
    let mut note = format!(
        "Axis cut at {rule}: the broken {} of {} {} past it, and the printed value is the full \
         one.",
        if cut_names.len() == 1 { "bar" } else { "bars" },
        join_names(&cut_names),
        if cut_names.len() == 1 { "goes" } else { "go" },
    );
    let clipped: Vec<String> = bars
        .iter()
        .zip(whiskers)
        .filter(|(_, w)| w.is_some_and(|w| w.clipped()))
        .map(|(b, _)| b.name.clone())
        .collect();
    if !clipped.is_empty() {
        note.push_str(&format!(
            " The error {} of {} {} clipped at the cut, without a cap.",
            if clipped.len() == 1 { "bar" } else { "bars" },
            join_names(&clipped),
            if clipped.len() == 1 { "is" } else { "are" },
        ));
    }
    note
}

/// Returns the notes under the test-row leaderboard on failed models and models without
/// a finite mean. [`draw_bars`] puts the note on the axis cut before them.
fn notes(report: &Report, metric: Metric, means: &[Option<f64>]) -> Vec<String> {
    let mut notes = Vec::new();
    for model in &report.models {
        if let Some(reason) = &model.failure {
            notes.push(format!("{} has no bar: {}", model.name, shortened(reason)));
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

/// Returns `reason` cut to [`MAX_REASON_CHARS`] characters, with an ellipsis if it was
/// longer.
pub(super) fn shortened(reason: &str) -> String {
    let mut short: String = reason.chars().take(MAX_REASON_CHARS).collect();
    if short.len() < reason.len() {
        short.push('…');
    }
    short
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
