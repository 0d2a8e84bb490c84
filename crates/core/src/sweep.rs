//! Parameter sweeps: a job's *configurations*, each a set of model-key overrides run N times.
//!
//! - `--sweep KEY=V1,V2,...` axes make one configuration per combination, the cartesian product
//!   in the order given (the first axis varies slowest, like nested loops);
//! - a design file (CSV: a header of keys, one configuration per row, `#` lines are comments)
//!   gives its rows as they are.
//!
//! Every key and value is checked as a `--param` is, so nothing can smuggle extra model lines in,
//! and every mistake names where it is.

use std::fmt;
use std::str::FromStr;

use crate::limits::MAX_RUNS_PER_JOB;
use crate::params::{ParamError, ParamOverride};

/// One `--sweep KEY=V1,V2,...`: a key and the values it takes, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepAxis {
    pub key: String,
    pub values: Vec<String>,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SweepError {
    #[error("--sweep `{text}`: {source}")]
    Axis {
        text: String,
        #[source]
        source: ParamError,
    },
    #[error(
        "--sweep `{0}` has no values: list them after `=`, separated by commas, e.g. `--sweep {0}=1.2,1.5`"
    )]
    NoValues(String),
    #[error("--sweep `{key}`: value {position} is empty (two commas in a row, or one at an end)")]
    EmptyValue { key: String, position: usize },
    #[error("{file} line {line}: {message}")]
    Design {
        file: String,
        line: u64,
        message: String,
    },
    #[error("{file} holds no configuration: give a header line of keys and at least one row")]
    EmptyDesign { file: String },
    #[error("`{key}` is set twice: by {first} and by {second}; give each key in one place")]
    KeyTwice {
        key: String,
        first: String,
        second: String,
    },
    #[error(
        "{configs} configuration(s) x {runs} run(s) is {total} runs; a job holds at most {MAX_RUNS_PER_JOB}: \
         sweep fewer values or lower --runs"
    )]
    TooManyRuns { configs: u64, runs: u64, total: u64 },
}

impl FromStr for SweepAxis {
    type Err = SweepError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let axis_error = |source| SweepError::Axis {
            text: text.to_owned(),
            source,
        };
        let (key, list) = text
            .split_once('=')
            .ok_or_else(|| axis_error(ParamError::MissingEquals(text.to_owned())))?;
        let key = key.trim();
        if list.trim().is_empty() {
            // Checked after the key, so `=1,2` says the key is wrong rather than the values.
            check(key, "1").map_err(axis_error)?;
            return Err(SweepError::NoValues(key.to_owned()));
        }
        let mut values = Vec::new();
        for (i, value) in list.split(',').enumerate() {
            if value.trim().is_empty() {
                return Err(SweepError::EmptyValue {
                    key: key.to_owned(),
                    position: i + 1,
                });
            }
            values.push(check(key, value).map_err(axis_error)?.value);
        }
        Ok(SweepAxis {
            key: key.to_owned(),
            values,
        })
    }
}

impl fmt::Display for SweepAxis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key, self.values.join(","))
    }
}

fn check(key: &str, value: &str) -> Result<ParamOverride, ParamError> {
    format!("{key}={value}").parse()
}

/// One configuration per combination of the axes' values, the first axis varying slowest.
pub fn product(axes: &[SweepAxis]) -> Vec<Vec<ParamOverride>> {
    let mut configs: Vec<Vec<ParamOverride>> = vec![Vec::new()];
    for axis in axes {
        configs = configs
            .into_iter()
            .flat_map(|config| {
                axis.values.iter().map(move |value| {
                    let mut next = config.clone();
                    next.push(ParamOverride {
                        key: axis.key.clone(),
                        value: value.clone(),
                    });
                    next
                })
            })
            .collect();
    }
    configs
}

/// The configurations of a design file: a header of keys, then one row per configuration.
/// `file` names the file in messages.
pub fn parse_design(file: &str, text: &str) -> Result<Vec<Vec<ParamOverride>>, SweepError> {
    let at = |line: u64, message: String| SweepError::Design {
        file: file.to_owned(),
        line,
        message,
    };
    // Comment lines are blanked (same length, so byte offsets still point into `text`) rather
    // than left to the reader's comment support, and lines are counted from byte offsets: the
    // reader's own line numbers skip blank and comment lines.
    let blanked: String = text
        .split_inclusive('\n')
        .map(|line| {
            if line.trim_start().starts_with('#') {
                let end = line.trim_end_matches(['\r', '\n']);
                format!("{}{}", " ".repeat(end.len()), &line[end.len()..])
            } else {
                line.to_owned()
            }
        })
        .collect();
    let line_at = |byte: u64| {
        1 + text.as_bytes()[..byte as usize]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(blanked.as_bytes());
    let mut keys: Option<Vec<String>> = None;
    let mut configs = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| line_at(p.byte()));
            at(line, format!("not readable as CSV: {e}"))
        })?;
        let line = record.position().map_or(0, |p| line_at(p.byte()));
        if record.iter().all(str::is_empty) {
            continue;
        }
        let Some(keys) = &keys else {
            keys = Some(header(&record, line, &at)?);
            continue;
        };
        if record.len() != keys.len() {
            return Err(at(
                line,
                format!(
                    "{} for {}",
                    counted(record.len(), "value"),
                    counted(keys.len(), "key")
                ),
            ));
        }
        let config = keys
            .iter()
            .zip(record.iter())
            .map(|(key, value)| check(key, value).map_err(|e| at(line, format!("`{key}`: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        configs.push(config);
    }
    if configs.is_empty() {
        return Err(SweepError::EmptyDesign {
            file: file.to_owned(),
        });
    }
    Ok(configs)
}

fn header(
    record: &csv::StringRecord,
    line: u64,
    at: &impl Fn(u64, String) -> SweepError,
) -> Result<Vec<String>, SweepError> {
    let mut keys: Vec<String> = Vec::with_capacity(record.len());
    for (column, key) in record.iter().enumerate() {
        if key.is_empty() {
            return Err(at(line, format!("column {} has no key", column + 1)));
        }
        check(key, "1").map_err(|e| at(line, e.to_string()))?;
        if keys.iter().any(|k| k == key) {
            return Err(at(line, format!("key `{key}` is given twice")));
        }
        keys.push(key.to_owned());
    }
    Ok(keys)
}

/// `1 value`, `2 values`.
fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Where a key was set, for messages about keys set twice.
fn origin_of_param(key: &str) -> String {
    format!("--param {key}=...")
}

/// The configurations of a job, checked: `sweep` or `design` (at most one of them), else a
/// single configuration with no overrides of its own. No key may be both job-wide (`params`)
/// and per configuration.
pub fn configurations(
    params: &[ParamOverride],
    axes: &[SweepAxis],
    design: Option<Vec<Vec<ParamOverride>>>,
    runs_per_config: u32,
) -> Result<Vec<Vec<ParamOverride>>, SweepError> {
    for (i, axis) in axes.iter().enumerate() {
        if let Some(earlier) = axes[..i].iter().find(|a| a.key == axis.key) {
            return Err(SweepError::KeyTwice {
                key: axis.key.clone(),
                first: format!("--sweep {earlier}"),
                second: format!("--sweep {axis}"),
            });
        }
    }
    let configs = match design {
        Some(rows) => rows,
        None => product(axes),
    };
    if let Some(first) = configs.first() {
        for swept in first {
            if params.iter().any(|p| p.key == swept.key) {
                return Err(SweepError::KeyTwice {
                    key: swept.key.clone(),
                    first: origin_of_param(&swept.key),
                    second: "the sweep".to_owned(),
                });
            }
        }
    }
    let total = configs.len() as u64 * u64::from(runs_per_config);
    if total > u64::from(MAX_RUNS_PER_JOB) {
        return Err(SweepError::TooManyRuns {
            configs: configs.len() as u64,
            runs: u64::from(runs_per_config),
            total,
        });
    }
    Ok(configs)
}

#[cfg(test)]
mod tests;
