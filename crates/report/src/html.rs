//! The report's page: self-contained HTML (inline SVG figures, inline style, a content
//! security policy that forbids every network fetch) with the job's header and status, the
//! figures, the tables and how costs were priced.
//!
//! A tiny inline script checks that every figure was drawn and records the result in the
//! body's `data-figures` attribute (`ok 2/2`, `broken 1/2`), so a headless browser can tell
//! without a reader seeing it.

use std::fmt;

use fredbatch_cost::{per_thousand_runs, usd};

use crate::model::JobReport;
use crate::svg::escape;

/// What the page may load: nothing from anywhere, only its own inline style and script and
/// `data:` images. A server showing the page sends it as the page's header too.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

impl JobReport {
    /// The page, as one HTML document.
    pub fn html(&self) -> String {
        Page(self).to_string()
    }

    /// "Average per run: $0.00000082 ($0.00082 per 1,000 runs)." over the priced runs.
    fn average_cost(&self) -> Option<String> {
        let costs: Vec<f64> = self.rows.iter().filter_map(|r| r.cost).collect();
        if costs.is_empty() {
            return None;
        }
        let average = costs.iter().sum::<f64>() / costs.len() as f64;
        Some(match per_thousand_runs(average) {
            Some(thousand) => format!("Average per run: {} ({thousand}).", usd(average)),
            None => format!("Average per run: {}.", usd(average)),
        })
    }
}

/// The page of a report, written as it is formatted.
struct Page<'a>(&'a JobReport);

impl fmt::Display for Page<'_> {
    fn fmt(&self, s: &mut fmt::Formatter<'_>) -> fmt::Result {
        let report = self.0;
        let h = &report.header;
        let figures = report.figures();
        write!(
            s,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta http-equiv=\"Content-Security-Policy\" content=\"{CONTENT_SECURITY_POLICY}\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>fredbatch job {id}: {name}</title><style>{STYLE}</style></head><body>\
             <h1>Job {id}: {name}</h1>",
            id = escape(&h.job_id),
            name = escape(&h.name)
        )?;
        write!(
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
            with = report.plotted_runs(),
            all = report.rows.len()
        )?;
        if figures.is_empty() || report.plotted_runs() == 0 {
            s.write_str("<p>No run has committed results yet: there is nothing to plot.</p>")?;
        } else {
            for figure in &figures {
                write!(s, "<figure>{}</figure>", figure.svg)?;
            }
        }
        if report.is_sweep() || report.rows.len() > crate::tables::RUNS_LISTED {
            report.configs_table(s)?;
        }
        if report.is_sweep() {
            report.comparison_table(s)?;
        }
        if !report.warnings.is_empty() {
            s.write_str(
                "<h2>FRED's warnings</h2><p>Statements FRED ignored in these runs \
                 (a misspelt key leaves its setting out):</p><ul id=\"warnings\">",
            )?;
            for (line, runs) in &report.warnings {
                let plural = if *runs == 1 { "" } else { "s" };
                write!(s, "<li>{} ({runs} run{plural})</li>", escape(line))?;
            }
            s.write_str("</ul>")?;
        }
        report.runs_table(s)?;
        report.costs_section(s)?;
        writeln!(
            s,
            "<p class=\"note\">{}Cost: {}</p><script>{CHECK}</script></body></html>",
            report
                .average_cost()
                .map(|line| format!("{}<br>", escape(&line)))
                .unwrap_or_default(),
            escape(&h.cost_basis)
        )
    }
}

const STYLE: &str = "body{font-family:sans-serif;max-width:820px;margin:2em auto;padding:0 1em;color:#222}\
figure{margin:1.5em 0}table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;\
padding:4px 8px;text-align:right}th:nth-child(2),td:nth-child(2){text-align:left}\
.status-done{color:#1a7f37}.status-failed{color:#b2182b}dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}\
dd{margin:0}.note{color:#666;font-size:90%}small{color:#666}\
.swatch{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px}";

/// Records in the body's `data-figures` how many figures have a drawn, non-empty box with a
/// median line: `ok N/N` only if all do. An attribute, so the page shows nothing of it.
const CHECK: &str = "(function(){var figs=document.querySelectorAll('svg.figure');var ok=0;\
for(var i=0;i<figs.length;i++){var b=figs[i].getBBox();if(b.width>0&&b.height>0&&figs[i].querySelector('polyline.median'))ok++;}\
document.body.setAttribute('data-figures',(ok===figs.length?'ok ':'broken ')+ok+'/'+figs.length);})();";

#[cfg(test)]
mod tests {
    use crate::sample::{doubled_sweep, priced_sweep, report};

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
    fn a_sweep_shows_each_configuration_side_by_side() {
        let html = doubled_sweep().html();
        assert_eq!(
            html.matches("class=\"median\"").count(),
            4,
            "2 figures x 2 configurations"
        );
        assert!(html.contains("id=\"configs\""));
        assert!(html.contains("1: INF.transmissibility=1.2 (2 runs)"));
    }

    #[test]
    fn a_priced_sweep_shows_each_configurations_cost_and_what_interruptions_cost() {
        let html = priced_sweep().html();
        assert!(html.contains("<h2>Cost</h2>"), "{html}");
        assert!(
            html.contains(
                "All attempts: 5 attempts, 5.00 CPU-hours, $0.05 (Spot), $0.15 on On-Demand; \
                 2.50 CPU-hours used."
            ),
            "{html}"
        );
        assert!(
            html.contains(
                "Interruptions: 1 attempt, 1.00 CPU-hours, $0.01 (Spot), paid for with nothing kept."
            ),
            "{html}"
        );
        assert!(
            html.contains("Failed attempts: 1 attempt (1 out of memory), 1.00 CPU-hours"),
            "{html}"
        );
        let table = html
            .split("id=\"config-costs\"")
            .nth(1)
            .and_then(|rest| rest.split("</table>").next())
            .expect("a table per configuration");
        assert_eq!(table.matches("<tr>").count(), 3, "a header and 2 rows");
        assert!(
            table.contains(
                "<td>1</td><td>INF.transmissibility=1.2</td><td>2</td><td>3</td><td>1</td>\
                 <td>3.00</td><td>1.50</td><td>$0.03</td><td>$0.09</td>"
            ),
            "{table}"
        );
        assert!(table.contains("+1 reused"), "{table}");

        // One configuration: the lines, no table; nothing lost reads as none.
        let mut single = report();
        let mut costs = priced_sweep().costs.unwrap();
        costs.breakdown.configurations.truncate(1);
        costs.breakdown.interruptions = Default::default();
        single.costs = Some(costs);
        let html = single.html();
        assert!(html.contains("Interruptions: none."), "{html}");
        assert!(!html.contains("config-costs"), "{html}");
        // Unpriced: no section.
        assert!(!report().html().contains("<h2>Cost</h2>"));
    }

    #[test]
    fn costs_read_as_money_and_the_render_check_is_not_on_the_page() {
        let mut r = report();
        r.rows[0].cost = Some(8.198e-7);
        let html = r.html();
        assert!(html.contains("<td>$0.00082</td>"), "per 1,000 runs: {html}");
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
    fn a_large_job_lists_its_failed_runs_with_reasons_instead_of_every_run() {
        let mut r = report();
        let done = r.rows[0].clone();
        let failed = r.rows[1].clone();
        r.rows = (1..=1000)
            .map(|n| {
                let mut row = if n == 500 {
                    failed.clone()
                } else {
                    done.clone()
                };
                row.run_number = n;
                row.replicate = n;
                row
            })
            .collect();
        let html = r.html();
        assert!(!html.contains("id=\"runs\""), "no row per run");
        assert!(html.contains("1 of 1000 runs"), "{html}");
        assert!(
            html.contains("No locations specified"),
            "the failed run's reason"
        );
        assert!(
            html.contains("id=\"configs\""),
            "the distribution per configuration"
        );
        assert!(
            html.len() < 100_000,
            "the page stays small: {} bytes",
            html.len()
        );
    }
}
