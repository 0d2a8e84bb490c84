//! Every job Slurm knows at one moment, indexed by backend id and by name, so describing 10,000
//! runs takes one `squeue --json` and hash lookups.

use std::collections::HashMap;
use std::path::Path;

use crate::error::SlurmError;
use crate::ids::SlurmId;
use crate::record::JobRecord;
use crate::tools::{Slurm, Tool};
use crate::{jobcomp, squeue};

#[derive(Debug, Default)]
pub struct Snapshot {
    pub jobs: Vec<JobRecord>,
    by_id: HashMap<SlurmId, usize>,
    /// Array id → its pending remainders.
    remainders: HashMap<u64, Vec<usize>>,
    by_name: HashMap<String, Vec<usize>>,
}

impl Snapshot {
    /// Later records replace earlier ones with the same id (a log appends as jobs end).
    pub fn new(jobs: Vec<JobRecord>) -> Snapshot {
        let mut snapshot = Snapshot::default();
        for (i, job) in jobs.iter().enumerate() {
            match job.id() {
                Some(id) => {
                    snapshot.by_id.insert(id, i);
                }
                None => snapshot
                    .remainders
                    .entry(job.array_job_id.unwrap_or(job.job_id))
                    .or_default()
                    .push(i),
            }
            snapshot
                .by_name
                .entry(job.name.clone())
                .or_default()
                .push(i);
        }
        snapshot.jobs = jobs;
        snapshot
    }

    /// What `squeue --json` says now about the jobs of the store tagged `store` (see
    /// [`crate::script::belongs_to`]).
    pub async fn fetch(slurm: &Slurm, store: &str) -> Result<Snapshot, SlurmError> {
        let text = slurm.run(Tool::Squeue, &["--json".to_owned()]).await?;
        let mut jobs = squeue::parse(&text)?;
        jobs.retain(|job| crate::script::belongs_to(job.comment.as_deref(), store));
        Ok(Snapshot::new(jobs))
    }

    /// What the job-completion log says (nothing when there is none).
    pub fn history(path: Option<&Path>) -> Result<Snapshot, SlurmError> {
        match path {
            Some(path) => Ok(Snapshot::new(jobcomp::read(path)?)),
            None => Ok(Snapshot::default()),
        }
    }

    /// The record of a plain job or task; for a task still pending, its array's remainder.
    pub fn find(&self, id: &SlurmId) -> Option<&JobRecord> {
        if let Some(&i) = self.by_id.get(id) {
            return Some(&self.jobs[i]);
        }
        let SlurmId::Task { array, .. } = id else {
            return None;
        };
        self.remainders
            .get(array)?
            .iter()
            .map(|&i| &self.jobs[i])
            .find(|job| job.covers(id))
    }

    /// The jobs named `name`, newest (highest job id) last.
    pub fn named(&self, name: &str) -> Vec<&JobRecord> {
        let mut jobs: Vec<&JobRecord> = self
            .by_name
            .get(name)
            .map(|indexes| indexes.iter().map(|&i| &self.jobs[i]).collect())
            .unwrap_or_default();
        jobs.sort_by_key(|job| job.job_id);
        jobs
    }

    /// Names of jobs that start with `prefix`.
    pub fn names_starting_with<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> {
        self.by_name
            .keys()
            .map(String::as_str)
            .filter(move |name| name.starts_with(prefix))
    }
}

#[cfg(test)]
mod tests;
