"""The one key recipe of the book: what determines an entry of the store (a trained model, an attack run, a
stored result) hashed to a short hex key.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

KEY_LENGTH = 16


def content_key(parts: Any) -> str:
    """16 hex digits of the SHA-256 of the sorted-keys JSON of ``parts`` (JSON-serialisable; dict key order does
    not matter; other objects by ``str``): settings, model keys, a code version from :mod:`.versions`."""
    blob = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:KEY_LENGTH]
