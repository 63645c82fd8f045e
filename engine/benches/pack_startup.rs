//! Criterion benchmark of start-up with 20 packs: loading a plugins
//! directory cold (every component compiled) versus from the compiled-
//! component cache, side by side in one run. Each pack is a copy of a
//! first-party pack with a distinct custom section, so no two components
//! share a cache entry.
//!
//! Run with `cargo xtask bench -- pack_startup` (builds the packs first).

// `criterion_group!` generates undocumented public items.
#![allow(missing_docs)]

#[path = "../../tests/e2e/support/wasm.rs"]
mod wasm;

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use weir::config::PackLimits;
use weir::host::PluginHost;

const PACKS: usize = 20;

/// Writes 20 distinct packs (alternately the github connector and the
/// slack transformer) into `plugins`.
fn make_plugins(plugins: &Path) {
    let installed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../plugins");
    let sources = [("github", "github.wasm"), ("slack", "slack-transformer.wasm")];
    for n in 0..PACKS {
        let (pack, component) = sources[n % 2];
        let source = installed.join(pack);
        let manifest = std::fs::read_to_string(source.join("pack.toml"))
            .expect("packs built: run `cargo xtask bench`")
            .replace(
                &format!("name = \"{pack}\"\nversion"),
                &format!("name = \"{pack}-{n:02}\"\nversion"),
            );
        let target = plugins.join(format!("{pack}-{n:02}"));
        std::fs::create_dir_all(&target).expect("dir");
        std::fs::write(target.join("pack.toml"), manifest).expect("manifest");
        if source.join("schemas").is_dir() {
            std::fs::create_dir_all(target.join("schemas")).expect("dir");
            for entry in std::fs::read_dir(source.join("schemas"))
                .expect("schemas")
                .flatten()
            {
                std::fs::copy(entry.path(), target.join("schemas").join(entry.file_name())).expect("schema");
            }
        }
        // The slack pack also holds a connector; keep only what the bench needs.
        let mut bytes = std::fs::read(source.join(component)).expect("component");
        wasm::append_custom_section(&mut bytes, "weir-bench-copy", &n.to_le_bytes());
        std::fs::write(target.join(component), bytes).expect("component");
        if pack == "slack" {
            let connector = std::fs::read(source.join("slack-connector.wasm")).expect("connector");
            let mut connector = connector;
            wasm::append_custom_section(&mut connector, "weir-bench-copy", &n.to_le_bytes());
            std::fs::write(target.join("slack-connector.wasm"), connector).expect("connector");
        }
    }
}

fn start(plugins: &Path, cache: &Path) -> usize {
    let host = PluginHost::new(PackLimits::default(), Some(cache.to_owned())).expect("host");
    host.load_dir(plugins);
    let loaded = host.registry().pack_names().len();
    assert_eq!(loaded, PACKS, "every pack loads");
    loaded
}

fn bench(c: &mut Criterion) {
    let work = tempfile::tempdir().expect("temp");
    let plugins = work.path().join("plugins");
    make_plugins(&plugins);
    let warm_cache = work.path().join("warm-cache");
    start(&plugins, &warm_cache);

    let mut group = c.benchmark_group("startup_20_packs");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(60));
    group.bench_function("cold_compile", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("empty cache"),
            |cache| start(&plugins, cache.path()),
            BatchSize::PerIteration,
        );
    });
    group.bench_function("from_compiled_cache", |b| {
        b.iter(|| start(&plugins, &warm_cache));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
