//! Where a job's cost went: each configuration's share, and what attempts that produced nothing
//! cost.
//!
//! Terms (see [`crate::usage`] for how one attempt is counted):
//! - a **tally** of attempts: how many, their reserved CPU-hours (wall hours × the vCPUs each
//!   held), their used CPU-hours (the CPU time the engine measured) and, where the job is priced,
//!   their reserved cost on Spot and on On-Demand;
//! - a **configuration's** tally is every finished attempt of its runs, interrupted and failed
//!   ones included: the configurations add up to the job's total;
//! - **interruptions**: attempts stopped from outside (a reclaimed Spot instance, a failed or
//!   preempted node, a killed or lost worker). They were paid for and produced nothing;
//! - **failed attempts**: attempts that ended with any other failure (out of memory, over their
//!   time limit, FRED's own error, infrastructure, other), retried or not. Paid for too, with
//!   nothing kept;
//! - **useful**: what is left, the attempts that succeeded: total − interruptions − failed.
//!
//! Interruptions and failed attempts are also inside their configurations' tallies (each
//! configuration shows its own as `interrupted` and `failed`); nothing is counted twice in a
//! total.

use std::collections::BTreeMap;

use fredbatch_core::{FailureClass, Resources};
use serde::Serialize;

use crate::error::CostError;
use crate::money::{figure, usd};
use crate::prices::Market;
use crate::usage::{AttemptUse, Pricer, RunAttempts, finished_attempts};

/// What a group of attempts held and cost.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Tally {
    pub attempts: usize,
    /// Wall hours × the vCPUs each attempt held.
    pub reserved_cpu_hours: f64,
    /// The CPU time the engine measured (attempts without measurements add none).
    pub used_cpu_hours: f64,
    /// Reserved cost on Spot; absent where nothing is priced (a cluster has no price list).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spot: Option<f64>,
    /// Reserved cost on On-Demand; absent where nothing is priced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_demand: Option<f64>,
}

impl Tally {
    fn empty(priced: bool) -> Tally {
        let zero = priced.then_some(0.0);
        Tally {
            spot: zero,
            on_demand: zero,
            ..Tally::default()
        }
    }

    fn add(&mut self, attempt: &AttemptUse, prices: Option<[f64; 2]>) {
        self.attempts += 1;
        self.reserved_cpu_hours += attempt.reserved_cpu_hours();
        self.used_cpu_hours += attempt.used_cpu_hours();
        if let Some([spot, on_demand]) = prices {
            *self.spot.get_or_insert(0.0) += spot;
            *self.on_demand.get_or_insert(0.0) += on_demand;
        }
    }

    /// `3 attempts, 0.40 CPU-hours, $0.0102 (Spot)`: the CPU-hours reserved, and the cost on
    /// `market` where priced.
    pub fn describe(&self, market: Market) -> String {
        let plural = if self.attempts == 1 { "" } else { "s" };
        let mut text = format!(
            "{} attempt{plural}, {} CPU-hours",
            self.attempts,
            figure(self.reserved_cpu_hours)
        );
        if let Some(cost) = self.cost(market) {
            text.push_str(&format!(", {} ({})", usd(cost), market.label()));
        }
        text
    }

    /// The reserved cost on `market`, where priced.
    pub fn cost(&self, market: Market) -> Option<f64> {
        match market {
            Market::Spot => self.spot,
            Market::OnDemand => self.on_demand,
        }
    }
}

/// One configuration's share of a job's cost.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConfigCost {
    pub config: u32,
    /// Its runs that computed their results: their attempts are counted.
    pub runs: usize,
    /// Its runs that took the results of identical runs: they ran nothing and count nothing.
    pub reused_runs: usize,
    /// Every finished attempt of its runs.
    #[serde(flatten)]
    pub paid: Tally,
    /// Of those, the interrupted ones.
    pub interrupted: Tally,
    /// Of those, the ones that ended with another failure.
    pub failed: Tally,
}

/// How many failed attempts of one class.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassCount {
    pub class: FailureClass,
    pub attempts: usize,
}

/// Attempts that ended with a failure other than an interruption.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FailedAttempts {
    #[serde(flatten)]
    pub tally: Tally,
    /// How many of each class, in [`FailureClass::ALL`]'s order, classes with none left out.
    pub by_class: Vec<ClassCount>,
}

/// Where a job's cost went.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Breakdown {
    /// Every finished attempt: what the configurations add up to.
    pub total: Tally,
    /// Every configuration with runs, in order.
    pub configurations: Vec<ConfigCost>,
    /// Attempts stopped from outside, paid for with nothing kept.
    pub interruptions: Tally,
    /// Attempts that ended with another failure, paid for with nothing kept.
    pub failed_attempts: FailedAttempts,
    /// The attempts that succeeded: the total less interruptions and failed attempts.
    pub useful: Tally,
}

impl Breakdown {
    /// Whether the job has more than one configuration.
    pub fn is_sweep(&self) -> bool {
        self.configurations.len() > 1
    }
}

impl FailedAttempts {
    /// `3 attempts (2 out of memory, 1 over its time limit), 0.10 CPU-hours, $0.003 (Spot)`.
    pub fn describe(&self, market: Market) -> String {
        let text = self.tally.describe(market);
        if self.by_class.is_empty() {
            return text;
        }
        let classes: Vec<String> = self
            .by_class
            .iter()
            .map(|c| format!("{} {}", c.attempts, c.class.label()))
            .collect();
        match text.split_once(", ") {
            Some((count, rest)) => format!("{count} ({}), {rest}", classes.join(", ")),
            None => text,
        }
    }
}

/// Where the cost of `runs` went; `request` is the size of attempts that recorded none. With a
/// `pricer`, every tally also holds its Spot and On-Demand cost.
pub fn breakdown(
    request: Resources,
    runs: &[RunAttempts],
    mut pricer: Option<&mut Pricer<'_>>,
) -> Result<Breakdown, CostError> {
    let priced = pricer.is_some();
    let mut configurations: BTreeMap<u32, ConfigCost> = BTreeMap::new();
    for run in runs {
        let config = configurations
            .entry(run.config)
            .or_insert_with(|| ConfigCost {
                config: run.config,
                runs: 0,
                reused_runs: 0,
                paid: Tally::empty(priced),
                interrupted: Tally::empty(priced),
                failed: Tally::empty(priced),
            });
        if run.reused {
            config.reused_runs += 1;
        } else {
            config.runs += 1;
        }
    }
    let mut total = Tally::empty(priced);
    let mut interruptions = Tally::empty(priced);
    let mut useful = Tally::empty(priced);
    let mut failed = FailedAttempts {
        tally: Tally::empty(priced),
        by_class: Vec::new(),
    };
    let mut classes: Vec<FailureClass> = Vec::new();
    for attempt in finished_attempts(request, runs).attempts {
        let prices = match pricer.as_deref_mut() {
            Some(pricer) => Some([
                pricer.reserved(&attempt, Market::Spot)?,
                pricer.reserved(&attempt, Market::OnDemand)?,
            ]),
            None => None,
        };
        total.add(&attempt, prices);
        let config = configurations
            .get_mut(&attempt.config)
            .expect("every attempt's run was counted");
        config.paid.add(&attempt, prices);
        match attempt.failure {
            None => useful.add(&attempt, prices),
            Some(FailureClass::Interrupted) => {
                interruptions.add(&attempt, prices);
                config.interrupted.add(&attempt, prices);
            }
            Some(class) => {
                failed.tally.add(&attempt, prices);
                config.failed.add(&attempt, prices);
                classes.push(class);
            }
        }
    }
    failed.by_class = FailureClass::ALL
        .into_iter()
        .map(|class| ClassCount {
            class,
            attempts: classes.iter().filter(|c| **c == class).count(),
        })
        .filter(|count| count.attempts > 0)
        .collect();
    Ok(Breakdown {
        total,
        configurations: configurations.into_values().collect(),
        interruptions,
        failed_attempts: failed,
        useful,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prices::PriceTable;
    use chrono::{TimeZone, Utc};
    use fredbatch_core::model::Measurements;
    use fredbatch_core::{Attempt, AttemptStatus, RunId};

    fn attempt(number: u32, status: AttemptStatus, reason: Option<&str>, hours: f64) -> Attempt {
        let start = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let wall = hours * 3600.0;
        Attempt {
            run_id: RunId(1),
            number,
            backend_job_id: None,
            log_ref: None,
            status,
            reason: reason.map(str::to_owned),
            exit_code: None,
            started_at: start,
            finished_at: Some(start + chrono::Duration::milliseconds((wall * 1e3) as i64)),
            measurements: Some(Measurements {
                wall_seconds: wall,
                cpu_seconds: wall / 2.0,
                peak_rss_kb: 1024,
                output_bytes: 0,
            }),
            results_key: None,
            warnings: Vec::new(),
            size: None,
        }
    }

    fn run(run_number: u32, config: u32, attempts: Vec<Attempt>) -> RunAttempts {
        RunAttempts {
            run_number,
            config,
            attempts,
            reused: false,
        }
    }

    /// Two configurations: config 1's run 1 interrupted once, config 2's run 3 out of memory
    /// once, every other attempt a success of one hour; run 4 reused.
    fn sweep() -> Vec<RunAttempts> {
        use AttemptStatus::{Failed, Interrupted, Succeeded};
        let mut reused = run(4, 2, Vec::new());
        reused.reused = true;
        vec![
            run(
                1,
                1,
                vec![
                    attempt(
                        1,
                        Interrupted,
                        Some("Host EC2 (instance i-1) terminated."),
                        0.5,
                    ),
                    attempt(2, Succeeded, None, 1.0),
                ],
            ),
            run(2, 1, vec![attempt(1, Succeeded, None, 1.0)]),
            run(
                3,
                2,
                vec![
                    attempt(1, Failed, Some("OutOfMemoryError: Container killed"), 0.25),
                    attempt(2, Succeeded, None, 1.0),
                ],
            ),
            reused,
        ]
    }

    #[test]
    fn configurations_add_up_to_the_job_and_lost_attempts_are_told_apart() {
        let table = PriceTable::bundled();
        let types = vec!["c5.2xlarge".to_owned()];
        let mut pricer = Pricer::new(&table, &types);
        let b = breakdown(Resources::AWS_DEFAULT, &sweep(), Some(&mut pricer)).unwrap();
        // 3.75 wall hours in all, 4 vCPUs held, alone on a c5.2xlarge ($0.34/h, Spot 70% less).
        assert_eq!(b.total.attempts, 5);
        assert!((b.total.reserved_cpu_hours - 15.0).abs() < 1e-9);
        assert!((b.total.used_cpu_hours - 1.875).abs() < 1e-9);
        assert!((b.total.on_demand.unwrap() - 0.34 * 3.75).abs() < 1e-9);
        assert!((b.total.spot.unwrap() - 0.34 * 0.3 * 3.75).abs() < 1e-9);

        let [one, two] = &b.configurations[..] else {
            panic!("{:?}", b.configurations)
        };
        assert_eq!((one.config, one.runs, one.reused_runs), (1, 2, 0));
        assert_eq!((two.config, two.runs, two.reused_runs), (2, 1, 1));
        assert!((one.paid.reserved_cpu_hours - 10.0).abs() < 1e-9);
        assert!((two.paid.reserved_cpu_hours - 5.0).abs() < 1e-9);
        assert!(
            (one.paid.on_demand.unwrap() + two.paid.on_demand.unwrap()
                - b.total.on_demand.unwrap())
            .abs()
                < 1e-9
        );

        assert_eq!(b.interruptions.attempts, 1);
        assert!((b.interruptions.reserved_cpu_hours - 2.0).abs() < 1e-9);
        assert!((b.interruptions.on_demand.unwrap() - 0.17).abs() < 1e-9);
        assert_eq!(one.interrupted, b.interruptions);
        assert_eq!(two.interrupted.attempts, 0);

        assert_eq!(b.failed_attempts.tally.attempts, 1);
        assert!((b.failed_attempts.tally.reserved_cpu_hours - 1.0).abs() < 1e-9);
        assert_eq!(
            b.failed_attempts.by_class,
            [ClassCount {
                class: FailureClass::OutOfMemory,
                attempts: 1
            }]
        );
        assert_eq!(
            b.failed_attempts.describe(Market::OnDemand),
            "1 attempt (1 out of memory), 1.00 CPU-hours, $0.085 (On-Demand)"
        );
        assert_eq!(
            b.interruptions.describe(Market::Spot),
            "1 attempt, 2.00 CPU-hours, $0.051 (Spot)"
        );
        assert_eq!(b.useful.attempts, 3);
        assert!(
            (b.useful.reserved_cpu_hours
                + b.interruptions.reserved_cpu_hours
                + b.failed_attempts.tally.reserved_cpu_hours
                - b.total.reserved_cpu_hours)
                .abs()
                < 1e-9
        );
    }

    #[test]
    fn without_prices_a_breakdown_has_cpu_hours_alone() {
        let b = breakdown(Resources::LOCAL_DEFAULT, &sweep(), None).unwrap();
        assert_eq!(b.total.spot, None);
        assert_eq!(b.interruptions.on_demand, None);
        // 1 vCPU held.
        assert!((b.total.reserved_cpu_hours - 3.75).abs() < 1e-9);
        let json = serde_json::to_value(&b).unwrap();
        assert!(json["total"].get("spot").is_none(), "{json}");
        assert_eq!(json["configurations"][1]["reused_runs"], 1);
        assert_eq!(
            json["failed_attempts"]["by_class"][0]["class"],
            "out_of_memory"
        );
        assert_eq!(
            b.interruptions.describe(Market::Spot),
            "1 attempt, 0.50 CPU-hours",
            "no price where nothing is priced"
        );
    }
}
