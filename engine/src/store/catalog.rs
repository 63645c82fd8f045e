//! The configuration records: triggers, destinations and rules. Every
//! write is synced before it returns, so a `201` means it is on disk.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::codec::{decode, encode};
use super::{Store, StoreError};
use crate::ids::{DestinationId, RuleId, TenantId, TriggerId};
use crate::model::{ApiToken, Destination, Rule, Tenant, Trigger};

impl Store {
    /// Creates or replaces a trigger.
    pub fn put_trigger(&self, trigger: &Trigger) -> Result<(), StoreError> {
        self.put(&self.trees().triggers, trigger.id.to_bytes(), trigger)
    }

    /// The trigger `id`.
    pub fn trigger(&self, id: TriggerId) -> Result<Option<Trigger>, StoreError> {
        self.get(&self.trees().triggers, "triggers", id.to_bytes())
    }

    /// Every trigger, oldest first.
    pub fn triggers(&self) -> Result<Vec<Trigger>, StoreError> {
        self.list(&self.trees().triggers, "triggers")
    }

    /// Changes trigger `id` with `apply` and stores it, atomically with
    /// respect to other changes (compare-and-swap, re-applied on a race).
    /// Returns the stored trigger, or `None` when there is none.
    pub fn update_trigger(
        &self,
        id: TriggerId,
        apply: impl Fn(&mut Trigger),
    ) -> Result<Option<Trigger>, StoreError> {
        self.check_writable()?;
        let tree = &self.trees().triggers;
        let key = id.to_bytes();
        loop {
            let Some(old) = tree.get(key)? else {
                return Ok(None);
            };
            let mut trigger: Trigger = decode("triggers", &old)?;
            apply(&mut trigger);
            let new = encode(&trigger)?;
            if tree.compare_and_swap(key, Some(&old), Some(new))?.is_ok() {
                self.sync()?;
                return Ok(Some(trigger));
            }
        }
    }

    /// Deletes a trigger and its statistics; false when there was none.
    pub fn delete_trigger(&self, id: TriggerId) -> Result<bool, StoreError> {
        self.delete_trigger_stats(id)?;
        self.delete(&self.trees().triggers, id.to_bytes())
    }

    /// Creates or replaces a destination.
    pub fn put_destination(&self, destination: &Destination) -> Result<(), StoreError> {
        self.put(&self.trees().destinations, destination.id.to_bytes(), destination)
    }

    /// The destination `id`.
    pub fn destination(&self, id: DestinationId) -> Result<Option<Destination>, StoreError> {
        self.get(&self.trees().destinations, "destinations", id.to_bytes())
    }

    /// Changes destination `id` atomically with `change` (other writers
    /// cannot interleave); returns the result, `None` when it does not
    /// exist. `change` may run more than once and must not do I/O.
    pub fn update_destination(
        &self,
        id: DestinationId,
        mut change: impl FnMut(&mut Destination),
    ) -> Result<Option<Destination>, StoreError> {
        let tree = &self.trees().destinations;
        let mut failure = None;
        let updated = tree.update_and_fetch(id.to_bytes(), |old| {
            let old = old?;
            let mut destination: Destination = match decode("destinations", old) {
                Ok(destination) => destination,
                Err(error) => {
                    failure = Some(error);
                    return Some(old.to_vec());
                }
            };
            change(&mut destination);
            match encode(&destination) {
                Ok(bytes) => Some(bytes),
                Err(error) => {
                    failure = Some(error);
                    Some(old.to_vec())
                }
            }
        })?;
        if let Some(error) = failure {
            return Err(error);
        }
        self.sync()?;
        updated.map(|bytes| decode("destinations", &bytes)).transpose()
    }

    /// Every destination, oldest first.
    pub fn destinations(&self) -> Result<Vec<Destination>, StoreError> {
        self.list(&self.trees().destinations, "destinations")
    }

    /// Creates or replaces a rule.
    pub fn put_rule(&self, rule: &Rule) -> Result<(), StoreError> {
        self.put(&self.trees().rules, rule.id.to_bytes(), rule)
    }

    /// The rule `id`.
    pub fn rule(&self, id: RuleId) -> Result<Option<Rule>, StoreError> {
        self.get(&self.trees().rules, "rules", id.to_bytes())
    }

    /// Every rule, oldest first.
    pub fn rules(&self) -> Result<Vec<Rule>, StoreError> {
        self.list(&self.trees().rules, "rules")
    }

    /// Creates or replaces a tenant.
    pub fn put_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        self.put(&self.trees().tenants, tenant.id.to_bytes(), tenant)
    }

    /// The tenant `id`.
    pub fn tenant(&self, id: TenantId) -> Result<Option<Tenant>, StoreError> {
        self.get(&self.trees().tenants, "tenants", id.to_bytes())
    }

    /// Every tenant, oldest first.
    pub fn tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        self.list(&self.trees().tenants, "tenants")
    }

    /// Creates or replaces an API token record.
    pub fn put_token(&self, token: &ApiToken) -> Result<(), StoreError> {
        self.put(&self.trees().tokens, token.id.to_bytes(), token)
    }

    /// Every API token record, oldest first.
    pub fn tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        self.list(&self.trees().tokens, "tokens")
    }

    /// Deletes a rule; false when there was none.
    pub fn delete_rule(&self, id: RuleId) -> Result<bool, StoreError> {
        self.delete(&self.trees().rules, id.to_bytes())
    }

    /// Deletes a destination; false when there was none.
    pub fn delete_destination(&self, id: DestinationId) -> Result<bool, StoreError> {
        self.delete(&self.trees().destinations, id.to_bytes())
    }

    fn put<T: Serialize>(&self, tree: &sled::Tree, key: [u8; 16], value: &T) -> Result<(), StoreError> {
        self.check_writable()?;
        tree.insert(key, encode(value)?)?;
        self.sync()
    }

    fn get<T: DeserializeOwned>(
        &self,
        tree: &sled::Tree,
        name: &'static str,
        key: [u8; 16],
    ) -> Result<Option<T>, StoreError> {
        tree.get(key)?.map(|bytes| decode(name, &bytes)).transpose()
    }

    fn list<T: DeserializeOwned>(&self, tree: &sled::Tree, name: &'static str) -> Result<Vec<T>, StoreError> {
        tree.iter().values().map(|bytes| decode(name, &bytes?)).collect()
    }

    fn delete(&self, tree: &sled::Tree, key: [u8; 16]) -> Result<bool, StoreError> {
        self.check_writable()?;
        let existed = tree.remove(key)?.is_some();
        self.sync()?;
        Ok(existed)
    }
}
