//! Sizes learned from measured runs instead of guessed.
//!
//! A job registered without `--vcpus`/`--memory` gets its runs' size from the **history** of
//! its model: the measured runs of earlier jobs with the same **size key** (the model's files
//! and the overrides that change what it simulates, see [`size_key`]). Without history, its
//! **first wave** (the first [`FIRST_WAVE_RUNS`] runs) runs at the backend's default size and
//! is measured; the other runs wait for it and then run at the size it measured.
//!
//! The rule ([`fit`]), the same wherever a size is learned:
//! - **vCPUs**: the most cores any run kept busy (CPU-seconds / wall seconds), rounded up to a
//!   whole vCPU, forgiving [`CPU_TOLERANCE`] of measurement noise. No headroom: a run short of
//!   CPU is slower, never killed.
//! - **memory**: the largest peak RSS plus [`MEMORY_HEADROOM`], rounded up to a multiple of
//!   [`MEMORY_STEP_MIB`]. Headroom: a run over its memory is killed (and retried with more).

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::fingerprint::hex_digest;
use crate::model::Measurements;
use crate::params::ParamOverride;
use crate::resources::Resources;

/// Busy cores within this fraction above a whole number round down to it.
pub const CPU_TOLERANCE: f64 = 0.10;
/// Memory requests are multiples of this (MiB).
pub const MEMORY_STEP_MIB: u64 = 256;
/// Memory above the largest measured peak a learned size gives.
pub const MEMORY_HEADROOM: f64 = 0.25;
/// Runs measured at the default size before the rest of a job without history are sized.
pub const FIRST_WAVE_RUNS: u32 = 2;
/// The most recent measured runs a size is learned from.
pub const HISTORY_RUNS: u32 = 200;

/// Model keys whose value changes what a run simulates, and so its memory and time: the
/// synthetic population it loads. Other overrides (transmissibility, seeds) change the
/// epidemic, not the size of the world it runs in.
pub const SCALE_KEYS: [&str; 1] = ["locations"];

/// What a set of measured runs says a run needs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fit {
    #[serde(flatten)]
    pub resources: Resources,
    /// Measured runs it was learned from.
    pub runs: u32,
    /// The most cores any of them kept busy.
    pub busiest_cores: f64,
    /// The largest peak RSS of any of them, in MiB.
    pub largest_peak_mib: f64,
}

/// The size `measured` runs need, with `memory_headroom` above their largest peak (see the
/// module's rule); `None` when none of them was measured.
pub fn fit(measured: &[Measurements], memory_headroom: f64) -> Option<Fit> {
    let measured: Vec<&Measurements> = measured.iter().filter(|m| m.wall_seconds > 0.0).collect();
    if measured.is_empty() {
        return None;
    }
    let busiest_cores = measured
        .iter()
        .map(|m| m.cpu_seconds / m.wall_seconds)
        .fold(0.0, f64::max);
    let largest_peak_mib = measured
        .iter()
        .map(|m| m.peak_rss_kb as f64 / 1024.0)
        .fold(0.0, f64::max);
    let vcpus = ((busiest_cores / (1.0 + CPU_TOLERANCE)).ceil() as u32).max(1);
    let wanted = largest_peak_mib * (1.0 + memory_headroom);
    let memory_mb = ((wanted / MEMORY_STEP_MIB as f64).ceil() as u64).max(1) * MEMORY_STEP_MIB;
    Some(Fit {
        resources: Resources { vcpus, memory_mb },
        runs: measured.len() as u32,
        busiest_cores,
        largest_peak_mib,
    })
}

/// The key runs share when they need the same size: the model's files (their digest) and the
/// [`SCALE_KEYS`] values any of `overrides` sets, whatever their order.
pub fn size_key<'a>(
    model_digest: &str,
    overrides: impl IntoIterator<Item = &'a ParamOverride>,
) -> String {
    let scale: BTreeSet<String> = overrides
        .into_iter()
        .filter(|o| SCALE_KEYS.contains(&o.key.as_str()))
        .map(|o| format!("{}={}", o.key, o.value))
        .collect();
    let mut text = format!("fredbatch-size-key-1\nmodel {model_digest}\n");
    for line in scale {
        text.push_str(&line);
        text.push('\n');
    }
    hex_digest(text.as_bytes())
}

/// How a job's runs got their size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SizeOrigin {
    /// Given with `--vcpus`/`--memory` (or by an API request).
    Given,
    /// The backend's default: nothing measured to learn from.
    Default { why: String },
    /// Learned from measured runs: earlier jobs' of the same model, or this job's first wave.
    Learned {
        from: LearnedFrom,
        #[serde(flatten)]
        fit: Fit,
    },
    /// The first `wave` runs run at the default size and are measured; the rest wait.
    Measuring { wave: u32 },
}

/// Whose runs a size was learned from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LearnedFrom {
    /// Earlier jobs of the same model.
    History,
    /// The job's own first `wave` runs, which ran at `measured_at`.
    FirstWave { wave: u32, measured_at: Resources },
}

impl SizeOrigin {
    pub fn is_measuring(&self) -> bool {
        matches!(self, SizeOrigin::Measuring { .. })
    }
}

impl fmt::Display for SizeOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SizeOrigin::Given => f.write_str("given with --vcpus/--memory"),
            SizeOrigin::Default { why } => write!(f, "the backend's default: {why}"),
            SizeOrigin::Measuring { wave } => write!(
                f,
                "the backend's default while the first {wave} run(s) are measured; the others \
                 wait and run at the size they measure"
            ),
            SizeOrigin::Learned { from, fit } => {
                let whose = match from {
                    LearnedFrom::History => "of this model in earlier jobs",
                    LearnedFrom::FirstWave { .. } => "of this job's first wave",
                };
                write!(
                    f,
                    "learned from {} measured runs {whose}: peak {:.0} MiB + {:.0}% headroom, {:.2} busy cores",
                    fit.runs,
                    fit.largest_peak_mib,
                    MEMORY_HEADROOM * 100.0,
                    fit.busiest_cores
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(wall: f64, cpu: f64, peak_mib: u64) -> Measurements {
        Measurements {
            wall_seconds: wall,
            cpu_seconds: cpu,
            peak_rss_kb: peak_mib * 1024,
            output_bytes: 0,
        }
    }

    #[test]
    fn memory_gets_headroom_and_cpu_is_rounded_with_tolerance() {
        // Real FRED on Jefferson County: 97% of one core, 134 MiB.
        let one = fit(&[measured(1.5, 1.45, 134), measured(1.6, 1.5, 120)], 0.25).unwrap();
        assert_eq!(
            one.resources,
            Resources {
                vcpus: 1,
                memory_mb: 256
            }
        );
        assert_eq!(one.runs, 2);
        assert!((one.largest_peak_mib - 134.0).abs() < 1e-9);
        let busy = fit(&[measured(10.0, 25.0, 3000)], 0.25).unwrap();
        assert_eq!(
            busy.resources,
            Resources {
                vcpus: 3,
                memory_mb: 3840
            }
        );
        assert_eq!(fit(&[measured(0.0, 0.0, 10)], 0.25), None, "not measured");
        assert_eq!(fit(&[], 0.25), None);
    }

    #[test]
    fn only_the_population_changes_the_key() {
        let params = |text: &[&str]| -> Vec<ParamOverride> {
            text.iter().map(|p| p.parse().unwrap()).collect()
        };
        let base = size_key("m", &params(&["INF.transmissibility=1.2"]));
        assert_eq!(base, size_key("m", &params(&["INF.transmissibility=1.8"])));
        assert_eq!(base, size_key("m", &[]));
        assert_ne!(
            base,
            size_key("m", &params(&["locations=Allegheny_County_PA"]))
        );
        assert_ne!(base, size_key("other", &[]), "other model files");
        assert_eq!(
            size_key("m", &params(&["locations=A", "locations=B"])),
            size_key("m", &params(&["locations=B", "locations=A"])),
        );
    }

    #[test]
    fn origins_read_as_json_and_say_why() {
        let learned = SizeOrigin::Learned {
            from: LearnedFrom::History,
            fit: fit(&[measured(2.0, 1.0, 134)], MEMORY_HEADROOM).unwrap(),
        };
        let text = serde_json::to_string(&learned).unwrap();
        assert!(text.contains(r#""kind":"learned""#), "{text}");
        assert!(text.contains(r#""memory_mb":256"#), "{text}");
        assert_eq!(serde_json::from_str::<SizeOrigin>(&text).unwrap(), learned);
        assert!(
            learned
                .to_string()
                .contains("peak 134 MiB + 25% headroom, 0.50 busy cores")
        );
        assert!(SizeOrigin::Measuring { wave: 2 }.is_measuring());
    }
}
