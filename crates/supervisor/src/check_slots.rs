//! How many inputs checks run at once: a bound for the whole server and a smaller one per
//! user. A *slot* is the right to run one check; a check holds a slot of its user's and one of
//! the server's.
//!
//! The per-user bound is what keeps users apart: one user's many large or hostile archives
//! (or a model FRED's check mode takes long over) fill only their own slots, so the server's
//! others stay free for everyone else's checks. A check waits for its user's slot before it
//! asks for one of the server's, so waiting checks never hold a slot another user could use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Inputs checks running at once, all users together: each extracts an archive to scratch
/// space and may run FRED's check mode, so many at once would take every core and the disk.
pub(crate) const CHECKS_AT_ONCE: usize = 4;

/// Inputs checks of one user running at once: less than [`CHECKS_AT_ONCE`], so one user never
/// fills the server's slots.
pub(crate) const CHECKS_PER_USER: usize = 2;

/// The server's check slots and each user's.
pub(crate) struct CheckSlots {
    all: Arc<Semaphore>,
    per_user: usize,
    /// The slots of each user with a check running or waiting (dropped when none is).
    users: Mutex<HashMap<i64, Arc<Semaphore>>>,
}

/// The right to run one check, held until it is dropped.
pub(crate) struct CheckSlot {
    _user: OwnedSemaphorePermit,
    _all: OwnedSemaphorePermit,
}

impl CheckSlots {
    pub(crate) fn new(all: usize, per_user: usize) -> CheckSlots {
        CheckSlots {
            all: Arc::new(Semaphore::new(all)),
            per_user,
            users: Mutex::default(),
        }
    }

    /// Waits for a slot of `user`'s, then one of the server's.
    pub(crate) async fn acquire(&self, user: i64) -> CheckSlot {
        let users_slots = Arc::clone(
            self.users
                .lock()
                .expect("never poisoned")
                .entry(user)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_user))),
        );
        // Neither semaphore is ever closed.
        let user_permit = Arc::clone(&users_slots)
            .acquire_owned()
            .await
            .expect("check slots are never closed");
        let all_permit = Arc::clone(&self.all)
            .acquire_owned()
            .await
            .expect("check slots are never closed");
        CheckSlot {
            _user: user_permit,
            _all: all_permit,
        }
    }

    /// Forgets the slots of users with no check running or waiting, so the map holds only
    /// users at work. Called after each check ends.
    pub(crate) fn forget_idle_users(&self) {
        self.users
            .lock()
            .expect("never poisoned")
            .retain(|_, slots| Arc::strong_count(slots) > 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Whether `acquire` would give a slot now (within a moment of the runtime's own).
    async fn gets_slot(slots: &CheckSlots, user: i64) -> Option<CheckSlot> {
        tokio::time::timeout(Duration::from_millis(50), slots.acquire(user))
            .await
            .ok()
    }

    #[tokio::test]
    async fn one_user_fills_only_their_own_slots() {
        let slots = CheckSlots::new(4, 2);
        let alice: Vec<CheckSlot> = vec![slots.acquire(1).await, slots.acquire(1).await];
        assert!(
            gets_slot(&slots, 1).await.is_none(),
            "alice is at her bound"
        );
        let bob = gets_slot(&slots, 2).await;
        assert!(bob.is_some(), "bob is not held by alice's checks");
        drop(alice);
        assert!(gets_slot(&slots, 1).await.is_some());
    }

    #[tokio::test]
    async fn the_server_bound_holds_across_users() {
        let slots = CheckSlots::new(3, 2);
        let _held = [
            slots.acquire(1).await,
            slots.acquire(2).await,
            slots.acquire(3).await,
        ];
        assert!(
            gets_slot(&slots, 4).await.is_none(),
            "the server is at its bound"
        );
    }

    #[tokio::test]
    async fn users_with_nothing_running_are_forgotten() {
        let slots = CheckSlots::new(4, 2);
        let running = slots.acquire(1).await;
        drop(slots.acquire(2).await);
        slots.forget_idle_users();
        let users: Vec<i64> = slots.users.lock().unwrap().keys().copied().collect();
        assert_eq!(users, vec![1]);
        drop(running);
        slots.forget_idle_users();
        assert!(slots.users.lock().unwrap().is_empty());
    }
}
