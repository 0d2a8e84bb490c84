//! The server's own records: secrets it keeps (the URL-signing key) and the lock that lets one
//! server at a time use a store, refreshed by a heartbeat.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::Store;
use crate::error::StoreError;
use crate::time::{from_millis, to_millis};

/// The process holding a named server lock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockHolder {
    /// Unique to one process's hold (so a restarted process never mistakes the row for its own).
    pub holder: String,
    pub host: String,
    pub pid: u32,
    pub listen: String,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pid {} on {}, listening on {}",
            self.pid, self.host, self.listen
        )
    }
}

fn lock_holder(row: &AnyRow) -> Result<LockHolder, StoreError> {
    Ok(LockHolder {
        holder: row.try_get("holder")?,
        host: row.try_get("host")?,
        pid: row.try_get::<i64, _>("pid")? as u32,
        listen: row.try_get("listen")?,
    })
}

/// Why a lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another fredbatch server holds this store: {holder} (last heartbeat {heartbeat}); stop it first"
    )]
    Held {
        holder: LockHolder,
        heartbeat: DateTime<Utc>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// The secret named `name`, made by `generate` the first time it is asked for (by whichever
    /// process gets there first).
    pub async fn server_secret(
        &self,
        name: &str,
        generate: impl FnOnce() -> String,
    ) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(generate())
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
                .bind(name)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Takes the lock `name` for `holder`. A lock whose heartbeat is older than `stale_after`,
    /// or whose holder `is_gone` says has died, is taken over; otherwise it is refused, saying
    /// who holds it.
    pub async fn acquire_server_lock(
        &self,
        name: &str,
        holder: &LockHolder,
        stale_after: chrono::Duration,
        is_gone: impl Fn(&LockHolder) -> bool,
        now: DateTime<Utc>,
    ) -> Result<(), LockError> {
        let inserted = sqlx::query(
            "INSERT INTO server_locks (name, holder, host, pid, listen, acquired_at, heartbeat_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(&holder.holder)
        .bind(&holder.host)
        .bind(i64::from(holder.pid))
        .bind(&holder.listen)
        .bind(to_millis(now))
        .execute(&self.pool)
        .await
        .map_err(StoreError::from)?;
        if inserted.rows_affected() == 1 {
            return Ok(());
        }
        let row = sqlx::query(
            "SELECT holder, host, pid, listen, heartbeat_at FROM server_locks WHERE name = $1",
        )
        .bind(name)
        .fetch_one(&self.pool)
        .await
        .map_err(StoreError::from)?;
        let current = lock_holder(&row)?;
        let heartbeat = from_millis(row.try_get("heartbeat_at").map_err(StoreError::from)?);
        if now - heartbeat < stale_after && !is_gone(&current) {
            return Err(LockError::Held {
                holder: current,
                heartbeat,
            });
        }
        // Taken over only if nobody else took it over meanwhile.
        let taken = sqlx::query(
            "UPDATE server_locks SET holder = $1, host = $2, pid = $3, listen = $4, \
             acquired_at = $5, heartbeat_at = $5 WHERE name = $6 AND holder = $7",
        )
        .bind(&holder.holder)
        .bind(&holder.host)
        .bind(i64::from(holder.pid))
        .bind(&holder.listen)
        .bind(to_millis(now))
        .bind(name)
        .bind(&current.holder)
        .execute(&self.pool)
        .await
        .map_err(StoreError::from)?;
        if taken.rows_affected() == 1 {
            Ok(())
        } else {
            Err(LockError::Held {
                holder: current,
                heartbeat,
            })
        }
    }

    /// Refreshes a held lock's heartbeat; false when the lock is no longer this holder's.
    pub async fn heartbeat_server_lock(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let updated = sqlx::query(
            "UPDATE server_locks SET heartbeat_at = $1 WHERE name = $2 AND holder = $3",
        )
        .bind(to_millis(now))
        .bind(name)
        .bind(holder)
        .execute(&self.pool)
        .await?;
        Ok(updated.rows_affected() == 1)
    }

    /// Who holds the lock `name` now, if anyone.
    pub async fn server_lock_holder(&self, name: &str) -> Result<Option<LockHolder>, StoreError> {
        let row = sqlx::query("SELECT holder, host, pid, listen FROM server_locks WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(lock_holder).transpose()
    }

    pub async fn release_server_lock(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM server_locks WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether the database answers (for a health check).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
