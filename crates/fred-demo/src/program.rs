//! Reading a FRED program: `name = value` lines (a later one overrides an earlier one), `#`
//! comments, `use FRED::<Condition>` lines. Errors are collected in FRED's words.

use chrono::NaiveDate;

/// Locations the demo knows, with their populations (Jefferson County, PA as FRED's).
pub const LOCATIONS: &[(&str, u32)] = &[
    ("Test_Town", 1_000),
    ("Jefferson_County_PA", 45_318),
    ("Butler_County_PA", 187_853),
    ("Allegheny_County_PA", 1_250_578),
];

#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub params: Vec<(String, String)>,
    pub location: String,
    pub population: u32,
    pub start_date: NaiveDate,
    pub days: u32,
    pub health_records: bool,
    pub transmissibility: f64,
    pub imports: u32,
    /// FRED 5's `seed` key: when set, it seeds the random stream together with the run number.
    pub seed: Option<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ModelError {
    pub params: Vec<(String, String)>,
    pub messages: Vec<String>,
}

pub fn parse_model(defaults: &str, program: &str, file_name: &str) -> Result<Model, ModelError> {
    let mut params: Vec<(String, String)> = Vec::new();
    let mut errors = Vec::new();
    let mut error =
        |message: String| errors.push(format!("FRED Error (file {file_name}) {message}"));
    for line in defaults.lines().chain(program.lines()) {
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
        match line.split_once('=') {
            Some((key, value)) => params.push((key.trim().to_owned(), value.trim().to_owned())),
            None => error(format!("Unrecognized line `{line}`")),
        }
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
    match (start, population, days, transmissibility, imports) {
        (Some(start_date), Some(population), Some(days), Some(transmissibility), Some(imports))
            if errors.is_empty() =>
        {
            Ok(Model {
                params,
                location,
                population,
                start_date,
                days: days as u32,
                health_records,
                transmissibility,
                imports: imports as u32,
                seed,
            })
        }
        _ => Err(ModelError {
            params,
            messages: errors,
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
}
