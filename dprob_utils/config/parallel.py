"""Independent work in separate processes: notebooks side by side (:mod:`.runner`) and models of a grid trained
side by side (:func:`.zoo.train_missing`), by one of two executors (``$DPROB_EXECUTOR``, ``--executor``): ``local``
(the default: a pool of processes on this machine) or ``ray`` (Ray tasks on a cluster, :mod:`.ray_cluster`).
Both run the same units with the same torch threads, so they give the same results.

Why processes and not torch threads: small convolutions and DP-SGD's per-step Python work do not spread well
over threads (measured in benchmarks/README.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from dprob_utils.config.errors import ConfigError

EXECUTOR_ENV = "DPROB_EXECUTOR"
EXECUTORS = ("local", "ray")


def executor() -> str:
    """The executor of this process's independent work: ``$DPROB_EXECUTOR`` (``local`` or ``ray``), default
    ``local``."""
    name = os.environ.get(EXECUTOR_ENV) or "local"
    if name not in EXECUTORS:
        raise ConfigError(f"{EXECUTOR_ENV} must be one of {', '.join(EXECUTORS)}, got {name!r}")
    return name


def default_jobs() -> int:
    """Processes side by side by default: ``$DPROB_JOBS``, else 2 on a machine with at least 2 cores."""
    env = os.environ.get("DPROB_JOBS")
    if env:
        if not env.isdigit() or int(env) < 1:
            raise ConfigError(f"DPROB_JOBS must be a whole number >= 1, got {env!r}")
        return int(env)
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def _die_with_parent() -> None:
    """On Linux, have the kernel end this worker when the process that started it dies (a driver killed with
    SIGKILL cannot stop its pool, whose workers would otherwise finish their trainings as orphans)."""
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass


def _init_worker(threads: int) -> None:
    _die_with_parent()
    from dprob_utils.config.allocator import tune_malloc

    tune_malloc()  # before torch's import, where it still keeps large tensors from page-faulting
    import torch

    torch.set_num_threads(threads)


def map_processes(fn: Callable[..., Any], items: Iterable[tuple], jobs: int, threads: int = 1) -> Iterator[
        tuple[tuple, Any]]:
    """Yield ``(args, fn(*args))`` for each tuple of ``items`` as it finishes, ``jobs`` at a time in fresh
    ("spawn") processes with ``threads`` torch threads each. ``fn`` must be importable (a module-level function).
    The first exception of a worker is raised here after the pending work is cancelled."""
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context

    items = list(items)
    if jobs < 1 or threads < 1:
        raise ConfigError(f"jobs and threads must be >= 1, got {jobs} and {threads}")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"), initializer=_init_worker,
                             initargs=(threads,)) as pool:
        futures = {pool.submit(fn, *args): args for args in items}
        try:
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise


def map_work(fn: Callable[..., Any], items: Iterable[tuple], jobs: int, threads: int = 1,
             gpus: float = 0.0) -> Iterator[tuple[tuple, Any, str]]:
    """Yield ``(args, fn(*args), where)`` for each tuple of ``items`` as it finishes, by :func:`executor`:
    ``local``, :func:`map_processes` with ``jobs`` processes (``where`` is ``"local"``); ``ray``, one Ray task per
    item asking for ``threads`` CPUs and ``gpus`` GPUs, as many at once as the cluster has room for (``where`` is
    the node's id). ``fn`` must be importable (a module-level function)."""
    if executor() == "ray":
        from dprob_utils.config.ray_cluster import map_tasks

        yield from map_tasks(fn, items, threads=threads, gpus=gpus)
        return
    for args, result in map_processes(fn, items, jobs, threads):
        yield args, result, "local"


def run_units(fn: Callable[..., Any], items: Iterable[tuple], what: str, jobs: int, gpus: float = 0.0,
              log: Callable[[str], None] | None = None, every_s: float = 30.0) -> int:
    """Run ``fn(*args)`` for each tuple of ``items`` by :func:`map_work` (one thread each; ``gpus`` GPUs each on
    Ray), for the side effect (each stores its result). ``log`` gets ``"<what> i/n, t s (~left s left) on k
    node(s) (...)"`` at most every ``every_s`` seconds and when done. Returns the number of items."""
    import time

    items = list(items)
    if not items:
        return 0
    start = last = time.time()
    nodes: dict[str, int] = {}
    for i, (_, _, node) in enumerate(map_work(fn, items, jobs, 1, gpus)):
        nodes[node] = nodes.get(node, 0) + 1
        now = time.time()
        if log and (now - last > every_s or i + 1 == len(items)):
            last = now
            left = (now - start) / (i + 1) * (len(items) - i - 1)
            per_node = ", ".join(f"{name[:8]} {n}" for name, n in sorted(nodes.items()))
            log(f"{what} {i + 1}/{len(items)}, {now - start:.0f} s (~{left:.0f} s left) on "
                f"{len(nodes)} node{'s' if len(nodes) > 1 else ''} ({per_node})")
    return len(items)
