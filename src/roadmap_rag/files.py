"""Small file helpers every stage shares: hashing, JSON records written atomically, a lock across processes."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
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


@contextlib.contextmanager
def held(lock: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file ``lock`` (made if absent) while the block runs; other processes
    wait for it. Where the platform has no ``fcntl`` (Windows), the block runs unlocked."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as handle:
        try:
            import fcntl
        except ImportError:
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
