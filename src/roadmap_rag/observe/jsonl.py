"""Append-only JSON-lines files under the data dir (the query log, the feedback): one record a line, size-capped
with rotation (``<stem>.1<suffix>`` is the previous file, up to ``backups`` of them).

Any text a record holds is written and read back as it came: a lone surrogate (which a browser or a client can
send) is kept as its JSON escape, so the file stays valid UTF-8, and only ``\\n`` ends a record, so a U+2028 or a
form feed inside a string is text, not a line break. A torn last line (a crash mid-write) costs only itself.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_log = logging.getLogger(__name__)
_warned: set[Path] = set()


def encode(record: dict[str, Any]) -> bytes:
    """One record as a line of UTF-8; a lone surrogate becomes its JSON escape (``\\ud800``), read back as itself."""
    return (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode("utf-8", "backslashreplace")


class JsonlFile:
    """Append-only and safe across threads."""

    _lock = threading.Lock()

    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups

    def backup(self, n: int) -> Path:
        return self.path.with_name(f"{self.path.stem}.{n}{self.path.suffix}")

    def append(self, record: dict[str, Any]) -> None:
        """Raises OSError when the file cannot be written (a full disk, a read-only data dir)."""
        line = encode(record)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.exists() and self.path.stat().st_size + len(line) > self.max_bytes:
                self._rotate()
            with self.path.open("a+b") as f:
                if f.tell() and (f.seek(-1, 2), f.read(1))[1] != b"\n":
                    line = b"\n" + line  # end a line torn by a crash, so it costs only itself
                f.write(line)

    def append_or_warn(self, record: dict[str, Any], what: str) -> bool:
        """Append, or log one warning per file and process that ``what`` could not be written; never raises."""
        try:
            self.append(record)
        except (OSError, ValueError, TypeError) as exc:
            if self.path not in _warned:
                _warned.add(self.path)
                _log.warning(
                    "%s could not be written to %s (%s); later failures are not repeated", what, self.path, exc
                )
            return False
        return True

    def _rotate(self) -> None:
        """x.jsonl -> x.1.jsonl -> ... ; the oldest beyond ``backups`` is dropped."""
        if self.backups == 0:
            self.path.unlink()
            return
        self.backup(self.backups).unlink(missing_ok=True)
        for n in range(self.backups - 1, 0, -1):
            if self.backup(n).exists():
                self.backup(n).rename(self.backup(n + 1))
        self.path.rename(self.backup(1))

    def records(self) -> Iterator[dict[str, Any]]:
        """Every record kept, oldest first (the rotated files, then the current one)."""
        for path in [*(self.backup(n) for n in range(self.backups, 0, -1)), self.path]:
            if not path.is_file():
                continue
            for line in path.read_text(encoding="utf-8", errors="replace").split("\n"):
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    yield record
