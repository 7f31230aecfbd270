//! `cv_rmse_boxplot.png`: one box per model of its RMSE on each cross-validation fold,
//! each fold's value the mean across targets, in cross-validation order, coloured by
//! the model's standing against the best.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::cv::{self, Standing};
use super::{
    break_corners, draw_frame, draw_slot_labels, drawable, join_names, padded, slot_label_area,
    text, tick_label, trimmed_number, Area, Cut, DrawResult, Frame, LegendEntry, Plot, Swatch,
    AXIS_SIZE, MUTED_COLOUR, NOT_DRAWABLE, TEXT_COLOUR, TICK_SIZE, VALUE_SIZE,
};
use crate::metrics::Metric;
use crate::report::cross_validation::CrossValidatedModel;
use crate::report::{format_number, CrossValidation, Report};

/// Half the width of a box, in slots (one slot per model).
const BOX_HALF_WIDTH: f64 = 0.3;

/// Half the width of the cap at the end of a whisker, in slots.
const CAP_HALF_WIDTH: f64 = 0.12;

/// Whiskers reach the most extreme fold within this many interquartile ranges of the
/// box, Tukey's rule. Folds beyond are drawn as points.
const WHISKER_IQRS: f64 = 1.5;

/// Radius of the point of a fold beyond the whiskers, in pixels.
const OUTLIER_RADIUS: i32 = 5;

/// Minimum height of a drawn box in pixels, so that the colour of a box whose quartiles
/// (nearly) coincide still shows. Such a box is centred on its median.
const MIN_BOX_PIXELS: f64 = 16.0;

/// Height of the stub drawn for a box wholly past the axis cut, as a share of the y range.
const STUB_HEIGHT: f64 = 0.12;

/// Folds above this multiple of the smallest mean RMSE are cut. It is lower than the
/// leaderboards' [`super::CUT_FACTOR`] because boxes are read against the spread of the
/// folds, not against zero. Uncut, the mean predictor at about four times the best RMSE
/// squashed the other boxes into the bottom fifth of the plot on both shipped data sets.
const BOX_CUT_FACTOR: f64 = 2.0;

/// Gap between the highest fold kept and the cut, as a share of the kept folds' range.
const CUT_MARGIN: f64 = 0.1;

/// Smallest width of the y range, relative to the largest magnitude on it, so that tick
/// labels of four significant digits stay distinct. It is also the smallest gap between
/// the highest fold kept and the cut.
const MIN_RELATIVE_SPAN: f64 = 0.02;

/// Returns the sentence that `report.md` puts under the chart.
pub(super) fn caption(report: &Report, cv: &CrossValidation) -> String {
    format!(
        "Box plot of each model's RMSE on the {} ({}), where each fold's RMSE is the mean \
         over the {}, with the best model and those not significantly worse highlighted.",
        cv::folds(cv),
        cv::design(cv),
        cv::targets(report)
    )
}

/// The five numbers of a box plot, with the mean and the points beyond the whiskers.
#[derive(Debug, Clone, PartialEq)]
struct BoxStats {
    q1: f64,
    median: f64,
    q3: f64,
    low_whisker: f64,
    high_whisker: f64,
    /// Values beyond the whiskers, in ascending order.
    outliers: Vec<f64>,
    mean: f64,
}

impl BoxStats {
    /// Summarizes the [`drawable`] values among `values`, or returns None when there is
    /// none.
    fn new(values: &[f64]) -> Option<BoxStats> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| drawable(*v)).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let q1 = quantile(&sorted, 0.25);
        let median = quantile(&sorted, 0.5);
        let q3 = quantile(&sorted, 0.75);
        let reach = WHISKER_IQRS * (q3 - q1);
        let inside = |v: &&f64| **v >= q1 - reach && **v <= q3 + reach;
        // The whiskers never end inside the box, even when no value lies between a
        // quartile and its fence.
        let low_whisker = sorted.iter().find(inside).map_or(q1, |v| v.min(q1));
        let high_whisker = sorted.iter().rev().find(inside).map_or(q3, |v| v.max(q3));
        let outliers = sorted.iter().copied().filter(|v| !inside(&v)).collect();
        let mean = sorted.iter().sum::<f64>() / sorted.len() as f64;
        Some(BoxStats { q1, median, q3, low_whisker, high_whisker, outliers, mean })
    }

    fn min(&self) -> f64 {
        self.outliers.first().map_or(self.low_whisker, |v| v.min(self.low_whisker))
    }

    fn max(&self) -> f64 {
        self.outliers.last().map_or(self.high_whisker, |v| v.max(self.high_whisker))
    }

    /// Returns every value drawn: the five numbers, the mean and the outliers.
    fn values(&self) -> impl Iterator<Item = f64> + '_ {
        [self.low_whisker, self.q1, self.median, self.q3, self.high_whisker, self.mean]
            .into_iter()
            .chain(self.outliers.iter().copied())
    }
}

/// Returns the `q` quantile of the ascending, non-empty `sorted`, interpolating linearly
/// between the two values nearest to position q · (n − 1).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let position = q * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = position.ceil() as usize;
    let fraction = position - below as f64;
    sorted[below] + fraction * (sorted[above] - sorted[below])
}

/// The axis cut of a box plot: the value above which folds are cut, and the cut itself,
/// where the plot ends.
#[derive(Debug, Clone, Copy, PartialEq)]
struct BoxCut {
    threshold: f64,
    cut: Cut,
}

/// Returns the axis cut, or None when every fold fits under the threshold.
///
/// Folds are cut above [`BOX_CUT_FACTOR`] times the smallest positive mean, but never
/// within the whiskers of a model in `shown_in_full` (the best model and those not
/// significantly worse). The cut is drawn just above the highest fold that is not cut, so
/// the other boxes fill the plot.
fn cut_for(stats: &[Option<BoxStats>], shown_in_full: &[bool]) -> Option<BoxCut> {
    let all = || stats.iter().flatten();
    let smallest_mean = all().map(|s| s.mean).filter(|m| *m > 0.0).fold(f64::INFINITY, f64::min);
    if !smallest_mean.is_finite() {
        return None;
    }
    let whiskers = stats
        .iter()
        .zip(shown_in_full)
        .filter_map(|(s, full)| s.as_ref().filter(|_| *full))
        .map(|s| s.high_whisker);
    let threshold = whiskers.fold(BOX_CUT_FACTOR * smallest_mean, f64::max);
    let values = || all().flat_map(BoxStats::values);
    if !values().any(|v| v > threshold) {
        return None;
    }
    let lowest = values().fold(f64::INFINITY, f64::min);
    let highest_kept = values().filter(|v| *v <= threshold).fold(f64::NEG_INFINITY, f64::max);
    // With every fold above the threshold, the plot ends at the threshold itself.
    let limit = if highest_kept.is_finite() {
        let margin = (CUT_MARGIN * (highest_kept - lowest)).max(MIN_RELATIVE_SPAN * highest_kept);
        (highest_kept + margin).min(threshold)
    } else {
        threshold
    };
    Some(BoxCut { threshold, cut: Cut::Above(limit) })
}

/// Draws the box plot of the folds' RMSE. A report without a cross-validation gets a
/// blank canvas.
pub(super) fn draw(report: &Report, canvas: &Area) -> DrawResult<()> {
    let Some(cv) = &report.cross_validation else {
        return Ok(());
    };
    let n_folds = cv.fold_labels.len();
    let standings = cv::standings(cv);
    let stats: Vec<Option<BoxStats>> =
        cv.models.iter().map(|m| BoxStats::new(cv::fold_values(m, Metric::Rmse))).collect();
    let shown_in_full: Vec<bool> =
        standings.iter().map(|s| matches!(s, Standing::Best | Standing::NotWorse { .. })).collect();
    let box_cut = cut_for(&stats, &shown_in_full);
    let cut = box_cut.map(|c| c.cut);

    let frame = frame(report, cv, &standings, &stats, box_cut);
    let body = draw_frame(canvas, &frame)?;

    let y_range = y_range(&stats, cut);
    let slots = cv.models.len();
    let mut plot = ChartBuilder::on(&body)
        .margin_left(20)
        .margin_right(40)
        .margin_top(10)
        .x_label_area_size(slot_label_area(true))
        .y_label_area_size(120)
        .build_cartesian_2d(-0.5..(slots as f64 - 0.5), y_range.clone())?;
    // Ticks above the cut would read as the scale of the cut folds, so they get no label.
    let y_ticks = |v: &f64| {
        if cut.is_some_and(|c| *v > c.limit()) {
            String::new()
        } else {
            tick_label(*v, &y_range)
        }
    };
    plot.configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(8)
        .y_label_formatter(&y_ticks)
        .label_style(text(TICK_SIZE))
        .axis_desc_style(text(AXIS_SIZE))
        .y_desc("RMSE of the fold, mean over targets (target units)")
        .x_desc("model, in cross-validation order")
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(TRANSPARENT)
        .draw()?;

    let middle = (y_range.start + y_range.end) / 2.0;
    for (slot, (model, (stat, standing))) in
        cv.models.iter().zip(stats.iter().zip(&standings)).enumerate()
    {
        let x = slot as f64;
        match stat {
            Some(stat) => draw_box(&mut plot, x, stat, standing.colour(), cut)?,
            None => {
                let missing = if model.failures.is_empty() { "no value" } else { "failed" };
                let style =
                    text(VALUE_SIZE).pos(Pos::new(HPos::Center, VPos::Center)).color(&MUTED_COLOUR);
                plot.draw_series([Text::new(missing, (x, middle), style)])?;
            }
        }
    }

    let details: Vec<String> =
        cv.models.iter().zip(&standings).map(|(m, s)| s.detail(m, n_folds)).collect();
    let labels: Vec<(&str, Option<&str>)> =
        cv.models.iter().zip(&details).map(|(m, d)| (m.name.as_str(), Some(d.as_str()))).collect();
    draw_slot_labels(canvas, &plot, &labels)
}

/// Builds the title, subtitle, legend and notes around the plot.
fn frame(
    report: &Report,
    cv: &CrossValidation,
    standings: &[Standing],
    stats: &[Option<BoxStats>],
    box_cut: Option<BoxCut>,
) -> Frame {
    let mut legend = cv::legend(cv, standings, Swatch::Bar);
    let marker =
        |label: &str, swatch| LegendEntry { label: label.into(), colour: TEXT_COLOUR, swatch };
    legend.push(marker("median", Swatch::Line));
    legend.push(marker("mean", Swatch::Cross));
    if stats.iter().flatten().any(|s| !s.outliers.is_empty()) {
        legend.push(marker("fold beyond the whiskers", Swatch::Circle));
    }

    let mut frame = Frame {
        title: "RMSE on each cross-validation fold (lower is better)".into(),
        subtitle: vec![
            format!(
                "Each box holds one model's RMSE on the {} of {}, each fold's RMSE averaged \
                 over the {}.",
                cv::folds(cv),
                cv::design(cv),
                cv::targets(report)
            ),
            format!(
                "Boxes span the quartiles and whiskers reach the furthest fold within \
                 {WHISKER_IQRS} IQR of the box."
            ),
        ],
        legend,
        notes: Vec::new(),
    };
    frame.notes.extend(cv::test_note(standings));
    frame.notes.extend(cv::untested_note(cv, standings));
    if let Some(box_cut) = box_cut {
        frame.notes.push(cut_note(cv, stats, box_cut));
    }
    frame.notes.extend(cv::failure_notes(cv, |model| {
        let scored = cv::fold_values(model, Metric::Rmse).iter().filter(|v| drawable(**v)).count();
        if scored == 0 {
            "so it has no box".to_string()
        } else {
            format!("so its box shows the other {}", scored)
        }
    }));
    let left_out: Vec<String> =
        cv.models.iter().filter(|m| undrawable_folds(m) > 0).map(|m| m.name.clone()).collect();
    if !left_out.is_empty() {
        frame.notes.push(format!(
            "Left out of the boxes of {}: folds whose RMSE is {NOT_DRAWABLE}.",
            join_names(&left_out)
        ));
    }
    frame.notes.push(
        "Quartiles interpolate linearly between the sorted fold values, at rank q · (n − 1) \
         counted from 0."
            .into(),
    );
    frame
}

/// Returns the number of folds of `model` that were scored but have an RMSE that cannot
/// be drawn.
fn undrawable_folds(model: &CrossValidatedModel) -> usize {
    let values = cv::fold_values(model, Metric::Rmse);
    let undrawable = values.iter().filter(|v| !drawable(**v)).count();
    undrawable.saturating_sub(model.failures.len())
}

/// Returns the note on the axis cut, which names the models with folds past it.
fn cut_note(cv: &CrossValidation, stats: &[Option<BoxStats>], box_cut: BoxCut) -> String {
    let cut_names: Vec<String> = cv
        .models
        .iter()
        .zip(stats)
        .filter(|(_, s)| s.as_ref().is_some_and(|s| s.max() > box_cut.threshold))
        .map(|(m, _)| m.name.clone())
        .collect();
    format!(
        "Axis cut at {}, because {} {} folds above {}, which is {BOX_CUT_FACTOR} times the \
         smallest mean RMSE or the top whisker of a highlighted model, whichever is higher. \
         Those folds are drawn at the cut as a broken box or a triangle, labelled with the \
         full median, or with the maximum when the median fits.",
        trimmed_number(box_cut.cut.limit()),
        join_names(&cut_names),
        if cut_names.len() == 1 { "has" } else { "have" },
        trimmed_number(box_cut.threshold),
    )
}

/// Returns the y range of every drawn value, starting no lower than zero, with room at
/// the top for the value printed at the cut.
fn y_range(stats: &[Option<BoxStats>], cut: Option<Cut>) -> std::ops::Range<f64> {
    let drawn = stats
        .iter()
        .flatten()
        .flat_map(|s| [s.min(), s.max(), s.mean])
        .map(|v| Cut::apply(cut, v).0);
    let (lo, hi) =
        drawn.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        return 0.0..1.0;
    }
    let mut range = padded(lo, hi, 0.06);
    let min_width = MIN_RELATIVE_SPAN * range.start.abs().max(range.end.abs());
    let width = range.end - range.start;
    if width < min_width {
        let widen = (min_width - width) / 2.0;
        range = (range.start - widen)..(range.end + widen);
    }
    if lo >= 0.0 {
        range.start = range.start.max(0.0);
    }
    if cut.is_some() {
        range.end += 0.08 * (range.end - range.start);
    }
    range
}

/// Draws the box, whiskers, median, mean and outliers of one model at slot `x`, cut at
/// `cut`.
fn draw_box(
    plot: &mut Plot,
    x: f64,
    stat: &BoxStats,
    colour: RGBColor,
    cut: Option<Cut>,
) -> DrawResult<()> {
    let y_range = plot.y_range();
    let span = y_range.end - y_range.start;
    let line = ShapeStyle::from(TEXT_COLOUR).stroke_width(2);
    let clip = |v: f64| Cut::apply(cut, v);
    let (left, right) = (x - BOX_HALF_WIDTH, x + BOX_HALF_WIDTH);

    // Whiskers, each with a cap unless the cut clipped it.
    for (from, to) in [(stat.q1, stat.low_whisker), (stat.q3, stat.high_whisker)] {
        let ((from, _), (to, to_cut)) = (clip(from), clip(to));
        plot.draw_series([PathElement::new(vec![(x, from), (x, to)], line)])?;
        if !to_cut {
            let cap = vec![(x - CAP_HALF_WIDTH, to), (x + CAP_HALF_WIDTH, to)];
            plot.draw_series([PathElement::new(cap, line)])?;
        }
    }

    // The box. One wholly past the cut becomes a broken stub below it.
    let (q3, q3_cut) = clip(stat.q3);
    let (q1, q1_cut) = clip(stat.q1);
    let (bottom, top) = if q1_cut {
        (q3 - STUB_HEIGHT * span, q3)
    } else if q3_cut {
        (q1, q3)
    } else {
        let (_, pixels) = plot.plotting_area().get_pixel_range();
        let half = 0.5 * MIN_BOX_PIXELS * span / f64::from((pixels.end - pixels.start).max(1));
        (q1.min(stat.median - half), q3.max(stat.median + half))
    };
    let corners = [(left, bottom), (right, top)];
    plot.draw_series([Rectangle::new(corners, colour.filled())])?;
    plot.draw_series([Rectangle::new(corners, line)])?;
    if q3_cut {
        plot.draw_series([Polygon::new(break_corners(left, right, q3, span), WHITE.filled())])?;
    }

    let (median, median_cut) = clip(stat.median);
    if !median_cut {
        let style = ShapeStyle::from(TEXT_COLOUR).stroke_width(4);
        plot.draw_series([PathElement::new(vec![(left, median), (right, median)], style)])?;
    }
    let (mean, mean_cut) = clip(stat.mean);
    if !mean_cut {
        plot.draw_series([Cross::new((x, mean), 7, line)])?;
    }

    let mut any_outlier_cut = false;
    for &value in &stat.outliers {
        let (y, was_cut) = clip(value);
        if was_cut {
            any_outlier_cut = true;
            continue;
        }
        plot.draw_series([Circle::new((x, y), OUTLIER_RADIUS, colour.filled())])?;
        plot.draw_series([Circle::new((x, y), OUTLIER_RADIUS, line.stroke_width(1))])?;
    }

    if let Some(cut) = cut.filter(|_| clip(stat.max()).1) {
        let limit = cut.limit();
        // A box wholly past the cut is broken already. A triangle marks folds past it
        // that only a whisker or point would have shown.
        if !q1_cut && (any_outlier_cut || clip(stat.high_whisker).1) {
            plot.draw_series([TriangleMarker::new((x, limit), 8, TEXT_COLOUR.filled())])?;
        }
        let value = if median_cut {
            format!("median {} (cut)", format_number(stat.median))
        } else {
            format!("max {} (cut)", format_number(stat.max()))
        };
        let style = text(VALUE_SIZE).pos(Pos::new(HPos::Center, VPos::Bottom));
        plot.draw_series([EmptyElement::at((x, limit)) + Text::new(value, (0, -12), style)])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_interpolates_linearly() {
        let sorted = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&sorted, 0.25), 1.75);
        assert_eq!(quantile(&sorted, 0.5), 2.5);
        assert_eq!(quantile(&sorted, 0.75), 3.25);
        assert_eq!(quantile(&[7.0], 0.25), 7.0);
    }

    #[test]
    fn box_stats_split_off_outliers() {
        let stats = BoxStats::new(&[1.0, 2.0, 3.0, 4.0, 5.0, 30.0]).unwrap();
        assert_eq!(stats.q1, 2.25);
        assert_eq!(stats.median, 3.5);
        assert_eq!(stats.q3, 4.75);
        assert_eq!(stats.low_whisker, 1.0);
        assert_eq!(stats.high_whisker, 5.0);
        assert_eq!(stats.outliers, vec![30.0]);
        assert_eq!(stats.mean, 7.5);
    }

    #[test]
    fn box_stats_skip_failed_folds() {
        let stats = BoxStats::new(&[f64::NAN, 2.0, f64::INFINITY, 4.0]).unwrap();
        assert_eq!(stats.median, 3.0);
        assert_eq!(stats.mean, 3.0);
        assert!(stats.outliers.is_empty());
        assert_eq!(BoxStats::new(&[f64::NAN, f64::NAN]), None);
        assert_eq!(BoxStats::new(&[]), None);
    }

    #[test]
    fn box_stats_of_equal_folds() {
        let stats = BoxStats::new(&[0.5; 6]).unwrap();
        assert_eq!((stats.q1, stats.median, stats.q3), (0.5, 0.5, 0.5));
        assert_eq!((stats.low_whisker, stats.high_whisker), (0.5, 0.5));
        assert!(stats.outliers.is_empty());
    }

    #[test]
    fn whiskers_stay_outside_box() {
        for values in [vec![1.0, 2.0], vec![0.0, 10.0, 10.0, 10.0, 10.0], vec![3.0]] {
            let stats = BoxStats::new(&values).unwrap();
            assert!(stats.low_whisker <= stats.q1, "{values:?}: low whisker inside the box");
            assert!(stats.high_whisker >= stats.q3, "{values:?}: high whisker inside the box");
        }
    }

    #[test]
    fn far_worse_model_is_cut() {
        // The best model's mean is 1, so folds above 2 are cut, and the plot ends a tenth
        // of the kept range (1 to 1.5) above the highest kept fold.
        let stats =
            [BoxStats::new(&[1.0, 1.0]), BoxStats::new(&[1.5, 1.5]), BoxStats::new(&[4.0, 5.0])];
        let box_cut = cut_for(&stats, &[true, false, false]).unwrap();
        assert_eq!(box_cut.threshold, 2.0);
        assert_eq!(box_cut.cut, Cut::Above(1.55));
    }

    #[test]
    fn close_models_are_not_cut() {
        let stats = [BoxStats::new(&[1.0, 1.2]), BoxStats::new(&[1.5, 1.9])];
        assert_eq!(cut_for(&stats, &[true, false]), None);
        let zero = [BoxStats::new(&[0.0, 0.0]), BoxStats::new(&[0.0, 0.0])];
        assert_eq!(cut_for(&zero, &[true, true]), None);
        assert_eq!(cut_for(&[None], &[false]), None);
    }

    #[test]
    fn highlighted_whiskers_are_never_cut() {
        // The second model is not significantly worse, so its whisker at 3 raises the
        // threshold above twice the smallest mean.
        let stats = [BoxStats::new(&[1.0, 1.0]), BoxStats::new(&[1.0, 3.0]), BoxStats::new(&[9.0])];
        let box_cut = cut_for(&stats, &[true, true, false]).unwrap();
        assert_eq!(box_cut.threshold, 3.0);
        let unhighlighted = cut_for(&stats, &[true, false, false]).unwrap();
        assert_eq!(unhighlighted.threshold, 2.0);
    }

    #[test]
    fn outlier_of_best_model_can_be_cut() {
        // The mean of the first model is 2.8, so its fold at 10 is past the threshold.
        let values = [1.0, 1.0, 1.0, 1.0, 10.0];
        let stats = [BoxStats::new(&values), BoxStats::new(&[2.9, 3.0])];
        assert_eq!(stats[0].as_ref().unwrap().outliers, vec![10.0]);
        let box_cut = cut_for(&stats, &[true, false]).unwrap();
        assert_eq!(box_cut.threshold, 5.6);
    }
}
