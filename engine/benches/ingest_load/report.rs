//! Percentiles and the result tables (Markdown, so they paste into docs).

use super::load::Outcome;

/// One round's figures.
#[derive(Clone, Copy)]
struct Round {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    p999_ms: f64,
    max_ms: f64,
    lag_p99_ms: f64,
    cpu_us: f64,
}

/// A scenario's rounds.
pub struct Row {
    /// The scenario.
    pub name: &'static str,
    rounds: Vec<Round>,
}

impl Row {
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            rounds: Vec::new(),
        }
    }

    pub fn add(&mut self, outcome: &Outcome) {
        self.rounds.push(round(outcome));
    }

    fn median(&self, field: impl Fn(&Round) -> f64) -> f64 {
        let mut values: Vec<f64> = self.rounds.iter().map(field).collect();
        values.sort_by(f64::total_cmp);
        match values.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => values[n / 2],
            n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
        }
    }

    fn all(&self, field: impl Fn(&Round) -> f64, digits: usize) -> String {
        self.rounds
            .iter()
            .map(|r| format!("{:.digits$}", field(r)))
            .collect::<Vec<_>>()
            .join(" / ")
    }

    fn worst(&self, field: impl Fn(&Round) -> f64) -> f64 {
        self.rounds.iter().map(field).fold(f64::NAN, f64::max)
    }
}

fn round(outcome: &Outcome) -> Round {
    let mut latencies = outcome.latencies_us.clone();
    latencies.sort_unstable();
    let mut lag = outcome.send_lag_us.clone();
    lag.sort_unstable();
    Round {
        per_second: outcome.accepted_per_second(),
        p50_ms: percentile_ms(&latencies, 0.50),
        p99_ms: percentile_ms(&latencies, 0.99),
        p999_ms: percentile_ms(&latencies, 0.999),
        max_ms: latencies.last().map_or(f64::NAN, |&us| f64::from(us) / 1000.0),
        lag_p99_ms: percentile_ms(&lag, 0.99),
        cpu_us: outcome.cpu_us_per_accept(),
    }
}

/// The `p` quantile (nearest rank) of sorted µs values, in ms.
fn percentile_ms(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    f64::from(sorted[rank - 1]) / 1000.0
}

/// One line per run, printed as it finishes.
pub fn one_line(outcome: &Outcome) -> String {
    let r = round(outcome);
    let lag = if outcome.send_lag_us.is_empty() {
        String::new()
    } else {
        format!("  send lag p99 {:.2} ms", r.lag_p99_ms)
    };
    format!(
        "{:>9.0} accepted/s  p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>7.2} ms  CPU {:>4.0} µs/202  ({} in window, {} non-202, {} errors){lag}",
        r.per_second,
        r.p50_ms,
        r.p99_ms,
        r.max_ms,
        r.cpu_us,
        outcome.latencies_us.len(),
        outcome.other_statuses.values().sum::<u64>(),
        outcome.errors,
    )
}

/// The closed-loop table: medians over rounds, ratio to the bare handler
/// (the first row), and every round's throughput.
pub fn print_closed(rows: &[Row], connections: usize) {
    println!("closed loop, {connections} connections (median of rounds):");
    println!();
    println!(
        "| scenario | accepted/s | p50 ms | p99 ms | ratio to bare | CPU µs per 202 | accepted/s per round |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
    let bare = rows.first().map_or(f64::NAN, |row| row.median(|r| r.per_second));
    for row in rows.iter().filter(|row| !row.rounds.is_empty()) {
        let per_second = row.median(|r| r.per_second);
        println!(
            "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.0} | {} |",
            row.name,
            per_second,
            row.median(|r| r.p50_ms),
            row.median(|r| r.p99_ms),
            per_second / bare,
            row.median(|r| r.cpu_us),
            row.all(|r| r.per_second, 0),
        );
    }
}

/// The open-loop table: medians over rounds, worst max.
pub fn print_open(rows: &[Row], rate: u32) {
    println!(
        "open loop, {rate} req/s offered, latency from scheduled send time (median of rounds; max is the worst round):"
    );
    println!();
    println!(
        "| scenario | achieved/s | p50 ms | p99 ms | p99.9 ms | max ms | generator send lag p99 ms | p99 per round |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    for row in rows.iter().filter(|row| !row.rounds.is_empty()) {
        println!(
            "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
            row.name,
            row.median(|r| r.per_second),
            row.median(|r| r.p50_ms),
            row.median(|r| r.p99_ms),
            row.median(|r| r.p999_ms),
            row.worst(|r| r.max_ms),
            row.median(|r| r.lag_p99_ms),
            row.all(|r| r.p99_ms, 2),
        );
    }
}
