//! In-memory token buckets keyed by id: ingest keeps one per webhook key
//! and one per tenant, delivery one per destination.
//!
//! A bucket holds up to `burst` tokens and refills at `rate` per second; a
//! request takes one token or is refused with the wait until one is
//! available. Buckets live in a map split into shards, each behind its own
//! small mutex, so concurrent requests for different keys rarely wait on
//! each other and nothing on this path allocates once a bucket exists.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The slowest rate a limit may set: one a day. Slower rates would make
/// waits no `Retry-After` or timer can express.
pub const MIN_PER_SECOND: f64 = 1.0 / 86_400.0;
/// The fastest rate a limit may set.
pub const MAX_PER_SECOND: f64 = 1_000_000_000.0;

/// Whether `per_second` is a rate a limit may set: between
/// [`MIN_PER_SECOND`] and [`MAX_PER_SECOND`] (`NaN` is not). The lower
/// bound allows for a last-digit difference, since JSON parsers need not
/// round decimal fractions exactly (`1/86400` written out must pass).
pub fn is_settable(per_second: f64) -> bool {
    (MIN_PER_SECOND * (1.0 - 1e-12)..=MAX_PER_SECOND).contains(&per_second)
}

/// Shards of the bucket map; a power of two.
const SHARDS: usize = 16;

/// A sustained rate and the burst above it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Tokens added per second.
    pub per_second: f64,
    /// Bucket size.
    pub burst: u32,
}

impl Rate {
    /// The rate `per_second` with `burst` (0: the rate rounded up, at
    /// least 1); `None` when `per_second` is 0 (no limit). A rate outside
    /// what [`is_settable`] allows (stored before that was checked) is
    /// taken as the nearest allowed one.
    pub fn new(per_second: f64, burst: u32) -> Option<Self> {
        if !(per_second > 0.0 && per_second.is_finite()) {
            return None;
        }
        let per_second = per_second.clamp(MIN_PER_SECOND, MAX_PER_SECOND);
        let burst = if burst == 0 {
            // Saturating float-to-int conversion; rates are small.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let rounded = per_second.ceil().min(f64::from(u32::MAX)) as u32;
            rounded
        } else {
            burst
        };
        Some(Self {
            per_second,
            burst: burst.max(1),
        })
    }
}

/// One token bucket.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    fn full(rate: Rate, now: Instant) -> Self {
        Self {
            tokens: f64::from(rate.burst),
            updated: now,
        }
    }

    /// Takes a token at `now`, or says how long until one is available.
    fn take(&mut self, rate: Rate, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate.per_second).min(f64::from(rate.burst));
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            // At most a day at the slowest rate; a rate built by hand
            // outside the bounds waits as long as a `Duration` can.
            let wait = (1.0 - self.tokens) / rate.per_second;
            Err(Duration::try_from_secs_f64(wait).unwrap_or(Duration::MAX))
        }
    }
}

/// Token buckets keyed by `K` (a trigger or tenant id).
pub struct RateLimiter<K> {
    shards: Box<[Mutex<HashMap<K, Bucket>>]>,
    hasher: RandomState,
}

impl<K: Hash + Eq + Copy> Default for RateLimiter<K> {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
        }
    }
}

impl<K: Hash + Eq + Copy> RateLimiter<K> {
    /// Takes a token from `key`'s bucket at `rate`; on refusal, the whole
    /// seconds to wait (at least 1), for `Retry-After`.
    pub fn check(&self, key: K, rate: Rate, now: Instant) -> Result<(), u64> {
        self.take(key, rate, now).map_err(retry_after_secs)
    }

    /// Takes a token from `key`'s bucket at `rate`; on refusal, how long
    /// until one is available. A changed rate applies from the next call.
    pub fn take(&self, key: K, rate: Rate, now: Instant) -> Result<(), Duration> {
        let shard = self.hasher.hash_one(key) as usize & (SHARDS - 1);
        let mut buckets = match self.shards[shard].lock() {
            Ok(buckets) => buckets,
            Err(poisoned) => poisoned.into_inner(),
        };
        buckets
            .entry(key)
            .or_insert_with(|| Bucket::full(rate, now))
            .take(rate, now)
    }

    /// Forgets buckets that are full again at `now` (idle keys), so the
    /// map does not grow with every key ever seen.
    pub fn forget_idle(&self, now: Instant, idle_for: Duration) {
        for shard in &self.shards {
            let mut buckets = match shard.lock() {
                Ok(buckets) => buckets,
                Err(poisoned) => poisoned.into_inner(),
            };
            buckets.retain(|_, bucket| now.saturating_duration_since(bucket.updated) < idle_for);
        }
    }
}

/// Whole seconds for `Retry-After`, rounded up, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs().saturating_add(u64::from(wait.subsec_nanos() > 0));
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_sustained_rate() {
        let limiter = RateLimiter::default();
        let rate = Rate::new(2.0, 3).expect("limited");
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check(1u8, rate, start), Ok(()));
        }
        assert_eq!(
            limiter.check(1u8, rate, start),
            Err(1),
            "half a second, rounded up"
        );
        assert_eq!(limiter.check(2u8, rate, start), Ok(()), "keys are independent");
        let later = start + Duration::from_millis(500);
        assert_eq!(limiter.check(1u8, rate, later), Ok(()));
        assert_eq!(limiter.check(1u8, rate, later), Err(1));
        let much_later = start + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(
                limiter.check(1u8, rate, much_later),
                Ok(()),
                "refills to the burst only"
            );
        }
        assert!(limiter.check(1u8, rate, much_later).is_err());
    }

    #[test]
    fn slow_rates_wait_whole_seconds() {
        let limiter = RateLimiter::default();
        let rate = Rate::new(0.1, 1).expect("limited");
        let now = Instant::now();
        assert_eq!(limiter.check(7u32, rate, now), Ok(()));
        assert_eq!(limiter.check(7u32, rate, now), Err(10));
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(2001)), 3);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }

    #[test]
    fn rates_too_slow_to_express_wait_a_day_and_never_panic() {
        let limiter = RateLimiter::default();
        let now = Instant::now();
        // Stored before the bounds were checked: taken as one a day.
        let stored = Rate::new(1e-300, 1).expect("limited");
        assert_eq!(stored.per_second, MIN_PER_SECOND);
        assert!(limiter.check(1u8, stored, now).is_ok());
        let wait = limiter.check(1u8, stored, now).expect_err("limited");
        assert!((86_400..=86_401).contains(&wait), "waits {wait} s");
        // Built by hand past the bounds: the wait saturates.
        let by_hand = Rate {
            per_second: 5e-324,
            burst: 1,
        };
        assert!(limiter.take(2u8, by_hand, now).is_ok());
        assert_eq!(limiter.take(2u8, by_hand, now), Err(Duration::MAX));
        assert_eq!(retry_after_secs(Duration::MAX), u64::MAX);
        assert!(!is_settable(1e-300) && !is_settable(f64::NAN) && !is_settable(1e10));
        assert!(is_settable(MIN_PER_SECOND) && is_settable(1.0));
    }

    #[test]
    fn zero_means_no_limit_and_the_burst_defaults_to_the_rate() {
        assert_eq!(Rate::new(0.0, 5), None);
        assert_eq!(Rate::new(f64::NAN, 5), None);
        assert_eq!(Rate::new(2.5, 0).map(|r| r.burst), Some(3));
        assert_eq!(Rate::new(0.2, 0).map(|r| r.burst), Some(1));
    }

    #[test]
    fn idle_buckets_are_forgotten() {
        let limiter = RateLimiter::default();
        let rate = Rate::new(1.0, 1).expect("limited");
        let now = Instant::now();
        assert!(limiter.check(1u8, rate, now).is_ok());
        limiter.forget_idle(now + Duration::from_secs(120), Duration::from_secs(60));
        assert!(limiter.check(1u8, rate, now).is_ok(), "a fresh, full bucket");
    }
}
