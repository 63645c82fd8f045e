#!/usr/bin/env bash
# Builds python-digest.wasm (world `transformer` of weir:pack@0.1.0) from
# app.py + digest.py with a pinned componentize-py. Works from any directory
# and is idempotent: the venv is created once, componentize-py is installed
# only when the pinned version is missing, and the component is rebuilt only
# when its inputs (sources, WIT, toolchain version) changed.
#
#   packs/examples/python-digest/build.sh            # build if out of date
#   packs/examples/python-digest/build.sh --force    # always rebuild
#
# Environment: PYTHON (default python3, >= 3.11: the stub bindings use
# typing.Self) creates the venv that runs componentize-py;
# WEIR_COMPONENTIZE_PY_VENV overrides the venv location (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/weir/componentize-py-venv).
set -euo pipefail

COMPONENTIZE_PY_VERSION=0.25.1
WORLD=transformer
OUTPUT=python-digest.wasm
SOURCES=(app.py digest.py)

pack_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$pack_dir/../../.." && pwd)
wit_dir=$repo/wit
venv=${WEIR_COMPONENTIZE_PY_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/weir/componentize-py-venv}
python=${PYTHON:-python3}
force=false
case "${1:-}" in
  --force) force=true ;;
  "") ;;
  *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

say() { echo "build.sh: $*"; }

[[ -f $wit_dir/pack.wit ]] || { echo "build.sh: no WIT at $wit_dir/pack.wit" >&2; exit 1; }
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
  || { echo "build.sh: $python must be Python >= 3.11 (set PYTHON=...)" >&2; exit 1; }

# 1. The venv, created once.
if [[ ! -x $venv/bin/python ]]; then
  say "creating venv $venv with $($python --version 2>&1)"
  mkdir -p "$(dirname "$venv")"
  "$python" -m venv "$venv"
else
  say "using venv $venv"
fi

# 2. componentize-py at the pinned version, installed only when missing.
installed=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("componentize-py"))' 2>/dev/null || true)
if [[ $installed != "$COMPONENTIZE_PY_VERSION" ]]; then
  say "installing componentize-py==$COMPONENTIZE_PY_VERSION (found: ${installed:-none})"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "componentize-py==$COMPONENTIZE_PY_VERSION"
else
  say "componentize-py $installed already installed"
fi
cpy=$venv/bin/componentize-py

# 3. Up to date? The stamp hashes everything the component is made from
#    (sources, this script, the WIT files, the componentize-py version).
stamp_file=$pack_dir/.$OUTPUT.stamp
stamp=$(
  cd "$pack_dir"
  { echo "componentize-py $COMPONENTIZE_PY_VERSION world $WORLD"; sha256sum "${SOURCES[@]}" build.sh; (cd "$wit_dir" && find . -name '*.wit' -type f | LC_ALL=C sort | xargs sha256sum); } | sha256sum | cut -d' ' -f1
)
if ! $force && [[ -f $pack_dir/$OUTPUT && -f $stamp_file && $(cat "$stamp_file") == "$stamp" ]]; then
  say "$OUTPUT is up to date ($(stat -c %s "$pack_dir/$OUTPUT") bytes); use --force to rebuild"
  exit 0
fi

# 4. Bindings. `componentize` generates the real bindings itself; the stub
#    bindings from `bindings` (for IDEs and type checkers) let us import
#    app.py natively first, so a typo fails in a second, not after 20 s.
stage=$(mktemp -d "${TMPDIR:-/tmp}/python-digest-build.XXXXXX")
trap 'rm -rf "$stage"' EXIT
say "generating stub bindings for world \`$WORLD\` from $wit_dir"
"$cpy" -d "$wit_dir" -w "$WORLD" bindings "$stage/bindings" >/dev/null
mkdir "$stage/app"
(cd "$pack_dir" && cp "${SOURCES[@]}" "$stage/app/")
say "checking that app.py imports against the bindings"
(cd "$stage/app" && PYTHONPATH="$stage/app:$stage/bindings" PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" -c 'import app; app.Outbound')

# 5. The component. Only the staged sources are on the Python path.
#    --stub-wasi replaces every WASI import with a trapping stub: without it
#    the component imports wasi:filesystem and wasi:sockets, which Weir
#    refuses. Python code must therefore not touch files, sockets, stdio,
#    clocks or os.urandom at run time (use weir:pack/host instead).
say "running: componentize-py -d $wit_dir -w $WORLD componentize --stub-wasi -p <staged sources> app -o $pack_dir/$OUTPUT"
started=$(date +%s)
(cd "$stage/app" && "$cpy" -d "$wit_dir" -w "$WORLD" componentize --stub-wasi -p "$stage/app" app -o "$stage/$OUTPUT")
mv "$stage/$OUTPUT" "$pack_dir/$OUTPUT"
echo "$stamp" > "$stamp_file"
say "wrote $pack_dir/$OUTPUT ($(stat -c %s "$pack_dir/$OUTPUT") bytes) in $(( $(date +%s) - started )) s"
say "next: weir pack check $pack_dir && weir pack test $pack_dir"
