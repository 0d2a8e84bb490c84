//! The `fredbatch` command line.

mod backend;
mod commands;
mod joblock;
mod model_check;
mod output;
mod private_files;
mod progress;
mod settings;
mod status_document;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::output::OutputFormat;
use crate::settings::Settings;

/// Run FRED epidemic simulations as batch jobs: on this machine by default, on AWS Batch with
/// --stack NAME (or AWS_BATCH_JOB_DEFINITION and AWS_BATCH_JOB_QUEUE).
///
/// Everything is kept under .fredbatch/ in the working directory (or FREDBATCH_HOME): the job
/// database, each job's inputs, each run's results and logs.
#[derive(Parser, Debug)]
#[command(name = "fredbatch", version, propagate_version = true)]
#[command(
    after_help = "Start with:\n  fredbatch run examples/influenza --runs 4\n  fredbatch status\n  fredbatch results 1 --out results/"
)]
pub struct Cli {
    /// How to report: `text` for people, `json` for scripts (one document on stdout).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t,
        env = "FREDBATCH_OUTPUT",
        help_heading = "Global options"
    )]
    output: OutputFormat,

    /// Where fredbatch keeps its database, inputs, results and logs [default: ./.fredbatch].
    #[arg(
        long,
        global = true,
        env = "FREDBATCH_HOME",
        value_name = "DIR",
        help_heading = "Global options"
    )]
    home: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    Run(commands::run::RunArgs),
    Status(commands::status::StatusArgs),
    Jobs(commands::status::JobsArgs),
    Logs(commands::logs::LogsArgs),
    Cancel(commands::cancel::CancelArgs),
    Results(commands::results::ResultsArgs),
    Resume(commands::resume::ResumeArgs),
    Report(commands::report::ReportArgs),
    Compare(commands::compare::CompareArgs),
    Cost(commands::cost::CostArgs),
    Profile(commands::profile::ProfileArgs),
    Doctor(commands::doctor::DoctorArgs),
    Infra(commands::infra::InfraArgs),
    Serve(commands::serve::ServeArgs),
    Users(commands::users::UsersArgs),
    Worker(commands::worker::WorkerArgs),
    Completions(commands::completions::CompletionsArgs),
    #[command(hide = true)]
    DemoFred(commands::demo_fred::DemoFredArgs),
}

/// What every command may need from the global options.
pub struct Context {
    pub output: OutputFormat,
    pub settings: Settings,
    /// When this process started.
    pub started: std::time::Instant,
}

impl Context {
    /// The same context with other settings (e.g. buckets found from a stack).
    pub fn with_settings(&self, settings: Settings) -> Context {
        Context {
            output: self.output,
            settings,
            started: self.started,
        }
    }

    /// A remark for the person at the terminal: stderr, so stdout stays the command's report.
    pub fn note(&self, message: &str) {
        eprintln!("{message}");
    }
}

fn main() -> ExitCode {
    let started = std::time::Instant::now();
    let cli = Cli::parse();
    match cli.command {
        Command::DemoFred(args) => return commands::demo_fred::run(args),
        Command::Completions(args) => return commands::completions::run(args),
        _ => {}
    }
    let is_worker = matches!(cli.command, Command::Worker(_));
    init_tracing(is_worker);
    let output = cli.output;
    let result = Settings::from_env(cli.home).and_then(|settings| {
        let ctx = Context {
            output,
            settings,
            started,
        };
        // The worker supervises one engine: one thread is enough, and FRED's parent-death
        // signal is tied to the thread that spawned it, which must outlive it.
        let runtime = if is_worker {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
        } else {
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
        }?;
        runtime.block_on(dispatch(cli.command, &ctx))
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            if output.is_json() {
                println!("{}", serde_json::json!({ "error": format!("{error:#}") }));
            } else {
                eprintln!("error: {error:#}");
            }
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(command: Command, ctx: &Context) -> anyhow::Result<ExitCode> {
    match command {
        Command::Run(args) => commands::run::run(args, ctx).await,
        Command::Status(args) => commands::status::run(args, ctx).await,
        Command::Jobs(args) => commands::status::jobs(args, ctx).await,
        Command::Logs(args) => commands::logs::run(args, ctx).await,
        Command::Cancel(args) => commands::cancel::run(args, ctx).await,
        Command::Results(args) => commands::results::run(args, ctx).await,
        Command::Resume(args) => commands::resume::run(args, ctx).await,
        Command::Serve(args) => commands::serve::run(args, ctx).await,
        Command::Users(args) => commands::users::run(args, ctx).await,
        Command::Worker(args) => commands::worker::run(args, ctx).await,
        Command::Doctor(args) => commands::doctor::run(args, ctx).await,
        Command::Infra(args) => commands::infra::run(args, ctx).await,
        Command::Cost(args) => commands::cost::run(args, ctx).await,
        Command::Profile(args) => commands::profile::run(args, ctx).await,
        Command::Report(args) => commands::report::run(args, ctx).await,
        Command::Compare(args) => commands::compare::run(args, ctx).await,
        Command::DemoFred(_) | Command::Completions(_) => {
            unreachable!("handled before the runtime starts")
        }
    }
}

/// Diagnostics on stderr: warnings by default, and the server's audit log (`FREDBATCH_LOG` sets
/// the filter). The worker logs its steps, as JSON lines when not on a terminal so log systems
/// can index them.
fn init_tracing(is_worker: bool) {
    use tracing_subscriber::EnvFilter;
    let default = if is_worker {
        "info"
    } else {
        "warn,fredbatch::audit=info"
    };
    let filter =
        EnvFilter::try_from_env("FREDBATCH_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if is_worker && !std::io::stderr().is_terminal() {
        builder.json().with_current_span(true).init();
    } else {
        builder.init();
    }
}
