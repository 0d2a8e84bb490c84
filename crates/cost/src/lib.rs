//! What FRED runs cost on AWS Batch, how big their job definition should be, and what they found.
//!
//! - [`prices`]: the bundled price table (instance types, On-Demand prices, the date taken);
//! - [`estimate`]: the seed's Cost Estimation from its assumptions;
//! - [`placement`]: packing runs of one size onto instance types;
//! - [`usage`]: what a job's attempts cost as requested, and the floor of what they used;
//! - [`sizing`]: the recommended vCPUs and memory, and cost per run beside the seed default;
//! - [`curves`], [`band`]: epidemic curves from `out.csv` and statistics across runs;
//! - [`svg`], [`report`]: the figures and the self-contained HTML report.
//!
//! Pure computation: no I/O, no clock, no network.

pub mod band;
pub mod curves;
pub mod error;
pub mod estimate;
pub mod placement;
pub mod prices;
pub mod report;
pub mod sizing;
pub mod svg;
pub mod usage;

pub use error::CostError;

/// USD for people: four decimals, or three significant digits for sub-cent amounts.
pub fn usd(value: f64) -> String {
    if value == 0.0 || value.abs() >= 0.01 {
        format!("${value:.4}")
    } else {
        format!("${value:.3e}")
    }
}
pub use prices::{InstanceType, Market, PriceTable};
