//! `predicted_vs_actual.png`: predicted against actual values on the test rows, one
//! panel per target, for the best model and for the neural network when it is not the
//! best.

use plotters::prelude::*;

use super::{
    count, draw_frame, drawable, drawable_bounds, fit_label, join_names, model_colour, padded,
    text, tick_label, Area, DrawResult, Frame, LegendEntry, Swatch, AXIS_SIZE, NOT_DRAWABLE,
    TICK_SIZE,
};
use crate::report::{format_number, ModelReport, Report};

/// Name of the neural network, drawn beside the best model when it is not the best.
pub const NEURAL_NETWORK: &str = "dense-nn";

/// Maximum number of targets shown. With more, the ones the best model predicts worst
/// are shown.
const MAX_PANELS: usize = 4;

/// Panels per row of the grid.
const COLUMNS: usize = 2;

/// Models and targets of the chart, by their index in the report.
#[derive(Debug)]
pub(super) struct Grid {
    /// The best model first.
    models: Vec<usize>,
    /// Column order when every target is shown, else worst first.
    targets: Vec<usize>,
}

impl Grid {
    /// Picks the models and targets, or returns None when the best model has no
    /// predictions of the test rows' shape.
    pub(super) fn new(report: &Report) -> Option<Grid> {
        let has_predictions = |m: &ModelReport| {
            m.failure.is_none()
                && m.predictions.as_ref().is_some_and(|p| p.dim() == report.actual.dim())
        };
        let best = report.best().filter(|m| has_predictions(m))?;
        let n = report.targets.len();
        if n == 0 || report.actual.nrows() == 0 || report.actual.ncols() != n {
            return None;
        }
        let mut models = vec![0];
        let network = report
            .models
            .iter()
            .position(|m| m.name == NEURAL_NETWORK && m.rank != Some(1) && has_predictions(m));
        models.extend(network);

        let targets = if n <= MAX_PANELS {
            (0..n).collect()
        } else {
            let rmse = |t: usize| {
                let v = best.per_target.get(t).map_or(f64::NAN, |s| s.rmse);
                if v.is_nan() {
                    f64::NEG_INFINITY
                } else {
                    v
                }
            };
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&a, &b| rmse(b).total_cmp(&rmse(a)));
            order.truncate(MAX_PANELS);
            order
        };
        Some(Grid { models, targets })
    }

    fn rows(&self) -> usize {
        self.targets.len().div_ceil(COLUMNS)
    }

    /// Width and height in pixels: 1400 × 800 for one row of panels, 1400 × 1300 for two.
    pub(super) fn size(&self) -> (u32, u32) {
        if self.rows() <= 1 {
            (1400, 800)
        } else {
            (1400, 1300)
        }
    }

    fn names(&self, report: &Report) -> Vec<String> {
        self.models.iter().map(|&i| report.models[i].name.clone()).collect()
    }

    /// Returns the sentence that `report.md` puts under the chart.
    pub(super) fn caption(&self, report: &Report) -> String {
        let n = report.targets.len();
        let targets = if n <= MAX_PANELS {
            if n == 1 {
                "the target".to_string()
            } else {
                format!("each of the {n} targets")
            }
        } else {
            format!("the {MAX_PANELS} of the {n} targets with the largest RMSE of the best model")
        };
        let names: Vec<String> = self.names(report).iter().map(|n| format!("`{n}`")).collect();
        format!(
            "Predicted against actual values of {} on {targets}, one point per test row ({}), \
             with nothing averaged.",
            join_names(&names),
            count(report.actual.nrows(), "row")
        )
    }
}

pub(super) fn draw(report: &Report, canvas: &Area) -> DrawResult<()> {
    let Some(grid) = Grid::new(report) else {
        return Ok(());
    };
    let n = report.targets.len();
    let mut frame = Frame {
        title: "Predicted against actual values on the test rows".into(),
        ..Frame::default()
    };
    frame.subtitle.push(format!(
        "Each point is one of the {} of one model. The dashed line y = x is a perfect \
         prediction.",
        count(report.actual.nrows(), "test row")
    ));
    if n > MAX_PANELS {
        frame.subtitle.push(format!(
            "Shown: the {MAX_PANELS} of the {n} targets with the largest RMSE of the best \
             model, {}.",
            report.models[0].name
        ));
    }
    frame.legend = grid
        .models
        .iter()
        .enumerate()
        .map(|(k, &i)| LegendEntry {
            label: if k == 0 {
                format!("{} (best)", report.models[i].name)
            } else {
                report.models[i].name.clone()
            },
            colour: model_colour(i),
            swatch: if k == 0 { Swatch::Circle } else { Swatch::Triangle },
        })
        .collect();
    frame.notes = notes(report, &grid);
    let body = draw_frame(canvas, &frame)?;

    let columns = grid.targets.len().min(COLUMNS);
    let panels = body.split_evenly((grid.rows(), columns));
    for (&target, panel) in grid.targets.iter().zip(&panels) {
        draw_panel(report, &grid, target, panel)?;
    }
    Ok(())
}

/// Returns (actual, predicted) of each test row of `target` where both are drawable,
/// and the number of rows left out.
fn points(report: &Report, model: &ModelReport, target: usize) -> (Vec<(f64, f64)>, usize) {
    let Some(predictions) = &model.predictions else {
        return (Vec::new(), 0);
    };
    let pairs = report.actual.column(target).into_iter().zip(predictions.column(target));
    let all: Vec<(f64, f64)> = pairs.map(|(&a, &p)| (a, p)).collect();
    let finite: Vec<(f64, f64)> =
        all.iter().copied().filter(|(a, p)| drawable(*a) && drawable(*p)).collect();
    let left_out = all.len() - finite.len();
    (finite, left_out)
}

fn notes(report: &Report, grid: &Grid) -> Vec<String> {
    let mut left_out = Vec::new();
    for &i in &grid.models {
        let model = &report.models[i];
        let k: usize = grid.targets.iter().map(|&t| points(report, model, t).1).sum();
        if k > 0 {
            left_out.push(format!("{} of {}", count(k, "point"), model.name));
        }
    }
    if left_out.is_empty() {
        Vec::new()
    } else {
        vec![format!(
            "Left out because the actual or predicted value is {NOT_DRAWABLE}: {}.",
            join_names(&left_out)
        )]
    }
}

fn draw_panel(report: &Report, grid: &Grid, target: usize, panel: &Area) -> DrawResult<()> {
    let series: Vec<(usize, Vec<(f64, f64)>)> =
        grid.models.iter().map(|&i| (i, points(report, &report.models[i], target).0)).collect();
    let values = series.iter().flat_map(|(_, p)| p.iter().flat_map(|&(a, p)| [a, p]));
    let (lo, hi) = drawable_bounds(values).unwrap_or((0.0, 1.0));
    let range = padded(lo, hi, 0.05);

    let scores: Vec<String> = grid
        .models
        .iter()
        .map(|&i| {
            let model = &report.models[i];
            let rmse = model.per_target.get(target).map_or(f64::NAN, |s| s.rmse);
            format!("{} {}", model.name, format_number(rmse))
        })
        .collect();
    let title_style = text(AXIS_SIZE);
    let (width, _) = panel.dim_in_pixel();
    let title = format!("{}: RMSE {}", report.targets[target], scores.join(", "));
    let title = fit_label(panel, &title, &title_style, width.saturating_sub(40))?;

    let mut chart = ChartBuilder::on(panel)
        .caption(title, title_style)
        .margin_left(20)
        .margin_right(40)
        .margin_top(10)
        .x_label_area_size(70)
        .y_label_area_size(110)
        .build_cartesian_2d(range.clone(), range.clone())?;
    let ticks = |v: &f64| tick_label(*v, &range);
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&ticks)
        .y_label_formatter(&ticks)
        .label_style(text(TICK_SIZE))
        .axis_desc_style(text(AXIS_SIZE))
        .x_desc("actual")
        .y_desc("predicted")
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(TRANSPARENT)
        .draw()?;
    chart.draw_series(DashedLineSeries::new(
        [(range.start, range.start), (range.end, range.end)],
        10,
        6,
        BLACK.mix(0.6).stroke_width(2),
    ))?;

    for (k, (i, points)) in series.iter().enumerate() {
        let colour = model_colour(*i);
        if k == 0 {
            chart.draw_series(
                points.iter().map(|&p| Circle::new(p, 5, colour.mix(0.75).filled())),
            )?;
        } else {
            chart.draw_series(
                points.iter().map(|&p| TriangleMarker::new(p, 7, colour.mix(0.75).filled())),
            )?;
        }
    }
    Ok(())
}
