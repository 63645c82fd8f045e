//! [`Lanes`]: the dispatcher's bookkeeping of attempts in flight, in total
//! and per destination, and of claimed deliveries waiting in memory for
//! their destination's turn. Pure: no I/O, no clock (times are passed in).
//!
//! Each destination has a lane with its own cap on attempts in flight; the
//! global limit only bounds the total. A claimed delivery whose lane is at
//! its cap waits in that lane (it holds no global slot), so a destination
//! that answers slowly occupies at most its cap, never the whole pool.
//! Lanes with waiting work and a free slot take global slots in turn
//! (round robin), so one busy destination cannot starve the others.
//!
//! A lane holds at most `cap × waiting_per_slot` waiting deliveries and
//! all lanes together at most `max_waiting`. A delivery claimed beyond
//! that is *spilled*: the caller puts it back in the store's due queue for
//! the time this lane is expected to have room for it (from its recent
//! attempt durations), spacing successive spills so that a destination
//! that stays slow has its backlog re-claimed about once, not over and
//! over, while claims for healthy destinations never stop.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// Waiting deliveries a lane may hold per slot of its cap: with the
/// default cap of 16, 1,024, i.e. about a minute of work for a destination
/// answering in one second, enough to keep it busy between claims.
pub const WAITING_PER_SLOT: usize = 64;

/// Waiting deliveries all lanes together may hold before the dispatcher
/// stops claiming. A claimed delivery carries no payload (a few hundred
/// bytes), so this is tens of MB at worst, and it takes dozens of
/// saturated destinations at once to reach it.
pub const MAX_WAITING: usize = 32_768;

/// The attempt duration assumed for a lane before any of its attempts
/// ended (only used to space spilled deliveries).
pub const DEFAULT_ATTEMPT_MS: u64 = 1_000;

/// The furthest ahead a spilled delivery is put back. A destination that
/// recovers then waits at most this long for its spilled deliveries; one
/// that stays slow has the rest of its backlog re-claimed at most once per
/// this period.
pub const MAX_SPILL_AHEAD_MS: u64 = 5 * 60 * 1000;

/// How many deliveries the dispatcher claims at least in one go when it
/// has room (fewer, larger claim transactions; the extra wait in memory).
pub const MIN_CLAIM: usize = 16;

/// The limits a [`Lanes`] enforces.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Attempts in flight at once, all destinations together.
    pub global: usize,
    /// Waiting deliveries a lane may hold per slot of its cap.
    pub waiting_per_slot: usize,
    /// Waiting deliveries all lanes together may hold.
    pub max_waiting: usize,
}

impl Limits {
    /// `global` attempts in flight, the other limits at their defaults.
    pub fn new(global: usize) -> Self {
        Self {
            global: global.max(1),
            waiting_per_slot: WAITING_PER_SLOT,
            max_waiting: MAX_WAITING,
        }
    }
}

/// What to do with a claimed delivery.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission<T> {
    /// Start its attempt now: a global and a lane slot are taken for it;
    /// give them back with [`Lanes::finished`].
    Start(T),
    /// It waits in its lane; [`Lanes::next_start`] hands it out later.
    Queued,
    /// No room: put it back in the due queue for `at_ms`.
    Spill {
        /// The delivery.
        item: T,
        /// When it should be due again.
        at_ms: u64,
    },
}

/// Attempts in flight and waiting deliveries, per destination `K`.
#[derive(Debug)]
pub struct Lanes<K, T> {
    limits: Limits,
    running: usize,
    waiting: usize,
    lanes: HashMap<K, Lane<T>>,
    /// Lanes with waiting work and a free slot of their own, in the order
    /// they get the next global slots. A lane is listed at most once
    /// (`Lane::ready`).
    ready: VecDeque<K>,
}

#[derive(Debug)]
struct Lane<T> {
    cap: usize,
    running: usize,
    waiting: VecDeque<T>,
    ready: bool,
    /// Moving average of this lane's attempt durations (ms).
    attempt_ms: Option<u64>,
    /// The earliest time the next spilled delivery may be put back for.
    spill_from_ms: u64,
}

impl<T> Lane<T> {
    fn new(cap: usize) -> Self {
        Self {
            cap,
            running: 0,
            waiting: VecDeque::new(),
            ready: false,
            attempt_ms: None,
            spill_from_ms: 0,
        }
    }

    fn can_start(&self) -> bool {
        self.running < self.cap
    }

    fn is_idle(&self) -> bool {
        self.running == 0 && self.waiting.is_empty()
    }

    /// The time this lane is expected to take per delivery once its cap
    /// is busy (ms, at least 1).
    fn pace_ms(&self) -> u64 {
        let attempt = self.attempt_ms.unwrap_or(DEFAULT_ATTEMPT_MS);
        (attempt / u64::try_from(self.cap.max(1)).unwrap_or(u64::MAX)).max(1)
    }

    /// When a delivery spilled now should be due again: after what waits
    /// already and after the previous spill, never more than
    /// [`MAX_SPILL_AHEAD_MS`] ahead.
    fn spill_at(&mut self, now_ms: u64) -> u64 {
        let pace = self.pace_ms();
        let behind_waiting = now_ms.saturating_add(pace.saturating_mul(self.waiting.len() as u64));
        let latest = now_ms.saturating_add(MAX_SPILL_AHEAD_MS);
        let at = behind_waiting.max(self.spill_from_ms).min(latest);
        self.spill_from_ms = at.saturating_add(pace).min(latest);
        at
    }

    fn record(&mut self, elapsed_ms: u64) {
        self.attempt_ms = Some(match self.attempt_ms {
            // An exponential moving average weighting the newest 1/8.
            Some(average) => (average.saturating_mul(7).saturating_add(elapsed_ms)) / 8,
            None => elapsed_ms,
        });
    }
}

impl<K: Copy + Eq + Hash, T> Lanes<K, T> {
    /// Empty lanes under `limits`.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            running: 0,
            waiting: 0,
            lanes: HashMap::new(),
            ready: VecDeque::new(),
        }
    }

    /// Attempts in flight.
    pub fn running(&self) -> usize {
        self.running
    }

    /// Deliveries waiting in memory.
    pub fn waiting(&self) -> usize {
        self.waiting
    }

    /// How many deliveries to claim from the due queue now, if any: only
    /// when a global slot is free that no waiting delivery can use, and
    /// the waiting deliveries are below their bound.
    pub fn wants_claim(&self) -> Option<usize> {
        let free = self.limits.global.saturating_sub(self.running);
        let room = self.limits.max_waiting.saturating_sub(self.waiting);
        (free > 0 && self.ready.is_empty() && room > 0).then(|| free.max(MIN_CLAIM).min(room))
    }

    /// Takes in `item`, claimed for destination `key` whose cap on
    /// attempts in flight is `cap`, at `now_ms`.
    pub fn admit(&mut self, key: K, item: T, cap: usize, now_ms: u64) -> Admission<T> {
        let cap = cap.max(1);
        let global_free = self.running < self.limits.global;
        let lane = self.lanes.entry(key).or_insert_with(|| Lane::new(cap));
        lane.cap = cap;
        if global_free && lane.can_start() && lane.waiting.is_empty() {
            lane.running += 1;
            self.running += 1;
            return Admission::Start(item);
        }
        let lane_room = lane.waiting.len() < cap.saturating_mul(self.limits.waiting_per_slot);
        if !(lane_room && self.waiting < self.limits.max_waiting) {
            let at_ms = lane.spill_at(now_ms);
            if lane.is_idle() {
                // Only reachable when every lane together is full; keep
                // the map to lanes with work.
                self.lanes.remove(&key);
            }
            return Admission::Spill { item, at_ms };
        }
        lane.waiting.push_back(item);
        self.waiting += 1;
        if lane.can_start() && !lane.ready {
            lane.ready = true;
            self.ready.push_back(key);
        }
        Admission::Queued
    }

    /// The next waiting delivery that may start now, taking a global and a
    /// lane slot for it; lanes take turns.
    pub fn next_start(&mut self) -> Option<(K, T)> {
        while self.running < self.limits.global {
            let key = self.ready.pop_front()?;
            let Some(lane) = self.lanes.get_mut(&key) else {
                continue;
            };
            lane.ready = false;
            if !lane.can_start() {
                continue;
            }
            let Some(item) = lane.waiting.pop_front() else {
                continue;
            };
            self.waiting -= 1;
            lane.running += 1;
            self.running += 1;
            if lane.can_start() && !lane.waiting.is_empty() {
                lane.ready = true;
                self.ready.push_back(key);
            }
            return Some((key, item));
        }
        None
    }

    /// An attempt for `key` ended after `elapsed_ms`: gives its slots back.
    pub fn finished(&mut self, key: K, elapsed_ms: u64) {
        let Entry::Occupied(mut entry) = self.lanes.entry(key) else {
            return;
        };
        let lane = entry.get_mut();
        if lane.running == 0 {
            return;
        }
        lane.running -= 1;
        self.running = self.running.saturating_sub(1);
        lane.record(elapsed_ms);
        if lane.is_idle() {
            entry.remove();
        } else if lane.can_start() && !lane.waiting.is_empty() && !lane.ready {
            lane.ready = true;
            self.ready.push_back(key);
        }
    }

    /// Empties every lane's waiting deliveries (at shutdown, to put them
    /// back in the due queue). Attempts in flight stay counted.
    pub fn drain_waiting(&mut self) -> Vec<T> {
        let mut drained = Vec::with_capacity(self.waiting);
        for lane in self.lanes.values_mut() {
            drained.extend(lane.waiting.drain(..));
            lane.ready = false;
        }
        self.lanes.retain(|_, lane| !lane.is_idle());
        self.ready.clear();
        self.waiting = 0;
        drained
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lanes(global: usize, waiting_per_slot: usize, max_waiting: usize) -> Lanes<char, u32> {
        Lanes::new(Limits {
            global,
            waiting_per_slot,
            max_waiting,
        })
    }

    #[test]
    fn a_destination_at_its_cap_waits_without_holding_global_slots() {
        let mut lanes = lanes(4, 8, 100);
        assert_eq!(lanes.admit('s', 1, 2, 0), Admission::Start(1));
        assert_eq!(lanes.admit('s', 2, 2, 0), Admission::Start(2));
        for n in 3..8 {
            assert_eq!(lanes.admit('s', n, 2, 0), Admission::Queued);
        }
        assert_eq!((lanes.running(), lanes.waiting()), (2, 5));
        assert_eq!(lanes.next_start(), None, "the slow lane is at its cap");
        // The healthy destination still gets the two global slots left.
        assert_eq!(lanes.admit('h', 10, 2, 0), Admission::Start(10));
        assert_eq!(lanes.admit('h', 11, 2, 0), Admission::Start(11));
        assert_eq!(lanes.wants_claim(), None, "every global slot is taken");
        lanes.finished('h', 5);
        assert_eq!(lanes.wants_claim(), Some(MIN_CLAIM));
        assert_eq!(lanes.admit('h', 12, 2, 0), Admission::Start(12));
    }

    #[test]
    fn lanes_with_waiting_work_take_free_global_slots_in_turn() {
        let mut lanes = lanes(2, 8, 100);
        assert_eq!(lanes.admit('a', 1, 4, 0), Admission::Start(1));
        assert_eq!(lanes.admit('a', 2, 4, 0), Admission::Start(2));
        for (key, n) in [('a', 3), ('a', 4), ('b', 5), ('b', 6), ('c', 7)] {
            assert_eq!(lanes.admit(key, n, 4, 0), Admission::Queued);
        }
        assert_eq!(lanes.wants_claim(), None);
        // Each attempt ends in turn, oldest first; whatever may start does.
        let mut running: VecDeque<char> = VecDeque::from(['a', 'a']);
        let mut order = Vec::new();
        while let Some(key) = running.pop_front() {
            lanes.finished(key, 1);
            if let Some((key, item)) = lanes.next_start() {
                running.push_back(key);
                order.push(item);
            }
        }
        assert_eq!(order, vec![3, 5, 7, 4, 6], "a, b, c, a, b");
        assert_eq!((lanes.running(), lanes.waiting()), (0, 0));
        assert!(lanes.lanes.is_empty());
    }

    #[test]
    fn a_full_lane_spills_at_its_expected_pace_while_others_keep_being_admitted() {
        let mut lanes = lanes(10, 2, 100);
        // Cap 2: two run, four (2 × 2) wait, the rest spill.
        for n in 0..6 {
            assert!(matches!(
                lanes.admit('s', n, 2, 0),
                Admission::Start(_) | Admission::Queued
            ));
        }
        // Attempts take 1,000 ms and the cap is 2: one delivery every
        // 500 ms once the lane is busy.
        lanes.finished('s', 1_000);
        assert_eq!(lanes.next_start(), Some(('s', 2)));
        assert_eq!(lanes.admit('s', 6, 2, 10_000), Admission::Queued);
        let spills: Vec<u64> = (0..3)
            .map(|n| match lanes.admit('s', 10 + n, 2, 10_000) {
                Admission::Spill { at_ms, .. } => at_ms,
                other => panic!("expected a spill, got {other:?}"),
            })
            .collect();
        // Behind the four waiting, then one pace apart.
        assert_eq!(spills, vec![12_000, 12_500, 13_000]);
        assert_eq!(lanes.admit('h', 99, 2, 10_000), Admission::Start(99));
    }

    #[test]
    fn spills_never_go_further_than_the_horizon() {
        let mut lanes = lanes(1, 1, 100);
        assert_eq!(lanes.admit('s', 0, 1, 0), Admission::Start(0));
        assert_eq!(lanes.admit('s', 1, 1, 0), Admission::Queued);
        lanes.finished('s', 60_000);
        assert_eq!(lanes.next_start(), Some(('s', 1)));
        assert_eq!(lanes.admit('s', 2, 1, 0), Admission::Queued);
        let spills: Vec<u64> = (3..100)
            .map(|n| match lanes.admit('s', n, 1, 0) {
                Admission::Spill { at_ms, .. } => at_ms,
                other => panic!("expected a spill, got {other:?}"),
            })
            .collect();
        assert_eq!(&spills[..2], &[60_000, 120_000]);
        assert_eq!(spills.iter().max(), Some(&MAX_SPILL_AHEAD_MS));
    }

    #[test]
    fn claims_stop_when_waiting_is_full_and_shutdown_drains_it() {
        let mut lanes = lanes(2, 100, 3);
        assert_eq!(lanes.admit('a', 0, 1, 0), Admission::Start(0));
        for n in 1..4 {
            assert_eq!(lanes.admit('a', n, 1, 0), Admission::Queued);
        }
        assert_eq!(lanes.wants_claim(), None, "three wait: the bound");
        assert!(matches!(lanes.admit('b', 9, 1, 0), Admission::Start(9)));
        lanes.finished('b', 1);
        assert!(matches!(lanes.admit('a', 4, 1, 0), Admission::Spill { .. }));
        let mut drained = lanes.drain_waiting();
        drained.sort_unstable();
        assert_eq!(drained, vec![1, 2, 3]);
        assert_eq!((lanes.running(), lanes.waiting()), (1, 0));
        lanes.finished('a', 1);
        assert_eq!(lanes.running(), 0);
        assert!(lanes.lanes.is_empty());
    }

    #[test]
    fn a_finished_attempt_for_an_unknown_lane_changes_nothing() {
        let mut lanes = lanes(2, 1, 100);
        lanes.finished('x', 1);
        assert_eq!(lanes.running(), 0);
        assert_eq!(lanes.wants_claim(), Some(MIN_CLAIM));
    }
}
