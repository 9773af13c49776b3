//! # microscore
//!
//! Credit scorecards for unsecured microloans to rural small businesses and startups: train a
//! scorecard (binning, weight of evidence, logistic regression, points scaling), apply it with
//! reason codes, and generate realistic synthetic applications to try it on.
//!
//! The library is organised one module per concept:
//! - [`synth`]: the synthetic rural microloan application generator;
//! - [`metrics`]: discrimination metrics (AUC, Gini, KS);
//! - [`format`]: file formats and atomic output files.
#![warn(missing_docs)]

pub mod binning;
pub mod fit;
pub mod format;
pub mod metrics;
pub mod model;
pub mod scaling;
pub mod scoring;
pub mod selection;
pub mod synth;
pub mod table;
pub mod train;
pub mod woe;

pub use format::FileFormat;

/// The README's Rust examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
