//! The results report of a job: what its runs found, as a self-contained HTML page with SVG
//! figures, used by `fredbatch report` (written to a folder) and the dashboard of
//! `fredbatch serve` (served as a page).
//!
//! - `gather`: the report's data, read from the store and the results storage
//!   ([`build_report`]);
//! - [`curves`], [`band`]: epidemic curves from FRED's `out.csv`, and statistics across runs;
//! - `model`: the report as data ([`JobReport`]), with each configuration's summary;
//! - `figures`, `chart`, `legend`, `svg`: the figures as SVG documents;
//! - `compare`: each configuration's paired difference from a baseline ([`JobReport::compare`]);
//! - `html`, `tables`: the page and its tables (what the job cost, per configuration and in
//!   interrupted and failed attempts, among them);
//! - `folder`: the page and its figures as files ([`JobReport::write_to`]).
//!
//! Costs come from `fredbatch-cost`; everything but `gather` and `folder` is pure
//! computation.

pub mod band;
pub mod curves;

mod chart;
mod compare;
mod error;
mod figures;
mod folder;
mod gather;
mod html;
mod legend;
mod model;
mod svg;
mod tables;

#[cfg(test)]
mod sample;

pub use compare::{CompareError, Comparison, ConfigDifference};
pub use error::{CurveError, ReportError, WriteError};
pub use figures::{Figure, MAX_DRAWN_RUNS};
pub use folder::WrittenReport;
pub use gather::{build_report, config_curves};
pub use html::CONTENT_SECURITY_POLICY;
pub use model::{Bands, ConfigCurves, ConfigSummary, Costs, JobHeader, JobReport, RunRow};
