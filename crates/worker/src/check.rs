//! The engine's check mode (`FRED -p PROGRAM -r 1 -d OUT -c`) on each configuration's program,
//! in parallel and bounded. FRED exits 0 whether or not the model is broken, so the check reads
//! what it wrote (`errors.txt`, `warnings.txt`); an engine that fails to run (not found, killed,
//! a non-zero exit) is an error, never a pass.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use async_trait::async_trait;
use fredbatch_core::model_check::{CheckError, ConfigCheck, ModelChecker};
use futures::StreamExt;

use crate::{Engine, read_lines, read_warnings};

/// A check that takes longer than this is taken for a hung engine.
const CHECK_TIMEOUT: Duration = Duration::from_secs(120);

pub struct EngineChecker {
    pub engine: Engine,
    /// How many checks run at once.
    pub parallelism: usize,
    /// Keys the engine knows besides its defaults file's (the demo engine's own).
    pub engine_keys: Vec<String>,
    /// The engine's defaults file (`$FRED_HOME/data/config.fred`), whose keys FRED knows.
    pub defaults_file: Option<PathBuf>,
}

impl EngineChecker {
    /// As many checks at once as this machine has cores.
    pub fn new(engine: Engine) -> EngineChecker {
        EngineChecker {
            engine,
            parallelism: std::thread::available_parallelism().map_or(2, |n| n.get()),
            engine_keys: Vec::new(),
            defaults_file: None,
        }
    }

    async fn check_one(
        &self,
        model_dir: &Path,
        program_name: &str,
        scratch: &Path,
        config: u32,
        program: String,
    ) -> Result<ConfigCheck, CheckError> {
        let scratch_error = |path: &Path| {
            let path = path.display().to_string();
            move |error: std::io::Error| CheckError::Scratch {
                path,
                reason: error.to_string(),
            }
        };
        // Beside the model's files, as a run's program is, so relative paths resolve alike.
        let file_name = format!("fredbatch-check-{config}.fred");
        let program_path = model_dir.join(&file_name);
        tokio::fs::write(&program_path, program)
            .await
            .map_err(scratch_error(&program_path))?;
        let out_dir = scratch.join(format!("check-{config}"));
        let mut command = tokio::process::Command::new(&self.engine.program);
        command
            .args(&self.engine.leading_args)
            .arg("-p")
            .arg(&program_path)
            .args(["-r", "1", "-d"])
            .arg(&out_dir)
            .arg("-c")
            .current_dir(model_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let output = tokio::time::timeout(CHECK_TIMEOUT, command.output())
            .await
            .map_err(|_| CheckError::EngineFailed {
                config,
                how: format!("no answer in {} s", CHECK_TIMEOUT.as_secs()),
                last_words: String::new(),
            })?
            .map_err(|error| {
                CheckError::Unavailable(format!("{}: {error}", self.engine.describe()))
            })?;
        let _ = tokio::fs::remove_file(&program_path).await;
        if !output.status.success() {
            let mut said = String::from_utf8_lossy(&output.stdout).into_owned();
            said.push_str(&String::from_utf8_lossy(&output.stderr));
            let last: Vec<&str> = said.lines().rev().take(3).collect();
            return Err(CheckError::EngineFailed {
                config,
                how: output.status.to_string(),
                last_words: last.into_iter().rev().collect::<Vec<_>>().join(" | "),
            });
        }
        // FRED names the file it read; people know it as the model's main file.
        let named = |lines: Vec<String>| -> Vec<String> {
            lines
                .into_iter()
                .map(|line| line.replace(&file_name, program_name))
                .collect()
        };
        let errors = named(read_lines(&out_dir.join("errors.txt")));
        let warnings = named(read_warnings(&out_dir));
        Ok(ConfigCheck {
            config,
            errors,
            warnings,
        })
    }
}

#[async_trait]
impl ModelChecker for EngineChecker {
    async fn check(
        &self,
        model_dir: &Path,
        program_name: &str,
        programs: Vec<(u32, String)>,
    ) -> Result<Vec<ConfigCheck>, CheckError> {
        let scratch = tempfile::tempdir().map_err(|error| CheckError::Scratch {
            path: std::env::temp_dir().display().to_string(),
            reason: error.to_string(),
        })?;
        let mut checks: Vec<ConfigCheck> = futures::stream::iter(programs)
            .map(|(config, program)| {
                self.check_one(model_dir, program_name, scratch.path(), config, program)
            })
            .buffer_unordered(self.parallelism.max(1))
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()?;
        checks.sort_by_key(|check| check.config);
        Ok(checks)
    }

    fn known_keys(&self) -> Vec<String> {
        let mut keys = self.engine_keys.clone();
        if let Some(text) = self
            .defaults_file
            .as_ref()
            .and_then(|path| std::fs::read_to_string(path).ok())
        {
            keys.extend(fredbatch_core::model_check::keys_set_in(&text).map(str::to_owned));
        }
        keys
    }
}
