//! Describing runs: one `squeue --json` for all of them, the job-completion log for those
//! slurmctld has forgotten, and each run's attempts gathered by name (the first submission,
//! then the retries this backend sent after interruptions).

use std::collections::HashMap;

use fredbatch_core::backend_jobs::attempt_name;
use fredbatch_core::{BackendAttempt, BackendJob, BackendJobId, BackendState};

use crate::cancel::{self, Cancelled, run_of};
use crate::error::SlurmError;
use crate::ids::SlurmId;
use crate::record::JobRecord;
use crate::retry::{self, Retry};
use crate::runner::SlurmRunner;
use crate::script::{Recorded, log_path};
use crate::snapshot::Snapshot;
use crate::state::{self, Mapped};

pub async fn describe(
    runner: &SlurmRunner,
    ids: &[BackendJobId],
) -> Result<HashMap<BackendJobId, BackendJob>, SlurmError> {
    let mut result = HashMap::with_capacity(ids.len());
    if ids.is_empty() {
        return Ok(result);
    }
    let now = Snapshot::fetch(&runner.slurm, &runner.config.store_tag()).await?;
    let parsed: Vec<(&BackendJobId, SlurmId)> = ids
        .iter()
        .filter_map(|id| Some((id, SlurmId::parse(&id.0)?)))
        .collect();
    let forgotten = parsed.iter().any(|(_, id)| now.find(id).is_none());
    let history = if forgotten {
        Snapshot::history(runner.jobcomp_log().await?.as_deref())?
    } else {
        Snapshot::default()
    };
    let mut retries = Vec::new();
    for (id, slurm_id) in parsed {
        let (source, record) = match (now.find(&slurm_id), history.find(&slurm_id)) {
            (Some(record), _) => (&now, record),
            (None, Some(record)) => (&history, record),
            (None, None) => {
                // An array task cancelled while pending leaves no trace in Slurm.
                if let Some(cancelled) = cancel::recorded(&runner.config.log_dir, id) {
                    result.insert(id.clone(), cancelled_before_start(id, cancelled));
                }
                continue;
            }
        };
        let view = view(runner, id, &slurm_id, record, source);
        if let Some(retry) = view.retry {
            retries.push(retry);
        }
        result.insert(id.clone(), view.job);
    }
    if !retries.is_empty() {
        for (id, error) in retry::resubmit(runner, &retries).await? {
            if let Some(job) = result.get_mut(&id) {
                job.state = BackendState::Failed;
                job.stopped_at = job.attempts.last().and_then(|a| a.stopped_at);
                job.status_reason = Some(format!(
                    "{}; sending the next attempt failed: {error}",
                    job.status_reason.as_deref().unwrap_or("interrupted")
                ));
            }
        }
    }
    Ok(result)
}

fn cancelled_before_start(id: &BackendJobId, cancelled: Cancelled) -> BackendJob {
    BackendJob {
        id: id.clone(),
        name: cancelled.name,
        state: BackendState::Failed,
        status_reason: Some(cancelled.reason),
        attempts: Vec::new(),
        started_at: None,
        stopped_at: None,
    }
}

struct View {
    job: BackendJob,
    retry: Option<Retry>,
}

/// One run as its first job and its retries say.
fn view(
    runner: &SlurmRunner,
    id: &BackendJobId,
    slurm_id: &SlurmId,
    first: &JobRecord,
    source: &Snapshot,
) -> View {
    let run = run_of(first, slurm_id);
    let mut records = vec![first];
    if let Some((job, number)) = run {
        for attempt in 2.. {
            match source.named(&attempt_name(job, number, attempt)).last() {
                Some(record) => records.push(record),
                None => break,
            }
        }
    }
    let latest = records[records.len() - 1];
    let cancelled = cancel::recorded(&runner.config.log_dir, id).map(|c| c.reason);
    let mapped = map_attempt(
        runner,
        id,
        records.len() as u32,
        latest,
        cancelled.as_deref(),
    );
    let attempts: Vec<BackendAttempt> = records
        .iter()
        .enumerate()
        // Only jobs that reached a node were attempts: one cancelled or refused while pending
        // has no node (and Slurm gives it a start time anyway).
        .filter(|(_, record)| record.state != "PENDING" && record.nodes.is_some())
        .map(|(i, record)| attempt(runner, id, i as u32 + 1, record, cancelled.as_deref()))
        .collect();
    let allowed = first
        .comment
        .as_deref()
        .and_then(Recorded::parse)
        .map_or(1, |recorded| recorded.attempts);
    let next = records.len() as u32 + 1;
    let retry = match (run, first.comment.as_deref().and_then(Recorded::parse)) {
        (Some((job, run_number)), Some(recorded))
            if mapped.interrupted && cancelled.is_none() && next <= allowed =>
        {
            Some(Retry {
                id: id.clone(),
                job,
                run_number,
                attempt: next,
                recorded,
            })
        }
        _ => None,
    };
    let Mapped {
        mut state,
        mut status_reason,
        ..
    } = mapped;
    if retry.is_some() {
        // The run is waiting for its next attempt, as an AWS Batch job retried after a Spot
        // interruption goes back to RUNNABLE.
        state = BackendState::Runnable;
        status_reason = Some(format!(
            "{}; attempt {next} of {allowed} sent",
            status_reason.unwrap_or_default()
        ));
    }
    if let (BackendState::Failed, Some(reason)) = (state, &cancelled) {
        // Whatever ended the last Slurm job (a pending retry vanishes when cancelled), fredbatch
        // stopped the run.
        status_reason = Some(reason.clone());
    }
    let stopped_at = state.is_final().then_some(latest.ended_at).flatten();
    View {
        job: BackendJob {
            id: id.clone(),
            name: cancel::run_name(first, slurm_id),
            state,
            status_reason,
            attempts,
            started_at: records.iter().find_map(|record| record.started_at),
            stopped_at,
        },
        retry,
    }
}

fn attempt(
    runner: &SlurmRunner,
    id: &BackendJobId,
    number: u32,
    record: &JobRecord,
    cancelled: Option<&str>,
) -> BackendAttempt {
    let mapped = map_attempt(runner, id, number, record, cancelled);
    let ended = mapped.state.is_final();
    BackendAttempt {
        exit_code: record
            .exit
            .filter(|exit| ended && exit.signal.is_none())
            .map(|exit| exit.code),
        status_reason: mapped.status_reason,
        reason: mapped.reason,
        started_at: record.started_at,
        stopped_at: ended.then_some(record.ended_at).flatten(),
        log_ref: Some(
            log_path(&runner.config.log_dir, &id.0, number)
                .display()
                .to_string(),
        ),
    }
}

/// Attempt `number`'s state, told apart as out of memory when Slurm's accounting killed it
/// for its memory (see [`state::MEMORY_KILL_LINE`]).
fn map_attempt(
    runner: &SlurmRunner,
    id: &BackendJobId,
    number: u32,
    record: &JobRecord,
    cancelled: Option<&str>,
) -> Mapped {
    let mapped = state::map(record, cancelled);
    let killed = record.state == "FAILED"
        && cancelled.is_none()
        && record.exit.is_some_and(|exit| exit.signal == Some(9))
        && log_tail_says(
            &log_path(&runner.config.log_dir, &id.0, number),
            state::MEMORY_KILL_LINE,
        );
    if killed {
        state::out_of_memory()
    } else {
        mapped
    }
}

/// Bytes of a log's end searched for Slurm's own lines.
const LOG_TAIL_BYTES: u64 = 64 * 1024;

/// Whether the last [`LOG_TAIL_BYTES`] of the log at `path` contain `line`. A log that cannot
/// be read (not on this machine's filesystem) says nothing.
fn log_tail_says(path: &std::path::Path, line: &str) -> bool {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let read = || -> std::io::Result<String> {
        let mut file = std::fs::File::open(path)?;
        let length = file.metadata()?.len();
        file.seek(SeekFrom::Start(length.saturating_sub(LOG_TAIL_BYTES)))?;
        let mut tail = Vec::new();
        file.read_to_end(&mut tail)?;
        Ok(String::from_utf8_lossy(&tail).into_owned())
    };
    match read() {
        Ok(tail) => tail.contains(line),
        Err(error) => {
            tracing::debug!(path = %path.display(), %error, "cannot read the attempt's log");
            false
        }
    }
}
