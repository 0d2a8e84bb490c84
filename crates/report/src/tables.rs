//! The report's tables, as HTML: for a sweep, one row per configuration (median and 5-95%
//! range of attack rate, peak day and peak size); then one row per run (attack rate, peak day
//! and size, duration, attempts, cost); then where the cost went (every attempt, interruptions,
//! failed attempts and, for a sweep, one row per configuration).

use std::fmt;

use fredbatch_cost::{Market, figure, usd};

use crate::model::JobReport;
use crate::svg::{colour, escape};

impl JobReport {
    /// One row per configuration: what its runs found, as median and 5-95% range.
    pub(crate) fn configs_table(&self, s: &mut fmt::Formatter<'_>) -> fmt::Result {
        s.write_str(
            "<h2>Configurations</h2><table id=\"configs\"><thead><tr><th>Config</th>\
             <th>Overrides</th><th>Runs with results</th><th>Attack rate</th><th>Peak day</th>\
             <th>Peak size</th></tr></thead><tbody>",
        )?;
        let summaries = self.config_summaries();
        for (i, config) in self.configs.iter().enumerate() {
            let cells = match summaries.iter().find(|c| c.config == config.number) {
                Some(c) => [
                    range(c.attack_rate, |v| format!("{:.1}%", v * 100.0)),
                    range(c.peak_day, |v| format!("{v:.0}")),
                    range(c.peak_size, |v| format!("{v:.0}")),
                ],
                None => ["-".into(), "-".into(), "-".into()],
            };
            write!(
                s,
                "<tr><td><span class=\"swatch\" style=\"background:{}\"></span>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                colour(i),
                config.number,
                escape(&config.label),
                config.curves.len(),
                cells[0],
                cells[1],
                cells[2]
            )?;
        }
        s.write_str(
            "</tbody></table><p class=\"note\">Each cell: the median across the configuration's \
             runs, with the 5-95% range below it.</p>",
        )
    }

    /// For a sweep: each configuration's paired difference from configuration 1.
    pub(crate) fn comparison_table(&self, s: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Ok(comparison) = self.compare(1) else {
            return Ok(());
        };
        s.write_str(
            "<h2>Compared with configuration 1</h2><table id=\"comparison\"><thead><tr>\
             <th>Config</th><th>Overrides</th><th>Pairs</th><th>Attack rate</th><th>Peak day</th>\
             <th>Peak size</th></tr></thead><tbody>",
        )?;
        let cell = |values: Option<[f64; 3]>, show: fn(f64) -> String| {
            values.map_or_else(|| "-".to_owned(), |v| range(v, show))
        };
        for config in &comparison.configs {
            write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                config.config,
                escape(&config.label),
                config.pairs,
                cell(config.attack_rate, |v| format!("{:+.1} pts", v * 100.0)),
                cell(config.peak_day, |v| format!("{v:+.0}")),
                cell(config.peak_size, |v| format!("{v:+.0}")),
            )?;
        }
        s.write_str(
            "</tbody></table><p class=\"note\">Replicate r of every configuration is FRED run r \
             (common random numbers): each cell is the median over replicates of the difference \
             from configuration 1's same replicate, with its 5-95% range below.</p>",
        )
    }

    /// One row per run (what its curve says, how long it took, its attempts and cost per
    /// 1,000 runs like it) while the job is small; for a larger one, only the runs that did
    /// not end DONE, with their reasons: the configurations' table summarises the others.
    pub(crate) fn runs_table(&self, s: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rows.len() > RUNS_LISTED {
            return self.failed_runs_table(s);
        }
        let sweep = self.is_sweep();
        s.write_str("<h2>Runs</h2><table id=\"runs\"><thead><tr>")?;
        // Run is the run's number within the job, as in `fredbatch status` and results paths.
        s.write_str("<th>Run</th>")?;
        if sweep {
            s.write_str("<th>Config</th><th>FRED run</th>")?;
        }
        s.write_str(
            "<th>Status</th><th>Attempts</th><th>Size</th>\
             <th>Attack rate</th><th>Peak day</th><th>Peak size</th><th>Duration (days)</th>\
             <th>Cost per 1,000</th></tr></thead><tbody>",
        )?;
        for row in &self.rows {
            let (attack, peak_day, peak_size, duration) = match &row.summary {
                Some(r) => (
                    format!("{:.1}%", r.attack_rate * 100.0),
                    r.peak_day.to_string(),
                    format!("{:.0}", r.peak_size),
                    format!("{}{}", r.duration_days, if r.ongoing { "+" } else { "" }),
                ),
                None => ("-".into(), "-".into(), "-".into(), "-".into()),
            };
            write!(s, "<tr><td>{}</td>", row.run_number)?;
            if sweep {
                write!(s, "<td>{}</td><td>{}</td>", row.config, row.replicate)?;
            }
            write!(
                s,
                "<td>{}</td><td>{}</td><td title=\"{}\">{}</td><td>{attack}</td>\
                 <td>{peak_day}</td><td>{peak_size}</td><td>{duration}</td><td>{}</td></tr>",
                escape(&row.status),
                row.attempts,
                escape(&row.size_why),
                escape(&row.size),
                row.cost
                    .map(|cost| usd(cost * 1000.0))
                    .unwrap_or_else(|| "-".into())
            )?;
        }
        s.write_str(
            "</tbody></table><p class=\"note\">Duration ending in + means people were still \
             infected on the last simulated day. Cost per 1,000: what 1,000 runs like this one \
             cost, every attempt included.</p>",
        )
    }

    /// The runs that did not end DONE, with their reasons (the first [`RUNS_LISTED`]).
    fn failed_runs_table(&self, s: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failed: Vec<_> = self.rows.iter().filter(|r| r.status != "DONE").collect();
        write!(
            s,
            "<h2>Runs that did not end DONE</h2><p>{} of {} runs; the configurations' table \
             above summarises the rest (every run: <code>fredbatch status {} --output json</code> \
             or <code>fredbatch results {} --table FILE</code>).</p>",
            failed.len(),
            self.rows.len(),
            escape(&self.header.job_id),
            escape(&self.header.job_id)
        )?;
        if failed.is_empty() {
            return Ok(());
        }
        s.write_str(
            "<table id=\"failed-runs\"><thead><tr><th>Run</th><th>Config</th><th>FRED run</th>\
             <th>Status</th><th>Attempts</th><th>Failure</th><th>Reason</th></tr></thead><tbody>",
        )?;
        for row in failed.iter().take(RUNS_LISTED) {
            write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                row.run_number,
                row.config,
                row.replicate,
                escape(&row.status),
                row.attempts,
                row.failure.map_or("", |class| class.label()),
                escape(row.reason.as_deref().unwrap_or(""))
            )?;
        }
        s.write_str("</tbody></table>")?;
        if failed.len() > RUNS_LISTED {
            write!(
                s,
                "<p class=\"note\">... and {} more.</p>",
                failed.len() - RUNS_LISTED
            )?;
        }
        Ok(())
    }
}

impl JobReport {
    /// What every attempt cost, what interruptions and failed attempts cost with nothing kept,
    /// and, for a sweep, each configuration's share (see [`fredbatch_cost::breakdown`]).
    pub(crate) fn costs_section(&self, s: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(costs) = &self.costs else {
            return Ok(());
        };
        let (b, market) = (&costs.breakdown, costs.market);
        let other = match market {
            Market::Spot => Market::OnDemand,
            Market::OnDemand => Market::Spot,
        };
        s.write_str("<h2>Cost</h2><ul id=\"costs\">")?;
        write!(
            s,
            "<li id=\"cost-total\">All attempts: {}{}; {} CPU-hours used.</li>",
            escape(&b.total.describe(market)),
            b.total
                .cost(other)
                .map(|cost| format!(", {} on {}", usd(cost), other.label()))
                .unwrap_or_default(),
            figure(b.total.used_cpu_hours)
        )?;
        let lost = |tally_attempts: usize, line: String| {
            if tally_attempts == 0 {
                "none".to_owned()
            } else {
                format!("{}, paid for with nothing kept", escape(&line))
            }
        };
        write!(
            s,
            "<li id=\"cost-interruptions\">Interruptions: {}.</li>\
             <li id=\"cost-failed\">Failed attempts: {}.</li></ul>",
            lost(b.interruptions.attempts, b.interruptions.describe(market)),
            lost(
                b.failed_attempts.tally.attempts,
                b.failed_attempts.describe(market)
            ),
        )?;
        if b.is_sweep() {
            s.write_str(
                "<table id=\"config-costs\"><thead><tr><th>Config</th><th>Overrides</th>\
                 <th>Runs</th><th>Attempts</th><th>Lost</th><th>CPU-h reserved</th>\
                 <th>CPU-h used</th><th>Spot</th><th>On-Demand</th></tr></thead><tbody>",
            )?;
            let money = |v: Option<f64>| v.map(usd).unwrap_or_else(|| "-".into());
            for c in &b.configurations {
                let label = self
                    .configs
                    .iter()
                    .find(|config| config.number == c.config)
                    .map_or("", |config| config.label.as_str());
                let reused = if c.reused_runs > 0 {
                    format!(" <small>+{} reused</small>", c.reused_runs)
                } else {
                    String::new()
                };
                write!(
                    s,
                    "<tr><td>{}</td><td>{}</td><td>{}{reused}</td><td>{}</td><td>{}</td>\
                     <td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    c.config,
                    escape(label),
                    c.runs,
                    c.paid.attempts,
                    c.interrupted.attempts + c.failed.attempts,
                    figure(c.paid.reserved_cpu_hours),
                    figure(c.paid.used_cpu_hours),
                    money(c.paid.spot),
                    money(c.paid.on_demand),
                )?;
            }
            s.write_str("</tbody></table>")?;
        }
        s.write_str(
            "<p class=\"note\">Every attempt is paid for, retries included: a configuration's \
             figures are all its runs' attempts, interrupted and failed ones too (Lost), and add \
             up to the job's. Interruptions are attempts stopped from outside (a reclaimed Spot \
             instance, a failed node, a killed worker); failed attempts ended with any other \
             failure (out of memory, over time, ...). CPU-hours reserved: wall time × the vCPUs \
             each attempt held; used: the engine's measured CPU time. Runs that took an \
             identical run's results ran nothing and cost nothing here.</p>",
        )
    }
}

/// Runs listed one per row at most: beyond, a page would be megabytes of table nobody reads.
pub const RUNS_LISTED: usize = 200;

/// `median` over `p5–p95`, each formatted by `show`.
fn range(values: [f64; 3], show: impl Fn(f64) -> String) -> String {
    format!(
        "{}<br><small>{}–{}</small>",
        show(values[1]),
        show(values[0]),
        show(values[2])
    )
}
