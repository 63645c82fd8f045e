//! [`CallState`]: what one pack call's `Store` holds — a WASI context that
//! grants nothing, resource limits, the deadline and captured output.

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Per-call state; a fresh one for every call, so nothing leaks between
/// calls or tenants.
pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    /// Memory and table limits.
    pub limiter: CallLimiter,
    /// When the call must be interrupted.
    pub deadline: Instant,
    /// `pack/component`, for logs.
    pub component: Arc<str>,
    /// Log lines written so far.
    pub log_lines: u32,
    /// Captured stdout and stderr.
    pub output: GuestOutput,
}

impl CallState {
    /// State for one call of `component` with the given limits.
    pub fn new(component: Arc<str>, memory_bytes: usize, deadline: Instant, output_cap: usize) -> Self {
        let output = GuestOutput::new(output_cap);
        // No preopens, no environment, no arguments, no network: a pack
        // sees nothing of the machine. stdin is closed.
        let wasi = WasiCtx::builder()
            .stdout(output.clone())
            .stderr(output.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            limiter: CallLimiter {
                memory_bytes,
                memory_exceeded: false,
            },
            deadline,
            component,
            log_lines: 0,
            output,
        }
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Refuses memory growth beyond the call's limit and remembers that it did,
/// so the failure is reported as "memory limit" rather than a bare trap.
pub struct CallLimiter {
    memory_bytes: usize,
    /// Set when the guest tried to grow past the limit.
    pub memory_exceeded: bool,
}

/// Table growth is capped here; Rust guests need a few hundred entries.
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl ResourceLimiter for CallLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            self.memory_exceeded = true;
            return Err(wasmtime::format_err!(
                "memory limit of {} bytes exceeded (wanted {desired})",
                self.memory_bytes
            ));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

/// A guest's stdout/stderr: kept up to a cap, the rest silently dropped
/// (and counted), so a chatty pack neither fills memory nor fails.
#[derive(Clone)]
pub struct GuestOutput {
    inner: Arc<Mutex<OutputBuffer>>,
}

struct OutputBuffer {
    bytes: Vec<u8>,
    cap: usize,
    dropped: usize,
}

impl GuestOutput {
    fn new(cap: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(OutputBuffer {
                bytes: Vec::new(),
                cap,
                dropped: 0,
            })),
        }
    }

    /// What the guest wrote (up to the cap) and how many bytes were dropped.
    pub fn take(&self) -> (Vec<u8>, usize) {
        match self.inner.lock() {
            Ok(mut buffer) => (std::mem::take(&mut buffer.bytes), buffer.dropped),
            Err(_) => (Vec::new(), 0),
        }
    }
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl GuestOutput {
    fn keep(&self, bytes: &[u8]) {
        if let Ok(mut buffer) = self.inner.lock() {
            let room = buffer.cap.saturating_sub(buffer.bytes.len());
            let kept = room.min(bytes.len());
            buffer.bytes.extend_from_slice(&bytes[..kept]);
            buffer.dropped += bytes.len() - kept;
        }
    }
}

impl StdoutStream for GuestOutput {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }

    /// A direct, synchronous stream: WASI writes land in the buffer without
    /// a background task, so a chatty guest stays cheap.
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
}

/// Room advertised to the guest per write; writes beyond the cap are
/// accepted and dropped, so the guest never sees an error.
const WRITE_BUDGET: usize = 64 * 1024;

impl OutputStream for GuestOutput {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        self.keep(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_BUDGET)
    }
}

#[async_trait::async_trait]
impl Pollable for GuestOutput {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for GuestOutput {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.keep(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: std::pin::Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: std::pin::Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
