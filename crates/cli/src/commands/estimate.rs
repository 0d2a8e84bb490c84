//! `fredbatch run ... --estimate`: what a job would cost and how long it would take, from the
//! measured runs of earlier jobs of its model, with nothing stored or submitted.
//!
//! - **CPU-hours**: runs x vCPUs per run x the mean measured wall hours;
//! - **wall time**: the mean wall time once per round of runs that fit at once (this machine's
//!   capacity; on AWS Batch the design's 256 vCPUs; on Slurm it depends on the partition);
//! - **cost**: runs x what one run costs at its size on the instance type that packs it best
//!   among the design's, Spot to On-Demand.

use std::fmt;

use fredbatch_core::{BackendKind, Resources, SizeOrigin};
use fredbatch_cost::money::usd;
use fredbatch_cost::placement::{best, default_instance_types};
use fredbatch_cost::{Market, PriceTable};
use fredbatch_infra::contract::parameter::MAX_VCPUS_DEFAULT;
use serde::Serialize;

use crate::commands::job_size::JobSize;

#[derive(Serialize)]
pub struct Estimate {
    pub runs: u32,
    pub backend: BackendKind,
    pub size: Resources,
    pub size_origin: SizeOrigin,
    /// Measured runs of earlier jobs of this model the figures come from.
    pub measured_runs: usize,
    /// `None` (with everything below) without measured runs.
    pub mean_run_seconds: Option<f64>,
    pub cpu_hours: Option<f64>,
    /// Runs at once, where it is known.
    pub runs_at_once: Option<u32>,
    pub wall_seconds: Option<f64>,
    pub spot_usd: Option<f64>,
    pub on_demand_usd: Option<f64>,
}

impl Estimate {
    /// The estimate of `runs` runs at `size`, on `kind` (`local` offering `capacity`).
    pub fn new(runs: u32, kind: BackendKind, size: &JobSize, capacity: Resources) -> Estimate {
        let walls: Vec<f64> = size
            .history
            .iter()
            .map(|m| m.wall_seconds)
            .filter(|w| *w > 0.0)
            .collect();
        let mean = (!walls.is_empty()).then(|| walls.iter().sum::<f64>() / walls.len() as f64);
        let per_run = &size.resources;
        let runs_at_once = match kind {
            BackendKind::Local => Some(
                (capacity.vcpus / per_run.vcpus.max(1))
                    .min((capacity.memory_mb / per_run.memory_mb.max(1)) as u32),
            ),
            BackendKind::AwsBatch => Some(MAX_VCPUS_DEFAULT / per_run.vcpus.max(1)),
            BackendKind::Slurm => None,
        }
        .map(|n| n.clamp(1, runs.max(1)));
        let table = PriceTable::bundled();
        let cost = |market| {
            let packing = best(&table, per_run, market, &default_instance_types()).ok()?;
            Some(f64::from(runs) * packing.cost(mean?))
        };
        Estimate {
            runs,
            backend: kind,
            size: *per_run,
            size_origin: size.origin.clone(),
            measured_runs: walls.len(),
            mean_run_seconds: mean,
            cpu_hours: mean.map(|m| f64::from(runs) * f64::from(per_run.vcpus) * m / 3600.0),
            runs_at_once,
            wall_seconds: mean
                .zip(runs_at_once)
                .map(|(m, at_once)| f64::from(runs.div_ceil(at_once)) * m),
            spot_usd: cost(Market::Spot),
            on_demand_usd: cost(Market::OnDemand),
        }
    }
}

impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Runs:       {} on {}", self.runs, self.backend)?;
        writeln!(
            f,
            "Size:       {} per run ({})",
            self.size, self.size_origin
        )?;
        let Some(mean) = self.mean_run_seconds else {
            return write!(
                f,
                "No measured runs of this model yet, so nothing to estimate from: the job's \
                 first runs will measure it (run it, or `fredbatch profile` it, then ask again)."
            );
        };
        writeln!(
            f,
            "One run:    {} (mean of {} measured runs of this model)",
            duration(mean),
            self.measured_runs
        )?;
        if let Some(hours) = self.cpu_hours {
            writeln!(f, "CPU-hours:  {hours:.2} reserved")?;
        }
        match (self.wall_seconds, self.runs_at_once) {
            (Some(wall), Some(at_once)) => writeln!(
                f,
                "Wall time:  about {} ({at_once} runs at once)",
                duration(wall)
            )?,
            _ => writeln!(
                f,
                "Wall time:  depends on the partition's free CPUs: {} per round of runs",
                duration(mean)
            )?,
        }
        match (self.spot_usd, self.on_demand_usd) {
            (Some(spot), Some(on_demand)) => write!(
                f,
                "AWS cost:   {} (Spot) to {} (On-Demand)",
                usd(spot),
                usd(on_demand)
            ),
            _ => write!(
                f,
                "AWS cost:   no instance type of the design can place this size"
            ),
        }
    }
}

/// Seconds as people read them: tenths under a minute.
fn duration(seconds: f64) -> String {
    if seconds < 60.0 {
        return format!("{seconds:.1}s");
    }
    humantime::format_duration(std::time::Duration::from_secs(seconds.round() as u64)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use fredbatch_core::model::Measurements;

    fn size(history: &[f64]) -> JobSize {
        JobSize {
            resources: Resources {
                vcpus: 1,
                memory_mb: 256,
            },
            origin: SizeOrigin::Given,
            key: "k".into(),
            history: history
                .iter()
                .map(|wall| Measurements {
                    wall_seconds: *wall,
                    cpu_seconds: *wall,
                    peak_rss_kb: 100_000,
                    output_bytes: 0,
                })
                .collect(),
        }
    }

    #[test]
    fn rounds_of_runs_at_once_make_the_wall_time() {
        let machine = Resources {
            vcpus: 2,
            memory_mb: 8192,
        };
        let e = Estimate::new(10, BackendKind::Local, &size(&[50.0, 70.0]), machine);
        assert_eq!(e.mean_run_seconds, Some(60.0));
        assert_eq!(e.runs_at_once, Some(2));
        assert_eq!(e.wall_seconds, Some(300.0), "5 rounds of 60 s");
        assert!((e.cpu_hours.unwrap() - 10.0 * 60.0 / 3600.0).abs() < 1e-9);
        let (spot, on_demand) = (e.spot_usd.unwrap(), e.on_demand_usd.unwrap());
        assert!(spot > 0.0 && spot < on_demand, "{spot} {on_demand}");
        assert!(e.to_string().contains("2 runs at once"), "{e}");
    }

    #[test]
    fn without_history_it_says_the_first_runs_will_measure() {
        let e = Estimate::new(4, BackendKind::Slurm, &size(&[]), Resources::LOCAL_DEFAULT);
        assert_eq!(e.cpu_hours, None);
        assert_eq!(e.spot_usd, None);
        assert!(e.to_string().contains("first runs will measure"), "{e}");
    }
}
