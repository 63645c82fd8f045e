//! The table of admin resources: where each lives, how its list pages and
//! which of the common verbs the server offers for it.

/// How a resource's list is paged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// `?limit=&cursor=`, answered with `next_cursor`.
    Cursor,
    /// `?limit=&before=<last id>` (the event log, newest first).
    Before,
    /// One answer holds the whole list.
    Whole,
}

/// A common verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `GET /{path}`.
    List,
    /// `GET /{path}/{id}`.
    Get,
    /// `POST /{path}`.
    Create,
    /// `PATCH /{path}/{id}`.
    Update,
    /// `DELETE /{path}/{id}`.
    Delete,
}

impl Verb {
    /// The verb as typed.
    pub fn name(self) -> &'static str {
        match self {
            Self::List => "list",
            Self::Get => "get",
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }
}

/// One admin resource.
#[derive(Debug)]
pub struct Resource {
    /// The command name, e.g. `triggers`.
    pub name: &'static str,
    /// The collection's path, e.g. `/api/v1/triggers`.
    pub path: &'static str,
    /// How its list pages.
    pub paging: Paging,
    /// The common verbs the server offers.
    pub verbs: &'static [Verb],
}

use Verb::{Create, Delete, Get, List, Update};

/// Triggers.
pub const TRIGGERS: Resource = Resource {
    name: "triggers",
    path: "/api/v1/triggers",
    paging: Paging::Cursor,
    verbs: &[List, Get, Create, Update, Delete],
};
/// Destinations.
pub const DESTINATIONS: Resource = Resource {
    name: "destinations",
    path: "/api/v1/destinations",
    paging: Paging::Whole,
    verbs: &[List, Get, Create, Update, Delete],
};
/// Rules.
pub const RULES: Resource = Resource {
    name: "rules",
    path: "/api/v1/rules",
    paging: Paging::Cursor,
    verbs: &[List, Get, Create, Update, Delete],
};
/// The event log (`create` publishes).
pub const EVENTS: Resource = Resource {
    name: "events",
    path: "/api/v1/events",
    paging: Paging::Before,
    verbs: &[List, Get, Create],
};
/// Deliveries.
pub const DELIVERIES: Resource = Resource {
    name: "deliveries",
    path: "/api/v1/deliveries",
    paging: Paging::Cursor,
    verbs: &[List, Get],
};
/// Tenants.
pub const TENANTS: Resource = Resource {
    name: "tenants",
    path: "/api/v1/tenants",
    paging: Paging::Whole,
    verbs: &[List, Get, Create],
};
/// API tokens.
pub const TOKENS: Resource = Resource {
    name: "tokens",
    path: "/api/v1/tokens",
    paging: Paging::Whole,
    verbs: &[List, Create, Delete],
};
