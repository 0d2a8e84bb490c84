//! Right-sizing: from measured runs, the vCPUs and memory a job definition should ask for, and
//! what a run costs at that size beside the stack's default job definition
//! (4 vCPU / 8192 MB).
//!
//! The rule is [`fredbatch_core::sizing`]'s, the one every learned size follows; a
//! recommendation states it.

use fredbatch_core::Resources;
use fredbatch_core::model::Measurements;
use fredbatch_core::sizing::{CPU_TOLERANCE, Fit, MEMORY_STEP_MIB, fit};
use serde::{Deserialize, Serialize};

use crate::error::CostError;
use crate::placement::{Packing, best, default_instance_types, rank};
use crate::prices::{Market, PriceTable};
use crate::usage::floor_cost;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recommendation {
    pub vcpus: u32,
    pub memory_mb: u64,
    pub busiest_cores: f64,
    pub largest_peak_mib: f64,
    pub memory_headroom: f64,
    pub rule: String,
}

impl Recommendation {
    pub fn resources(&self) -> Resources {
        Resources {
            vcpus: self.vcpus,
            memory_mb: self.memory_mb,
        }
    }

    /// The command that runs a job at this size.
    pub fn run_command(&self, model_dir: &str) -> String {
        format!(
            "fredbatch run {model_dir} --vcpus {} --memory {}",
            self.vcpus, self.memory_mb
        )
    }

    /// The job definition's template parameters at this size.
    pub fn template_parameters(&self) -> String {
        format!("JobVcpus={} JobMemory={}", self.vcpus, self.memory_mb)
    }
}

pub fn recommend(runs: &[Measurements], memory_headroom: f64) -> Result<Recommendation, CostError> {
    let fit = fit(runs, memory_headroom).ok_or(CostError::NoMeasurements)?;
    let Fit {
        busiest_cores,
        largest_peak_mib,
        ..
    } = fit;
    Ok(Recommendation {
        vcpus: fit.resources.vcpus,
        memory_mb: fit.resources.memory_mb,
        busiest_cores,
        largest_peak_mib,
        memory_headroom,
        rule: format!(
            "vCPUs: busiest run's CPU-seconds/wall ({busiest_cores:.2}) rounded up to whole vCPUs \
             ({:.0}% tolerance, no headroom: short CPU slows, never kills); memory: largest peak \
             RSS ({largest_peak_mib:.0} MiB) + {:.0}% headroom, rounded up to {MEMORY_STEP_MIB} MiB",
            CPU_TOLERANCE * 100.0,
            memory_headroom * 100.0
        ),
    })
}

/// Cost per run three ways, for one set of measured runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub market: Market,
    pub mean_wall_seconds: f64,
    /// The stack's default job definition (4 vCPU / 8192 MB) on the design's compute
    /// environment (c5.xlarge, c5.2xlarge).
    pub stack_default: Packing,
    pub stack_default_per_run: f64,
    /// The recommended size on the type that packs it best.
    pub right_sized: Packing,
    pub right_sized_per_run: f64,
    /// The other types, best first.
    pub alternatives: Vec<Packing>,
    /// What the runs used, on the right-sized packing's family.
    pub floor_per_run: f64,
    pub stack_default_over_floor: f64,
    pub right_sized_over_floor: f64,
}

pub fn compare(
    table: &PriceTable,
    runs: &[Measurements],
    recommendation: &Recommendation,
    market: Market,
    instance_types: &[String],
) -> Result<Comparison, CostError> {
    if runs.is_empty() {
        return Err(CostError::NoMeasurements);
    }
    let n = runs.len() as f64;
    let mean_wall_seconds = runs.iter().map(|m| m.wall_seconds).sum::<f64>() / n;
    let stack_default = best(
        table,
        &Resources::AWS_DEFAULT,
        market,
        &default_instance_types(),
    )?;
    let mut ranked = rank(table, &recommendation.resources(), market, instance_types)?;
    if ranked.is_empty() {
        best(table, &recommendation.resources(), market, instance_types)?;
    }
    let right_sized = ranked.remove(0);
    let floor_per_run = runs
        .iter()
        .map(|m| floor_cost(table, &right_sized.family, market, m))
        .sum::<f64>()
        / n;
    let stack_default_per_run = runs
        .iter()
        .map(|m| stack_default.cost(m.wall_seconds))
        .sum::<f64>()
        / n;
    let right_sized_per_run = runs
        .iter()
        .map(|m| right_sized.cost(m.wall_seconds))
        .sum::<f64>()
        / n;
    Ok(Comparison {
        market,
        mean_wall_seconds,
        stack_default_over_floor: stack_default_per_run / floor_per_run,
        right_sized_over_floor: right_sized_per_run / floor_per_run,
        stack_default,
        stack_default_per_run,
        right_sized,
        right_sized_per_run,
        alternatives: ranked,
        floor_per_run,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(wall: f64, cpu: f64, peak_mib: u64) -> Measurements {
        Measurements {
            wall_seconds: wall,
            cpu_seconds: cpu,
            peak_rss_kb: peak_mib * 1024,
            output_bytes: 0,
        }
    }

    #[test]
    fn a_single_threaded_fred_run_gets_one_vcpu() {
        // FRED's README: 1.5 s wall, 97% of one CPU, 137 MB peak.
        let r = recommend(&[run(1.5, 1.455, 137), run(1.6, 1.5, 140)], 0.25).unwrap();
        assert_eq!(r.vcpus, 1);
        // 140 MiB × 1.25 = 175 MiB, rounded up to 256.
        assert_eq!(r.memory_mb, 256);
        assert_eq!(r.template_parameters(), "JobVcpus=1 JobMemory=256");
        assert_eq!(
            r.run_command("examples/influenza"),
            "fredbatch run examples/influenza --vcpus 1 --memory 256"
        );
    }

    #[test]
    fn sizes_round_to_whole_vcpus_and_memory_steps() {
        // 1.05 busy cores is noise on one core; 1.5 needs two; 3.9 needs four.
        assert_eq!(recommend(&[run(10.0, 10.5, 1)], 0.0).unwrap().vcpus, 1);
        assert_eq!(recommend(&[run(10.0, 15.0, 1)], 0.0).unwrap().vcpus, 2);
        assert_eq!(recommend(&[run(10.0, 39.0, 1)], 0.0).unwrap().vcpus, 4);
        // Exactly 512 MiB needs no rounding; 513 MiB takes the next step.
        assert_eq!(
            recommend(&[run(1.0, 1.0, 512)], 0.0).unwrap().memory_mb,
            512
        );
        assert_eq!(
            recommend(&[run(1.0, 1.0, 410)], 0.25).unwrap().memory_mb,
            768
        );
        let r = recommend(&[run(1.0, 0.1, 3000)], 0.5).unwrap();
        assert_eq!(r.memory_mb % MEMORY_STEP_MIB, 0);
        assert!(r.memory_mb as f64 >= 4500.0);
    }

    #[test]
    fn nothing_measured_is_an_error() {
        assert!(matches!(
            recommend(&[], 0.25),
            Err(CostError::NoMeasurements)
        ));
    }

    #[test]
    fn right_sized_is_near_the_floor_and_the_default_far_above() {
        let table = PriceTable::bundled();
        let runs = [run(1800.0, 1750.0, 137), run(1700.0, 1690.0, 140)];
        let r = recommend(&runs, 0.25).unwrap();
        let c = compare(&table, &runs, &r, Market::Spot, &[]).unwrap();
        assert!(
            c.right_sized_over_floor < 1.25,
            "{}",
            c.right_sized_over_floor
        );
        assert!(c.right_sized_over_floor >= 1.0);
        // The default holds a c5.2xlarge per run: 8 vCPUs for one busy core.
        assert_eq!(c.stack_default.instance, "c5.2xlarge");
        assert!(
            c.stack_default_over_floor > 7.0,
            "{}",
            c.stack_default_over_floor
        );
    }
}
