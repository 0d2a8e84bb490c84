//! The largest run the job queue's compute environments can place: the largest instance type
//! they allow, as the bundled instance table knows it, with the memory AWS Batch can really
//! give jobs on it (less than installed, see `fredbatch_cost::placement`).
//!
//! A compute environment names exact types (`c5.2xlarge`), whole families (`c5`), or
//! `optimal` (AWS's choice among the c4, m4 and r4 families). A name the table does not know
//! is left out: without any known name there is no ceiling to tell.

use fredbatch_core::{Ceiling, Resources};
use fredbatch_cost::placement::usable_memory_mib;
use fredbatch_cost::{InstanceType, PriceTable};

use crate::calls::retrying;
use crate::error::BatchError;
use crate::runner::Ready;

/// The families `optimal` stands for.
const OPTIMAL_FAMILIES: [&str; 3] = ["c4", "m4", "r4"];

/// The largest run some instance type of the queue's compute environments can take.
pub async fn ceiling(ready: &Ready) -> Result<Option<Ceiling>, BatchError> {
    let request = ready
        .clients
        .batch
        .describe_job_queues()
        .job_queues(&ready.config.job_queue);
    let queues = retrying("DescribeJobQueues", || request.clone().send()).await?;
    let environments: Vec<String> = queues
        .job_queues()
        .iter()
        .flat_map(|queue| queue.compute_environment_order())
        .filter_map(|order| order.compute_environment().map(str::to_owned))
        .collect();
    if environments.is_empty() {
        return Ok(None);
    }
    let request = ready
        .clients
        .batch
        .describe_compute_environments()
        .set_compute_environments(Some(environments));
    let described = retrying("DescribeComputeEnvironments", || request.clone().send()).await?;
    let allowed: Vec<String> = described
        .compute_environments()
        .iter()
        .filter_map(|environment| environment.compute_resources())
        .flat_map(|resources| resources.instance_types().iter().cloned())
        .collect();
    Ok(largest(&PriceTable::bundled(), &allowed))
}

/// The largest of the instance types `allowed` names (by usable memory, then vCPUs).
pub fn largest(table: &PriceTable, allowed: &[String]) -> Option<Ceiling> {
    let mut known: Vec<&InstanceType> = Vec::new();
    for name in allowed {
        if let Ok(instance) = table.get(name) {
            known.push(instance);
        } else if name == "optimal" {
            known.extend(OPTIMAL_FAMILIES.iter().flat_map(|f| table.family(f)));
        } else if !name.contains('.') {
            known.extend(table.family(name));
        } else {
            tracing::debug!(instance_type = %name, "not in the instance table: left out of the ceiling");
        }
    }
    let largest = known
        .into_iter()
        .max_by_key(|instance| (usable_memory_mib(instance), instance.vcpus))?;
    Some(Ceiling {
        resources: Resources {
            vcpus: largest.vcpus,
            memory_mb: usable_memory_mib(largest),
        },
        source: format!(
            "the largest instance type in the compute environment ({})",
            largest.name
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_allowed_type_sets_the_ceiling_with_its_usable_memory() {
        let table = PriceTable::bundled();
        let ceiling = largest(&table, &["c5.xlarge".into(), "c5.2xlarge".into()]).unwrap();
        assert_eq!(
            ceiling.resources,
            Resources {
                vcpus: 8,
                memory_mb: 15938
            }
        );
        assert!(ceiling.source.contains("c5.2xlarge"), "{}", ceiling.source);
        let family = largest(&table, &["c5".into()]).unwrap();
        assert!(family.resources.memory_mb > ceiling.resources.memory_mb);
        assert_eq!(largest(&table, &["x9.nothing".into()]), None);
    }
}
