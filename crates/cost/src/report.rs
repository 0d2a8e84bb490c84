//! The results report of a job: a self-contained HTML page (inline SVG figures, inline style,
//! a content security policy that forbids every network fetch) plus the same figures as files.
//!
//! Figures: new infections per day and current infections per day, every run with the
//! median and 5-95% band across runs. Then a table per run (attack rate, peak day and size,
//! duration, attempts, cost) and the job's status. A tiny inline script checks that every
//! figure was drawn and records the result in the body's `data-figures` attribute (`ok 2/2`,
//! `broken 1/2`), so a headless browser can tell without a reader seeing it.

use std::fmt::Write as _;

use serde::Serialize;

use crate::band::{Band, band};
use crate::curves::{Curve, RunSummary};
use crate::svg::{Chart, escape};

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

pub struct JobReport {
    pub header: JobHeader,
    pub rows: Vec<RunRow>,
    pub curves: Vec<Curve>,
}

/// Across-run statistics the page and JSON output share.
#[derive(Clone, Debug, Serialize)]
pub struct Bands {
    pub new_infections: Band,
    pub current_infections: Band,
}

impl JobReport {
    pub fn bands(&self) -> Bands {
        let new: Vec<(&[u32], &[f64])> = self
            .curves
            .iter()
            .map(|c| (c.days.as_slice(), c.new_infections.as_slice()))
            .collect();
        let current: Vec<(&[u32], &[f64])> = self
            .curves
            .iter()
            .map(|c| (c.days.as_slice(), c.current_infections.as_slice()))
            .collect();
        Bands {
            new_infections: band(&new),
            current_infections: band(&current),
        }
    }

    pub fn figures(&self) -> Vec<Figure> {
        let bands = self.bands();
        let condition = self
            .curves
            .first()
            .map(|c| c.condition.clone())
            .unwrap_or_default();
        let specs = [
            (
                "new-infections",
                format!("New infections per day ({condition}.newE)"),
                &bands.new_infections,
                true,
            ),
            (
                "current-infections",
                format!("Current infections per day ({condition}.E + Is + Ia)"),
                &bands.current_infections,
                false,
            ),
        ];
        specs
            .into_iter()
            .map(|(id, title, band, new)| {
                let runs = self
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
                    .collect();
                let svg = Chart {
                    id: &format!("fig-{id}"),
                    title: &title,
                    y_label: "people",
                    runs,
                    total_runs: self.curves.len(),
                    band,
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
            with = self.curves.len(),
            all = self.rows.len()
        );
        if figures.is_empty() || self.curves.is_empty() {
            s.push_str("<p>No run has committed results yet: there is nothing to plot.</p>");
        } else {
            for figure in &figures {
                let _ = write!(s, "<figure>{}</figure>", figure.svg);
            }
        }
        s.push_str(&self.table());
        let _ = writeln!(
            s,
            "<p class=\"note\">{}Cost: {}</p><script>{CHECK}</script></body></html>",
            self.average_cost()
                .map(|line| format!("{}<br>", escape(&line)))
                .unwrap_or_default(),
            escape(&h.cost_basis)
        );
        s
    }

    /// "Average per run: $0.00000082 ($0.00082 per 1,000 runs)." over the priced runs.
    fn average_cost(&self) -> Option<String> {
        let costs: Vec<f64> = self.rows.iter().filter_map(|r| r.cost).collect();
        if costs.is_empty() {
            return None;
        }
        let average = costs.iter().sum::<f64>() / costs.len() as f64;
        Some(match crate::per_thousand_runs(average) {
            Some(thousand) => format!("Average per run: {} ({thousand}).", crate::usd(average)),
            None => format!("Average per run: {}.", crate::usd(average)),
        })
    }

    fn table(&self) -> String {
        let mut s = String::from(
            "<h2>Runs</h2><table id=\"runs\"><thead><tr><th>Run</th><th>Status</th><th>Attempts</th>\
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
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{attack}</td><td>{peak_day}</td>\
                 <td>{peak_size}</td><td>{duration}</td><td>{}</td></tr>",
                row.run_number,
                escape(&row.status),
                row.attempts,
                row.cost.map(crate::usd).unwrap_or_else(|| "-".into())
            );
        }
        s.push_str("</tbody></table><p class=\"note\">Duration ending in + means people were still infected on the last simulated day.</p>");
        s
    }
}

const STYLE: &str = "body{font-family:sans-serif;max-width:820px;margin:2em auto;padding:0 1em;color:#222}\
figure{margin:1.5em 0}table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;\
padding:4px 8px;text-align:right}th:nth-child(2),td:nth-child(2){text-align:left}\
.status-done{color:#1a7f37}.status-failed{color:#b2182b}dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}\
dd{margin:0}.note{color:#666;font-size:90%}";

/// Records in the body's `data-figures` how many figures have a drawn, non-empty box with a
/// median line: `ok N/N` only if all do. An attribute, so the page shows nothing of it.
const CHECK: &str = "(function(){var figs=document.querySelectorAll('svg.figure');var ok=0;\
for(var i=0;i<figs.length;i++){var b=figs[i].getBBox();if(b.width>0&&b.height>0&&figs[i].querySelector('polyline.median'))ok++;}\
document.body.setAttribute('data-figures',(ok===figs.length?'ok ':'broken ')+ok+'/'+figs.length);})();";

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
                    status: "DONE".into(),
                    attempts: 2,
                    cost: Some(0.0012),
                    summary: Some(curve.summary()),
                },
                RunRow {
                    run_number: 2,
                    status: "ERROR".into(),
                    attempts: 1,
                    cost: None,
                    summary: None,
                },
            ],
            curves: vec![curve],
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
        let curve = r.curves[0].clone();
        r.curves = (1..=MAX_DRAWN_RUNS as u32 + 50)
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
    fn costs_read_as_money_and_the_render_check_is_not_on_the_page() {
        let mut r = report();
        r.rows[0].cost = Some(8.198e-7);
        let html = r.html();
        assert!(html.contains("<td>$0.00000082</td>"), "{html}");
        assert!(
            html.contains("Average per run: $0.00000082 ($0.00082 per 1,000 runs)."),
            "{html}"
        );
        assert!(!html.contains("e-7"));
        // The check writes an attribute of the body, never text a reader sees.
        assert!(html.contains("setAttribute('data-figures'"));
        assert!(!html.contains("render-check") && !html.contains("not checked"));
    }

    #[test]
    fn figures_are_files_too() {
        let names: Vec<String> = report().figures().into_iter().map(|f| f.file).collect();
        assert_eq!(names, ["new-infections.svg", "current-infections.svg"]);
    }
}
