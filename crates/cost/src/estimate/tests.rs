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
