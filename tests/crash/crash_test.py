#!/usr/bin/env python3
"""Ingest crash test (issue 4): SIGKILL `weir serve` at random moments while
signed GitHub webhooks arrive, restart it on the same data dir each time,
then prove through the API that every acknowledged (2xx) event is stored
and no delivery id (idempotency key) is stored twice.

Run with `cargo xtask crash-test` (builds the release binary and the packs
first), or directly: python3 tests/crash/crash_test.py --help
Standard library only. Exit status 0 only if no violation was found."""

import argparse
import os
import random
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weirproc  # noqa: E402


def arguments(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--binary", default=os.path.join(weirproc.ROOT, "target/release/weir"))
    parser.add_argument("--kills", type=int, default=30, help="SIGKILLs (default 30)")
    parser.add_argument("--threads", type=int, default=4, help="sender threads (default 4)")
    parser.add_argument("--rate", type=float, default=400.0, help="offered webhooks/s over all threads (default 400)")
    parser.add_argument("--min-up", type=float, default=0.2, help="shortest time up before a kill, s (default 0.2)")
    parser.add_argument("--max-up", type=float, default=2.0, help="longest time up before a kill, s (default 2.0)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random, printed)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--durability",
        choices=["fsync", "flush", "none"],
        default=None,
        help="run Weir with this ingest.durability (default: Weir's own, fsync); "
        "`none` acknowledges before flushing and should make the test fail",
    )
    return parser


def run_senders(engine, path, threads, rate, stop):
    """Starts sender threads posting at `rate`/s in total until `stop`."""
    payload = weirproc.push_payload()
    senders = [weirproc.Sender(engine, path, f"crash-{os.getpid()}-{t}", payload) for t in range(threads)]
    interval = threads / rate if rate > 0 else 0.0

    def loop(sender):
        next_at = time.monotonic()
        while not stop.is_set():
            failed_before = sender.failed
            sender.post_one(timeout=10.0)
            if sender.failed > failed_before:
                time.sleep(0.01)  # engine down: do not spin
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_at = time.monotonic()

    workers = [threading.Thread(target=loop, args=(s,), daemon=True) for s in senders]
    for worker in workers:
        worker.start()
    return senders, workers


def kill_loop(engine, kills, min_up, max_up, rng, on_restart=None):
    """SIGKILLs the engine `kills` times at random moments, restarting it
    on the same data dir after each kill."""
    for n in range(1, kills + 1):
        time.sleep(rng.uniform(min_up, max_up))
        engine.kill()
        engine.start()
        if on_restart:
            on_restart(n)
        if n % 5 == 0 or n == kills:
            print(f"  {n}/{kills} kills", flush=True)


def verify_ingest(engine, senders):
    """Every acknowledged event stored under its delivery id; no
    idempotency key twice. Returns (stored events, violations)."""
    events = engine.all_events()
    violations = []
    by_id = {}
    by_key = {}
    for event in events:
        if event["id"] in by_id:
            violations.append(f"event {event['id']} listed twice")
        by_id[event["id"]] = event
        key = event["weir"]["idempotency_key"]
        if key in by_key:
            violations.append(f"delivery id {key} stored twice: {by_key[key]} and {event['id']}")
        by_key[key] = event["id"]
    acked = 0
    for sender in senders:
        for delivery, event_id in sender.acked.items():
            acked += 1
            event = by_id.get(event_id)
            if event is None:
                violations.append(f"acknowledged event {event_id} (delivery {delivery}) is not stored")
            elif event["weir"]["idempotency_key"] != delivery:
                violations.append(
                    f"acknowledged event {event_id} carries delivery {event['weir']['idempotency_key']}, not {delivery}"
                )
    return events, acked, violations


def main():
    args = arguments(__doc__.splitlines()[0]).parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    rng = random.Random(seed)
    if not os.path.exists(args.binary):
        sys.exit(f"no weir binary at {args.binary}: run `cargo xtask crash-test`")
    workdir = tempfile.mkdtemp(prefix="weir-crash-")
    engine = weirproc.Engine(args.binary, workdir, ["github"], weirproc.config_args(workdir, args.durability))
    print(
        f"ingest crash test: seed {seed}, {args.kills} kills, {args.threads} threads at {args.rate:.0f}/s, "
        f"up {args.min_up}-{args.max_up} s between kills, dir {workdir}",
        flush=True,
    )
    started = time.monotonic()
    engine.start()
    path = engine.create_github_trigger()
    stop = threading.Event()
    senders, workers = run_senders(engine, path, args.threads, args.rate, stop)
    try:
        kill_loop(engine, args.kills, args.min_up, args.max_up, rng)
        time.sleep(args.min_up)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
    events, acked, violations = verify_ingest(engine, senders)
    engine.stop()
    sent = sum(s.sent for s in senders)
    failed = sum(s.failed for s in senders)
    statuses = {}
    for sender in senders:
        for status, count in sender.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    print(
        f"kills {args.kills}, starts {engine.starts}, requests sent {sent} (connection failures {failed}, "
        f"statuses {dict(sorted(statuses.items()))}), acknowledged {acked}, stored {len(events)}, "
        f"verified {acked - sum(1 for v in violations if v.startswith('acknowledged'))}, "
        f"violations {len(violations)}, {time.monotonic() - started:.0f} s"
    )
    if violations:
        for violation in violations[:50]:
            print("VIOLATION:", violation)
        print(f"FAILED (seed {seed}); engine log: {engine.log_path}")
        return 1
    if acked == 0:
        print("FAILED: nothing was acknowledged")
        return 1
    print("OK: every acknowledged event is stored; no delivery id is stored twice")
    if not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
