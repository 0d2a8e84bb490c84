//! One server per store: a second `fredbatch serve` on the same database would supervise the
//! same jobs twice. The lock is a row (so it works alike on SQLite and PostgreSQL) naming its
//! holder's host, pid and listen address, kept fresh by a heartbeat. A holder whose heartbeat
//! stopped, or that is gone from this host (killed), is taken over.

use std::time::Duration;

use chrono::Utc;
use fredbatch_store::{LockError, LockHolder, Store};
use tokio::task::JoinHandle;

pub const LOCK_NAME: &str = "serve";
const HEARTBEAT: Duration = Duration::from_secs(5);
/// A heartbeat older than this means the holder is gone (it missed several).
const STALE_AFTER: Duration = Duration::from_secs(30);

pub struct ServerLock {
    store: Store,
    holder: LockHolder,
    heartbeat: JoinHandle<()>,
}

pub fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".into())
}

/// Whether the holder was a process on this host that no longer exists.
fn is_gone(holder: &LockHolder) -> bool {
    holder.host == this_host()
        && matches!(
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(holder.pid as i32), None),
            Err(nix::errno::Errno::ESRCH)
        )
}

impl ServerLock {
    pub async fn acquire(store: &Store, listen: &str) -> Result<ServerLock, LockError> {
        let holder = LockHolder {
            holder: crate::auth::new_token(),
            host: this_host(),
            pid: std::process::id(),
            listen: listen.to_owned(),
        };
        store
            .acquire_server_lock(
                LOCK_NAME,
                &holder,
                chrono::Duration::from_std(STALE_AFTER).expect("small duration"),
                is_gone,
                Utc::now(),
            )
            .await?;
        let heartbeat = tokio::spawn({
            let (store, holder) = (store.clone(), holder.holder.clone());
            async move {
                loop {
                    tokio::time::sleep(HEARTBEAT).await;
                    match store
                        .heartbeat_server_lock(LOCK_NAME, &holder, Utc::now())
                        .await
                    {
                        Ok(true) => {}
                        Ok(false) => tracing::error!(
                            "another server took over this store's lock; stop this one"
                        ),
                        Err(error) => tracing::warn!(%error, "cannot refresh the server lock"),
                    }
                }
            }
        });
        Ok(ServerLock {
            store: store.clone(),
            holder,
            heartbeat,
        })
    }

    pub async fn release(self) {
        self.heartbeat.abort();
        if let Err(error) = self
            .store
            .release_server_lock(LOCK_NAME, &self.holder.holder)
            .await
        {
            tracing::warn!(%error, "cannot release the server lock");
        }
    }
}
