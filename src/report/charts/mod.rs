//! PNG charts of a report, drawn with plotters into `charts/` in the report folder.
//!
//! [`plan`] decides which charts a report gets and writes each one's caption. Both
//! `report.md` and [`write`] read the plan, so the Markdown links match the files written.
//! Text is drawn with the DejaVu Sans fonts bundled in `assets/fonts/`, so the charts look
//! the same whatever fonts the machine has.

mod cv;
mod cv_boxplot;
mod cv_leaderboard;
mod leaderboard;
mod learning_curves;
mod per_target;
mod predicted_vs_actual;

use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

use super::{format_number, Report};
use crate::error::{Error, Result};
use crate::metrics::Metric;

/// Folder of the charts inside the report folder.
pub const CHARTS_DIR: &str = "charts";

/// Width and height in pixels of every chart except the predicted-against-actual grid.
const CHART_SIZE: (u32, u32) = (1400, 800);

const FONT_REGULAR: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
const FONT_BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// Font family the bundled fonts are registered as. Plotters' own default text style
/// (legends, mesh labels left unstyled) requests this family too.
const FONT_FAMILY: &str = "sans-serif";

/// Text sizes in pixels.
const TITLE_SIZE: u32 = 34;
const SUBTITLE_SIZE: u32 = 21;
pub(super) const AXIS_SIZE: u32 = 24;
pub(super) const TICK_SIZE: u32 = 20;
pub(super) const VALUE_SIZE: u32 = 19;
const NOTE_SIZE: u32 = 19;

/// Left and right margin of the text above and below the plot, in pixels.
const SIDE_MARGIN: i32 = 40;

/// A bar or line is cut at this multiple of the best model's error, so that one model
/// far worse than the others does not squash them.
pub(super) const CUT_FACTOR: f64 = 10.0;

/// Largest magnitude drawn, and for log axes the inverse of the smallest. Plotters
/// computes ticks from a range's width, and on log axes from the ratio of its ends, and
/// loops without end when those overflow, so larger values are left out like NaN.
const MAX_MAGNITUDE: f64 = 1e150;

/// Reason a value is left out, for the notes under a chart.
pub(super) const NOT_DRAWABLE: &str = "not finite or beyond 1e150 in magnitude";

pub(super) type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;
/// A plot with linear x and y axes.
pub(super) type Plot<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
pub(super) type DrawResult<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

pub(super) const TEXT_COLOUR: RGBColor = RGBColor(30, 30, 30);
pub(super) const MUTED_COLOUR: RGBColor = RGBColor(110, 110, 110);
/// Bars of the models other than the highlighted best one.
pub(super) const OTHER_BAR_COLOUR: RGBColor = RGBColor(140, 160, 182);

/// Colours of the models, by their place in the leaderboard (the Okabe–Ito palette,
/// which stays distinguishable with the common colour-vision deficiencies).
const PALETTE: [RGBColor; 7] = [
    RGBColor(213, 94, 0),
    RGBColor(0, 114, 178),
    RGBColor(0, 158, 115),
    RGBColor(230, 159, 0),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

/// Colour of the model at `index` in the leaderboard. Colours repeat after seven models.
pub(super) fn model_colour(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    LeaderboardRmse,
    LeaderboardR2,
    PerTargetRmse,
    LearningCurves,
    PredictedVsActual,
    CvRmseBoxplot,
    CvLeaderboardRmse,
    CvLeaderboardR2,
}

/// A chart the report gets, decided before anything is drawn.
#[derive(Debug, Clone)]
pub struct PlannedChart {
    pub kind: ChartKind,
    pub file_name: &'static str,
    /// Alternative text of the image link in `report.md`.
    pub alt_text: &'static str,
    /// One sentence for `report.md`: what the chart shows and what it averages.
    pub caption: String,
    /// Width and height in pixels.
    pub size: (u32, u32),
}

/// Lists the charts of `report`, none when there are no targets.
///
/// The test-row charts need a scored model. Of them, the learning curves need a model
/// with a training history, and the predicted-against-actual grid needs best-model
/// predictions shaped like the test rows. The cross-validation charts need a
/// cross-validation with a model scored on at least one fold.
pub fn plan(report: &Report) -> Vec<PlannedChart> {
    if report.targets.is_empty() {
        return Vec::new();
    }
    let mut charts = test_row_charts(report);
    if let Some(cv) = report.cross_validation.as_ref().filter(|cv| cv::any_scored(cv)) {
        charts.extend([
            PlannedChart {
                kind: ChartKind::CvRmseBoxplot,
                file_name: "cv_rmse_boxplot.png",
                alt_text: "RMSE of each model on each cross-validation fold",
                caption: cv_boxplot::caption(report, cv),
                size: CHART_SIZE,
            },
            PlannedChart {
                kind: ChartKind::CvLeaderboardRmse,
                file_name: "cv_leaderboard_rmse.png",
                alt_text: "Cross-validated mean RMSE of each model",
                caption: cv_leaderboard::caption(report, cv, Metric::Rmse),
                size: CHART_SIZE,
            },
            PlannedChart {
                kind: ChartKind::CvLeaderboardR2,
                file_name: "cv_leaderboard_r2.png",
                alt_text: "Cross-validated mean R² of each model",
                caption: cv_leaderboard::caption(report, cv, Metric::R2),
                size: CHART_SIZE,
            },
        ]);
    }
    charts
}

/// Lists the charts of the scores on the test rows, none when no model was scored.
fn test_row_charts(report: &Report) -> Vec<PlannedChart> {
    if report.best().is_none() {
        return Vec::new();
    }
    let mut charts = vec![
        PlannedChart {
            kind: ChartKind::LeaderboardRmse,
            file_name: "leaderboard_rmse.png",
            alt_text: "Mean RMSE of each model",
            caption: leaderboard::caption(report, Metric::Rmse),
            size: CHART_SIZE,
        },
        PlannedChart {
            kind: ChartKind::LeaderboardR2,
            file_name: "leaderboard_r2.png",
            alt_text: "Mean R² of each model",
            caption: leaderboard::caption(report, Metric::R2),
            size: CHART_SIZE,
        },
        PlannedChart {
            kind: ChartKind::PerTargetRmse,
            file_name: "per_target_rmse.png",
            alt_text: "RMSE of each target and model",
            caption: per_target::caption(report),
            size: CHART_SIZE,
        },
    ];
    if report.models.iter().any(|m| !m.history.is_empty()) {
        charts.push(PlannedChart {
            kind: ChartKind::LearningCurves,
            file_name: "learning_curves.png",
            alt_text: "Training and validation loss per epoch",
            caption: learning_curves::caption(report),
            size: CHART_SIZE,
        });
    }
    if let Some(grid) = predicted_vs_actual::Grid::new(report) {
        charts.push(PlannedChart {
            kind: ChartKind::PredictedVsActual,
            file_name: "predicted_vs_actual.png",
            alt_text: "Predicted against actual values",
            caption: grid.caption(report),
            size: grid.size(),
        });
    }
    charts
}

/// Draws every chart of [`plan`] into `dir/charts/`. A report with no targets gets no
/// charts, and a warning says so. Warnings also name the test-row charts left out because
/// every model failed, and the cross-validation charts left out because every model failed
/// on every fold.
pub fn write(report: &Report, dir: &Path) -> Result<()> {
    if report.targets.is_empty() {
        log::warn!("no charts drawn: the report has no targets");
        return Ok(());
    }
    if report.best().is_none() {
        log::warn!("no test-row charts drawn: every model failed");
    }
    let charts = plan(report);
    let cv_planned = charts.iter().any(|c| c.kind == ChartKind::CvRmseBoxplot);
    if report.cross_validation.is_some() && !cv_planned {
        log::warn!("no cross-validation charts drawn: every model failed on every fold");
    }
    if charts.is_empty() {
        return Ok(());
    }
    let charts_dir = dir.join(CHARTS_DIR);
    register_fonts().map_err(|message| Error::Chart { path: charts_dir.clone(), message })?;
    std::fs::create_dir_all(&charts_dir)
        .map_err(|source| Error::Write { path: charts_dir.clone(), source })?;

    for chart in &charts {
        let path = charts_dir.join(chart.file_name);
        draw_png(&path, chart.size, |canvas| match chart.kind {
            ChartKind::LeaderboardRmse => leaderboard::draw(report, Metric::Rmse, canvas),
            ChartKind::LeaderboardR2 => leaderboard::draw(report, Metric::R2, canvas),
            ChartKind::PerTargetRmse => per_target::draw(report, canvas),
            ChartKind::LearningCurves => learning_curves::draw(report, canvas),
            ChartKind::PredictedVsActual => predicted_vs_actual::draw(report, canvas),
            ChartKind::CvRmseBoxplot => cv_boxplot::draw(report, canvas),
            ChartKind::CvLeaderboardRmse => cv_leaderboard::draw(report, Metric::Rmse, canvas),
            ChartKind::CvLeaderboardR2 => cv_leaderboard::draw(report, Metric::R2, canvas),
        })?;
        log::debug!("wrote {}", path.display());
    }
    Ok(())
}

/// Registers the bundled fonts with plotters once per process.
fn register_fonts() -> std::result::Result<(), String> {
    static REGISTERED: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            register_font(FONT_FAMILY, FontStyle::Normal, FONT_REGULAR)
                .map_err(|_| "the bundled font DejaVuSans.ttf is not a valid font".to_string())?;
            register_font(FONT_FAMILY, FontStyle::Bold, FONT_BOLD)
                .map_err(|_| "the bundled font DejaVuSans-Bold.ttf is not a valid font".to_string())
        })
        .clone()
}

/// Draws one PNG of `size` pixels at `path` on a white canvas, turning any drawing or
/// encoding failure into [`Error::Chart`].
fn draw_png(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&Area) -> DrawResult<()>,
) -> Result<()> {
    let chart_error = |message: String| Error::Chart { path: path.to_path_buf(), message };
    let canvas = BitMapBackend::new(path, size).into_drawing_area();
    canvas.fill(&WHITE).map_err(|e| chart_error(e.to_string()))?;
    draw(&canvas).map_err(|e| chart_error(e.to_string()))?;
    canvas.present().map_err(|e| chart_error(e.to_string()))
}

/// Regular text of `size` pixels.
pub(super) fn text(size: u32) -> TextStyle<'static> {
    TextStyle::from((FONT_FAMILY, size).into_font()).color(&TEXT_COLOUR)
}

fn bold(size: u32) -> TextStyle<'static> {
    TextStyle::from(FontDesc::new(FontFamily::SansSerif, f64::from(size), FontStyle::Bold))
        .color(&TEXT_COLOUR)
}

/// Sample of a series drawn beside its legend label.
#[derive(Debug, Clone, Copy)]
pub(super) enum Swatch {
    Bar,
    Line,
    DashedLine,
    Circle,
    Triangle,
    Cross,
}

#[derive(Debug, Clone)]
pub(super) struct LegendEntry {
    pub label: String,
    pub colour: RGBColor,
    pub swatch: Swatch,
}

/// The text around a plot: a title, subtitle and legend above it, notes below it.
#[derive(Debug, Default)]
pub(super) struct Frame {
    pub title: String,
    /// Lines under the title, each wrapped to the canvas width.
    pub subtitle: Vec<String>,
    pub legend: Vec<LegendEntry>,
    /// Facts a reader needs to read the plot right, such as values left out or an axis
    /// cut, printed under it.
    pub notes: Vec<String>,
}

/// Draws `frame` onto `canvas` and returns the area left for the plot between the
/// legend and the notes.
pub(super) fn draw_frame<'a>(canvas: &Area<'a>, frame: &Frame) -> DrawResult<Area<'a>> {
    let (width, height) = canvas.dim_in_pixel();
    let text_width = width.saturating_sub(2 * SIDE_MARGIN as u32);
    let centre = width as i32 / 2;
    let mut y = 16;

    let title_style = bold(TITLE_SIZE).pos(Pos::new(HPos::Center, VPos::Top));
    canvas.draw_text(&frame.title, &title_style, (centre, y))?;
    y += TITLE_SIZE as i32 + 14;

    let subtitle_style = text(SUBTITLE_SIZE).pos(Pos::new(HPos::Center, VPos::Top));
    for sentence in &frame.subtitle {
        for line in wrap(canvas, sentence, &subtitle_style, text_width)? {
            canvas.draw_text(&line, &subtitle_style, (centre, y))?;
            y += SUBTITLE_SIZE as i32 + 8;
        }
    }
    y = draw_legend(canvas, &frame.legend, y + 4, text_width)?;

    let note_style = text(NOTE_SIZE).color(&MUTED_COLOUR);
    let mut note_lines = Vec::new();
    for note in &frame.notes {
        note_lines.extend(wrap(canvas, note, &note_style, text_width)?);
    }
    let line_height = NOTE_SIZE as i32 + 8;
    let notes_height =
        if note_lines.is_empty() { 8 } else { line_height * note_lines.len() as i32 + 20 };
    let mut note_y = height as i32 - notes_height + 12;
    for line in &note_lines {
        canvas.draw_text(line, &note_style, (SIDE_MARGIN, note_y))?;
        note_y += line_height;
    }

    let (_, rest) = canvas.split_vertically(y + 6);
    let body_height = (height as i32 - y - 6 - notes_height).max(1);
    let (body, _) = rest.split_vertically(body_height);
    Ok(body)
}

/// Draws the legend entries in centred rows from `top` and returns the y below them.
fn draw_legend(
    canvas: &Area,
    entries: &[LegendEntry],
    top: i32,
    max_width: u32,
) -> DrawResult<i32> {
    const SWATCH_WIDTH: i32 = 30;
    const SWATCH_GAP: i32 = 8;
    const ENTRY_GAP: i32 = 30;
    const ROW_HEIGHT: i32 = 30;
    if entries.is_empty() {
        return Ok(top);
    }
    let style = text(TICK_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    let mut widths = Vec::with_capacity(entries.len());
    for entry in entries {
        let (w, _) = canvas.estimate_text_size(&entry.label, &style)?;
        widths.push(SWATCH_WIDTH + SWATCH_GAP + w as i32);
    }

    // Break the entries into rows that fit `max_width`.
    let mut rows: Vec<Range<usize>> = Vec::new();
    let mut start = 0;
    let mut row_width = 0;
    for (i, w) in widths.iter().enumerate() {
        if i > start && row_width + ENTRY_GAP + w > max_width as i32 {
            rows.push(start..i);
            start = i;
            row_width = 0;
        }
        row_width += if i > start { ENTRY_GAP + w } else { *w };
    }
    rows.push(start..entries.len());

    let (width, _) = canvas.dim_in_pixel();
    let mut y = top + ROW_HEIGHT / 2;
    for row in rows {
        let total: i32 =
            widths[row.clone()].iter().sum::<i32>() + ENTRY_GAP * (row.len() as i32 - 1);
        let mut x = (width as i32 - total) / 2;
        for i in row {
            let entry = &entries[i];
            // Lift the swatch to the middle of the capitals: plotters centres text on
            // its em box, which puts the capitals about a fifth of the size higher.
            draw_swatch(canvas, entry.swatch, entry.colour, x, y - TICK_SIZE as i32 / 5)?;
            canvas.draw_text(&entry.label, &style, (x + SWATCH_WIDTH + SWATCH_GAP, y))?;
            x += widths[i] + ENTRY_GAP;
        }
        y += ROW_HEIGHT;
    }
    Ok(y - ROW_HEIGHT / 2)
}

fn draw_swatch(canvas: &Area, swatch: Swatch, colour: RGBColor, x: i32, y: i32) -> DrawResult<()> {
    let line = ShapeStyle::from(colour).stroke_width(3);
    match swatch {
        Swatch::Bar => {
            canvas.draw(&Rectangle::new([(x + 3, y - 9), (x + 27, y + 9)], colour.filled()))?
        }
        Swatch::Line => canvas.draw(&PathElement::new(vec![(x, y), (x + 30, y)], line))?,
        Swatch::DashedLine => {
            for dash in 0..3 {
                let start = x + dash * 12;
                canvas.draw(&PathElement::new(vec![(start, y), (start + 7, y)], line))?;
            }
        }
        Swatch::Circle => canvas.draw(&Circle::new((x + 15, y), 6, colour.filled()))?,
        Swatch::Triangle => canvas.draw(&TriangleMarker::new((x + 15, y), 8, colour.filled()))?,
        Swatch::Cross => canvas.draw(&Cross::new((x + 15, y), 7, line))?,
    }
    Ok(())
}

/// Height in pixels of the area under a plot of slots for the axis description and the
/// names of [`draw_slot_labels`], with room for a detail line under each name if asked.
pub(super) fn slot_label_area(with_details: bool) -> u32 {
    if with_details {
        110
    } else {
        80
    }
}

/// Draws a name, and under it an optional detail in muted text, under each slot of
/// `plot`, whose x axis runs from −0.5 to the slot count − 0.5. Labels are drawn on the
/// canvas because such an x axis has no ticks, and each is shortened to its slot's width.
pub(super) fn draw_slot_labels(
    canvas: &Area,
    plot: &Plot,
    labels: &[(&str, Option<&str>)],
) -> DrawResult<()> {
    let (pixels, _) = plot.plotting_area().get_pixel_range();
    let slot_width = ((pixels.end - pixels.start) as f64 / labels.len().max(1) as f64) as u32;
    let max_width = slot_width.saturating_sub(8);
    let y_bottom = plot.y_range().start;
    let name_style = text(TICK_SIZE).pos(Pos::new(HPos::Center, VPos::Top));
    let detail_style = name_style.color(&MUTED_COLOUR);
    for (slot, (name, detail)) in labels.iter().enumerate() {
        let (x, y) = plot.backend_coord(&(slot as f64, y_bottom));
        let name = fit_label(canvas, name, &name_style, max_width)?;
        canvas.draw_text(&name, &name_style, (x, y + 10))?;
        if let Some(detail) = detail {
            let detail = fit_label(canvas, detail, &detail_style, max_width)?;
            canvas.draw_text(&detail, &detail_style, (x, y + 10 + TICK_SIZE as i32 + 8))?;
        }
    }
    Ok(())
}

/// Breaks `text` into lines no wider than `max_width` pixels in `style`, at spaces. A
/// single word wider than that gets a line of its own.
fn wrap(area: &Area, text: &str, style: &TextStyle, max_width: u32) -> DrawResult<Vec<String>> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if !line.is_empty() && area.estimate_text_size(&candidate, style)?.0 > max_width {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    Ok(lines)
}

/// Shortens `label` with a trailing ellipsis until it is at most `max_width` pixels wide.
pub(super) fn fit_label(
    area: &Area,
    label: &str,
    style: &TextStyle,
    max_width: u32,
) -> DrawResult<String> {
    if area.estimate_text_size(label, style)?.0 <= max_width {
        return Ok(label.to_string());
    }
    let mut chars: Vec<char> = label.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let shortened: String = chars.iter().collect::<String>() + "…";
        if area.estimate_text_size(&shortened, style)?.0 <= max_width {
            return Ok(shortened);
        }
    }
    Ok("…".into())
}

/// Returns the y range from `lo` to `hi` (which bracket zero) with room for the value
/// printed past the end of each bar.
pub(super) fn bar_range(lo: f64, hi: f64) -> Range<f64> {
    bar_range_for_lines(lo, hi, 1)
}

/// Returns the y range of [`bar_range`] with room for `lines` lines of text past the end
/// of each bar, such as a value and its standard deviation.
pub(super) fn bar_range_for_lines(lo: f64, hi: f64, lines: usize) -> Range<f64> {
    let span = hi - lo;
    if span <= 0.0 || !span.is_finite() {
        return 0.0..1.0;
    }
    let room = 0.12 + 0.1 * lines.saturating_sub(1) as f64;
    let below = if lo < 0.0 { room } else { 0.0 };
    let above = if hi > 0.0 { room } else { 0.05 };
    (lo - below * span)..(hi + above * span)
}

/// Corners of a white slanted gap across a bar from `left` to `right` just inside its
/// cut `end`, the usual mark of a broken bar. `span` is the height of the y range.
pub(super) fn break_corners(left: f64, right: f64, end: f64, span: f64) -> Vec<(f64, f64)> {
    let inward = if end >= 0.0 { -1.0 } else { 1.0 };
    let start = end + inward * 0.06 * span;
    let (rise, gap) = (0.02 * span, 0.012 * span);
    let overhang = 0.05 * (right - left);
    let (left, right) = (left - overhang, right + overhang);
    vec![(left, start), (right, start + rise), (right, start + rise + gap), (left, start + gap)]
}

/// An axis limit past which values are drawn at the limit and marked as cut.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Cut {
    /// Values above the limit are cut.
    Above(f64),
    /// Values below the limit are cut.
    Below(f64),
}

impl Cut {
    pub(super) fn limit(self) -> f64 {
        match self {
            Cut::Above(limit) | Cut::Below(limit) => limit,
        }
    }

    /// Returns the value to draw for `value` and whether it was cut.
    pub(super) fn apply(cut: Option<Cut>, value: f64) -> (f64, bool) {
        match cut {
            Some(Cut::Above(limit)) if value > limit => (limit, true),
            Some(Cut::Below(limit)) if value < limit => (limit, true),
            _ => (value, false),
        }
    }
}

/// Index ranges in `0..len` of the consecutive indices where `keep` holds, so a line
/// can skip the values it cannot draw.
pub(super) fn runs_where(len: usize, keep: impl Fn(usize) -> bool) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let mut start = None;
    for i in 0..len {
        match (keep(i), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                runs.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push(s..len);
    }
    runs
}

/// Returns true when a chart can draw `value` on a linear axis.
pub(super) fn drawable(value: f64) -> bool {
    value.is_finite() && value.abs() <= MAX_MAGNITUDE
}

/// Returns true when a chart can draw `value` on a log axis.
pub(super) fn drawable_on_log(value: f64) -> bool {
    drawable(value) && value >= 1.0 / MAX_MAGNITUDE
}

/// Returns the smallest and largest [`drawable`] value, or None when there is none.
pub(super) fn drawable_bounds(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values.into_iter().filter(|v| drawable(*v)).fold(None, |bounds, v| match bounds {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// Widens `[lo, hi]` by `fraction` of its width on each side. A range of zero width
/// around v becomes v ± |v|/10 (± 1 around zero), so plotters always gets a range it can
/// put ticks on.
pub(super) fn padded(lo: f64, hi: f64, fraction: f64) -> Range<f64> {
    let lo = lo.clamp(-MAX_MAGNITUDE, MAX_MAGNITUDE);
    let hi = hi.clamp(-MAX_MAGNITUDE, MAX_MAGNITUDE);
    let width = hi - lo;
    if width > 0.0 && width > f64::EPSILON * lo.abs().max(hi.abs()) * 16.0 {
        return (lo - fraction * width)..(hi + fraction * width);
    }
    let centre = (lo + hi) / 2.0;
    let half = if centre == 0.0 { 1.0 } else { centre.abs() / 10.0 };
    (centre - half)..(centre + half)
}

/// Widens a range of positive values for a log axis by a factor of 1.25 on each side (2
/// when all values are equal), then lowers the start to a power of ten. Plotters puts
/// log ticks only from the first power of ten in the range upwards, so this keeps the
/// bottom of the axis labelled.
pub(super) fn padded_log(lo: f64, hi: f64) -> Range<f64> {
    let lo = lo.clamp(1.0 / MAX_MAGNITUDE, MAX_MAGNITUDE);
    let hi = hi.clamp(1.0 / MAX_MAGNITUDE, MAX_MAGNITUDE);
    let factor = if hi > lo * (1.0 + 1e-9) { 1.25 } else { 2.0 };
    // Just under the power of ten, so that rounding in plotters cannot skip its tick.
    let start = 10f64.powf((lo / factor).log10().floor()) * (1.0 - 1e-9);
    start..(hi * factor)
}

/// Tick count to ask plotters for on a log axis over `range`. Up to four decades, this
/// makes plotters put a tick at every 1 to 9 times a power of ten, of which
/// [`log_tick_label`] labels 1, 2 and 5. Over more decades only powers of ten get ticks.
pub(super) fn log_tick_count(range: &Range<f64>) -> usize {
    // Plotters' own count of decades, from LogCoord::key_points in plotters 0.3.7.
    let decades = (range.end / range.start).log10().floor().max(1.0) as usize;
    if decades <= 4 {
        10 * decades
    } else {
        12
    }
}

/// Labels a log-axis tick at 1, 2 or 5 times a power of ten and leaves the others blank.
pub(super) fn log_tick_label(value: f64) -> String {
    let mantissa = value / 10f64.powf(value.log10().floor());
    let labelled = [1.0, 2.0, 5.0, 10.0].iter().any(|m| (mantissa - m).abs() < 1e-6 * m);
    if labelled {
        tick_label(value, &(0.0..value))
    } else {
        String::new()
    }
}

/// Formats an axis tick of an axis spanning `range` with [`trimmed_number`], and rounding
/// noise next to zero as 0.
pub(super) fn tick_label(value: f64, range: &Range<f64>) -> String {
    let width = (range.end - range.start).abs();
    if value.abs() <= width * 1e-9 {
        return "0".into();
    }
    trimmed_number(value)
}

/// Formats `value` with four significant digits and no trailing zeros: 2, 0.25, 1.5e-7.
pub(super) fn trimmed_number(value: f64) -> String {
    let text = format_number(value);
    let (mantissa, exponent) = match text.find('e') {
        Some(at) => text.split_at(at),
        None => (text.as_str(), ""),
    };
    let mantissa = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    format!("{mantissa}{exponent}")
}

/// "1 target", "3 targets".
pub(super) fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Joins names as "a", "a and b" or "a, b and c".
pub(super) fn join_names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwritable_png_is_chart_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("chart.png");
        match draw_png(&path, (1200, 700), |_| Ok(())) {
            Err(Error::Chart { path: failed, .. }) => assert_eq!(failed, path),
            other => panic!("expected a chart error, got {other:?}"),
        }
    }

    #[test]
    fn drawing_failure_is_chart_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chart.png");
        match draw_png(&path, (1200, 700), |_| Err("no room for the legend".into())) {
            Err(Error::Chart { message, .. }) => assert_eq!(message, "no room for the legend"),
            other => panic!("expected a chart error, got {other:?}"),
        }
    }

    #[test]
    fn bundled_fonts_register() {
        assert_eq!(register_fonts(), Ok(()));
    }

    #[test]
    fn padded_widens_zero_width_ranges() {
        assert_eq!(padded(2.0, 2.0, 0.05), 1.8..2.2);
        assert_eq!(padded(0.0, 0.0, 0.05), -1.0..1.0);
        let r = padded(0.0, 10.0, 0.1);
        assert_eq!(r, -1.0..11.0);
    }

    #[test]
    fn padded_stays_finite_for_huge_values() {
        let r = padded(-f64::MAX, f64::MAX, 0.05);
        assert!(r.start.is_finite());
        assert!(r.end.is_finite());
        assert!((r.end - r.start).is_finite());
    }

    #[test]
    fn padded_log_starts_at_power_of_ten() {
        let r = padded_log(0.5, 0.5);
        assert!((r.start - 0.1).abs() < 1e-9, "start {}", r.start);
        assert_eq!(r.end, 1.0);
        let r = padded_log(0.03, 2.0);
        assert!((r.start - 0.01).abs() < 1e-9, "start {}", r.start);
        let r = padded_log(0.0, 1.0);
        assert!(r.start > 0.0);
        let r = padded_log(1e-300, 1e300);
        assert!((r.end / r.start).is_finite());
    }

    #[test]
    fn log_ticks_label_one_two_five() {
        assert_eq!(log_tick_label(0.2), "0.2");
        assert_eq!(log_tick_label(5.0), "5");
        assert_eq!(log_tick_label(100.0), "100");
        assert_eq!(log_tick_label(0.3), "");
        assert_eq!(log_tick_count(&(0.1..1.0)), 10);
        assert_eq!(log_tick_count(&(0.01..5.0)), 20);
        assert_eq!(log_tick_count(&(1e-10..1.0)), 12);
    }

    #[test]
    fn tick_label_trims_zeros() {
        let range = 0.0..10.0;
        assert_eq!(tick_label(2.0, &range), "2");
        assert_eq!(tick_label(2.5, &range), "2.5");
        assert_eq!(tick_label(1e-17, &range), "0");
        assert_eq!(tick_label(1500.0, &(0.0..2000.0)), "1500");
        assert_eq!(tick_label(1e7, &(0.0..2e7)), "1e7");
        assert_eq!(tick_label(0.0062, &(0.0..0.01)), "0.0062");
    }

    #[test]
    fn bar_range_leaves_room_for_labels() {
        let r = bar_range(0.0, 10.0);
        assert_eq!(r.start, 0.0);
        assert!(r.end > 10.0);
        let r = bar_range(-1.0, 1.0);
        assert!(r.start < -1.0);
        assert!(r.end > 1.0);
        assert_eq!(bar_range(0.0, 0.0), 0.0..1.0);
    }

    #[test]
    fn runs_split_where_values_are_dropped() {
        let v = [1.0, f64::NAN, 2.0, 3.0, f64::INFINITY, 4.0];
        assert_eq!(runs_where(v.len(), |i| v[i].is_finite()), vec![0..1, 2..4, 5..6]);
        assert!(runs_where(1, |_| false).is_empty());
        assert!(runs_where(0, |_| true).is_empty());
    }

    #[test]
    fn names_join_with_and() {
        let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(join_names(&names[..1]), "a");
        assert_eq!(join_names(&names[..2]), "a and b");
        assert_eq!(join_names(&names), "a, b and c");
    }
}
