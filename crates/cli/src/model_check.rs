//! Checking a model with FRED's check mode before anything is stored or submitted: FRED's
//! errors and its warnings (statements it would ignore, such as a misspelt key) refuse the job,
//! the warnings only unless the user runs anyway.

use std::path::Path;

use anyhow::{Context as _, bail};
use fredbatch_core::BackendKind;
use fredbatch_core::model_check::{CheckSummary, ModelChecker, known_keys};
use fredbatch_core::params::ParamOverride;
use fredbatch_core::program::{config_overrides, prepare_program};
use fredbatch_inputs::{ExtractLimits, extract_archive};
use fredbatch_worker::Engine;
use fredbatch_worker::check::EngineChecker;

use crate::Context;
use crate::settings::Settings;

/// Whether this machine can check models for runs on `kind`: runs elsewhere use the FRED
/// there, so only with FRED here (or on the local executor, whose runs use this machine's
/// engine, the demo engine included).
pub fn can_check_here(kind: BackendKind, settings: &Settings) -> bool {
    kind == BackendKind::Local || settings.fred_home.is_some()
}

/// The engine runs use on this machine: FRED from `FRED_HOME`, else the built-in demo engine.
pub fn this_machines_engine(settings: &Settings) -> anyhow::Result<Engine> {
    Ok(match &settings.fred_home {
        Some(home) => Engine::fred(home),
        None => {
            Engine::demo(std::env::current_exe().context("cannot find the fredbatch executable")?)
        }
    })
}

/// The check this machine can make: with FRED's defaults file's keys, or the demo engine's.
pub fn this_machines_checker(settings: &Settings) -> anyhow::Result<EngineChecker> {
    let mut checker = EngineChecker::new(this_machines_engine(settings)?);
    match &settings.fred_home {
        Some(home) => checker.defaults_file = Some(home.join("data/config.fred")),
        None => {
            checker.engine_keys = fred_demo::KNOWN_KEYS
                .iter()
                .map(|k| k.to_string())
                .collect()
        }
    }
    Ok(checker)
}

/// What a model to check is: its packed inputs (exactly what runs will get), its main program,
/// the job's own overrides and each configuration's.
pub struct ModelToCheck<'a> {
    pub archive: &'a Path,
    pub program: &'a str,
    pub job_params: &'a [ParamOverride],
    pub configs: &'a [Vec<ParamOverride>],
}

/// Checks every configuration; refuses the job on FRED's errors, and on its warnings unless
/// `allow_warnings`. Returns the warnings that were allowed, grouped.
pub async fn check_model(
    ctx: &Context,
    checker: &dyn ModelChecker,
    model: ModelToCheck<'_>,
    allow_warnings: bool,
) -> anyhow::Result<CheckSummary> {
    let count = model.configs.len();
    if count > 1 {
        ctx.note(&format!(
            "Checking {count} configurations with FRED's check mode..."
        ));
    }
    let dir = tempfile::tempdir().context("cannot create a folder to check the model in")?;
    let model_dir = dir.path().join("model");
    std::fs::create_dir(&model_dir).context("cannot create a folder to check the model in")?;
    let extract = {
        let (archive, model_dir) = (model.archive.to_owned(), model_dir.clone());
        tokio::task::spawn_blocking(move || {
            extract_archive(&archive, &model_dir, ExtractLimits::default())
        })
    };
    extract.await??;
    let main_file = std::fs::read_to_string(model_dir.join(model.program))
        .with_context(|| format!("cannot read the main program {}", model.program))?;
    let programs = model
        .configs
        .iter()
        .zip(1..)
        .map(|(config, number)| {
            let overrides = config_overrides(model.job_params, config);
            (number, prepare_program(&main_file, &overrides))
        })
        .collect();
    let checks = checker
        .check(&model_dir, model.program, programs)
        .await
        .map_err(|error| {
            anyhow::anyhow!(
                "the model could not be checked, so nothing was stored or submitted: {error}"
            )
        })?;
    let engine_keys = checker.known_keys();
    let known = known_keys(&engine_keys, &main_file, &checks);
    let overridden: Vec<&str> = model
        .job_params
        .iter()
        .chain(model.configs.iter().flatten())
        .map(|param| param.key.as_str())
        .collect();
    let summary = CheckSummary::new(&checks, &known, &overridden);
    let list = |findings: &[fredbatch_core::model_check::Finding]| {
        findings
            .iter()
            .map(|f| format!("  - {}", f.describe(summary.configs_checked)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    if !summary.errors.is_empty() {
        bail!(
            "FRED's check of the model found errors, so nothing was stored or submitted:\n{}",
            list(&summary.errors)
        );
    }
    if !summary.warnings.is_empty() {
        if !allow_warnings {
            bail!(
                "FRED would ignore part of the model in its runs, so nothing was stored or \
                 submitted:\n{}\nFix the model or the --param/--sweep/--design keys, or pass \
                 --allow-warnings to run anyway.",
                list(&summary.warnings)
            );
        }
        ctx.note(&format!(
            "FRED will ignore part of the model (running anyway, as --allow-warnings asks):\n{}",
            list(&summary.warnings)
        ));
    }
    Ok(summary)
}
