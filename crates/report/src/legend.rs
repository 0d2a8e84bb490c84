//! The legend of a figure: for one configuration, what the median, the band and the thin
//! lines are (top left, where an epidemic's curves rarely are); for a sweep, one line per
//! configuration below the plot, its median's colour beside its overrides.

use std::fmt;

use crate::chart::Chart;
use crate::svg::{HEIGHT, LEFT, RIGHT, TOP, WIDTH, colour, escape, truncate};

/// Configurations named in the legend; the rest are summed up in one line.
const LEGEND_ENTRIES: usize = 10;

impl Chart<'_> {
    /// Top left: epidemics start near zero, so that corner is usually empty.
    pub(crate) fn single_legend(&self, s: &mut fmt::Formatter<'_>) -> fmt::Result {
        let group = &self.groups[0];
        let lx = LEFT + 12.0;
        write!(
            s,
            r##"<g class="legend" transform="translate({lx:.1} {TOP})"><rect width="230" height="58" fill="white" fill-opacity="0.85" stroke="#ccc"/><line x1="8" y1="14" x2="34" y2="14" stroke="#b2182b" stroke-width="2.5"/><text x="40" y="18">median of {n} runs</text><rect x="8" y="24" width="26" height="10" fill="#f4a582" fill-opacity="0.45"/><text x="40" y="33">5-95% band</text><line x1="8" y1="46" x2="34" y2="46" stroke="#6b8fb5" stroke-opacity="0.6"/><text x="40" y="50">{each}</text></g>"##,
            n = group.total_runs,
            each = if group.runs.len() < group.total_runs {
                format!("each of the first {} runs", group.runs.len())
            } else {
                "each run".to_owned()
            }
        )
    }

    /// Lines of the configurations' legend: those named, and one for the rest.
    fn groups_legend_lines(&self) -> (usize, usize) {
        let named = self.groups.len().min(LEGEND_ENTRIES);
        (named, usize::from(self.groups.len() > named))
    }

    pub(crate) fn groups_legend_height(&self) -> f64 {
        let (named, extra) = self.groups_legend_lines();
        32.0 + 16.0 * (named + extra) as f64
    }

    /// Below the plot: one line per configuration, its median's colour beside its overrides.
    pub(crate) fn groups_legend(&self, s: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (named, extra) = self.groups_legend_lines();
        let width = WIDTH - LEFT - RIGHT;
        let height = self.groups_legend_height() - 8.0;
        write!(
            s,
            r##"<g class="legend" transform="translate({LEFT} {HEIGHT})"><rect width="{width}" height="{height:.0}" fill="white" stroke="#ccc"/><text x="8" y="16">median and 5-95% band of each configuration</text>"##
        )?;
        for (i, group) in self.groups.iter().take(named).enumerate() {
            let ly = 32.0 + 16.0 * i as f64;
            write!(
                s,
                r##"<line x1="8" y1="{:.0}" x2="30" y2="{:.0}" stroke="{}" stroke-width="2.5"/><text x="36" y="{ly:.0}">{} ({} runs)</text>"##,
                ly - 4.0,
                ly - 4.0,
                colour(i),
                escape(&truncate(&group.label, 96)),
                group.total_runs
            )?;
        }
        if extra == 1 {
            write!(
                s,
                r##"<text x="36" y="{:.0}">and {} more configurations (see the tables)</text>"##,
                32.0 + 16.0 * named as f64,
                self.groups.len() - named
            )?;
        }
        s.write_str("</g>")
    }
}
