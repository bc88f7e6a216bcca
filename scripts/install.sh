#!/usr/bin/env bash
# Install dprob and its dependencies into the active Python environment, at the tested versions.
#
# torch first, pinned, and the CPU build unless told otherwise (an unpinned `torch` pulls several GB of CUDA):
#   DPROB_TORCH=cpu (default)  torch==2.13.0+cpu: from a local wheel or a PyTorch index; where pip finds none, set
#                              DPROB_TORCH_INDEX=https://download.pytorch.org/whl/cpu
#   DPROB_TORCH=cuda           torch==2.13.0 from PyPI (its Linux build is the CUDA one), for a GPU machine
# Then every other package at the version of requirements/lock.txt (refresh: bash scripts/lock.sh), with --no-deps:
# the lock was resolved with requirements/overrides.txt, which drops the stale pins of torchattacks (requests~=2.25.1,
# a torchvision that does not import beside the CPU torch) and imagecorruptions (OpenCV; dprob reads only its frost
# photographs). DPROB_LOCK=0 resolves the newest versions from pyproject.toml instead, with uv and the same overrides.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${DPROB_TORCH:-cpu}" in
  cpu) torch_req="torch==2.13.0+cpu" ;;
  cuda) torch_req="torch==2.13.0" ;;
  *) echo "DPROB_TORCH must be cpu or cuda, got ${DPROB_TORCH}" >&2; exit 2 ;;
esac
if ! python -m pip install -q ${DPROB_TORCH_INDEX:+--extra-index-url "$DPROB_TORCH_INDEX"} "$torch_req"; then
  echo "could not install $torch_req: for the CPU build set DPROB_TORCH_INDEX=https://download.pytorch.org/whl/cpu," \
       "or DPROB_TORCH=cuda for PyPI's CUDA build" >&2
  exit 1
fi
if [ "${DPROB_LOCK:-1}" = 1 ] && [ -f requirements/lock.txt ]; then
  python -m pip install -q --no-deps -r requirements/lock.txt
  python -m pip install -q --no-deps -e .
else
  python -m pip install -q uv
  python -m uv pip install -q --python "$(command -v python)" --override requirements/overrides.txt \
    -e ".[dev,interactive,frost,ray]"
fi
