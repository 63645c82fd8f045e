//! `weir triggers|destinations|rules|events|deliveries|tenants|tokens …`:
//! the admin API from the command line. Every verb becomes a [`Call`]
//! (method, path, query, body) sent by the one helper in `client`; the
//! resources differ only by their row in `resources`.

mod client;
mod resources;

use std::io::Read as _;
use std::path::PathBuf;

use reqwest::Method;
use serde_json::{Value, json};

pub use client::ApiArgs;
use client::{Call, Client};
pub use resources::Resource;
use resources::{Paging, Verb};

use crate::cli::failure::Failure;

/// The verbs every resource shares (those the server lacks for a resource
/// are refused before anything is sent).
#[derive(Debug, clap::Subcommand)]
pub enum Common {
    /// List (one page unless `--all`).
    List(ListArgs),
    /// Show one by id.
    Get {
        /// The id.
        id: String,
    },
    /// Create from a JSON body.
    Create(BodyArgs),
    /// Change fields (PATCH) from a JSON body.
    Update {
        /// The id.
        id: String,
        #[command(flatten)]
        body: BodyArgs,
    },
    /// Delete by id.
    Delete {
        /// The id.
        id: String,
    },
}

/// Options of `list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Follow every page and print them as one list.
    #[arg(long)]
    all: bool,
    /// Page size (paged lists: triggers, rules, events, deliveries).
    #[arg(long)]
    limit: Option<usize>,
    /// Extra query filter, e.g. `--query status=dead` (repeatable).
    #[arg(long, value_name = "KEY=VALUE")]
    query: Vec<String>,
}

/// Where a JSON body comes from.
#[derive(Debug, clap::Args)]
pub struct BodyArgs {
    /// The body as JSON text.
    #[arg(long, conflicts_with = "file")]
    json: Option<String>,
    /// A file holding the JSON body; `-` reads stdin.
    #[arg(long)]
    file: Option<PathBuf>,
}

/// `weir triggers …`.
#[derive(Debug, clap::Subcommand)]
pub enum TriggerCommand {
    #[command(flatten)]
    Common(Common),
    /// Accept webhooks again.
    Enable {
        /// The trigger id.
        id: String,
    },
    /// Answer webhooks with 404 until enabled.
    Disable {
        /// The trigger id.
        id: String,
    },
    /// Replace the webhook URL (the old one stops working).
    Regenerate {
        /// The trigger id.
        id: String,
    },
    /// Show the webhook URL, state and statistics.
    Webhook {
        /// The trigger id.
        id: String,
    },
}

/// `weir destinations …`.
#[derive(Debug, clap::Subcommand)]
pub enum DestinationCommand {
    #[command(flatten)]
    Common(Common),
    /// Replace the signing secret; the old one keeps signing for the grace
    /// period.
    RotateSecret {
        /// The destination id.
        id: String,
        /// How long the previous secret keeps signing (default: one day).
        #[arg(long)]
        grace_secs: Option<u64>,
    },
    /// Queue the destination's deliveries again (default: the dead ones).
    Recover {
        /// The destination id.
        id: String,
        /// Which states to requeue (repeatable; default `dead`).
        #[arg(long)]
        status: Vec<String>,
        /// Deliveries created at or after this time (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// Deliveries created before this time (RFC 3339).
        #[arg(long)]
        until: Option<String>,
    },
}

/// `weir rules …`.
#[derive(Debug, clap::Subcommand)]
pub enum RuleCommand {
    #[command(flatten)]
    Common(Common),
    /// Dry-run a rule against an event (`POST /api/v1/rules/test`).
    Test(BodyArgs),
}

/// `weir events …`.
#[derive(Debug, clap::Subcommand)]
pub enum EventCommand {
    #[command(flatten)]
    Common(Common),
    /// Run the current rules over a stored event again.
    Reroute {
        /// The event id.
        id: String,
        /// Also send again the deliveries it already has.
        #[arg(long)]
        redeliver: bool,
    },
    /// Publish an application event.
    Publish {
        /// Event type, e.g. `invoice.paid`.
        #[arg(long = "type")]
        event_type: String,
        /// The event's data as JSON.
        #[arg(long)]
        data: String,
        /// Sent as `Idempotency-Key`: a repeat is answered `duplicate`.
        #[arg(long)]
        idempotency_key: Option<String>,
    },
}

/// `weir deliveries …`.
#[derive(Debug, clap::Subcommand)]
pub enum DeliveryCommand {
    #[command(flatten)]
    Common(Common),
    /// Send a delivery again now.
    Retry {
        /// The delivery id.
        id: String,
    },
}

/// An admin command: a resource and what to do with it.
#[derive(Debug)]
pub enum Admin {
    /// `weir triggers …`.
    Triggers(TriggerCommand),
    /// `weir destinations …`.
    Destinations(DestinationCommand),
    /// `weir rules …`.
    Rules(RuleCommand),
    /// `weir events …`.
    Events(EventCommand),
    /// `weir deliveries …`.
    Deliveries(DeliveryCommand),
    /// `weir tenants …`.
    Tenants(Common),
    /// `weir tokens …`.
    Tokens(Common),
}

/// Runs an admin command and prints its answer as pretty JSON.
pub fn run(command: Admin, api: &ApiArgs) -> Result<(), Failure> {
    let (calls, pages) = plan(command)?;
    let client = Client::new(api)?;
    let answer = match pages {
        Some((paging, all)) if all => list_all(&client, &calls, paging)?,
        _ => client.send(&calls)?,
    };
    if !answer.is_null() {
        let text = serde_json::to_string_pretty(&answer)
            .map_err(|error| Failure::Local(format!("printing the answer: {error}")))?;
        println!("{text}");
    }
    Ok(())
}

/// The call a command makes, and for lists how to follow pages (`--all`).
fn plan(command: Admin) -> Result<(Call, Option<(Paging, bool)>), Failure> {
    let (resource, common) = match command {
        Admin::Triggers(TriggerCommand::Common(common)) => (&resources::TRIGGERS, common),
        Admin::Destinations(DestinationCommand::Common(common)) => (&resources::DESTINATIONS, common),
        Admin::Rules(RuleCommand::Common(common)) => (&resources::RULES, common),
        Admin::Events(EventCommand::Common(common)) => (&resources::EVENTS, common),
        Admin::Deliveries(DeliveryCommand::Common(common)) => (&resources::DELIVERIES, common),
        Admin::Tenants(common) => (&resources::TENANTS, common),
        Admin::Tokens(common) => (&resources::TOKENS, common),
        other => return Ok((special_call(other)?, None)),
    };
    common_call(resource, common)
}

/// The call of a resource's own verb (`enable`, `retry`, `publish` …).
fn special_call(command: Admin) -> Result<Call, Failure> {
    let post = |resource: &Resource, id: &str, action: &str| -> Result<Call, Failure> {
        Ok(Call::new(
            Method::POST,
            format!("{}/{}/{action}", resource.path, check_id(id)?),
        ))
    };
    let call = match command {
        Admin::Triggers(TriggerCommand::Enable { id }) => post(&resources::TRIGGERS, &id, "webhook/enable")?,
        Admin::Triggers(TriggerCommand::Disable { id }) => {
            post(&resources::TRIGGERS, &id, "webhook/disable")?
        }
        Admin::Triggers(TriggerCommand::Regenerate { id }) => {
            post(&resources::TRIGGERS, &id, "webhook/regenerate")?
        }
        Admin::Triggers(TriggerCommand::Webhook { id }) => Call::new(
            Method::GET,
            format!("{}/{}/webhook", resources::TRIGGERS.path, check_id(&id)?),
        ),
        Admin::Destinations(DestinationCommand::RotateSecret { id, grace_secs }) => {
            let body = match grace_secs {
                Some(grace) => json!({"grace_secs": grace}),
                None => json!({}),
            };
            post(&resources::DESTINATIONS, &id, "rotate-secret")?.with_body(body)
        }
        Admin::Destinations(DestinationCommand::Recover {
            id,
            status,
            since,
            until,
        }) => {
            let mut body = serde_json::Map::new();
            if !status.is_empty() {
                body.insert("statuses".into(), json!(status));
            }
            if let Some(since) = since {
                body.insert("since".into(), json!(since));
            }
            if let Some(until) = until {
                body.insert("until".into(), json!(until));
            }
            post(&resources::DESTINATIONS, &id, "recover")?.with_body(Value::Object(body))
        }
        Admin::Rules(RuleCommand::Test(body)) => {
            Call::new(Method::POST, format!("{}/test", resources::RULES.path)).with_body(body.read()?)
        }
        Admin::Events(EventCommand::Reroute { id, redeliver }) => {
            post(&resources::EVENTS, &id, "reroute")?.with_body(json!({"redeliver": redeliver}))
        }
        Admin::Events(EventCommand::Publish {
            event_type,
            data,
            idempotency_key,
        }) => {
            let data = parse_json(&data, "`--data`")?;
            let mut call = Call::new(Method::POST, resources::EVENTS.path.to_owned())
                .with_body(json!({"type": event_type, "data": data}));
            if let Some(key) = idempotency_key {
                call.headers.push(("idempotency-key", key));
            }
            call
        }
        Admin::Deliveries(DeliveryCommand::Retry { id }) => post(&resources::DELIVERIES, &id, "retry")?,
        Admin::Triggers(TriggerCommand::Common(_))
        | Admin::Destinations(DestinationCommand::Common(_))
        | Admin::Rules(RuleCommand::Common(_))
        | Admin::Events(EventCommand::Common(_))
        | Admin::Deliveries(DeliveryCommand::Common(_))
        | Admin::Tenants(_)
        | Admin::Tokens(_) => return Err(Failure::Usage("not a resource's own verb".to_owned())),
    };
    Ok(call)
}

/// The call of a common verb on `resource`.
fn common_call(resource: &Resource, common: Common) -> Result<(Call, Option<(Paging, bool)>), Failure> {
    let verb = match &common {
        Common::List(_) => Verb::List,
        Common::Get { .. } => Verb::Get,
        Common::Create(_) => Verb::Create,
        Common::Update { .. } => Verb::Update,
        Common::Delete { .. } => Verb::Delete,
    };
    if !resource.verbs.contains(&verb) {
        let offered: Vec<&str> = resource.verbs.iter().map(|verb| verb.name()).collect();
        return Err(Failure::Usage(format!(
            "`{}` has no `{}` (it offers: {})",
            resource.name,
            verb.name(),
            offered.join(", ")
        )));
    }
    let one = |id: &str| -> Result<String, Failure> { Ok(format!("{}/{}", resource.path, check_id(id)?)) };
    let call = match common {
        Common::List(list) => {
            let mut call = Call::new(Method::GET, resource.path.to_owned());
            if let Some(limit) = list.limit.filter(|_| resource.paging != Paging::Whole) {
                call.query.push(("limit".to_owned(), limit.to_string()));
            }
            for pair in &list.query {
                let (key, value) = pair
                    .split_once('=')
                    .ok_or_else(|| Failure::Usage(format!("`--query {pair}` is not KEY=VALUE")))?;
                call.query.push((key.to_owned(), value.to_owned()));
            }
            return Ok((call, Some((resource.paging, list.all))));
        }
        Common::Get { id } => Call::new(Method::GET, one(&id)?),
        Common::Create(body) => Call::new(Method::POST, resource.path.to_owned()).with_body(body.read()?),
        Common::Update { id, body } => Call::new(Method::PATCH, one(&id)?).with_body(body.read()?),
        Common::Delete { id } => Call::new(Method::DELETE, one(&id)?),
    };
    Ok((call, None))
}

/// Every page of a list, as one `{"data": [...]}`.
fn list_all(client: &Client, first: &Call, paging: Paging) -> Result<Value, Failure> {
    let mut all = Vec::new();
    let mut call = first.clone();
    loop {
        let page = client.send(&call)?;
        let data = match page.get("data") {
            Some(Value::Array(items)) => items.clone(),
            _ => {
                return Err(Failure::Local(format!(
                    "the answer to `{}` has no `data` list",
                    call.path
                )));
            }
        };
        let next = match paging {
            Paging::Whole => None,
            Paging::Cursor => page.get("next_cursor").and_then(Value::as_str).map(str::to_owned),
            Paging::Before => data
                .last()
                .and_then(|last| last.get("id"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        };
        let empty = data.is_empty();
        all.extend(data);
        let Some(next) = next.filter(|_| !empty) else {
            break;
        };
        let key = if paging == Paging::Cursor {
            "cursor"
        } else {
            "before"
        };
        call.query.retain(|(name, _)| name != key);
        call.query.push((key.to_owned(), next));
    }
    Ok(json!({"data": all, "next_cursor": null}))
}

impl BodyArgs {
    /// The body as JSON: `--json`, `--file PATH` or `--file -` (stdin).
    fn read(&self) -> Result<Value, Failure> {
        match (&self.json, &self.file) {
            (Some(text), _) => parse_json(text, "`--json`"),
            (None, Some(path)) if path.as_os_str() == "-" => {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .map_err(|error| Failure::Local(format!("reading stdin: {error}")))?;
                parse_json(&text, "stdin")
            }
            (None, Some(path)) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|error| Failure::Local(format!("reading `{}`: {error}", path.display())))?;
                parse_json(&text, &format!("`{}`", path.display()))
            }
            (None, None) => Err(Failure::Usage(
                "give the body with `--json '{...}'`, `--file PATH` or `--file -` (stdin)".to_owned(),
            )),
        }
    }
}

/// `text` parsed as JSON; a usage error naming `what` otherwise.
fn parse_json(text: &str, what: &str) -> Result<Value, Failure> {
    serde_json::from_str(text).map_err(|error| Failure::Usage(format!("{what} is not JSON: {error}")))
}

/// An id safe to put in a path.
fn check_id(id: &str) -> Result<&str, Failure> {
    if !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        Ok(id)
    } else {
        Err(Failure::Usage(format!("`{id}` is not an id")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(all: bool) -> Common {
        Common::List(ListArgs {
            all,
            limit: Some(5),
            query: vec!["status=dead".to_owned()],
        })
    }

    #[test]
    fn verbs_map_to_the_servers_routes() {
        let (call, pages) = plan(Admin::Deliveries(DeliveryCommand::Common(list(true)))).expect("plan");
        assert_eq!(
            (call.method.as_str(), call.path.as_str()),
            ("GET", "/api/v1/deliveries")
        );
        assert_eq!(
            call.query,
            vec![("limit".into(), "5".into()), ("status".into(), "dead".into())]
        );
        assert_eq!(pages, Some((Paging::Cursor, true)));
        let (call, _) = plan(Admin::Triggers(TriggerCommand::Disable { id: "trg_1".into() })).expect("plan");
        assert_eq!(call.path, "/api/v1/triggers/trg_1/webhook/disable");
        let (call, _) = plan(Admin::Rules(RuleCommand::Common(Common::Update {
            id: "rul_1".into(),
            body: BodyArgs {
                json: Some(r#"{"enabled": false}"#.into()),
                file: None,
            },
        })))
        .expect("plan");
        assert_eq!(
            (call.method.as_str(), call.body),
            ("PATCH", Some(json!({"enabled": false})))
        );
    }

    #[test]
    fn missing_verbs_bad_ids_and_bad_json_are_usage_errors() {
        let update = Common::Update {
            id: "ten_1".into(),
            body: BodyArgs {
                json: Some("{}".into()),
                file: None,
            },
        };
        for command in [
            Admin::Tenants(update),
            Admin::Triggers(TriggerCommand::Common(Common::Get {
                id: "../packs".into(),
            })),
            Admin::Rules(RuleCommand::Test(BodyArgs {
                json: Some("{nope".into()),
                file: None,
            })),
        ] {
            let failure = plan(command).err();
            assert!(matches!(failure, Some(Failure::Usage(_))), "{failure:?}");
        }
    }
}
