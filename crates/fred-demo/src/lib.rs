//! A stand-in for FRED that follows its contract as seen from outside (see the project's notes
//! on FRED), so fredbatch can be run and tested where FRED is not installed:
//!
//! - command line `-p <program> -r <run_number> -d <output_directory> [-c]`, else the usage line;
//! - a missing program file: `FRED program file <name> not found` on stdout, nothing written,
//!   exit 0;
//! - a broken model: `errors.txt` with `FRED Error (file <name>) ...` lines, an empty
//!   `RUN<r>/`, exit 0;
//! - success: `RUN<r>/out.csv` (FRED's columns), `INF.csv`, `StayHome.csv`, `DAILY/*.txt`, and
//!   `health_records.txt` when `enable_health_records = 1`;
//! - a key it does not know: ignored, and a `FRED Warning (file <name>, line <n>) Unrecognized
//!   property statement: ...` line in `warnings.txt`, whatever else happens;
//! - `-c`: the model checked, `errors.txt` and `warnings.txt` written as a run would, nothing
//!   simulated.
//!
//! The epidemic is a real seeded stochastic agent-based SEIR model over a synthetic population
//! of the location's size: the same program and run number give the same bytes; other run
//! numbers give other epidemics. Model keys read: `locations`, `start_date` (`2020-Jan-01`),
//! `days`, `end_date` (bounds the days simulated, whatever `days` says), `seed` (an unsigned
//! 64-bit number mixed into the random stream), `enable_health_records`, `INF.transmissibility` (default 1.0), `INF.imports`
//! (initial infections, default 10); `use FRED::Influenza` names the condition. Its own
//! `demo_memory_mb` makes a run hold that much memory while it simulates.

mod model;
mod output;
mod program;

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Instant;

pub use model::{Epidemic, simulate};
pub use program::{KNOWN_KEYS, Model, ModelError, parse_model};

/// FRED's usage line, printed for a bad command line.
pub const USAGE: &str = "usage: FRED -p program -r run_number -d output_directory [ -c ]";

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    pub program: PathBuf,
    pub run_number: u32,
    pub out_dir: PathBuf,
    pub check_only: bool,
}

pub fn parse_args<I: IntoIterator<Item = OsString>>(args: I) -> Option<Invocation> {
    let mut args = args.into_iter();
    let (mut program, mut run, mut out, mut check_only) = (None, None, None, false);
    while let Some(flag) = args.next() {
        match flag.to_str()? {
            "-p" => program = Some(PathBuf::from(args.next()?)),
            "-r" => run = Some(args.next()?.to_str()?.parse().ok()?),
            "-d" => out = Some(PathBuf::from(args.next()?)),
            "-c" => check_only = true,
            _ => return None,
        }
    }
    Some(Invocation {
        program: program?,
        run_number: run?,
        out_dir: out?,
        check_only,
    })
}

/// Runs the demo engine with FRED's arguments (without the program name) and returns the exit
/// status FRED would return. Writes to stdout like FRED.
pub fn run_cli<I: IntoIterator<Item = OsString>>(args: I) -> i32 {
    let Some(invocation) = parse_args(args) else {
        println!("{USAGE}");
        return 0;
    };
    let started = Instant::now();
    let file_name = invocation
        .program
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Ok(text) = std::fs::read_to_string(&invocation.program) else {
        println!(
            "FRED program file {} not found",
            invocation.program.display()
        );
        return 0;
    };
    let defaults = std::env::var_os("FRED_HOME")
        .map(|home| PathBuf::from(home).join("data/config.fred"))
        .and_then(|path| std::fs::read_to_string(path).ok())
        .unwrap_or_default();
    let model = parse_model(&defaults, &text, &file_name);
    // FRED echoes every parameter it read, whether or not the model turns out valid.
    let params = match &model {
        Ok(model) => &model.params,
        Err(error) => &error.params,
    };
    for (key, value) in params {
        println!("PARAM {key} = {value}");
    }
    let result = match &model {
        Err(errors) => output::write_errors(&invocation, errors),
        Ok(model) if invocation.check_only => output::write_warnings(&invocation, &model.warnings),
        Ok(model) => {
            // Memory the run holds while it simulates, touched so it is resident.
            let held = vec![1u8; (model.memory_mb * 1024 * 1024) as usize];
            let epidemic = simulate(model, invocation.run_number, |day, counts| {
                println!(
                    "FRED_VERBOSE: day {day} infectious {} recovered {}",
                    counts.0, counts.1
                );
            });
            let written = output::write_run(&invocation, model, &epidemic)
                .and_then(|()| output::write_warnings(&invocation, &model.warnings));
            std::hint::black_box(&held);
            written
        }
    };
    if let Err(error) = result {
        println!("FRED: cannot write output: {error}");
        return 1;
    }
    println!(
        "FRED finished {}",
        chrono::Local::now().format("%a %b %e %H:%M:%S %Y")
    );
    println!("FRED took {:.3} seconds", started.elapsed().as_secs_f64());
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn parses_freds_command_line() {
        let invocation = parse_args(args(&["-p", "m.fred", "-r", "3", "-d", "out"])).unwrap();
        assert_eq!(invocation.run_number, 3);
        assert!(!invocation.check_only);
        assert!(parse_args(args(&["-p", "m.fred", "-r", "3"])).is_none());
        assert!(parse_args(args(&["-p", "m.fred", "-r", "x", "-d", "o"])).is_none());
        assert!(parse_args(args(&["--help"])).is_none());
    }
}
