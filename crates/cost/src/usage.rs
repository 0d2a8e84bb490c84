//! What attempts cost: reserved (the size an attempt ran with held for its wall time, in the
//! cheapest packing of that size on the compute environment's types) and the floor (only the
//! CPU-seconds and memory the attempt actually used, on the same family).
//!
//! Terms:
//! - **reserved cost** of an attempt: `hourly_per_run × wall hours` of its size's packing (the
//!   job's request, or what a retry grew it to);
//! - **reserved CPU-hours** of an attempt: its wall hours × the vCPUs it held;
//! - **floor** of an attempt: the instance price times the larger of the instance shares it used,
//!   `max(cpu_seconds / vCPUs, peak MiB × wall seconds / usable MiB) / 3600`, at the type of
//!   the family where that is least. No job definition can cost less than this on that family.
//!
//! Every attempt counts, retried ones included: an interrupted attempt was paid for too. An
//! attempt whose worker died before recording its end (it still reads RUNNING) but that a
//! later attempt followed is priced up to that later attempt's start, an upper bound, and
//! counts as interrupted. A run that took the results of an identical run ran nothing and costs
//! nothing here: the job that computed them paid.

use fredbatch_core::model::Measurements;
use fredbatch_core::{Attempt, AttemptStatus, FailureClass, Resources};
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

/// One run of a job, as its cost reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunAttempts {
    pub run_number: u32,
    /// Its configuration (1-based; a job that is not a sweep has one).
    pub config: u32,
    /// Its attempts, in order.
    pub attempts: Vec<Attempt>,
    /// It took the results of an identical run DONE before: it ran nothing, and its attempts
    /// (it has none) are not counted.
    pub reused: bool,
}

/// What one finished attempt held and used, before any price.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AttemptUse {
    pub run_number: u32,
    pub config: u32,
    pub attempt: u32,
    pub status: AttemptStatus,
    /// What kind of failure ended it; `None` for one that succeeded. A lost worker (an attempt
    /// that still reads RUNNING but that a later attempt followed) was interrupted.
    pub failure: Option<FailureClass>,
    /// The size it ran with: the job's request, or what a retry grew it to.
    pub resources: Resources,
    pub wall_seconds: f64,
    pub cpu_seconds: Option<f64>,
    pub peak_rss_mib: Option<f64>,
    #[serde(skip)]
    measurements: Option<Measurements>,
}

impl AttemptUse {
    /// Its wall hours times the vCPUs it held.
    pub fn reserved_cpu_hours(&self) -> f64 {
        self.wall_seconds * f64::from(self.resources.vcpus) / 3600.0
    }

    /// The CPU time its engine measured, in hours (none when it has no measurements).
    pub fn used_cpu_hours(&self) -> f64 {
        self.cpu_seconds.unwrap_or(0.0) / 3600.0
    }
}

/// A job's finished attempts, and what was left out or is unknown.
#[derive(Clone, Debug, PartialEq)]
pub struct Finished {
    pub attempts: Vec<AttemptUse>,
    /// Attempts beyond each run's first: retries, paid for like any other.
    pub retried: usize,
    /// Attempts still running, not counted.
    pub running: usize,
    /// Counted attempts without measurements (lost workers): wall time from timestamps.
    pub unmeasured: usize,
}

/// Every finished attempt of the runs that computed their results; `request` is the size an
/// attempt that recorded none ran with (the job's).
pub fn finished_attempts(request: Resources, runs: &[RunAttempts]) -> Finished {
    let mut attempts = Vec::new();
    let (mut running, mut unmeasured, mut retried) = (0, 0, 0);
    for run in runs.iter().filter(|run| !run.reused) {
        let tried = &run.attempts;
        retried += tried.len().saturating_sub(1);
        for (index, attempt) in tried.iter().enumerate() {
            let next_start = tried.get(index + 1).map(|next| next.started_at);
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
            let failure = match attempt.status {
                // Followed by another attempt without recording its end: its worker was lost.
                AttemptStatus::Running => Some(FailureClass::Interrupted),
                _ => attempt.failure(),
            };
            attempts.push(AttemptUse {
                run_number: run.run_number,
                config: run.config,
                attempt: attempt.number,
                status: attempt.status,
                failure,
                resources: attempt.size.map_or(request, |size| size.resources),
                wall_seconds,
                cpu_seconds: measured.map(|m| m.cpu_seconds),
                peak_rss_mib: measured.map(|m| m.peak_rss_kb as f64 / 1024.0),
                measurements: measured,
            });
        }
    }
    Finished {
        attempts,
        retried,
        running,
        unmeasured,
    }
}

/// Prices attempts of any size on the compute environment's types, each size's cheapest
/// packing found once.
pub struct Pricer<'a> {
    table: &'a PriceTable,
    types: &'a [String],
    packings: Vec<(Resources, Market, Packing)>,
}

impl<'a> Pricer<'a> {
    pub fn new(table: &'a PriceTable, types: &'a [String]) -> Pricer<'a> {
        Pricer {
            table,
            types,
            packings: Vec::new(),
        }
    }

    /// The cheapest packing of runs of `resources` on `market`.
    pub fn packing(&mut self, resources: Resources, market: Market) -> Result<&Packing, CostError> {
        let known = self
            .packings
            .iter()
            .position(|(r, m, _)| *r == resources && *m == market);
        let index = match known {
            Some(index) => index,
            None => {
                let packing = best(self.table, &resources, market, self.types)?;
                self.packings.push((resources, market, packing));
                self.packings.len() - 1
            }
        };
        Ok(&self.packings[index].2)
    }

    /// What `attempt` cost reserved on `market`.
    pub fn reserved(&mut self, attempt: &AttemptUse, market: Market) -> Result<f64, CostError> {
        Ok(self
            .packing(attempt.resources, market)?
            .cost(attempt.wall_seconds))
    }

    /// The floor of `attempt` on `market`, when it has measurements.
    pub fn floor(
        &mut self,
        attempt: &AttemptUse,
        market: Market,
    ) -> Result<Option<f64>, CostError> {
        let Some(measured) = attempt.measurements else {
            return Ok(None);
        };
        let table = self.table;
        let family = self.packing(attempt.resources, market)?.family.clone();
        Ok(Some(floor_cost(table, &family, market, &measured)))
    }
}

/// Cost of one attempt.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AttemptCost {
    #[serde(flatten)]
    pub used: AttemptUse,
    pub reserved: f64,
    /// `None` when the attempt has no measurements (it was lost before reporting them).
    pub floor: Option<f64>,
}

/// Cost of a whole job.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JobCost {
    pub request: Resources,
    pub market: Market,
    /// The packing of the job's request (attempts a retry grew are priced at their own size's).
    pub packing: Packing,
    pub attempts: Vec<AttemptCost>,
    /// Attempts beyond each run's first: retries, paid for like any other.
    pub retried_attempts: usize,
    /// Attempts still running, not counted.
    pub running_attempts: usize,
    pub unmeasured_attempts: usize,
    /// Attempts that ran at another size than the job's request (a retry grew them).
    pub resized_attempts: usize,
    pub wall_seconds: f64,
    pub reserved: f64,
    pub floor: f64,
    /// `reserved / floor`: how much of what is paid for sits idle.
    pub reserved_over_floor: Option<f64>,
}

/// Prices every finished attempt of a job's runs that computed their results.
pub fn job_cost(
    table: &PriceTable,
    request: Resources,
    market: Market,
    instance_types: &[String],
    runs: &[RunAttempts],
) -> Result<JobCost, CostError> {
    let mut pricer = Pricer::new(table, instance_types);
    let packing = pricer.packing(request, market)?.clone();
    let finished = finished_attempts(request, runs);
    let mut attempts = Vec::with_capacity(finished.attempts.len());
    for used in finished.attempts {
        attempts.push(AttemptCost {
            reserved: pricer.reserved(&used, market)?,
            floor: pricer.floor(&used, market)?,
            used,
        });
    }
    let reserved: f64 = attempts.iter().map(|a| a.reserved).sum();
    let floor: f64 = attempts.iter().filter_map(|a| a.floor).sum();
    Ok(JobCost {
        request,
        market,
        retried_attempts: finished.retried,
        running_attempts: finished.running,
        unmeasured_attempts: finished.unmeasured,
        resized_attempts: attempts
            .iter()
            .filter(|a| a.used.resources != request)
            .count(),
        wall_seconds: attempts.iter().map(|a| a.used.wall_seconds).sum(),
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
            .filter(|a| a.used.run_number == run_number)
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

    fn run(run_number: u32, attempts: Vec<Attempt>) -> RunAttempts {
        RunAttempts {
            run_number,
            config: 1,
            attempts,
            reused: false,
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
            run(
                1,
                vec![attempt(1, AttemptStatus::Succeeded, 1800.0, 1790.0)],
            ),
            run(
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
        let runs = vec![
            run(1, vec![open]),
            run(2, vec![lost]),
            run(3, vec![killed, retry]),
        ];
        let cost = job_cost(&table, Resources::LOCAL_DEFAULT, Market::Spot, &[], &runs).unwrap();
        assert_eq!((cost.running_attempts, cost.unmeasured_attempts), (1, 2));
        assert_eq!(cost.retried_attempts, 1);
        assert_eq!(cost.attempts[0].used.wall_seconds, 60.0);
        assert_eq!(cost.attempts[0].floor, None);
        assert_eq!(cost.attempts[1].used.wall_seconds, 30.0);
        assert!(cost.attempts[2].floor.is_some());
        // The lost worker and the recorded interruption are both interruptions.
        let failures: Vec<_> = cost.attempts.iter().map(|a| a.used.failure).collect();
        assert_eq!(
            failures,
            [
                Some(FailureClass::Interrupted),
                Some(FailureClass::Interrupted),
                None
            ]
        );
    }

    #[test]
    fn an_attempt_a_retry_grew_is_priced_at_its_own_size_and_reused_runs_cost_nothing() {
        let table = PriceTable::bundled();
        let mut small = attempt(1, AttemptStatus::Failed, 3600.0, 3600.0);
        small.reason = Some("OutOfMemoryError: Container killed due to memory usage".into());
        let mut grown = attempt(2, AttemptStatus::Succeeded, 3600.0, 3600.0);
        grown.size = Some(fredbatch_core::RunSize {
            resources: Resources {
                vcpus: 4,
                memory_mb: 16384,
            },
            timeout_seconds: 3600,
        });
        let mut reused = run(2, Vec::new());
        reused.reused = true;
        let runs = vec![run(1, vec![small, grown]), reused];
        let cost = job_cost(
            &table,
            Resources::AWS_DEFAULT,
            Market::OnDemand,
            &["c5.2xlarge".into(), "c5.4xlarge".into()],
            &runs,
        )
        .unwrap();
        assert_eq!(cost.attempts.len(), 2);
        assert_eq!(cost.resized_attempts, 1);
        assert_eq!(
            cost.attempts[0].used.failure,
            Some(FailureClass::OutOfMemory)
        );
        // 4 vCPU / 8192 MB: three per c5.4xlarge ($0.68/h) by memory (31908 MiB usable);
        // 4 vCPU / 16384 MB does not fit a c5.2xlarge (15938 MiB) and sits alone on one.
        assert!((cost.attempts[0].reserved - 0.68 / 3.0).abs() < 1e-9);
        assert!((cost.attempts[1].reserved - 0.68).abs() < 1e-9);
        assert!((cost.reserved - 0.68 * 4.0 / 3.0).abs() < 1e-9);
        assert_eq!(
            (
                cost.packing.instance.as_str(),
                cost.packing.runs_per_instance
            ),
            ("c5.4xlarge", 3),
            "the request's packing"
        );
        assert_eq!(cost.attempts[1].used.reserved_cpu_hours(), 4.0);
    }
}
