//! Epidemic curves from FRED's `out.csv` (one row per simulated day, header
//! `Day,Date,EpiWeek,Popsize,<Condition>.<var>...`), and what they say.
//!
//! Terms, for the condition the model simulates (the first with a `newE` column, e.g. `INF`):
//! - **new infections** on a day: `<C>.newE`, people newly exposed that day;
//! - **current infections**: `<C>.E + <C>.Is + <C>.Ia`, people exposed or infectious that day
//!   (those of the three columns the file has);
//! - **attack rate**: cumulative exposures by the last day (`<C>.totE`, or the sum of `newE`)
//!   over the population;
//! - **peak day / size**: the first day current infections are highest, and that number;
//! - **duration**: days from the first to the last day with anyone infected; `ongoing` when
//!   people are still infected on the last simulated day (the true duration is longer).

use serde::Serialize;

use crate::error::CurveError;

/// One run's daily series.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Curve {
    /// FRED's run number (the replicate), as in its `RUN<n>` folder.
    pub run_number: u32,
    pub condition: String,
    pub population: u64,
    pub days: Vec<u32>,
    pub new_infections: Vec<f64>,
    pub current_infections: Vec<f64>,
    /// Cumulative exposures by each day.
    pub cumulative: Vec<f64>,
}

/// What one run's curve says.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunSummary {
    /// FRED's run number (the replicate), as in [`Curve::run_number`].
    pub run_number: u32,
    pub attack_rate: f64,
    pub peak_day: u32,
    pub peak_size: f64,
    pub duration_days: u32,
    pub ongoing: bool,
}

/// The curve in the text of an `out.csv` that FRED wrote as its run `run_number` (the
/// `RUN<n>` folder: the replicate, within its configuration).
pub fn parse_out_csv(run_number: u32, text: &str) -> Result<Curve, CurveError> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .collect();
    let missing = |column: &str| CurveError::MissingColumn {
        column: column.to_owned(),
    };
    let find = |name: &str| header.iter().position(|h| *h == name);
    let condition = header
        .iter()
        .find_map(|h| h.strip_suffix(".newE"))
        .ok_or_else(|| missing("<Condition>.newE"))?
        .to_owned();
    let day_col = find("Day").ok_or_else(|| missing("Day"))?;
    let pop_col = find("Popsize").ok_or_else(|| missing("Popsize"))?;
    let new_col = find(&format!("{condition}.newE")).ok_or_else(|| missing("newE"))?;
    let tot_col = find(&format!("{condition}.totE"));
    let current_cols: Vec<usize> = ["E", "Is", "Ia"]
        .iter()
        .filter_map(|v| find(&format!("{condition}.{v}")))
        .collect();
    if current_cols.is_empty() {
        return Err(missing(&format!("{condition}.E")));
    }
    let mut curve = Curve {
        run_number,
        condition,
        population: 0,
        days: Vec::new(),
        new_infections: Vec::new(),
        current_infections: Vec::new(),
        cumulative: Vec::new(),
    };
    for (index, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        let number = |col: usize| -> Result<f64, CurveError> {
            let cell = cells.get(col).copied().unwrap_or("").trim();
            cell.parse::<f64>().map_err(|_| CurveError::BadNumber {
                line: index + 2,
                value: cell.to_owned(),
            })
        };
        let new = number(new_col)?;
        let running = curve.cumulative.last().copied().unwrap_or(0.0) + new;
        curve.days.push(number(day_col)? as u32);
        curve.population = curve.population.max(number(pop_col)? as u64);
        curve.new_infections.push(new);
        curve.cumulative.push(match tot_col {
            Some(col) => number(col)?,
            None => running,
        });
        let mut current = 0.0;
        for &col in &current_cols {
            current += number(col)?;
        }
        curve.current_infections.push(current);
    }
    Ok(curve)
}

impl Curve {
    pub fn summary(&self) -> RunSummary {
        let mut peak = (0, 0.0);
        for (day, &current) in self.days.iter().zip(&self.current_infections) {
            if current > peak.1 {
                peak = (*day, current);
            }
        }
        let infected: Vec<u32> = self
            .days
            .iter()
            .zip(&self.current_infections)
            .filter(|(_, c)| **c > 0.0)
            .map(|(d, _)| *d)
            .collect();
        let duration_days = match (infected.first(), infected.last()) {
            (Some(first), Some(last)) => last - first + 1,
            _ => 0,
        };
        RunSummary {
            run_number: self.run_number,
            attack_rate: match (self.cumulative.last(), self.population) {
                (Some(total), population) if population > 0 => total / population as f64,
                _ => 0.0,
            },
            peak_day: peak.0,
            peak_size: peak.1,
            duration_days,
            ongoing: self.current_infections.last().is_some_and(|c| *c > 0.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "Day,Date,EpiWeek,Popsize,INF.newE,INF.E,INF.totE,INF.Is,INF.Ia,INF.RR\n\
        0,2020-01-01,2020.01,100,5,5,5,0,0,0\n\
        1,2020-01-02,2020.01,100,10,12,15,3,0,0\n\
        2,2020-01-03,2020.01,100,4,6,19,8,2,0\n\
        3,2020-01-04,2020.01,100,0,0,19,2,0,0\n\
        4,2020-01-05,2020.01,100,0,0,19,0,0,0\n";

    #[test]
    fn reads_new_and_current_infections() {
        let curve = parse_out_csv(3, CSV).unwrap();
        assert_eq!(curve.condition, "INF");
        assert_eq!(curve.population, 100);
        assert_eq!(curve.days, [0, 1, 2, 3, 4]);
        assert_eq!(curve.new_infections, [5.0, 10.0, 4.0, 0.0, 0.0]);
        assert_eq!(curve.current_infections, [5.0, 15.0, 16.0, 2.0, 0.0]);
    }

    #[test]
    fn summarises_attack_rate_peak_and_duration() {
        let s = parse_out_csv(3, CSV).unwrap().summary();
        assert_eq!(s.attack_rate, 0.19);
        assert_eq!((s.peak_day, s.peak_size), (2, 16.0));
        assert_eq!(s.duration_days, 4);
        assert!(!s.ongoing);
    }

    #[test]
    fn reads_the_real_fred_sample() {
        let text = include_str!("../tests/data/fred-sample-out.csv");
        let curve = parse_out_csv(1, text).unwrap();
        assert_eq!(curve.days.len(), 100);
        assert_eq!(curve.population, 45318);
        let s = curve.summary();
        assert!(s.attack_rate > 0.0 && s.attack_rate < 1.0);
        assert!(s.peak_size > 0.0);
    }

    #[test]
    fn tells_what_is_wrong_with_a_bad_file() {
        let error = parse_out_csv(2, "Day,Date\n0,2020-01-01\n").unwrap_err();
        assert!(error.to_string().contains("newE"), "{error}");
        let bad = CSV.replace("10,12,15", "ten,12,15");
        let error = parse_out_csv(2, &bad).unwrap_err();
        assert!(error.to_string().contains("line 3"), "{error}");
    }
}
