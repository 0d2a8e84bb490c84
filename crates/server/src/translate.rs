//! From an epx run request to FRED 5 model keys, appended to the job's `main.fred` (a later
//! assignment wins in FRED). The seed is the run's own; the other keys are its configuration's,
//! so requests that differ only in their seed are replicates of one configuration:
//!
//! | request | FRED 5 key |
//! | --- | --- |
//! | `-p main.fred` | (the program; only `main.fred` from the inputs archive exists) |
//! | `-o NAME=VALUE` | `NAME = VALUE` |
//! | `--start-date 2020-01-01` | `start_date = 2020-Jan-01` |
//! | `--end-date 2020-01-05` | `end_date = 2020-Jan-05` (bounds the simulated days, whatever `days` says) |
//! | `-l A` `-l B` (or `population.locations`) | `locations = A B` |
//! | `-s SEED` (FRED 11 and `latest`), `-r SEED` (before FRED 11) | `seed = SEED` (unsigned 64-bit) |
//!
//! Anything else is refused, naming the option, before anything is stored.

use chrono::NaiveDate;
use fredbatch_core::params::{ParamError, ParamOverride};

use crate::wire::RunRequest;

/// What one run request sets: its configuration's keys, and its own seed (`seed = SEED`,
/// appended to them when it runs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Translated {
    pub params: Vec<ParamOverride>,
    pub seed: Option<u64>,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    #[error(
        "unknown FRED option `{0}`: the options understood are -p main.fred, -o NAME=VALUE, \
         -s SEED (-r SEED before FRED 11), --start-date, --end-date and -l LOCATION"
    )]
    UnknownFlag(String),
    #[error("the program is `main.fred` from the job's inputs archive, not `{0}` (-p main.fred)")]
    Program(String),
    #[error("-o {value}: {source}")]
    Param {
        value: String,
        #[source]
        source: ParamError,
    },
    #[error("{flag} {value}: a seed is a whole number from 0 to 18446744073709551615")]
    Seed { flag: String, value: String },
    #[error("{flag} is the seed option of FRED {expected}, and this run asks for FRED {version}")]
    SeedFlagForVersion {
        flag: String,
        expected: &'static str,
        version: String,
    },
    #[error("{flag} {value}: dates are written YYYY-MM-DD")]
    Date { flag: String, value: String },
    #[error("{flag} is given twice")]
    Repeated { flag: String },
    #[error("-l {0}: {1}")]
    Location(String, ParamError),
    #[error("fredVersion `{0}` is not `latest` or a version such as 11.0.1")]
    Version(String),
}

/// The major FRED version a request asks for; `latest` counts as 11, as the client does.
fn major_version(version: &str) -> Result<u32, TranslateError> {
    if version == "latest" {
        return Ok(11);
    }
    version
        .split('.')
        .next()
        .and_then(|major| major.parse().ok())
        .ok_or_else(|| TranslateError::Version(version.to_owned()))
}

fn fred5_date(flag: &str, value: &str) -> Result<String, TranslateError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(|date| date.format("%Y-%b-%d").to_string())
        .map_err(|_| TranslateError::Date {
            flag: flag.to_owned(),
            value: value.to_owned(),
        })
}

/// Refuses a flag given twice (FRED would take one silently).
fn once<T>(slot: &Option<T>, flag: &str) -> Result<(), TranslateError> {
    match slot {
        Some(_) => Err(TranslateError::Repeated {
            flag: flag.to_owned(),
        }),
        None => Ok(()),
    }
}

fn key(key: &str, value: &str) -> Result<ParamOverride, ParamError> {
    format!("{key}={value}").parse()
}

pub fn translate(request: &RunRequest) -> Result<Translated, TranslateError> {
    let major = major_version(&request.fred_version)?;
    let seed_flag = if major >= 11 { "-s" } else { "-r" };
    let mut model_params = Vec::new();
    let (mut start, mut end, mut seed) = (None, None, None);
    let mut locations: Vec<String> = Vec::new();
    for arg in &request.fred_args {
        let (flag, value) = (arg.flag.as_str(), arg.value.trim());
        match flag {
            "-p" if value == "main.fred" => {}
            "-p" => return Err(TranslateError::Program(value.to_owned())),
            "-o" => model_params.push(value.parse::<ParamOverride>().map_err(|source| {
                TranslateError::Param {
                    value: value.to_owned(),
                    source,
                }
            })?),
            "-s" | "-r" if flag != seed_flag => {
                return Err(TranslateError::SeedFlagForVersion {
                    flag: flag.to_owned(),
                    expected: if flag == "-s" {
                        "11 and later"
                    } else {
                        "10 and earlier"
                    },
                    version: request.fred_version.clone(),
                });
            }
            "-s" | "-r" => {
                once(&seed, flag)?;
                seed = Some(value.parse::<u64>().map_err(|_| TranslateError::Seed {
                    flag: flag.to_owned(),
                    value: value.to_owned(),
                })?);
            }
            "--start-date" => {
                once(&start, flag)?;
                start = Some(fred5_date(flag, value)?);
            }
            "--end-date" => {
                once(&end, flag)?;
                end = Some(fred5_date(flag, value)?);
            }
            "-l" => locations.push(value.to_owned()),
            other => return Err(TranslateError::UnknownFlag(other.to_owned())),
        }
    }
    // Before FRED 11 the client sends no -l; the population still names the locations.
    if locations.is_empty()
        && let Some(population) = &request.population
    {
        locations = population.locations.clone();
    }
    let mut params = model_params;
    let set = |name: &str, value: &str| key(name, value).expect("dates and seeds are plain values");
    if let Some(start) = start {
        params.push(set("start_date", &start));
    }
    if let Some(end) = end {
        params.push(set("end_date", &end));
    }
    if !locations.is_empty() {
        for location in &locations {
            // One location's name must be one word of the `locations` line.
            if location.is_empty() || location.contains(char::is_whitespace) {
                return Err(TranslateError::Location(
                    location.clone(),
                    ParamError::EmptyValue("locations".into()),
                ));
            }
        }
        params.push(
            key("locations", &locations.join(" "))
                .map_err(|e| TranslateError::Location(locations.join(" "), e))?,
        );
    }
    Ok(Translated { params, seed })
}

#[cfg(test)]
mod tests;
