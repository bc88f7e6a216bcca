#!/usr/bin/env bash
# Refresh requirements/lock.txt: resolve pyproject.toml's dependencies (and the dev, interactive and frost extras)
# in a fresh virtual environment, then record every installed version. scripts/install.sh installs exactly these.
#   bash scripts/lock.sh            # then run the tests and commit requirements/lock.txt
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$PY -m venv "$tmp/venv"
. "$tmp/venv/bin/activate"
python -m pip install -q --upgrade pip
python -m pip install -q "torch==2.13.0"
python -m pip install -q --no-deps "torchattacks==3.5.1" "imagecorruptions==1.1.2"
python -m pip install -q ".[dev,interactive]"
{
  echo "# Every package of a tested dprob environment, exact versions (written by scripts/lock.sh on $(date -u +%F))."
  echo "# scripts/install.sh installs torch first (CPU build by default), then these with --no-deps: torchattacks"
  echo "# and imagecorruptions are here without the stale pins they declare (requests~=2.25.1, torchvision, opencv)."
  python -m pip freeze --exclude-editable | grep -v -E '^(torch|dprob)(==| @)' \
    | sed -E 's/^([A-Za-z0-9_.-]+) @ file:.*$/\1/' | sort -f
} > "$tmp/lock.txt"
# a package installed from a local file has no version in the freeze: take it from the environment
python - "$tmp/lock.txt" <<'PY'
import sys
from importlib import metadata
path = sys.argv[1]
lines = open(path).read().splitlines()
out = [line if line.startswith("#") or "==" in line else f"{line}=={metadata.version(line)}" for line in lines]
open(path, "w").write("\n".join(out) + "\n")
PY
mv "$tmp/lock.txt" requirements/lock.txt
echo "wrote requirements/lock.txt ($(grep -vc '^#' requirements/lock.txt) packages)"
