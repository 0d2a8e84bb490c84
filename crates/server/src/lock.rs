//! One server per store: a second `fredbatch serve` on the same database would supervise the
//! same jobs twice. The lock is a row (so it works alike on SQLite and PostgreSQL) naming its
//! holder's host, pid and listen address, kept fresh by a heartbeat. A holder whose heartbeat
//! stopped, or that is gone from this host (killed), is taken over; a server that finds its
//! lock taken over hears of it through [`ServerLock::lost`] and must stop at once.

use std::time::Duration;

use chrono::Utc;
use fredbatch_store::{LockError, LockHolder, Store};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const LOCK_NAME: &str = "serve";
const HEARTBEAT: Duration = Duration::from_secs(5);
/// A heartbeat older than this means the holder is gone (it missed several).
const STALE_AFTER: Duration = Duration::from_secs(30);

pub struct ServerLock {
    store: Store,
    holder: LockHolder,
    heartbeat: JoinHandle<()>,
    /// Hears who took the lock over (`None`: nobody holds it any more).
    lost: oneshot::Receiver<Option<LockHolder>>,
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
        let (lost_tx, lost) = oneshot::channel();
        let heartbeat = tokio::spawn(keep_alive(store.clone(), holder.holder.clone(), lost_tx));
        Ok(ServerLock {
            store: store.clone(),
            holder,
            heartbeat,
            lost,
        })
    }

    /// Resolves once another process took the lock over, with who holds it now.
    pub async fn lost(&mut self) -> Option<LockHolder> {
        match (&mut self.lost).await {
            Ok(holder) => holder,
            // The heartbeat ended without losing the lock (the server is stopping).
            Err(_) => std::future::pending().await,
        }
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

/// Refreshes the lock's heartbeat until it is found taken over, then says who holds it.
async fn keep_alive(store: Store, holder: String, lost: oneshot::Sender<Option<LockHolder>>) {
    loop {
        tokio::time::sleep(HEARTBEAT).await;
        match store
            .heartbeat_server_lock(LOCK_NAME, &holder, Utc::now())
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                let now_held_by =
                    store
                        .server_lock_holder(LOCK_NAME)
                        .await
                        .unwrap_or_else(|error| {
                            tracing::warn!(%error, "cannot read who took the server lock over");
                            None
                        });
                // The server may be stopping already and no longer listening: nothing to tell.
                lost.send(now_held_by).ok();
                return;
            }
            Err(error) => tracing::warn!(%error, "cannot refresh the server lock"),
        }
    }
}
