"""Where data, the model cache and results live.

Every location can be overridden by an environment variable so that CI, users and notebooks agree:

- ``DPROB_DATA``:    a directory holding the datasets (searched first);
- ``DPROB_CACHE``:   the model / feature / download cache (default ``<root>/.cache``);
- ``DPROB_RESULTS``: the results folder (default ``<root>/results``).
"""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def project_root() -> Path:
    """The repository root (the folder holding ``pyproject.toml`` and ``notebooks/``).

    Falls back to the current directory when the package is installed outside a checkout.
    """
    for cand in (PACKAGE_DIR.parent, *Path.cwd().resolve().parents, Path.cwd().resolve()):
        if (cand / "pyproject.toml").is_file() and (cand / "notebooks").is_dir():
            return cand
    return Path.cwd().resolve()


def cache_dir() -> Path:
    """Root of the cache (models, decoded datasets, downloads, corruptions)."""
    env = os.environ.get("DPROB_CACHE")
    path = Path(env) if env else project_root() / ".cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def results_dir(profile: str) -> Path:
    """``results/<profile>/``: the JSON/CSV results a notebook writes for one profile."""
    env = os.environ.get("DPROB_RESULTS")
    base = Path(env) if env else project_root() / "results"
    path = base / profile
    path.mkdir(parents=True, exist_ok=True)
    return path


def shared_data_dir() -> Path | None:
    """The offline copies in ``../shared/data`` next to the checkout, if present."""
    for base in (project_root(), Path.cwd().resolve()):
        cand = base.parent / "shared" / "data"
        if cand.is_dir():
            return cand
    return None


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash at any moment leaves either the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # unique across the hosts of a shared file system too (two nodes may run writers with the same pid)
    tmp = path.with_name(f".{path.name}.{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
