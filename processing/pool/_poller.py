"""What the scheduler's thread waits on: the workers' connections and sentinels, and its
wake-up socket; a connection is watched for writability while its outbox has data."""

from __future__ import annotations

import selectors
import sys
from multiprocessing.connection import wait
from typing import Any, Callable

__all__ = ["Poller"]

Handler = Callable[[], None]


class Poller:
    """A selector whose registrations carry the handlers to run when they are ready."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector() if sys.platform != "win32" else None
        self._handlers: dict[Any, tuple[Handler, Handler | None]] = {}

    def add(self, obj: Any, on_read: Handler) -> None:
        """Run ``on_read`` when ``obj`` is readable (or has ended)."""
        if self._selector is not None:
            self._selector.register(obj, selectors.EVENT_READ, (on_read, None))
        self._handlers[obj] = (on_read, None)

    def watch_writable(self, obj: Any, on_write: Handler | None) -> None:
        """Also run ``on_write`` when ``obj`` is writable; None: stop watching for that.
        (Only where writes do not block: not on Windows.)"""
        on_read, current = self._handlers[obj]
        if (current is None) == (on_write is None) or self._selector is None:
            return
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if on_write else 0)
        self._selector.modify(obj, events, (on_read, on_write))
        self._handlers[obj] = (on_read, on_write)

    def watching(self, obj: Any) -> bool:
        return obj in self._handlers

    def remove(self, obj: Any) -> None:
        if self._handlers.pop(obj, None) is not None and self._selector is not None:
            self._selector.unregister(obj)

    def poll(self, timeout: float | None) -> list[Handler]:
        """The handlers of what is ready within ``timeout`` seconds (writes first)."""
        if self._selector is None:
            return [self._handlers[obj][0] for obj in wait(list(self._handlers), timeout)]
        ready = []
        for key, events in self._selector.select(timeout):
            on_read, on_write = key.data
            if events & selectors.EVENT_WRITE and on_write is not None:
                ready.append(on_write)
            if events & selectors.EVENT_READ:
                ready.append(on_read)
        return ready

    def close(self) -> None:
        if self._selector is not None:
            self._selector.close()
