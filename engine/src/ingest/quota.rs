//! The per-tenant daily quota: requests accepted per UTC day.
//!
//! The count of the day is the committer's (`Store::accepted_on`), stored
//! with the events, so it is exact and survives restarts. Requests that
//! passed the check but are not committed yet hold a reservation, so
//! concurrent requests cannot all slip under the quota; a reservation is
//! released when its request finishes, whatever the outcome (briefly a
//! committed request is counted twice, which errs on the safe side).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::ids::TenantId;
use crate::store::{Store, StoreError, ms_until_utc_midnight, utc_day};
use crate::time::UnixMillis;

/// Requests of each tenant between the quota check and their commit.
#[derive(Default)]
pub struct QuotaReservations {
    pending: Arc<Mutex<HashMap<TenantId, u64>>>,
}

/// The quota refused a request: retry after this many seconds (the next
/// UTC midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaExceeded {
    /// Seconds until UTC midnight, at least 1.
    pub retry_after_secs: u64,
}

/// A reservation, released when dropped.
#[must_use]
pub struct Reservation {
    pending: Arc<Mutex<HashMap<TenantId, u64>>>,
    tenant: TenantId,
}

impl QuotaReservations {
    /// Reserves one request of `tenant` under `quota` at `now`, or refuses.
    pub fn reserve(
        &self,
        store: &Store,
        tenant: TenantId,
        quota: u64,
        now: UnixMillis,
    ) -> Result<Result<Reservation, QuotaExceeded>, StoreError> {
        let accepted = store.accepted_on(tenant, utc_day(now))?;
        let mut pending = lock(&self.pending);
        let reserved = pending.entry(tenant).or_default();
        if accepted.saturating_add(*reserved) >= quota {
            let retry_after_secs = ms_until_utc_midnight(now).div_ceil(1000).max(1);
            return Ok(Err(QuotaExceeded { retry_after_secs }));
        }
        *reserved += 1;
        Ok(Ok(Reservation {
            pending: Arc::clone(&self.pending),
            tenant,
        }))
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut pending = lock(&self.pending);
        if let Some(count) = pending.get_mut(&self.tenant) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                pending.remove(&self.tenant);
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Durability;

    #[test]
    fn reservations_count_until_released() {
        let temp = tempfile::tempdir().expect("temp");
        let store = Store::open(temp.path(), Durability::None).expect("opens");
        let quotas = QuotaReservations::default();
        let tenant = TenantId::generate();
        let now = 1_795_428_000_000; // 10:00 UTC
        let first = quotas
            .reserve(&store, tenant, 2, now)
            .expect("store")
            .expect("room");
        let second = quotas
            .reserve(&store, tenant, 2, now)
            .expect("store")
            .expect("room");
        let refused = quotas
            .reserve(&store, tenant, 2, now)
            .expect("store")
            .err()
            .expect("full");
        assert_eq!(refused.retry_after_secs, 14 * 3600);
        assert!(
            quotas
                .reserve(&store, TenantId::generate(), 2, now)
                .expect("store")
                .is_ok(),
            "tenants are independent"
        );
        drop(first);
        drop(second);
        assert!(quotas.reserve(&store, tenant, 2, now).expect("store").is_ok());
    }
}
