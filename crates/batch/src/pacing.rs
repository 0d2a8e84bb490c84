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
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn the_limiter_never_exceeds_rate_plus_burst_in_any_second() {
        let limiter = Arc::new(RateLimiter::new(40, 5));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..200 {
            let limiter = limiter.clone();
            tasks.push(tokio::spawn(async move {
                limiter.acquire().await;
                Instant::now() - start
            }));
        }
        let mut times = Vec::new();
        for task in tasks {
            times.push(task.await.unwrap());
        }
        times.sort();
        for (i, t) in times.iter().enumerate() {
            let within_a_second = times[i..]
                .iter()
                .take_while(|u| **u < *t + Duration::from_secs(1))
                .count();
            assert!(
                within_a_second <= 45,
                "{within_a_second} requests within 1s"
            );
        }
        // 200 requests at 40/s with a burst of 5 need (200 - 5) / 40 seconds of virtual time.
        let last = *times.last().unwrap();
        assert!(last >= Duration::from_millis(4870), "{last:?}");
        assert!(last <= Duration::from_millis(5000), "{last:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_limiter_lets_a_burst_through_at_once() {
        let limiter = RateLimiter::new(10, 3);
        let start = Instant::now();
        for _ in 0..3 {
            limiter.acquire().await;
        }
        assert_eq!(Instant::now(), start);
        limiter.acquire().await;
        assert!(Instant::now() > start);
    }

    #[test]
    fn backoff_delays_are_bounded_and_grow() {
        let backoff = Backoff::DEFAULT;
        for retry in 1..30 {
            assert!(backoff.delay(retry) <= backoff.cap);
        }
        let ceiling_1 = backoff.base;
        assert!(backoff.delay(1) <= ceiling_1);
        let spread: std::collections::HashSet<u128> =
            (0..20).map(|_| backoff.delay(6).as_nanos()).collect();
        assert!(spread.len() > 1, "jitter spreads retries apart");
    }
}
