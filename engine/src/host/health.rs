//! [`Health`]: per-component call statistics and quarantine.
//!
//! Every call is counted with its duration and, when it fails, the kind of
//! failure. A component that fails `quarantine_after` times in a row
//! (traps, timeouts, limits — its own faults, not a busy pool) is
//! quarantined for `quarantine_for`: calls fail fast with a typed
//! `quarantined` error, which ingest answers with 503 + `Retry-After` and
//! delivery treats as "retry later", so nothing is dropped. The operator
//! can lift a quarantine; loading a new version of the pack lifts it too.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

use super::CallError;
use crate::time::{UnixMillis, now_ms, rfc3339};

/// Upper bounds (µs) of the call-duration histogram buckets; the last
/// bucket counts everything slower.
pub const DURATION_BUCKETS_MICROS: [u64; 10] = [
    50, 100, 250, 500, 1_000, 2_500, 10_000, 50_000, 250_000, 1_000_000,
];

/// When a failing component is quarantined.
#[derive(Debug, Clone, Copy)]
pub struct QuarantinePolicy {
    /// Consecutive failures that trigger a quarantine; 0 never quarantines.
    pub after_failures: u32,
    /// How long a quarantine lasts.
    pub duration: Duration,
}

/// Statistics and quarantine state of every component that was called.
pub struct Health {
    policy: QuarantinePolicy,
    components: Mutex<HashMap<String, ComponentHealth>>,
}

#[derive(Default)]
struct ComponentHealth {
    calls: u64,
    errors: BTreeMap<&'static str, u64>,
    buckets: [u64; DURATION_BUCKETS_MICROS.len() + 1],
    total_micros: u64,
    consecutive_failures: u32,
    quarantine: Option<Quarantine>,
}

/// A component's quarantine.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Quarantine {
    /// Until when, in milliseconds since the epoch.
    #[serde(skip)]
    pub until_ms: UnixMillis,
    /// Until when, RFC 3339.
    pub until: String,
    /// The failure that triggered it.
    pub reason: String,
}

/// What the API and metrics show of a component.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComponentHealthView {
    /// Calls made.
    pub calls: u64,
    /// Failed calls by kind (`timeout`, `trap`, `memory_limit`, …).
    pub errors: BTreeMap<&'static str, u64>,
    /// Call counts per duration bucket; bucket `i` counts calls up to
    /// `DURATION_BUCKETS_MICROS[i]` µs, the last one the rest.
    pub duration_buckets: Vec<u64>,
    /// Total time spent in calls, in microseconds.
    pub total_micros: u64,
    /// Consecutive failures so far.
    pub consecutive_failures: u32,
    /// The active quarantine, if any.
    pub quarantine: Option<Quarantine>,
}

impl Health {
    /// Tracks components under `policy`.
    pub fn new(policy: QuarantinePolicy) -> Self {
        Self {
            policy,
            components: Mutex::new(HashMap::new()),
        }
    }

    /// Refuses a call to a quarantined component.
    pub fn check(&self, component: &str) -> Result<(), CallError> {
        let now = now_ms();
        let mut components = self.lock();
        let Some(health) = components.get_mut(component) else {
            return Ok(());
        };
        match &health.quarantine {
            Some(quarantine) if quarantine.until_ms > now => {
                let refused = CallError::Quarantined {
                    component: component.to_owned(),
                    until_ms: quarantine.until_ms,
                    reason: quarantine.reason.clone(),
                };
                *health.errors.entry(refused.kind()).or_default() += 1;
                Err(refused)
            }
            Some(_) => {
                // Expired: one more chance; a single failure re-quarantines.
                health.quarantine = None;
                health.consecutive_failures = self.policy.after_failures.saturating_sub(1);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Records a finished call; returns the quarantine it triggered, if any.
    pub fn record(
        &self,
        component: &str,
        elapsed: Duration,
        error: Option<&CallError>,
    ) -> Option<Quarantine> {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let mut components = self.lock();
        let health = components.entry(component.to_owned()).or_default();
        health.calls += 1;
        health.total_micros = health.total_micros.saturating_add(micros);
        let bucket = DURATION_BUCKETS_MICROS
            .iter()
            .position(|bound| micros <= *bound)
            .unwrap_or(DURATION_BUCKETS_MICROS.len());
        health.buckets[bucket] += 1;
        let Some(error) = error else {
            health.consecutive_failures = 0;
            return None;
        };
        *health.errors.entry(error.kind()).or_default() += 1;
        if !error.is_component_fault() {
            return None;
        }
        health.consecutive_failures += 1;
        if self.policy.after_failures == 0 || health.consecutive_failures < self.policy.after_failures {
            return None;
        }
        let until_ms =
            now_ms().saturating_add(u64::try_from(self.policy.duration.as_millis()).unwrap_or(u64::MAX));
        let quarantine = Quarantine {
            until_ms,
            until: rfc3339(until_ms),
            reason: format!(
                "{} consecutive failures, the last: {error}",
                health.consecutive_failures
            ),
        };
        tracing::error!(component, reason = %quarantine.reason, until = %quarantine.until, "component quarantined");
        health.quarantine = Some(quarantine.clone());
        Some(quarantine)
    }

    /// Lifts the quarantine of every component of `pack`; returns how many
    /// were lifted.
    pub fn lift(&self, pack: &str) -> usize {
        let prefix = format!("{pack}/");
        let mut lifted = 0;
        for (component, health) in self.lock().iter_mut() {
            if component.starts_with(&prefix) {
                if health.quarantine.take().is_some() {
                    lifted += 1;
                    tracing::info!(component, "quarantine lifted");
                }
                health.consecutive_failures = 0;
            }
        }
        lifted
    }

    /// Every component's statistics, by `pack/component`.
    pub fn snapshot(&self) -> BTreeMap<String, ComponentHealthView> {
        self.lock()
            .iter()
            .map(|(component, health)| {
                (
                    component.clone(),
                    ComponentHealthView {
                        calls: health.calls,
                        errors: health.errors.clone(),
                        duration_buckets: health.buckets.to_vec(),
                        total_micros: health.total_micros,
                        consecutive_failures: health.consecutive_failures,
                        quarantine: health.quarantine.clone().filter(|q| q.until_ms > now_ms()),
                    },
                )
            })
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ComponentHealth>> {
        match self.components.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trap() -> CallError {
        CallError::Trap {
            component: "p/c".into(),
            message: "boom".into(),
        }
    }

    #[test]
    fn repeated_faults_quarantine_and_a_lift_clears() {
        let health = Health::new(QuarantinePolicy {
            after_failures: 3,
            duration: Duration::from_secs(60),
        });
        for _ in 0..2 {
            assert!(
                health
                    .record("p/c", Duration::from_micros(10), Some(&trap()))
                    .is_none()
            );
        }
        assert!(health.check("p/c").is_ok());
        assert!(
            health
                .record("p/c", Duration::from_micros(10), Some(&trap()))
                .is_some()
        );
        let refused = health.check("p/c").expect_err("quarantined");
        assert_eq!(refused.kind(), "quarantined");
        assert_eq!(health.lift("p"), 1);
        assert!(health.check("p/c").is_ok());
        let view = &health.snapshot()["p/c"];
        assert_eq!(view.calls, 3);
        assert_eq!(view.errors["trap"], 3);
    }

    #[test]
    fn successes_reset_the_count_and_busy_is_not_a_fault() {
        let health = Health::new(QuarantinePolicy {
            after_failures: 2,
            duration: Duration::from_secs(60),
        });
        health.record("p/c", Duration::ZERO, Some(&trap()));
        health.record("p/c", Duration::ZERO, None);
        health.record("p/c", Duration::ZERO, Some(&trap()));
        health.record("p/c", Duration::ZERO, Some(&CallError::Busy));
        assert!(health.check("p/c").is_ok());
        assert_eq!(health.snapshot()["p/c"].errors["busy"], 1);
    }

    #[test]
    fn durations_land_in_buckets() {
        let health = Health::new(QuarantinePolicy {
            after_failures: 0,
            duration: Duration::ZERO,
        });
        health.record("p/c", Duration::from_micros(40), None);
        health.record("p/c", Duration::from_secs(5), None);
        let view = &health.snapshot()["p/c"];
        assert_eq!(view.duration_buckets[0], 1);
        assert_eq!(view.duration_buckets[DURATION_BUCKETS_MICROS.len()], 1);
        assert_eq!(health.snapshot()["p/c"].errors.len(), 0);
    }
}
