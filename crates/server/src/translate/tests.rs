use super::*;
use crate::wire::{FredArg, Population};

fn request(version: &str, args: &[(&str, &str)]) -> RunRequest {
    RunRequest {
        job_id: 1,
        working_dir: "/home/user".into(),
        size: "hot".into(),
        fred_version: version.into(),
        population: Some(Population {
            version: "US_2010.v5".into(),
            locations: vec!["Loving_County_TX".into()],
        }),
        fred_args: args
            .iter()
            .map(|(flag, value)| FredArg {
                flag: (*flag).into(),
                value: (*value).into(),
            })
            .collect(),
        fred_files: vec!["model.fred".into()],
    }
}

fn lines(translated: &Translated) -> Vec<String> {
    translated.params.iter().map(|p| p.to_string()).collect()
}

#[test]
fn the_clients_arguments_become_fred5_keys_in_order() {
    let translated = translate(&request(
        "latest",
        &[
            ("-p", "main.fred"),
            ("-o", "R0=1.5"),
            ("-o", "label=x"),
            ("-s", "14834349027133208755"),
            ("--start-date", "2020-01-01"),
            ("--end-date", "2020-01-05"),
            ("-l", "Loving_County_TX"),
            ("-l", "Jefferson_County_PA"),
        ],
    ))
    .unwrap();
    assert_eq!(
        lines(&translated),
        [
            "R0 = 1.5",
            "label = x",
            "start_date = 2020-Jan-01",
            "end_date = 2020-Jan-05",
            "locations = Loving_County_TX Jefferson_County_PA",
        ]
    );
    assert_eq!(translated.seed, Some(14_834_349_027_133_208_755));
}

#[test]
fn before_fred_11_the_seed_is_r_and_locations_come_from_the_population() {
    let translated = translate(&request(
        "10.1.1",
        &[("-p", "main.fred"), ("-r", "18446744073709551615")],
    ))
    .unwrap();
    assert_eq!(lines(&translated), ["locations = Loving_County_TX"]);
    assert_eq!(translated.seed, Some(u64::MAX));
}

#[test]
fn what_fred_could_not_be_given_is_refused_naming_the_option() {
    let refused = |version: &str, args: &[(&str, &str)]| {
        translate(&request(version, args)).unwrap_err().to_string()
    };
    assert!(refused("latest", &[("-x", "1")]).contains("`-x`"));
    assert!(refused("latest", &[("-p", "other.fred")]).contains("other.fred"));
    assert!(refused("latest", &[("-o", "days")]).starts_with("-o days:"));
    assert!(refused("latest", &[("-o", "days=3\nlocations=x")]).contains("line break"));
    assert!(refused("latest", &[("-s", "18446744073709551616")]).starts_with("-s "));
    assert!(refused("latest", &[("-s", "-1")]).contains("whole number"));
    assert!(refused("latest", &[("-r", "3")]).contains("-r is the seed option of FRED 10"));
    assert!(refused("10.1.1", &[("-s", "3")]).contains("-s is the seed option of FRED 11"));
    assert!(refused("latest", &[("--start-date", "2020-Jan-01")]).contains("YYYY-MM-DD"));
    assert!(refused("latest", &[("-s", "1"), ("-s", "2")]).contains("twice"));
    assert!(refused("eleven", &[]).contains("fredVersion"));
    assert!(refused("latest", &[("-l", "A B")]).starts_with("-l A B"));
}
