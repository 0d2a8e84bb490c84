//! What attempts cost: reserved (the job definition's request held for the attempt's wall time,
//! in the cheapest packing on the compute environment's types) and the floor (only the
//! CPU-seconds and memory the attempt actually used, on the same family).
//!
//! Terms:
//! - **reserved cost** of an attempt: `hourly_per_run × wall hours` of the request's packing;
//! - **floor** of an attempt: the instance price times the larger of the instance shares it used,
//!   `max(cpu_seconds / vCPUs, peak MiB × wall seconds / usable MiB) / 3600`, at the type of
//!   the family where that is least. No job definition can cost less than this on that family.
//!
//! Every attempt counts, retried ones included: an interrupted attempt was paid for too. An
//! attempt whose worker died before recording its end (it still reads RUNNING) but that a
//! later attempt followed is priced up to that later attempt's start, an upper bound.

use fredbatch_core::model::Measurements;
use fredbatch_core::{Attempt, AttemptStatus, Resources};
use serde::Serialize;

use crate::error::CostError;
use crate::placement::{Packing, best, usable_memory_mib};
use crate::prices::{Market, PriceTable};

/// The least an attempt with these measurements costs on `family`.
pub fn floor_cost(table: &PriceTable, family: &str, market: Market, used: &Measurements) -> f64 {
    let peak_mib = used.peak_rss_kb as f64 / 1024.0;
    table
        .family(family)
        .into_iter()
        .map(|instance| {
            let cpu_share = used.cpu_seconds / f64::from(instance.vcpus);
            let memory_share = peak_mib * used.wall_seconds / usable_memory_mib(instance) as f64;
            table.hourly(instance, market) * cpu_share.max(memory_share) / 3600.0
        })
        .fold(f64::INFINITY, f64::min)
}

/// Cost of one attempt.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AttemptCost {
    pub run_number: u32,
    pub attempt: u32,
    pub status: AttemptStatus,
    pub wall_seconds: f64,
    pub cpu_seconds: Option<f64>,
    pub peak_rss_mib: Option<f64>,
    pub reserved: f64,
    /// `None` when the attempt has no measurements (it was lost before reporting them).
    pub floor: Option<f64>,
}

/// Cost of a whole job.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JobCost {
    pub request: Resources,
    pub market: Market,
    pub packing: Packing,
    pub attempts: Vec<AttemptCost>,
    /// Attempts beyond each run's first: retries, paid for like any other.
    pub retried_attempts: usize,
    /// Attempts still running, not counted.
    pub running_attempts: usize,
    pub unmeasured_attempts: usize,
    pub wall_seconds: f64,
    pub reserved: f64,
    pub floor: f64,
    /// `reserved / floor`: how much of what is paid for sits idle.
    pub reserved_over_floor: Option<f64>,
}

/// Prices every finished attempt of a job's runs (`(run_number, attempts)` pairs).
pub fn job_cost(
    table: &PriceTable,
    request: Resources,
    market: Market,
    instance_types: &[String],
    runs: &[(u32, Vec<Attempt>)],
) -> Result<JobCost, CostError> {
    let packing = best(table, &request, market, instance_types)?;
    let mut attempts = Vec::new();
    let (mut running, mut unmeasured, mut retried) = (0, 0, 0);
    for (run_number, run_attempts) in runs {
        retried += run_attempts.len().saturating_sub(1);
        for (index, attempt) in run_attempts.iter().enumerate() {
            let next_start = run_attempts.get(index + 1).map(|next| next.started_at);
            let Some(finished) = attempt.finished_at.or(next_start) else {
                running += 1;
                continue;
            };
            let measured = attempt.measurements;
            let wall_seconds = match measured {
                Some(m) => m.wall_seconds,
                None => (finished - attempt.started_at).num_milliseconds().max(0) as f64 / 1e3,
            };
            if measured.is_none() {
                unmeasured += 1;
            }
            attempts.push(AttemptCost {
                run_number: *run_number,
                attempt: attempt.number,
                status: attempt.status,
                wall_seconds,
                cpu_seconds: measured.map(|m| m.cpu_seconds),
                peak_rss_mib: measured.map(|m| m.peak_rss_kb as f64 / 1024.0),
                reserved: packing.cost(wall_seconds),
                floor: measured.map(|m| floor_cost(table, &packing.family, market, &m)),
            });
        }
    }
    let reserved: f64 = attempts.iter().map(|a| a.reserved).sum();
    let floor: f64 = attempts.iter().filter_map(|a| a.floor).sum();
    Ok(JobCost {
        request,
        market,
        retried_attempts: retried,
        running_attempts: running,
        unmeasured_attempts: unmeasured,
        wall_seconds: attempts.iter().map(|a| a.wall_seconds).sum(),
        reserved_over_floor: (floor > 0.0).then(|| reserved / floor),
        reserved,
        floor,
        packing,
        attempts,
    })
}

impl JobCost {
    /// Total reserved cost of one run's attempts.
    pub fn run_reserved(&self, run_number: u32) -> f64 {
        self.attempts
            .iter()
            .filter(|a| a.run_number == run_number)
            .map(|a| a.reserved)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::placement::default_instance_types;
    use chrono::{TimeZone, Utc};
    use fredbatch_core::RunId;

    fn attempt(number: u32, status: AttemptStatus, wall: f64, cpu: f64) -> Attempt {
        let start = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        Attempt {
            run_id: RunId(1),
            number,
            backend_job_id: None,
            log_ref: None,
            status,
            reason: None,
            exit_code: Some(0),
            started_at: start,
            finished_at: Some(start + chrono::Duration::milliseconds((wall * 1e3) as i64)),
            measurements: Some(Measurements {
                wall_seconds: wall,
                cpu_seconds: cpu,
                peak_rss_kb: 140 * 1024,
                output_bytes: 0,
            }),
            results_key: None,
            warnings: Vec::new(),
            size: None,
        }
    }

    #[test]
    fn floor_is_cpu_share_for_a_cpu_bound_run() {
        let table = PriceTable::bundled();
        let used = Measurements {
            wall_seconds: 3600.0,
            cpu_seconds: 3600.0,
            peak_rss_kb: 137 * 1024,
            output_bytes: 0,
        };
        // One busy core for an hour = a quarter of a c5.xlarge-hour (any c5 size, same rate).
        let floor = floor_cost(&table, "c5", Market::OnDemand, &used);
        assert!((floor - 0.0425).abs() < 1e-9, "{floor}");
    }

    #[test]
    fn retried_attempts_are_paid_for() {
        let table = PriceTable::bundled();
        let runs = vec![
            (
                1,
                vec![attempt(1, AttemptStatus::Succeeded, 1800.0, 1790.0)],
            ),
            (
                2,
                vec![
                    attempt(1, AttemptStatus::Interrupted, 900.0, 880.0),
                    attempt(2, AttemptStatus::Succeeded, 1800.0, 1790.0),
                ],
            ),
        ];
        let cost = job_cost(
            &table,
            Resources::AWS_DEFAULT,
            Market::OnDemand,
            &default_instance_types(),
            &runs,
        )
        .unwrap();
        assert_eq!(cost.retried_attempts, 1);
        assert_eq!(cost.attempts.len(), 3);
        // 4 vCPU / 8192 MB sits alone on a c5.2xlarge: 0.34/h for 1.25 h in total.
        assert!(
            (cost.reserved - 0.34 * 1.25).abs() < 1e-9,
            "{}",
            cost.reserved
        );
        assert!((cost.run_reserved(2) - 0.34 * 0.75).abs() < 1e-9);
        // The floor is one core's share of c5: 0.0425 per CPU-hour.
        let cpu_hours = (1790.0 + 880.0 + 1790.0) / 3600.0;
        assert!((cost.floor - 0.0425 * cpu_hours).abs() < 1e-9);
        assert!(cost.reserved_over_floor.unwrap() > 7.5);
    }

    #[test]
    fn running_and_unmeasured_attempts_are_told_apart() {
        let table = PriceTable::bundled();
        let mut open = attempt(1, AttemptStatus::Running, 0.0, 0.0);
        open.finished_at = None;
        let mut lost = attempt(1, AttemptStatus::Interrupted, 60.0, 0.0);
        lost.measurements = None;
        // A worker killed outright never records its end; the retry that followed bounds it.
        let mut killed = attempt(1, AttemptStatus::Running, 0.0, 0.0);
        killed.finished_at = None;
        killed.measurements = None;
        let mut retry = attempt(2, AttemptStatus::Succeeded, 10.0, 9.0);
        retry.started_at = killed.started_at + chrono::Duration::seconds(30);
        let runs = vec![(1, vec![open]), (2, vec![lost]), (3, vec![killed, retry])];
        let cost = job_cost(&table, Resources::LOCAL_DEFAULT, Market::Spot, &[], &runs).unwrap();
        assert_eq!((cost.running_attempts, cost.unmeasured_attempts), (1, 2));
        assert_eq!(cost.retried_attempts, 1);
        assert_eq!(cost.attempts[0].wall_seconds, 60.0);
        assert_eq!(cost.attempts[0].floor, None);
        assert_eq!(cost.attempts[1].wall_seconds, 30.0);
        assert!(cost.attempts[2].floor.is_some());
    }
}
