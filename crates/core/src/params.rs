//! `--param KEY=VALUE` overrides: model keys set for every run of a job.
//!
//! An override becomes a `KEY = VALUE` line appended to the run's copy of the program, so the key
//! and value are checked strictly: a newline in a value would smuggle in extra model lines.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamOverride {
    pub key: String,
    pub value: String,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("`{0}` is not KEY=VALUE: write it as, for example, `--param days=30`")]
    MissingEquals(String),
    #[error(
        "`{0}` is not a FRED model key: keys start with a letter or `_` and contain letters, \
         digits, `_` and `.` (for example `days` or `INF.transmissibility`)"
    )]
    BadKey(String),
    #[error("the value of `{0}` is empty: give a value, for example `--param {0}=30`")]
    EmptyValue(String),
    #[error(
        "the value of `{0}` contains a line break or control character, which FRED cannot read"
    )]
    ControlCharacter(String),
}

impl FromStr for ParamOverride {
    type Err = ParamError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (key, value) = text
            .split_once('=')
            .ok_or_else(|| ParamError::MissingEquals(text.to_owned()))?;
        let (key, value) = (key.trim(), value.trim());
        if !is_model_key(key) {
            return Err(ParamError::BadKey(key.to_owned()));
        }
        if value.is_empty() {
            return Err(ParamError::EmptyValue(key.to_owned()));
        }
        if value.chars().any(char::is_control) {
            return Err(ParamError::ControlCharacter(key.to_owned()));
        }
        Ok(ParamOverride {
            key: key.to_owned(),
            value: value.to_owned(),
        })
    }
}

impl fmt::Display for ParamOverride {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}", self.key, self.value)
    }
}

/// A set of overrides as one line, e.g. `INF.transmissibility=1.2 days=30`.
pub fn describe(params: &[ParamOverride]) -> String {
    if params.is_empty() {
        return "(the model as it is)".to_owned();
    }
    params
        .iter()
        .map(|p| format!("{}={}", p.key, p.value))
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_model_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_key_value_pairs() {
        let param: ParamOverride = "INF.transmissibility = 1.5".parse().unwrap();
        assert_eq!(param.key, "INF.transmissibility");
        assert_eq!(param.value, "1.5");
        assert_eq!(param.to_string(), "INF.transmissibility = 1.5");
        let date: ParamOverride = "start_date=2020-Jan-01".parse().unwrap();
        assert_eq!(date.value, "2020-Jan-01");
    }

    #[test]
    fn rejects_what_fred_could_not_read() {
        assert_eq!(
            "days".parse::<ParamOverride>(),
            Err(ParamError::MissingEquals("days".into()))
        );
        assert_eq!(
            "=3".parse::<ParamOverride>(),
            Err(ParamError::BadKey(String::new()))
        );
        assert_eq!(
            "9days=3".parse::<ParamOverride>(),
            Err(ParamError::BadKey("9days".into()))
        );
        assert_eq!(
            "days=".parse::<ParamOverride>(),
            Err(ParamError::EmptyValue("days".into()))
        );
        assert_eq!(
            "days=3\nlocations=x".parse::<ParamOverride>(),
            Err(ParamError::ControlCharacter("days".into()))
        );
    }
}
