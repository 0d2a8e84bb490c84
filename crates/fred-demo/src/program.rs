//! Reading a FRED program: `name = value` lines (a later one overrides an earlier one), `#`
//! comments, `use FRED::<Condition>` lines. Errors and warnings are collected in FRED's words.
//!
//! As FRED does, a key the engine does not know is not an error: it is ignored, and said only
//! as a warning naming the file and line. The keys known are the ones the demo reads and the
//! ones FRED's defaults file (`$FRED_HOME/data/config.fred`) sets.

use chrono::NaiveDate;

/// Locations the demo knows, with their populations (Jefferson County, PA as FRED's).
pub const LOCATIONS: &[(&str, u32)] = &[
    ("Test_Town", 1_000),
    ("Jefferson_County_PA", 45_318),
    ("Butler_County_PA", 187_853),
    ("Allegheny_County_PA", 1_250_578),
];

/// The model keys the demo engine reads.
pub const KNOWN_KEYS: &[&str] = &[
    "locations",
    "start_date",
    "days",
    "end_date",
    "seed",
    "enable_health_records",
    "INF.transmissibility",
    "INF.imports",
    "demo_memory_mb",
];

#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub params: Vec<(String, String)>,
    /// FRED's warning lines (`warnings.txt`): the statements it ignored.
    pub warnings: Vec<String>,
    pub location: String,
    pub population: u32,
    pub start_date: NaiveDate,
    pub days: u32,
    pub health_records: bool,
    pub transmissibility: f64,
    pub imports: u32,
    /// FRED 5's `seed` key: when set, it seeds the random stream together with the run number.
    pub seed: Option<u64>,
    /// The demo engine's own `demo_memory_mb`: memory a run holds while it simulates, so tests
    /// and benchmarks can make runs of a given size (a real county takes gigabytes).
    pub memory_mb: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ModelError {
    pub params: Vec<(String, String)>,
    pub messages: Vec<String>,
    pub warnings: Vec<String>,
}

pub fn parse_model(defaults: &str, program: &str, file_name: &str) -> Result<Model, ModelError> {
    let mut params: Vec<(String, String)> = Vec::new();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut error =
        |message: String| errors.push(format!("FRED Error (file {file_name}) {message}"));
    let defaults_lines = defaults.lines().map(|line| (None, line));
    let program_lines = program
        .lines()
        .enumerate()
        .map(|(i, line)| (Some(i + 1), line));
    let mut known: Vec<&str> = KNOWN_KEYS.to_vec();
    for (line_number, line) in defaults_lines.chain(program_lines) {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(condition) = line.strip_prefix("use ") {
            if condition.trim() != "FRED::Influenza" {
                error(format!("Unknown model `{}`", condition.trim()));
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            error(format!("Unrecognized line `{line}`"));
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        match line_number {
            // The defaults file declares the properties there are.
            None => known.push(key),
            Some(n) if !known.contains(&key) => {
                warnings.push(format!(
                    "FRED Warning (file {file_name}, line {n}) Unrecognized property statement: {key} = {value}"
                ));
                continue;
            }
            Some(_) => {}
        }
        params.push((key.to_owned(), value.to_owned()));
    }
    let get = |key: &str| {
        params
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let start_date = get("start_date").unwrap_or("");
    let start = NaiveDate::parse_from_str(start_date, "%Y-%b-%d").ok();
    if start.is_none() {
        error(format!("Bad start_date = '{start_date}'"));
    }
    let location = get("locations").unwrap_or("").to_owned();
    let population = LOCATIONS
        .iter()
        .find(|(name, _)| *name == location)
        .map(|(_, size)| *size);
    if location.is_empty() {
        error("No locations specified".to_owned());
    } else if population.is_none() {
        error(format!("Unknown location {location}"));
    }
    let number = |key: &str, default: f64, error: &mut dyn FnMut(String)| match get(key) {
        None => Some(default),
        Some(text) => match text.parse::<f64>() {
            Ok(value) if value >= 0.0 => Some(value),
            _ => {
                error(format!("Bad {key} = '{text}'"));
                None
            }
        },
    };
    let mut days = number("days", 100.0, &mut error);
    // FRED 5's `end_date` bounds the simulation: the run covers start_date..=end_date whatever
    // `days` says.
    if let Some(end_text) = get("end_date") {
        match (NaiveDate::parse_from_str(end_text, "%Y-%b-%d"), start) {
            (Ok(end), Some(start)) if end >= start => {
                days = Some((end - start).num_days() as f64);
            }
            (Ok(_), Some(_)) => error(format!("end_date = '{end_text}' is before start_date")),
            (Ok(_), None) => {}
            (Err(_), _) => error(format!("Bad end_date = '{end_text}'")),
        }
    }
    let seed = match get("seed") {
        None => None,
        Some(text) => match text.parse::<u64>() {
            Ok(seed) => Some(seed),
            Err(_) => {
                error(format!("Bad seed = '{text}'"));
                None
            }
        },
    };
    let transmissibility = number("INF.transmissibility", 1.0, &mut error);
    let imports = number("INF.imports", 10.0, &mut error);
    let health_records = get("enable_health_records") == Some("1");
    let memory_mb = number("demo_memory_mb", 0.0, &mut error);
    match (
        start,
        population,
        days,
        transmissibility,
        imports,
        memory_mb,
    ) {
        (
            Some(start_date),
            Some(population),
            Some(days),
            Some(transmissibility),
            Some(imports),
            Some(memory_mb),
        ) if errors.is_empty() => Ok(Model {
            params,
            warnings,
            location,
            population,
            start_date,
            days: days as u32,
            health_records,
            transmissibility,
            imports: imports as u32,
            seed,
            memory_mb: memory_mb as u64,
        }),
        _ => Err(ModelError {
            params,
            messages: errors,
            warnings,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFLUENZA: &str = "use FRED::Influenza\nlocations = Jefferson_County_PA\nstart_date = 2020-Jan-01\ndays = 100\n";

    #[test]
    fn reads_the_influenza_model_and_later_lines_win() {
        let model =
            parse_model("", &format!("{INFLUENZA}days = 30 # shorter\n"), "m.fred").unwrap();
        assert_eq!((model.population, model.days), (45_318, 30));
        assert_eq!(
            model.start_date,
            NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()
        );
    }

    #[test]
    fn end_date_bounds_the_days_and_seed_is_read_as_u64() {
        let text = format!("{INFLUENZA}end_date = 2020-Jan-05\nseed = 18446744073709551615\n");
        let model = parse_model("", &text, "m.fred").unwrap();
        assert_eq!(model.days, 4, "Jan 1 to Jan 5 inclusive is days 0..=4");
        assert_eq!(model.seed, Some(u64::MAX));
        let errors = parse_model(
            "",
            &format!("{INFLUENZA}end_date = 2019-Dec-31\nseed = -1\n"),
            "m.fred",
        )
        .unwrap_err()
        .messages;
        assert!(
            errors.iter().any(|e| e.contains("before start_date")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.ends_with("Bad seed = '-1'")),
            "{errors:?}"
        );
        let errors = parse_model("", &format!("{INFLUENZA}end_date = soon\n"), "m.fred")
            .unwrap_err()
            .messages;
        assert!(
            errors.iter().any(|e| e.ends_with("Bad end_date = 'soon'")),
            "{errors:?}"
        );
    }

    #[test]
    fn broken_models_get_freds_error_lines() {
        let errors = parse_model("", "use FRED::Influenza\ndays = 10\n", "bad.fred")
            .unwrap_err()
            .messages;
        assert_eq!(
            errors,
            vec![
                "FRED Error (file bad.fred) Bad start_date = ''".to_owned(),
                "FRED Error (file bad.fred) No locations specified".to_owned(),
            ]
        );
        let errors = parse_model(
            "",
            &format!("{INFLUENZA}days = soon\nlocations = Atlantis\n"),
            "m.fred",
        )
        .unwrap_err()
        .messages;
        assert!(
            errors
                .iter()
                .any(|e| e.ends_with("Unknown location Atlantis")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.ends_with("Bad days = 'soon'")),
            "{errors:?}"
        );
    }

    #[test]
    fn unknown_keys_are_ignored_with_a_warning_naming_file_and_line() {
        let text = format!("{INFLUENZA}INF.transmisibility = 1.2\nINF.imports = 3\n");
        let model = parse_model("", &text, "typo.fred").unwrap();
        assert_eq!(
            model.warnings,
            vec![
                "FRED Warning (file typo.fred, line 5) Unrecognized property statement: \
                 INF.transmisibility = 1.2"
                    .to_owned()
            ]
        );
        assert_eq!(model.imports, 3);
        assert!(!model.params.iter().any(|(k, _)| k == "INF.transmisibility"));
        // A key the defaults file sets is a property FRED knows.
        let model = parse_model("INF.transmisibility = 1\n", &text, "typo.fred").unwrap();
        assert!(model.warnings.is_empty(), "{:?}", model.warnings);
    }
}
