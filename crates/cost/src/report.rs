//! The results report of a job: a self-contained HTML page (inline SVG figures, inline style,
//! a content security policy that forbids every network fetch) plus the same figures as files.
//!
//! Figures: new infections per day and current infections per day, every run with the
//! median and 5-95% band across runs; for a sweep, each configuration's median and band in its
//! own colour with a legend naming its overrides. Then, for a sweep, a table of the
//! configurations (median and 5-95% range of attack rate, peak day and peak size), a table per
//! run (attack rate, peak day and size, duration, attempts, cost) and the job's status. A tiny inline script checks that every
//! figure was drawn and writes the result into `#render-check`, so a headless browser can tell.

use std::fmt::Write as _;

use serde::Serialize;

use crate::band::{Band, band, quantile};
use crate::curves::{Curve, RunSummary};
use crate::svg::{Chart, Group, colour, escape};

/// Runs drawn one by one in a figure; the band and median always use every run. Beyond a
/// few hundred, single curves are an unreadable blur and make the page megabytes long.
pub const MAX_DRAWN_RUNS: usize = 200;

/// The job, as the report shows it.
#[derive(Clone, Debug, Serialize)]
pub struct JobHeader {
    pub job_id: String,
    pub name: String,
    pub status: String,
    /// e.g. "4 runs: 4 DONE".
    pub counts: String,
    pub backend: String,
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
    pub attempts: u32,
    /// USD, all attempts of the run.
    pub cost: Option<f64>,
    /// `None` when the run has no committed `out.csv`.
    pub summary: Option<RunSummary>,
}

/// A figure as a file name and its SVG document.
#[derive(Clone, Debug)]
pub struct Figure {
    pub file: String,
    pub title: String,
    pub svg: String,
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

    fn is_sweep(&self) -> bool {
        self.configs.len() > 1
    }

    pub fn config_summaries(&self) -> Vec<ConfigSummary> {
        self.configs.iter().filter_map(ConfigCurves::summary).collect()
    }

    pub fn figures(&self) -> Vec<Figure> {
        let plotted: Vec<&ConfigCurves> =
            self.configs.iter().filter(|c| !c.curves.is_empty()).collect();
        let bands: Vec<Bands> = plotted.iter().map(|c| c.bands()).collect();
        let condition = plotted
            .first()
            .and_then(|c| c.curves.first())
            .map(|c| c.condition.clone())
            .unwrap_or_default();
        let specs = [
            (
                "new-infections",
                format!("New infections per day ({condition}.newE)"),
                true,
            ),
            (
                "current-infections",
                format!("Current infections per day ({condition}.E + Is + Ia)"),
                false,
            ),
        ];
        specs
            .into_iter()
            .map(|(id, title, new)| {
                let groups = plotted
                    .iter()
                    .zip(&bands)
                    .map(|(config, bands)| Group {
                        label: format!("{}: {}", config.number, config.label),
                        runs: config
                            .curves
                            .iter()
                            .take(MAX_DRAWN_RUNS)
                            .map(|c| {
                                let values = if new {
                                    &c.new_infections
                                } else {
                                    &c.current_infections
                                };
                                (c.days.as_slice(), values.as_slice())
                            })
                            .collect(),
                        total_runs: config.curves.len(),
                        band: if new {
                            &bands.new_infections
                        } else {
                            &bands.current_infections
                        },
                    })
                    .collect();
                let svg = Chart {
                    id: &format!("fig-{id}"),
                    title: &title,
                    y_label: "people",
                    groups,
                }
                .render();
                Figure {
                    file: format!("{id}.svg"),
                    title,
                    svg,
                }
            })
            .collect()
    }

    pub fn html(&self) -> String {
        let h = &self.header;
        let figures = self.figures();
        let mut s = String::new();
        let _ = write!(
            s,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>fredbatch job {id}: {name}</title><style>{STYLE}</style></head><body>\
             <h1>Job {id}: {name}</h1>",
            id = escape(&h.job_id),
            name = escape(&h.name)
        );
        let _ = write!(
            s,
            "<p id=\"job-status\" class=\"status status-{cls}\"><strong>{status}</strong> — {counts}</p>\
             <dl><dt>Backend</dt><dd>{backend}</dd><dt>Per run</dt><dd>{resources}</dd>\
             <dt>Created</dt><dd>{created}</dd><dt>Runs with results</dt><dd>{with} of {all}</dd></dl>",
            cls = escape(&h.status.to_lowercase()),
            status = escape(&h.status),
            counts = escape(&h.counts),
            backend = escape(&h.backend),
            resources = escape(&h.resources),
            created = escape(&h.created_at),
            with = self.plotted_runs(),
            all = self.rows.len()
        );
        if figures.is_empty() || self.plotted_runs() == 0 {
            s.push_str("<p>No run has committed results yet: there is nothing to plot.</p>");
        } else {
            for figure in &figures {
                let _ = write!(s, "<figure>{}</figure>", figure.svg);
            }
        }
        if self.is_sweep() {
            s.push_str(&self.configs_table());
        }
        s.push_str(&self.table());
        let _ = writeln!(
            s,
            "<p class=\"note\">Cost: {}</p><p id=\"render-check\">not checked</p><script>{CHECK}</script></body></html>",
            escape(&h.cost_basis)
        );
        s
    }

    /// One row per configuration: what its runs found, as median and 5-95% range.
    fn configs_table(&self) -> String {
        let mut s = String::from(
            "<h2>Configurations</h2><table id=\"configs\"><thead><tr><th>Config</th>\
             <th>Overrides</th><th>Runs with results</th><th>Attack rate</th><th>Peak day</th>\
             <th>Peak size</th></tr></thead><tbody>",
        );
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
            let _ = write!(
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
            );
        }
        s.push_str(
            "</tbody></table><p class=\"note\">Each cell: the median across the configuration's \
             runs, with the 5-95% range below it.</p>",
        );
        s
    }

    fn table(&self) -> String {
        let sweep = self.is_sweep();
        let mut s = String::from("<h2>Runs</h2><table id=\"runs\"><thead><tr>");
        if sweep {
            s.push_str("<th>Config</th>");
        }
        s.push_str(
            "<th>Run</th><th>Status</th><th>Attempts</th>\
             <th>Attack rate</th><th>Peak day</th><th>Peak size</th><th>Duration (days)</th>\
             <th>Cost</th></tr></thead><tbody>",
        );
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
            s.push_str("<tr>");
            if sweep {
                let _ = write!(s, "<td>{}</td>", row.config);
            }
            let _ = write!(
                s,
                "<td>{}</td><td>{}</td><td>{}</td><td>{attack}</td><td>{peak_day}</td>\
                 <td>{peak_size}</td><td>{duration}</td><td>{}</td></tr>",
                if sweep { row.replicate } else { row.run_number },
                escape(&row.status),
                row.attempts,
                row.cost.map(crate::usd).unwrap_or_else(|| "-".into())
            );
        }
        s.push_str("</tbody></table><p class=\"note\">Duration ending in + means people were still infected on the last simulated day.</p>");
        s
    }
}

/// `median` over `p5–p95`, each formatted by `show`.
fn range(values: [f64; 3], show: impl Fn(f64) -> String) -> String {
    format!(
        "{}<br><small>{}–{}</small>",
        show(values[1]),
        show(values[0]),
        show(values[2])
    )
}

const STYLE: &str = "body{font-family:sans-serif;max-width:820px;margin:2em auto;padding:0 1em;color:#222}\
figure{margin:1.5em 0}table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;\
padding:4px 8px;text-align:right}th:nth-child(2),td:nth-child(2){text-align:left}\
.status-done{color:#1a7f37}.status-failed{color:#b2182b}dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}\
dd{margin:0}.note{color:#666;font-size:90%}small{color:#666}\
.swatch{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px}";

/// Marks the page only if every figure has a drawn, non-empty box.
const CHECK: &str = "(function(){var figs=document.querySelectorAll('svg.figure');var ok=0;\
for(var i=0;i<figs.length;i++){var b=figs[i].getBBox();if(b.width>0&&b.height>0&&figs[i].querySelector('polyline.median'))ok++;}\
document.getElementById('render-check').textContent=(ok===figs.length?'figures-ok ':'figures-broken ')+ok+'/'+figs.length;})();";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curves::parse_out_csv;

    fn report() -> JobReport {
        let text = include_str!("../tests/data/fred-sample-out.csv");
        let curve = parse_out_csv(1, text).unwrap();
        JobReport {
            header: JobHeader {
                job_id: "7".into(),
                name: "influenza <test>".into(),
                status: "DONE".into(),
                counts: "2 runs: 1 DONE, 1 ERROR".into(),
                backend: "local".into(),
                resources: "1 vCPU, 256 MB".into(),
                created_at: "2020-01-01".into(),
                cost_basis: "Spot".into(),
            },
            rows: vec![
                RunRow {
                    run_number: 1,
                    config: 1,
                    replicate: 1,
                    status: "DONE".into(),
                    attempts: 2,
                    cost: Some(0.0012),
                    summary: Some(curve.summary()),
                },
                RunRow {
                    run_number: 2,
                    config: 1,
                    replicate: 2,
                    status: "ERROR".into(),
                    attempts: 1,
                    cost: None,
                    summary: None,
                },
            ],
            configs: vec![ConfigCurves {
                number: 1,
                label: String::new(),
                curves: vec![curve],
            }],
        }
    }

    #[test]
    fn page_holds_both_figures_the_table_and_no_network_reference() {
        let html = report().html();
        assert!(html.contains("id=\"fig-new-infections\""));
        assert!(html.contains("id=\"fig-current-infections\""));
        assert_eq!(html.matches("<tr>").count(), 3);
        assert!(html.contains("influenza &lt;test&gt;"));
        assert!(html.contains("default-src 'none'"));
        // Nothing to fetch: no sources, no links, no URL but the SVG namespace (a name).
        assert!(!html.contains(" src=") && !html.contains("href=") && !html.contains("https:"));
        let urls = html.matches("http://").count();
        assert_eq!(urls, html.matches("http://www.w3.org/2000/svg").count());
    }

    #[test]
    fn very_many_runs_draw_a_sample_but_summarize_all() {
        let mut r = report();
        let curve = r.configs[0].curves[0].clone();
        r.configs[0].curves = (1..=MAX_DRAWN_RUNS as u32 + 50)
            .map(|n| Curve {
                run_number: n,
                ..curve.clone()
            })
            .collect();
        let svg = &r.figures()[0].svg;
        assert_eq!(svg.matches("class=\"run\"").count(), MAX_DRAWN_RUNS);
        assert!(
            svg.contains("median of 250 runs"),
            "legend counts every run"
        );
        assert!(svg.contains("each of the first 200 runs"));
    }

    #[test]
    fn a_sweep_shows_each_configuration_side_by_side() {
        let mut r = report();
        let curve = r.configs[0].curves[0].clone();
        let mut doubled = curve.clone();
        for value in doubled.current_infections.iter_mut() {
            *value *= 2.0;
        }
        r.configs = vec![
            ConfigCurves {
                number: 1,
                label: "INF.transmissibility=1.2".into(),
                curves: vec![curve.clone(), curve],
            },
            ConfigCurves {
                number: 2,
                label: "INF.transmissibility=1.8".into(),
                curves: vec![doubled],
            },
        ];
        let html = r.html();
        assert_eq!(html.matches("class=\"median\"").count(), 4, "2 figures x 2 configurations");
        assert!(html.contains("id=\"configs\""));
        assert!(html.contains("1: INF.transmissibility=1.2 (2 runs)"));
        let summaries = r.config_summaries();
        assert_eq!(summaries.len(), 2);
        assert_eq!(summaries[1].peak_size[1], 2.0 * summaries[0].peak_size[1]);
        assert_eq!(summaries[0].peak_day, summaries[1].peak_day);
    }

    #[test]
    fn figures_are_files_too() {
        let names: Vec<String> = report().figures().into_iter().map(|f| f.file).collect();
        assert_eq!(names, ["new-infections.svg", "current-infections.svg"]);
    }
}
