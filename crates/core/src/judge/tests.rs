use super::*;

fn evidence<'a>(errors: Option<&'a str>, out_csv: bool, lines: &'a [String]) -> RunEvidence<'a> {
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
