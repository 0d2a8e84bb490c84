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
mod tests {
    use super::*;

    fn evidence<'a>(
        errors: Option<&'a str>,
        out_csv: bool,
        lines: &'a [String],
    ) -> RunEvidence<'a> {
        RunEvidence {
            errors_txt: errors,
            out_csv_exists: out_csv,
            last_output_lines: lines,
        }
    }

    #[test]
    fn success_needs_exit_zero_no_errors_and_out_csv() {
        assert_eq!(
            judge(EngineExit::Code(0), &evidence(None, true, &[])),
            Verdict::Succeeded
        );
        assert_eq!(
            judge(EngineExit::Code(0), &evidence(Some("\n"), true, &[])),
            Verdict::Succeeded
        );
    }

    #[test]
    fn errors_txt_fails_the_run_with_freds_own_words_despite_exit_zero() {
        let errors = "FRED Error (file bad.fred) Bad start_date = ''\n\
                      FRED Error (file bad.fred) No locations specified\n";
        let verdict = judge(EngineExit::Code(0), &evidence(Some(errors), false, &[]));
        assert_eq!(
            verdict,
            Verdict::Failed {
                reason: "FRED Error (file bad.fred) Bad start_date = ''; \
                         FRED Error (file bad.fred) No locations specified"
                    .into()
            }
        );
    }

    #[test]
    fn a_missing_program_is_reported_from_stdout() {
        let lines = vec!["FRED program file missing.fred not found".to_owned()];
        let verdict = judge(EngineExit::Code(0), &evidence(None, false, &lines));
        assert_eq!(
            verdict,
            Verdict::Failed {
                reason: "FRED program file missing.fred not found".into()
            }
        );
    }

    #[test]
    fn exit_zero_without_out_csv_is_a_failure() {
        let verdict = judge(EngineExit::Code(0), &evidence(None, false, &[]));
        assert!(matches!(verdict, Verdict::Failed { reason } if reason.contains("no out.csv")));
    }

    #[test]
    fn nonzero_exits_and_signals_fail_even_with_out_csv() {
        let lines = vec!["Segmentation fault".to_owned()];
        assert_eq!(
            judge(EngineExit::Code(139), &evidence(None, true, &lines)),
            Verdict::Failed {
                reason: "FRED exited with status 139: Segmentation fault".into()
            }
        );
        assert_eq!(
            judge(EngineExit::Signal(9), &evidence(None, true, &[])),
            Verdict::Failed {
                reason: "FRED was killed by signal 9".into()
            }
        );
    }

    #[test]
    fn long_error_files_are_summarized() {
        let errors: String = (1..=8).map(|i| format!("FRED Error {i}\n")).collect();
        let verdict = judge(EngineExit::Code(0), &evidence(Some(&errors), false, &[]));
        let Verdict::Failed { reason } = verdict else {
            panic!("must fail")
        };
        assert!(reason.starts_with("FRED Error 1; "));
        assert!(reason.ends_with("(and 3 more in errors.txt)"));
    }
}
