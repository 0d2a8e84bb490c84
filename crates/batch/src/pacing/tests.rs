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
