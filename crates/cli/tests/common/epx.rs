//! The real epx client (`scripts/test` installs it in .venv-epx and names its Python in
//! FREDBATCH_EPX_PYTHON), driven by the scripts in `tests/epx/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use super::{Sandbox, text};

/// An epx storage folder configured for `url` and `token`.
pub fn epx_config(sandbox: &Sandbox, name: &str, url: &str, token: &str) -> PathBuf {
    let dir = sandbox.path().join(format!("epx-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.json"),
        serde_json::json!({ "api-url": url, "bearer-token": token }).to_string(),
    )
    .unwrap();
    dir
}

/// Runs one of the scripts in `tests/epx/` with the client's Python; returns its JSON.
pub fn epx(sandbox: &Sandbox, storage: &Path, script: &str, args: &[&str]) -> Value {
    let python = fredbatch_testkit::required("FREDBATCH_EPX_PYTHON");
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/epx")
        .join(script);
    let output = Command::new(python)
        .arg(&script)
        .args(args)
        .env("EPX_STORAGE_DIR", storage)
        .env_remove("PLATFORM_API_URL")
        .env_remove("JPY_API_TOKEN")
        .current_dir(sandbox.path())
        .stdin(Stdio::null())
        .output()
        .expect("run the epx client's Python");
    assert!(
        output.status.success(),
        "{} failed:\n{}\n{}",
        script.display(),
        text(&output.stdout),
        text(&output.stderr)
    );
    let stdout = text(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}
