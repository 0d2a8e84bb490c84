//! Hand-written SVG line charts: every run's curve thin and pale, the 5-95% band shaded, the
//! median bold; for a sweep, each configuration's band and median in its own colour with a
//! legend naming it. Standalone documents (valid as `.svg` files and inline in HTML), no
//! scripts, no external fonts or images.

use std::fmt::Write as _;

use crate::band::Band;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 360.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 36.0;
const BOTTOM: f64 = 48.0;

/// Colours of the configurations, in order (a palette readable with the common colour-vision
/// deficiencies); more configurations than colours reuse them.
const PALETTE: [&str; 7] = [
    "#b2182b", "#0072b2", "#009e73", "#e69f00", "#cc79a7", "#56b4e9", "#444444",
];
/// Configurations named in the legend; the rest are summed up in one line.
const LEGEND_ENTRIES: usize = 10;

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

/// The colour of the `index`-th group (0-based).
pub fn colour(index: usize) -> &'static str {
    PALETTE[index % PALETTE.len()]
}

/// Escapes text for XML content and attributes.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A "nice" tick step (1, 2 or 5 × 10^k) giving about `count` ticks up to `max`.
pub fn tick_step(max: f64, count: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let raw = max / count;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    step.max(1.0)
}

impl Chart<'_> {
    pub fn render(&self) -> String {
        let single = self.groups.len() == 1;
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
        let y_top = ((max_y / y_step).ceil() * y_step).max(y_step);
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let x = |day: f64| LEFT + day / max_day * plot_w;
        let y = |value: f64| TOP + plot_h - value / y_top * plot_h;

        // Configurations are named below the plot, where they never hide a curve.
        let height = if single {
            HEIGHT
        } else {
            HEIGHT + self.groups_legend_height()
        };
        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" id="{id}" class="figure" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-label="{title}" font-family="sans-serif" font-size="12">"#,
            id = escape(self.id),
            title = escape(self.title)
        );
        let _ = write!(s, "<title>{}</title>", escape(self.title));
        let _ = write!(
            s,
            r#"<rect width="{WIDTH}" height="{height}" fill="white"/>"#
        );
        let _ = write!(
            s,
            r#"<text x="{LEFT}" y="22" font-size="15" font-weight="bold">{}</text>"#,
            escape(self.title)
        );
        // Grid and axes.
        let mut tick = 0.0;
        while tick <= y_top + 1e-9 {
            let ty = y(tick);
            let _ = write!(
                s,
                r##"<line x1="{LEFT}" y1="{ty:.1}" x2="{:.1}" y2="{ty:.1}" stroke="#e4e4e4"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
                WIDTH - RIGHT,
                LEFT - 6.0,
                ty + 4.0,
                tick
            );
            tick += y_step;
        }
        let x_step = tick_step(max_day, 8.0);
        let mut day = 0.0;
        while day <= max_day + 1e-9 {
            let tx = x(day);
            let _ = write!(
                s,
                r##"<line x1="{tx:.1}" y1="{:.1}" x2="{tx:.1}" y2="{:.1}" stroke="#999"/><text x="{tx:.1}" y="{:.1}" text-anchor="middle">{day}</text>"##,
                TOP + plot_h,
                TOP + plot_h + 5.0,
                TOP + plot_h + 18.0
            );
            day += x_step;
        }
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{b:.1}" stroke="#333"/><line x1="{LEFT}" y1="{b:.1}" x2="{r:.1}" y2="{b:.1}" stroke="#333"/>"##,
            b = TOP + plot_h,
            r = WIDTH - RIGHT
        );
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">day of the simulation</text>"#,
            LEFT + plot_w / 2.0,
            HEIGHT - 8.0
        );
        let _ = write!(
            s,
            r#"<text transform="translate(14 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
            TOP + plot_h / 2.0,
            escape(self.y_label)
        );
        // Every band, then the single runs, then every median on top.
        for (i, group) in self.groups.iter().enumerate() {
            let band = group.band;
            if band.days.is_empty() {
                continue;
            }
            let fill = if single { "#f4a582" } else { colour(i) };
            let opacity = if single { 0.45 } else { 0.18 };
            let mut points: Vec<String> = band
                .days
                .iter()
                .zip(&band.p95)
                .map(|(d, v)| format!("{:.1},{:.1}", x(f64::from(*d)), y(*v)))
                .collect();
            points.extend(
                band.days
                    .iter()
                    .zip(&band.p5)
                    .rev()
                    .map(|(d, v)| format!("{:.1},{:.1}", x(f64::from(*d)), y(*v))),
            );
            let _ = write!(
                s,
                r##"<polygon class="band" data-config="{}" points="{}" fill="{fill}" fill-opacity="{opacity}" stroke="none"/>"##,
                i + 1,
                points.join(" ")
            );
        }
        if single {
            for (days, values) in &self.groups[0].runs {
                let _ = write!(
                    s,
                    r##"<polyline class="run" points="{}" fill="none" stroke="#6b8fb5" stroke-opacity="0.35" stroke-width="1"/>"##,
                    polyline(days, values, &x, &y)
                );
            }
        }
        for (i, group) in self.groups.iter().enumerate() {
            let _ = write!(
                s,
                r##"<polyline class="median" data-config="{}" points="{}" fill="none" stroke="{}" stroke-width="2.5"/>"##,
                i + 1,
                polyline(&group.band.days, &group.band.median, &x, &y),
                colour(i)
            );
        }
        if single {
            self.single_legend(&mut s);
        } else {
            self.groups_legend(&mut s);
        }
        s.push_str("</svg>");
        s
    }

    /// Top left: epidemics start near zero, so that corner is usually empty.
    fn single_legend(&self, s: &mut String) {
        let group = &self.groups[0];
        let lx = LEFT + 12.0;
        let _ = write!(
            s,
            r##"<g class="legend" transform="translate({lx:.1} {TOP})"><rect width="230" height="58" fill="white" fill-opacity="0.85" stroke="#ccc"/><line x1="8" y1="14" x2="34" y2="14" stroke="#b2182b" stroke-width="2.5"/><text x="40" y="18">median of {n} runs</text><rect x="8" y="24" width="26" height="10" fill="#f4a582" fill-opacity="0.45"/><text x="40" y="33">5-95% band</text><line x1="8" y1="46" x2="34" y2="46" stroke="#6b8fb5" stroke-opacity="0.6"/><text x="40" y="50">{each}</text></g>"##,
            n = group.total_runs,
            each = if group.runs.len() < group.total_runs {
                format!("each of the first {} runs", group.runs.len())
            } else {
                "each run".to_owned()
            }
        );
    }

    /// Lines of the configurations' legend: those named, and one for the rest.
    fn groups_legend_lines(&self) -> (usize, usize) {
        let named = self.groups.len().min(LEGEND_ENTRIES);
        (named, usize::from(self.groups.len() > named))
    }

    fn groups_legend_height(&self) -> f64 {
        let (named, extra) = self.groups_legend_lines();
        32.0 + 16.0 * (named + extra) as f64
    }

    /// Below the plot: one line per configuration, its median's colour beside its overrides.
    fn groups_legend(&self, s: &mut String) {
        let (named, extra) = self.groups_legend_lines();
        let width = WIDTH - LEFT - RIGHT;
        let height = self.groups_legend_height() - 8.0;
        let _ = write!(
            s,
            r##"<g class="legend" transform="translate({LEFT} {HEIGHT})"><rect width="{width}" height="{height:.0}" fill="white" stroke="#ccc"/><text x="8" y="16">median and 5-95% band of each configuration</text>"##
        );
        for (i, group) in self.groups.iter().take(named).enumerate() {
            let ly = 32.0 + 16.0 * i as f64;
            let _ = write!(
                s,
                r##"<line x1="8" y1="{:.0}" x2="30" y2="{:.0}" stroke="{}" stroke-width="2.5"/><text x="36" y="{ly:.0}">{} ({} runs)</text>"##,
                ly - 4.0,
                ly - 4.0,
                colour(i),
                escape(&truncate(&group.label, 96)),
                group.total_runs
            );
        }
        if extra == 1 {
            let _ = write!(
                s,
                r##"<text x="36" y="{:.0}">and {} more configurations (see the tables)</text>"##,
                32.0 + 16.0 * named as f64,
                self.groups.len() - named
            );
        }
        s.push_str("</g>");
    }
}

/// At most `max` characters, with an ellipsis when cut.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

fn polyline(
    days: &[u32],
    values: &[f64],
    x: &dyn Fn(f64) -> f64,
    y: &dyn Fn(f64) -> f64,
) -> String {
    days.iter()
        .zip(values)
        .map(|(d, v)| format!("{:.1},{:.1}", x(f64::from(*d)), y(*v)))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::band::band;

    #[test]
    fn ticks_are_round_numbers() {
        assert_eq!(tick_step(1000.0, 5.0), 200.0);
        assert_eq!(tick_step(99.0, 8.0), 20.0);
        assert_eq!(tick_step(7.0, 5.0), 2.0);
        assert_eq!(tick_step(0.0, 5.0), 1.0);
    }

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
