//! Per-API-key rate limits: one token bucket per key, in this process's memory.
//!
//! A bucket holds up to `burst` tokens and refills at `rate` tokens per second;
//! each consumer request takes one. The buckets are in memory rather than in the
//! database because this check runs on every read and must cost nothing next to
//! it; behind a load balancer each node limits on its own, so a key's effective
//! limit is the per-node figure times the nodes (docs/OPERATIONS.md). Staff and
//! anonymous requests are not counted here.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use uuid::Uuid;

use crate::config::LimitsConfig;

/// How often idle buckets are swept out, at most.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// The buckets of every key that sent a request recently.
#[derive(Debug)]
pub struct Throttle {
    rate: f64,
    burst: f64,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    buckets: HashMap<Uuid, Bucket>,
    last_sweep: Instant,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    /// The tokens the bucket holds at `now`, refilled since it was last touched.
    fn level(&self, now: Instant, rate: f64, burst: f64) -> f64 {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        (self.tokens + elapsed * rate).min(burst)
    }
}

impl Throttle {
    /// Buckets refilling at `rate` per second, holding at most `burst`.
    pub fn new(rate: f64, burst: u32) -> Self {
        Self {
            rate,
            burst: f64::from(burst),
            state: Mutex::new(State {
                buckets: HashMap::new(),
                last_sweep: Instant::now(),
            }),
        }
    }

    /// The limits from the configuration.
    pub fn from_config(limits: &LimitsConfig) -> Self {
        Self::new(limits.api_key_rate, limits.api_key_burst)
    }

    /// Takes one token from `key`'s bucket, or says how long until one is there.
    pub fn take(&self, key: Uuid, now: Instant) -> Result<(), Duration> {
        // A poisoned lock only means another request panicked mid-update; the
        // numbers are still usable.
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if now.saturating_duration_since(state.last_sweep) >= SWEEP_EVERY {
            self.sweep(&mut state, now);
        }
        let (rate, burst) = (self.rate, self.burst);
        let bucket = state.buckets.entry(key).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        let level = bucket.level(now, rate, burst);
        if level >= 1.0 {
            *bucket = Bucket {
                tokens: level - 1.0,
                updated: now,
            };
            Ok(())
        } else {
            // Not stored: a refused request costs nothing and does not push the
            // next token further away.
            Err(Duration::from_secs_f64((1.0 - level) / rate))
        }
    }

    /// Forgets buckets that have refilled completely: a full bucket is the same as
    /// none, so memory holds only the keys active in the last `burst / rate` seconds.
    fn sweep(&self, state: &mut State, now: Instant) {
        let (rate, burst) = (self.rate, self.burst);
        state
            .buckets
            .retain(|_, bucket| bucket.level(now, rate, burst) < burst);
        state.last_sweep = now;
    }

    /// How many keys have a bucket now (for tests and metrics).
    pub fn tracked_keys(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .buckets
            .len()
    }
}

/// `Retry-After` in whole seconds, never 0 (a client told 0 retries at once).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_applies() {
        let throttle = Throttle::new(2.0, 3);
        let (key, start) = (Uuid::now_v7(), Instant::now());
        for _ in 0..3 {
            assert!(throttle.take(key, start).is_ok());
        }
        let wait = throttle.take(key, start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        assert_eq!(retry_after_secs(wait), 1);
        // Half a second later one token is back, and only one.
        let later = start + Duration::from_millis(500);
        assert!(throttle.take(key, later).is_ok());
        assert!(throttle.take(key, later).is_err());
    }

    #[test]
    fn keys_have_separate_buckets() {
        let throttle = Throttle::new(1.0, 1);
        let now = Instant::now();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert!(throttle.take(a, now).is_ok());
        assert!(throttle.take(a, now).is_err());
        assert!(throttle.take(b, now).is_ok());
    }

    #[test]
    fn idle_buckets_are_forgotten() {
        let throttle = Throttle::new(10.0, 5);
        let now = Instant::now();
        for _ in 0..100 {
            throttle.take(Uuid::now_v7(), now).unwrap();
        }
        assert_eq!(throttle.tracked_keys(), 100);
        // A minute on, every bucket is full again and the sweep drops them all but
        // the one just used.
        throttle.take(Uuid::now_v7(), now + SWEEP_EVERY).unwrap();
        assert_eq!(throttle.tracked_keys(), 1);
    }

    #[test]
    fn retry_after_is_whole_seconds_and_at_least_one() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1001)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
    }
}
