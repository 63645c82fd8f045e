//! [`Catalog`]: in-memory snapshots of the configuration the hot paths read
//! — triggers by webhook key and tenants (their limits) for ingest, the
//! compiled rule set for the router — rebuilt from the store whenever the
//! admin API changes them.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use jsonpath_rust::parser::model::JpQuery;

use crate::crypto::SecretBox;
use crate::ids::{DestinationId, TenantId};
use crate::model::{ApiToken, Destination, Ordering, Tenant, Trigger};
use crate::rules::{EventData, RuleSet};
use crate::store::{Store, StoreError};

/// Snapshots of triggers and rules. Readers take an `Arc` and never wait
/// on writers for longer than a pointer swap.
pub struct Catalog {
    store: Store,
    secrets: Arc<SecretBox>,
    destinations: RwLock<Arc<HashMap<DestinationId, Arc<ActiveDestination>>>>,
    triggers_by_key: RwLock<Arc<HashMap<String, Arc<Trigger>>>>,
    rules: RwLock<Arc<RuleSet>>,
    tokens_by_prefix: RwLock<Arc<HashMap<String, Arc<ApiToken>>>>,
    tenants: RwLock<Arc<HashMap<TenantId, Arc<Tenant>>>>,
}

impl Catalog {
    /// Loads the snapshots from `store`; `secrets` opens sealed header
    /// values.
    pub fn load(store: Store, secrets: Arc<SecretBox>) -> Result<Self, StoreError> {
        let catalog = Self {
            store,
            secrets,
            destinations: RwLock::default(),
            triggers_by_key: RwLock::default(),
            rules: RwLock::default(),
            tokens_by_prefix: RwLock::default(),
            tenants: RwLock::default(),
        };
        catalog.reload_triggers()?;
        catalog.reload_tenants()?;
        catalog.reload_rules()?;
        catalog.reload_tokens()?;
        catalog.reload_destinations()?;
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

    /// The destination `id`, ready to deliver to.
    pub fn destination(&self, id: DestinationId) -> Option<Arc<ActiveDestination>> {
        read(&self.destinations).get(&id).cloned()
    }

    /// The box that seals and opens secrets at rest.
    pub fn secrets(&self) -> &SecretBox {
        &self.secrets
    }

    /// Rebuilds the destination snapshot after a destination changed.
    pub fn reload_destinations(&self) -> Result<(), StoreError> {
        let index = self
            .store
            .destinations()?
            .into_iter()
            .map(|destination| {
                (
                    destination.id,
                    Arc::new(ActiveDestination::prepare(destination, &self.secrets)),
                )
            })
            .collect();
        write(&self.destinations, Arc::new(index));
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

/// A destination with what delivering to it needs prepared: header values
/// opened, the FIFO ordering path compiled, the encryption key decoded.
pub struct ActiveDestination {
    /// The stored destination.
    pub destination: Destination,
    /// Header names and opened values.
    pub headers: Vec<(String, String)>,
    /// For FIFO by JSONPath: the compiled path.
    pub ordering_path: Option<JpQuery>,
    /// The receiver's decoded public key, when payloads are encrypted.
    pub encryption_key: Option<Vec<u8>>,
    /// Why the destination cannot be used as configured (a header that no
    /// longer opens, a bad key), if so; its deliveries fail with this.
    pub problem: Option<String>,
}

impl std::fmt::Debug for ActiveDestination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ActiveDestination({})", self.destination.id)
    }
}

impl ActiveDestination {
    /// Prepares `destination`, opening its headers with `secrets`.
    pub fn prepare(destination: Destination, secrets: &SecretBox) -> Self {
        let mut problem = None;
        let headers = destination
            .headers
            .iter()
            .filter_map(|header| match secrets.open(&header.sealed_value) {
                Ok(value) => Some((header.name.clone(), value)),
                Err(error) => {
                    problem = Some(format!("header `{}`: {error}", header.name));
                    None
                }
            })
            .collect();
        let ordering_path = match &destination.ordering {
            Ordering::Fifo { key } if key.starts_with('$') => {
                match jsonpath_rust::parser::parse_json_path(key) {
                    Ok(path) => Some(path),
                    Err(error) => {
                        problem = Some(format!("ordering key `{key}`: {error}"));
                        None
                    }
                }
            }
            _ => None,
        };
        let encryption_key = destination.encryption.as_ref().and_then(|encryption| {
            match crate::crypto::envelope::parse_public_key(&encryption.public_key) {
                Ok(key) => Some(key),
                Err(error) => {
                    problem = Some(error.to_string());
                    None
                }
            }
        });
        Self {
            destination,
            headers,
            ordering_path,
            encryption_key,
            problem,
        }
    }

    /// The FIFO ordering key of an event, or `None` when the destination
    /// is unordered. A path that selects nothing gives the empty key.
    pub fn ordering_key(&self, subject: Option<&str>, data: &EventData<'_>) -> Option<String> {
        let Ordering::Fifo { key } = &self.destination.ordering else {
            return None;
        };
        if key == "subject" {
            return Some(subject.unwrap_or_default().to_owned());
        }
        let node = self
            .ordering_path
            .as_ref()
            .zip(data.value())
            .and_then(|(path, value)| jsonpath_rust::query::js_path_process(path, value).ok())
            .and_then(|nodes| nodes.into_iter().next().map(|n| n.val.clone()));
        Some(match node {
            Some(serde_json::Value::String(text)) => text,
            Some(other) => other.to_string(),
            None => String::new(),
        })
    }
}
