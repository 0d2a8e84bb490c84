//! Writing what FRED writes: `errors.txt` for a broken model; `RUN<r>/` with `out.csv`, the
//! per-condition tables, `DAILY/` files and health records for a run.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::{Datelike, Duration, NaiveDate};

use crate::Invocation;
use crate::model::{Count, Epidemic, INF_VARS, STAY_HOME_VARS};
use crate::program::{Model, ModelError};

pub fn write_errors(invocation: &Invocation, errors: &ModelError) -> std::io::Result<()> {
    std::fs::create_dir_all(
        invocation
            .out_dir
            .join(format!("RUN{}", invocation.run_number)),
    )?;
    write_lines(&invocation.out_dir.join("errors.txt"), &errors.messages)?;
    write_warnings(invocation, &errors.warnings)
}

/// `warnings.txt`, one line per ignored statement; a clean model writes none.
pub fn write_warnings(invocation: &Invocation, warnings: &[String]) -> std::io::Result<()> {
    if warnings.is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(&invocation.out_dir)?;
    write_lines(&invocation.out_dir.join("warnings.txt"), warnings)
}

fn write_lines(path: &Path, lines: &[String]) -> std::io::Result<()> {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text)
}

/// Column names of one condition: `C.newV, C.V, C.totV` for each variable, then `C.RR`.
fn columns(condition: &str, vars: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = vars
        .iter()
        .flat_map(|v| {
            [
                format!("{condition}.new{v}"),
                format!("{condition}.{v}"),
                format!("{condition}.tot{v}"),
            ]
        })
        .collect();
    names.push(format!("{condition}.RR"));
    names
}

fn values(counts: &[Count], rr: f64) -> Vec<String> {
    let mut out: Vec<String> = counts
        .iter()
        .flat_map(|c| [c.new, c.current, c.total].map(|v| v.to_string()))
        .collect();
    out.push(format!("{rr:.6}"));
    out
}

pub fn write_run(
    invocation: &Invocation,
    model: &Model,
    epidemic: &Epidemic,
) -> std::io::Result<()> {
    let run_dir = invocation
        .out_dir
        .join(format!("RUN{}", invocation.run_number));
    let daily = run_dir.join("DAILY");
    std::fs::create_dir_all(&daily)?;
    let dates: Vec<NaiveDate> = (0..epidemic.days.len())
        .map(|d| model.start_date + Duration::days(d as i64))
        .collect();

    let inf_columns = columns("INF", &INF_VARS);
    let stay_columns = columns("StayHome", &STAY_HOME_VARS);
    let mut out = BufWriter::new(File::create(run_dir.join("out.csv"))?);
    writeln!(
        out,
        "Day,Date,EpiWeek,Popsize,{},{}",
        inf_columns.join(","),
        stay_columns.join(",")
    )?;
    for (day, (row, date)) in epidemic.days.iter().zip(&dates).enumerate() {
        writeln!(
            out,
            "{day},{},{},{},{},{}",
            date.format("%Y-%m-%d"),
            epi_week(*date),
            epidemic.population,
            values(&row.inf, row.inf_rr).join(","),
            values(&row.stay_home, row.stay_home_rr).join(",")
        )?;
    }
    out.flush()?;

    for (condition, names, pick) in [
        ("INF", &inf_columns, 0usize),
        ("StayHome", &stay_columns, 1usize),
    ] {
        let mut table = BufWriter::new(File::create(run_dir.join(format!("{condition}.csv")))?);
        let short: Vec<&str> = names
            .iter()
            .map(|n| n.split_once('.').map_or(n.as_str(), |(_, v)| v))
            .collect();
        writeln!(table, "Day ,{}", short.join(","))?;
        for (day, row) in epidemic.days.iter().enumerate() {
            let cells = if pick == 0 {
                values(&row.inf, row.inf_rr)
            } else {
                values(&row.stay_home, row.stay_home_rr)
            };
            writeln!(table, "{day} ,{}", cells.join(","))?;
        }
        table.flush()?;
        for (column, name) in names.iter().enumerate() {
            let series: Vec<String> = epidemic
                .days
                .iter()
                .map(|row| {
                    let cells = if pick == 0 {
                        values(&row.inf, row.inf_rr)
                    } else {
                        values(&row.stay_home, row.stay_home_rr)
                    };
                    cells[column].clone()
                })
                .collect();
            write_daily(&daily, name, &series)?;
        }
    }
    write_daily(
        &daily,
        "Date",
        &dates
            .iter()
            .map(|d| d.format("%Y-%m-%d").to_string())
            .collect::<Vec<_>>(),
    )?;
    write_daily(
        &daily,
        "EpiWeek",
        &dates.iter().map(|d| epi_week(*d)).collect::<Vec<_>>(),
    )?;
    write_daily(
        &daily,
        "Popsize",
        &vec![epidemic.population.to_string(); dates.len()],
    )?;

    if model.health_records {
        let mut records = BufWriter::new(File::create(run_dir.join("health_records.txt"))?);
        for (row, date) in epidemic.days.iter().zip(&dates) {
            for person in &row.exposed {
                writeln!(
                    records,
                    "HEALTH RECORD: {} person {person} is EXPOSED to INF",
                    date.format("%Y-%m-%d")
                )?;
            }
        }
        records.flush()?;
    }
    Ok(())
}

fn write_daily(dir: &Path, name: &str, values: &[String]) -> std::io::Result<()> {
    let mut file = BufWriter::new(File::create(dir.join(format!("{name}.txt")))?);
    for (day, value) in values.iter().enumerate() {
        writeln!(file, "{day} {value}")?;
    }
    file.flush()
}

/// The CDC (MMWR) epidemiological week as FRED prints it, e.g. `2020.01`: weeks start on
/// Sunday, and week 1 is the first week with at least four days in the year.
pub fn epi_week(date: NaiveDate) -> String {
    let week_one = |year: i32| {
        let jan1 = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid date");
        let weekday = i64::from(jan1.weekday().num_days_from_sunday());
        if weekday <= 3 {
            jan1 - Duration::days(weekday)
        } else {
            jan1 + Duration::days(7 - weekday)
        }
    };
    let mut year = date.year();
    if date >= week_one(year + 1) {
        year += 1;
    } else if date < week_one(year) {
        year -= 1;
    }
    let week = (date - week_one(year)).num_days() / 7 + 1;
    format!("{year}.{week:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epi_weeks_match_freds_sample() {
        let day = |m, d| NaiveDate::from_ymd_opt(2020, m, d).unwrap();
        assert_eq!(epi_week(day(1, 1)), "2020.01");
        assert_eq!(epi_week(day(1, 4)), "2020.01");
        assert_eq!(epi_week(day(1, 5)), "2020.02");
        assert_eq!(epi_week(day(1, 12)), "2020.03");
        assert_eq!(
            epi_week(NaiveDate::from_ymd_opt(2021, 1, 2).unwrap()),
            "2020.53"
        );
    }
}
