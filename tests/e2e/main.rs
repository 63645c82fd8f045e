//! Weir's end-to-end suite: the real engine on 127.0.0.1 with a temporary
//! data directory, the real packs built from `packs/` (run `cargo xtask
//! test`, which builds them first), real HTTP to local receivers.

mod support;

mod api_errors;
mod dedupe;
mod durability;
mod hostile_guests;
mod hot_reload;
mod ingest_policy;
mod pack_cli;
mod pack_fixtures;
mod request_log;
mod restart;
mod startup;
mod tenancy;
mod triggers_api;
mod walking_skeleton;
