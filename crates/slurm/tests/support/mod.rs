//! What the Slurm tests share: the cluster `scripts/test` starts (a test fails, never skips,
//! without it), a lock that keeps the tests that disturb the node (setting it down,
//! preempting) from running beside the others, unique job ids, worker scripts, and waiting.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use fredbatch_core::backend_jobs::run_job_name;
use fredbatch_core::{
    BackendJob, BackendJobId, JobId, JobSpec, Resources, RunId, RunSubmission, RunnerError,
    SimulationRunner, SubmitProgress, WorkerCommand,
};
use fredbatch_slurm::{SlurmConfig, SlurmRunner};
use fredbatch_testkit::{required, unique};
use nix::fcntl::{Flock, FlockArg};

pub struct Cluster {
    pub partition: String,
    pub high_partition: String,
    pub cpus: u32,
}

pub fn cluster() -> Cluster {
    assert_eq!(required("FREDBATCH_TEST_SLURM"), "1");
    required("SLURM_CONF");
    Cluster {
        partition: required("FREDBATCH_TEST_SLURM_PARTITION"),
        high_partition: required("FREDBATCH_TEST_SLURM_HIGH_PARTITION"),
        cpus: required("FREDBATCH_TEST_SLURM_CPUS").parse().unwrap(),
    }
}

fn lock(how: FlockArg) -> Flock<File> {
    let file = File::open(required("FREDBATCH_TEST_SLURM_LOCK")).unwrap();
    Flock::lock(file, how).map_err(|(_, errno)| errno).unwrap()
}

/// Held by tests that only run jobs of their own.
pub fn shared_node() -> Flock<File> {
    lock(FlockArg::LockShared)
}

/// Held by tests that set the node down or preempt every job on it.
pub fn whole_node() -> Flock<File> {
    lock(FlockArg::LockExclusive)
}

/// A fredbatch job id no other test uses on this cluster (job names embed it).
pub fn job_id() -> JobId {
    let name = unique("j");
    let mut hash: u64 = 1469598103934665603;
    for byte in name.bytes() {
        hash = (hash ^ byte as u64).wrapping_mul(1099511628211);
    }
    JobId((hash >> 33) as i64)
}

/// A worker stand-in: a shell script that sets `run` to the run number (from
/// `--array-first-run` plus the task index, or from `--run-id`, see [`runs`]) and `job` to the
/// job id, prints what it was given, then runs `body`.
pub fn worker(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("worker.sh");
    let script = format!(
        "#!/bin/sh\n\
         run=\n\
         while [ $# -gt 0 ]; do\n\
           case $1 in\n\
             --array-first-run) run=$(( $2 + SLURM_ARRAY_TASK_ID )); shift ;;\n\
             --run-id) run=$(( $2 - 1000 )); shift ;;\n\
             --job-id) job=$2; shift ;;\n\
           esac\n\
           shift\n\
         done\n\
         echo \"run $run backend $FREDBATCH_BACKEND_JOB_ID attempt $FREDBATCH_ATTEMPT\"\n\
         {body}\n"
    );
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

pub fn config(dir: &Path, program: &Path) -> SlurmConfig {
    let mut config = SlurmConfig::new(program, dir.join("logs"));
    config.partition = Some(cluster().partition);
    config
}

pub fn spec(job: JobId, vcpus: u32, attempts: u32) -> JobSpec {
    let runner = SlurmRunner::new(SlurmConfig::new("unused", "unused"));
    JobSpec {
        job_id: job,
        resources: Resources {
            vcpus,
            memory_mb: 100,
        },
        retry: runner.retry_strategy(attempts),
        attempt_timeout: Duration::from_secs(600),
    }
}

/// Runs `numbers` of `job`; run `n` has id `1000 + n`.
pub fn runs(job: JobId, numbers: impl IntoIterator<Item = u32>) -> Vec<RunSubmission> {
    numbers
        .into_iter()
        .map(|n| RunSubmission {
            run_id: RunId(1000 + n as i64),
            run_number: n,
            name: run_job_name(job, n),
            worker: WorkerCommand::run(job, RunId(1000 + n as i64)),
        })
        .collect()
}

/// Every part a submission reported, in order.
#[derive(Default)]
pub struct Recorder(pub Mutex<Vec<Vec<(RunId, BackendJobId)>>>);

#[async_trait]
impl SubmitProgress for Recorder {
    async fn accepted(&self, runs: &[(RunId, BackendJobId)]) -> Result<(), RunnerError> {
        self.0.lock().unwrap().push(runs.to_vec());
        Ok(())
    }
}

impl Recorder {
    pub fn parts(&self) -> Vec<Vec<(RunId, BackendJobId)>> {
        self.0.lock().unwrap().clone()
    }
}

/// Describes `ids` until `done` holds for every one of them, or panics after `limit`.
pub async fn wait_for(
    runner: &SlurmRunner,
    ids: &[BackendJobId],
    limit: Duration,
    done: impl Fn(&BackendJob) -> bool,
) -> HashMap<BackendJobId, BackendJob> {
    let started = Instant::now();
    loop {
        let jobs = runner.describe(ids).await.unwrap();
        if ids.iter().all(|id| jobs.get(id).is_some_and(&done)) {
            return jobs;
        }
        assert!(
            started.elapsed() < limit,
            "not there after {limit:?}: {jobs:#?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

pub async fn wait_final(
    runner: &SlurmRunner,
    ids: &[BackendJobId],
    limit: Duration,
) -> HashMap<BackendJobId, BackendJob> {
    wait_for(runner, ids, limit, |job| job.state.is_final()).await
}

/// Runs a Slurm tool the way an administrator would, outside the backend.
pub fn slurm(program: &str, args: &[&str]) -> String {
    let output = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Brings the node back when dropped, even when a test fails while it is down.
pub struct NodeDown;

impl NodeDown {
    pub fn set(reason: &str) -> NodeDown {
        slurm(
            "scontrol",
            &[
                "update",
                "nodename=localhost",
                "state=down",
                &format!("reason={reason}"),
            ],
        );
        NodeDown
    }
}

impl Drop for NodeDown {
    fn drop(&mut self) {
        let _ = std::process::Command::new("scontrol")
            .args(["update", "nodename=localhost", "state=resume"])
            .status();
        // The node answers again within a second; the next test needs it idle.
        for _ in 0..50 {
            let state = std::process::Command::new("sinfo")
                .args(["-h", "-n", "localhost", "-o", "%T"])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .unwrap_or_default();
            if state == "idle" || state == "mixed" || state == "allocated" {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}
