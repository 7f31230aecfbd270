//! The leaderboard printed to stdout.

use tabled::builder::Builder;
use tabled::settings::{object::Columns, Alignment, Modify, Style};

use super::{averaging_note, format_number, Report};
use crate::metrics::Metric;

/// Column headers of the leaderboard, shared by the terminal and Markdown tables.
pub const LEADERBOARD_HEADER: [&str; 11] = [
    "rank",
    "model",
    "RMSE mean",
    "RMSE median",
    "RMSE worst",
    "MAE mean",
    "R² mean",
    "R² median",
    "R² worst",
    "fit s",
    "predict s",
];

/// Returns one row of cells per model, the best marked with `*` after its rank.
pub fn leaderboard_rows(report: &Report) -> Vec<Vec<String>> {
    report
        .models
        .iter()
        .map(|model| {
            let rank = match model.rank {
                Some(1) => "1 *".to_string(),
                Some(rank) => rank.to_string(),
                None => "failed".to_string(),
            };
            let timing = format_number;
            let mut row = vec![rank, model.name.clone()];
            match (&model.failure, model.aggregate(Metric::Rmse), model.aggregate(Metric::R2)) {
                (None, Some(rmse), Some(r2)) => {
                    let mae = model.mean(Metric::Mae);
                    row.extend(
                        [rmse.mean, rmse.median, rmse.worst, mae, r2.mean, r2.median, r2.worst]
                            .map(format_number),
                    );
                }
                (failure, _, _) => {
                    row.push(failure.clone().unwrap_or_default());
                    row.extend(std::iter::repeat_n(String::new(), 6));
                }
            }
            row.push(timing(model.timings.fit_seconds));
            row.push(timing(model.timings.predict_seconds));
            row
        })
        .collect()
}

/// Renders the leaderboard and the sentence that states what it averages.
pub fn render(report: &Report) -> String {
    let mut builder = Builder::default();
    builder.push_record(LEADERBOARD_HEADER);
    for row in leaderboard_rows(report) {
        builder.push_record(row);
    }
    let mut table = builder.build();
    table.with(Style::rounded()).with(Modify::new(Columns::new(2..)).with(Alignment::right()));
    format!(
        "{}: {} training rows, {} test rows, {} predictors, {} target{}\n{table}\n* best by mean RMSE. {}\n",
        report.manifest.file.display(),
        report.split.train_ids.len(),
        report.split.test_ids.len(),
        report.manifest.columns.predictors,
        report.targets.len(),
        if report.targets.len() == 1 { "" } else { "s" },
        averaging_note(report)
    )
}
