//! Pacing requests: a client-side rate limiter so SubmitJob stays under Batch's account-wide
//! limit instead of discovering it through 429s, and bounded exponential backoff with full
//! jitter for retries.
//!
//! The limiter is a GCRA token bucket: each caller reserves the next free slot (one every
//! `1/rate` seconds) and sleeps until it; up to `burst` slots may be taken back to back after an
//! idle spell. Reservations happen under a lock, the sleeping outside it, so concurrent tasks
//! queue in order without holding each other up.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

pub struct RateLimiter {
    interval: Duration,
    /// How far ahead of `now` reservations may run without waiting.
    tolerance: Duration,
    /// The theoretical arrival time of the next request.
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// At most `rate` per second on average, `burst` at once (both at least 1).
    pub fn new(rate: u32, burst: u32) -> RateLimiter {
        let interval = Duration::from_secs(1) / rate.max(1);
        RateLimiter {
            interval,
            tolerance: interval * burst.max(1).saturating_sub(1),
            next: Mutex::new(None),
        }
    }

    /// Waits for this caller's slot.
    pub async fn acquire(&self) {
        let wait_until = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let tat = next.map_or(now, |t| t.max(now));
            *next = Some(tat + self.interval);
            tat.checked_sub(self.tolerance).unwrap_or(now)
        };
        tokio::time::sleep_until(wait_until).await;
    }
}

/// Exponential backoff with full jitter: before retry `n` (1-based), sleep a random time in
/// `[0, min(cap, base * 2^(n-1))]`.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    /// Attempts in total, the first included.
    pub max_attempts: u32,
}

impl Backoff {
    /// For calls that are safe to repeat; on top of the SDK's own retries.
    pub const DEFAULT: Backoff = Backoff {
        base: Duration::from_millis(200),
        cap: Duration::from_secs(10),
        max_attempts: 4,
    };
    /// SubmitJob is retried only by this crate (the SDK's retries are off for it), so it gets
    /// more attempts.
    pub const SUBMIT: Backoff = Backoff {
        base: Duration::from_millis(100),
        cap: Duration::from_secs(10),
        max_attempts: 10,
    };

    pub fn delay(&self, retry: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << retry.saturating_sub(1).min(20))
            .min(self.cap);
        ceiling.mul_f64(random_unit())
    }
}

/// A uniform number in [0, 1), from the standard library's per-process random hash keys: good
/// enough to spread retries apart, with no extra dependency.
fn random_unit() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests;
