//! Running this build's `fredbatch` in a home of its own, for benchmarks that compare jobs
//! side by side without one seeing the other's store.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

/// `fredbatch --output json ARGS` with FREDBATCH_HOME at `home` and FRED_HOME at `fred_home`
/// (none: the demo engine), whatever this environment says of the store, storage or backend:
/// its JSON answer (`null` when it printed none).
pub fn fredbatch_json(home: &Path, fred_home: Option<&Path>, args: &[String]) -> Value {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fredbatch"));
    command
        .args(["--output", "json"])
        .args(args)
        .env("FREDBATCH_HOME", home)
        .env_remove("FRED_HOME")
        .env_remove("DATABASE_URL")
        .env_remove("FREDBATCH_UPLOADS")
        .env_remove("FREDBATCH_RESULTS")
        .env_remove("FREDBATCH_BACKEND")
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    if let Some(fred_home) = fred_home {
        command.env("FRED_HOME", fred_home);
    }
    let output = command.output().expect("run fredbatch");
    serde_json::from_slice(&output.stdout).unwrap_or(Value::Null)
}
