//! lunchbench: compares a dense neural network against classic regressors on one CSV.
//!
//! The pipeline is load ([`data`]) → split ([`split`]) → fit and score every model
//! ([`runner`], [`models`], [`metrics`]) → write reports ([`report`]).

pub mod models;
