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
mod tests {
    use super::*;
    use crate::prices::{Market, PriceTable};

    /// The design's assumptions, priced from the bundled table.
    fn design(fallback: f64) -> Estimate {
        let table = PriceTable::bundled();
        let c5 = table.get("c5.xlarge").unwrap();
        estimate(Assumptions {
            runs_per_day: 100.0,
            runtime_hours: 0.5,
            instance: c5.name.clone(),
            spot_hourly: table.hourly(c5, Market::Spot),
            on_demand_hourly: table.hourly(c5, Market::OnDemand),
            on_demand_fallback: fallback,
        })
    }

    #[test]
    fn reproduces_the_designs_cost_estimate() {
        let e = design(0.10);
        // The design: Spot ~$0.05/h, ~$0.025/run, $2.50/day, ~$75/month.
        assert!((e.spot.per_hour - 0.051).abs() < 1e-9);
        assert!((e.spot.per_run - 0.0255).abs() < 1e-9);
        assert!((e.spot.per_day - 2.55).abs() < 1e-9);
        assert!((e.spot.per_month - 76.5).abs() < 1e-9);
        // The design: On-Demand $0.17/h, ~$0.085/run, ~$255/month.
        assert_eq!(e.on_demand.per_hour, 0.17);
        assert!((e.on_demand.per_run - 0.085).abs() < 1e-9);
        assert!((e.on_demand.per_month - 255.0).abs() < 1e-9);
        // The design: 70% saving, "$75-100/month with SPOT + occasional On-Demand fallback".
        assert!((e.spot_saving - 0.70).abs() < 1e-9);
        assert!((e.expected_month_low - 76.5).abs() < 1e-9);
        assert!((e.expected_month_high - 94.35).abs() < 1e-9);
    }

    #[test]
    fn no_fallback_means_no_range() {
        let e = design(0.0);
        assert_eq!(e.expected_month_low, e.expected_month_high);
    }

    #[test]
    fn fractions_parse_as_percent_or_plain() {
        assert_eq!(parse_fraction("10%").unwrap(), 0.1);
        assert_eq!(parse_fraction("0.25").unwrap(), 0.25);
        assert!(parse_fraction("150%").is_err());
        assert!(parse_fraction("ten").is_err());
    }
}
