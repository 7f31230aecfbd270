//! Loading a CSV into predictor and target matrices with every column's role known.

mod roles;
mod table;

use std::path::{Path, PathBuf};

use ndarray::Array2;

pub use roles::{glob_match, ColumnRoles, RoleSpec};
pub use table::{read_table, RawTable};

use crate::error::{Error, Result};

/// The handling of rows that have an empty or NaN cell in a predictor or target column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MissingPolicy {
    /// Fail the load, naming the first few such cells.
    #[default]
    Reject,
    /// Drop those rows and record them in the report.
    DropRows,
}

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub delimiter: u8,
    pub missing: MissingPolicy,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions { delimiter: b',', missing: MissingPolicy::Reject }
    }
}

/// The side of the split a row belongs to, as written in the split column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitLabel {
    Train,
    Test,
}

/// A row left out because of an empty or NaN cell.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DroppedRow {
    pub line: u64,
    pub id: String,
    pub columns: Vec<String>,
}

/// A loaded data set: one row per sample, predictors and targets as f64 matrices.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub path: PathBuf,
    pub sha256: String,
    /// Columns in the file, whatever their role.
    pub n_columns: usize,
    pub id_column: Option<String>,
    /// Row ids: the id column's values, or `line<N>` with the file's line number.
    pub ids: Vec<String>,
    pub split_column: Option<String>,
    /// One label per kept row when the file has a split column.
    pub split_labels: Option<Vec<SplitLabel>>,
    pub predictor_names: Vec<String>,
    pub target_names: Vec<String>,
    pub ignored_names: Vec<String>,
    /// Columns left out of the default predictors because they hold no numbers.
    pub text_names: Vec<String>,
    pub x: Array2<f64>,
    pub y: Array2<f64>,
    pub dropped: Vec<DroppedRow>,
}

impl Dataset {
    pub fn n_rows(&self) -> usize {
        self.x.nrows()
    }

    /// Returns the file name without its extension, which names the report folder.
    pub fn stem(&self) -> String {
        self.path.file_stem().map_or_else(|| "data".into(), |s| s.to_string_lossy().into_owned())
    }
}

/// The value of a numeric cell, or why it has none.
enum Cell {
    Number(f64),
    Missing,
    Infinite,
    TooLarge,
    Invalid,
}

/// Largest magnitude accepted in a numeric cell. Sums of squares of larger values
/// overflow f64 (about 1.8e308), which would turn scaling and RMSE into infinity.
pub const MAX_MAGNITUDE: f64 = 1e150;

fn parse_cell(text: &str) -> Cell {
    if text.is_empty() || text.eq_ignore_ascii_case("na") || text.eq_ignore_ascii_case("n/a") {
        return Cell::Missing;
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_nan() => Cell::Missing,
        Ok(v) if v.is_infinite() => Cell::Infinite,
        Ok(v) if v.abs() > MAX_MAGNITUDE => Cell::TooLarge,
        Ok(v) => Cell::Number(v),
        Err(_) => Cell::Invalid,
    }
}

/// Number of missing cells named in the error before the rest are counted.
const MISSING_SHOWN: usize = 5;

/// Loads `path` with the column roles in `spec`.
///
/// # Errors
/// Everything [`read_table`] rejects, plus unknown or conflicting column roles, a
/// non-numeric or infinite value in a predictor or target column, an empty or NaN cell
/// (unless `options.missing` drops such rows), a split value other than train or test,
/// duplicate ids, and no rows left.
pub fn load(path: &Path, spec: &RoleSpec, options: &LoadOptions) -> Result<Dataset> {
    let table = read_table(path, options.delimiter)?;
    let is_text = |column: usize| {
        table
            .rows
            .iter()
            .all(|row| matches!(parse_cell(&row.cells[column]), Cell::Invalid | Cell::Missing))
    };
    let roles = roles::resolve(&table.header, spec, is_text)
        .map_err(|message| Error::Roles { path: path.into(), message })?;

    let numeric: Vec<usize> = roles.predictors.iter().chain(&roles.targets).copied().collect();
    let mut kept_rows = Vec::with_capacity(table.rows.len());
    let mut missing_cells: Vec<(u64, usize)> = Vec::new();
    let mut dropped = Vec::new();
    for (r, row) in table.rows.iter().enumerate() {
        let mut row_missing = Vec::new();
        for &c in &numeric {
            match parse_cell(&row.cells[c]) {
                Cell::Number(_) => {}
                Cell::Missing => row_missing.push(c),
                Cell::Infinite => {
                    return Err(cell_error(
                        path,
                        row.line,
                        &table.header[c],
                        &row.cells[c],
                        "value is infinite; replace it with a finite number or drop the row",
                    ));
                }
                Cell::TooLarge => {
                    return Err(cell_error(
                        path,
                        row.line,
                        &table.header[c],
                        &row.cells[c],
                        "value is larger than 1e150 in magnitude, where squared errors overflow; \
                         rescale the column",
                    ));
                }
                Cell::Invalid => {
                    return Err(cell_error(path, row.line, &table.header[c], &row.cells[c], "value is not a number; fix the cell, or pass --ignore for a column that is not numeric"));
                }
            }
        }
        if row_missing.is_empty() {
            kept_rows.push(r);
            continue;
        }
        match options.missing {
            MissingPolicy::Reject => {
                missing_cells.extend(row_missing.iter().map(|&c| (row.line, c)))
            }
            MissingPolicy::DropRows => dropped.push(DroppedRow {
                line: row.line,
                id: row_id(&table, &roles, r),
                columns: row_missing.iter().map(|&c| table.header[c].clone()).collect(),
            }),
        }
    }
    if !missing_cells.is_empty() {
        return Err(missing_error(path, &table.header, &missing_cells));
    }
    if kept_rows.is_empty() {
        return Err(Error::Csv {
            path: path.into(),
            message: "every row has an empty or NaN cell, so no rows are left".into(),
        });
    }

    let ids: Vec<String> = kept_rows.iter().map(|&r| row_id(&table, &roles, r)).collect();
    check_unique_ids(path, &table, &kept_rows, &ids)?;
    let split_labels = roles
        .split
        .map(|c| {
            kept_rows
                .iter()
                .map(|&r| parse_split_label(path, &table, r, c))
                .collect::<Result<Vec<_>>>()
        })
        .transpose()?;

    let matrix = |columns: &[usize]| {
        Array2::from_shape_fn((kept_rows.len(), columns.len()), |(i, j)| {
            match parse_cell(&table.rows[kept_rows[i]].cells[columns[j]]) {
                Cell::Number(v) => v,
                _ => unreachable!("every kept cell was checked to be a finite number"),
            }
        })
    };
    let names = |columns: &[usize]| columns.iter().map(|&c| table.header[c].clone()).collect();
    Ok(Dataset {
        path: path.into(),
        sha256: table.sha256.clone(),
        n_columns: table.header.len(),
        id_column: roles.id.map(|c| table.header[c].clone()),
        ids,
        split_column: roles.split.map(|c| table.header[c].clone()),
        split_labels,
        predictor_names: names(&roles.predictors),
        target_names: names(&roles.targets),
        ignored_names: names(&roles.ignored),
        text_names: names(&roles.text),
        x: matrix(&roles.predictors),
        y: matrix(&roles.targets),
        dropped,
    })
}

fn row_id(table: &RawTable, roles: &ColumnRoles, row: usize) -> String {
    match roles.id {
        Some(c) => table.rows[row].cells[c].clone(),
        None => format!("line{}", table.rows[row].line),
    }
}

fn cell_error(path: &Path, line: u64, column: &str, value: &str, hint: &str) -> Error {
    Error::Cell {
        path: path.into(),
        line,
        column: column.into(),
        message: format!("{value:?}: {hint}"),
    }
}

fn missing_error(path: &Path, header: &[String], cells: &[(u64, usize)]) -> Error {
    let shown: Vec<String> = cells
        .iter()
        .take(MISSING_SHOWN)
        .map(|(line, c)| format!("line {line} column {:?}", header[*c]))
        .collect();
    let more = cells.len().saturating_sub(MISSING_SHOWN);
    let more = if more > 0 { format!(" and {more} more") } else { String::new() };
    Error::Csv {
        path: path.into(),
        message: format!(
            "{} empty or NaN cells in predictor or target columns ({}{more}); fill them, or pass \
             --drop-missing to drop those rows",
            cells.len(),
            shown.join(", ")
        ),
    }
}

fn check_unique_ids(path: &Path, table: &RawTable, kept: &[usize], ids: &[String]) -> Result<()> {
    let mut seen = std::collections::HashMap::new();
    for (k, id) in ids.iter().enumerate() {
        let line = table.rows[kept[k]].line;
        if let Some(first) = seen.insert(id.as_str(), line) {
            return Err(Error::Csv {
                path: path.into(),
                message: format!(
                    "duplicate id {id:?} at lines {first} and {line}; ids must be unique"
                ),
            });
        }
    }
    Ok(())
}

fn parse_split_label(
    path: &Path,
    table: &RawTable,
    row: usize,
    column: usize,
) -> Result<SplitLabel> {
    let raw = &table.rows[row];
    match raw.cells[column].to_ascii_lowercase().as_str() {
        "train" => Ok(SplitLabel::Train),
        "test" => Ok(SplitLabel::Test),
        _ => Err(cell_error(
            path,
            raw.line,
            &table.header[column],
            &raw.cells[column],
            "split value must be train or test; fix the value, or pass --split-column none for a \
             seeded random split",
        )),
    }
}
