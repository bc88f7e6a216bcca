#!/usr/bin/env bash
# Refresh requirements/lock.txt: resolve pyproject.toml's dependencies (and the dev, interactive, frost and ray extras)
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
python -m pip install -q uv
python -m uv pip install -q --python "$tmp/venv/bin/python" --override requirements/overrides.txt ".[dev,interactive,frost,ray]"
{
  echo "# Every package of a tested dprob environment, exact versions (written by scripts/lock.sh on $(date -u +%F))."
  echo "# Resolved with requirements/overrides.txt: torchattacks and imagecorruptions are here without the stale pins"
  echo "# they declare (requests~=2.25.1, torchvision, opencv). scripts/install.sh installs torch first (CPU build by"
  echo "# default), then these with --no-deps."
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
out=${LOCK_OUT:-requirements/lock.txt}
mv "$tmp/lock.txt" "$out"
echo "wrote $out ($(grep -vc '^#' "$out") packages)"
