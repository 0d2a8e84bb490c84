//! The records fredbatch keeps: jobs, their runs, and each run's attempts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::backend::BackendTarget;
use crate::budget::Budget;
use crate::failure::FailureClass;
use crate::growth::{RetryPolicy, RunSize};
use crate::ids::{BackendJobId, JobId, RunId};
use crate::params::ParamOverride;
use crate::resources::Resources;
use crate::sizing::{LearnedFrom, SizeOrigin};
use crate::status::{BackendState, RunStatus};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: JobId,
    /// The model directory's name, for people.
    pub name: String,
    /// The model directory as the user gave it.
    pub model_dir: String,
    /// The main program file inside the model directory, e.g. `main.fred`.
    pub program: String,
    /// Overrides every run of the job gets (`--param`), before its configuration's own.
    pub params: Vec<ParamOverride>,
    /// Runs in all, across every configuration.
    pub run_count: u32,
    /// How many configurations the job holds (1 unless it is a sweep).
    pub config_count: u32,
    pub resources: Resources,
    /// Attempts allowed per run, interruptions not counted (see [`crate::growth`]).
    pub max_attempts: u32,
    /// Each attempt is terminated after this long (unless a retry gave the run longer).
    pub attempt_timeout_seconds: u64,
    /// What a failed attempt's run gets next: more memory, more time, the same again.
    #[serde(default)]
    pub retry_policy: RetryPolicy,
    /// Which backend runs it and where on it its runs go (for AWS Batch: the queue, job
    /// definition and log group), as recorded when it was registered, so later commands reach
    /// them whatever the environment says. In JSON: `"backend": "<kind>"` and, unless local,
    /// `"backend_target": {...}`.
    #[serde(flatten)]
    pub backend: BackendTarget,
    /// Where the job's inputs were stored (a storage key prefix).
    pub inputs_key: String,
    pub created_at: DateTime<Utc>,
    /// Why the job cannot go on as it is, when something stops it as a whole (e.g. a server on
    /// another backend than the job's refused to supervise it); `None` once it is supervised.
    #[serde(default)]
    pub status_reason: Option<String>,
    /// The model could not be checked where the job was submitted (no FRED there): its first
    /// run is the check, and the other runs are submitted only once it ended without FRED's
    /// errors or warnings. Cleared once the first run decided.
    #[serde(default)]
    pub first_run_checks: bool,
    /// Whether its runs may take the results of identical runs already DONE (see
    /// [`crate::fingerprint`]); `--no-reuse` turns it off. Its own DONE runs can be reused
    /// either way.
    #[serde(default = "reuse_by_default")]
    pub reuse: bool,
    /// How its runs got their size: given, learned from measured runs, or being measured by
    /// its first wave (see [`crate::sizing`]).
    #[serde(default = "given")]
    pub size_origin: SizeOrigin,
    /// Its model's size key ([`crate::sizing::size_key`]): later jobs of the same model learn
    /// their size from its measured runs. `None` for jobs registered without one (API jobs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_key: Option<String>,
    /// What its runs may cost in all; `None`: no limit (see [`crate::budget`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Budget>,
}

fn reuse_by_default() -> bool {
    true
}

fn given() -> SizeOrigin {
    SizeOrigin::Given
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub id: RunId,
    pub job_id: JobId,
    /// The run's place in its job, 1..=run_count across every configuration: its natural key
    /// (backend job names, array indexes, result and log prefixes).
    pub run_number: u32,
    /// Which configuration of the job it runs (1-based).
    pub config: u32,
    /// Its replicate within the configuration (1-based): the FRED run number (`-r`), so
    /// replicate r of every configuration draws the same random numbers.
    pub replicate: u32,
    /// The FRED run number it runs as (`-r`, its `RUN<n>/` folder): its replicate, or 1 for a
    /// run with a seed of its own (an API run request's), whose seed alone sets its random
    /// numbers, so the same seed always gives the same results.
    pub fred_run: u32,
    pub status: RunStatus,
    pub status_reason: Option<String>,
    pub attempts: u32,
    pub backend_job_id: Option<BackendJobId>,
    pub backend_state: Option<BackendState>,
    pub cancel_requested: bool,
    /// How many times its owner asked for it again after it ended ERROR (through the API):
    /// each time it is a new backend job, named apart from the ones before.
    #[serde(default)]
    pub retries: u32,
    /// The committed attempt's results prefix; set only when the run is DONE.
    pub results_key: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// What FRED warned of in the latest attempt (statements it ignored, e.g. a misspelt key).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The size its next or current attempt runs with, once a retry made it differ from its
    /// job's ([`Job::size`]); `None` while it runs at its job's size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<RunSize>,
    /// For a DONE run that computed nothing: the run that did, whose results it has.
    #[serde(default)]
    pub reused_from: Option<RunId>,
}

/// One configuration of a job: the model keys its runs set, besides the job's own overrides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// 1-based, in the order the sweep or design gave them.
    pub number: u32,
    pub params: Vec<ParamOverride>,
}

impl Job {
    /// The size every run of the job starts with.
    pub fn size(&self) -> RunSize {
        RunSize {
            resources: self.resources,
            timeout_seconds: self.attempt_timeout_seconds,
        }
    }

    /// The size `run`'s next or current attempt runs with.
    pub fn size_of(&self, run: &Run) -> RunSize {
        run.size.unwrap_or_else(|| self.size())
    }

    /// What `run` runs (or ran) with, and why: its job's size and how it was found, the
    /// default for a run of the first wave that measured it, or what a retry gave it.
    pub fn run_size(&self, run: &Run) -> (Resources, String) {
        if let Some(size) = run.size {
            return (
                size.resources,
                "changed by a retry after an attempt ran out (see its attempts)".into(),
            );
        }
        match &self.size_origin {
            SizeOrigin::Learned {
                from: LearnedFrom::FirstWave { wave, measured_at },
                ..
            } if run.run_number <= *wave => (
                *measured_at,
                format!("the default: one of the first {wave} runs, which measured the model"),
            ),
            origin => (self.resources, origin.to_string()),
        }
    }

    /// Whether some of its runs may wait for others before they are submitted: for the first
    /// run to check the model, for the first wave to measure the size of the rest, for runs
    /// to end before the budget lets more start.
    pub fn holds_runs(&self) -> bool {
        self.first_run_checks || self.size_origin.is_measuring() || self.budget.is_some()
    }

    /// Whether the job is a sweep (more than one configuration), which changes how its runs'
    /// results are laid out and reported.
    pub fn is_sweep(&self) -> bool {
        self.config_count > 1
    }
}

impl Run {
    /// What kind of failure ended the run, for a run that ended ERROR.
    pub fn failure(&self) -> Option<FailureClass> {
        (self.status == RunStatus::Error)
            .then(|| FailureClass::of(self.status_reason.as_deref().unwrap_or_default()))
    }

    /// Where the run's results go in a job's results folder: `run-<N>/`, or
    /// `config-<k>/run-<N>/` when the job is a sweep. N is the run number within the job
    /// everywhere (stored results, tables, `--run N`); FRED's own `RUN<r>/` inside names the
    /// FRED run.
    pub fn results_dir(&self, sweep: bool) -> String {
        if sweep {
            format!("config-{}/run-{}", self.config, self.run_number)
        } else {
            format!("run-{}", self.run_number)
        }
    }

    /// Wall time from the first start to the end, or to now while running.
    pub fn duration(&self, now: DateTime<Utc>) -> Option<chrono::Duration> {
        let start = self.started_at?;
        Some(self.finished_at.unwrap_or(now) - start)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AttemptStatus {
    Running,
    Succeeded,
    Failed,
    /// Stopped from outside (terminate, timeout, Spot reclaim) before FRED finished.
    Interrupted,
}

impl AttemptStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptStatus::Running => "RUNNING",
            AttemptStatus::Succeeded => "SUCCEEDED",
            AttemptStatus::Failed => "FAILED",
            AttemptStatus::Interrupted => "INTERRUPTED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Running,
            Self::Succeeded,
            Self::Failed,
            Self::Interrupted,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

/// One execution of a run, as the worker recorded it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub run_id: RunId,
    pub number: u32,
    pub backend_job_id: Option<BackendJobId>,
    pub status: AttemptStatus,
    pub reason: Option<String>,
    pub exit_code: Option<i32>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub measurements: Option<Measurements>,
    /// Where this attempt's outputs were uploaded (committed or not).
    pub results_key: Option<String>,
    /// Where this attempt's log is (a CloudWatch log stream, a file), from the backend.
    pub log_ref: Option<String>,
    /// FRED's warning lines (`warnings.txt`) of this attempt.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The vCPUs, memory and time limit it ran with (unknown for attempts recorded before
    /// sizes were).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<RunSize>,
}

impl Attempt {
    /// What kind of failure ended the attempt, for one that failed or was stopped.
    pub fn failure(&self) -> Option<FailureClass> {
        let reason = self.reason.as_deref().unwrap_or_default();
        match self.status {
            AttemptStatus::Running | AttemptStatus::Succeeded => None,
            // Stopped from outside: a timeout says so; anything else is an interruption.
            AttemptStatus::Interrupted => Some(match FailureClass::of(reason) {
                FailureClass::OverTime => FailureClass::OverTime,
                FailureClass::OutOfMemory => FailureClass::OutOfMemory,
                _ => FailureClass::Interrupted,
            }),
            AttemptStatus::Failed => Some(FailureClass::of(reason)),
        }
    }
}

/// What the engine process used, from the kernel's accounting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Measurements {
    pub wall_seconds: f64,
    /// User + system CPU time of the engine and the children it waited for.
    pub cpu_seconds: f64,
    pub peak_rss_kb: u64,
    pub output_bytes: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::SlurmTarget;

    /// A job's JSON (`fredbatch status --output json`) names its backend as before typed
    /// targets: `"backend": "<kind>"`, with the target beside it.
    #[test]
    fn a_jobs_json_names_its_backend_and_target_side_by_side() {
        let job = Job {
            budget: None,
            size_key: None,
            size_origin: crate::SizeOrigin::Given,
            id: JobId(7),
            name: "flu".into(),
            model_dir: "/m".into(),
            program: "main.fred".into(),
            params: Vec::new(),
            run_count: 1,
            config_count: 1,
            resources: Resources::LOCAL_DEFAULT,
            max_attempts: 3,
            attempt_timeout_seconds: 60,
            retry_policy: RetryPolicy::default(),
            backend: BackendTarget::Slurm(SlurmTarget {
                partition: Some("debug".into()),
                account: None,
                qos: None,
                extra_args: Vec::new(),
                log_dir: "/shared/logs".into(),
            }),
            inputs_key: "job-7".into(),
            created_at: DateTime::UNIX_EPOCH,
            status_reason: None,
            first_run_checks: false,
            reuse: true,
        };
        let json = serde_json::to_value(&job).unwrap();
        assert_eq!(json["backend"], "slurm");
        assert_eq!(json["backend_target"]["partition"], "debug");
        assert_eq!(serde_json::from_value::<Job>(json).unwrap(), job);
        let local = Job {
            backend: BackendTarget::Local,
            ..job
        };
        let json = serde_json::to_value(&local).unwrap();
        assert_eq!(json["backend"], "local");
        assert!(json.get("backend_target").is_none());
    }
}
