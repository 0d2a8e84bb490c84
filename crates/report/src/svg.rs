//! What every figure is drawn with: its geometry and scale, the configurations' colours,
//! escaping text for XML, round tick steps and cut labels. Figures are standalone SVG documents (valid as
//! `.svg` files and inline in HTML): no scripts, no external fonts or images.

/// The figure's size and the margins around its plot area, in SVG user units.
pub(crate) const WIDTH: f64 = 760.0;
pub(crate) const HEIGHT: f64 = 360.0;
pub(crate) const LEFT: f64 = 64.0;
pub(crate) const RIGHT: f64 = 20.0;
pub(crate) const TOP: f64 = 36.0;
pub(crate) const BOTTOM: f64 = 48.0;
/// The plot area inside the margins.
pub(crate) const PLOT_WIDTH: f64 = WIDTH - LEFT - RIGHT;
pub(crate) const PLOT_HEIGHT: f64 = HEIGHT - TOP - BOTTOM;

/// Where days and counts go on the plot area: days from 0 to the last day of any run, counts
/// from 0 to a round number above the highest (`y_step` apart).
pub(crate) struct Scale {
    pub max_day: f64,
    pub y_top: f64,
    pub y_step: f64,
}

impl Scale {
    pub(crate) fn x(&self, day: f64) -> f64 {
        LEFT + day / self.max_day * PLOT_WIDTH
    }

    pub(crate) fn y(&self, value: f64) -> f64 {
        TOP + PLOT_HEIGHT - value / self.y_top * PLOT_HEIGHT
    }

    pub(crate) fn point(&self, day: u32, value: f64) -> String {
        format!("{:.1},{:.1}", self.x(f64::from(day)), self.y(value))
    }

    /// The points of an SVG polyline through a series.
    pub(crate) fn polyline(&self, days: &[u32], values: &[f64]) -> String {
        days.iter()
            .zip(values)
            .map(|(d, v)| self.point(*d, *v))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Colours of the configurations, in order (a palette readable with the common colour-vision
/// deficiencies); more configurations than colours reuse them.
const PALETTE: [&str; 7] = [
    "#b2182b", "#0072b2", "#009e73", "#e69f00", "#cc79a7", "#56b4e9", "#444444",
];

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

/// At most `max` characters, with an ellipsis when cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_numbers() {
        assert_eq!(tick_step(1000.0, 5.0), 200.0);
        assert_eq!(tick_step(99.0, 8.0), 20.0);
        assert_eq!(tick_step(7.0, 5.0), 2.0);
        assert_eq!(tick_step(0.0, 5.0), 1.0);
    }

    #[test]
    fn long_labels_are_cut_with_an_ellipsis() {
        assert_eq!(truncate("R0=1.2", 96), "R0=1.2");
        assert_eq!(truncate("abcdef", 4), "abc…");
    }
}
