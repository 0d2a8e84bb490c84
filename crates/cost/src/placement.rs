//! Bin-packing runs onto instance types: how many runs of one size fit an instance, and which
//! types carry such runs most cheaply.
//!
//! Terms:
//! - **request**: the vCPUs and memory (MiB) a job definition reserves per run;
//! - **usable memory**: what AWS Batch can give jobs on an instance. The ECS agent registers
//!   less than the installed memory (7985 of 8192 MiB on an m4.large, per AWS Batch's "Compute
//!   resource memory management") and the Batch AMI reserves 32 MiB more. So a run asking
//!   8192 MiB does not fit an 8 GiB instance: Batch launches a larger type for it;
//! - **runs per instance**: how many requests fit side by side, limited by vCPUs or memory;
//! - **hourly per run**: the instance's price divided by the runs it carries, i.e. what one
//!   run-hour costs when the fleet is full of such runs.

use fredbatch_core::Resources;
use serde::{Deserialize, Serialize};

use crate::error::CostError;
use crate::prices::{InstanceType, Market, PriceTable};

/// MiB the ECS agent registers per 8192 MiB installed (AWS's m4.large example).
const REGISTERED_PER_8192: u64 = 7985;
/// MiB the AWS Batch AMI keeps for the ECS agent and the system.
const RESERVED_MIB: u64 = 32;

/// Memory AWS Batch can place jobs into on `instance`.
pub fn usable_memory_mib(instance: &InstanceType) -> u64 {
    (instance.memory_mib() * REGISTERED_PER_8192 / 8192).saturating_sub(RESERVED_MIB)
}

/// How many runs of `request` fit one `instance` side by side (0 when none does).
pub fn runs_per_instance(request: &Resources, instance: &InstanceType) -> u32 {
    if request.vcpus == 0 || request.memory_mb == 0 {
        return 0;
    }
    let by_cpu = instance.vcpus / request.vcpus;
    let by_memory = usable_memory_mib(instance) / request.memory_mb;
    by_cpu.min(u32::try_from(by_memory).unwrap_or(u32::MAX))
}

/// One instance type filled with runs of one size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Packing {
    pub instance: String,
    pub family: String,
    pub market: Market,
    pub runs_per_instance: u32,
    /// Fractions of the instance's vCPUs and usable memory the runs reserve.
    pub vcpu_reserved: f64,
    pub memory_reserved: f64,
    pub instance_hourly: f64,
    pub hourly_per_run: f64,
}

impl Packing {
    pub fn new(
        table: &PriceTable,
        request: &Resources,
        instance: &InstanceType,
        market: Market,
    ) -> Option<Packing> {
        let runs = runs_per_instance(request, instance);
        if runs == 0 {
            return None;
        }
        let instance_hourly = table.hourly(instance, market);
        Some(Packing {
            instance: instance.name.clone(),
            family: instance.family().to_owned(),
            market,
            runs_per_instance: runs,
            vcpu_reserved: f64::from(runs * request.vcpus) / f64::from(instance.vcpus),
            memory_reserved: (u64::from(runs) * request.memory_mb) as f64
                / usable_memory_mib(instance) as f64,
            instance_hourly,
            hourly_per_run: instance_hourly / f64::from(runs),
        })
    }

    /// What one run of `wall_seconds` costs in this packing.
    pub fn cost(&self, wall_seconds: f64) -> f64 {
        self.hourly_per_run * wall_seconds / 3600.0
    }
}

/// Every type of `candidates` (all of the table when empty) that fits `request`, cheapest run-hour
/// first; among equals, the type left with less idle capacity first, then the smaller one.
pub fn rank(
    table: &PriceTable,
    request: &Resources,
    market: Market,
    candidates: &[String],
) -> Result<Vec<Packing>, CostError> {
    let mut types = Vec::new();
    if candidates.is_empty() {
        types.extend(table.instances.iter());
    } else {
        for name in candidates {
            types.push(table.get(name)?);
        }
    }
    let mut packings: Vec<Packing> = types
        .iter()
        .filter_map(|instance| Packing::new(table, request, instance, market))
        .collect();
    packings.sort_by(|a, b| {
        a.hourly_per_run
            .total_cmp(&b.hourly_per_run)
            .then(idle(a).total_cmp(&idle(b)))
            .then(a.runs_per_instance.cmp(&b.runs_per_instance))
    });
    Ok(packings)
}

fn idle(p: &Packing) -> f64 {
    (1.0 - p.vcpu_reserved) + (1.0 - p.memory_reserved)
}

/// The cheapest packing of `request` among `candidates`.
pub fn best(
    table: &PriceTable,
    request: &Resources,
    market: Market,
    candidates: &[String],
) -> Result<Packing, CostError> {
    rank(table, request, market, candidates)?
        .into_iter()
        .next()
        .ok_or_else(|| CostError::NoFit {
            vcpus: request.vcpus,
            memory_mb: request.memory_mb,
            types: if candidates.is_empty() {
                "of the price table".to_owned()
            } else {
                candidates.join(", ")
            },
        })
}

/// The instance types of the design's compute environment (`docs/design.md`): c5.xlarge and
/// c5.2xlarge.
pub fn default_instance_types() -> Vec<String> {
    vec!["c5.xlarge".to_owned(), "c5.2xlarge".to_owned()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(vcpus: u32, memory_mb: u64) -> Resources {
        Resources { vcpus, memory_mb }
    }

    #[test]
    fn usable_memory_follows_the_ecs_registration() {
        let table = PriceTable::bundled();
        assert_eq!(usable_memory_mib(table.get("c5.xlarge").unwrap()), 7953);
        assert_eq!(usable_memory_mib(table.get("c5.2xlarge").unwrap()), 15938);
    }

    #[test]
    fn the_default_job_definition_does_not_fit_a_c5_xlarge() {
        let table = PriceTable::bundled();
        let default = Resources::AWS_DEFAULT;
        assert_eq!(
            runs_per_instance(&default, table.get("c5.xlarge").unwrap()),
            0
        );
        // On a c5.2xlarge memory allows one such run, leaving 4 vCPUs idle.
        let p = best(
            &table,
            &default,
            Market::OnDemand,
            &default_instance_types(),
        )
        .unwrap();
        assert_eq!(
            (p.instance.as_str(), p.runs_per_instance),
            ("c5.2xlarge", 1)
        );
        assert_eq!(p.hourly_per_run, 0.34);
        assert_eq!(p.vcpu_reserved, 0.5);
    }

    #[test]
    fn small_runs_pack_by_cpu_on_compute_types() {
        let table = PriceTable::bundled();
        let small = req(1, 256);
        assert_eq!(
            runs_per_instance(&small, table.get("c5.xlarge").unwrap()),
            4
        );
        let ranked = rank(&table, &small, Market::OnDemand, &[]).unwrap();
        // c6a is the cheapest vCPU in the table: 0.0765 / 2 per run-hour.
        assert_eq!(ranked[0].family, "c6a");
        assert!((ranked[0].hourly_per_run - 0.03825).abs() < 1e-12);
        // Memory-optimized types come last for a run that needs no memory.
        assert_eq!(ranked.last().unwrap().family.chars().next(), Some('r'));
    }

    #[test]
    fn memory_bound_runs_pack_by_memory() {
        let table = PriceTable::bundled();
        let fat = req(1, 6000);
        let r5 = Packing::new(
            &table,
            &fat,
            table.get("r5.large").unwrap(),
            Market::OnDemand,
        );
        assert_eq!(r5.unwrap().runs_per_instance, 2);
        assert!(
            Packing::new(
                &table,
                &fat,
                table.get("c5.large").unwrap(),
                Market::OnDemand
            )
            .is_none()
        );
    }

    #[test]
    fn nothing_fits_is_an_error() {
        let table = PriceTable::bundled();
        let error = best(
            &table,
            &req(64, 1024),
            Market::Spot,
            &default_instance_types(),
        );
        assert!(matches!(error, Err(CostError::NoFit { .. })));
    }
}
