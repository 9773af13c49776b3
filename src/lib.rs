//! # microscore
//!
//! Credit scorecards for unsecured microloans to rural small businesses and startups: train a
//! scorecard (binning, weight of evidence, logistic regression, points scaling), apply it with
//! reason codes, and generate realistic synthetic applications to try it on.
//!
//! The tree follows the stages of the work, and imports run one way: from the entry points
//! ([`ffi`], the command line, the Python package) to the stages, and from the stages to the
//! model file, which imports none of them.
//!
//! - [`input`]: how every command and binding reads a tabular file (CSV, JSON Lines, Parquet,
//!   Arrow), the number grammar, the training tables ([`input::table`]) and the matching of
//!   needed columns against the data's ([`input::schema`]);
//! - [`model`]: the contract, everything the model file holds: bins and routes
//!   ([`model::bins`]), the training settings it records ([`model::settings`]), points scaling
//!   and grades ([`model::scaling`]), the decision policy ([`model::policy`]), reason codes and
//!   statements ([`model::statements`]) and the built-in model ([`model::builtin`]);
//! - [`train`]: the training stage: optimal binning, weight of evidence, selection, the
//!   logistic fit, calibration, training on partitioned data and the linfa estimator;
//! - [`scoring`]: the scoring stage: scores, PDs, grades, reason codes, flags, decisions and
//!   reason statements ([`scoring::reasons`]);
//! - [`output`]: the writers of scored rows (CSV, JSON Lines, Parquet, record batches), which
//!   all walk one list of result columns ([`output::ResultColumn`]);
//! - [`batch`]: the streaming pipeline from an input file through the scorer to the outputs,
//!   with a rejects file and nothing lost;
//! - [`report`]: the evaluate, monitor and strategy reports, with their calibration and
//!   stability statistics ([`report::validation`]);
//! - [`export`]: the scorecard as SQL (four dialects) and PMML 4.4;
//! - [`synth`]: the synthetic rural microloan application generator;
//! - [`ffi`]: the C ABI (`include/microscore.h`);
//! - shared by all: [`format`](mod@format) (file formats, atomic output files, number text),
//!   [`metrics`] (AUC, Gini, KS) and [`guard`] (panic boundaries around third-party decoders).
#![deny(missing_docs)]

pub mod batch;
pub mod export;
#[cfg(feature = "capi")]
pub mod ffi;
pub mod format;
pub mod guard;
pub mod input;
pub mod metrics;
pub mod model;
pub mod output;
pub mod report;
pub mod scoring;
#[cfg(feature = "synth")]
pub mod synth;
pub mod train;

pub use format::FileFormat;

/// The README's Rust examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// The scoring guide's Rust examples, compiled and run as doctests.
#[doc = include_str!("../docs/scoring.md")]
#[cfg(doctest)]
pub struct ScoringDoctests;
