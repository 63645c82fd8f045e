//! [`Catalog`]: in-memory snapshots of the configuration the hot paths read
//! — triggers by webhook key and tenants (their limits) for ingest, the
//! compiled rule set for the router — rebuilt from the store whenever the
//! admin API changes them.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::ids::TenantId;
use crate::model::{ApiToken, Tenant, Trigger};
use crate::rules::RuleSet;
use crate::store::{Store, StoreError};

/// Snapshots of triggers and rules. Readers take an `Arc` and never wait
/// on writers for longer than a pointer swap.
pub struct Catalog {
    store: Store,
    triggers_by_key: RwLock<Arc<HashMap<String, Arc<Trigger>>>>,
    rules: RwLock<Arc<RuleSet>>,
    tokens_by_prefix: RwLock<Arc<HashMap<String, Arc<ApiToken>>>>,
    tenants: RwLock<Arc<HashMap<TenantId, Arc<Tenant>>>>,
}

impl Catalog {
    /// Loads both snapshots from `store`.
    pub fn load(store: Store) -> Result<Self, StoreError> {
        let catalog = Self {
            store,
            triggers_by_key: RwLock::default(),
            rules: RwLock::default(),
            tokens_by_prefix: RwLock::default(),
            tenants: RwLock::default(),
        };
        catalog.reload_triggers()?;
        catalog.reload_tenants()?;
        catalog.reload_rules()?;
        catalog.reload_tokens()?;
        Ok(catalog)
    }

    /// The trigger whose webhook key is `key`.
    pub fn trigger_by_key(&self, key: &str) -> Option<Arc<Trigger>> {
        read(&self.triggers_by_key).get(key).cloned()
    }

    /// The current rule set.
    pub fn rules(&self) -> Arc<RuleSet> {
        read(&self.rules)
    }

    /// Rebuilds the webhook key index after a trigger changed.
    pub fn reload_triggers(&self) -> Result<(), StoreError> {
        let index = self
            .store
            .triggers()?
            .into_iter()
            .map(|trigger| (trigger.webhook_key.as_str().to_owned(), Arc::new(trigger)))
            .collect();
        write(&self.triggers_by_key, Arc::new(index));
        Ok(())
    }

    /// The tenant `id`.
    pub fn tenant(&self, id: TenantId) -> Option<Arc<Tenant>> {
        read(&self.tenants).get(&id).cloned()
    }

    /// Rebuilds the tenant index after a tenant was created or changed.
    pub fn reload_tenants(&self) -> Result<(), StoreError> {
        let index = self
            .store
            .tenants()?
            .into_iter()
            .map(|tenant| (tenant.id, Arc::new(tenant)))
            .collect();
        write(&self.tenants, Arc::new(index));
        Ok(())
    }

    /// The API token whose visible prefix is `prefix`.
    pub fn token_by_prefix(&self, prefix: &str) -> Option<Arc<ApiToken>> {
        read(&self.tokens_by_prefix).get(prefix).cloned()
    }

    /// Rebuilds the token index after a token was created or revoked.
    pub fn reload_tokens(&self) -> Result<(), StoreError> {
        let index = self
            .store
            .tokens()?
            .into_iter()
            .map(|token| (token.prefix.clone(), Arc::new(token)))
            .collect();
        write(&self.tokens_by_prefix, Arc::new(index));
        Ok(())
    }

    /// Recompiles the rule set after a rule changed.
    pub fn reload_rules(&self) -> Result<(), StoreError> {
        let (rules, failed) = RuleSet::compile(self.store.rules()?);
        for (rule, error) in failed {
            tracing::error!(rule = %rule.id, %error, "stored rule no longer compiles; it is skipped");
        }
        write(&self.rules, Arc::new(rules));
        Ok(())
    }
}

fn read<T>(lock: &RwLock<Arc<T>>) -> Arc<T> {
    match lock.read() {
        Ok(value) => Arc::clone(&value),
        Err(poisoned) => Arc::clone(&poisoned.into_inner()),
    }
}

fn write<T>(lock: &RwLock<Arc<T>>, value: Arc<T>) {
    match lock.write() {
        Ok(mut slot) => *slot = value,
        Err(poisoned) => *poisoned.into_inner() = value,
    }
}
