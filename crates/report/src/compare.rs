//! Configurations compared with a baseline the way the design allows: replicate r of every
//! configuration is FRED run r (common random numbers), so replicate r of a configuration and
//! replicate r of the baseline differ only by the configuration, and their difference is a
//! paired one, far tighter than the difference of two independent bands. For each
//! configuration: the median difference from the baseline and its 5-95% interval over the
//! replicates both have results for.

use std::collections::HashMap;

use serde::Serialize;

use crate::band::quantile;
use crate::curves::RunSummary;
use crate::model::JobReport;

/// How each configuration differs from the baseline.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub baseline: u32,
    pub baseline_label: String,
    pub configs: Vec<ConfigDifference>,
}

/// `[p5, median, p95]` over replicates of (configuration − baseline), for one configuration.
#[derive(Clone, Debug, Serialize)]
pub struct ConfigDifference {
    pub config: u32,
    pub label: String,
    /// Replicates with results in both (the differences' count).
    pub pairs: usize,
    /// In percentage points of the population (0.05 = 5 points).
    pub attack_rate: Option<[f64; 3]>,
    pub peak_day: Option<[f64; 3]>,
    pub peak_size: Option<[f64; 3]>,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CompareError {
    #[error("--baseline {baseline}: the job's configurations are 1 to {count}")]
    NoSuchBaseline { baseline: u32, count: u32 },
    #[error("the job has one configuration: there is nothing to compare it with (run a sweep)")]
    OneConfiguration,
}

impl JobReport {
    /// Each other configuration's paired differences from configuration `baseline`.
    pub fn compare(&self, baseline: u32) -> Result<Comparison, CompareError> {
        let count = self.configs.len() as u32;
        if count < 2 {
            return Err(CompareError::OneConfiguration);
        }
        let Some(base) = self.configs.iter().find(|c| c.number == baseline) else {
            return Err(CompareError::NoSuchBaseline { baseline, count });
        };
        // Each configuration's run summaries by replicate.
        let mut by_config: HashMap<u32, HashMap<u32, &RunSummary>> = HashMap::new();
        for row in &self.rows {
            if let Some(summary) = &row.summary {
                by_config
                    .entry(row.config)
                    .or_default()
                    .insert(row.replicate, summary);
            }
        }
        let empty = HashMap::new();
        let base_runs = by_config.get(&baseline).unwrap_or(&empty);
        let configs = self
            .configs
            .iter()
            .filter(|c| c.number != baseline)
            .map(|config| {
                let runs = by_config.get(&config.number).unwrap_or(&empty);
                let pairs: Vec<(&RunSummary, &RunSummary)> = runs
                    .iter()
                    .filter_map(|(replicate, run)| Some((*run, *base_runs.get(replicate)?)))
                    .collect();
                let interval = |pick: fn(&RunSummary) -> f64| -> Option<[f64; 3]> {
                    let differences: Vec<f64> = pairs
                        .iter()
                        .map(|(run, base)| pick(run) - pick(base))
                        .collect();
                    Some([
                        quantile(&differences, 0.05)?,
                        quantile(&differences, 0.5)?,
                        quantile(&differences, 0.95)?,
                    ])
                };
                ConfigDifference {
                    config: config.number,
                    label: config.label.clone(),
                    pairs: pairs.len(),
                    attack_rate: interval(|s| s.attack_rate),
                    peak_day: interval(|s| f64::from(s.peak_day)),
                    peak_size: interval(|s| s.peak_size),
                }
            })
            .collect();
        Ok(Comparison {
            baseline,
            baseline_label: base.label.clone(),
            configs,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::sample::doubled_sweep;

    use super::*;

    #[test]
    fn differences_are_paired_by_replicate_and_the_baseline_must_exist() {
        let report = doubled_sweep();
        let comparison = report.compare(1).unwrap();
        assert_eq!(comparison.configs.len(), 1);
        let doubled = &comparison.configs[0];
        assert_eq!(doubled.config, 2);
        assert!(doubled.pairs >= 1);
        // Twice the current infections: the peak is larger, on the same day.
        let [low, median, high] = doubled.peak_size.unwrap();
        assert!(low > 0.0 && low <= median && median <= high, "{doubled:?}");
        assert_eq!(doubled.peak_day.unwrap()[1], 0.0);
        assert_eq!(
            report.compare(3).unwrap_err(),
            CompareError::NoSuchBaseline {
                baseline: 3,
                count: 2
            }
        );
        let back = report.compare(2).unwrap();
        assert!(back.configs[0].peak_size.unwrap()[1] < 0.0);
    }
}
