"""Installing dprob into a fresh virtual environment, outside the checkout, the ways the README gives.

- plain ``pip install .`` stops at once at the one conflict pip cannot resolve (torchattacks' stale
  ``requests~=2.25.1``), naming it, before it downloads anything else and without touching the CPU torch;
- ``pip install --no-deps .`` gives a package whose attacks say, in one line, what to run for torchattacks;
- ``uv pip install --override requirements/overrides.txt .`` installs every declared dependency, torchattacks
  included, without torchvision and without replacing torch; training, FGSM and PGD then work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dprob_utils.config.paths import project_root, shared_data_dir

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shared_data_dir() is None, reason="../shared/data not present")]

ATTACK = """
import torch
from dprob_utils.attacks import fgsm, pgd_linf
from dprob_utils.models.architectures import build_model
torch.manual_seed(0)
m = build_model("p2_custom").eval()
x, y = torch.rand(4, 1, 28, 28), torch.tensor([0, 1, 2, 3])
for adv in (fgsm(m, x, y, 0.1), pgd_linf(m, x, y, 0.1, 0.02, 5)):
    assert (adv - x).abs().max() <= 0.1 + 1e-6 and adv.min() >= 0 and adv.max() <= 1
print("attacks ok")
"""
VERSIONS = ("import importlib.metadata as m, importlib.util as u; "
            "print(m.version('torch'), u.find_spec('torchvision') is not None)")


def _run(cmd: list[str], env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=900)


def test_fresh_installs(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(DPROB_DATA=str(shared_data_dir()), DPROB_CACHE=str(tmp_path / "cache"), DPROB_PROGRESS="0")
    work = tmp_path / "elsewhere"  # not the checkout: the installed package must stand on its own
    work.mkdir()
    root = str(project_root())
    out = _run([py, "-m", "pip", "install", "-q", "torch==2.13.0+cpu"], env, work)
    assert out.returncode == 0, out.stderr[-2000:]

    plain = _run([py, "-m", "pip", "install", root], env, work)
    assert plain.returncode != 0 and "ResolutionImpossible" in plain.stderr
    assert "torchattacks 3.5.1 depends on requests~=2.25.1" in plain.stdout + plain.stderr
    assert _run([py, "-c", VERSIONS], env, work).stdout.split() == ["2.13.0+cpu", "False"]

    out = _run([py, "-m", "pip", "install", "-q", "--no-deps", root], env, work)
    assert out.returncode == 0, out.stderr[-2000:]
    missing = _run([py, "-c", ATTACK], env, work)
    assert missing.returncode != 0 and "pip install --no-deps torchattacks==3.5.1" in missing.stderr

    uv = _run([sys.executable, "-m", "uv", "pip", "install", "-q", "--python", py,
               "--override", str(project_root() / "requirements" / "overrides.txt"), root], env, work)
    assert uv.returncode == 0, uv.stderr[-2000:]
    assert _run([py, "-c", VERSIONS], env, work).stdout.split() == ["2.13.0+cpu", "False"]
    train = _run([py, "-m", "dprob_utils", "train", "--arch", "p2_custom", "--profile", "smoke", "--quiet"], env, work)
    assert train.returncode == 0 and '"accuracy"' in train.stdout, train.stderr[-2000:]
    attack = _run([py, "-c", ATTACK], env, work)
    assert attack.returncode == 0 and "attacks ok" in attack.stdout, attack.stderr[-2000:]
