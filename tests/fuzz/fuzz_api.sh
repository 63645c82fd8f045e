#!/usr/bin/env bash
# Fuzzes the admin API with Schemathesis (an independent OpenAPI tool) against
# a real Weir: every operation in /openapi.json gets generated valid and
# invalid inputs; the run fails on any 5xx and on any response that does not
# match its documented schema or status codes.
#
#   tests/fuzz/fuzz_api.sh                 # 40 examples per operation
#   tests/fuzz/fuzz_api.sh -n 200          # extra arguments go to schemathesis
#
# Idempotent set-up: a pinned Schemathesis in a cached venv
# (${XDG_CACHE_HOME:-$HOME/.cache}/weir/schemathesis-venv), the weir binary
# built with cargo, the first-party packs from plugins/ (run `cargo xtask
# packs` first, or use `cargo xtask fuzz-api`, which does). Weir runs on a
# temporary data dir and a free loopback port and is stopped by PID at exit.
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv=${WEIR_SCHEMATHESIS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/weir/schemathesis-venv}
python=${PYTHON:-python3}
say() { echo "fuzz_api: $*"; }

if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('schemathesis') != '$SCHEMATHESIS_VERSION')" 2>/dev/null; then
  say "installing schemathesis $SCHEMATHESIS_VERSION into $venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

say "building weir"
cargo build --quiet --manifest-path "$repo/Cargo.toml" -p weir --bin weir
weir="$repo/target/debug/weir"
[[ -f $repo/plugins/github/pack.toml ]] || { echo "fuzz_api: plugins/ has no packs; run \`cargo xtask packs\`" >&2; exit 1; }

work=$(mktemp -d)
port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token="fuzz-admin-token-$(date +%s)"
base="http://127.0.0.1:$port"
pid=
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/plugins"
cp -r "$repo/plugins/." "$work/plugins/"
WEIR_ADMIN_TOKEN=$token "$weir" serve --listen "127.0.0.1:$port" --data-dir "$work/data" \
  --plugins-dir "$work/plugins" --allow-private-network 127.0.0.1/32 >"$work/weir.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$base/readyz" >/dev/null || { cat "$work/weir.log" >&2; exit 1; }

# Some data for the operations that read it.
api() { curl -fsS -H "Authorization: Bearer $token" -H 'content-type: application/json' "$@"; }
api -X POST "$base/api/v1/triggers" -d '{"name":"fuzz","connector":"github","secrets":{"webhook-secret":"s"}}' >/dev/null
destination=$(api -X POST "$base/api/v1/destinations" -d '{"name":"fuzz","url":"http://127.0.0.1:9/hook"}' \
  | "$python" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
api -X POST "$base/api/v1/rules" -d "{\"event_types\":[\"*\"],\"destination_id\":\"$destination\"}" >/dev/null
api -X POST "$base/api/v1/events" -d '{"type":"fuzz.seeded","data":{"n":1}}' >/dev/null

say "fuzzing $base/openapi.json"
status=0
"$venv/bin/schemathesis" run "$base/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples 40 \
  --seed 20261124 \
  "$@" || status=$?
if grep -q "panicked" "$work/weir.log"; then
  say "weir panicked during the run:"; grep -A5 "panicked" "$work/weir.log" >&2
  status=1
fi
exit $status
