"""Independent work as Ray tasks (``--executor ray``): the same units as :func:`.parallel.map_processes` (one
model to train, one chapter that reads only cached models), each with its resource request, on a Ray cluster.

Without an address, :func:`connect` starts a local cluster with this machine's cores; with one (``--address``,
``$DPROB_RAY_ADDRESS``) it joins that cluster, and it exports the address so that the notebook kernels started
later join the same one. Every node needs dprob installed at the same version (checked: a task returns its node's
code version) and, for the book, the checkout, the data and the cache on the same paths (a shared file system;
one machine trivially). A unit's results come back through Ray's object store; the cache's atomic writes hold on
a shared path because every temporary name carries host, process and a random token
(:func:`dprob_utils.config.paths.atomic_write_bytes`). A task whose node dies is rerun elsewhere (Ray's
``max_retries``), and so is one that raised ``OSError`` (a file system hiccup); other errors are the user's and
stop the run with one line, as locally.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from dprob_utils.config.errors import ConfigError, DprobError

RAY_ADDRESS_ENV = "DPROB_RAY_ADDRESS"
RAY_VERSION = "2.60.0"
MISSING = f"--executor ray needs Ray: pip install 'dprob[ray]' (or pip install ray=={RAY_VERSION})"
MAX_RETRIES = 3
# what a worker needs of the driver's environment (a node started by `ray start` has its own)
FORWARDED_ENV = ("DPROB_DATA", "DPROB_CACHE", "DPROB_RESULTS", "DPROB_OVERRIDES", "DPROB_STATUS_FILE",
                 "DPROB_COMPILE", "DPROB_DEVICE", "DPROB_MALLOC_TUNING")


def ray_module():
    """``ray``, or one clear error saying how to install it."""
    try:
        import ray
    except ImportError as e:
        raise ConfigError(MISSING) from e
    return ray


def worker_environment() -> dict[str, str]:
    """Environment variables every task's worker process starts with: the forwarded ``DPROB_*`` settings, no
    progress bars, and glibc's malloc setting (before torch's import: :mod:`dprob_utils.config.allocator`)."""
    from dprob_utils.config.allocator import malloc_environment

    env = {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}
    env.update(DPROB_PROGRESS="0", DPROB_EXECUTOR="local", **malloc_environment())
    return env


def connect(address: str | None = None) -> str:
    """Join the Ray cluster at ``address`` (default ``$DPROB_RAY_ADDRESS``), or start a local one with this
    machine's cores; returns the cluster's address, also exported as ``$DPROB_RAY_ADDRESS`` for child processes.
    Joining twice is a no-op."""
    ray = ray_module()
    address = address or os.environ.get(RAY_ADDRESS_ENV) or None
    if not ray.is_initialized():
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        kwargs: dict[str, Any] = dict(runtime_env={"env_vars": worker_environment()}, log_to_driver=False,
                                      include_dashboard=False, configure_logging=False)
        try:
            if address:
                ray.init(address=address, **kwargs)
            else:
                ray.init(num_cpus=os.cpu_count() or 1, **kwargs)
        except (ConnectionError, RuntimeError, ValueError) as e:
            raise DprobError(f"could not reach the Ray cluster at {address or 'a new local cluster'}: "
                             f"{str(e).splitlines()[0] if str(e) else type(e).__name__}") from e
    gcs = ray.get_runtime_context().gcs_address
    os.environ[RAY_ADDRESS_ENV] = gcs
    return gcs


def cluster_gpus() -> float:
    """GPUs of the joined cluster (0 on a CPU cluster)."""
    return float(ray_module().cluster_resources().get("GPU", 0.0))


def _run_unit(fn: Callable[..., Any], args: tuple, threads: int) -> tuple[Any, str, str]:
    """What a task runs: ``fn(*args)`` with ``threads`` torch threads; also the node it ran on and the node's
    dprob code version."""
    import ray
    import torch

    from dprob_utils.config.versions import code_version

    torch.set_num_threads(threads)
    return fn(*args), ray.get_runtime_context().get_node_id(), code_version()


def map_tasks(fn: Callable[..., Any], items: Iterable[tuple], threads: int = 1, gpus: float = 0.0,
              address: str | None = None) -> Iterator[tuple[tuple, Any, str]]:
    """Yield ``(args, fn(*args), node id)`` for each tuple of ``items`` as it finishes, each a Ray task asking for
    ``threads`` CPUs and ``gpus`` GPUs (a fraction shares one). ``fn`` must be importable on every node. A task
    that fails with a user error raises it here (the pending ones are cancelled); one whose node died is rerun."""
    ray = ray_module()
    from dprob_utils.config.versions import code_version

    connect(address)
    items = list(items)
    remote = ray.remote(_run_unit).options(num_cpus=threads, num_gpus=gpus, max_retries=MAX_RETRIES,
                                           retry_exceptions=[OSError])
    pending = {remote.remote(fn, args, threads): args for args in items}
    mine = code_version()
    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            ref = ready[0]
            args = pending.pop(ref)
            try:
                result, node, version = ray.get(ref)
            except ray.exceptions.RayTaskError as e:
                cause = e.cause if isinstance(getattr(e, "cause", None), BaseException) else e
                raise cause from None
            if version != mine:
                raise DprobError(f"node {node[:8]} runs dprob code {version}, this machine {mine}: install the "
                                 "same dprob on every node")
            yield args, result, node
    except BaseException:
        for ref in pending:
            ray.cancel(ref)
        raise
