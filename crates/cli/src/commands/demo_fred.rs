//! `fredbatch demo-fred -p PROGRAM -r RUN -d OUTDIR`: the demo engine that stands in for FRED
//! when FRED_HOME is unset. Hidden from the main help.

use std::ffi::OsString;
use std::process::ExitCode;

/// The built-in demo engine, with FRED's command line.
#[derive(clap::Args, Debug)]
#[command(disable_help_flag = true)]
pub struct DemoFredArgs {
    /// FRED's own arguments: -p PROGRAM -r RUN -d OUTDIR [-c]
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<OsString>,
}

pub fn run(args: DemoFredArgs) -> ExitCode {
    ExitCode::from(fred_demo::run_cli(args.args) as u8)
}
