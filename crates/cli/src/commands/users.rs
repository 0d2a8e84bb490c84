//! `fredbatch users`: the accounts of `fredbatch serve`. A token is shown once, when its user
//! is added; the store keeps only its hash.

use std::process::ExitCode;

use chrono::Utc;
use fredbatch_server::auth::{new_token, token_hash};

use crate::Context;
use crate::output::table;

/// Manage the accounts of `fredbatch serve`.
#[derive(clap::Args, Debug)]
pub struct UsersArgs {
    #[command(subcommand)]
    pub command: UsersCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum UsersCommand {
    /// Add a user and print their new token (shown only this once).
    Add {
        /// A name for people, unique.
        name: String,
    },
    /// List the users (never their tokens).
    List,
    /// Refuse a user's token from now on; their jobs stay.
    Revoke { name: String },
    /// Set a user's quota, so no one user can take the server: what would pass it is refused
    /// (429) with a description their client shows. Each limit given replaces the last; one
    /// left out is no limit.
    #[command(
        after_help = "Example:\n  fredbatch users quota dave --jobs 20 --runs-in-flight 500 --stored-gb 50"
    )]
    Quota {
        name: String,
        /// Jobs kept at once (deleted ones do not count).
        #[arg(long, value_name = "N")]
        jobs: Option<u64>,
        /// Runs queued or running at once, over all their jobs.
        #[arg(long, value_name = "N")]
        runs_in_flight: Option<u64>,
        /// Gigabytes stored: what their jobs uploaded and their results (jobs not deleted).
        #[arg(long, value_name = "GB", allow_negative_numbers = true)]
        stored_gb: Option<f64>,
    },
}

pub async fn run(args: UsersArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let store = ctx.settings.open_store().await?;
    match args.command {
        UsersCommand::Add { name } => {
            let name = name.trim().to_owned();
            anyhow::ensure!(!name.is_empty(), "give the user a name");
            let token = new_token();
            store
                .add_user(&name, &token_hash(&token), Utc::now())
                .await?;
            if ctx.output.is_json() {
                println!("{}", serde_json::json!({ "name": name, "token": token }));
            } else {
                ctx.note(&format!(
                    "User {name} added. Their token, shown only now (epx: \"bearer-token\" in config.json):"
                ));
                println!("{token}");
            }
        }
        UsersCommand::List => {
            let mut users = Vec::new();
            for user in store.users().await? {
                let quota = store.quota(user.id).await?;
                users.push((user, quota));
            }
            if ctx.output.is_json() {
                let users: Vec<serde_json::Value> = users
                    .iter()
                    .map(|(user, quota)| {
                        let mut shown = serde_json::to_value(user).expect("users serialize");
                        shown["quota"] = serde_json::to_value(quota).expect("quotas serialize");
                        shown
                    })
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({ "users": users }))?
                );
            } else {
                let mut rows = table(["id", "name", "created", "revoked", "quota"]);
                for (user, quota) in &users {
                    rows.add_row(vec![
                        user.id.to_string(),
                        user.name.clone(),
                        user.created_at.format("%Y-%m-%d %H:%M").to_string(),
                        user.revoked_at
                            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                            .unwrap_or_default(),
                        describe_quota(quota),
                    ]);
                }
                println!("{rows}");
            }
        }
        UsersCommand::Quota {
            name,
            jobs,
            runs_in_flight,
            stored_gb,
        } => {
            if let Some(gb) = stored_gb.filter(|gb| !gb.is_finite() || *gb < 0.0) {
                anyhow::bail!("--stored-gb {gb}: give a number of gigabytes, 0 or more");
            }
            let quota = fredbatch_store::Quota {
                jobs,
                runs_in_flight,
                stored_bytes: stored_gb.map(|gb| (gb * 1e9) as u64),
            };
            store.set_quota(&name, quota).await?;
            if ctx.output.is_json() {
                println!("{}", serde_json::json!({ "name": name, "quota": quota }));
            } else {
                let shown = |limit: Option<u64>| {
                    limit.map_or_else(|| "no limit".to_owned(), |n| n.to_string())
                };
                ctx.note(&format!(
                    "{name}'s quota: jobs {}, runs in flight {}, stored results {}.",
                    shown(quota.jobs),
                    shown(quota.runs_in_flight),
                    quota.stored_bytes.map_or_else(
                        || "no limit".to_owned(),
                        |b| format!("{:.1} GB", b as f64 / 1e9)
                    )
                ));
            }
        }
        UsersCommand::Revoke { name } => {
            store.revoke_user(&name, Utc::now()).await?;
            if ctx.output.is_json() {
                println!("{}", serde_json::json!({ "name": name, "revoked": true }));
            } else {
                ctx.note(&format!("User {name}'s token is refused from now on."));
            }
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// A quota for people: `jobs 20, runs in flight 500, stored results 50.0 GB` (or `no limit`).
fn describe_quota(quota: &fredbatch_store::Quota) -> String {
    if *quota == fredbatch_store::Quota::default() {
        return "no limit".to_owned();
    }
    let shown = |limit: Option<u64>| limit.map_or_else(|| "no limit".to_owned(), |n| n.to_string());
    format!(
        "jobs {}, runs in flight {}, stored results {}",
        shown(quota.jobs),
        shown(quota.runs_in_flight),
        quota.stored_bytes.map_or_else(
            || "no limit".to_owned(),
            |b| format!("{:.1} GB", b as f64 / 1e9)
        )
    )
}
