//! The table's columns and how a run's `out.csv` becomes its rows.

use std::collections::HashMap;

use fredbatch_core::program::config_overrides;
use fredbatch_core::{Config, Job, Run};

use crate::error::TableError;

/// How a column's values are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Int32,
    Int64,
    UInt64,
    Double,
    Text,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
    pub nullable: bool,
}

/// One cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Int(i64),
    UInt(u64),
    Double(f64),
    Text(String),
    Null,
}

/// FRED's `out.csv` of one run: its header and its rows, one per simulated day.
pub(crate) struct OutCsv {
    header: Vec<String>,
    rows: Vec<csv::StringRecord>,
}

impl OutCsv {
    pub(crate) fn parse(run: u32, bytes: &[u8]) -> Result<OutCsv, TableError> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(bytes);
        let problem = |line: usize, problem: String| TableError::OutCsv { run, line, problem };
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| problem(1, e.to_string()))?
            .iter()
            .map(str::to_owned)
            .collect();
        if !header.iter().any(|h| h == "Day") {
            return Err(problem(1, "no `Day` column".into()));
        }
        let rows = reader
            .records()
            .enumerate()
            .map(|(i, row)| row.map_err(|e| problem(i + 2, e.to_string())))
            .collect::<Result<_, _>>()?;
        Ok(OutCsv { header, rows })
    }

    /// FRED's columns besides `Day` and `Date` (which the table has as `day` and `date`).
    fn measures(&self) -> impl Iterator<Item = &str> {
        self.header
            .iter()
            .map(String::as_str)
            .filter(|h| *h != "Day" && *h != "Date")
    }
}

/// The table's columns, and each configuration's override values.
pub(crate) struct Schema {
    pub(crate) columns: Vec<Column>,
    /// Per configuration, its value of each override column (in column order).
    overrides: HashMap<u32, Vec<Value>>,
    /// FRED's columns, in table order.
    measures: Vec<String>,
}

impl Schema {
    /// The columns of `job`'s table, FRED's from `first`, the first run's `out.csv`.
    pub(crate) fn new(job: &Job, configs: &[Config], first: &OutCsv) -> Result<Schema, TableError> {
        let mut schema = Schema::without_runs(job, configs);
        schema.measures = first.measures().map(str::to_owned).collect();
        if let Some(clash) = schema
            .columns
            .iter()
            .find(|c| schema.measures.contains(&c.name))
        {
            return Err(TableError::Clash(clash.name.clone()));
        }
        schema
            .columns
            .extend(schema.measures.iter().map(|name| Column {
                name: name.clone(),
                kind: Kind::Double,
                nullable: true,
            }));
        Ok(schema)
    }

    /// The columns a table has before any run has results.
    pub(crate) fn without_runs(job: &Job, configs: &[Config]) -> Schema {
        // Each configuration's effective overrides: the job's, then its own (later wins).
        let effective: Vec<(u32, HashMap<String, String>)> = configs
            .iter()
            .map(|config| {
                let set = config_overrides(&job.params, &config.params)
                    .into_iter()
                    .map(|p| (p.key, p.value))
                    .collect();
                (config.number, set)
            })
            .collect();
        let mut keys: Vec<String> = Vec::new();
        for config in configs {
            for param in config_overrides(&job.params, &config.params) {
                if !keys.contains(&param.key) {
                    keys.push(param.key);
                }
            }
        }
        // A key whose every value is a number is a number column.
        let numeric: Vec<bool> = keys
            .iter()
            .map(|key| {
                effective
                    .iter()
                    .filter_map(|(_, set)| set.get(key))
                    .all(|v| v.parse::<f64>().is_ok_and(f64::is_finite))
            })
            .collect();
        let overrides = effective
            .iter()
            .map(|(number, set)| {
                let values = keys
                    .iter()
                    .zip(&numeric)
                    .map(|(key, numeric)| match (set.get(key), numeric) {
                        (None, _) => Value::Null,
                        (Some(v), true) => Value::Double(v.parse().expect("checked numeric")),
                        (Some(v), false) => Value::Text(v.clone()),
                    })
                    .collect();
                (*number, values)
            })
            .collect();
        let column = |name: &str, kind, nullable| Column {
            name: name.to_owned(),
            kind,
            nullable,
        };
        let mut columns = vec![
            column("job", Kind::Int64, false),
            column("config", Kind::Int32, false),
        ];
        columns.extend(keys.iter().zip(&numeric).map(|(key, numeric)| Column {
            name: key.clone(),
            kind: if *numeric { Kind::Double } else { Kind::Text },
            nullable: true,
        }));
        columns.extend([
            column("replicate", Kind::Int32, false),
            column("run_number", Kind::Int32, false),
            column("run_id", Kind::Int64, false),
            column("seed", Kind::UInt64, true),
            column("day", Kind::Int32, false),
            column("date", Kind::Text, true),
        ]);
        Schema {
            columns,
            overrides,
            measures: Vec::new(),
        }
    }

    fn override_count(&self) -> usize {
        self.overrides.values().next().map_or(0, Vec::len)
    }

    /// The rows of one run, in the schema's column order.
    pub(crate) fn rows<'a>(
        &'a self,
        job: &Job,
        run: &Run,
        seed: Option<u64>,
        out: &'a OutCsv,
    ) -> Result<impl Iterator<Item = Vec<Value>> + 'a, TableError> {
        let extra: Vec<&str> = out
            .measures()
            .filter(|name| !self.measures.iter().any(|m| m == name))
            .collect();
        if !extra.is_empty() {
            return Err(TableError::Columns {
                run: run.run_number,
                columns: extra.join(", "),
            });
        }
        let index = |name: &str| out.header.iter().position(|h| h == name);
        let (day, date) = (index("Day"), index("Date"));
        let measures: Vec<Option<usize>> = self.measures.iter().map(|m| index(m)).collect();
        let mut head = vec![Value::Int(job.id.0), Value::Int(i64::from(run.config))];
        match self.overrides.get(&run.config) {
            Some(values) => head.extend(values.iter().cloned()),
            None => head.extend(std::iter::repeat_n(Value::Null, self.override_count())),
        }
        head.extend([
            Value::Int(i64::from(run.replicate)),
            Value::Int(i64::from(run.run_number)),
            Value::Int(run.id.0),
            seed.map_or(Value::Null, Value::UInt),
        ]);
        let run_number = run.run_number;
        let mut rows = Vec::with_capacity(out.rows.len());
        for (line, record) in (2..).zip(&out.rows) {
            let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("");
            let day = cell(day).parse::<i64>().map_err(|_| TableError::OutCsv {
                run: run_number,
                line,
                problem: format!("`Day` is `{}`, not a whole number", cell(day)),
            })?;
            let mut row = head.clone();
            row.push(Value::Int(day));
            row.push(match cell(date) {
                "" => Value::Null,
                text => Value::Text(text.to_owned()),
            });
            row.extend(
                measures
                    .iter()
                    .map(|&i| cell(i).parse::<f64>().map_or(Value::Null, Value::Double)),
            );
            rows.push(row);
        }
        Ok(rows.into_iter())
    }
}
