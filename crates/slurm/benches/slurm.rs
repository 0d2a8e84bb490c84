//! 1,000 runs of a trivial worker through the Slurm backend on the local cluster, beside the
//! same commands through `xargs -P <advertised CPUs>` and beside one hand-written
//! `sbatch --array` watched with plain `squeue` (Slurm's own floor): sbatch calls (the goal is
//! one per array), squeue calls per refresh (the goal is one) and the wall time ratios. Prints
//! figures; asserts nothing. Run with `scripts/bench --bench slurm` (it starts the cluster).
//! `FREDBATCH_BENCH_SLURM_REFRESH_MS` sets the refresh interval (2000).

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fredbatch_core::backend_jobs::run_job_name;
use fredbatch_core::{
    IgnoreProgress, JobId, JobSpec, Resources, RunId, RunSubmission, WorkerCommand,
};
use fredbatch_core::{SimulationRunner, sync::TIMEOUT_REASON};
use fredbatch_slurm::{SlurmConfig, SlurmRunner};
use fredbatch_testkit::required;

const RUNS: u32 = 1000;
/// How often the backend is asked for every open run, as the supervisor's refresh does.
fn refresh() -> Duration {
    let ms = std::env::var("FREDBATCH_BENCH_SLURM_REFRESH_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .unwrap_or(2000);
    Duration::from_millis(ms)
}

fn main() {
    required("FREDBATCH_TEST_SLURM");
    let partition = required("FREDBATCH_TEST_SLURM_PARTITION");
    let cpus: u32 = required("FREDBATCH_TEST_SLURM_CPUS").parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let worker = dir.path().join("worker.sh");
    std::fs::write(&worker, "#!/bin/sh\necho \"$@\"\n").unwrap();
    std::fs::set_permissions(&worker, std::fs::Permissions::from_mode(0o755)).unwrap();

    let job = JobId(i64::from(std::process::id()) * 1000 + 7);
    let runs: Vec<RunSubmission> = (1..=RUNS)
        .map(|n| RunSubmission {
            run_id: RunId(i64::from(n)),
            run_number: n,
            name: run_job_name(job, n),
            worker: WorkerCommand::run(job, RunId(i64::from(n))),
        })
        .collect();
    let mut config = SlurmConfig::new(&worker, dir.path().join("logs"));
    config.partition = Some(partition);
    let runner = SlurmRunner::new(config);
    let spec = JobSpec {
        job_id: job,
        resources: Resources {
            vcpus: 1,
            memory_mb: 64,
        },
        retry: runner.retry_strategy(1),
        attempt_timeout: Duration::from_secs(600),
    };

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let started = Instant::now();
    let (submitted, refreshes, failed) = runtime.block_on(async {
        let ids = runner.submit(&spec, &runs, &IgnoreProgress).await.unwrap();
        let submitted = started.elapsed();
        let mut refreshes = 0u64;
        loop {
            let jobs = runner.describe(&ids).await.unwrap();
            refreshes += 1;
            if ids
                .iter()
                .all(|id| jobs.get(id).is_some_and(|j| j.state.is_final()))
            {
                let failed = jobs
                    .values()
                    .filter(|j| j.state != fredbatch_core::BackendState::Succeeded)
                    .filter(|j| {
                        !j.status_reason
                            .as_deref()
                            .unwrap_or("")
                            .starts_with(TIMEOUT_REASON)
                    })
                    .count();
                return (submitted, refreshes, failed);
            }
            tokio::time::sleep(refresh()).await;
        }
    });
    let slurm_wall = started.elapsed();
    let calls = runner.calls();

    let started = Instant::now();
    let mut xargs = Command::new("xargs")
        .args(["-P", &cpus.to_string(), "-I{}"])
        .arg(&worker)
        .args(["worker", "--job-id", &job.to_string(), "--run-id", "{}"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = xargs.stdin.take().unwrap();
        for n in 1..=RUNS {
            writeln!(stdin, "{n}").unwrap();
        }
    }
    assert!(xargs.wait().unwrap().success());
    let xargs_wall = started.elapsed();

    let floor = slurm_alone(&worker, job);

    println!(
        "slurm: {RUNS} runs of a trivial worker, {cpus} CPUs advertised, refresh every {:.1} s",
        refresh().as_secs_f64()
    );
    println!(
        "  backend: submitted in {:.2} s, all final after {:.1} s ({failed} not succeeded)",
        submitted.as_secs_f64(),
        slurm_wall.as_secs_f64()
    );
    println!(
        "  sbatch calls: {} (one per array of at most MaxArraySize runs)",
        calls.sbatch
    );
    println!(
        "  refreshes: {refreshes}, squeue calls: {} ({:.2} per refresh; the submission's own \
         look for existing runs is one of them)",
        calls.squeue,
        calls.squeue as f64 / refreshes as f64
    );
    println!(
        "  other calls: scontrol {}, sinfo {}, scancel {}",
        calls.scontrol, calls.sinfo, calls.scancel
    );
    println!(
        "  xargs -P {cpus}: {:.2} s; wall time ratio slurm/xargs: {:.1}",
        xargs_wall.as_secs_f64(),
        slurm_wall.as_secs_f64() / xargs_wall.as_secs_f64()
    );
    println!(
        "  Slurm alone (one sbatch --array, plain squeue every second): {:.1} s; backend/alone: {:.2}",
        floor.as_secs_f64(),
        slurm_wall.as_secs_f64() / floor.as_secs_f64()
    );
}

/// The same array sent by hand and watched with plain `squeue -h -j`, which asks slurmctld for
/// one job's tasks only: what Slurm itself takes to run them here.
fn slurm_alone(worker: &std::path::Path, job: JobId) -> Duration {
    let started = Instant::now();
    let output = Command::new("sbatch")
        .args([
            "--parsable",
            &format!("--array=0-{}", RUNS - 1),
            "--mem=64M",
            "--output=/dev/null",
            &format!("--job-name=bench-floor-{job}"),
        ])
        .arg(format!(
            "--wrap={} worker --job-id {job} --array-first-run 1",
            worker.display()
        ))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let id = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    loop {
        let live = Command::new("squeue")
            .args(["-h", "-j", &id, "-t", "PD,R,CG,CF"])
            .output()
            .unwrap();
        if live.stdout.is_empty() {
            return started.elapsed();
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}
