//! The API's accounts: a name and the hash of a token, revocable.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use fredbatch_core::RunStatus;

use crate::Store;
use crate::error::StoreError;
use crate::jobs::allocate;
use crate::sql;
use crate::time::{from_millis, opt_from_millis, to_millis};

/// An account of the API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

fn user(row: &AnyRow) -> Result<User, StoreError> {
    Ok(User {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        created_at: from_millis(row.try_get("created_at")?),
        revoked_at: opt_from_millis(row.try_get("revoked_at")?),
    })
}

impl Store {
    /// Adds a user whose token hashes to `token_hash`.
    pub async fn add_user(
        &self,
        name: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Written first: on SQLite a transaction that reads before it writes fails at once
        // (instead of waiting) when another process wrote in between. A refusal rolls it back.
        let id = allocate(&mut tx, "user", 1).await?;
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::UserExists(name.to_owned()));
        }
        sqlx::query("INSERT INTO users (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(name)
            .bind(token_hash)
            .bind(to_millis(now))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(User {
            id,
            name: name.to_owned(),
            created_at: from_millis(to_millis(now)),
            revoked_at: None,
        })
    }

    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query("SELECT id, name, created_at, revoked_at FROM users ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user).collect()
    }

    /// Revokes a user's token: it is refused from now on, and so are the URLs handed to them.
    /// Their runs that never started end CANCELLED with the reason; those running are asked
    /// to stop. Their jobs' records stay.
    pub async fn revoke_user(&self, name: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let updated =
            sqlx::query("UPDATE users SET revoked_at = COALESCE(revoked_at, $1) WHERE name = $2")
                .bind(to_millis(now))
                .bind(name)
                .execute(&mut *tx)
                .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NoSuchUser(name.to_owned()));
        }
        let owned = "job_id IN (SELECT jobs.id FROM jobs JOIN users ON jobs.owner = users.id \
                     WHERE users.name = $1)";
        sqlx::query(&format!(
            "UPDATE runs SET status = {cancelled}, status_reason = $2, finished_at = $3 \
             WHERE {owned} AND backend_job_id IS NULL AND {open}",
            cancelled = sql::run_status(RunStatus::Cancelled),
            open = sql::run_is_open("status"),
        ))
        .bind(name)
        .bind(format!(
            "cancelled: the account of {name}, who owns this job, was revoked"
        ))
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        sqlx::query(&format!(
            "UPDATE runs SET cancel_requested = 1 WHERE {owned} AND {open}",
            open = sql::run_is_open("status"),
        ))
        .bind(name)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A user by id, revoked or not.
    pub async fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT id, name, created_at, revoked_at FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user).transpose()
    }

    /// The user whose token hashes to `token_hash`, unless revoked.
    pub async fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, created_at, revoked_at FROM users \
             WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user).transpose()
    }
}
