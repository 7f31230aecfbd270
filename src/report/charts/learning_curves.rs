//! `learning_curves.png`: training and validation loss per epoch, on a log scale, of
//! every model that recorded a training history. Only the neural network does.

use plotters::prelude::*;

use super::{
    count, draw_frame, drawable_bounds, drawable_on_log, join_names, log_tick_count,
    log_tick_label, model_colour, padded, padded_log, runs_where, text, Area, DrawResult, Frame,
    LegendEntry, Swatch, AXIS_SIZE, MUTED_COLOUR, TICK_SIZE,
};
use crate::models::TrainingHistory;
use crate::report::{ModelReport, Report};

/// Ensembles of up to this many members get a pair of lines per member. Larger ones get
/// the median over the members with a band from their minimum to their maximum.
const MAX_MEMBER_LINES: usize = 6;

/// Colours of the training and validation loss when the members are summarized.
const TRAINING_COLOUR: usize = 1;
const VALIDATION_COLOUR: usize = 0;

/// Returns the sentence that `report.md` puts under the chart.
pub(super) fn caption(report: &Report) -> String {
    let models = with_history(report);
    let names: Vec<String> = models.iter().map(|(_, m)| format!("`{}`", m.name)).collect();
    let largest = models.iter().map(|(_, m)| m.history.len()).max().unwrap_or(0);
    let members = if largest <= MAX_MEMBER_LINES {
        "one pair of lines per ensemble member"
    } else {
        "the median over the ensemble members with a band from their minimum to their maximum"
    };
    format!(
        "Training loss (averaged over the batches of each epoch) and validation loss per epoch \
         of {}, {members}, on a log scale.",
        join_names(&names)
    )
}

fn with_history(report: &Report) -> Vec<(usize, &ModelReport)> {
    report.models.iter().enumerate().filter(|(_, m)| !m.history.is_empty()).collect()
}

/// Returns true when early stopping kept the weights of an epoch before the last one.
fn stopped_early(history: &TrainingHistory) -> bool {
    history.best_epoch >= 1 && history.best_epoch < history.loss.len()
}

pub(super) fn draw(report: &Report, canvas: &Area) -> DrawResult<()> {
    let models = with_history(report);
    let largest = models.iter().map(|(_, m)| m.history.len()).max().unwrap_or(0);
    let summarized = largest > MAX_MEMBER_LINES;

    let mut frame = Frame {
        title: match models.as_slice() {
            [(_, model)] => format!("Learning curves of {}", model.name),
            _ => "Learning curves".into(),
        },
        ..Frame::default()
    };
    frame.subtitle.push(
        "Solid: training loss, averaged over the batches of each epoch. Dashed: validation \
         loss after each epoch."
            .into(),
    );
    if summarized {
        frame.subtitle.push(
            "Lines: the median over the ensemble members. Bands: their minimum to maximum.".into(),
        );
    }
    if models.iter().any(|(_, m)| m.history.iter().any(stopped_early)) {
        frame.subtitle.push(
            "Dots: the epoch whose weights early stopping kept, on the validation curve.".into(),
        );
    }
    frame.legend = legend(&models, summarized);
    frame.notes = notes(&models);
    let body = draw_frame(canvas, &frame)?;

    let panels = body.split_evenly((1, models.len()));
    for ((_, model), panel) in models.iter().zip(&panels) {
        let title = if models.len() > 1 { Some(model.name.as_str()) } else { None };
        draw_panel(model, title, summarized, panel)?;
    }
    Ok(())
}

/// Legend entries: a colour per member, labelled with its seed when one model is drawn.
fn legend(models: &[(usize, &ModelReport)], summarized: bool) -> Vec<LegendEntry> {
    let entry = |label: &str, colour, swatch| LegendEntry { label: label.into(), colour, swatch };
    if summarized {
        return vec![
            entry("training loss", model_colour(TRAINING_COLOUR), Swatch::Line),
            entry("validation loss", model_colour(VALIDATION_COLOUR), Swatch::DashedLine),
        ];
    }
    let largest = models.iter().map(|(_, m)| m.history.len()).max().unwrap_or(0);
    let mut entries: Vec<LegendEntry> = (0..largest)
        .map(|k| {
            let label = match models {
                [(_, model)] => format!("member {} (seed {})", k + 1, model.history[k].seed),
                _ => format!("member {}", k + 1),
            };
            entry(&label, model_colour(k), Swatch::Bar)
        })
        .collect();
    entries.push(entry("training", MUTED_COLOUR, Swatch::Line));
    entries.push(entry("validation", MUTED_COLOUR, Swatch::DashedLine));
    entries
}

fn notes(models: &[(usize, &ModelReport)]) -> Vec<String> {
    let mut notes = Vec::new();
    for (_, model) in models {
        let left_out: usize = model
            .history
            .iter()
            .flat_map(|h| h.loss.iter().chain(&h.val_loss))
            .filter(|v| !drawable_on_log(**v))
            .count();
        if left_out > 0 {
            notes.push(format!(
                "Left out of {}: {} that are not positive numbers between 1e-150 and 1e150, \
                 which the log scale shows.",
                model.name,
                count(left_out, "loss value")
            ));
        }
        let without_validation = model.history.iter().filter(|h| h.val_loss.is_empty()).count();
        if without_validation > 0 {
            let who = if without_validation == model.history.len() {
                format!("{} was trained without validation rows", model.name)
            } else {
                format!(
                    "{} of {} had no validation rows",
                    count(without_validation, "member"),
                    model.name
                )
            };
            notes.push(format!("{who}, so only the training loss is drawn."));
        }
        // The network fits standardized targets unless its `scale` setting is false, and
        // its history records the loss it minimized.
        if model.settings.get("scale").is_some_and(|v| v == "true") {
            notes.push(format!(
                "Losses of {} are on standardized targets (unit variance on the training rows).",
                model.name
            ));
        }
    }
    notes
}

fn draw_panel(
    model: &ModelReport,
    title: Option<&str>,
    summarized: bool,
    panel: &Area,
) -> DrawResult<()> {
    let histories = &model.history;
    let epochs = histories.iter().map(|h| h.loss.len().max(h.val_loss.len())).max().unwrap_or(0);
    let losses = histories
        .iter()
        .flat_map(|h| h.loss.iter().chain(&h.val_loss))
        .copied()
        .filter(|v| drawable_on_log(*v));
    let (lo, hi) = drawable_bounds(losses).unwrap_or((1.0, 1.0));
    let y_range = padded_log(lo, hi);
    let x_range = padded(1.0, epochs.max(1) as f64, 0.02);

    let mut builder = ChartBuilder::on(panel);
    builder
        .margin_left(20)
        .margin_right(40)
        .margin_top(10)
        .x_label_area_size(80)
        .y_label_area_size(120);
    if let Some(title) = title {
        builder.caption(title, text(AXIS_SIZE));
    }
    let mut chart = builder.build_cartesian_2d(x_range, y_range.clone().log_scale())?;
    let y_ticks = |v: &f64| log_tick_label(*v);
    let x_ticks = |v: &f64| if v.fract() == 0.0 { format!("{v:.0}") } else { String::new() };
    chart
        .configure_mesh()
        .x_labels(10)
        .x_label_formatter(&x_ticks)
        .y_labels(log_tick_count(&y_range))
        .y_label_formatter(&y_ticks)
        .label_style(text(TICK_SIZE))
        .axis_desc_style(text(AXIS_SIZE))
        .y_desc("loss: mean squared error (log scale)")
        .x_desc("epoch")
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(TRANSPARENT)
        .draw()?;

    if summarized {
        let training: Vec<&[f64]> = histories.iter().map(|h| h.loss.as_slice()).collect();
        let validation: Vec<&[f64]> = histories.iter().map(|h| h.val_loss.as_slice()).collect();
        draw_summary(&mut chart, &training, model_colour(TRAINING_COLOUR), false)?;
        draw_summary(&mut chart, &validation, model_colour(VALIDATION_COLOUR), true)?;
    } else {
        for (k, history) in histories.iter().enumerate() {
            let colour = model_colour(k);
            draw_curve(&mut chart, &history.loss, colour, false)?;
            draw_curve(&mut chart, &history.val_loss, colour, true)?;
        }
    }

    for (k, history) in histories.iter().enumerate() {
        if !stopped_early(history) {
            continue;
        }
        let at = history.best_epoch - 1;
        let kept_loss = [history.val_loss.get(at), history.loss.get(at)]
            .into_iter()
            .flatten()
            .copied()
            .find(|v| drawable_on_log(*v));
        if let Some(loss) = kept_loss {
            let colour = if summarized { model_colour(VALIDATION_COLOUR) } else { model_colour(k) };
            let epoch = history.best_epoch as f64;
            chart.draw_series([Circle::new((epoch, loss), 7, colour.filled())])?;
            chart.draw_series([Circle::new((epoch, loss), 7, BLACK.stroke_width(1))])?;
        }
    }
    Ok(())
}

type LogChart<'a, 'b> = ChartContext<
    'a,
    BitMapBackend<'b>,
    Cartesian2d<
        plotters::coord::types::RangedCoordf64,
        plotters::coord::combinators::LogCoord<f64>,
    >,
>;

/// Draws the finite positive stretches of `losses` (epoch 1 first) as lines.
fn draw_curve(
    chart: &mut LogChart,
    losses: &[f64],
    colour: RGBColor,
    dashed: bool,
) -> DrawResult<()> {
    for run in runs_where(losses.len(), |e| drawable_on_log(losses[e])) {
        let points: Vec<(f64, f64)> = run.map(|e| ((e + 1) as f64, losses[e])).collect();
        draw_line(chart, points, colour, dashed)?;
    }
    Ok(())
}

fn draw_line(
    chart: &mut LogChart,
    points: Vec<(f64, f64)>,
    colour: RGBColor,
    dashed: bool,
) -> DrawResult<()> {
    let style = colour.stroke_width(2);
    if points.len() == 1 {
        chart.draw_series([Circle::new(points[0], 3, colour.filled())])?;
    } else if dashed {
        chart.draw_series(DashedLineSeries::new(points, 10, 6, style))?;
    } else {
        chart.draw_series(LineSeries::new(points, style))?;
    }
    Ok(())
}

/// Draws the median over `members` at each epoch as a line, and their minimum to maximum
/// as a band. Each epoch uses the members whose loss there is finite and positive.
fn draw_summary(
    chart: &mut LogChart,
    members: &[&[f64]],
    colour: RGBColor,
    dashed: bool,
) -> DrawResult<()> {
    let epochs = members.iter().map(|m| m.len()).max().unwrap_or(0);
    let summaries: Vec<Option<(f64, f64, f64)>> = (0..epochs)
        .map(|e| {
            let mut values: Vec<f64> = members
                .iter()
                .filter_map(|m| m.get(e).copied())
                .filter(|v| drawable_on_log(*v))
                .collect();
            values.sort_by(f64::total_cmp);
            let n = values.len();
            if n == 0 {
                return None;
            }
            let median =
                if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 };
            Some((values[0], median, values[n - 1]))
        })
        .collect();
    for run in runs_where(epochs, |e| summaries[e].is_some()) {
        let band: Vec<(f64, f64)> = run
            .clone()
            .filter_map(|e| summaries[e].map(|s| ((e + 1) as f64, s.2)))
            .chain(run.clone().rev().filter_map(|e| summaries[e].map(|s| ((e + 1) as f64, s.0))))
            .collect();
        chart.draw_series([Polygon::new(band, colour.mix(0.18).filled())])?;
        let line: Vec<(f64, f64)> =
            run.filter_map(|e| summaries[e].map(|s| ((e + 1) as f64, s.1))).collect();
        draw_line(chart, line, colour, dashed)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn early_stop_needs_an_earlier_epoch() {
        let mut h =
            TrainingHistory { seed: 0, loss: vec![1.0; 10], val_loss: vec![], best_epoch: 10 };
        assert!(!stopped_early(&h));
        h.best_epoch = 4;
        assert!(stopped_early(&h));
        h.best_epoch = 0;
        assert!(!stopped_early(&h));
    }
}
