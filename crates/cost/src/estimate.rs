//! The cost estimate of the AWS Batch design this project implements (`docs/design.md`),
//! computed: from runs per day, the runtime of one run and an instance's hourly prices, the
//! cost per hour, per run, per day and per month on Spot and On-Demand, and the expected
//! monthly range when some runs fall back to On-Demand.
//!
//! As in that design, one run occupies one whole instance for its runtime, and a month is 30 days.

use serde::Serialize;

use crate::error::CostError;

pub const DAYS_PER_MONTH: f64 = 30.0;

/// The assumptions of an estimate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assumptions {
    pub runs_per_day: f64,
    pub runtime_hours: f64,
    pub instance: String,
    pub spot_hourly: f64,
    pub on_demand_hourly: f64,
    /// Fraction of runs that end up on On-Demand when Spot capacity is short.
    pub on_demand_fallback: f64,
}

/// Cost of the workload on one market.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MarketCost {
    pub per_hour: f64,
    pub per_run: f64,
    pub per_day: f64,
    pub per_month: f64,
}

impl MarketCost {
    fn new(hourly: f64, a: &Assumptions) -> MarketCost {
        let per_run = hourly * a.runtime_hours;
        let per_day = per_run * a.runs_per_day;
        MarketCost {
            per_hour: hourly,
            per_run,
            per_day,
            per_month: per_day * DAYS_PER_MONTH,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub assumptions: Assumptions,
    pub spot: MarketCost,
    pub on_demand: MarketCost,
    /// How much cheaper Spot is than On-Demand, as a fraction.
    pub spot_saving: f64,
    /// Monthly cost: all on Spot, and with the stated On-Demand fallback.
    pub expected_month_low: f64,
    pub expected_month_high: f64,
}

pub fn estimate(assumptions: Assumptions) -> Estimate {
    let spot = MarketCost::new(assumptions.spot_hourly, &assumptions);
    let on_demand = MarketCost::new(assumptions.on_demand_hourly, &assumptions);
    let f = assumptions.on_demand_fallback;
    Estimate {
        spot_saving: 1.0 - assumptions.spot_hourly / assumptions.on_demand_hourly,
        expected_month_low: spot.per_month,
        expected_month_high: spot.per_month * (1.0 - f) + on_demand.per_month * f,
        spot,
        on_demand,
        assumptions,
    }
}

/// A fraction written as `10%` or `0.1`.
pub fn parse_fraction(text: &str) -> Result<f64, CostError> {
    let bad = || CostError::BadValue {
        text: text.to_owned(),
        what: "fraction",
        hint: "write it as a percentage like `10%` or a fraction like `0.1`, between 0 and 100%",
    };
    let trimmed = text.trim();
    let value = match trimmed.strip_suffix('%') {
        Some(percent) => percent.trim().parse::<f64>().map_err(|_| bad())? / 100.0,
        None => trimmed.parse::<f64>().map_err(|_| bad())?,
    };
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(bad())
    }
}

#[cfg(test)]
mod tests;
