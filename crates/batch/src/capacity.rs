//! Whether a run of a given size can ever start on the job's queues, checked before a job is
//! registered: AWS Batch itself accepts a run no compute environment can place and leaves it
//! RUNNABLE (until the queue's `JobStateTimeLimitActions`, if any, cancel it).
//!
//! - **placeable**: what one instance type of a compute environment can give one run: its
//!   vCPUs (at most the environment's maxvCpus) and the memory AWS Batch can place on it
//!   ([`fredbatch_cost::placement::usable_memory_mib`]), sizes from the bundled price table;
//! - **unknown**: a compute environment whose types the table does not size exactly (a family
//!   such as `c5`, `optimal`, an unmanaged or Fargate environment). Its limits are not guessed:
//!   a queue with one is not judged, and nothing is refused.
//!
//! The main queue and, when there is one, the fallback queue are both checked: a run that fits
//! only Spot would wait for ever once it moved.

use aws_sdk_batch::types::ComputeEnvironmentDetail;
use fredbatch_core::{Ceiling, Resources};
use fredbatch_cost::PriceTable;
use fredbatch_cost::placement::usable_memory_mib;

use crate::calls::retrying;
use crate::error::BatchError;
use crate::runner::Ready;

/// The largest run one instance type of a compute environment can take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeable {
    pub instance_type: String,
    pub most: Resources,
}

/// What a queue's compute environments can place, per environment: `None` for an unknown one.
pub type QueueLimits = Vec<Option<Vec<Placeable>>>;

/// What one compute environment can place, from its instance types and maxvCpus.
pub fn placeable(
    table: &PriceTable,
    instance_types: &[String],
    max_vcpus: Option<u32>,
) -> Option<Vec<Placeable>> {
    if instance_types.is_empty() {
        return None;
    }
    instance_types
        .iter()
        .map(|name| {
            let instance = table.get(name).ok()?;
            Some(Placeable {
                instance_type: name.clone(),
                most: Resources {
                    vcpus: max_vcpus.map_or(instance.vcpus, |max| instance.vcpus.min(max)),
                    memory_mb: usable_memory_mib(instance),
                },
            })
        })
        .collect()
}

/// `Ok` when some environment of the queue can place `asked` (or one is unknown); else the
/// largest run any of them can place.
pub fn fits(limits: &QueueLimits, asked: &Resources) -> Result<(), Option<Placeable>> {
    if limits.is_empty() || limits.iter().any(Option::is_none) {
        return Ok(());
    }
    if limits
        .iter()
        .flatten()
        .flatten()
        .any(|p| asked.fits_in(&p.most))
    {
        return Ok(());
    }
    Err(largest(limits))
}

/// Refuses `asked` when a queue the job's runs may go to cannot place it.
pub async fn check_fits(ready: &Ready, asked: &Resources) -> Result<(), BatchError> {
    let table = PriceTable::bundled();
    let queues = std::iter::once(ready.config.job_queue.as_str())
        .chain(ready.config.fallback_queue.as_deref());
    for queue in queues {
        let limits = queue_limits(ready, &table, queue).await?;
        if let Err(largest) = fits(&limits, asked) {
            return Err(BatchError::TooLarge {
                asked: *asked,
                queue: queue.to_owned(),
                largest,
            });
        }
    }
    Ok(())
}

/// The largest run a retry may grow to: what the largest instance type can place, on the queue
/// that can place least when there is a fallback queue (a run may move there). `None` when a
/// queue has a compute environment the table cannot size.
pub async fn ceiling(ready: &Ready) -> Result<Option<Ceiling>, BatchError> {
    let table = PriceTable::bundled();
    let queues = std::iter::once(ready.config.job_queue.as_str())
        .chain(ready.config.fallback_queue.as_deref());
    let mut smallest: Option<Placeable> = None;
    for queue in queues {
        let Some(largest) = largest(&queue_limits(ready, &table, queue).await?) else {
            return Ok(None);
        };
        if smallest
            .as_ref()
            .is_none_or(|s| largest.most.memory_mb < s.most.memory_mb)
        {
            smallest = Some(largest);
        }
    }
    Ok(smallest.map(|p| Ceiling {
        resources: p.most,
        source: format!(
            "the largest instance type in the compute environment ({})",
            p.instance_type
        ),
    }))
}

/// The largest run any environment of a queue can place, when every one of them is known.
fn largest(limits: &QueueLimits) -> Option<Placeable> {
    if limits.iter().any(Option::is_none) {
        return None;
    }
    limits
        .iter()
        .flatten()
        .flatten()
        .max_by_key(|p| (p.most.memory_mb, p.most.vcpus))
        .cloned()
}

async fn queue_limits(
    ready: &Ready,
    table: &PriceTable,
    queue: &str,
) -> Result<QueueLimits, BatchError> {
    let request = ready.clients.batch.describe_job_queues().job_queues(queue);
    let described = retrying("DescribeJobQueues", || request.clone().send()).await?;
    let Some(found) = described.job_queues().first() else {
        return Err(BatchError::Invalid(format!(
            "job queue `{queue}` does not exist in this account and region; deploy the stack \
             (`fredbatch infra deploy`) or check the queue's name and AWS_REGION"
        )));
    };
    let arns: Vec<String> = found
        .compute_environment_order()
        .iter()
        .filter_map(|order| order.compute_environment().map(str::to_owned))
        .collect();
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    let request = ready
        .clients
        .batch
        .describe_compute_environments()
        .set_compute_environments(Some(arns));
    let described = retrying("DescribeComputeEnvironments", || request.clone().send()).await?;
    Ok(described
        .compute_environments()
        .iter()
        .map(|environment| environment_limits(table, environment))
        .collect())
}

fn environment_limits(
    table: &PriceTable,
    environment: &ComputeEnvironmentDetail,
) -> Option<Vec<Placeable>> {
    let resources = environment.compute_resources()?;
    let max_vcpus = resources
        .maxv_cpus()
        .and_then(|max| u32::try_from(max).ok());
    placeable(table, resources.instance_types(), max_vcpus)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    fn size(vcpus: u32, memory_mb: u64) -> Resources {
        Resources { vcpus, memory_mb }
    }

    #[test]
    fn a_run_fits_when_one_instance_type_can_place_it() {
        let table = PriceTable::bundled();
        let spot = placeable(&table, &types(&["c5.xlarge", "c5.2xlarge"]), Some(256));
        let limits = vec![spot];
        assert_eq!(fits(&limits, &Resources::AWS_DEFAULT), Ok(()));
        let largest = fits(&limits, &size(4, 32_000)).unwrap_err().unwrap();
        assert_eq!(largest.instance_type, "c5.2xlarge");
        assert!(largest.most.memory_mb < 16 * 1024, "{largest:?}");
        assert!(
            fits(&limits, &size(16, 1024)).is_err(),
            "more vCPUs than any type"
        );
        assert_eq!(super::largest(&limits).unwrap().instance_type, "c5.2xlarge");
        assert_eq!(
            super::largest(&vec![None]),
            None,
            "an unknown environment: no ceiling"
        );
    }

    #[test]
    fn max_vcpus_caps_what_an_environment_can_place() {
        let table = PriceTable::bundled();
        let limits = vec![placeable(&table, &types(&["c5.2xlarge"]), Some(4))];
        assert!(fits(&limits, &size(8, 1024)).is_err());
        assert_eq!(fits(&limits, &size(4, 1024)), Ok(()));
    }

    #[test]
    fn environments_the_table_cannot_size_are_not_judged() {
        let table = PriceTable::bundled();
        for unknown in [
            types(&["optimal"]),
            types(&["c5"]),
            types(&["x2iedn.32xlarge"]),
        ] {
            assert_eq!(placeable(&table, &unknown, Some(256)), None, "{unknown:?}");
        }
        let limits = vec![placeable(&table, &types(&["c5.xlarge"]), None), None];
        assert_eq!(fits(&limits, &size(64, 512_000)), Ok(()));
        assert_eq!(fits(&Vec::new(), &size(64, 512_000)), Ok(()));
    }
}
