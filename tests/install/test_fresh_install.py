"""A plain `pip install .` in a fresh virtual environment (no setup script): a working package whose attacks say,
in one line, what to run for torchattacks; after that line, training, FGSM and PGD work."""

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


def _run(cmd: list[str], env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=900)


def test_pip_install_dot_then_train_and_attack(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(DPROB_DATA=str(shared_data_dir()), DPROB_CACHE=str(tmp_path / "cache"), DPROB_PROGRESS="0")
    work = tmp_path / "elsewhere"  # not the checkout: the installed package must stand on its own
    work.mkdir()
    for cmd in ([py, "-m", "pip", "install", "-q", "torch==2.13.0+cpu"],
                [py, "-m", "pip", "install", "-q", str(project_root())]):
        out = _run(cmd, env, work)
        assert out.returncode == 0, out.stderr[-2000:]
    missing = _run([py, "-c", ATTACK], env, work)
    assert missing.returncode != 0 and "pip install --no-deps torchattacks==3.5.1" in missing.stderr
    out = _run([py, "-m", "pip", "install", "-q", "--no-deps", "torchattacks==3.5.1"], env, work)
    assert out.returncode == 0, out.stderr[-2000:]
    train = _run([py, "-m", "dprob_utils", "train", "--arch", "p2_custom", "--profile", "smoke", "--quiet"], env, work)
    assert train.returncode == 0 and '"accuracy"' in train.stdout, train.stderr[-2000:]
    attack = _run([py, "-c", ATTACK], env, work)
    assert attack.returncode == 0 and "attacks ok" in attack.stdout, attack.stderr[-2000:]
