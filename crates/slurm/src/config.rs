//! What the Slurm backend is told: which tools to run, where task logs go, what every sbatch
//! passes through (partition, account, QOS, extra arguments) and what workers inherit.

use std::path::PathBuf;

/// The variables a worker on a compute node needs to reach the store, the storage and FRED: a
/// starting point for [`Export::Only`].
pub const WORKER_VARIABLES: &[&str] = &[
    "PATH",
    "HOME",
    "DATABASE_URL",
    "FREDBATCH_HOME",
    "FREDBATCH_UPLOADS",
    "FREDBATCH_RESULTS",
    "FRED_HOME",
    "RUST_LOG",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
];

/// Which variables of the submitting environment tasks inherit (`--export`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Export {
    /// All of them (`--export=ALL`, Slurm's own default): what a FRED build loaded with
    /// `module load` needs (`LD_LIBRARY_PATH`, ...) reaches the task.
    All,
    /// Only these names (those set), plus Slurm's `SLURM_*`. Slurm then builds each task's
    /// environment from the user's login environment on the node, which costs time at every
    /// task launch (measured here: 300 one-second-or-less tasks took 40 s instead of 13 s).
    Only(Vec<String>),
}

/// The Slurm command-line tools, by path or by name on PATH.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlurmTools {
    pub sbatch: PathBuf,
    pub squeue: PathBuf,
    pub scancel: PathBuf,
    pub scontrol: PathBuf,
    pub sinfo: PathBuf,
}

impl Default for SlurmTools {
    fn default() -> Self {
        SlurmTools {
            sbatch: "sbatch".into(),
            squeue: "squeue".into(),
            scancel: "scancel".into(),
            scontrol: "scontrol".into(),
            sinfo: "sinfo".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlurmConfig {
    /// The program every task runs, with the run's worker arguments (normally this fredbatch
    /// executable; it must exist at the same path on the compute nodes).
    pub program: PathBuf,
    /// Where each task writes its output (`<id>.attempt-<n>.log`): a folder every node can
    /// write and this machine can read.
    pub log_dir: PathBuf,
    /// `--partition`; the cluster's default partition when `None`.
    pub partition: Option<String>,
    /// `--account`.
    pub account: Option<String>,
    /// `--qos`.
    pub qos: Option<String>,
    /// More sbatch arguments, passed as given (e.g. `--constraint=avx2`).
    pub extra_args: Vec<String>,
    /// Which variables tasks inherit from the submitting environment.
    pub export: Export,
    /// Variables tasks get with these values, whatever the submitting environment says
    /// (always exported).
    pub env: Vec<(String, String)>,
    pub tools: SlurmTools,
    /// At most this many tasks per array, below the cluster's own `MaxArraySize`.
    pub max_array_size: Option<usize>,
    /// The job-completion log (`JobCompLoc` with `jobcomp/filetxt`), read for jobs slurmctld
    /// has forgotten; taken from `scontrol show config` when `None`.
    pub jobcomp_log: Option<PathBuf>,
}

impl SlurmConfig {
    /// What tells this store's Slurm jobs from another's with the same names: a hash of the
    /// log folder, which every store has of its own.
    pub fn store_tag(&self) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in self.log_dir.as_os_str().as_encoded_bytes() {
            hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
        format!("{hash:016x}")
    }

    pub fn new(program: impl Into<PathBuf>, log_dir: impl Into<PathBuf>) -> SlurmConfig {
        SlurmConfig {
            program: program.into(),
            log_dir: log_dir.into(),
            partition: None,
            account: None,
            qos: None,
            extra_args: Vec::new(),
            export: Export::All,
            env: Vec::new(),
            tools: SlurmTools::default(),
            max_array_size: None,
            jobcomp_log: None,
        }
    }
}
