"""The Ray executor on a real two-node cluster on localhost (two `ray start` nodes of one CPU each): the smoke
grid trained through ``--executor ray`` gives bit-identical weights and identical results to the local executor (and
so do paper 2's attack runs, one task each),
and still completes, with nothing half-written in the cache, when a worker node is killed while it trains."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dprob_utils.config.paths import shared_data_dir
from dprob_utils.config.profiles import get_profile
from dprob_utils.experiments.p2.runs import attack_units, saturation_configs

RAY = Path(sys.executable).with_name("ray")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shared_data_dir() is None, reason="../shared/data not present"),
              pytest.mark.skipif(not RAY.exists(), reason="Ray is not installed (the ray extra)")]

WORKER_PORT = 6411  # the worker node's raylet, found by this port to kill it


def _env(tmp: Path, cache: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # a throw-away cluster on localhost: no token to share, and a dead node noticed within seconds
    env.update(RAY_AUTH_MODE="disabled", RAY_USAGE_STATS_ENABLED="0", RAY_health_check_period_ms="500",
               RAY_health_check_failure_threshold="4", DPROB_CACHE=str(tmp / cache), DPROB_PROGRESS="0",
               DPROB_DATA=str(shared_data_dir()))
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cluster(tmp_path):
    """A head node and a worker node, one CPU each; yields the address."""
    env = _env(tmp_path, "unused")
    port = _free_port()
    subprocess.run([str(RAY), "stop", "--force"], env=env, capture_output=True)
    head = subprocess.run([str(RAY), "start", "--head", "--num-cpus", "1", "--port", str(port),
                           "--include-dashboard=false", "--disable-usage-stats"], env=env, capture_output=True, text=True)
    assert head.returncode == 0, head.stderr[-2000:]
    worker = subprocess.run([str(RAY), "start", "--address", f"127.0.0.1:{port}", "--num-cpus", "1",
                             "--node-manager-port", str(WORKER_PORT)], env=env, capture_output=True, text=True)
    assert worker.returncode == 0, worker.stderr[-2000:]
    yield f"127.0.0.1:{port}"
    subprocess.run([str(RAY), "stop", "--force"], env=env, capture_output=True)


def _train_all(tmp: Path, cache: str, *extra: str, status: Path | None = None) -> subprocess.Popen:
    env = _env(tmp, cache)
    if status is not None:
        env["DPROB_STATUS_FILE"] = str(status)
    return subprocess.Popen([sys.executable, "-m", "dprob_utils", "train-all", "--profile", "smoke", "--quiet", *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _precompute_attacks(tmp: Path, cache: str, address: str | None = None) -> None:
    """Paper 2's attack runs of the smoke profile (chapters 08-11), by the Ray executor given an address."""
    code = ("import os, sys; from dprob_utils.experiments.p2.runs import precompute_attacks\n"
            "if len(sys.argv) > 1:\n"
            "    from dprob_utils.config.ray_cluster import connect; connect(sys.argv[1]); os.environ['DPROB_EXECUTOR'] = 'ray'\n"
            "print(precompute_attacks('smoke', log=print))")
    out = subprocess.run([sys.executable, "-c", code, *([address] if address else [])], env=_env(tmp, cache),
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    if address:
        assert "on 2 nodes" in out.stdout, out.stdout


def _attack_runs(cache: Path) -> dict[str, bytes]:
    return {str(p.relative_to(cache)): p.read_bytes() for p in (cache / "attacks").rglob("*") if p.is_file()}


def _rows(stdout: str) -> dict[str, dict]:
    rows = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return {r["key"]: {k: v for k, v in r.items() if k not in ("seconds", "trained_now")} for r in rows}


def _weights(cache: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (cache / "models").rglob("*.pt")}


def _check_cache(cache: Path) -> None:
    """Every entry whole: weights and record side by side, no temporary file left."""
    models = cache / "models"
    assert not list(models.rglob("*.tmp"))
    pts, jsons = {p.stem for p in models.rglob("*.pt")}, {p.stem for p in models.rglob("*.json")}
    assert pts == jsons


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("local")
    proc = _train_all(tmp, "cache", "--executor", "local")
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-2000:]
    _precompute_attacks(tmp, "cache")
    return _rows(out), _weights(tmp / "cache"), _attack_runs(tmp / "cache")


def test_two_node_cluster_gives_the_local_executors_models(cluster, tmp_path, local_run):
    status = tmp_path / "status.jsonl"
    proc = _train_all(tmp_path, "cache", "--executor", "ray", "--address", cluster, status=status)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    assert "2 nodes, 2 CPUs" in err
    rows, weights, attacks = local_run
    assert _rows(out) == rows and len(rows) == 19  # smoke's 20 models; its fixed-noise model at C = 1 is the main one
    assert _weights(tmp_path / "cache") == weights  # bit-identical
    _check_cache(tmp_path / "cache")
    events = [json.loads(line) for line in status.read_text().splitlines()]
    last = [e for e in events if e["kind"] == "models"][-1]
    assert last["done"] == last["total"] == 19 and len(last["nodes"]) == 2  # both nodes trained some
    # then paper 2's attack runs, one Ray task each: the same files as the local executor's
    _precompute_attacks(tmp_path, "cache", cluster)
    assert _attack_runs(tmp_path / "cache") == attacks
    # one stored run per unit, and per saturation model the shorter run its longer walk passes
    prof = get_profile("smoke")
    assert len(attacks) == len(attack_units(prof)) + len(saturation_configs(prof))
    assert not list((tmp_path / "cache").rglob("*.tmp"))


def _raylet_tree(port: int) -> list[int]:
    import psutil

    for proc in psutil.process_iter(["cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if "raylet" in cmd and f"--node_manager_port={port}" in cmd:
            return [c.pid for c in proc.children(recursive=True)] + [proc.pid]
    return []


def test_killing_a_worker_node_still_trains_every_model(cluster, tmp_path, local_run):
    status = tmp_path / "status.jsonl"
    proc = _train_all(tmp_path, "cache", "--executor", "ray", "--address", cluster, status=status)
    deadline = time.time() + 300
    while time.time() < deadline:  # kill the worker node once it is training
        events = [json.loads(line) for line in status.read_text().splitlines()] if status.exists() else []
        if any(e["kind"] == "train" for e in events) and any(e["kind"] == "models" and e["done"] >= 2 for e in events):
            break
        time.sleep(0.2)
    tree = _raylet_tree(WORKER_PORT)
    assert tree, "the worker node's raylet was not found"
    for pid in tree:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    rows, weights, _ = local_run
    assert _rows(out) == rows
    assert _weights(tmp_path / "cache") == weights
    _check_cache(tmp_path / "cache")


def test_without_ray_the_executor_says_how_to_install_it(monkeypatch, capsys):
    from dprob_utils.cli.main import main

    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` raise ImportError
    monkeypatch.setenv("DPROB_EXECUTOR", "local")  # restored afterwards: the command sets it for its kernels
    assert main(["train-all", "--profile", "smoke", "--executor", "ray"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install 'dprob[ray]'" in err[0]
