//! fredbatch's Slurm backend: the runs of a job go out as Slurm job arrays through `sbatch`
//! (one call per array, split at the cluster's `MaxArraySize`), their states come from one
//! `squeue --json` per refresh, interrupted runs (NODE_FAIL, PREEMPTED) are retried as new
//! attempts, and `scancel` stops them. Also `doctor` (is the partition usable, why do runs
//! pend) and the check that the store and storage are reachable from compute nodes.
//!
//! Terms used throughout:
//! - **plain job** / **array** / **task** / **retry**: see [`ids`] (and the names they are
//!   found by, [`fredbatch_core::backend_jobs`]);
//! - **record**: one Slurm job as squeue or the job-completion log describes it, see [`record`];
//! - **snapshot**: every record at one moment, see [`snapshot`];
//! - **unavailable** / **throttled** / **rejected**: how a failed Slurm command may be retried,
//!   see [`error`].
//!
//! Everything goes through Slurm's command-line tools (`sbatch`, `squeue`, `scancel`,
//! `scontrol`, `sinfo`); their paths are configurable ([`SlurmTools`]).

pub mod cancel;
pub mod cluster;
pub mod config;
pub mod describe;
pub mod doctor;
pub mod error;
pub mod ids;
pub mod jobcomp;
pub mod logs;
pub mod record;
pub mod retry;
pub mod runner;
pub mod script;
pub mod shared_state;
pub mod snapshot;
pub mod squeue;
pub mod state;
pub mod submit;
pub mod tools;

pub use config::{Export, SlurmConfig, SlurmTools, WORKER_VARIABLES};
pub use error::SlurmError;
pub use runner::SlurmRunner;
pub use shared_state::{SharedFilesystem, UnsafeState, check_shared_state};
pub use tools::CallCounts;
