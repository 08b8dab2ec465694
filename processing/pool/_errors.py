"""The exceptions a pool raises, and how a worker's exception is described in one line."""

from __future__ import annotations

import pickle
from multiprocessing import ProcessError
from typing import Any

__all__ = [
    "BrokenPoolError",
    "MaybeEncodingError",
    "RemoteTraceback",
    "ResultNotReadyError",
    "WorkerLostError",
    "safe_repr",
    "summary",
]


class RemoteTraceback(Exception):
    """The worker's traceback, attached as ``__cause__`` to an exception raised by a task;
    ``tb`` is its text, as on the stdlib's."""

    def __init__(self, tb: str) -> None:
        super().__init__(tb)
        self.tb = tb

    def __str__(self) -> str:
        return "\n" + self.tb


class MaybeEncodingError(pickle.PicklingError):
    """A task's result (or exception) could not be pickled to send it back to the parent.

    As the stdlib's: ``exc`` and ``value`` are the ``repr()`` of the pickling error and of
    the object; it is also a ``pickle.PicklingError``.
    """

    def __init__(self, exc: Any, value: Any, note: str = "") -> None:
        self.exc = exc if isinstance(exc, str) else repr(exc)
        self.value = value if isinstance(value, str) else safe_repr(value)
        self.note = note
        super().__init__(self.exc, self.value, note)

    def __reduce__(self) -> Any:
        return type(self), (self.exc, self.value, self.note)

    def __str__(self) -> str:
        text = f"Error sending result: '{self.value}'. Reason: '{self.exc}'"
        return f"{self.note}. {text}" if self.note else text


class ResultNotReadyError(ValueError, AssertionError):
    """``successful()`` on a result that is not ready: a ``ValueError`` as the stdlib raises,
    and an ``AssertionError`` as processing 0.52 raised."""


class WorkerLostError(ProcessError):
    """The worker running a task ended before finishing it (killed, crashed or exited)."""

    def __init__(self, message: str, exitcode: int | None = None, pid: int | None = None):
        super().__init__(message)
        self.exitcode = exitcode
        self.pid = pid


class BrokenPoolError(ProcessError):
    """The pool cannot run tasks any more (its initializer failed, or its manager did)."""


# Pickled by the public module path, which stays the same whatever module defines them.
for _cls in (RemoteTraceback, MaybeEncodingError, ResultNotReadyError, WorkerLostError,
             BrokenPoolError):
    _cls.__module__ = "processing.pool"
del _cls


def summary(exc: BaseException) -> str:
    """``Type: message`` of an exception, whatever its ``__str__`` does."""
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - str() of a user's exception may raise anything
        text = "<str() failed>"
    return f"{type(exc).__qualname__}: {text}" if text else type(exc).__qualname__


def safe_repr(obj: Any) -> str:
    """``repr(obj)``, or a stand-in naming its type if that raises."""
    try:
        return repr(obj)
    except Exception:  # noqa: BLE001 - repr() of a user's object may raise anything
        return f"<{type(obj).__qualname__} object; repr() failed>"
