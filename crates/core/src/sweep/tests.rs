use super::*;

fn texts(configs: &[Vec<ParamOverride>]) -> Vec<String> {
    configs
        .iter()
        .map(|c| {
            c.iter()
                .map(|p| format!("{}={}", p.key, p.value))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[test]
fn axes_parse_and_multiply_in_the_order_given() {
    let a: SweepAxis = "INF.transmissibility=1.2, 1.5".parse().unwrap();
    let b: SweepAxis = "days=30,60,90".parse().unwrap();
    assert_eq!(a.values, ["1.2", "1.5"]);
    let configs = product(&[a, b]);
    assert_eq!(
        texts(&configs),
        [
            "INF.transmissibility=1.2 days=30",
            "INF.transmissibility=1.2 days=60",
            "INF.transmissibility=1.2 days=90",
            "INF.transmissibility=1.5 days=30",
            "INF.transmissibility=1.5 days=60",
            "INF.transmissibility=1.5 days=90",
        ]
    );
    assert_eq!(texts(&product(&[])), [""], "no axis: one configuration");
}

#[test]
fn bad_axes_say_what_is_wrong() {
    assert_eq!(
        "days=".parse::<SweepAxis>(),
        Err(SweepError::NoValues("days".into()))
    );
    assert_eq!(
        "days=1,,2".parse::<SweepAxis>(),
        Err(SweepError::EmptyValue {
            key: "days".into(),
            position: 2
        })
    );
    assert!(matches!(
        "days=1,2\nlocations=x".parse::<SweepAxis>(),
        Err(SweepError::Axis {
            source: ParamError::ControlCharacter(_),
            ..
        })
    ));
    assert!(matches!(
        "9days=1".parse::<SweepAxis>(),
        Err(SweepError::Axis {
            source: ParamError::BadKey(_),
            ..
        })
    ));
    assert!(matches!(
        "days".parse::<SweepAxis>(),
        Err(SweepError::Axis {
            source: ParamError::MissingEquals(_),
            ..
        })
    ));
}

#[test]
fn design_files_give_one_configuration_per_row() {
    let text = "# a comment\nINF.transmissibility, days\n1.2,30\n\n# another\n\"1.5\",60\n";
    let configs = parse_design("design.csv", text).unwrap();
    assert_eq!(
        texts(&configs),
        [
            "INF.transmissibility=1.2 days=30",
            "INF.transmissibility=1.5 days=60"
        ]
    );
}

#[test]
fn bad_design_files_name_the_line() {
    let message = |text: &str| parse_design("design.csv", text).unwrap_err().to_string();
    assert_eq!(
        message("a,b,c\n1,2,3\n4,5,6\n7,8\n"),
        "design.csv line 4: 2 values for 3 keys"
    );
    assert_eq!(
        message("a,b\n1,2\n3\n"),
        "design.csv line 3: 1 value for 2 keys"
    );
    assert_eq!(
        message("a,,c\n1,2,3\n"),
        "design.csv line 1: column 2 has no key"
    );
    assert_eq!(
        message("# keys\ndays,days\n1,2\n"),
        "design.csv line 2: key `days` is given twice"
    );
    assert!(message("days\n\"1\n2\"\n").starts_with("design.csv line 2: `days`: the value"));
    assert!(
        message("days,x\n1,\n").starts_with("design.csv line 2: `x`: the value of `x` is empty")
    );
    assert_eq!(
        message("# nothing\ndays\n"),
        "design.csv holds no configuration: give a header line of keys and at least one row"
    );
}

#[test]
fn a_key_is_set_in_one_place_only() {
    let params = vec!["days=30".parse().unwrap()];
    let axes = vec!["days=1,2".parse().unwrap()];
    let error = configurations(&params, &axes, None, 1).unwrap_err();
    assert!(matches!(error, SweepError::KeyTwice { ref key, .. } if key == "days"));
    let axes: Vec<SweepAxis> = vec!["x=1".parse().unwrap(), "x=2".parse().unwrap()];
    assert!(matches!(
        configurations(&[], &axes, None, 1),
        Err(SweepError::KeyTwice { .. })
    ));
}

#[test]
fn more_than_the_limit_of_runs_is_refused() {
    let axes = vec!["x=1,2,3,4".parse().unwrap()];
    assert_eq!(configurations(&[], &axes, None, 25_000).unwrap().len(), 4);
    assert_eq!(
        configurations(&[], &axes, None, 25_001),
        Err(SweepError::TooManyRuns {
            configs: 4,
            runs: 25_001,
            total: 100_004
        })
    );
}
