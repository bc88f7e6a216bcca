"""Content-addressed, atomic cache of trained models.

A model is stored under ``<cache>/models/<arch>/<key>.pt`` where ``key`` hashes everything that determines
it (:meth:`TrainConfig.canonical`, which includes the training code version). Beside it, ``<key>.json`` holds
its :class:`TrainResult` so that tools (the sweep browser, the scorecard) list cached models without loading
weights. Both files are written atomically: a run killed at any moment leaves no half-written entry, and the
``.json`` is written last, so a listed model always has its weights.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import torch
from torch import nn

from dprob_utils.book.results import from_jsonable, to_jsonable
from dprob_utils.config.paths import atomic_write_bytes, cache_dir
from dprob_utils.dp.training import TrainConfig, TrainResult, train, with_delta
from dprob_utils.models.architectures import build_model


class ModelCache:
    """Stores and finds trained models by their :class:`TrainConfig`."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else cache_dir() / "models"

    def weights_path(self, cfg: TrainConfig) -> Path:
        return self.root / cfg.arch / f"{cfg.key()}.pt"

    def result_path(self, cfg: TrainConfig) -> Path:
        return self.root / cfg.arch / f"{cfg.key()}.json"

    def __contains__(self, cfg: TrainConfig) -> bool:
        return self.result_path(cfg).is_file() and self.weights_path(cfg).is_file()

    def save(self, cfg: TrainConfig, model: nn.Module, result: TrainResult) -> None:
        buf = io.BytesIO()
        torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, buf)
        atomic_write_bytes(self.weights_path(cfg), buf.getvalue())
        atomic_write_bytes(self.result_path(cfg), json.dumps(to_jsonable(asdict(result)), indent=1, sort_keys=True).encode())

    def load(self, cfg: TrainConfig) -> tuple[nn.Module, TrainResult] | None:
        """The cached model and result, or ``None``. A damaged entry is treated as missing."""
        if cfg not in self:
            return None
        try:
            result = TrainResult(**from_jsonable(json.loads(self.result_path(cfg).read_text())))
            state = torch.load(self.weights_path(cfg), map_location="cpu", weights_only=True)
            model = build_model(cfg.arch)
            model.load_state_dict(state)
        except (OSError, ValueError, RuntimeError, TypeError, KeyError, EOFError):
            return None
        model.eval()
        result.cached = True
        return model, result

    def results(self) -> Iterator[TrainResult]:
        """Every cached result (no weights loaded), for browsing a sweep."""
        for path in sorted(self.root.glob("*/*.json")):
            try:
                r = TrainResult(**from_jsonable(json.loads(path.read_text())))
            except (OSError, ValueError, TypeError):
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
    hit = cache.load(cfg)
    if hit is not None:
        model, result = hit
        return model, with_delta(result, delta)
    model, result = train(cfg, delta=delta, data_dir=data_dir, progress=progress)
    cache.save(cfg, model, result)
    model.eval()
    return model, result
