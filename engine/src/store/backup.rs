//! Raw access to the configuration trees (and the event log) for offline
//! backup and migration (`weir export` / `weir import`): records leave and
//! enter as the JSON they are stored as, so sealed secrets stay sealed.

use super::codec::decode;
use super::{Store, StoreError};
use crate::ids::EventId;
use crate::model::{ApiToken, Destination, EventDraft, Rule, Tenant, Trigger};

/// A kind of record a backup holds; each is one tree keyed by a 16-byte id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// `tenants`.
    Tenant,
    /// `tokens` (hashes only, never tokens).
    Token,
    /// `triggers`.
    Trigger,
    /// `destinations`.
    Destination,
    /// `rules`.
    Rule,
    /// `events`: the event log.
    Event,
}

impl RecordKind {
    /// Every kind, in the order an import must write them (tenants before
    /// what belongs to them, destinations before the rules naming them).
    pub const ALL: [Self; 6] = [
        Self::Tenant,
        Self::Token,
        Self::Trigger,
        Self::Destination,
        Self::Rule,
        Self::Event,
    ];

    /// The name used in backups, e.g. `trigger`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Tenant => "tenant",
            Self::Token => "token",
            Self::Trigger => "trigger",
            Self::Destination => "destination",
            Self::Rule => "rule",
            Self::Event => "event",
        }
    }

    /// The kind called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

impl Store {
    fn record_tree(&self, kind: RecordKind) -> &sled::Tree {
        let trees = self.trees();
        match kind {
            RecordKind::Tenant => &trees.tenants,
            RecordKind::Token => &trees.tokens,
            RecordKind::Trigger => &trees.triggers,
            RecordKind::Destination => &trees.destinations,
            RecordKind::Rule => &trees.rules,
            RecordKind::Event => &trees.events,
        }
    }

    /// Every record of `kind` as stored: (key, JSON bytes), in key order.
    pub fn export_records(
        &self,
        kind: RecordKind,
    ) -> impl Iterator<Item = Result<(Vec<u8>, Vec<u8>), StoreError>> + '_ {
        self.record_tree(kind).iter().map(|entry| {
            entry
                .map(|(key, value)| (key.to_vec(), value.to_vec()))
                .map_err(StoreError::from)
        })
    }

    /// Whether a record of `kind` is stored under `key`.
    pub fn record_exists(&self, kind: RecordKind, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.record_tree(kind).contains_key(key)?)
    }

    /// Writes `value` (stored JSON, as [`export_records`](Self::export_records)
    /// gave it) under `key`, replacing what is there. The value must decode
    /// as a record of `kind`. Not synced: call [`flush_all`](Self::flush_all)
    /// once the import is written.
    pub fn import_record(&self, kind: RecordKind, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.check_writable()?;
        match kind {
            RecordKind::Tenant => decode::<Tenant>("tenants", value).map(drop)?,
            RecordKind::Token => decode::<ApiToken>("tokens", value).map(drop)?,
            RecordKind::Trigger => decode::<Trigger>("triggers", value).map(drop)?,
            RecordKind::Destination => decode::<Destination>("destinations", value).map(drop)?,
            RecordKind::Rule => decode::<Rule>("rules", value).map(drop)?,
            RecordKind::Event => decode::<EventDraft>("events", value).map(drop)?,
        }
        self.record_tree(kind).insert(key, value)?;
        Ok(())
    }

    /// Moves the router's cursor to `event` unless it is already past it,
    /// so imported events count as already routed and are not delivered
    /// again.
    pub fn advance_router_cursor(&self, event: EventId) -> Result<(), StoreError> {
        self.check_writable()?;
        if self.router_cursor()?.is_some_and(|cursor| cursor >= event) {
            return Ok(());
        }
        self.trees()
            .meta
            .insert(Store::router_cursor_key(), &event.to_bytes())?;
        Ok(())
    }
}
