"""Module-level helpers for the manager tests (picklable under spawn and forkserver)."""

from __future__ import annotations

from processing.managers import BaseManager, CreatorMethod


class Counter:
    def __init__(self, start: int = 0) -> None:
        self.count = start

    def add(self, n: int = 1) -> int:
        self.count += n
        return self.count

    def fail(self) -> None:
        raise KeyError("no such thing")

    def numbers(self, n: int):
        return iter(range(n))


def broken_factory() -> None:
    raise ValueError("cannot build this")


class CounterManager(BaseManager):
    """The 0.52 style: creator methods declared in the class body."""

    Counter = CreatorMethod(Counter)
    Broken = CreatorMethod(broken_factory)


SHARED: dict = {}


def get_shared() -> dict:
    return SHARED


class ServingManager(BaseManager):
    """The server side of a remote manager."""


ServingManager.register("get_shared", callable=get_shared)


class RemoteManager(BaseManager):
    """A client that knows only the typeid, the address and the key."""


RemoteManager.register("get_shared")
