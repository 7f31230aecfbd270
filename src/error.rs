//! The errors a run can end with. Each message names the file, and where it applies the
//! line, column and value, then states what to do next.

use std::path::PathBuf;

use thiserror::Error;

use crate::models::{ModelError, SettingsError};

#[derive(Debug, Error)]
pub enum Error {
    #[error("{path}: cannot read file: {source}")]
    Read { path: PathBuf, source: std::io::Error },

    #[error("{path}: {message}")]
    Csv { path: PathBuf, message: String },

    #[error("{path}: line {line}, column {column:?}: {message}")]
    Cell { path: PathBuf, line: u64, column: String, message: String },

    #[error("{path}: {message}")]
    Roles { path: PathBuf, message: String },

    #[error("{path}: invalid sidecar file: {message}")]
    Sidecar { path: PathBuf, message: String },

    /// A flag or sidecar value that is not valid, with what to pass instead.
    #[error("{0}")]
    Usage(String),

    #[error("invalid split: {0}")]
    Split(String),

    #[error(transparent)]
    Settings(#[from] SettingsError),

    #[error("{model}: {source}")]
    Model { model: String, source: ModelError },

    #[error("{path}: cannot write report: {source}")]
    Write { path: PathBuf, source: std::io::Error },

    #[error("{path}: cannot draw chart: {message}")]
    Chart { path: PathBuf, message: String },

    #[error("{0}")]
    Check(String),
}

pub type Result<T> = std::result::Result<T, Error>;
