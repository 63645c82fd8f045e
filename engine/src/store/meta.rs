//! Small named values: schema version, router cursor, admin token hash.

use super::{SCHEMA_VERSION, Store, StoreError};
use crate::ids::{EventId, TenantId};

const SCHEMA_KEY: &[u8] = b"schema_version";
const ROUTER_CURSOR_KEY: &[u8] = b"router_cursor";
const ADMIN_TOKEN_KEY: &[u8] = b"admin_token_sha256";
const DEFAULT_TENANT_KEY: &[u8] = b"default_tenant";

impl Store {
    /// Records the schema version in a new store; refuses a newer one.
    pub(super) fn check_schema_version(&self) -> Result<(), StoreError> {
        let meta = &self.trees().meta;
        match meta.get(SCHEMA_KEY)? {
            None => {
                meta.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())?;
                self.flush_all()
            }
            Some(bytes) => {
                let found = <[u8; 4]>::try_from(bytes.as_ref())
                    .map(u32::from_be_bytes)
                    .unwrap_or(u32::MAX);
                if found > SCHEMA_VERSION {
                    Err(StoreError::SchemaTooNew {
                        found,
                        supported: SCHEMA_VERSION,
                    })
                } else {
                    Ok(())
                }
            }
        }
    }

    /// The last event the router has scheduled deliveries for.
    pub fn router_cursor(&self) -> Result<Option<EventId>, StoreError> {
        Ok(self
            .trees()
            .meta
            .get(ROUTER_CURSOR_KEY)?
            .and_then(|bytes| EventId::from_bytes(&bytes)))
    }

    pub(super) fn router_cursor_key() -> &'static [u8] {
        ROUTER_CURSOR_KEY
    }

    /// The SHA-256 of the admin token, once one was created.
    pub fn admin_token_hash(&self) -> Result<Option<[u8; 32]>, StoreError> {
        Ok(self
            .trees()
            .meta
            .get(ADMIN_TOKEN_KEY)?
            .and_then(|bytes| <[u8; 32]>::try_from(bytes.as_ref()).ok()))
    }

    /// Stores the SHA-256 of the admin token (never the token).
    pub fn set_admin_token_hash(&self, hash: [u8; 32]) -> Result<(), StoreError> {
        self.trees().meta.insert(ADMIN_TOKEN_KEY, &hash)?;
        self.flush_all()
    }
}

impl Store {
    /// The tenant resources go to when an instance administrator does not
    /// name one.
    pub fn default_tenant(&self) -> Result<Option<TenantId>, StoreError> {
        Ok(self
            .trees()
            .meta
            .get(DEFAULT_TENANT_KEY)?
            .and_then(|bytes| TenantId::from_bytes(&bytes)))
    }

    /// Records the default tenant.
    pub fn set_default_tenant(&self, id: TenantId) -> Result<(), StoreError> {
        self.trees().meta.insert(DEFAULT_TENANT_KEY, &id.to_bytes())?;
        self.flush_all()
    }
}
