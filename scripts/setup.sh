#!/usr/bin/env bash
# Create .venv (if missing) and install dprob with everything it needs. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || $PY -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
bash scripts/install.sh
if ! command -v "${CXX:-g++}" >/dev/null 2>&1 && ! command -v c++ >/dev/null 2>&1; then
  echo "note: no C++ compiler found; DP-SGD runs without torch.compile's per-example kernels (slower, same" \
       "results up to rounding). Install g++ (Debian: apt install g++) to use them." >&2
fi
