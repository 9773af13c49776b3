//! # microscore
//!
//! Credit scorecards for unsecured microloans to rural small businesses and startups: train a
//! scorecard (binning, weight of evidence, logistic regression, points scaling), apply it with
//! reason codes, and generate realistic synthetic applications to try it on.
//!
//! The library is organised one module per concept:
//! - [`table`]: column tables read from CSV / JSON Lines;
//! - [`binning`], [`woe`]: optimal binning (exact DP), weight of evidence and IV;
//! - [`selection`], [`fit`]: IV / correlation filters, the logistic fit;
//! - [`scaling`]: points scaling and risk grades; [`model`]: the model file;
//! - [`train`]: the training pipeline; [`distributed`]: training on partitioned data (Spark);
//!   [`scoring`]: scores, reasons and flags;
//! - [`policy`]: the microloan decision policy; [`default_model`]: the built-in model;
//! - [`synth`]: the synthetic rural microloan application generator;
//! - [`schema`]: matching needed columns against the data's, with "did you mean";
//! - [`metrics`]: discrimination metrics (AUC, Gini, KS);
//! - [`format`](mod@format): file formats and atomic output files; [`batch`]: streaming file scoring;
//! - [`validation`], [`report`]: calibration and stability statistics; the evaluate and monitor
//!   reports (JSON, HTML, Markdown);
//! - [`export`]: the scorecard as SQL (four dialects) and PMML 4.4;
//! - [`ffi`]: the C ABI (`include/microscore.h`).
#![deny(missing_docs)]

pub mod batch;
pub mod binning;
pub mod default_model;
pub mod distributed;
pub mod estimator;
pub mod export;
#[cfg(feature = "capi")]
pub mod ffi;
pub mod fit;
pub mod format;
pub mod guard;
pub mod input;
pub mod metrics;
pub mod model;
pub mod policy;
pub mod reasons;
pub mod report;
pub mod scaling;
pub mod schema;
pub mod scoring;
pub mod selection;
#[cfg(feature = "synth")]
pub mod synth;
pub mod table;
pub mod train;
pub mod validation;
pub mod woe;

pub use format::FileFormat;

/// The README's Rust examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// The scoring guide's Rust examples, compiled and run as doctests.
#[doc = include_str!("../docs/scoring.md")]
#[cfg(doctest)]
pub struct ScoringDoctests;
