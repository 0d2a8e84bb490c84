//! Flags several commands share.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use fredbatch_core::Resources;
use fredbatch_core::budget::{Budget, BudgetError};
use fredbatch_core::growth::{PolicyError, RetryPolicy};
use fredbatch_core::params::ParamOverride;
use fredbatch_core::sweep::{SweepAxis, configurations, parse_design};

use fredbatch_core::BackendKind;
use fredbatch_core::limits::MAX_RUNS_PER_JOB;

use crate::backend::{BackendArg, LocalCapacity};

/// What to run: a model directory, its overrides, its configurations and how many runs each.
#[derive(clap::Args, Debug, Clone)]
pub struct ModelArgs {
    /// The model directory: the folder holding the main program file and everything it uses.
    pub model_dir: PathBuf,
    /// Runs per configuration: FRED runs 1..N (`-r`), so FRED run r of every configuration
    /// draws the same random numbers (configurations are compared on common random numbers).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_RUNS_PER_JOB)))]
    pub runs: u32,
    /// Set a model key for every run, e.g. `--param days=30`; repeat for more keys.
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<ParamOverride>,
    /// Sweep a model key over values: one configuration per combination of every --sweep
    /// (the cartesian product, the first --sweep varying slowest), each run --runs times.
    #[arg(
        long = "sweep",
        value_name = "KEY=V1,V2,...",
        conflicts_with = "design"
    )]
    pub sweeps: Vec<SweepAxis>,
    /// One configuration per row of a CSV file: a header line of model keys, then a row of
    /// values per configuration; lines starting with `#` are comments.
    #[arg(long, value_name = "FILE.csv")]
    pub design: Option<PathBuf>,
    /// The main program file inside MODEL_DIR.
    #[arg(long, default_value = "main.fred", value_name = "FILE")]
    pub program: String,
}

impl ModelArgs {
    /// The job's configurations, every mistake refused before anything is stored.
    pub fn configurations(&self) -> anyhow::Result<Vec<Vec<ParamOverride>>> {
        let design = match &self.design {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read the design file {}", path.display()))?;
                Some(parse_design(&path.display().to_string(), &text)?)
            }
            None => None,
        };
        Ok(configurations(
            &self.params,
            &self.sweeps,
            design,
            self.runs,
        )?)
    }
}

/// What each run asks for, and how it is retried.
#[derive(clap::Args, Debug, Clone)]
#[command(next_help_heading = "Resources per run")]
pub struct RunResourceArgs {
    /// vCPUs reserved per run [default: learned from this model's measured runs; without any,
    /// its first runs measure it at 1 locally, 4 on AWS Batch, as the stack's job definition].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub vcpus: Option<u32>,
    /// Memory reserved per run, in MB [default: learned, the largest measured peak + 25%; without
    /// measured runs, its first runs measure it at 2048 locally, 8192 on AWS Batch].
    #[arg(long, value_name = "MB", value_parser = clap::value_parser!(u64).range(1..))]
    pub memory: Option<u64>,
    /// Attempts per run. A run that ran out of memory goes again with more (--memory-growth),
    /// one over its time limit with more time if --time-growth says so; FRED's own errors are
    /// never retried. Interruptions (a reclaimed Spot instance, a failed node, a killed worker)
    /// do not count: they have their own budget (--interruptions).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub attempts: u32,
    /// Each attempt is stopped after this long (e.g. `90m`, `4h`).
    #[arg(long, default_value = "4h", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
}

impl RunResourceArgs {
    pub fn resources(&self, kind: BackendKind) -> Resources {
        let default = Resources::default_for(kind);
        Resources {
            vcpus: self.vcpus.unwrap_or(default.vcpus),
            memory_mb: self.memory.unwrap_or(default.memory_mb),
        }
    }
}

/// How a run is retried after a failed attempt, besides --attempts.
#[derive(clap::Args, Debug, Clone)]
#[command(next_help_heading = "Retries")]
pub struct RetryArgs {
    /// After running out of memory, the next attempt gets this many times the memory, up to
    /// --max-memory and what the backend can place (this machine, the partition's largest
    /// node, the compute environment's largest instance type). Above 1.
    #[arg(long, value_name = "F", default_value_t = RetryPolicy::DEFAULT_MEMORY_GROWTH, allow_hyphen_values = true)]
    pub memory_growth: f64,
    /// After running over its time limit (--timeout), the next attempt gets this many times
    /// the time. Above 1 [default: over time is not retried].
    #[arg(long, value_name = "F", allow_hyphen_values = true)]
    pub time_growth: Option<f64>,
    /// Interruptions a run may suffer and still go on, at the same size; they never count as
    /// its attempts. On AWS Batch with a fallback queue, a run interrupted this often on Spot
    /// goes on in the On-Demand queue.
    // A negative count is read as one, so the refusal names this flag.
    #[arg(long, value_name = "N", default_value_t = RetryPolicy::DEFAULT_INTERRUPTIONS, allow_hyphen_values = true)]
    pub interruptions: u32,
}

impl RetryArgs {
    /// The job's retry policy, refused (naming the flag) when it could not work for runs
    /// starting at `start`; `max_memory_mb` is --max-memory.
    pub fn policy(
        &self,
        start: &Resources,
        max_memory_mb: Option<u64>,
    ) -> Result<RetryPolicy, PolicyError> {
        let policy = RetryPolicy {
            memory_growth: self.memory_growth,
            time_growth: self.time_growth,
            max_memory_mb,
            interruptions: self.interruptions,
        };
        policy.check(start)?;
        Ok(policy)
    }
}

/// What a job may cost.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Cost")]
pub struct BudgetArgs {
    /// Print what the job would cost (CPU-hours, AWS Spot to On-Demand) and how long it would
    /// take here, from the measured runs of earlier jobs of this model; store and submit
    /// nothing.
    #[arg(long)]
    pub estimate: bool,
    /// Start no run once what the job spent plus what its running runs will cost would pass
    /// this many US dollars at AWS prices (Spot). Runs not started end CANCELLED with the
    /// reason "budget reached".
    // A negative amount is read as one, so the refusal names this flag.
    #[arg(
        long,
        value_name = "USD",
        allow_hyphen_values = true,
        conflicts_with = "budget_cpu_hours"
    )]
    pub budget: Option<f64>,
    /// The same in CPU-hours reserved (vCPUs x wall hours), for Slurm and this machine.
    #[arg(long, value_name = "HOURS", allow_hyphen_values = true)]
    pub budget_cpu_hours: Option<f64>,
}

impl BudgetArgs {
    /// The budget the flags set, refused (naming the flag) when it is not positive.
    pub fn budget(&self) -> Result<Option<Budget>, BudgetError> {
        self.budget
            .map(Budget::Usd)
            .or(self.budget_cpu_hours.map(Budget::CpuHours))
            .map(Budget::checked)
            .transpose()
    }
}

/// Which backend.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Backend")]
pub struct BackendArgs {
    /// Where runs execute [default: aws when --stack is given or AWS_BATCH_JOB_DEFINITION and
    /// AWS_BATCH_JOB_QUEUE are set, else local].
    #[arg(long, value_enum, env = "FREDBATCH_BACKEND")]
    pub backend: Option<BackendArg>,
    /// Run on the AWS Batch stack of this name: its outputs give the job queue and definition,
    /// its parameters the S3 buckets (unless FREDBATCH_UPLOADS / FREDBATCH_RESULTS say otherwise).
    #[arg(long, value_name = "NAME", env = "FREDBATCH_STACK")]
    pub stack: Option<String>,
    #[command(flatten)]
    pub capacity: CapacityArgs,
    #[command(flatten)]
    pub slurm: SlurmArgs,
}

/// Where runs go on a Slurm cluster (`--backend slurm`).
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Slurm (--backend slurm)")]
pub struct SlurmArgs {
    /// The partition runs go to [default: the cluster's default partition].
    #[arg(long, value_name = "NAME", env = "FREDBATCH_SLURM_PARTITION")]
    pub partition: Option<String>,
    /// The account runs are charged to (sbatch --account).
    #[arg(long, value_name = "NAME", env = "FREDBATCH_SLURM_ACCOUNT")]
    pub account: Option<String>,
    /// The quality of service runs ask for (sbatch --qos).
    #[arg(long, value_name = "NAME", env = "FREDBATCH_SLURM_QOS")]
    pub qos: Option<String>,
    /// Another sbatch argument, passed as given (repeat for more), e.g. `--slurm-arg=--constraint=avx2`.
    #[arg(long = "slurm-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub slurm_args: Vec<String>,
    /// Every compute node mounts FREDBATCH_HOME (the SQLite file, folders and logs) at the same
    /// path. Without it, runs on Slurm need PostgreSQL and s3:// storage. SQLite on a network
    /// filesystem (NFS...) is refused even so.
    #[arg(long)]
    pub shared_filesystem: bool,
}

/// What the local executor may use of this machine.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Backend")]
pub struct CapacityArgs {
    /// vCPUs the local executor may use at once [default: all cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_vcpus: Option<u32>,
    /// Memory, in MB, the local executor may use at once [default: all memory], and the most
    /// a run may grow to after running out of memory (on every backend).
    #[arg(long, value_name = "MB", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_memory: Option<u64>,
}

impl BackendArgs {
    pub fn capacity(&self) -> LocalCapacity {
        self.capacity.local()
    }
}

impl CapacityArgs {
    pub fn local(&self) -> LocalCapacity {
        LocalCapacity {
            vcpus: self.max_vcpus,
            memory_mb: self.max_memory,
        }
    }
}
