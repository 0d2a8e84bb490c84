//! Holding each run to its memory reservation, as AWS Batch and Slurm do: the worker and every
//! process it started are measured, and an attempt over its reservation is killed outright and
//! ends as out of memory. Otherwise the capacity pool would believe in memory a run has taken.

use std::path::Path;

use nix::unistd::Pid;

/// How often an attempt's memory is measured.
pub const MEASURE_EVERY: std::time::Duration = std::time::Duration::from_millis(50);

/// The resident memory, in kB, of `root` and every process below it.
pub fn tree_rss_kb(root: Pid) -> u64 {
    let mut total = 0;
    let mut pending = vec![root.as_raw()];
    while let Some(pid) = pending.pop() {
        total += rss_kb(pid);
        pending.extend(children(pid));
    }
    total
}

fn rss_kb(pid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The children of every thread of `pid` (the kernel lists each thread's own).
fn children(pid: i32) -> Vec<i32> {
    let tasks = Path::new("/proc").join(pid.to_string()).join("task");
    let Ok(threads) = std::fs::read_dir(tasks) else {
        return Vec::new();
    };
    threads
        .flatten()
        .filter_map(|thread| std::fs::read_to_string(thread.path().join("children")).ok())
        .flat_map(|list| {
            list.split_whitespace()
                .filter_map(|pid| pid.parse().ok())
                .collect::<Vec<i32>>()
        })
        .collect()
}

/// AWS Batch's words for a container killed over its memory, with what this one used.
pub fn out_of_memory_reason(peak_kb: u64, limit_mb: u64) -> String {
    format!(
        "OutOfMemoryError: Container killed due to memory usage ({:.0} MB, over the run's {limit_mb} MB)",
        peak_kb as f64 / 1024.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_tree_is_measured_with_its_children() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 5 & wait"])
            .spawn()
            .unwrap();
        let root = Pid::from_raw(child.id() as i32);
        // The shell and its sleep: more than the shell alone once the sleep has started.
        let alone = rss_kb(root.as_raw());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while children(root.as_raw()).is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(alone > 0);
        assert!(tree_rss_kb(root) > alone);
        for pid in children(root.as_raw()) {
            let _ = nix::sys::signal::kill(Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
        }
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
