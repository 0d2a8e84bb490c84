//! Whether an attempt computes its run or takes the results of an identical run already DONE
//! (see `fredbatch_core::fingerprint`), and, when it computes, why it could not reuse.

use fredbatch_core::Job;
use fredbatch_core::fingerprint::RunFingerprint;
use fredbatch_core::keys::manifest_key;
use fredbatch_storage::Storage;
use fredbatch_store::{Reusable, Store};

use crate::WorkerError;

/// What the attempt does.
pub enum Decision {
    /// Take these results; FRED is not run.
    Take(Reusable),
    /// Run FRED; `note` says why no earlier run's results would do.
    Compute { note: String },
}

pub async fn decide(
    store: &Store,
    results: &Storage,
    job: &Job,
    fingerprint: &RunFingerprint,
) -> Result<Decision, WorkerError> {
    if !job.reuse {
        return Ok(Decision::Compute {
            note: "reuse is off for this job (--no-reuse)".into(),
        });
    }
    if let Some(found) = store.reusable_run(job.id, &fingerprint.key()).await? {
        // Results removed by hand (or by a store outside fredbatch's care) cannot be taken.
        if results.exists(&manifest_key(&found.results_key)).await? {
            return Ok(Decision::Take(found));
        }
        return Ok(Decision::Compute {
            note: format!(
                "run {} of job {} had identical inputs, but its results are gone",
                found.run.run_number, found.run.job_id
            ),
        });
    }
    let note = match store.nearest_done_run(job.id, fingerprint).await? {
        None => "no DONE run has these model files".to_owned(),
        Some(nearest) => {
            let parts: Vec<String> = nearest.differences.iter().map(|p| p.to_string()).collect();
            format!(
                "the nearest DONE run (run {} of job {}) differs in {}",
                nearest.run.run_number,
                nearest.run.job_id,
                parts.join(" and ")
            )
        }
    };
    Ok(Decision::Compute { note })
}
