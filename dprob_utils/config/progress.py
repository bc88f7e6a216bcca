"""Progress bars that can be switched off (``DPROB_PROGRESS=0``), e.g. for tests and book builds."""

from __future__ import annotations

import os
from collections.abc import Iterable


def enabled() -> bool:
    return os.environ.get("DPROB_PROGRESS", "1") not in ("0", "false", "no")


def progress(iterable: Iterable, desc: str = "", total: int | None = None, leave: bool = False,
             on: bool | None = None):
    """The one progress bar: ``tqdm.auto`` over ``iterable`` (a notebook widget or a terminal bar); ``on``: True
    shows it, False hides it, None follows :func:`enabled`. A hidden bar iterates as ``iterable`` does."""
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, leave=leave, disable=not (enabled() if on is None else on))
