//! `fredbatch compare JOB_ID [--baseline K]`: each configuration of a sweep against a baseline,
//! on paired differences over replicates.

use std::fmt;
use std::process::ExitCode;

use fredbatch_core::JobId;
use fredbatch_cost::Pricing;
use fredbatch_report::{Comparison, build_report};

use crate::Context;
use crate::output::{emit, table};

/// Compare a sweep's configurations with a baseline: for each, the median difference from the
/// baseline in attack rate, peak day and peak size, and its 5-95% interval over replicates.
///
/// Replicate r of every configuration is FRED run r (common random numbers), so replicate r of
/// a configuration is compared with replicate r of the baseline: the differences are paired,
/// and far tighter than two configurations' bands side by side.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  fredbatch compare 4 --baseline 2 --output json")]
pub struct CompareArgs {
    /// The job (a sweep).
    pub job_id: JobId,
    /// The configuration the others are compared with.
    #[arg(long, default_value_t = 1, value_name = "K")]
    pub baseline: u32,
}

struct Shown(Comparison);

impl serde::Serialize for Shown {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.0;
        writeln!(
            f,
            "Compared with configuration {} ({}): median difference [5%, 95%] over paired replicates",
            c.baseline,
            if c.baseline_label.is_empty() {
                "no overrides"
            } else {
                &c.baseline_label
            }
        )?;
        let mut rows = table([
            "Config",
            "Overrides",
            "Pairs",
            "Attack rate",
            "Peak day",
            "Peak size",
        ]);
        let cell = |values: Option<[f64; 3]>, show: fn(f64) -> String| match values {
            Some([low, median, high]) => {
                format!("{} [{}, {}]", show(median), show(low), show(high))
            }
            None => "-".to_owned(),
        };
        for config in &c.configs {
            rows.add_row([
                config.config.to_string(),
                config.label.clone(),
                config.pairs.to_string(),
                cell(config.attack_rate, |v| format!("{:+.1} pts", v * 100.0)),
                cell(config.peak_day, |v| format!("{v:+.0} d")),
                cell(config.peak_size, |v| format!("{v:+.0}")),
            ]);
        }
        write!(f, "{rows}")
    }
}

pub async fn run(args: CompareArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let store = ctx.settings.open_store().await?;
    let job = store.job(args.job_id).await?;
    let results = crate::backend::job_settings(&job, &ctx.settings).results()?;
    let report = build_report(&store, &results, &job, &Pricing::default()).await?;
    emit(ctx.output, &Shown(report.compare(args.baseline)?))?;
    Ok(ExitCode::SUCCESS)
}
