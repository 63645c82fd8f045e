//! Weir's end-to-end suite: the real engine on 127.0.0.1 with a temporary
//! data directory, the real packs built from `packs/` (run `cargo xtask
//! test`, which builds them first), real HTTP to local receivers.

mod support;

mod api_errors;
mod audit;
mod cli;
mod dedupe;
mod delivery_fifo;
mod delivery_python;
mod delivery_retries;
mod delivery_ssrf;
mod destination_headers;
mod destination_health;
mod destination_isolation;
mod destination_rate_limit;
mod durability;
mod hostile_guests;
mod hot_reload;
mod inbound_python;
mod ingest_policy;
mod observability;
mod openapi;
mod otel_export;
mod outbound_proxy;
mod pack_cli;
mod pack_fixtures;
mod request_log;
mod restart;
mod retention;
mod rules_api;
mod shutdown;
mod slow_clients;
mod startup;
mod tenancy;
mod tenant_isolation;
mod triggers_api;
mod walking_skeleton;
