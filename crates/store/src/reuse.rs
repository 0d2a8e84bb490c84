//! Finding DONE runs whose results another run can take, recording where a run's results
//! came from, and telling which stored results a deleted job must leave in place.
//!
//! Reuse stays within one owner: jobs of the command line (no owner) reuse each other's runs,
//! and an API user's jobs reuse only that user's, so deleting one's own job never depends on
//! another user and no user's results reach another. A deleted job's runs are never reused.

use fredbatch_core::fingerprint::{FingerprintPart, RunFingerprint};
use fredbatch_core::{JobId, RunId, RunStatus};
use serde::Serialize;
use sqlx::Row;

use crate::Store;
use crate::error::StoreError;
use crate::rows;
use crate::sql;

/// The inputs behind an attempt's results, recorded on the run when it commits.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunInputs {
    pub fingerprint: RunFingerprint,
    /// The run whose results it took, when it computed nothing.
    pub reused_from: Option<RunId>,
    /// Why it ran instead of reusing, when it ran.
    pub note: Option<String>,
}

/// A DONE run, named for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DoneRun {
    pub run_id: RunId,
    pub job_id: JobId,
    pub run_number: u32,
}

/// A DONE run whose results a run with the same fingerprint can take.
#[derive(Clone, Debug, PartialEq)]
pub struct Reusable {
    /// The run that computed them (a run that reused is never the source named).
    pub run: DoneRun,
    pub results_key: String,
    pub warnings: Vec<String>,
}

/// The DONE run nearest to a fingerprint, and the parts in which it differs.
#[derive(Clone, Debug, PartialEq)]
pub struct Nearest {
    pub run: DoneRun,
    pub differences: Vec<FingerprintPart>,
}

/// Which stored results a deleted job leaves in place, and which others it frees.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResultsRelease {
    /// Results prefixes of the job's own runs that runs of kept jobs took: leave them.
    pub kept: Vec<String>,
    /// Results prefixes of other (deleted) jobs that only this job's runs still used: remove
    /// them too.
    pub freed: Vec<String>,
}

/// Runs of jobs with the same owner as job `$J`, and not deleted (`r`: runs, `j`: jobs).
fn same_owner_as(job: &str) -> String {
    format!(
        "j.deleted_at IS NULL AND COALESCE(j.owner, 0) = \
         (SELECT COALESCE(owner, 0) FROM jobs WHERE id = {job})"
    )
}

/// The FRED run number of a run `r` (see `Run::fred_run`).
const FRED_RUN: &str = "CASE WHEN r.seed IS NULL THEN r.replicate ELSE 1 END";

impl Store {
    /// A DONE run with fingerprint `key` that job `job` may take the results of.
    pub async fn reusable_run(
        &self,
        job: JobId,
        key: &str,
    ) -> Result<Option<Reusable>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT COALESCE(r.reused_from, r.id) AS source, r.results_key, r.warnings \
             FROM runs r JOIN jobs j ON j.id = r.job_id \
             WHERE r.fingerprint = $1 AND r.status = {done} AND r.results_key IS NOT NULL \
             AND {owner} ORDER BY r.id LIMIT 1",
            done = sql::run_status(RunStatus::Done),
            owner = same_owner_as("$2"),
        ))
        .bind(key)
        .bind(job.0)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let source = self.run(RunId(row.try_get("source")?)).await?;
        Ok(Some(Reusable {
            run: DoneRun {
                run_id: source.id,
                job_id: source.job_id,
                run_number: source.run_number,
            },
            results_key: row.try_get("results_key")?,
            warnings: rows::warnings(&row)?,
        }))
    }

    /// The DONE run of the same model files nearest to `fingerprint` (the most parts in
    /// common, the latest first), for saying why a run could not reuse; `None` when no DONE
    /// run has these model files.
    pub async fn nearest_done_run(
        &self,
        job: JobId,
        fingerprint: &RunFingerprint,
    ) -> Result<Option<Nearest>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT COALESCE(r.reused_from, r.id) AS source, r.engine_digest, r.model_digest, \
             r.overrides_digest, {FRED_RUN} AS fred_run \
             FROM runs r JOIN jobs j ON j.id = r.job_id \
             WHERE r.model_digest = $1 AND r.status = {done} AND r.fingerprint IS NOT NULL \
             AND {owner} \
             ORDER BY (CASE WHEN r.engine_digest = $3 THEN 1 ELSE 0 END) \
             + (CASE WHEN r.overrides_digest = $4 THEN 1 ELSE 0 END) \
             + (CASE WHEN {FRED_RUN} = $5 THEN 1 ELSE 0 END) DESC, r.id DESC LIMIT 1",
            done = sql::run_status(RunStatus::Done),
            owner = same_owner_as("$2"),
        ))
        .bind(&fingerprint.model)
        .bind(job.0)
        .bind(&fingerprint.engine)
        .bind(&fingerprint.overrides)
        .bind(i64::from(fingerprint.fred_run))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let theirs = fingerprint_of(&row)?.expect("selected runs have fingerprints");
        // Named by the run that computed those results, not one that took them.
        let source = self.run(RunId(row.try_get("source")?)).await?;
        Ok(Some(Nearest {
            run: DoneRun {
                run_id: source.id,
                job_id: source.job_id,
                run_number: source.run_number,
            },
            differences: fingerprint.differences(&theirs),
        }))
    }

    /// What a DONE run's results came from; `None` for a run not DONE, or DONE before
    /// fingerprints were recorded.
    pub async fn run_inputs(&self, run: RunId) -> Result<Option<RunInputs>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT r.engine_digest, r.model_digest, r.overrides_digest, {FRED_RUN} AS fred_run, \
             r.reused_from, r.reuse_note FROM runs r WHERE r.id = $1"
        ))
        .bind(run.0)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::NoSuchRun(run));
        };
        fingerprint_of(&row)?
            .map(|fingerprint| -> Result<RunInputs, StoreError> {
                Ok(RunInputs {
                    fingerprint,
                    reused_from: row.try_get::<Option<i64>, _>("reused_from")?.map(RunId),
                    note: row.try_get("reuse_note")?,
                })
            })
            .transpose()
    }

    /// For a job being deleted (already marked so): which of its stored results other jobs
    /// took and must keep, and which results of deleted jobs only it still used.
    pub async fn results_release(&self, job: JobId) -> Result<ResultsRelease, StoreError> {
        let kept = sqlx::query_scalar(
            "SELECT DISTINCT r.results_key FROM runs r JOIN jobs j ON j.id = r.job_id \
             WHERE r.reused_from IS NOT NULL AND r.job_id <> $1 AND j.deleted_at IS NULL \
             AND r.results_key IN (SELECT results_key FROM runs WHERE job_id = $1 \
             AND reused_from IS NULL AND results_key IS NOT NULL) ORDER BY r.results_key",
        )
        .bind(job.0)
        .fetch_all(&self.pool)
        .await?;
        let freed = sqlx::query_scalar(
            "SELECT DISTINCT mine.results_key FROM runs mine \
             WHERE mine.job_id = $1 AND mine.reused_from IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM runs other JOIN jobs j ON j.id = other.job_id \
             WHERE other.results_key = mine.results_key AND other.job_id <> $1 \
             AND j.deleted_at IS NULL) ORDER BY mine.results_key",
        )
        .bind(job.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(ResultsRelease { kept, freed })
    }
}

/// The fingerprint in a row with the digests and `fred_run`; `None` when none was recorded.
fn fingerprint_of(row: &sqlx::any::AnyRow) -> Result<Option<RunFingerprint>, StoreError> {
    let engine: Option<String> = row.try_get("engine_digest")?;
    let model: Option<String> = row.try_get("model_digest")?;
    let overrides: Option<String> = row.try_get("overrides_digest")?;
    let (Some(engine), Some(model), Some(overrides)) = (engine, model, overrides) else {
        return Ok(None);
    };
    Ok(Some(RunFingerprint {
        engine,
        model,
        overrides,
        fred_run: row.try_get::<i64, _>("fred_run")? as u32,
    }))
}
