//! A report to test with: one FRED run of the sample `out.csv` and one failed run.

use fredbatch_core::FailureClass;
use fredbatch_cost::Market;
use fredbatch_cost::breakdown::{Breakdown, ClassCount, ConfigCost, FailedAttempts, Tally};

use crate::curves::parse_out_csv;
use crate::model::{ConfigCurves, Costs, JobHeader, JobReport, RunRow};

pub fn report() -> JobReport {
    let text = include_str!("../tests/data/fred-sample-out.csv");
    let curve = parse_out_csv(1, text).unwrap();
    JobReport {
        header: JobHeader {
            job_id: "7".into(),
            name: "influenza <test>".into(),
            status: "DONE".into(),
            counts: "2 runs: 1 DONE, 1 ERROR".into(),
            backend: "local".into(),
            resources: "1 vCPU, 256 MB".into(),
            created_at: "2020-01-01".into(),
            cost_basis: "Spot".into(),
        },
        rows: vec![
            RunRow {
                run_number: 1,
                config: 1,
                replicate: 1,
                status: "DONE".into(),
                reason: None,
                failure: None,
                attempts: 2,
                size: "1 vCPU, 256 MB".into(),
                size_why: "given with --vcpus/--memory".into(),
                cost: Some(0.0012),
                summary: Some(curve.summary()),
            },
            RunRow {
                run_number: 2,
                config: 1,
                replicate: 2,
                status: "ERROR".into(),
                reason: Some("FRED Error (file main.fred) No locations specified".into()),
                failure: Some(fredbatch_core::FailureClass::Model),
                attempts: 1,
                size: "1 vCPU, 256 MB".into(),
                size_why: "given with --vcpus/--memory".into(),
                cost: None,
                summary: None,
            },
        ],
        configs: vec![ConfigCurves {
            number: 1,
            label: String::new(),
            curves: vec![curve],
        }],
        warnings: Vec::new(),
        costs: None,
    }
}

/// A sweep of two configurations: two runs of the sample, and one whose current infections
/// are twice as many.
pub fn doubled_sweep() -> JobReport {
    let mut r = report();
    let curve = r.configs[0].curves[0].clone();
    let mut doubled = curve.clone();
    for value in doubled.current_infections.iter_mut() {
        *value *= 2.0;
    }
    r.configs = vec![
        ConfigCurves {
            number: 1,
            label: "INF.transmissibility=1.2".into(),
            curves: vec![curve.clone(), curve],
        },
        ConfigCurves {
            number: 2,
            label: "INF.transmissibility=1.8".into(),
            curves: vec![doubled.clone()],
        },
    ];
    r.rows.push(RunRow {
        run_number: 3,
        config: 2,
        replicate: 1,
        status: "DONE".into(),
        reason: None,
        failure: None,
        attempts: 1,
        size: "1 vCPU, 256 MB".into(),
        size_why: "given with --vcpus/--memory".into(),
        cost: None,
        summary: Some(doubled.summary()),
    });
    r
}

/// Attempts of `hours` wall time each at 1 vCPU, `$0.01` an hour on Spot and `$0.03` on
/// On-Demand.
fn tally(attempts: usize, hours: f64) -> Tally {
    Tally {
        attempts,
        reserved_cpu_hours: hours * attempts as f64,
        used_cpu_hours: hours * attempts as f64 / 2.0,
        spot: Some(0.01 * hours * attempts as f64),
        on_demand: Some(0.03 * hours * attempts as f64),
    }
}

/// [`doubled_sweep`] with its costs: configuration 1's runs took 3 attempts, one of them
/// interrupted; configuration 2's run took 2, one of them out of memory.
pub fn priced_sweep() -> JobReport {
    let mut r = doubled_sweep();
    r.costs = Some(Costs {
        market: Market::Spot,
        breakdown: Breakdown {
            total: tally(5, 1.0),
            configurations: vec![
                ConfigCost {
                    config: 1,
                    runs: 2,
                    reused_runs: 0,
                    paid: tally(3, 1.0),
                    interrupted: tally(1, 1.0),
                    failed: tally(0, 1.0),
                },
                ConfigCost {
                    config: 2,
                    runs: 1,
                    reused_runs: 1,
                    paid: tally(2, 1.0),
                    interrupted: tally(0, 1.0),
                    failed: tally(1, 1.0),
                },
            ],
            interruptions: tally(1, 1.0),
            failed_attempts: FailedAttempts {
                tally: tally(1, 1.0),
                by_class: vec![ClassCount {
                    class: FailureClass::OutOfMemory,
                    attempts: 1,
                }],
            },
            useful: tally(3, 1.0),
        },
    });
    r
}
