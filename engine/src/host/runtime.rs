//! [`Runtime`]: the one wasmtime `Engine` (pooling allocator, epoch
//! interruption), the linkers for both worlds, and the epoch ticker.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::bindings::{connector, transformer};
use super::state::CallState;
use crate::config::PackLimits;

/// One epoch tick; deadlines are checked (and long calls yield) this often.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The engine could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot start the WebAssembly runtime: {0}")]
pub struct RuntimeError(pub String);

/// The compiled-code engine and what every call shares.
pub struct Runtime {
    engine: Engine,
    connector_linker: Linker<CallState>,
    transformer_linker: Linker<CallState>,
    _ticker: EpochTicker,
}

impl Runtime {
    /// Builds the engine for `limits`.
    pub fn new(limits: &PackLimits) -> Result<Self, RuntimeError> {
        let engine = Engine::new(&engine_config(limits)).map_err(|e| RuntimeError(e.to_string()))?;
        let connector_linker = linker(&engine, |linker| {
            connector::Connector::add_to_linker::<CallState, HasSelf<CallState>>(linker, |state| state)
        })?;
        let transformer_linker = linker(&engine, |linker| {
            transformer::Transformer::add_to_linker::<CallState, HasSelf<CallState>>(linker, |state| state)
        })?;
        let ticker = EpochTicker::start(engine.clone()).map_err(|e| RuntimeError(e.to_string()))?;
        Ok(Self {
            engine,
            connector_linker,
            transformer_linker,
            _ticker: ticker,
        })
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The linker for `connector` components.
    pub fn connector_linker(&self) -> &Linker<CallState> {
        &self.connector_linker
    }

    /// The linker for `transformer` components.
    pub fn transformer_linker(&self) -> &Linker<CallState> {
        &self.transformer_linker
    }
}

fn engine_config(limits: &PackLimits) -> Config {
    let instances = limits.max_instances;
    let mut pool = PoolingAllocationConfig::default();
    // A Rust component instantiates a handful of core instances (its module
    // plus canonical-ABI shims) and one memory; a componentize-py component
    // about forty core instances. Core-instance and table slots are cheap
    // (address space, committed lazily), so leave room for both kinds.
    pool.total_component_instances(instances)
        .total_core_instances(instances.saturating_mul(64))
        .total_memories(instances.saturating_mul(2))
        .total_tables(instances.saturating_mul(64))
        .total_stacks(instances)
        .max_memory_size(limits.memory_bytes)
        // Resetting a slot's first bytes with memset instead of madvise
        // avoids page faults and TLB shootdowns on every call: measured
        // with `cargo xtask bench`, it halves the fixed cost of a fresh
        // instance for guests built with the packs' 256 KiB stack.
        .linear_memory_keep_resident(limits.keep_resident_bytes)
        .table_keep_resident(limits.keep_resident_bytes)
        // On Linux 6.7+ the `PAGEMAP_SCAN` ioctl tells wasmtime which of
        // those pages a call actually dirtied, so it resets only those
        // instead of memsetting all `keep_resident_bytes`; elsewhere it
        // falls back to the plain memset. Measured with `cargo bench -p
        // weir --bench pack_calls`: the github connector's call 28.8 → 25.0
        // µs, a fresh instance's fixed cost 19.0 → 14.5 µs (two runs each).
        .pagemap_scan(Enabled::Auto);
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        // Explicit, as documented in docs/packs.md: deeper recursion traps
        // as `stack_overflow`.
        .max_wasm_stack(512 * 1024)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    config
}

/// WASI p2 with nothing granted (see `CallState::new`) plus `weir:pack/host`.
fn linker(
    engine: &Engine,
    add_world: impl FnOnce(&mut Linker<CallState>) -> wasmtime::Result<()>,
) -> Result<Linker<CallState>, RuntimeError> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| RuntimeError(e.to_string()))?;
    add_world(&mut linker).map_err(|e| RuntimeError(e.to_string()))?;
    Ok(linker)
}

/// Advances the engine's epoch every [`EPOCH_TICK`] on its own thread until
/// dropped.
struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    fn start(engine: Engine) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("weir-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
