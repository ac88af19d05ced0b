"""The store's gate: any number of operations at once, or one reopening of the client alone."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Gate:
    """Any number of store operations at once, or one reopening of the client alone (it waits for those in
    flight, and new ones wait for it)."""

    def __init__(self) -> None:
        self._state = threading.Condition()
        self._active = 0
        self._held = False

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._state:
            self._state.wait_for(lambda: not self._held)
            self._active += 1
        try:
            yield
        finally:
            with self._state:
                self._active -= 1
                self._state.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._state:
            self._state.wait_for(lambda: not self._held)
            self._held = True
            self._state.wait_for(lambda: not self._active)
        try:
            yield
        finally:
            with self._state:
                self._held = False
                self._state.notify_all()
