//! `fredbatch serve`: the platform API the epx client speaks, over the same store, storage and
//! backends as every other command (SQLite and folders by default; PostgreSQL, S3 and AWS Batch
//! by the same configuration as `fredbatch run`).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use fredbatch_core::BackendKind;
use fredbatch_server::{DEFAULT_UPLOAD_LIMIT, JobDefaults, ServerConfig};

use crate::Context;
use crate::backend::{choose, connect_new};
use crate::commands::args::{BackendArgs, RunResourceArgs};
use crate::model_check::{can_check_here, this_machines_checker};

/// Serve the platform API (what the epx Python client speaks) with accounts.
///
/// Every call needs a token from `fredbatch users add`. All jobs share one backend; jobs and
/// runs are ordinary fredbatch jobs (`fredbatch status J` shows them). One server per store:
/// a second one refuses to start, naming the first. SIGTERM or Ctrl-C drains: requests in
/// flight finish, the lock is released; open jobs are resumed by the next start.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// The address to listen on. With port 0 the system picks a free port: the line
    /// `Serving the platform API on http://ADDRESS (...)` on stderr names the address bound,
    /// once the server accepts connections.
    #[arg(long, default_value = "127.0.0.1:8787", env = "FREDBATCH_LISTEN")]
    pub listen: SocketAddr,
    /// What the upload and download URLs handed to clients start with, when clients reach this
    /// server by another name than the listen address (e.g. behind a proxy).
    #[arg(long, value_name = "URL", env = "FREDBATCH_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The largest upload accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_UPLOAD_LIMIT)]
    pub upload_limit: u64,
    /// How long upload and download URLs stay valid.
    #[arg(long, default_value = "24h", value_parser = humantime::parse_duration)]
    pub url_lifetime: Duration,
    #[command(flatten)]
    pub resources: RunResourceArgs,
    #[command(flatten)]
    pub backend: BackendArgs,
}

pub async fn run(args: ServeArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let kind = choose(&args.backend);
    let mut settings = ctx.settings.clone();
    let resources = args.resources.resources(kind);
    let connected = connect_new(kind, &args.backend, resources, &mut settings).await?;
    let store = settings.open_store().await?;
    let checks_here = can_check_here(kind, &settings);
    let config = ServerConfig {
        store: store.clone(),
        uploads: settings.uploads()?,
        results: settings.results()?,
        runner: connected.runner,
        defaults: JobDefaults {
            resources,
            max_attempts: args.resources.attempts,
            attempt_timeout_seconds: args.resources.timeout.as_secs().max(1),
            backend: connected.target,
            first_run_checks: !checks_here,
        },
        listen: args.listen,
        public_url: args.public_url,
        upload_limit: args.upload_limit,
        url_lifetime: args.url_lifetime,
        tick: match kind {
            BackendKind::Local => Duration::from_millis(500),
            other => crate::backend::tick(other),
        },
        scratch: settings.home.join("server"),
        model_check: if checks_here {
            Some(Arc::new(this_machines_checker(&settings)?))
        } else {
            None
        },
    };
    fredbatch_server::serve(config, terminated(), |address| {
        ctx.note(&format!(
            "Serving the platform API on http://{address} ({} backend); stop with Ctrl-C or SIGTERM.",
            kind
        ));
    })
    .await?;
    store.close().await;
    ctx.note("Stopped.");
    Ok(ExitCode::SUCCESS)
}

/// Resolves on SIGTERM or Ctrl-C.
async fn terminated() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            tokio::signal::ctrl_c().await.ok();
        }
    }
}
