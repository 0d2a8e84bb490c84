//! What the benchmarks share: sizes from the environment, and wrk, the HTTP load tool, with
//! the figures of its report.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `name` from the environment as a number, or `default`.
pub fn env_number(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// wrk, which `scripts/bench` installs.
pub fn wrk() -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join("wrk"))
        .find(|path| path.is_file())
        .expect("wrk is not installed: run scripts/bench (Debian: apt-get install wrk)")
}

/// wrk's report of `connections` connections on one thread each (at most 2) polling `url`
/// with `header` for `seconds`, with its latency distribution.
pub fn run_wrk(wrk: &Path, connections: u32, seconds: u32, header: &str, url: &str) -> String {
    let threads = connections.clamp(1, 2);
    let output = Command::new(wrk)
        .args(["-t", &threads.to_string(), "-c", &connections.to_string()])
        .args([
            "-d",
            &format!("{seconds}s"),
            "--latency",
            "--timeout",
            "10s",
        ])
        .args(["-H", header, url])
        .output()
        .expect("run wrk");
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "wrk failed: {report}");
    report
}

/// The number after `label` in wrk's report (e.g. `Requests/sec:`).
pub fn wrk_figure(report: &str, label: &str) -> f64 {
    report
        .lines()
        .find_map(|line| line.trim().strip_prefix(label))
        .and_then(|rest| rest.trim().parse().ok())
        .unwrap_or(f64::NAN)
}

/// A latency percentile (e.g. `99%`) of wrk's `--latency` distribution, in milliseconds.
pub fn wrk_latency_ms(report: &str, percentile: &str) -> f64 {
    let Some(value) = report
        .lines()
        .map(str::trim)
        .find_map(|line| line.strip_prefix(percentile).map(str::trim))
    else {
        return f64::NAN;
    };
    let (number, unit) = value.split_at(
        value
            .find(|c: char| c.is_alphabetic())
            .unwrap_or(value.len()),
    );
    let number: f64 = number.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => number / 1000.0,
        "ms" => number,
        "s" => number * 1000.0,
        "m" => number * 60_000.0,
        _ => f64::NAN,
    }
}

/// Runs `command` to its end; returns its wall time and its peak resident memory in kB (the
/// kernel's high-water mark, read from /proc while it runs). Panics if it fails.
pub fn run_measured(command: &mut std::process::Command) -> (std::time::Duration, u64) {
    let started = std::time::Instant::now();
    let mut child = command.spawn().expect("start the measured command");
    let mut peak_kb = 0;
    loop {
        peak_kb = peak_kb.max(process_status_kb(child.id(), "VmHWM:").unwrap_or(0));
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "the measured command failed: {command:?}");
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    (started.elapsed(), peak_kb)
}

/// A figure in kB of a live process's `/proc/PID/status`, by its label: `VmRSS:` (resident
/// now) or `VmHWM:` (the kernel's high-water mark of resident memory). None once it has ended.
pub fn process_status_kb(pid: u32, label: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix(label))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "  Latency Distribution\n     50%  812.00us\n     99%   41.20ms\n\
                          Requests/sec:   3559.12\n";

    #[test]
    fn reads_wrk_figures_in_their_units() {
        assert_eq!(wrk_figure(REPORT, "Requests/sec:"), 3559.12);
        assert_eq!(wrk_latency_ms(REPORT, "50%"), 0.812);
        assert_eq!(wrk_latency_ms(REPORT, "99%"), 41.2);
        assert!(wrk_latency_ms(REPORT, "75%").is_nan());
    }
}
