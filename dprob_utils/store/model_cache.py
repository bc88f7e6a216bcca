"""Content-addressed, atomic cache of trained models.

A model is stored under ``<cache>/models/<arch>/<key>.pt`` where ``key`` hashes everything that determines
it (:meth:`TrainConfig.canonical`, which includes the training code version). Beside it, ``<key>.json`` holds
its :class:`TrainResult` so that tools (the sweep browser, the scorecard) list cached models without loading
weights. Both files are written atomically: a run killed at any moment leaves no half-written entry, and the
``.json`` is written last, so a listed model always has its weights.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

from torch import nn

from dprob_utils.config.paths import cache_dir
from dprob_utils.config.training import TrainConfig
from dprob_utils.dp.training import TrainResult, train, with_delta
from dprob_utils.models.architectures import build_model
from dprob_utils.store import core as store


class ModelCache:
    """Stores and finds trained models by their :class:`TrainConfig`."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else cache_dir() / "models"

    def weights_path(self, cfg: TrainConfig) -> Path:
        return self.root / cfg.arch / f"{cfg.key()}.pt"

    def result_path(self, cfg: TrainConfig) -> Path:
        return self.root / cfg.arch / f"{cfg.key()}.json"

    def __contains__(self, cfg: TrainConfig) -> bool:
        return store.has(self.root / cfg.arch, cfg.key())

    def save(self, cfg: TrainConfig, model: nn.Module, result: TrainResult) -> None:
        store.put(self.root / cfg.arch, cfg.key(), model.state_dict(), asdict(result))

    def save_entry(self, cfg: TrainConfig, state: dict, record: dict) -> None:
        """Store an entry made elsewhere (a Ray worker's :func:`store.core.get` of its own cache)."""
        store.put(self.root / cfg.arch, cfg.key(), state, record)

    def remove_orphans(self, cfg: TrainConfig) -> list[Path]:
        """Remove the temporary files that writers of ``cfg``'s entry left when killed mid-write (call once every
        writer of it is done); the paths removed."""
        gone = []
        for final in (self.weights_path(cfg), self.result_path(cfg)):
            for tmp in final.parent.glob(f".{final.name}.*.tmp"):
                tmp.unlink(missing_ok=True)
                gone.append(tmp)
        return gone

    def load(self, cfg: TrainConfig) -> tuple[nn.Module, TrainResult] | None:
        """The cached model and result, or ``None``. A damaged entry is treated as missing."""
        entry = store.get(self.root / cfg.arch, cfg.key())
        if entry is None:
            return None
        state, record = entry
        try:
            result = TrainResult(**record)
            model = build_model(cfg.arch)
            model.load_state_dict(state)
        except (ValueError, RuntimeError, TypeError, KeyError):
            return None
        model.eval()
        result.cached = True
        # the model asked for, which may be written otherwise than the one stored under its key (a fixed-noise
        # model at C = 1 is stored once with the DP-SGD model it equals)
        result.config = {**result.config, **asdict(cfg)}
        return model, result

    def results(self) -> Iterator[TrainResult]:
        """Every cached result (no weights loaded), for browsing a sweep."""
        for _, record in store.records(self.root, "*/*.json"):
            try:
                r = TrainResult(**record)
            except TypeError:
                continue
            r.cached = True
            yield r


def train_or_load(
    cfg: TrainConfig,
    *,
    delta: float = 1e-5,
    cache: ModelCache | None = None,
    data_dir: str | None = None,
    progress: bool | None = None,
) -> tuple[nn.Module, TrainResult]:
    """The model for ``cfg``: from the cache if it is there, else trained now and stored.

    The privacy figures are re-accounted at ``delta`` (cheap), so changing delta never retrains.
    """
    cache = cache or ModelCache()
    if data_dir is not None or os.environ.get("DPROB_DATA"):
        # a data directory the user named must hold the data even when the model is cached (decoded: ms)
        from dprob_utils.data.datasets import load_dataset

        load_dataset(cfg.dataset, "train", data_dir)
    hit = cache.load(cfg)
    if hit is not None:
        model, result = hit
        return model, with_delta(result, delta)
    model, result = train(cfg, delta=delta, data_dir=data_dir, progress=progress)
    cache.save(cfg, model, result)
    model.eval()
    return model, result
