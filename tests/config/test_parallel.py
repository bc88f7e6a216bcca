import warnings
from dataclasses import replace

import pytest
from pool_workers import square_and_threads

from dprob_utils.config.errors import ConfigError
from dprob_utils.config.parallel import default_jobs, map_processes
from dprob_utils.config.profiles import SMOKE
from dprob_utils.config.training import TrainConfig
from dprob_utils.dp.training import train
from dprob_utils.models import zoo
from dprob_utils.store.model_cache import ModelCache


def test_map_processes_returns_every_result_with_its_arguments_and_thread_count():
    out = dict(map_processes(square_and_threads, [(i,) for i in range(5)], jobs=2, threads=1))
    assert out == {(i,): (i * i, 1) for i in range(5)}


def test_map_processes_raises_the_workers_error():
    with pytest.raises(ValueError, match="negative: -3"):
        list(map_processes(square_and_threads, [(1,), (-3,)], jobs=2))


def test_map_processes_rejects_zero_jobs():
    with pytest.raises(ConfigError):
        list(map_processes(square_and_threads, [(1,)], jobs=0))


def test_default_jobs_reads_the_environment(monkeypatch):
    monkeypatch.setenv("DPROB_JOBS", "3")
    assert default_jobs() == 3
    for bad in ("0", "two"):
        monkeypatch.setenv("DPROB_JOBS", bad)
        with pytest.raises(ConfigError, match="DPROB_JOBS"):
            default_jobs()


def _tiny(seed: int, mode: str = "sgd") -> TrainConfig:
    return TrainConfig(arch="p2_custom", mode=mode, sigma=1.0, epochs=1, train_subset=300, batch_size=50, lr=0.1,
                       seed=seed)


def test_train_missing_trains_side_by_side_what_a_single_process_would(tmp_path, monkeypatch):
    monkeypatch.setattr(zoo, "training_jobs", lambda jobs=None: 2)
    cache = ModelCache(tmp_path)
    configs = [_tiny(1), _tiny(2, "dpsgd"), _tiny(3)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny models: a DivergedWarning is expected
        cache.save(configs[2], *train(configs[2], progress=False))  # already cached: not trained again
        trained = zoo.train_missing(configs + [configs[0]], SMOKE, cache=cache)
        model_here, _ = train(configs[1], progress=False)
    assert trained == {configs[0].key(), configs[1].key()}
    assert all(c in cache for c in configs)
    # a model trained in a worker (one thread) is the model trained here, up to float rounding
    model_worker, _ = cache.load(configs[1])
    for a, b in zip(model_worker.state_dict().values(), model_here.state_dict().values()):
        assert (a - b).abs().max() < 1e-4


def test_train_missing_repeats_the_workers_warnings(tmp_path, monkeypatch):
    monkeypatch.setattr(zoo, "training_jobs", lambda jobs=None: 2)
    configs = [replace(_tiny(4), lr=1e-9), replace(_tiny(5), lr=1e-9)]  # a model that does not learn
    with pytest.warns(UserWarning, match="constant predictor"):
        zoo.train_missing(configs, SMOKE, cache=ModelCache(tmp_path))


def test_training_jobs_is_one_per_thread_at_most(monkeypatch):
    import torch

    monkeypatch.delenv("DPROB_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    assert zoo.training_jobs(4) == 1
    monkeypatch.setattr(torch, "get_num_threads", lambda: 8)
    assert zoo.training_jobs(4) == 4


def test_pool_workers_die_with_a_killed_driver(tmp_path):
    """A driver killed with SIGKILL leaves no worker running on (Linux: the parent-death signal)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil
    import pytest

    if not sys.platform.startswith("linux"):
        pytest.skip("the parent-death signal is Linux's")
    here = os.path.dirname(__file__)
    code = ("from dprob_utils.config.parallel import map_processes; from pool_workers import sleep_and_report; "
            "list(map_processes(sleep_and_report, [(60,), (60,)], 2))")
    driver = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": os.path.dirname(here)})
    deadline = time.time() + 60
    workers: list[psutil.Process] = []
    while time.time() < deadline and len(workers) < 2:
        time.sleep(0.2)
        workers = [c for c in psutil.Process(driver.pid).children() if "spawn_main" in " ".join(c.cmdline())]
    assert len(workers) == 2, "the pool did not start"
    time.sleep(3)  # their initialiser has run
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, f"workers still running after the driver died: {[p.pid for p in alive]}"
