#!/usr/bin/env bash
# Create .venv (if missing) and install dprob with everything it needs. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || $PY -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
bash scripts/install.sh
