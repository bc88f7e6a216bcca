"""One table of every number of a build: ``results/<profile>/metrics.csv`` and ``metrics.parquet``.

:func:`metrics_table` flattens every chapter's results JSON into one row per number (an interval is one row with
its bounds): ``chapter``, ``path`` (the scorecard's selector syntax, lists by index: ``models/p1:sgd/accuracy[0]``),
``experiment`` (the first segment), ``model``, ``mode``, ``sigma``, ``clip``, ``seed`` (from the nearest enclosing
record that has them), ``metric`` (the last name), ``value``, ``low``, ``high``, ``level``, ``units``.
:func:`dprob_utils.book.compare.compare` compares two such tables (``dprob compare``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

COLUMNS = ["chapter", "path", "experiment", "model", "mode", "sigma", "clip", "seed", "metric", "value", "low",
           "high", "level", "units"]
SKIP = ("provenance",)  # what made the results, not results
CONTEXT = ("mode", "sigma", "clip", "seed")


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str) and v in ("inf", "-inf", "nan", "Infinity", "-Infinity", "NaN"):
        return float(v.replace("Infinity", "inf").replace("NaN", "nan"))
    return None


def _is_interval(d: Any) -> bool:
    return isinstance(d, dict) and all(k in d for k in ("estimate", "low", "high"))


def _rows(chapter: str, data: Any, path: str, ctx: dict, units: str | None, out: list[dict]) -> None:
    if isinstance(data, dict):
        ctx = dict(ctx)
        for k in CONTEXT:
            if k in data and not isinstance(data[k], (dict, list)):
                ctx[k] = data[k]
        if "mode" in data and isinstance(data.get("key"), str):  # a model's record in a list of models
            ctx["model"] = data["key"]
        if _is_interval(data):
            out.append(_row(chapter, path, ctx, units, _number(data["estimate"]), _number(data["low"]),
                            _number(data["high"]), data.get("level")))
            return
        for k, v in data.items():
            if not path and k in SKIP:
                continue
            sub = dict(ctx)
            if path.split("/")[-1] == "models":  # the keys of a "models" record name models
                sub["model"] = k
            _rows(chapter, v, f"{path}/{k}" if path else str(k), sub, units, out)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _rows(chapter, v, f"{path}[{i}]", ctx, units, out)
    else:
        value = _number(data)
        if value is not None:
            out.append(_row(chapter, path, ctx, units, value, None, None, None))


def _row(chapter: str, path: str, ctx: dict, units, value, low, high, level) -> dict:
    names = [s.split("[")[0] for s in path.split("/") if s.split("[")[0]]
    return {"chapter": chapter, "path": path, "experiment": path.split("/")[0].split("[")[0],
            "model": ctx.get("model"), "mode": ctx.get("mode"), "sigma": ctx.get("sigma"), "clip": ctx.get("clip"),
            "seed": ctx.get("seed"), "metric": names[-1] if names else path, "value": value, "low": low,
            "high": high, "level": level, "units": units}


def metrics_table(folder: Path) -> pd.DataFrame:
    """Every number of every chapter results file (``NN_*.json``) in ``folder``, one row each."""
    rows: list[dict] = []
    for path in sorted(Path(folder).glob("[0-9][0-9]_*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        units = data.get("units") if isinstance(data.get("units"), str) else None
        _rows(path.stem, data, "", {}, units, rows)
    df = pd.DataFrame(rows, columns=COLUMNS)
    for col in ("sigma", "clip", "value", "low", "high", "level"):
        df[col] = pd.to_numeric(df[col], errors="coerce")
    for col in ("model", "mode", "units", "seed"):
        df[col] = df[col].astype("string")
    return df


def write_metrics(profile: str) -> list[Path]:
    """Write :func:`metrics_table` of ``results/<profile>/`` as ``metrics.csv`` and ``metrics.parquet``."""
    from dprob_utils.config.paths import results_dir

    folder = results_dir(profile)
    df = metrics_table(folder)
    paths = [folder / "metrics.csv", folder / "metrics.parquet"]
    df.to_csv(paths[0], index=False)
    df.to_parquet(paths[1], index=False)
    return paths
