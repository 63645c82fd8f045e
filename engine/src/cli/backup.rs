//! `weir export` / `weir import`: offline backup and migration of a data
//! directory's configuration (tenants, API tokens, triggers, destinations,
//! rules) and, with `--events`, its event log.
//!
//! The file is JSON Lines: a header line
//! `{"format":"weir-export","version":1,"weir_version":…,"counts":{…}}`,
//! then one `{"kind":"trigger","id":"trg_…","record":{…}}` per record, the
//! record exactly as stored. Sealed secrets stay sealed: importing needs
//! the same encryption key (`<data_dir>/encryption.key` or
//! `WEIR_ENCRYPTION_KEY`). Not exported: deliveries and attempts, dedupe
//! markers, statistics, the request log, the admin token's hash.
//! Both commands open the store themselves, so Weir must be stopped.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, BufWriter, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use weir::config::Durability;
use weir::ids::{DestinationId, EventId, RuleId, TenantId, TokenId, TriggerId};
use weir::store::{RecordKind, Store, StoreError};

use crate::cli::failure::Failure;

/// The backup format this build writes and reads.
const FORMAT_VERSION: u32 = 1;
/// The header's `format`.
const FORMAT_NAME: &str = "weir-export";

/// Options of `weir export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The stopped Weir's data directory.
    #[arg(long, env = "WEIR_DATA_DIR")]
    data_dir: PathBuf,
    /// Where to write the backup (JSON Lines).
    #[arg(long)]
    out: PathBuf,
    /// Include the event log.
    #[arg(long)]
    events: bool,
}

/// Options of `weir import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The stopped Weir's data directory (created if missing).
    #[arg(long, env = "WEIR_DATA_DIR")]
    data_dir: PathBuf,
    /// The backup written by `weir export`.
    #[arg(long = "in")]
    input: PathBuf,
    /// Overwrite records whose ids already exist (default: refuse).
    #[arg(long)]
    replace: bool,
}

/// The first line of a backup.
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    weir_version: String,
    exported_at: String,
    #[serde(default)]
    default_tenant: Option<String>,
    events: bool,
    counts: BTreeMap<String, u64>,
}

/// One record line.
#[derive(Debug, Serialize, Deserialize)]
struct Line {
    kind: String,
    id: String,
    record: Box<RawValue>,
}

/// Writes the backup.
pub fn export(args: &ExportArgs) -> Result<(), Failure> {
    if !args.data_dir.join("db").is_file() {
        return Err(Failure::Local(format!(
            "`{}` holds no Weir store",
            args.data_dir.display()
        )));
    }
    let store = open(&args.data_dir)?;
    let kinds: Vec<RecordKind> = RecordKind::ALL
        .into_iter()
        .filter(|kind| args.events || *kind != RecordKind::Event)
        .collect();
    let mut counts = BTreeMap::new();
    for kind in &kinds {
        let mut count = 0u64;
        for record in store.export_records(*kind) {
            record.map_err(|error| store_failure(&error))?;
            count += 1;
        }
        counts.insert(kind.name().to_owned(), count);
    }
    let header = Header {
        format: FORMAT_NAME.to_owned(),
        version: FORMAT_VERSION,
        weir_version: env!("CARGO_PKG_VERSION").to_owned(),
        exported_at: weir::time::rfc3339(weir::time::now_ms()),
        default_tenant: store
            .default_tenant()
            .map_err(|error| store_failure(&error))?
            .map(|id| id.to_string()),
        events: args.events,
        counts: counts.clone(),
    };
    let file = std::fs::File::create(&args.out).map_err(|error| file_failure(&args.out, &error))?;
    let mut out = BufWriter::new(file);
    let write_failure = |error: std::io::Error| file_failure(&args.out, &error);
    write_json_line(&mut out, &header).map_err(write_failure)?;
    for kind in &kinds {
        for record in store.export_records(*kind) {
            let (key, value) = record.map_err(|error| store_failure(&error))?;
            let id = id_text(*kind, &key)
                .ok_or_else(|| Failure::Local(format!("a `{}` key is not an id", kind.name())))?;
            let text = String::from_utf8(value)
                .map_err(|_| Failure::Local(format!("{} `{id}` is not UTF-8", kind.name())))?;
            let record = RawValue::from_string(text)
                .map_err(|error| Failure::Local(format!("{} `{id}` is not JSON: {error}", kind.name())))?;
            let line = Line {
                kind: kind.name().to_owned(),
                id,
                record,
            };
            write_json_line(&mut out, &line).map_err(write_failure)?;
        }
    }
    out.flush().map_err(write_failure)?;
    out.get_ref().sync_all().map_err(write_failure)?;
    println!(
        "{}",
        serde_json::json!({"exported": counts, "out": args.out.display().to_string()})
    );
    Ok(())
}

/// Loads a backup into the data directory.
pub fn import(args: &ImportArgs) -> Result<(), Failure> {
    let file = std::fs::File::open(&args.input).map_err(|error| file_failure(&args.input, &error))?;
    let mut lines = BufReader::new(file).lines();
    let read_failure = |error: std::io::Error| file_failure(&args.input, &error);
    let first = lines
        .next()
        .transpose()
        .map_err(read_failure)?
        .ok_or_else(|| Failure::Usage(format!("`{}` is empty", args.input.display())))?;
    let header: Header = serde_json::from_str(&first)
        .ok()
        .filter(|header: &Header| header.format == FORMAT_NAME)
        .ok_or_else(|| Failure::Usage(format!("`{}` is not a `weir export` file", args.input.display())))?;
    if header.version > FORMAT_VERSION {
        return Err(Failure::Usage(format!(
            "the backup has format version {}, newer than the {FORMAT_VERSION} this Weir reads; upgrade Weir",
            header.version
        )));
    }
    let mut records: Vec<(RecordKind, [u8; 16], String, Box<RawValue>)> = Vec::new();
    for (number, line) in lines.enumerate() {
        let line = line.map_err(read_failure)?;
        if line.trim().is_empty() {
            continue;
        }
        let at = number + 2;
        let line: Line = serde_json::from_str(&line)
            .map_err(|error| Failure::Usage(format!("line {at}: not a record: {error}")))?;
        let kind = RecordKind::from_name(&line.kind)
            .ok_or_else(|| Failure::Usage(format!("line {at}: unknown kind `{}`", line.kind)))?;
        let key = id_key(kind, &line.id)
            .ok_or_else(|| Failure::Usage(format!("line {at}: `{}` is not a {} id", line.id, kind.name())))?;
        records.push((kind, key, line.id, line.record));
    }
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for (kind, ..) in &records {
        *counts.entry(kind.name().to_owned()).or_default() += 1;
    }
    let expected: BTreeMap<String, u64> = header.counts.into_iter().filter(|(_, n)| *n > 0).collect();
    if counts != expected {
        return Err(Failure::Usage(format!(
            "the backup is incomplete: the header counts {expected:?} but the file holds {counts:?}"
        )));
    }
    records.sort_by_key(|(kind, ..)| RecordKind::ALL.iter().position(|k| k == kind));

    let store = open(&args.data_dir)?;
    let mut existing = Vec::new();
    for (kind, key, id, _) in &records {
        if store
            .record_exists(*kind, key)
            .map_err(|error| store_failure(&error))?
        {
            existing.push(format!("{} `{id}`", kind.name()));
        }
    }
    if !existing.is_empty() && !args.replace {
        let shown: Vec<&str> = existing.iter().take(5).map(String::as_str).collect();
        return Err(Failure::Local(format!(
            "{} record(s) already exist in `{}` ({}{}); nothing was imported; pass `--replace` to overwrite them",
            existing.len(),
            args.data_dir.display(),
            shown.join(", "),
            if existing.len() > shown.len() { ", …" } else { "" }
        )));
    }
    let mut last_event: Option<EventId> = None;
    for (kind, key, id, record) in &records {
        store
            .import_record(*kind, key, record.get().as_bytes())
            .map_err(|error| Failure::Local(format!("{} `{id}`: {error}", kind.name())))?;
        if *kind == RecordKind::Event {
            last_event = last_event.max(EventId::from_bytes(key));
        }
    }
    if let Some(event) = last_event {
        store
            .advance_router_cursor(event)
            .map_err(|error| store_failure(&error))?;
    }
    if let Some(tenant) = header
        .default_tenant
        .and_then(|text| text.parse::<TenantId>().ok())
        && store
            .default_tenant()
            .map_err(|error| store_failure(&error))?
            .is_none()
    {
        store
            .set_default_tenant(tenant)
            .map_err(|error| store_failure(&error))?;
    }
    store.flush_all().map_err(|error| store_failure(&error))?;
    if std::env::var_os("WEIR_ENCRYPTION_KEY").is_none() && !args.data_dir.join("encryption.key").is_file() {
        eprintln!(
            "warning: `{}` has no encryption.key and WEIR_ENCRYPTION_KEY is not set: copy the exporting \
             instance's key there (or set the variable), or its sealed secrets cannot be read",
            args.data_dir.display()
        );
    }
    println!(
        "{}",
        serde_json::json!({"imported": counts, "replaced": existing.len()})
    );
    Ok(())
}

/// Opens the store, telling a running Weir apart from other failures.
fn open(dir: &Path) -> Result<Store, Failure> {
    Store::open(dir, Durability::Fsync).map_err(|error| store_failure(&error))
}

fn store_failure(error: &StoreError) -> Failure {
    match error {
        StoreError::Locked(path) => Failure::Local(format!(
            "the data directory `{path}` is in use by a running weir: stop weir first"
        )),
        other => Failure::Local(other.to_string()),
    }
}

fn file_failure(path: &Path, error: &std::io::Error) -> Failure {
    Failure::Local(format!("`{}`: {error}", path.display()))
}

fn write_json_line(out: &mut impl std::io::Write, value: &impl Serialize) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

/// The id a record's key stands for, e.g. `trg_…`.
fn id_text(kind: RecordKind, key: &[u8]) -> Option<String> {
    match kind {
        RecordKind::Tenant => TenantId::from_bytes(key).map(|id| id.to_string()),
        RecordKind::Token => TokenId::from_bytes(key).map(|id| id.to_string()),
        RecordKind::Trigger => TriggerId::from_bytes(key).map(|id| id.to_string()),
        RecordKind::Destination => DestinationId::from_bytes(key).map(|id| id.to_string()),
        RecordKind::Rule => RuleId::from_bytes(key).map(|id| id.to_string()),
        RecordKind::Event => EventId::from_bytes(key).map(|id| id.to_string()),
    }
}

/// The key of the record with id `text`.
fn id_key(kind: RecordKind, text: &str) -> Option<[u8; 16]> {
    match kind {
        RecordKind::Tenant => text.parse::<TenantId>().ok().map(TenantId::to_bytes),
        RecordKind::Token => text.parse::<TokenId>().ok().map(TokenId::to_bytes),
        RecordKind::Trigger => text.parse::<TriggerId>().ok().map(TriggerId::to_bytes),
        RecordKind::Destination => text.parse::<DestinationId>().ok().map(DestinationId::to_bytes),
        RecordKind::Rule => text.parse::<RuleId>().ok().map(RuleId::to_bytes),
        RecordKind::Event => text.parse::<EventId>().ok().map(EventId::to_bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_their_keys() {
        let id = TriggerId::generate();
        let text = id_text(RecordKind::Trigger, &id.to_bytes()).expect("id");
        assert_eq!(text, id.to_string());
        assert_eq!(id_key(RecordKind::Trigger, &text), Some(id.to_bytes()));
        assert_eq!(
            id_key(RecordKind::Rule, &text),
            None,
            "a trigger id is not a rule id"
        );
    }
}
