"""The dprob command: JSON output, cache reuse, and one clear line for every bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def dprob(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dprob_utils.cli.main", *args], capture_output=True, text=True,
                          env=None if env is None else {**os.environ, **env})


@pytest.mark.parametrize("args", [
    ["train", "--arch", "resnet"],
    ["train", "--arch", "p1_mnist_cnn", "--profile", "huge"],
    ["train", "--arch", "p1_mnist_cnn", "--sigma", "-1"],
    ["train", "--arch", "p1_mnist_cnn", "--sigma", "1", "--clip", "0"],
    ["train", "--arch", "p1_mnist_cnn", "--clip", "-2", "--mode", "dpsgd"],
    ["train", "--arch", "p1_mnist_cnn", "--epochs", "0"],
    ["train", "--arch", "p1_mnist_cnn", "--sigma", "abc"],
    ["run", "no_such_notebook", "--profile", "smoke"],
    ["run", "--profile", "huge"],
    ["book", "--profile", "huge"],
    ["train", "--arch", "p2_custom", "--profile", "smoke", "--data-dir", "/nonexistent/dprob-data"],
    ["explore", "--profile", "huge"],
    ["frobnicate"],
])
def test_bad_input_is_one_line_and_nonzero(args):
    out = dprob(*args)
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dprob: "), out.stderr


def test_train_prints_json_then_hits_cache(tmp_path):
    # A cache of its own: the session cache may already hold this smoke model (a notebook trains it too).
    env = {"DPROB_CACHE": str(tmp_path / "cache")}
    args = ["train", "--arch", "p2_custom", "--sigma", "1.3", "--clip", "1", "--profile", "smoke", "--quiet"]
    first = json.loads(dprob(*args, env=env).stdout)
    second = json.loads(dprob(*args, env=env).stdout)
    for key in ("accuracy", "epsilon", "delta", "seconds", "cached"):
        assert key in first
    assert first["cached"] is False and second["cached"] is True
    assert first["accuracy"] == second["accuracy"] and 0.0 <= first["accuracy"] <= 1.0
    assert first["mode"] == "dpsgd" and first["epsilon"] > 0 and first["delta"] == 1e-5


def test_sgd_reports_infinite_epsilon():
    out = json.loads(dprob("train", "--arch", "p2_custom", "--profile", "smoke", "--quiet").stdout)
    assert out["mode"] == "sgd" and out["epsilon"] == "inf"


def test_explain_prints_each_layers_path():
    out = dprob("explain", "p2_custom")
    assert out.returncode == 0, out.stderr
    assert "grouped-backward" in out.stdout and "unfolded-input" in out.stdout and "fused" in out.stdout


def test_dprob_version_prints_the_package_version(capsys):
    import pytest

    from dprob_utils import __version__
    from dprob_utils.cli.main import main

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"dprob {__version__}"
