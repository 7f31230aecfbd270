//! lunchbench: compares a dense neural network against classic regressors on one CSV.
//!
//! The pipeline is load ([`data`]) → split ([`split`]) → fit and score every model
//! ([`runner`], [`models`], [`metrics`]) → write reports ([`report`]).

pub mod cli;
pub mod compare;
pub mod config;
pub mod data;
pub mod error;
pub mod metrics;
pub mod models;
pub mod report;
pub mod resample;
pub mod runner;
pub mod split;
pub mod stats;
