//! Judging a FRED run. FRED exits 0 when the model is broken (it writes `errors.txt`) and when
//! the program file is missing (it writes nothing), so a run succeeded only when the exit status
//! is 0, `errors.txt` is absent or empty, and `RUN<r>/out.csv` exists.

use serde::{Deserialize, Serialize};

/// How the engine process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EngineExit {
    Code(i32),
    Signal(i32),
}

/// What the runner found on disk and in the log after the engine ended.
#[derive(Clone, Debug, Default)]
pub struct RunEvidence<'a> {
    /// Contents of `<outdir>/errors.txt`, if the file exists.
    pub errors_txt: Option<&'a str>,
    /// Whether `<outdir>/RUN<r>/out.csv` exists.
    pub out_csv_exists: bool,
    /// The last lines FRED printed, oldest first.
    pub last_output_lines: &'a [String],
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    Succeeded,
    Failed { reason: String },
}

/// Whether a run's failure reason is FRED's own error about the model (its `errors.txt`),
/// rather than a crash, a kill or missing output.
pub fn is_model_error(reason: &str) -> bool {
    reason.starts_with("FRED Error")
}

/// How many lines of FRED's own words a reason carries at most.
const MAX_REASON_LINES: usize = 5;

pub fn judge(exit: EngineExit, evidence: &RunEvidence<'_>) -> Verdict {
    let errors: Vec<&str> = evidence
        .errors_txt
        .map(|text| {
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if !errors.is_empty() {
        return Verdict::Failed {
            reason: summarize(&errors),
        };
    }
    match exit {
        EngineExit::Signal(signal) => {
            return Verdict::Failed {
                reason: format!("FRED was killed by signal {signal}"),
            };
        }
        EngineExit::Code(code) if code != 0 => {
            let mut reason = format!("FRED exited with status {code}");
            if let Some(tail) = last_words(evidence.last_output_lines) {
                reason.push_str(": ");
                reason.push_str(&tail);
            }
            return Verdict::Failed { reason };
        }
        EngineExit::Code(_) => {}
    }
    if !evidence.out_csv_exists {
        let said_missing = evidence
            .last_output_lines
            .iter()
            .rev()
            .find(|line| line.contains("not found"))
            .map(|line| line.trim().to_owned());
        let reason = match said_missing {
            Some(line) => line,
            None => match last_words(evidence.last_output_lines) {
                Some(tail) => format!("FRED wrote no out.csv; its last output: {tail}"),
                None => "FRED wrote no out.csv and printed nothing".to_owned(),
            },
        };
        return Verdict::Failed { reason };
    }
    Verdict::Succeeded
}

fn summarize(lines: &[&str]) -> String {
    let mut reason = lines
        .iter()
        .take(MAX_REASON_LINES)
        .copied()
        .collect::<Vec<_>>()
        .join("; ");
    if lines.len() > MAX_REASON_LINES {
        reason.push_str(&format!(
            " (and {} more in errors.txt)",
            lines.len() - MAX_REASON_LINES
        ));
    }
    reason
}

fn last_words(lines: &[String]) -> Option<String> {
    let tail: Vec<&str> = lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>();
    let start = tail.len().saturating_sub(3);
    (!tail.is_empty()).then(|| tail[start..].join(" | "))
}

#[cfg(test)]
mod tests;
