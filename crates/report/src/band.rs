//! Statistics across runs, day by day: the median and the 5-95% band of a series.
//!
//! Quantiles interpolate linearly between order statistics (the common "type 7" definition,
//! as numpy and R use by default): the q-quantile of sorted x[0..n] is x at position q·(n-1).
//! Runs of different lengths are aligned by day; a day's statistics use the runs that reached it.

use serde::Serialize;

/// The q-quantile (0 ≤ q ≤ 1) of `values`; `None` when there are none.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let position = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let low = position.floor() as usize;
    let high = position.ceil() as usize;
    let fraction = position - low as f64;
    Some(sorted[low] + (sorted[high] - sorted[low]) * fraction)
}

/// Per-day median and 5-95% band of one series across runs.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Band {
    pub days: Vec<u32>,
    pub p5: Vec<f64>,
    pub median: Vec<f64>,
    pub p95: Vec<f64>,
}

/// `series` holds each run's (days, values).
pub fn band(series: &[(&[u32], &[f64])]) -> Band {
    let mut by_day: std::collections::BTreeMap<u32, Vec<f64>> = Default::default();
    for (days, values) in series {
        for (day, value) in days.iter().zip(values.iter()) {
            by_day.entry(*day).or_default().push(*value);
        }
    }
    let mut out = Band::default();
    for (day, values) in by_day {
        out.days.push(day);
        out.p5.push(quantile(&values, 0.05).unwrap_or(0.0));
        out.median.push(quantile(&values, 0.5).unwrap_or(0.0));
        out.p95.push(quantile(&values, 0.95).unwrap_or(0.0));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_known_inputs() {
        let v: Vec<f64> = (1..=21).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), Some(11.0));
        assert_eq!(quantile(&v, 0.05), Some(2.0));
        assert_eq!(quantile(&v, 0.95), Some(20.0));
        // Order does not matter; even counts interpolate.
        assert_eq!(quantile(&[4.0, 1.0, 3.0, 2.0], 0.5), Some(2.5));
        assert_eq!(quantile(&[7.0], 0.95), Some(7.0));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn band_is_per_day_across_runs() {
        let days = [0, 1];
        let runs: Vec<Vec<f64>> = (0..=20).map(|r| vec![f64::from(r), 100.0]).collect();
        let series: Vec<(&[u32], &[f64])> =
            runs.iter().map(|v| (&days[..], v.as_slice())).collect();
        let b = band(&series);
        assert_eq!(b.days, [0, 1]);
        assert_eq!((b.p5[0], b.median[0], b.p95[0]), (1.0, 10.0, 19.0));
        assert_eq!((b.p5[1], b.median[1], b.p95[1]), (100.0, 100.0, 100.0));
    }

    #[test]
    fn shorter_runs_leave_later_days_to_the_others() {
        let short = ([0u32], [1.0]);
        let long = ([0u32, 1], [3.0, 8.0]);
        let b = band(&[(&short.0[..], &short.1[..]), (&long.0[..], &long.1[..])]);
        assert_eq!(b.median, [2.0, 8.0]);
    }
}
