//! Checking a model before its runs: FRED's check mode (`-p PROGRAM -c`) writes the same
//! `errors.txt` and `warnings.txt` a run would, in well under a second, and exits 0 either way.
//! A warning is a statement FRED ignored, most often a misspelt key; it would run every run with
//! that setting silently left out, so a check refuses it unless told otherwise, and names the
//! nearest key FRED or the model knows.

use std::collections::BTreeMap;
use std::path::Path;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// What checking one configuration's program found, in FRED's words.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigCheck {
    /// The configuration (1-based).
    pub config: u32,
    /// The lines of FRED's `errors.txt`: the runs would fail.
    pub errors: Vec<String>,
    /// The lines of FRED's `warnings.txt`: the runs would ignore these statements.
    pub warnings: Vec<String>,
}

/// Why a check could not be made (nothing was checked, which is not a pass).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("cannot start the engine's check mode: {0}")]
    Unavailable(String),
    #[error(
        "the engine's check of configuration {config} failed ({how}); its last words: {last_words}"
    )]
    EngineFailed {
        config: u32,
        how: String,
        last_words: String,
    },
    #[error("cannot prepare the check in {path}: {reason}")]
    Scratch { path: String, reason: String },
}

/// Runs the engine's check mode on programs of a model whose files are in a folder.
#[async_trait]
pub trait ModelChecker: Send + Sync {
    /// Checks each `(configuration, program text)` of the model in `model_dir`; the programs
    /// are written beside the model's files, as a run's are, so relative paths resolve alike,
    /// and FRED's lines name them `program_name` (the model's main file).
    async fn check(
        &self,
        model_dir: &Path,
        program_name: &str,
        programs: Vec<(u32, String)>,
    ) -> Result<Vec<ConfigCheck>, CheckError>;

    /// The keys the engine knows, besides the model's own (for suggestions).
    fn known_keys(&self) -> Vec<String>;
}

/// The key of FRED's `... Unrecognized property statement: KEY = VALUE` warning.
pub fn ignored_key(warning: &str) -> Option<&str> {
    let (_, statement) = warning.split_once("Unrecognized property statement:")?;
    let key = statement.split('=').next()?.trim();
    (!key.is_empty()).then_some(key)
}

/// The known key nearest to `key`, when one is near enough to be what was meant: within a
/// third of the key's length in edits (a dropped, doubled or swapped letter), case aside.
pub fn nearest_key<'a>(key: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = key.to_lowercase();
    let limit = (wanted.chars().count() / 3).max(1);
    known
        .into_iter()
        .filter(|candidate| *candidate != key)
        .map(|candidate| {
            let distance = strsim::damerau_levenshtein(&wanted, &candidate.to_lowercase());
            (distance, candidate)
        })
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// One problem the check found, with the configurations it was found in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// FRED's own line (the first seen, when configurations differ only in line numbers).
    pub line: String,
    /// The key FRED ignored, for a warning of an unknown key.
    pub key: Option<String>,
    /// The nearest key FRED or the model knows.
    pub suggestion: Option<String>,
    /// Whether the key was set by the job's overrides rather than the model's own files.
    pub overridden: bool,
    pub configs: Vec<u32>,
}

/// Everything a check found, grouped so that one misspelt key in a 1,000-configuration sweep
/// is told once.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CheckSummary {
    pub configs_checked: usize,
    pub errors: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

impl CheckSummary {
    /// Groups `checks`; `known` names the keys for suggestions, `overridden` the keys the
    /// job's overrides set.
    pub fn new(checks: &[ConfigCheck], known: &[&str], overridden: &[&str]) -> CheckSummary {
        let group = |lines: &mut dyn Iterator<Item = (u32, &String)>, suggest: bool| {
            let mut groups: BTreeMap<String, Finding> = BTreeMap::new();
            for (config, line) in lines {
                let key = if suggest { ignored_key(line) } else { None };
                let finding = groups
                    .entry(key.map_or_else(|| line.clone(), str::to_owned))
                    .or_insert_with(|| Finding {
                        line: line.clone(),
                        key: key.map(str::to_owned),
                        suggestion: key
                            .and_then(|key| nearest_key(key, known.iter().copied()))
                            .map(str::to_owned),
                        overridden: key.is_some_and(|key| overridden.contains(&key)),
                        configs: Vec::new(),
                    });
                if finding.configs.last() != Some(&config) {
                    finding.configs.push(config);
                }
            }
            groups.into_values().collect::<Vec<_>>()
        };
        CheckSummary {
            configs_checked: checks.len(),
            errors: group(
                &mut checks
                    .iter()
                    .flat_map(|c| c.errors.iter().map(move |l| (c.config, l))),
                false,
            ),
            warnings: group(
                &mut checks
                    .iter()
                    .flat_map(|c| c.warnings.iter().map(move |l| (c.config, l))),
                true,
            ),
        }
    }

    pub fn is_clean(&self) -> bool {
        self.errors.is_empty() && self.warnings.is_empty()
    }
}

impl Finding {
    /// The finding for people: the key and its suggestion when there is one, then FRED's line,
    /// then where (when not every configuration).
    pub fn describe(&self, configs_checked: usize) -> String {
        let source = if self.overridden {
            " (set by the job's overrides)"
        } else {
            ""
        };
        let mut text = match (&self.key, &self.suggestion) {
            (Some(key), Some(suggestion)) => format!(
                "`{key}`{source} is not a key FRED knows: did you mean `{suggestion}`?\n    "
            ),
            (Some(key), None) => format!("`{key}`{source} is not a key FRED knows.\n    "),
            _ => String::new(),
        };
        text.push_str(&self.line);
        if configs_checked > 1 && self.configs.len() < configs_checked {
            let listed: Vec<String> = self.configs.iter().take(10).map(u32::to_string).collect();
            let more = self.configs.len().saturating_sub(10);
            text.push_str(&format!(
                "\n    (in configuration{} {}{})",
                if self.configs.len() == 1 { "" } else { "s" },
                listed.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        text
    }
}

/// The keys FRED knows, for suggestions: the engine's own, and those the model's main file
/// sets that no check warned of (a misspelt key in the model is no suggestion).
pub fn known_keys<'a>(
    engine_keys: &'a [String],
    main_file: &'a str,
    checks: &[ConfigCheck],
) -> Vec<&'a str> {
    let ignored: Vec<&str> = checks
        .iter()
        .flat_map(|check| check.warnings.iter().filter_map(|w| ignored_key(w)))
        .collect();
    engine_keys
        .iter()
        .map(String::as_str)
        .chain(keys_set_in(main_file))
        .filter(|key| !ignored.contains(key))
        .collect()
}

/// The keys a model's own files set (`key = value` lines), which FRED knows as well as its own.
pub fn keys_set_in(program: &str) -> impl Iterator<Item = &str> {
    program.lines().filter_map(|line| {
        let line = line.split('#').next()?.trim();
        let (key, _) = line.split_once('=')?;
        let key = key.trim();
        (!key.is_empty() && !key.contains(char::is_whitespace)).then_some(key)
    })
}

#[cfg(test)]
mod tests;
