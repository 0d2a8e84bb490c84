//! What a job's attempts cost in its budget's unit (see `fredbatch_core::budget`), and what a
//! run is expected to cost from measured runs.
//!
//! - **CPU-hours**: the vCPUs an attempt reserved times its wall hours;
//! - **dollars**: the attempt's share of the instance that packs its size best among the
//!   design's instance types, at Spot prices (what a Spot queue pays), for its wall time.
//!
//! An attempt's wall time is counted as `fredbatch cost --job` counts it, so a budget and the
//! job's cost agree: its measured wall time, or, for one that recorded none, from its start to
//! its end (one still running, up to `now`).

use chrono::{DateTime, Utc};
use fredbatch_core::{Attempt, Budget, Resources};

use crate::placement::{best, default_instance_types};
use crate::prices::{Market, PriceTable};

/// Prices attempts in one budget's unit.
pub struct Meter {
    budget: Budget,
    table: PriceTable,
    instance_types: Vec<String>,
}

impl Meter {
    pub fn new(budget: Budget) -> Meter {
        Meter {
            budget,
            table: PriceTable::bundled(),
            instance_types: default_instance_types(),
        }
    }

    /// What `wall_seconds` at `size` cost.
    pub fn cost(&self, size: &Resources, wall_seconds: f64) -> f64 {
        match self.budget {
            Budget::CpuHours(_) => f64::from(size.vcpus) * wall_seconds / 3600.0,
            Budget::Usd(_) => best(&self.table, size, Market::Spot, &self.instance_types)
                // A size no instance type can place never runs: it costs nothing.
                .map_or(0.0, |packing| packing.cost(wall_seconds)),
        }
    }

    /// What `attempt` cost (up to `now` while it runs); `default` is the size of attempts
    /// recorded before sizes were.
    pub fn attempt_cost(&self, attempt: &Attempt, default: &Resources, now: DateTime<Utc>) -> f64 {
        let size = attempt.size.map_or(*default, |s| s.resources);
        self.cost(&size, wall_seconds(attempt, now))
    }

    /// What one run at `size` is expected to cost: the mean of `walls` (seconds each run
    /// took); `None` without any.
    pub fn expected_run_cost(&self, size: &Resources, walls: &[f64]) -> Option<f64> {
        let walls: Vec<f64> = walls.iter().copied().filter(|w| *w > 0.0).collect();
        if walls.is_empty() {
            return None;
        }
        let mean = walls.iter().sum::<f64>() / walls.len() as f64;
        Some(self.cost(size, mean))
    }
}

/// An attempt's wall time: measured, or from its start to its end (or `now`).
pub fn wall_seconds(attempt: &Attempt, now: DateTime<Utc>) -> f64 {
    if let Some(measured) = &attempt.measurements {
        return measured.wall_seconds;
    }
    let end = attempt.finished_at.unwrap_or(now);
    ((end - attempt.started_at).num_milliseconds().max(0) as f64) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use fredbatch_core::model::Measurements;
    use fredbatch_core::{AttemptStatus, RunId, RunSize};

    fn attempt(wall: Option<f64>, size: Option<Resources>) -> Attempt {
        let started = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        Attempt {
            run_id: RunId(1),
            number: 1,
            backend_job_id: None,
            status: AttemptStatus::Succeeded,
            reason: None,
            exit_code: Some(0),
            started_at: started,
            finished_at: Some(started + chrono::Duration::seconds(7200)),
            measurements: wall.map(|wall_seconds| Measurements {
                wall_seconds,
                cpu_seconds: wall_seconds,
                peak_rss_kb: 1024,
                output_bytes: 0,
            }),
            results_key: None,
            log_ref: None,
            warnings: Vec::new(),
            size: size.map(|resources| RunSize {
                resources,
                timeout_seconds: 3600,
            }),
        }
    }

    #[test]
    fn cpu_hours_are_reserved_vcpus_times_wall_hours() {
        let meter = Meter::new(Budget::CpuHours(10.0));
        let two = Resources {
            vcpus: 2,
            memory_mb: 1024,
        };
        let now = Utc::now();
        // Measured: its half hour, at the size it ran with.
        let ran = attempt(Some(1800.0), Some(two));
        assert_eq!(
            meter.attempt_cost(&ran, &Resources::LOCAL_DEFAULT, now),
            1.0
        );
        // Unmeasured, recorded before sizes were: its start to its end (two hours), at the
        // job's size.
        let older = attempt(None, None);
        assert_eq!(
            meter.attempt_cost(&older, &Resources::LOCAL_DEFAULT, now),
            2.0
        );
        assert_eq!(meter.expected_run_cost(&two, &[3600.0, 1800.0]), Some(1.5));
        assert_eq!(meter.expected_run_cost(&two, &[]), None);
    }

    #[test]
    fn dollars_are_the_share_of_the_instance_at_spot_prices() {
        let meter = Meter::new(Budget::Usd(10.0));
        let small = Resources {
            vcpus: 1,
            memory_mb: 256,
        };
        let hour = meter.cost(&small, 3600.0);
        assert!(hour > 0.0 && hour < meter.cost(&Resources::AWS_DEFAULT, 3600.0));
        assert!((meter.cost(&small, 7200.0) - 2.0 * hour).abs() < 1e-12);
    }
}
