//! What FRED runs cost on AWS Batch, and how big their job definition should be.
//!
//! - [`prices`]: the bundled price table (instance types, On-Demand prices, the date taken)
//!   and [`Pricing`], what runs are priced at;
//! - [`estimate`]: the cost estimate of the AWS Batch design this project implements
//!   (`docs/design.md`), from its assumptions;
//! - [`placement`]: packing runs of one size onto instance types;
//! - [`usage`]: what a job's attempts cost at the sizes they ran with, and the floor of what
//!   they used;
//! - [`breakdown`]: where a job's cost went: each configuration's share, interruptions and
//!   failed attempts;
//! - [`sizing`]: the recommended vCPUs and memory, and cost per run beside the stack's
//!   default job definition;
//! - [`money`]: amounts as people read them, for every figure shown.
//!
//! Pure computation: no I/O, no clock, no network.

pub mod breakdown;
pub mod error;
pub mod estimate;
pub mod money;
pub mod placement;
pub mod prices;
pub mod sizing;
pub mod spend;
pub mod usage;

pub use error::CostError;

pub use money::{figure, per_thousand_runs, usd};
pub use prices::{InstanceType, Market, PriceTable, Pricing};
