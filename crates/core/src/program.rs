//! The run's program: a copy of the model's main file with the job's overrides appended.
//! FRED lets a later assignment override an earlier one, so appending is how overrides apply.

use crate::model::{Config, Job};
use crate::params::ParamOverride;

/// What one run of `config` sets: the job's overrides, then the configuration's own.
pub fn run_overrides(job: &Job, config: &Config) -> Vec<ParamOverride> {
    config_overrides(&job.params, &config.params)
}

/// What a configuration's runs set: the job's overrides (`job_params`), then its own.
pub fn config_overrides(
    job_params: &[ParamOverride],
    config_params: &[ParamOverride],
) -> Vec<ParamOverride> {
    job_params.iter().chain(config_params).cloned().collect()
}

/// The override that gives a run its own seed (FRED's `seed` key), after its configuration's.
pub fn seed_override(seed: u64) -> ParamOverride {
    ParamOverride {
        key: "seed".to_owned(),
        value: seed.to_string(),
    }
}

/// The text of the program FRED is given for one run.
pub fn prepare_program(main_file: &str, overrides: &[ParamOverride]) -> String {
    let mut program = String::with_capacity(main_file.len() + 64 * overrides.len() + 64);
    program.push_str(main_file);
    if !overrides.is_empty() {
        if !program.is_empty() && !program.ends_with('\n') {
            program.push('\n');
        }
        program.push_str("\n# Overrides added by fredbatch for this run\n");
        for param in overrides {
            program.push_str(&param.to_string());
            program.push('\n');
        }
    }
    program
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_come_after_the_model_so_they_win() {
        let overrides = vec![
            "days=30".parse().unwrap(),
            "INF.transmissibility=2".parse().unwrap(),
        ];
        let program = prepare_program("days = 100\nlocations = X", &overrides);
        assert_eq!(
            program,
            "days = 100\nlocations = X\n\n# Overrides added by fredbatch for this run\n\
             days = 30\nINF.transmissibility = 2\n"
        );
        let last_days = program.lines().rfind(|l| l.starts_with("days"));
        assert_eq!(last_days, Some("days = 30"));
    }

    #[test]
    fn no_overrides_leaves_the_model_untouched() {
        assert_eq!(prepare_program("days = 1\n", &[]), "days = 1\n");
    }
}
