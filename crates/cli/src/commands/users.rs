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
            let users = store.users().await?;
            if ctx.output.is_json() {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({ "users": users }))?
                );
            } else {
                let mut rows = table(["id", "name", "created", "revoked"]);
                for user in &users {
                    rows.add_row(vec![
                        user.id.to_string(),
                        user.name.clone(),
                        user.created_at.format("%Y-%m-%d %H:%M").to_string(),
                        user.revoked_at
                            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                            .unwrap_or_default(),
                    ]);
                }
                println!("{rows}");
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
