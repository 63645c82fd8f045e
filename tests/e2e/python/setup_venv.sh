#!/usr/bin/env bash
# Creates (once) the Python venv the end-to-end suite uses to check Weir's
# deliveries, and to sign what it receives, with independent
# implementations: `standardwebhooks` (the Standard Webhooks reference
# library), `pyhpke` (RFC 9180 HPKE) and `slack_sdk` (Slack's Python SDK).
# Idempotent: the venv is created once and each package is installed only
# when the pinned version is missing. Prints the venv's python on its last
# line of stdout.
#
#   tests/e2e/python/setup_venv.sh
#
# Environment: PYTHON (default python3, >= 3.9) creates the venv;
# WEIR_E2E_PYTHON_VENV overrides its location (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/weir/e2e-python-venv).
set -euo pipefail

STANDARDWEBHOOKS_VERSION=1.1.0
PYHPKE_VERSION=0.6.5
SLACK_SDK_VERSION=3.36.0

venv=${WEIR_E2E_PYTHON_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/weir/e2e-python-venv}
python=${PYTHON:-python3}

say() { echo "setup_venv.sh: $*" >&2; }
fail() { echo "setup_venv.sh: $*" >&2; exit 1; }

command -v "$python" >/dev/null 2>&1 \
  || fail "\`$python\` not found: the end-to-end suite needs Python >= 3.9 with venv and pip (set PYTHON=...)"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 9))' 2>/dev/null \
  || fail "$python must be Python >= 3.9 (set PYTHON=...)"

# 1. The venv, created once.
if [[ ! -x $venv/bin/python ]]; then
  say "creating venv $venv with $($python --version 2>&1)"
  mkdir -p "$(dirname "$venv")"
  "$python" -m venv "$venv" \
    || fail "cannot create a venv with $python (on Debian/Ubuntu: apt-get install python3-venv)"
fi
"$venv/bin/python" -m pip --version >/dev/null 2>&1 \
  || fail "pip is not available in $venv (on Debian/Ubuntu: apt-get install python3-pip python3-venv; then delete $venv)"

# 2. The pinned packages, installed only when missing.
installed() {
  "$venv/bin/python" -c "import importlib.metadata as m; print(m.version('$1'))" 2>/dev/null || true
}
for spec in "standardwebhooks==$STANDARDWEBHOOKS_VERSION" "pyhpke==$PYHPKE_VERSION" "slack_sdk==$SLACK_SDK_VERSION"; do
  name=${spec%%==*}
  want=${spec##*==}
  have=$(installed "$name")
  if [[ $have != "$want" ]]; then
    say "installing $spec (found: ${have:-none})"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$spec" >&2 \
      || fail "cannot install $spec into $venv (is PyPI reachable?)"
  fi
done

echo "$venv/bin/python"
