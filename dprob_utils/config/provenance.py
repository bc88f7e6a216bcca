"""What made a result: code version, package versions, hardware and profile, recorded in every results file."""

from __future__ import annotations

import functools
import platform
import subprocess
from importlib import metadata

PACKAGES = ("torch", "opacus", "torchattacks", "foolbox", "numpy", "scipy", "scikit-image", "pandas", "papermill")


@functools.lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The checkout's commit (with ``+dirty`` when it has uncommitted changes), or ``None`` outside git."""
    from dprob_utils.config.paths import project_root

    try:
        root = str(project_root())
        head = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


@functools.lru_cache(maxsize=1)
def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux), else what :mod:`platform` says."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def package_versions() -> dict[str, str | None]:
    """Installed version of each package of :data:`PACKAGES` (``None``: not installed)."""
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def provenance(profile: str) -> dict:
    """dprob's version and git commit, package versions, Python, the training device, CPU model and torch
    threads, and the profile of a result (its name and the overrides that made it, if any)."""
    import torch

    from dprob_utils import __version__
    from dprob_utils.config.devices import training_device
    from dprob_utils.config.overrides import overrides_of

    return {
        "dprob": __version__, "git_commit": git_commit(), "packages": package_versions(),
        "python": platform.python_version(), "platform": platform.platform(),
        "device": str(training_device(None)),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "cpu": cpu_model(), "torch_threads": torch.get_num_threads(),
        "profile": profile, "overrides": overrides_of(profile),
    }
