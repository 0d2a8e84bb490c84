use super::*;

const TYPO: &str = "FRED Warning (file main.fred, line 18) Unrecognized property statement: \
                    INF.transmisibility = 1.2";

#[test]
fn the_ignored_key_is_read_from_freds_warning() {
    assert_eq!(ignored_key(TYPO), Some("INF.transmisibility"));
    assert_eq!(ignored_key("FRED Warning (file a) something else"), None);
}

#[test]
fn a_misspelt_key_gets_the_nearest_known_one_and_a_stranger_gets_none() {
    let known = ["INF.transmissibility", "INF.imports", "days", "locations"];
    assert_eq!(
        nearest_key("INF.transmisibility", known),
        Some("INF.transmissibility")
    );
    assert_eq!(nearest_key("inf.IMPORTS", known), Some("INF.imports"));
    assert_eq!(nearest_key("dyas", known), Some("days"));
    assert_eq!(nearest_key("vaccination_rate", known), None);
}

#[test]
fn one_key_misspelt_in_every_configuration_is_told_once() {
    let checks: Vec<ConfigCheck> = (1..=3)
        .map(|config| ConfigCheck {
            config,
            errors: Vec::new(),
            warnings: vec![TYPO.replace("line 18", &format!("line {}", 17 + config))],
        })
        .collect();
    let summary = CheckSummary::new(&checks, &["INF.transmissibility"], &["INF.transmisibility"]);
    assert!(summary.errors.is_empty());
    assert_eq!(summary.warnings.len(), 1);
    let finding = &summary.warnings[0];
    assert_eq!(finding.configs, vec![1, 2, 3]);
    assert_eq!(finding.suggestion.as_deref(), Some("INF.transmissibility"));
    let text = finding.describe(summary.configs_checked);
    assert!(
        text.contains("`INF.transmisibility` (set by the job's overrides) is not a key FRED knows: did you mean `INF.transmissibility`?"),
        "{text}"
    );
    assert!(
        !text.contains("in configuration"),
        "all configurations: {text}"
    );
}

#[test]
fn errors_say_which_configurations_have_them() {
    let checks = vec![
        ConfigCheck {
            config: 1,
            ..Default::default()
        },
        ConfigCheck {
            config: 2,
            errors: vec!["FRED Error (file main.fred) Bad days = 'x'".into()],
            warnings: Vec::new(),
        },
    ];
    let summary = CheckSummary::new(&checks, &[], &[]);
    assert!(!summary.is_clean());
    assert_eq!(
        summary.errors[0].describe(2),
        "FRED Error (file main.fred) Bad days = 'x'\n    (in configuration 2)"
    );
}

#[test]
fn keys_set_in_a_program_skip_comments_and_statements() {
    let program = "# days = 1\nuse FRED::Influenza\ndays = 10 # ten\nlocations=X\n";
    assert_eq!(
        keys_set_in(program).collect::<Vec<_>>(),
        vec!["days", "locations"]
    );
}
