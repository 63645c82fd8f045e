"""Shared pieces of the crash tests: run `weir serve` as a child process
(start, SIGKILL, restart on the same data dir), talk to its admin API, and
post signed GitHub webhooks. Standard library only."""

import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse

ADMIN_TOKEN = "crash-test-admin-token-0123456789"
SECRET = "crash-test-secret"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def push_payload():
    """A ~2 KB GitHub push (the fixture with two commits), as a dict."""
    with open(os.path.join(ROOT, "packs/github/fixtures/push.json"), encoding="utf-8") as f:
        value = json.load(f)
    value["commits"] = value.get("commits", [])[:2]
    value["head_commit"] = None
    return value


def sign(body):
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def config_args(workdir, durability):
    """`--config` arguments setting `ingest.durability`, or none."""
    if durability is None:
        return []
    path = os.path.join(workdir, "weir.toml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f'[ingest]\ndurability = "{durability}"\n')
    return ["--config", path]


class Engine:
    """One `weir serve` on a fixed data dir and port, restartable."""

    def __init__(self, binary, workdir, packs, extra_args=()):
        self.binary = binary
        self.data = os.path.join(workdir, "data")
        self.plugins = os.path.join(workdir, "plugins")
        self.log_path = os.path.join(workdir, "weir.log")
        self.port = free_port()
        self.extra_args = list(extra_args)
        self.proc = None
        self.starts = 0
        os.makedirs(self.plugins, exist_ok=True)
        for pack in packs:
            target = os.path.join(self.plugins, pack)
            if not os.path.isdir(target):
                shutil.copytree(os.path.join(ROOT, "plugins", pack), target)

    def start(self, ready_timeout=60.0):
        env = dict(os.environ)
        env["WEIR_ADMIN_TOKEN"] = ADMIN_TOKEN
        env.setdefault("RUST_LOG", "warn")
        log = open(self.log_path, "ab")
        log.write(f"\n===== start {self.starts} =====\n".encode())
        log.flush()
        self.proc = subprocess.Popen(
            [
                self.binary,
                "serve",
                "--listen",
                f"127.0.0.1:{self.port}",
                "--data-dir",
                self.data,
                "--plugins-dir",
                self.plugins,
                *self.extra_args,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.starts += 1
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"weir exited with {self.proc.returncode} while starting; see {self.log_path}"
                )
            try:
                status, _ = self.request("GET", "/readyz", timeout=1.0)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"weir not ready after {ready_timeout} s; see {self.log_path}")

    def kill(self):
        """SIGKILL: no shutdown code runs."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        """SIGTERM and wait (graceful)."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def request(self, method, path, body=None, headers=None, timeout=10.0):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def api(self, method, path, payload=None):
        headers = {"authorization": f"Bearer {ADMIN_TOKEN}"}
        body = None
        if payload is not None:
            body = json.dumps(payload).encode()
            headers["content-type"] = "application/json"
        status, data = self.request(method, "/api/v1" + path, body, headers, timeout=30.0)
        if status >= 300:
            raise RuntimeError(f"{method} {path} answered {status}: {data[:500]!r}")
        return json.loads(data) if data else None

    def create_github_trigger(self):
        trigger = self.api(
            "POST",
            "/triggers",
            {"name": "crash pushes", "connector": "github", "secrets": {"webhook-secret": SECRET}},
        )
        return "/api/v1/webhooks/" + trigger["webhook_key"]

    def all_events(self):
        """Every stored event, newest first, through the paginated API."""
        events = []
        before = None
        while True:
            query = {"limit": "500"}
            if before:
                query["before"] = before
            page = self.api("GET", "/events?" + urllib.parse.urlencode(query))["data"]
            if not page:
                return events
            events.extend(page)
            before = page[-1]["id"]


class Sender:
    """Posts signed pushes with unique delivery ids; remembers what was
    acknowledged. After a failed request (engine down, reset) it may retry
    the same delivery id, as GitHub's redelivery would."""

    def __init__(self, engine, path, name, payload):
        self.engine = engine
        self.path = path
        self.name = name
        self.payload = payload
        self.sent = 0
        self.failed = 0
        self.acked = {}  # delivery id -> event id (from a 2xx)
        self.statuses = {}
        self.retry = None
        self.n = 0

    def post_one(self, timeout=10.0):
        if self.retry is not None:
            delivery = self.retry
        else:
            delivery = f"{self.name}-{self.n:08d}"
            self.n += 1
        value = dict(self.payload)
        value["crash_delivery"] = delivery
        body = json.dumps(value, separators=(",", ":")).encode()
        headers = {
            "content-type": "application/json",
            "user-agent": "GitHub-Hookshot/crash-test",
            "x-github-event": "push",
            "x-github-hook-id": "292430182",
            "x-github-delivery": delivery,
            "x-hub-signature-256": sign(body),
        }
        self.sent += 1
        try:
            status, data = self.engine.request("POST", self.path, body, headers, timeout=timeout)
        except OSError:
            self.failed += 1
            # Half of the failed deliveries are redelivered with the same id.
            self.retry = delivery if self.retry is None and self.n % 2 == 0 else None
            return False
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.retry = None
        if 200 <= status < 300:
            answer = json.loads(data)
            ids = answer.get("event_ids") or []
            if answer.get("status") not in ("accepted", "duplicate") or len(ids) != 1:
                raise RuntimeError(f"unexpected 2xx answer {answer!r}")
            self.acked[delivery] = ids[0]
            return True
        if status in (429, 500, 502, 503):
            self.retry = delivery
        return False
