//! Offering load: closed loop (N connections, each sends its next request
//! as soon as the previous answer arrives) and open loop (requests
//! scheduled at a fixed rate, latency measured from each request's
//! scheduled send time so queueing in the generator counts too — no
//! coordinated omission).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::client::{Connection, RequestTemplate, first_event_id};

/// Where load goes and what to keep.
#[derive(Clone)]
pub struct Target {
    /// The server.
    pub addr: SocketAddr,
    /// The requests, each with a slot for the delivery id; request `n`
    /// uses template `n % len` (the delivery benchmark signs one body per
    /// destination shard).
    pub templates: Arc<[RequestTemplate]>,
    /// Keep the event id of every `202` (Weir) for the correctness check.
    pub collect_ids: bool,
    /// Keep every `202`'s event id, arrival time and template index
    /// (the delivery benchmark's latency from acceptance).
    pub collect_acks: bool,
}

/// One acknowledged request (when [`Target::collect_acks`]).
pub struct Ack {
    /// The event id the `202` named.
    pub event_id: String,
    /// When the `202` arrived.
    pub at: Instant,
    /// Which template the request used.
    pub template: usize,
}

/// What one run of load saw.
#[derive(Default)]
pub struct Outcome {
    /// Latency of every request completed in the measured window, in µs.
    pub latencies_us: Vec<u32>,
    /// Open loop: how late each measured request was sent after its
    /// scheduled time, in µs (the generator's own lag).
    pub send_lag_us: Vec<u32>,
    /// `202`s completed in the measured window.
    pub accepted_in_window: u64,
    /// Every `202`, warm-up included.
    pub accepted: u64,
    /// Event ids from every `202` (when collected).
    pub event_ids: Vec<String>,
    /// Every `202` with its time (when collected).
    pub acks: Vec<Ack>,
    /// Answers other than `202`, by status.
    pub other_statuses: BTreeMap<u16, u64>,
    /// Connection errors (connect, write or read failed).
    pub errors: u64,
    /// Length of the measured window.
    pub window: Duration,
    /// CPU time the whole process (generator, servers and their background
    /// work) spent on the run, warm-up and catch-up included, in µs; set by
    /// the caller ([`process_cpu_us`]), 0 when unknown.
    pub cpu_us: u64,
}

/// CPU time (user + system) this process has used so far, in µs, from
/// `/proc/self/stat` (clock ticks of 10 ms, the Linux `USER_HZ`).
pub fn process_cpu_us() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks * 10_000)
}

impl Outcome {
    fn merge(&mut self, other: Self) {
        self.latencies_us.extend(other.latencies_us);
        self.send_lag_us.extend(other.send_lag_us);
        self.accepted_in_window += other.accepted_in_window;
        self.accepted += other.accepted;
        self.event_ids.extend(other.event_ids);
        self.acks.extend(other.acks);
        for (status, count) in other.other_statuses {
            *self.other_statuses.entry(status).or_default() += count;
        }
        self.errors += other.errors;
    }

    /// `202`s per second in the measured window.
    pub fn accepted_per_second(&self) -> f64 {
        self.accepted_in_window as f64 / self.window.as_secs_f64()
    }

    /// Process CPU per `202`, in µs (NaN when not measured).
    pub fn cpu_us_per_accept(&self) -> f64 {
        if self.cpu_us == 0 || self.accepted == 0 {
            return f64::NAN;
        }
        self.cpu_us as f64 / self.accepted as f64
    }
}

/// Delivery ids unique across the process (each run uses fresh stores).
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

fn next_delivery(out: &mut String) -> u64 {
    out.clear();
    let n = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let _ = write!(out, "bench-{:08x}-{n:012}", std::process::id());
    n
}

fn micros(duration: Duration) -> u32 {
    u32::try_from(duration.as_micros()).unwrap_or(u32::MAX)
}

/// One connection's worker state.
struct Worker {
    target: Target,
    connection: Option<Connection>,
    request: Vec<u8>,
    delivery: String,
    outcome: Outcome,
}

/// One finished exchange.
struct Done {
    at: Instant,
    accepted: bool,
}

impl Worker {
    fn new(target: Target) -> Self {
        Self {
            target,
            connection: None,
            request: Vec::with_capacity(4096),
            delivery: String::with_capacity(64),
            outcome: Outcome::default(),
        }
    }

    /// Sends one request with a fresh delivery id; `None` on a connection
    /// error (counted; the next call reconnects).
    async fn send(&mut self) -> Option<Done> {
        if self.connection.is_none() {
            match Connection::open(self.target.addr).await {
                Ok(connection) => self.connection = Some(connection),
                Err(_) => {
                    self.outcome.errors += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    return None;
                }
            }
        }
        let n = next_delivery(&mut self.delivery);
        let templates = &self.target.templates;
        let template = usize::try_from(n).unwrap_or(0) % templates.len().max(1);
        templates[template].render(&self.delivery, &mut self.request);
        let connection = self.connection.as_mut()?;
        let (accepted, close) = match connection.exchange(&self.request).await {
            Ok(response) => {
                let accepted = response.status == 202;
                if accepted {
                    self.outcome.accepted += 1;
                    if self.target.collect_ids || self.target.collect_acks {
                        let id = first_event_id(response.body).unwrap_or_default().to_owned();
                        if self.target.collect_acks {
                            self.outcome.acks.push(Ack {
                                event_id: id.clone(),
                                at: Instant::now(),
                                template,
                            });
                        }
                        if self.target.collect_ids {
                            self.outcome.event_ids.push(id);
                        }
                    }
                } else {
                    *self.outcome.other_statuses.entry(response.status).or_default() += 1;
                }
                (accepted, response.close)
            }
            Err(_) => {
                self.outcome.errors += 1;
                self.connection = None;
                return None;
            }
        };
        if close {
            self.connection = None;
        }
        Some(Done {
            at: Instant::now(),
            accepted,
        })
    }
}

/// `connections` connections sending back to back for `warmup` and then
/// `measure`; latencies and throughput over the measured window only.
pub async fn closed_loop(
    target: &Target,
    connections: usize,
    warmup: Duration,
    measure: Duration,
) -> Outcome {
    let measure_from = Instant::now() + warmup;
    let end = measure_from + measure;
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let mut worker = Worker::new(target.clone());
            tokio::spawn(async move {
                while Instant::now() < end {
                    let started = Instant::now();
                    let Some(done) = worker.send().await else {
                        continue;
                    };
                    if done.at >= measure_from && done.at <= end {
                        worker.outcome.latencies_us.push(micros(done.at - started));
                        worker.outcome.accepted_in_window += u64::from(done.accepted);
                    }
                }
                worker.outcome
            })
        })
        .collect();
    collect(tasks, measure).await
}

/// Requests at `rate` per second for `warmup` then `measure`, spread over
/// up to `connections` connections. Latency counts from each request's
/// scheduled time: a request that waits for a free connection, or for a
/// late generator, is charged for the wait.
pub async fn open_loop(
    target: &Target,
    rate: u32,
    connections: usize,
    warmup: Duration,
    measure: Duration,
) -> Outcome {
    let interval = Duration::from_secs(1) / rate.max(1);
    let start = Instant::now() + Duration::from_millis(50);
    let measure_from = start + warmup;
    let total = u64::from(rate) * (warmup + measure).as_secs();
    let next = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let mut worker = Worker::new(target.clone());
            let next = Arc::clone(&next);
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= total {
                        break;
                    }
                    let scheduled = start + interval * u32::try_from(n).unwrap_or(u32::MAX);
                    tokio::time::sleep_until(scheduled).await;
                    let sent = Instant::now();
                    let Some(done) = worker.send().await else {
                        continue;
                    };
                    if scheduled >= measure_from {
                        worker.outcome.latencies_us.push(micros(done.at - scheduled));
                        worker.outcome.send_lag_us.push(micros(sent - scheduled));
                        worker.outcome.accepted_in_window += u64::from(done.accepted);
                    }
                }
                worker.outcome
            })
        })
        .collect();
    collect(tasks, measure).await
}

async fn collect(tasks: Vec<tokio::task::JoinHandle<Outcome>>, window: Duration) -> Outcome {
    let mut outcome = Outcome {
        window,
        ..Outcome::default()
    };
    for task in tasks {
        outcome.merge(task.await.expect("load task"));
    }
    outcome
}
