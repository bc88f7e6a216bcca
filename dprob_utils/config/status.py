"""Progress a build can read: which model is training, which experiment is computing, how far along.

A chapter's kernel (and the training processes it starts) append one JSON line per event to the file named by
``DPROB_STATUS_FILE`` (set by :mod:`dprob_utils.book.runner` for each chapter it executes); nothing is written
when it is unset. :func:`read_events` reads such a file and :func:`summarise` turns its events into the one line
``dprob book`` prints for that chapter.

Events (``kind``): ``train`` (a model's epoch finished: ``arch``, ``mode``, ``sigma``, ``clip``, ``seed``,
``epoch``, ``epochs``), ``trained`` (that process finished its model), ``models`` (``done`` of ``total`` models trained by this chapter), ``experiment`` (a
stored result is being computed: ``name``). Every event carries ``t`` (Unix seconds) and ``pid``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

STATUS_ENV = "DPROB_STATUS_FILE"
_listeners: list[Callable[[dict], None]] = []


@contextmanager
def listening(fn: Callable[[dict], None]) -> Iterator[None]:
    """Also pass every event reported in this process to ``fn`` while inside (the explorer's progress bar)."""
    _listeners.append(fn)
    try:
        yield
    finally:
        _listeners.remove(fn)


def report(kind: str, **fields) -> None:
    """Hand one event to the :func:`listening` callbacks and append it to ``$DPROB_STATUS_FILE`` (when set). One
    short line per ``write``: appends of that size from several processes do not interleave on a local disk."""
    event = {"t": time.time(), "pid": os.getpid(), "kind": kind, **fields}
    for fn in list(_listeners):
        fn(event)
    path = os.environ.get(STATUS_ENV)
    if not path:
        return
    line = json.dumps(event, default=str)
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
    except OSError:
        pass  # progress is best-effort; a build never fails for it


def read_events(path: Path, offset: int = 0) -> tuple[list[dict], int]:
    """Events appended to ``path`` from byte ``offset`` on, and the offset after the last complete line."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read()
    except OSError:
        return [], offset
    end = data.rfind(b"\n") + 1
    events = []
    for line in data[:end].splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events, offset + end


def clock(seconds: float) -> str:
    """``seconds`` as ``42s``, ``3m05s`` or ``1h02m``."""
    seconds = max(0, int(round(seconds)))
    m, s = divmod(seconds, 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m" if h else (f"{m}m{s:02d}s" if m else f"{s}s")


def _model(e: dict) -> str:
    dp = "" if e.get("mode") == "sgd" else f" σ={e.get('sigma'):g} C={e.get('clip'):g}"
    return f"{e.get('arch')} {e.get('mode')}{dp} seed {e.get('seed')} epoch {e.get('epoch')}/{e.get('epochs')}"


def summarise(events: list[dict], now: float | None = None) -> str:
    """One line from a chapter's events: models done of total with the time left at the rate so far, the
    models training now (one per training process), the experiment computing now. Empty without events."""
    if not events:
        return ""
    now = time.time() if now is None else now
    parts = []
    models = [e for e in events if e.get("kind") == "models"]
    if models:
        last, first = models[-1], models[0]
        done, total = int(last["done"]), int(last["total"])
        text = f"models {done}/{total}"
        start = float(first.get("start", first["t"]))
        if 0 < done < total:
            text += f" (~{clock((now - start) / done * (total - done))} left)"
        if last.get("nodes"):  # a Ray run: how many each node trained
            per_node = ", ".join(f"{node[:8]} {n}" for node, n in sorted(last["nodes"].items()))
            text += f" on {len(last['nodes'])} node{'s' if len(last['nodes']) > 1 else ''} ({per_node})"
        parts.append(text)
    training: dict[int, dict] = {}
    for e in events:
        if e.get("kind") == "train":
            training[e["pid"]] = e
        elif e.get("kind") == "trained":
            training.pop(e["pid"], None)
    parts += [f"training {_model(e)}" for e in training.values()]
    experiments = [e for e in events if e.get("kind") == "experiment"]
    if experiments and not training:
        parts.append(f"computing {experiments[-1]['name']}")
    return " · ".join(parts)
