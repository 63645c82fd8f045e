//! End-to-end delivery benchmark (issue 5): signed GitHub pushes in through
//! the github connector, routed by one rule per destination (condition on
//! the push's `bench_shard`, transformer `slack`) to loopback receivers.
//!
//! Scenarios, each on a fresh Weir (durability `fsync`, `delivery.*`
//! defaults unless `--concurrency` / `--per-destination` say otherwise):
//! - `clean`: closed-loop ingest at full speed; delivered/s at the
//!   receivers in the measured window (while ingest runs), then the drain.
//! - `open`: a fixed offered rate (default 2,000 events/s); latency from
//!   each `202` reaching the generator to the receiver answering `200`.
//! - `failing`, `slow`: as `clean`, but the first of the destinations (a
//!   tenth, with the default 10; the first `--unwell N` with that option)
//!   answers `500`, or answers `200` slowly; the healthy destinations'
//!   rate is compared with theirs in `clean`.
//!
//! After each scenario Weir is stopped and its store checked: events
//! stored == `202`s, one delivery per event, delivered + pending == all.
//!
//! Run with `cargo xtask bench-delivery` (builds the packs first); options:
//! `cargo xtask bench-delivery -- --help`.

#![allow(missing_docs)]

/// The allocator `weir serve` runs with (see `src/main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "ingest_load/client.rs"]
#[allow(dead_code)]
mod client;
#[path = "ingest_load/load.rs"]
#[allow(dead_code)]
mod load;
#[path = "delivery_load/receivers.rs"]
mod receivers;
#[path = "ingest_load/targets.rs"]
#[allow(dead_code)]
mod targets;
#[path = "ingest_load/webhook.rs"]
mod webhook;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;
use weir::config::Durability;
use weir::ids::{DeliveryId, EventId, RuleId};
use weir::model::DeliveryStatus;
use weir::store::DeliveryFilter;

use load::{Outcome, Target};
use receivers::{Behaviour, Receiver};
use targets::Weir;
use webhook::{SECRET, push_payload, template};

const HELP: &str = "\
delivery_load [--destinations N] [--seconds S] [--warmup S] [--connections N]
              [--rate R] [--open-seconds S] [--slow-ms MS] [--quick] [--only WORD]
              [--concurrency N] [--per-destination N] [--unwell N]

  --destinations N  destinations, each with its receiver and rule (default 10)
  --seconds S       measured seconds of each closed-loop scenario (default 10)
  --warmup S        warm-up seconds before each measurement (default 2)
  --connections N   closed-loop ingest connections (default 32)
  --rate R          open-loop offered rate, events/s (default 2000)
  --open-seconds S  measured seconds of the open-loop run (default 10)
  --slow-ms MS      the slow destination's answer time (default 1000)
  --drain S         longest wait for the backlog after a scenario (default 120)
  --quick           3 s scenarios, 1 s warm-up, for a smoke test
  --only WORD       run only scenarios whose name contains WORD
                    (clean, open, failing, slow)
  --concurrency N   delivery.concurrency (default: Weir's default)
  --per-destination N
                    delivery.per_destination_concurrency (default: Weir's)
  --unwell N        destinations failing (`failing`) or slow (`slow`)
                    (default 1)
";

struct Options {
    destinations: usize,
    seconds: u64,
    warmup: u64,
    connections: usize,
    rate: u32,
    open_seconds: u64,
    slow_ms: u64,
    drain: u64,
    only: Option<String>,
    concurrency: Option<usize>,
    per_destination: Option<usize>,
    unwell: usize,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        destinations: 10,
        seconds: 10,
        warmup: 2,
        connections: 32,
        rate: 2000,
        open_seconds: 10,
        slow_ms: 1000,
        drain: 120,
        only: None,
        concurrency: None,
        per_destination: None,
        unwell: 1,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match arg.as_str() {
            "--destinations" => options.destinations = usize::try_from(value("--destinations")?).unwrap_or(1),
            "--seconds" => options.seconds = value("--seconds")?,
            "--warmup" => options.warmup = value("--warmup")?,
            "--connections" => options.connections = usize::try_from(value("--connections")?).unwrap_or(1),
            "--rate" => options.rate = u32::try_from(value("--rate")?).unwrap_or(u32::MAX),
            "--open-seconds" => options.open_seconds = value("--open-seconds")?,
            "--slow-ms" => options.slow_ms = value("--slow-ms")?,
            "--drain" => options.drain = value("--drain")?,
            "--quick" => {
                options.seconds = 3;
                options.open_seconds = 3;
                options.warmup = 1;
            }
            "--only" => options.only = Some(args.next().ok_or("--only needs a word")?),
            "--concurrency" => {
                options.concurrency = Some(usize::try_from(value("--concurrency")?).unwrap_or(1).max(1));
            }
            "--unwell" => options.unwell = usize::try_from(value("--unwell")?).unwrap_or(1),
            "--per-destination" => {
                options.per_destination =
                    Some(usize::try_from(value("--per-destination")?).unwrap_or(1).max(1));
            }
            "--bench" => {}
            "--help" | "-h" => return Err(String::new()),
            other if other.starts_with('-') => return Err(format!("unknown option `{other}`")),
            _ => {}
        }
    }
    options.destinations = options.destinations.max(1);
    options.unwell = options.unwell.clamp(1, options.destinations);
    options.connections = options.connections.max(1);
    Ok(options)
}

/// A Weir with a github trigger and one destination, receiver and rule
/// per shard.
struct Setup {
    weir: Weir,
    receivers: Vec<Receiver>,
    rules: Vec<RuleId>,
    target: Target,
}

impl Setup {
    fn start(
        servers: &tokio::runtime::Runtime,
        generator: &tokio::runtime::Runtime,
        behaviours: &[Behaviour],
        options: &Options,
    ) -> Self {
        let packs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../plugins");
        let weir = servers.block_on(Weir::start_with(
            Durability::Fsync,
            &packs,
            &["github", "slack"],
            |config| {
                config
                    .delivery
                    .allow_private_networks
                    .push("127.0.0.1/32".parse().expect("network"));
                if let Some(concurrency) = options.concurrency {
                    config.delivery.concurrency = concurrency;
                }
                if let Some(cap) = options.per_destination {
                    config.delivery.per_destination_concurrency = cap;
                }
            },
        ));
        let receivers: Vec<Receiver> = behaviours
            .iter()
            .map(|behaviour| servers.block_on(Receiver::start(*behaviour)))
            .collect();
        let path = generator.block_on(weir.create_trigger(SECRET));
        let mut rules = Vec::new();
        let mut templates = Vec::new();
        for (shard, receiver) in receivers.iter().enumerate() {
            let destination = generator.block_on(weir.create(
                "/api/v1/destinations",
                json!({"name": format!("receiver {shard}"), "url": format!("http://{}/hook", receiver.addr)}),
            ));
            let rule = generator.block_on(weir.create(
                "/api/v1/rules",
                json!({
                    "event_types": ["github.push"],
                    "destination_id": destination["id"],
                    "transformer": "slack",
                    "condition": {"path": "$.bench_shard", "op": "eq", "value": shard},
                }),
            ));
            rules.push(
                rule["id"]
                    .as_str()
                    .and_then(|id| id.parse().ok())
                    .expect("rule id"),
            );
            templates.push(template(weir.addr(), &path, &push_payload(Some(shard))));
        }
        let target = Target {
            addr: weir.addr(),
            templates: templates.into(),
            collect_ids: false,
            collect_acks: true,
        };
        Self {
            weir,
            receivers,
            rules,
            target,
        }
    }

    /// The `webhook-id` the delivery of `event_id` (sent with template
    /// `shard`) carries.
    fn webhook_id(&self, event_id: &str, shard: usize) -> Option<String> {
        let event: EventId = event_id.parse().ok()?;
        Some(DeliveryId::derive(event, *self.rules.get(shard)?).to_string())
    }

    fn healthy(&self) -> impl Iterator<Item = (usize, &Receiver)> {
        self.receivers
            .iter()
            .enumerate()
            .filter(|(_, r)| r.behaviour == Behaviour::Healthy)
    }

    /// Waits until every healthy destination has everything acknowledged
    /// for it; returns how long that took (or `None` on timeout).
    fn drain(&self, outcome: &Outcome, limit: Duration) -> Option<Duration> {
        let mut expected = vec![0usize; self.receivers.len()];
        for ack in &outcome.acks {
            expected[ack.template] += 1;
        }
        let started = std::time::Instant::now();
        while started.elapsed() < limit {
            if self.healthy().all(|(shard, r)| r.delivered() >= expected[shard]) {
                return Some(started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

/// What a scenario measured.
struct Figures {
    name: &'static str,
    ingested_per_second: f64,
    delivered_per_second: f64,
    healthy_per_second: f64,
    drain: Option<Duration>,
    /// Process CPU (Weir, generator and receivers) from the first request
    /// to the end of the drain, per delivery answered `200` in that time.
    cpu_us_per_delivery: f64,
    latency: Option<(f64, f64, f64, usize)>,
    check: String,
    ok: bool,
}

fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1000.0
}

/// Stops Weir and checks its store: events == `202`s, one delivery per
/// event, delivered + pending (+ sending, dead) == deliveries, and with
/// every destination healthy, delivered == events.
fn check_store(servers: &tokio::runtime::Runtime, setup: &mut Setup, outcome: &Outcome) -> (String, bool) {
    let store = servers.block_on(setup.weir.stop_and_open());
    let mut events = 0usize;
    let mut cursor = None;
    loop {
        let page = store.events_after(cursor, 10_000).expect("events");
        let Some(last) = page.last() else { break };
        cursor = Some(last.id);
        events += page.len();
    }
    let deliveries = store
        .deliveries(&DeliveryFilter::default(), usize::MAX)
        .expect("deliveries");
    let count = |status: DeliveryStatus| deliveries.iter().filter(|d| d.status == status).count();
    let (delivered, pending, sending, dead) = (
        count(DeliveryStatus::Delivered),
        count(DeliveryStatus::Pending),
        count(DeliveryStatus::Sending),
        count(DeliveryStatus::Dead),
    );
    let accepted = outcome.accepted as usize;
    let all_healthy = setup.receivers.iter().all(|r| r.behaviour == Behaviour::Healthy);
    let ok = events == accepted
        && deliveries.len() == events
        && delivered + pending + sending == deliveries.len()
        && dead == 0
        && (!all_healthy || delivered == events);
    (
        format!(
            "accepted {accepted}, events {events}, deliveries {} = delivered {delivered} + pending {pending} + sending {sending} (dead {dead})",
            deliveries.len()
        ),
        ok,
    )
}

fn closed_scenario(
    name: &'static str,
    behaviours: &[Behaviour],
    options: &Options,
    servers: &tokio::runtime::Runtime,
    generator: &tokio::runtime::Runtime,
) -> (Figures, Vec<f64>) {
    let mut setup = Setup::start(servers, generator, behaviours, options);
    let warmup = Duration::from_secs(options.warmup);
    let measure = Duration::from_secs(options.seconds);
    let t0 = Instant::now();
    let cpu_before = load::process_cpu_us();
    let outcome = generator.block_on(load::closed_loop(
        &setup.target,
        options.connections,
        warmup,
        measure,
    ));
    let (from, to) = (t0 + warmup, t0 + warmup + measure);
    let window = measure.as_secs_f64();
    let per_destination: Vec<f64> = setup
        .receivers
        .iter()
        .map(|r| r.arrivals_between(from, to) as f64 / window)
        .collect();
    let healthy: f64 = setup.healthy().map(|(shard, _)| per_destination[shard]).sum();
    let drain = setup.drain(&outcome, Duration::from_secs(options.drain));
    let cpu_us_per_delivery = cpu_per_delivery(cpu_before, &setup);
    let failed: u64 = setup.receivers.iter().map(Receiver::failed).sum();
    let repeats: usize = setup.receivers.iter().map(|r| r.arrivals() - r.delivered()).sum();
    let (check, ok) = check_store(servers, &mut setup, &outcome);
    let figures = Figures {
        name,
        ingested_per_second: outcome.accepted_per_second(),
        delivered_per_second: per_destination.iter().sum(),
        healthy_per_second: healthy,
        drain,
        cpu_us_per_delivery,
        latency: None,
        check: format!("{check}; receivers answered 500 {failed} times, saw {repeats} repeats"),
        ok,
    };
    println!("  {}", line(&figures));
    (figures, per_destination)
}

fn open_scenario(
    options: &Options,
    servers: &tokio::runtime::Runtime,
    generator: &tokio::runtime::Runtime,
) -> Figures {
    let behaviours = vec![Behaviour::Healthy; options.destinations];
    let mut setup = Setup::start(servers, generator, &behaviours, options);
    let warmup = Duration::from_secs(options.warmup);
    let measure = Duration::from_secs(options.open_seconds);
    let t0 = Instant::now();
    let cpu_before = load::process_cpu_us();
    let outcome = generator.block_on(load::open_loop(
        &setup.target,
        options.rate,
        options.connections.max(64),
        warmup,
        measure,
    ));
    let drain = setup.drain(&outcome, Duration::from_secs(options.drain));
    let cpu_us_per_delivery = cpu_per_delivery(cpu_before, &setup);
    let measure_from = t0 + warmup;
    let mut latencies = Vec::new();
    let mut missing = 0;
    for ack in outcome.acks.iter().filter(|ack| ack.at >= measure_from) {
        let arrival = setup
            .webhook_id(&ack.event_id, ack.template)
            .and_then(|id| setup.receivers[ack.template].first_arrival(&id));
        match arrival {
            Some(at) => latencies.push(at.saturating_duration_since(ack.at)),
            None => missing += 1,
        }
    }
    latencies.sort_unstable();
    let (check, ok) = check_store(servers, &mut setup, &outcome);
    let delivered = latencies.len() as f64 / measure.as_secs_f64();
    let figures = Figures {
        name: "open",
        ingested_per_second: outcome.accepted_per_second(),
        delivered_per_second: delivered,
        healthy_per_second: delivered,
        drain,
        cpu_us_per_delivery,
        latency: Some((
            percentile_ms(&latencies, 0.5),
            percentile_ms(&latencies, 0.99),
            latencies.last().map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
            missing,
        )),
        check,
        ok: ok && missing == 0,
    };
    println!("  {}", line(&figures));
    figures
}

/// Process CPU µs since `before` per delivery the receivers answered `200`
/// (NaN when `/proc/self/stat` cannot be read).
fn cpu_per_delivery(before: Option<u64>, setup: &Setup) -> f64 {
    let delivered: usize = setup.receivers.iter().map(Receiver::delivered).sum();
    match (before, load::process_cpu_us()) {
        (Some(before), Some(now)) if delivered > 0 => (now - before) as f64 / delivered as f64,
        _ => f64::NAN,
    }
}

fn line(f: &Figures) -> String {
    let latency = f.latency.map_or(String::new(), |(p50, p99, max, missing)| {
        format!("  accept→receiver p50 {p50:.1} ms p99 {p99:.1} ms max {max:.1} ms (missing {missing})")
    });
    format!(
        "{:<8} ingested {:>6.0}/s  delivered {:>6.0}/s  healthy {:>6.0}/s  drain {}  CPU {:.0} µs/delivery{latency}\n           store: {}{}",
        f.name,
        f.ingested_per_second,
        f.delivered_per_second,
        f.healthy_per_second,
        f.drain
            .map_or("TIMEOUT".to_owned(), |d| format!("{:.1} s", d.as_secs_f64())),
        f.cpu_us_per_delivery,
        f.check,
        if f.ok { "" } else { "  FAILED" },
    )
}

fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprint!("{message}\n{HELP}");
            return ExitCode::from(2);
        }
    };
    let servers = weir::server::runtime().expect("server runtime");
    let generator = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("generator runtime");
    println!(
        "delivery_load: {} cores, {} destinations (slack transformer), closed loop {} connections x {} s (+{} s warm-up), open loop {} events/s x {} s, slow = {} ms",
        std::thread::available_parallelism().map_or(0, usize::from),
        options.destinations,
        options.connections,
        options.seconds,
        options.warmup,
        options.rate,
        options.open_seconds,
        options.slow_ms,
    );
    let defaults = weir::config::DeliveryConfig::default();
    println!(
        "delivery.concurrency {}, delivery.per_destination_concurrency {}",
        options.concurrency.unwrap_or(defaults.concurrency),
        options
            .per_destination
            .unwrap_or(defaults.per_destination_concurrency),
    );
    let wanted = |name: &str| options.only.as_deref().is_none_or(|word| name.contains(word));
    let healthy = vec![Behaviour::Healthy; options.destinations];
    let with_unwell = |behaviour| {
        let mut behaviours = healthy.clone();
        behaviours[..options.unwell].fill(behaviour);
        behaviours
    };
    let failing = with_unwell(Behaviour::Failing);
    let slow = with_unwell(Behaviour::Slow(Duration::from_millis(options.slow_ms)));
    let mut results = Vec::new();
    let mut clean_rates = None;
    if wanted("clean") {
        let (figures, rates) = closed_scenario("clean", &healthy, &options, &servers, &generator);
        results.push(figures);
        clean_rates = Some(rates);
    }
    if wanted("open") {
        results.push(open_scenario(&options, &servers, &generator));
    }
    let mut comparisons = Vec::new();
    for (name, behaviours) in [("failing", &failing), ("slow", &slow)] {
        if wanted(name) {
            let (figures, _) = closed_scenario(name, behaviours, &options, &servers, &generator);
            if let Some(clean) = &clean_rates {
                let clean_healthy: f64 = clean.iter().skip(options.unwell).sum();
                comparisons.push((name, figures.healthy_per_second / clean_healthy));
            }
            results.push(figures);
        }
    }
    println!();
    println!(
        "| scenario | ingested/s | delivered/s | healthy destinations delivered/s | drain s | CPU µs per delivery | p50 ms | p99 ms |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for f in &results {
        let (p50, p99) = f
            .latency
            .map_or(("".to_owned(), "".to_owned()), |(p50, p99, ..)| {
                (format!("{p50:.1}"), format!("{p99:.1}"))
            });
        println!(
            "| {} | {:.0} | {:.0} | {:.0} | {} | {:.0} | {p50} | {p99} |",
            f.name,
            f.ingested_per_second,
            f.delivered_per_second,
            f.healthy_per_second,
            f.drain
                .map_or("timeout".to_owned(), |d| format!("{:.1}", d.as_secs_f64())),
            f.cpu_us_per_delivery,
        );
    }
    for (name, ratio) in &comparisons {
        println!("{name}: the healthy destinations delivered {ratio:.2} of their rate in `clean`");
    }
    let failed: Vec<&Figures> = results.iter().filter(|f| !f.ok || f.drain.is_none()).collect();
    if failed.is_empty() {
        println!("every scenario: events == 202s, one delivery each, delivered + pending == deliveries");
        ExitCode::SUCCESS
    } else {
        for f in failed {
            eprintln!("FAILED: {}: {}", f.name, f.check);
        }
        ExitCode::FAILURE
    }
}
