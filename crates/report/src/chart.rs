//! A line chart of epidemic curves: every run's curve thin and pale, the 5-95% band shaded,
//! the median bold; for a sweep, each configuration's band and median in its own colour, named
//! in a legend below the plot ([`crate::legend`]).

use std::fmt;

use crate::band::Band;
use crate::svg::{
    HEIGHT, LEFT, PLOT_HEIGHT, PLOT_WIDTH, RIGHT, Scale, TOP, WIDTH, colour, escape, tick_step,
};

/// One figure: groups of runs (one per configuration), each with its band and median.
pub struct Chart<'a> {
    /// Used as the element id, e.g. `fig-new-infections`.
    pub id: &'a str,
    pub title: &'a str,
    pub y_label: &'a str,
    pub groups: Vec<Group<'a>>,
}

/// The runs of one configuration in a figure.
pub struct Group<'a> {
    /// How the legend names the configuration (e.g. `2: INF.transmissibility=1.5`); unused
    /// when the figure has one group.
    pub label: String,
    /// The runs drawn one by one (a sample when there are very many); drawn only when the
    /// figure has one group, where they do not hide each other's medians.
    pub runs: Vec<(&'a [u32], &'a [f64])>,
    /// How many runs the band and median summarize.
    pub total_runs: usize,
    pub band: &'a Band,
}

impl Chart<'_> {
    /// The figure as a standalone SVG document.
    pub fn render(&self) -> String {
        self.to_string()
    }

    /// One configuration: its runs are drawn one by one and the legend explains the figure.
    pub(crate) fn is_single(&self) -> bool {
        self.groups.len() == 1
    }

    fn scale(&self) -> Scale {
        // The bands cover runs that may not be drawn, so they bound the axes too.
        let max_day = self
            .groups
            .iter()
            .flat_map(|g| {
                g.runs
                    .iter()
                    .flat_map(|(d, _)| d.iter().copied())
                    .chain(g.band.days.iter().copied())
            })
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        let max_y = self
            .groups
            .iter()
            .flat_map(|g| {
                g.runs
                    .iter()
                    .flat_map(|(_, v)| v.iter().copied())
                    .chain(g.band.p95.iter().copied())
            })
            .fold(0.0, f64::max);
        let y_step = tick_step(max_y, 5.0);
        Scale {
            max_day,
            y_top: ((max_y / y_step).ceil() * y_step).max(y_step),
            y_step,
        }
    }

    /// The grid, both axes with their ticks, and the axis labels.
    fn axes(&self, s: &mut fmt::Formatter<'_>, scale: &Scale) -> fmt::Result {
        let mut tick = 0.0;
        while tick <= scale.y_top + 1e-9 {
            let ty = scale.y(tick);
            write!(
                s,
                r##"<line x1="{LEFT}" y1="{ty:.1}" x2="{:.1}" y2="{ty:.1}" stroke="#e4e4e4"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
                WIDTH - RIGHT,
                LEFT - 6.0,
                ty + 4.0,
                tick
            )?;
            tick += scale.y_step;
        }
        let x_step = tick_step(scale.max_day, 8.0);
        let mut day = 0.0;
        while day <= scale.max_day + 1e-9 {
            let tx = scale.x(day);
            write!(
                s,
                r##"<line x1="{tx:.1}" y1="{:.1}" x2="{tx:.1}" y2="{:.1}" stroke="#999"/><text x="{tx:.1}" y="{:.1}" text-anchor="middle">{day}</text>"##,
                TOP + PLOT_HEIGHT,
                TOP + PLOT_HEIGHT + 5.0,
                TOP + PLOT_HEIGHT + 18.0
            )?;
            day += x_step;
        }
        write!(
            s,
            r##"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{b:.1}" stroke="#333"/><line x1="{LEFT}" y1="{b:.1}" x2="{r:.1}" y2="{b:.1}" stroke="#333"/>"##,
            b = TOP + PLOT_HEIGHT,
            r = WIDTH - RIGHT
        )?;
        write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">day of the simulation</text>"#,
            LEFT + PLOT_WIDTH / 2.0,
            HEIGHT - 8.0
        )?;
        write!(
            s,
            r#"<text transform="translate(14 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
            TOP + PLOT_HEIGHT / 2.0,
            escape(self.y_label)
        )?;
        Ok(())
    }

    /// Every band, then the single runs, then every median on top.
    fn curves(&self, s: &mut fmt::Formatter<'_>, scale: &Scale) -> fmt::Result {
        let single = self.is_single();
        for (i, group) in self.groups.iter().enumerate() {
            let band = group.band;
            if band.days.is_empty() {
                continue;
            }
            let fill = if single { "#f4a582" } else { colour(i) };
            let opacity = if single { 0.45 } else { 0.18 };
            // Along the top edge (p95), then back along the bottom one (p5).
            let mut points: Vec<String> = band
                .days
                .iter()
                .zip(&band.p95)
                .map(|(d, v)| scale.point(*d, *v))
                .collect();
            points.extend(
                band.days
                    .iter()
                    .zip(&band.p5)
                    .rev()
                    .map(|(d, v)| scale.point(*d, *v)),
            );
            write!(
                s,
                r##"<polygon class="band" data-config="{}" points="{}" fill="{fill}" fill-opacity="{opacity}" stroke="none"/>"##,
                i + 1,
                points.join(" ")
            )?;
        }
        if single {
            for (days, values) in &self.groups[0].runs {
                write!(
                    s,
                    r##"<polyline class="run" points="{}" fill="none" stroke="#6b8fb5" stroke-opacity="0.35" stroke-width="1"/>"##,
                    scale.polyline(days, values)
                )?;
            }
        }
        for (i, group) in self.groups.iter().enumerate() {
            write!(
                s,
                r##"<polyline class="median" data-config="{}" points="{}" fill="none" stroke="{}" stroke-width="2.5"/>"##,
                i + 1,
                scale.polyline(&group.band.days, &group.band.median),
                colour(i)
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for Chart<'_> {
    fn fmt(&self, s: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scale = self.scale();
        // Configurations are named below the plot, where they never hide a curve.
        let height = if self.is_single() {
            HEIGHT
        } else {
            HEIGHT + self.groups_legend_height()
        };
        write!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" id="{id}" class="figure" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-label="{title}" font-family="sans-serif" font-size="12">"#,
            id = escape(self.id),
            title = escape(self.title)
        )?;
        write!(s, "<title>{}</title>", escape(self.title))?;
        write!(
            s,
            r#"<rect width="{WIDTH}" height="{height}" fill="white"/>"#
        )?;
        write!(
            s,
            r#"<text x="{LEFT}" y="22" font-size="15" font-weight="bold">{}</text>"#,
            escape(self.title)
        )?;
        self.axes(s, &scale)?;
        self.curves(s, &scale)?;
        if self.is_single() {
            self.single_legend(s)?;
        } else {
            self.groups_legend(s)?;
        }
        s.write_str("</svg>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::band::band;

    #[test]
    fn draws_every_run_the_band_and_the_median() {
        let days = [0u32, 1, 2];
        let a = [0.0, 10.0, 4.0];
        let b = [1.0, 20.0, 2.0];
        let series: Vec<(&[u32], &[f64])> = vec![(&days, &a), (&days, &b)];
        let band = band(&series);
        let svg = Chart {
            id: "fig-new",
            title: "New <infections>",
            y_label: "people",
            groups: vec![Group {
                label: String::new(),
                runs: series,
                total_runs: 2,
                band: &band,
            }],
        }
        .render();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"fig-new\""));
        assert_eq!(svg.matches("class=\"run\"").count(), 2);
        assert_eq!(svg.matches("class=\"median\"").count(), 1);
        assert_eq!(svg.matches("class=\"band\"").count(), 1);
        assert!(svg.contains("New &lt;infections&gt;"));
        assert!(!svg.contains("NaN"));
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn configurations_get_their_own_colour_and_legend_line() {
        let days = [0u32, 1, 2];
        let a = [0.0, 10.0, 4.0];
        let b = [1.0, 30.0, 2.0];
        let low = band(&[(&days[..], &a[..])]);
        let high = band(&[(&days[..], &b[..])]);
        let groups = [("1: R0=1.2", &low), ("2: R0=<1.8>", &high)]
            .into_iter()
            .map(|(label, band)| Group {
                label: label.into(),
                runs: Vec::new(),
                total_runs: 1,
                band,
            })
            .collect();
        let svg = Chart {
            id: "fig",
            title: "t",
            y_label: "people",
            groups,
        }
        .render();
        assert_eq!(svg.matches("class=\"median\"").count(), 2);
        assert_eq!(svg.matches("class=\"band\"").count(), 2);
        assert!(svg.contains(&format!("stroke=\"{}\"", colour(0))));
        assert!(svg.contains(&format!("stroke=\"{}\"", colour(1))));
        assert!(svg.contains("2: R0=&lt;1.8&gt; (1 runs)"));
        assert_eq!(
            svg.matches("class=\"run\"").count(),
            0,
            "no single runs in a sweep"
        );
        // The legend sits below the plot, which grows to hold it, so it hides no curve.
        assert!(svg.contains(r#"<g class="legend" transform="translate(64 360)">"#));
        assert!(svg.contains(r#"height="424""#), "{svg}");
    }
}
