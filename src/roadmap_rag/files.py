"""Small file helpers every stage shares: hashing, and JSON records written atomically."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any


def file_sha256(path: Path, digest: Any = None) -> str:
    """SHA-256 of a file, read in 1 MiB blocks; ``digest`` (a hashlib object) to feed a running hash."""
    digest = digest or hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return str(digest.hexdigest())


def read_json(path: Path) -> Any:
    """The parsed file, or None when it is missing or not JSON (a record not written yet, or damaged)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(path: Path, data: Any, **dumps: Any) -> None:
    """Write ``data`` as JSON so that a reader sees the old file or the new one, never half of either."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, **dumps), encoding="utf-8")
    os.replace(tmp, path)


def resolved(path: Path) -> Path | None:
    """``path`` with its links followed, or None when they loop (a link that leads back to itself)."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError for a loop, 3.13 OSError
        return None
