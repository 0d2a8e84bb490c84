//! One supervising process per local job. The local executor lives inside `fredbatch run` (or
//! `resume`); a second supervisor of the same job would run its runs twice. The lock is an
//! advisory file lock, released by the kernel when its holder dies, even by `kill -9`.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, bail};
use fredbatch_core::JobId;
use nix::fcntl::{Flock, FlockArg};

pub struct JobLock {
    _file: Flock<File>,
}

impl JobLock {
    /// Takes the job's lock, or says which process holds it.
    pub fn acquire(lock_dir: &Path, job: JobId) -> anyhow::Result<JobLock> {
        let path = lock_dir.join(format!("job-{job}.lock"));
        std::fs::create_dir_all(lock_dir)
            .with_context(|| format!("cannot create {}", lock_dir.display()))?;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot open lock file {}", path.display()))?;
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(mut locked) => {
                locked.set_len(0).ok();
                write!(locked, "{}", std::process::id()).ok();
                Ok(JobLock { _file: locked })
            }
            Err((_, _)) => {
                let holder = std::fs::read_to_string(&path).unwrap_or_default();
                bail!(
                    "job {job} is being run by another fredbatch process (pid {}); watch it with \
                     `fredbatch status {job}`, or stop that process first",
                    holder.trim()
                )
            }
        }
    }

    /// Whether some process supervises the job now.
    pub fn is_held(lock_dir: &Path, job: JobId) -> bool {
        let path = lock_dir.join(format!("job-{job}.lock"));
        let Ok(file) = File::open(&path) else {
            return false;
        };
        match Flock::lock(file, FlockArg::LockSharedNonblock) {
            Ok(_released_on_drop) => false,
            Err(_) => true,
        }
    }
}
