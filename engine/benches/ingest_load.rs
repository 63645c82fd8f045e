//! Ingest load benchmark: a loopback HTTP load generator and the scenarios
//! of issue 4, measured side by side in one run.
//!
//! - Closed loop, N connections, ~2 KB signed GitHub pushes with unique
//!   `X-GitHub-Delivery` ids: a bare axum handler answering 202, then Weir
//!   with durability `fsync` (the github connector in WASM, sled on disk),
//!   `flush` and `none`. Rounds interleave the scenarios so drift (page
//!   cache, store growth, thermal) hits each alike; the tables show the
//!   median over rounds.
//! - Open loop at a fixed offered rate (default 2,000 req/s), latency
//!   counted from each request's scheduled send time, for Weir `fsync`
//!   (and the bare handler, which shows the generator's own floor).
//!
//! Each closed-loop line also shows the process's CPU time per `202`
//! (generator, server and the background work the run leaves, from
//! `/proc/self/stat`): a figure that moves less than throughput when other
//! work shares the cores, for comparing engine changes.
//!
//! At the end every Weir is stopped, its store reopened and checked: every
//! `202`'s event id is stored and no delivery id is stored twice.
//!
//! Run with `cargo xtask bench-ingest` (builds the github pack first);
//! options: `cargo xtask bench-ingest -- --help`.

#![allow(missing_docs)]

/// The allocator `weir serve` runs with (see `src/main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "ingest_load/client.rs"]
mod client;
#[path = "ingest_load/load.rs"]
#[allow(dead_code)] // shared with delivery_load
mod load;
#[path = "ingest_load/report.rs"]
mod report;
#[path = "ingest_load/targets.rs"]
#[allow(dead_code)] // shared with delivery_load
mod targets;
#[path = "ingest_load/webhook.rs"]
mod webhook;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use weir::config::Durability;

use load::{Outcome, Target};
use report::{Row, print_closed, print_open};
use targets::{Weir, start_bare};
use webhook::{SECRET, push_payload, template};

const HELP: &str = "\
ingest_load [--seconds S] [--warmup S] [--rounds N] [--connections N]
            [--rate R] [--open-seconds S] [--quick]

  --seconds S       measured seconds per closed-loop scenario and round (default 5)
  --warmup S        warm-up seconds before each measurement (default 1)
  --rounds N        rounds; each runs every scenario once (default 3)
  --connections N   closed-loop connections (default 64)
  --rate R          open-loop offered rate, requests/s (default 2000)
  --open-seconds S  measured seconds of each open-loop run (default 10)
  --quick           one round of 2 s, for a smoke test
  --only WORD       run only the scenarios whose name contains WORD
                    (e.g. `fsync`, `bare`); for profiling
";

struct Options {
    seconds: u64,
    warmup: u64,
    rounds: usize,
    connections: usize,
    rate: u32,
    open_seconds: u64,
    only: Option<String>,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        seconds: 5,
        warmup: 1,
        rounds: 3,
        connections: 64,
        rate: 2000,
        open_seconds: 10,
        only: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match arg.as_str() {
            "--seconds" => options.seconds = value("--seconds")?,
            "--warmup" => options.warmup = value("--warmup")?,
            "--rounds" => options.rounds = usize::try_from(value("--rounds")?).unwrap_or(1),
            "--connections" => options.connections = usize::try_from(value("--connections")?).unwrap_or(1),
            "--rate" => options.rate = u32::try_from(value("--rate")?).unwrap_or(u32::MAX),
            "--open-seconds" => options.open_seconds = value("--open-seconds")?,
            "--quick" => {
                options.seconds = 2;
                options.rounds = 1;
                options.open_seconds = 3;
            }
            "--only" => options.only = Some(args.next().ok_or("--only needs a word")?),
            // `cargo bench` passes `--bench`; a filter may follow.
            "--bench" => {}
            "--help" | "-h" => return Err(String::new()),
            other if other.starts_with('-') => return Err(format!("unknown option `{other}`")),
            _ => {}
        }
    }
    options.rounds = options.rounds.max(1);
    options.connections = options.connections.max(1);
    Ok(options)
}

fn durability_name(durability: Durability) -> &'static str {
    match durability {
        Durability::Fsync => "fsync",
        Durability::Flush => "flush",
        Durability::None => "none",
    }
}

/// Waits until the process is nearly idle (the previous scenario's
/// background work — routing, sled's flusher — has caught up), at most 10 s,
/// so no scenario pays for the one before it.
fn quiesce() {
    let started = std::time::Instant::now();
    let waited = || {
        let waited = started.elapsed();
        if waited > Duration::from_secs(1) {
            println!(
                "  (waited {:.1} s for background work to finish)",
                waited.as_secs_f64()
            );
        }
    };
    let interval = Duration::from_millis(250);
    for _ in 0..40 {
        let before = load::process_cpu_us();
        std::thread::sleep(interval);
        // Clock ticks are 10 ms: at most 2 ticks in 250 ms is under 8% of a core.
        match (before, load::process_cpu_us()) {
            (Some(before), Some(after)) if after.saturating_sub(before) <= 20_000 => return waited(),
            (None, _) | (_, None) => return waited(),
            _ => {}
        }
    }
    waited();
}

fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprint!("{message}\n{HELP}");
            return ExitCode::from(2);
        }
    };
    // The servers' runtime is built as `weir serve` builds it; the
    // generator runs on its own single thread (this one).
    let servers = weir::server::runtime().expect("server runtime");
    let generator = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("generator runtime");

    let body = push_payload(None);
    let packs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../plugins");
    let bare_addr = servers.block_on(start_bare());
    let bare = Target {
        addr: bare_addr,
        templates: Arc::new([template(bare_addr, "/api/v1/webhooks/wh_bare", &body)]),
        collect_ids: false,
        collect_acks: false,
    };
    let mut weirs = Vec::new();
    let mut weir_targets = Vec::new();
    for durability in [Durability::Fsync, Durability::Flush, Durability::None] {
        let weir = servers.block_on(Weir::start(durability, &packs));
        let path = generator.block_on(weir.create_trigger(SECRET));
        weir_targets.push(Target {
            addr: weir.addr(),
            templates: Arc::new([template(weir.addr(), &path, &body)]),
            collect_ids: true,
            collect_acks: false,
        });
        weirs.push(weir);
    }
    println!(
        "ingest_load: {} cores, payload {} bytes, closed loop {} connections x {} s (+{} s warm-up) x {} rounds, open loop {} req/s x {} s",
        std::thread::available_parallelism().map_or(0, usize::from),
        body.len(),
        options.connections,
        options.seconds,
        options.warmup,
        options.rounds,
        options.rate,
        options.open_seconds,
    );

    let warmup = Duration::from_secs(options.warmup);
    let measure = Duration::from_secs(options.seconds);
    let open_measure = Duration::from_secs(options.open_seconds);
    let wanted = |name: &str| options.only.as_deref().is_none_or(|word| name.contains(word));
    // (name, target, index of the Weir whose acknowledged ids it adds to)
    let mut scenarios = vec![("bare axum 202", bare, None)];
    for (n, (weir, target)) in weirs.iter().zip(weir_targets).enumerate() {
        let name = match weir.durability {
            Durability::Fsync => "weir fsync",
            Durability::Flush => "weir flush",
            Durability::None => "weir none",
        };
        scenarios.push((name, target, Some(n)));
    }
    let mut closed: Vec<Row> = scenarios.iter().map(|(name, ..)| Row::new(name)).collect();
    let mut open: Vec<Row> = scenarios
        .iter()
        .take(2)
        .map(|(name, ..)| Row::new(name))
        .collect();
    let mut acknowledged: Vec<Vec<String>> = vec![Vec::new(); weirs.len()];
    let mut failures = Vec::new();
    let mut note = |row: &mut Row, outcome: Outcome, ids: Option<usize>| {
        println!("  {:<14} {}", row.name, report::one_line(&outcome));
        if outcome.errors > 0 || !outcome.other_statuses.is_empty() {
            failures.push(format!(
                "{}: {} connection errors, other statuses {:?}",
                row.name, outcome.errors, outcome.other_statuses
            ));
        }
        row.add(&outcome);
        if let Some(n) = ids {
            acknowledged[n].extend(outcome.event_ids);
        }
    };
    for round in 1..=options.rounds {
        println!("round {round}/{}", options.rounds);
        for ((name, target, ids), row) in scenarios.iter().zip(&mut closed) {
            if wanted(name) {
                quiesce();
                let cpu_before = load::process_cpu_us();
                let mut outcome =
                    generator.block_on(load::closed_loop(target, options.connections, warmup, measure));
                // The run's CPU includes the background work it leaves
                // (routing, sled's flusher), so wait for that first.
                quiesce();
                outcome.cpu_us = cpu_before
                    .zip(load::process_cpu_us())
                    .map_or(0, |(before, after)| after.saturating_sub(before));
                note(row, outcome, *ids);
            }
        }
        for ((name, target, ids), row) in scenarios.iter().zip(&mut open) {
            if wanted(name) {
                quiesce();
                let outcome = generator.block_on(load::open_loop(
                    target,
                    options.rate,
                    options.connections.max(64),
                    warmup,
                    open_measure,
                ));
                note(row, outcome, *ids);
            }
        }
    }
    println!();
    print_closed(&closed, options.connections);
    println!();
    print_open(&open, options.rate);
    println!();
    println!("correctness (store reopened after a graceful stop):");
    for (weir, ids) in weirs.iter_mut().zip(&acknowledged) {
        let check = servers.block_on(weir.stop_and_verify(ids));
        let name = durability_name(weir.durability);
        println!(
            "  weir {name:<6} acknowledged {:>8}  stored {:>8}  missing {}  duplicates {}",
            check.acknowledged, check.stored, check.missing, check.duplicates
        );
        if check.missing > 0 || check.duplicates > 0 || check.stored != check.acknowledged {
            failures.push(format!(
                "weir {name}: {} acknowledged, {} stored, {} missing, {} duplicates",
                check.acknowledged, check.stored, check.missing, check.duplicates
            ));
        }
    }
    if failures.is_empty() {
        println!("  every 202 is a stored event; no delivery id stored twice");
        ExitCode::SUCCESS
    } else {
        for failure in &failures {
            eprintln!("FAILED: {failure}");
        }
        ExitCode::FAILURE
    }
}
