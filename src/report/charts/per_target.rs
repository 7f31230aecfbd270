//! `per_target_rmse.png`: the RMSE of every scored model on every target. Up to
//! [`MAX_GROUPED_TARGETS`] targets get grouped bars. More get one line per model over the
//! targets in column order, which for spectra is the wavelength axis.

use std::ops::Range;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontTransform;

use super::{
    bar_range, break_corners, count, draw_frame, drawable, drawable_bounds, fit_label, join_names,
    model_colour, padded, runs_where, text, tick_label, trimmed_number, Area, Cut, DrawResult,
    Frame, LegendEntry, Swatch, AXIS_SIZE, CUT_FACTOR, NOT_DRAWABLE, TICK_SIZE, VALUE_SIZE,
};
use crate::report::{format_number, Report};

/// Maximum number of targets drawn as grouped bars. More are drawn as lines.
const MAX_GROUPED_TARGETS: usize = 20;

/// Width of a target's group of bars, in slots (one slot per target).
const GROUP_WIDTH: f64 = 0.8;

/// Target names written under the x axis of the line chart.
const LINE_CHART_TICKS: usize = 8;

/// Maximum width of a vertical target name under grouped bars, in pixels. Longer names
/// are shortened.
const MAX_VERTICAL_LABEL: u32 = 220;

/// One scored model's RMSE of each target, NaN where the report has none.
struct Series {
    name: String,
    colour: RGBColor,
    rmse: Vec<f64>,
}

/// Returns the sentence that `report.md` puts under the chart.
pub(super) fn caption(report: &Report) -> String {
    let n = report.targets.len();
    let rows = report.split.test_ids.len();
    let layout = if n <= MAX_GROUPED_TARGETS {
        "as a group of bars per target"
    } else {
        "as one line per model with the targets in column order"
    };
    format!(
        "RMSE of each model on each of the {} on the {rows} test rows, {layout}, with nothing \
         averaged across targets.",
        count(n, "target")
    )
}

pub(super) fn draw(report: &Report, canvas: &Area) -> DrawResult<()> {
    let n = report.targets.len();
    let series: Vec<Series> = report
        .models
        .iter()
        .enumerate()
        .filter(|(_, m)| m.failure.is_none())
        .map(|(i, m)| Series {
            name: m.name.clone(),
            colour: model_colour(i),
            rmse: (0..n).map(|t| m.per_target.get(t).map_or(f64::NAN, |s| s.rmse)).collect(),
        })
        .collect();
    let cut = cut_for(&series);
    let grouped = n <= MAX_GROUPED_TARGETS;

    let mut frame = Frame {
        title: "RMSE of each target on the test rows (lower is better)".into(),
        ..Frame::default()
    };
    frame.subtitle.push(if grouped {
        format!("One bar per model and target, on the {} test rows.", report.split.test_ids.len())
    } else {
        format!(
            "One line per model through its RMSE on each of the {n} targets, in column order, on \
             the {} test rows.",
            report.split.test_ids.len()
        )
    });
    frame.legend = series
        .iter()
        .map(|s| LegendEntry {
            label: s.name.clone(),
            colour: s.colour,
            swatch: if grouped { Swatch::Bar } else { Swatch::Line },
        })
        .collect();
    frame.notes = notes(report, &series, cut, grouped);
    let body = draw_frame(canvas, &frame)?;

    if grouped {
        draw_grouped(report, &series, cut, canvas, &body)
    } else {
        draw_lines(report, &series, cut, &body)
    }
}

/// Cuts the axis at [`CUT_FACTOR`] times the best model's largest RMSE when some value
/// goes past that. The first series is the best model.
fn cut_for(series: &[Series]) -> Option<Cut> {
    let (_, best_max) = drawable_bounds(series.first()?.rmse.iter().copied())?;
    let limit = CUT_FACTOR * best_max;
    let past = series.iter().flat_map(|s| &s.rmse).any(|&v| drawable(v) && v > limit);
    (best_max > 0.0 && past).then_some(Cut::Above(limit))
}

fn notes(report: &Report, series: &[Series], cut: Option<Cut>, grouped: bool) -> Vec<String> {
    let mut notes = Vec::new();
    let unit = if grouped { "bar" } else { "point" };
    if let Some(cut) = cut {
        let best = series.first().map_or("", |s| s.name.as_str());
        let past: Vec<String> = series
            .iter()
            .filter_map(|s| {
                let k = s.rmse.iter().filter(|&&v| drawable(v) && v > cut.limit()).count();
                (k > 0).then(|| format!("{} of {}", count(k, unit), s.name))
            })
            .collect();
        let drawn = if grouped { "as broken bars ending at the cut" } else { "at the cut" };
        notes.push(format!(
            "Axis cut at {}, {CUT_FACTOR} times the largest RMSE of the best model, {best}. \
             Values past it are drawn {drawn}: {}.",
            trimmed_number(cut.limit()),
            join_names(&past)
        ));
    }
    let non_finite: Vec<String> = series
        .iter()
        .filter_map(|s| {
            let k = s.rmse.iter().filter(|v| !drawable(**v)).count();
            (k > 0).then(|| format!("{} of {}", count(k, unit), s.name))
        })
        .collect();
    if !non_finite.is_empty() {
        notes.push(format!(
            "Left out because the RMSE is {NOT_DRAWABLE}: {}.",
            join_names(&non_finite)
        ));
    }
    let failed: Vec<String> =
        report.models.iter().filter(|m| m.failure.is_some()).map(|m| m.name.clone()).collect();
    if !failed.is_empty() {
        notes.push(format!("Left out because they failed: {}.", join_names(&failed)));
    }
    notes
}

fn draw_grouped(
    report: &Report,
    series: &[Series],
    cut: Option<Cut>,
    canvas: &Area,
    body: &Area,
) -> DrawResult<()> {
    const Y_LABEL_AREA: u32 = 120;
    let n = report.targets.len();
    let bar_ends = series.iter().flat_map(|s| s.rmse.iter().map(|&v| Cut::apply(cut, v).0));
    let (lo, hi) = drawable_bounds(bar_ends.chain([0.0])).unwrap_or((0.0, 1.0));
    let y_range = bar_range(lo, hi);

    // Names go under their group when the widest fits, else vertically.
    let (body_width, _) = body.dim_in_pixel();
    let slot_width = body_width.saturating_sub(Y_LABEL_AREA + 60) / n as u32;
    let name_style = text(TICK_SIZE);
    let mut widest = 0;
    for name in &report.targets {
        widest = widest.max(canvas.estimate_text_size(name, &name_style)?.0);
    }
    let vertical = widest + 8 > slot_width;
    let label_area = if vertical { widest.min(MAX_VERTICAL_LABEL) + 60 } else { 80 };

    let mut chart = ChartBuilder::on(body)
        .margin_left(20)
        .margin_right(40)
        .margin_top(10)
        .x_label_area_size(label_area)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(-0.5..(n as f64 - 0.5), y_range.clone())?;
    let y_ticks = |v: &f64| tick_label(*v, &y_range);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(8)
        .y_label_formatter(&y_ticks)
        .label_style(text(TICK_SIZE))
        .axis_desc_style(text(AXIS_SIZE))
        .y_desc("RMSE (target units)")
        .x_desc("target")
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(TRANSPARENT)
        .draw()?;

    let bar_width = GROUP_WIDTH / series.len() as f64;
    let (pixels, _) = chart.plotting_area().get_pixel_range();
    let bar_pixels = (pixels.end - pixels.start) as f64 / n as f64 * bar_width;
    let value_style = text(VALUE_SIZE).pos(Pos::new(HPos::Center, VPos::Bottom));
    let mut widest_value = 0;
    for v in series.iter().flat_map(|s| &s.rmse) {
        widest_value =
            widest_value.max(canvas.estimate_text_size(&format_number(*v), &value_style)?.0);
    }
    let print_values = f64::from(widest_value) + 6.0 <= bar_pixels;

    let span = y_range.end - y_range.start;
    for (j, s) in series.iter().enumerate() {
        for (t, &rmse) in s.rmse.iter().enumerate() {
            if !drawable(rmse) {
                continue;
            }
            let left = t as f64 - GROUP_WIDTH / 2.0 + j as f64 * bar_width;
            let right = left + bar_width;
            let (end, was_cut) = Cut::apply(cut, rmse);
            let mut bar = Rectangle::new([(left, 0.0), (right, end)], s.colour.filled());
            bar.set_margin(0, 0, 1, 1);
            chart.draw_series([bar])?;
            if was_cut {
                let corners = break_corners(left, right, end, span);
                chart.draw_series([Polygon::new(corners, WHITE.filled())])?;
            }
            if print_values {
                let label = format_number(rmse);
                let x = (left + right) / 2.0;
                chart.draw_series([
                    EmptyElement::at((x, end)) + Text::new(label, (0, -5), value_style.clone())
                ])?;
            }
        }
    }

    for (t, name) in report.targets.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(t as f64, y_range.start));
        if vertical {
            let style = name_style
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Right, VPos::Center));
            let name = fit_label(canvas, name, &name_style, MAX_VERTICAL_LABEL)?;
            canvas.draw_text(&name, &style, (x, y + 10))?;
        } else {
            let style = name_style.pos(Pos::new(HPos::Center, VPos::Top));
            canvas.draw_text(name, &style, (x, y + 10))?;
        }
    }
    Ok(())
}

fn draw_lines(report: &Report, series: &[Series], cut: Option<Cut>, body: &Area) -> DrawResult<()> {
    let n = report.targets.len();
    let bar_ends = series.iter().flat_map(|s| s.rmse.iter().map(|&v| Cut::apply(cut, v).0));
    let (_, hi) = drawable_bounds(bar_ends.chain([0.0])).unwrap_or((0.0, 1.0));
    let y_range: Range<f64> = if hi > 0.0 { 0.0..hi * 1.05 } else { 0.0..1.0 };
    let x_range = padded(0.0, (n - 1) as f64, 0.01);

    let mut chart = ChartBuilder::on(body)
        .margin_left(20)
        .margin_right(40)
        .margin_top(10)
        .x_label_area_size(80)
        .y_label_area_size(120)
        .build_cartesian_2d(x_range, y_range.clone())?;
    let y_ticks = |v: &f64| tick_label(*v, &y_range);
    let x_ticks = |v: &f64| target_at(report, *v);
    chart
        .configure_mesh()
        .x_labels(LINE_CHART_TICKS)
        .x_label_formatter(&x_ticks)
        .y_labels(8)
        .y_label_formatter(&y_ticks)
        .label_style(text(TICK_SIZE))
        .axis_desc_style(text(AXIS_SIZE))
        .y_desc("RMSE (target units)")
        .x_desc("target, in column order")
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(TRANSPARENT)
        .draw()?;

    for s in series {
        let style = s.colour.stroke_width(2);
        for run in runs_where(n, |t| drawable(s.rmse[t])) {
            let points: Vec<(f64, f64)> =
                run.map(|t| (t as f64, Cut::apply(cut, s.rmse[t]).0)).collect();
            if points.len() == 1 {
                chart.draw_series([Circle::new(points[0], 3, s.colour.filled())])?;
            } else {
                chart.draw_series(LineSeries::new(points, style))?;
            }
        }
    }
    if let Some(cut) = cut {
        let limit = cut.limit();
        chart.draw_series(DashedLineSeries::new(
            [(0.0, limit), ((n - 1) as f64, limit)],
            8,
            6,
            BLACK.stroke_width(1),
        ))?;
    }
    Ok(())
}

/// Returns the name of the target at x = `index` on the line chart, or "" between
/// targets.
fn target_at(report: &Report, index: f64) -> String {
    let rounded = index.round();
    if (index - rounded).abs() > 1e-6 || rounded < 0.0 {
        return String::new();
    }
    report.targets.get(rounded as usize).cloned().unwrap_or_default()
}
