//! The report's figures: new infections per day and current infections per day, every run
//! with the median and 5-95% band across runs; for a sweep, each configuration's median and
//! band in its own colour with a legend naming its overrides. Each is an SVG document, shown
//! inline on the page and written as a file beside it.

use crate::chart::{Chart, Group};
use crate::model::{Bands, ConfigCurves, JobReport};

/// Runs drawn one by one in a figure; the band and median always use every run. Beyond a
/// few hundred, single curves are an unreadable blur and make the page megabytes long.
pub const MAX_DRAWN_RUNS: usize = 200;

/// A figure as a file name and its SVG document.
#[derive(Clone, Debug)]
pub struct Figure {
    pub file: String,
    pub title: String,
    pub svg: String,
}

impl JobReport {
    pub fn figures(&self) -> Vec<Figure> {
        let plotted: Vec<&ConfigCurves> = self
            .configs
            .iter()
            .filter(|c| !c.curves.is_empty())
            .collect();
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curves::Curve;
    use crate::sample::report;

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
    fn figures_are_files_too() {
        let names: Vec<String> = report().figures().into_iter().map(|f| f.file).collect();
        assert_eq!(names, ["new-infections.svg", "current-infections.svg"]);
    }
}
