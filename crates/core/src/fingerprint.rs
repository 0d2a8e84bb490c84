//! A run's **fingerprint**: what decides its results, so a run identical to one already DONE
//! takes that run's results instead of computing them again.
//!
//! FRED given the same engine build, the same model files, the same effective overrides and
//! the same run number (the seed, when a run has its own, is one of its overrides) writes
//! byte-identical results. The fingerprint is those four **parts**, each a SHA-256 digest
//! (the run number as is), and its **key** is the digest of the four together. Parts are kept
//! apart so that a run that did not reuse can say which part differed from the nearest run
//! that was DONE.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::params::ParamOverride;

/// Bumped when what goes into a key changes, so keys of different rules never match.
const KEY_VERSION: &str = "fredbatch-run-fingerprint-1";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFingerprint {
    /// The engine build: FRED's executable and its defaults file (`data/config.fred`).
    pub engine: String,
    /// Every file of the model directory, by relative path and content.
    pub model: String,
    /// The overrides in effect (see [`overrides_digest`]).
    pub overrides: String,
    /// The FRED run number (`-r`).
    pub fred_run: u32,
}

/// One part of a fingerprint, named for people.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FingerprintPart {
    Engine,
    Model,
    Overrides,
    FredRun,
}

impl fmt::Display for FingerprintPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FingerprintPart::Engine => "the engine (FRED's executable or data/config.fred)",
            FingerprintPart::Model => "the model files",
            FingerprintPart::Overrides => "the overrides",
            FingerprintPart::FredRun => "the FRED run number",
        })
    }
}

impl RunFingerprint {
    /// The digest of all four parts: equal keys mean identical results.
    pub fn key(&self) -> String {
        hex_digest(
            format!(
                "{KEY_VERSION}\nengine {}\nmodel {}\noverrides {}\nrun {}\n",
                self.engine, self.model, self.overrides, self.fred_run
            )
            .as_bytes(),
        )
    }

    /// The parts in which `other` differs from this fingerprint, in the order above.
    pub fn differences(&self, other: &RunFingerprint) -> Vec<FingerprintPart> {
        [
            (self.engine != other.engine, FingerprintPart::Engine),
            (self.model != other.model, FingerprintPart::Model),
            (
                self.overrides != other.overrides,
                FingerprintPart::Overrides,
            ),
            (self.fred_run != other.fred_run, FingerprintPart::FredRun),
        ]
        .into_iter()
        .filter_map(|(differs, part)| differs.then_some(part))
        .collect()
    }
}

/// The digest of the overrides a run ends up with: a key set twice counts once, with its last
/// value (FRED applies the last assignment), and the order of different keys does not matter.
pub fn overrides_digest(overrides: &[ParamOverride]) -> String {
    let effective: BTreeMap<&str, &str> = overrides
        .iter()
        .map(|param| (param.key.as_str(), param.value.as_str()))
        .collect();
    let mut text = String::new();
    for (key, value) in effective {
        text.push_str(key);
        text.push('=');
        text.push_str(value);
        text.push('\n');
    }
    hex_digest(text.as_bytes())
}

/// SHA-256 of `bytes`, in lowercase hex.
pub fn hex_digest(bytes: &[u8]) -> String {
    to_hex(&Sha256::digest(bytes))
}

/// Lowercase hex of a digest.
pub fn to_hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(text: &[&str]) -> Vec<ParamOverride> {
        text.iter().map(|p| p.parse().unwrap()).collect()
    }

    fn fingerprint() -> RunFingerprint {
        RunFingerprint {
            engine: "e".into(),
            model: "m".into(),
            overrides: overrides_digest(&params(&["days=10"])),
            fred_run: 1,
        }
    }

    #[test]
    fn overrides_count_by_their_effect_not_their_spelling() {
        assert_eq!(
            overrides_digest(&params(&["days=10", "INF.transmissibility=1.3"])),
            overrides_digest(&params(&["INF.transmissibility=1.3", "days=5", "days=10"])),
            "order of different keys and a value set over do not change the run"
        );
        assert_ne!(
            overrides_digest(&params(&["days=10"])),
            overrides_digest(&params(&["days=11"]))
        );
        assert_ne!(
            overrides_digest(&params(&["days=10"])),
            overrides_digest(&params(&["days=10", "seed=3"])),
            "a seed of its own makes a different run"
        );
    }

    #[test]
    fn every_part_changes_the_key_and_is_named_as_the_difference() {
        let base = fingerprint();
        assert_eq!(base.key(), fingerprint().key());
        assert!(base.differences(&fingerprint()).is_empty());
        let changes: [(RunFingerprint, FingerprintPart); 4] = [
            (
                RunFingerprint {
                    engine: "other".into(),
                    ..fingerprint()
                },
                FingerprintPart::Engine,
            ),
            (
                RunFingerprint {
                    model: "other".into(),
                    ..fingerprint()
                },
                FingerprintPart::Model,
            ),
            (
                RunFingerprint {
                    overrides: overrides_digest(&params(&["days=11"])),
                    ..fingerprint()
                },
                FingerprintPart::Overrides,
            ),
            (
                RunFingerprint {
                    fred_run: 2,
                    ..fingerprint()
                },
                FingerprintPart::FredRun,
            ),
        ];
        for (changed, part) in changes {
            assert_ne!(changed.key(), base.key(), "{part}");
            assert_eq!(base.differences(&changed), vec![part]);
        }
    }
}
