#!/usr/bin/env python3
"""Delivery crash test (issue 5): signed GitHub webhooks routed by a rule to
a receiver on 127.0.0.1; `weir serve` is SIGKILLed at random moments while
it sends and restarted on the same data dir. After the last restart the
test waits until everything stored was delivered, then proves that every
acknowledged event reached the receiver at least once and that repeats
carry the same `webhook-id` (distinct webhook-ids == stored events, no
unknown ids).

Run with `cargo xtask crash-test-delivery`, or directly:
python3 tests/crash/delivery_crash_test.py --help
Standard library only. Exit status 0 only if no violation was found."""

import http.server
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weirproc  # noqa: E402
from crash_test import arguments, kill_loop, run_senders, verify_ingest  # noqa: E402


class Receiver:
    """Records every POST: its `webhook-id` and the test's delivery key
    (`crash_delivery` in the body, which a rule without a transformer
    delivers as it came in)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.posts = []  # (webhook-id, crash_delivery)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length)
                try:
                    key = json.loads(body).get("crash_delivery")
                except ValueError:
                    key = None
                with receiver.lock:
                    receiver.posts.append((self.headers.get("webhook-id"), key))
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                # The engine is SIGKILLed mid-request on purpose: a reset
                # connection is expected, not worth a traceback.
                if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def snapshot(self):
        with self.lock:
            return list(self.posts)


def verify_deliveries(events, posts, acked_keys):
    """Returns violations: every stored event delivered, one webhook-id per
    event, no webhook-id the store does not explain."""
    violations = []
    stored_keys = {event["weir"]["idempotency_key"] for event in events}
    ids_by_key = {}
    keys_by_id = {}
    for webhook_id, key in posts:
        if not webhook_id or key is None:
            violations.append(f"a POST without webhook-id or delivery key ({webhook_id!r}, {key!r})")
            continue
        ids_by_key.setdefault(key, set()).add(webhook_id)
        keys_by_id.setdefault(webhook_id, set()).add(key)
    for key, ids in ids_by_key.items():
        if len(ids) > 1:
            violations.append(f"event {key} arrived under {len(ids)} webhook-ids {sorted(ids)}")
        if key not in stored_keys:
            violations.append(f"unknown delivery key {key} (not a stored event)")
    for webhook_id, keys in keys_by_id.items():
        if len(keys) > 1:
            violations.append(f"webhook-id {webhook_id} carried {len(keys)} different events")
    for key in acked_keys:
        if key not in ids_by_key:
            violations.append(f"acknowledged event {key} never reached the receiver")
    if len(keys_by_id) != len(stored_keys):
        violations.append(f"{len(keys_by_id)} distinct webhook-ids for {len(stored_keys)} stored events")
    return violations


def main():
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--drain-timeout", type=float, default=300.0, help="seconds to wait for delivery (default 300)")
    parser.set_defaults(rate=200.0)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    rng = random.Random(seed)
    if not os.path.exists(args.binary):
        sys.exit(f"no weir binary at {args.binary}: run `cargo xtask crash-test-delivery`")
    workdir = tempfile.mkdtemp(prefix="weir-delivery-crash-")
    receiver = Receiver()
    engine = weirproc.Engine(
        args.binary,
        workdir,
        ["github"],
        ["--allow-private-network", "127.0.0.1/32", *weirproc.config_args(workdir, args.durability)],
    )
    print(
        f"delivery crash test: seed {seed}, {args.kills} kills, {args.threads} threads at {args.rate:.0f}/s, "
        f"up {args.min_up}-{args.max_up} s between kills, receiver 127.0.0.1:{receiver.port}, dir {workdir}",
        flush=True,
    )
    started = time.monotonic()
    engine.start()
    path = engine.create_github_trigger()
    destination = engine.api(
        "POST", "/destinations", {"name": "crash receiver", "url": f"http://127.0.0.1:{receiver.port}/hook"}
    )
    engine.api("POST", "/rules", {"event_types": ["github.push"], "destination_id": destination["id"]})
    stop = threading.Event()
    senders, workers = run_senders(engine, path, args.threads, args.rate, stop)
    try:
        kill_loop(engine, args.kills, args.min_up, args.max_up, rng)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
    events, acked, violations = verify_ingest(engine, senders)
    stored_keys = {event["weir"]["idempotency_key"] for event in events}
    acked_keys = [key for sender in senders for key in sender.acked]
    print(f"  load stopped: {acked} acknowledged, {len(events)} stored; waiting for delivery", flush=True)
    deadline = time.monotonic() + args.drain_timeout
    while time.monotonic() < deadline:
        delivered = {key for _, key in receiver.snapshot()}
        if stored_keys <= delivered:
            break
        time.sleep(0.5)
    time.sleep(1.0)  # let a stray repeat in flight land before checking
    posts = receiver.snapshot()
    violations += verify_deliveries(events, posts, acked_keys)
    engine.stop()
    distinct = len({webhook_id for webhook_id, _ in posts})
    sent = sum(s.sent for s in senders)
    print(
        f"kills {args.kills}, starts {engine.starts}, webhooks sent {sent}, acknowledged {acked}, "
        f"stored {len(events)}, receiver POSTs {len(posts)} ({len(posts) - distinct} repeats), "
        f"distinct webhook-ids {distinct}, violations {len(violations)}, {time.monotonic() - started:.0f} s"
    )
    if violations:
        for violation in violations[:50]:
            print("VIOLATION:", violation)
        print(f"FAILED (seed {seed}); engine log: {engine.log_path}")
        return 1
    if acked == 0:
        print("FAILED: nothing was acknowledged")
        return 1
    print("OK: every acknowledged event reached the receiver; repeats carry the same webhook-id")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
