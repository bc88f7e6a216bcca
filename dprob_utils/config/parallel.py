"""Independent work in separate processes: notebooks side by side (:mod:`.runner`) and models of a grid trained
side by side (:func:`.zoo.train_missing`).

Why processes and not torch threads: small convolutions and DP-SGD's per-step Python work do not spread well
over threads (measured in benchmarks/README.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from dprob_utils.config.errors import ConfigError


def default_jobs() -> int:
    """Processes side by side by default: ``$DPROB_JOBS``, else 2 on a machine with at least 2 cores."""
    env = os.environ.get("DPROB_JOBS")
    if env:
        if not env.isdigit() or int(env) < 1:
            raise ConfigError(f"DPROB_JOBS must be a whole number >= 1, got {env!r}")
        return int(env)
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def _init_worker(threads: int) -> None:
    from dprob_utils.dp.fast.allocator import tune_malloc

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
