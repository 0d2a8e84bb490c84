//! A job's results report as data: the job's header, a row per run, and each configuration's
//! curves, with what the runs found across each configuration.
//!
//! Terms: a **plotted run** is a run with committed results (a curve); a configuration's
//! **summary** is the median and 5-95% range of its runs' attack rate, peak day and peak size
//! (see [`crate::curves`] for those terms). The page is [`crate::html`], its figures
//! [`crate::figures`].

use fredbatch_cost::Market;
use fredbatch_cost::breakdown::Breakdown;
use serde::Serialize;

use crate::band::{Band, band, quantile};
use crate::curves::{Curve, RunSummary};

/// The job, as the report shows it.
#[derive(Clone, Debug, Serialize)]
pub struct JobHeader {
    pub job_id: String,
    pub name: String,
    pub status: String,
    /// e.g. "4 runs: 4 DONE".
    pub counts: String,
    pub backend: String,
    /// The job's size per run and how it was found.
    pub resources: String,
    pub created_at: String,
    /// How the cost column was priced.
    pub cost_basis: String,
}

/// One row of the per-run table.
#[derive(Clone, Debug, Serialize)]
pub struct RunRow {
    pub run_number: u32,
    /// The run's configuration (1-based) and its replicate, the FRED run number.
    pub config: u32,
    pub replicate: u32,
    pub status: String,
    /// Why it did not end DONE, in the backend's or FRED's words.
    pub reason: Option<String>,
    /// What kind of failure ended it, for an ERROR run.
    pub failure: Option<fredbatch_core::FailureClass>,
    pub attempts: u32,
    /// What it ran with (e.g. `1 vCPU, 512 MB`) and why that size (see `Job::run_size`).
    pub size: String,
    pub size_why: String,
    /// USD, all attempts of the run.
    pub cost: Option<f64>,
    /// `None` when the run has no committed `out.csv`.
    pub summary: Option<RunSummary>,
}

/// One configuration of the job and the curves of its runs with results.
#[derive(Clone, Debug)]
pub struct ConfigCurves {
    pub number: u32,
    /// Its overrides for people, e.g. `INF.transmissibility=1.5 days=60`.
    pub label: String,
    pub curves: Vec<Curve>,
}

pub struct JobReport {
    pub header: JobHeader,
    pub rows: Vec<RunRow>,
    /// Every configuration, in order (one for a job that is not a sweep).
    pub configs: Vec<ConfigCurves>,
    /// FRED's warnings of the job's runs (statements they ignored), each with how many runs
    /// it concerns.
    pub warnings: Vec<(String, usize)>,
    /// Where the job's cost went; `None` when it could not be priced (a size no instance type
    /// of the pricing fits).
    pub costs: Option<Costs>,
}

/// Where a job's cost went: each configuration's share, interruptions and failed attempts
/// (see [`fredbatch_cost::breakdown`]), with the market the report prices on.
#[derive(Clone, Debug, Serialize)]
pub struct Costs {
    pub market: Market,
    #[serde(flatten)]
    pub breakdown: Breakdown,
}

/// Across-run statistics of one configuration.
#[derive(Clone, Debug, Serialize)]
pub struct Bands {
    pub new_infections: Band,
    pub current_infections: Band,
}

/// The median and 5-95% range of what a configuration's runs found.
#[derive(Clone, Debug, Serialize)]
pub struct ConfigSummary {
    pub config: u32,
    pub label: String,
    pub runs: usize,
    /// `[p5, median, p95]` of each run's attack rate, peak day and peak size.
    pub attack_rate: [f64; 3],
    pub peak_day: [f64; 3],
    pub peak_size: [f64; 3],
}

impl ConfigCurves {
    pub fn bands(&self) -> Bands {
        let series = |pick: fn(&Curve) -> &[f64]| -> Band {
            let series: Vec<(&[u32], &[f64])> = self
                .curves
                .iter()
                .map(|c| (c.days.as_slice(), pick(c)))
                .collect();
            band(&series)
        };
        Bands {
            new_infections: series(|c| &c.new_infections),
            current_infections: series(|c| &c.current_infections),
        }
    }

    /// `None` when no run of the configuration has results.
    pub fn summary(&self) -> Option<ConfigSummary> {
        let summaries: Vec<RunSummary> = self.curves.iter().map(Curve::summary).collect();
        let range = |pick: fn(&RunSummary) -> f64| -> Option<[f64; 3]> {
            let values: Vec<f64> = summaries.iter().map(pick).collect();
            Some([
                quantile(&values, 0.05)?,
                quantile(&values, 0.5)?,
                quantile(&values, 0.95)?,
            ])
        };
        Some(ConfigSummary {
            config: self.number,
            label: self.label.clone(),
            runs: summaries.len(),
            attack_rate: range(|s| s.attack_rate)?,
            peak_day: range(|s| f64::from(s.peak_day))?,
            peak_size: range(|s| s.peak_size)?,
        })
    }
}

impl JobReport {
    /// Runs with results, across every configuration.
    pub fn plotted_runs(&self) -> usize {
        self.configs.iter().map(|c| c.curves.len()).sum()
    }

    /// Whether the job has more than one configuration.
    pub fn is_sweep(&self) -> bool {
        self.configs.len() > 1
    }

    pub fn config_summaries(&self) -> Vec<ConfigSummary> {
        self.configs
            .iter()
            .filter_map(ConfigCurves::summary)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::sample::{doubled_sweep, report};

    #[test]
    fn a_configuration_summarizes_its_runs() {
        let summaries = report().config_summaries();
        assert_eq!(summaries.len(), 1);
        assert_eq!(summaries[0].runs, 1);
        let [low, median, high] = summaries[0].attack_rate;
        assert!(low <= median && median <= high && median > 0.0);
    }

    #[test]
    fn each_configuration_of_a_sweep_is_summarized_apart() {
        let summaries = doubled_sweep().config_summaries();
        assert_eq!(summaries.len(), 2);
        assert_eq!(summaries[1].peak_size[1], 2.0 * summaries[0].peak_size[1]);
        assert_eq!(summaries[0].peak_day, summaries[1].peak_day);
    }
}
