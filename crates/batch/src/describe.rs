//! Describing many runs in few requests.
//!
//! - Plain jobs, and array children asked for a few at a time, go to DescribeJobs in batches
//!   of 100 ids (its limit), a few batches at once.
//! - When many children of one array are asked for, the parent is described instead (in the
//!   same batches) for its status summary, and ListJobs with `arrayJobId` lists the children in
//!   each state the summary shows (up to 1000 per page): a thousand children cost a handful
//!   of requests instead of ten.
//! - A listed child that ended FAILED is described in full (its attempts' reasons, exit codes
//!   and log streams); so is any child a listing missed because the summary lagged behind.
//! - A run Spot gave up on is described as it goes on in the fallback queue (see
//!   [`crate::fallback`]).

use std::collections::{BTreeMap, HashMap, HashSet};

use aws_sdk_batch::types::{JobDetail, JobStatus, JobSummary};
use fredbatch_core::{BackendJob, BackendJobId, BackendState};
use futures::{StreamExt, TryStreamExt};

use crate::calls::{list_all_jobs, retrying};
use crate::children::split_child;
use crate::error::BatchError;
use crate::mapping::{from_detail, from_summary, job_status, state};
use crate::runner::Ready;

/// DescribeJobs takes at most 100 ids.
pub const DESCRIBE_BATCH: usize = 100;
/// ListJobs returns at most 1000 jobs per page when listing by status.
const LIST_PAGE: i32 = 1000;
/// Above this many children of one array, listing beats describing them by id.
const LIST_ABOVE: usize = DESCRIBE_BATCH;
/// Requests in flight at once for one refresh.
const PARALLEL: usize = 4;

pub async fn describe(
    ready: &Ready,
    ids: &[BackendJobId],
) -> Result<HashMap<BackendJobId, BackendJob>, BatchError> {
    let mut direct: Vec<String> = Vec::new();
    let mut children: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for id in ids {
        match split_child(&id.0) {
            Some((parent, _)) => children.entry(parent).or_default().push(&id.0),
            None => direct.push(id.0.clone()),
        }
    }
    let mut listed: Vec<(&str, Vec<&str>)> = Vec::new();
    for (parent, wanted) in children {
        if wanted.len() > LIST_ABOVE {
            direct.push(parent.to_owned());
            listed.push((parent, wanted));
        } else {
            direct.extend(wanted.iter().map(|id| (*id).to_owned()));
        }
    }
    direct.sort();
    direct.dedup();
    let details = describe_jobs(ready, &direct).await?;
    let parents: HashSet<&str> = listed.iter().map(|(parent, _)| *parent).collect();
    let mut found: HashMap<BackendJobId, BackendJob> = details
        .values()
        .filter(|d| d.job_id().is_some_and(|id| !parents.contains(id)))
        .filter_map(from_detail)
        .map(|job| (job.id.clone(), job))
        .collect();

    let mut queries = Vec::new();
    for (parent, _) in &listed {
        let summary = details
            .get(*parent)
            .and_then(|d| d.array_properties())
            .and_then(|a| a.status_summary());
        let statuses: Vec<JobStatus> = match summary {
            Some(counts) => counts
                .iter()
                .filter(|(_, count)| **count > 0)
                .map(|(status, _)| JobStatus::from(status.as_str()))
                .filter(|status| state(status).is_some())
                .collect(),
            None => BackendState::ALL.into_iter().map(job_status).collect(),
        };
        queries.extend(
            statuses
                .into_iter()
                .map(|status| ((*parent).to_owned(), status)),
        );
    }
    let listings: Vec<Vec<JobSummary>> = futures::stream::iter(queries)
        .map(|(parent, status): (String, JobStatus)| async move {
            list_children(ready, &parent, status).await
        })
        .buffer_unordered(PARALLEL)
        .try_collect()
        .await?;
    let wanted: HashSet<&str> = listed.iter().flat_map(|(_, w)| w.iter().copied()).collect();
    let mut again: Vec<String> = Vec::new();
    for summary in listings.iter().flatten() {
        let Some(id) = summary.job_id().filter(|id| wanted.contains(id)) else {
            continue;
        };
        if summary.status() == Some(&JobStatus::Failed) {
            again.push(id.to_owned());
        } else if let Some(job) = from_summary(summary) {
            found.insert(job.id.clone(), job);
        }
    }
    again.extend(
        wanted
            .iter()
            .filter(|id| !found.contains_key(&BackendJobId((**id).to_owned())))
            .filter(|id| !again.iter().any(|a| a == **id))
            .map(|id| (*id).to_owned())
            .collect::<Vec<_>>(),
    );
    if !again.is_empty() {
        let more = describe_jobs(ready, &again).await?;
        found.extend(
            more.values()
                .filter_map(from_detail)
                .map(|job| (job.id.clone(), job)),
        );
    }
    crate::fallback::continue_on_fallback(ready, &mut found).await?;
    Ok(found)
}

/// DescribeJobs for any number of ids, by job id.
pub async fn describe_jobs(
    ready: &Ready,
    ids: &[String],
) -> Result<HashMap<String, JobDetail>, BatchError> {
    // Owned batches: closures over borrowed items make the future lose `Send`.
    let batches: Vec<Vec<String>> = ids.chunks(DESCRIBE_BATCH).map(<[String]>::to_vec).collect();
    let batches: Vec<Vec<JobDetail>> = futures::stream::iter(batches)
        .map(|batch: Vec<String>| async move {
            let request = ready.clients.batch.describe_jobs().set_jobs(Some(batch));
            let output = retrying("DescribeJobs", || request.clone().send()).await?;
            Ok::<_, BatchError>(output.jobs().to_vec())
        })
        .buffer_unordered(PARALLEL)
        .try_collect()
        .await?;
    Ok(batches
        .into_iter()
        .flatten()
        .filter_map(|detail| Some((detail.job_id()?.to_owned(), detail)))
        .collect())
}

/// One job by id, `None` if AWS does not know it.
pub async fn describe_one(
    ready: &Ready,
    id: &BackendJobId,
) -> Result<Option<JobDetail>, BatchError> {
    Ok(describe_jobs(ready, std::slice::from_ref(&id.0))
        .await?
        .remove(&id.0))
}

/// The children of `parent` in `status`, every page.
async fn list_children(
    ready: &Ready,
    parent: &str,
    status: JobStatus,
) -> Result<Vec<JobSummary>, BatchError> {
    let query = ready
        .clients
        .batch
        .list_jobs()
        .array_job_id(parent)
        .job_status(status.clone())
        .max_results(LIST_PAGE);
    let mut jobs = list_all_jobs(query).await?;
    // Some emulators ignore the status filter for children; keep only what was asked.
    jobs.retain(|s| s.status() == Some(&status));
    Ok(jobs)
}
