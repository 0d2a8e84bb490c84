//! How long FRED's check mode takes before a sweep's runs start
//! (`cargo bench -p fredbatch --bench model_check`): a 1,000-configuration sweep whose key is
//! misspelt, so `fredbatch run` checks every configuration and then refuses the job (nothing
//! else happens), beside one full run of the same model by the same engine. The engine is FRED
//! when `FRED_HOME` is set, the demo engine otherwise. Prints figures; asserts nothing.
//!
//! FREDBATCH_BENCH_CONFIGS sets the sweep's size (1000).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fredbatch_testkit::bench::env_number;

const MODEL: &str = "use FRED::Influenza\nlocations = Jefferson_County_PA\n\
                     start_date = 2020-Jan-01\ndays = 100\n";

fn main() {
    let configs = env_number("FREDBATCH_BENCH_CONFIGS", 1000);
    let dir = tempfile::tempdir().expect("temp dir");
    let model = dir.path().join("model");
    std::fs::create_dir_all(&model).unwrap();
    std::fs::write(model.join("main.fred"), MODEL).unwrap();
    let fred_home = std::env::var_os("FRED_HOME");
    let engine = if fred_home.is_some() {
        "FRED"
    } else {
        "the demo engine"
    };

    let values: Vec<String> = (1..=configs).map(|v| v.to_string()).collect();
    let sweep = format!("INF.transmisibility={}", values.join(","));
    let started = Instant::now();
    let refused = fredbatch(dir.path())
        .args(["run", model.to_str().unwrap(), "--sweep", &sweep])
        .output()
        .expect("run fredbatch");
    let check = started.elapsed();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && said.contains("did you mean"),
        "the misspelt sweep should be refused after its check: {said}"
    );

    let one_run = time_one_run(dir.path(), &model);
    println!("model check, {configs} configurations with {engine}:");
    println!(
        "  check of every configuration: {:>7.2} s ({:.1} ms per configuration)",
        check.as_secs_f64(),
        check.as_secs_f64() * 1000.0 / f64::from(configs)
    );
    println!(
        "  one full run of the model:    {:>7.2} s (the check costs {:.1} runs' time)",
        one_run.as_secs_f64(),
        check.as_secs_f64() / one_run.as_secs_f64()
    );
}

/// `fredbatch` with a home of its own in `dir` and the caller's FRED_HOME.
fn fredbatch(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fredbatch"));
    command
        .env("FREDBATCH_HOME", dir.join("home"))
        .stdin(Stdio::null());
    command
}

/// One run of the model by the engine itself (FRED, or `fredbatch demo-fred`).
fn time_one_run(dir: &Path, model: &Path) -> Duration {
    let out = dir.join("one-run");
    let program = model.join("main.fred");
    let mut command = match std::env::var_os("FRED_HOME") {
        Some(home) => Command::new(Path::new(&home).join("bin/FRED")),
        None => {
            let mut demo = Command::new(env!("CARGO_BIN_EXE_fredbatch"));
            demo.arg("demo-fred");
            demo
        }
    };
    command
        .arg("-p")
        .arg(&program)
        .args(["-r", "1", "-d"])
        .arg(&out)
        .current_dir(model)
        .stdout(Stdio::null());
    let started = Instant::now();
    let status = command.status().expect("run the engine");
    assert!(status.success(), "the engine failed: {status}");
    started.elapsed()
}
