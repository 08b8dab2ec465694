"""The messages between the scheduler and a worker, as named types.

To a worker: a batch of calls (``Apply``, ``Map``, ``Starmap``), or ``STOP``. From a worker,
one message per call, in the order the calls were sent: ``Done`` or ``Failed``; or, once,
``InitFailed`` when the pool's initializer raised. In the parent a call travels inside a
``Task``, which also names the job it belongs to.

On the wire a message is a plain tuple, its type's ``tag`` followed by its fields
(``to_wire``/``call_from_wire``/``outcome_from_wire``): a pickled class reference would cost
more than the rest of a small task's message.
"""

from __future__ import annotations

import itertools
import pickle
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Union

from processing.pool._errors import RemoteTraceback, summary

if TYPE_CHECKING:
    from processing.pool._jobs import Job

__all__ = [
    "STOP",
    "Apply",
    "Call",
    "Done",
    "Failed",
    "InitFailed",
    "Map",
    "Outcome",
    "Starmap",
    "Task",
    "call_from_wire",
    "outcome_from_wire",
    "to_wire",
]

#: The message that tells a worker to exit: an empty frame.
STOP = b""


# ---------------------------------------------------------------------------- calls


class Apply(NamedTuple):
    """Call ``func(*args, **kwds)``; the result is its return value."""

    func: Callable[..., Any]
    args: tuple
    kwds: dict

    tag = 0

    def run(self) -> Any:
        return self.func(*self.args, **self.kwds)


class Map(NamedTuple):
    """Call ``func(item)`` for each item of a chunk; the result is the list of values."""

    func: Callable[[Any], Any]
    items: list

    tag = 1

    def run(self) -> list:
        return list(map(self.func, self.items))


class Starmap(NamedTuple):
    """Call ``func(*item)`` for each item of a chunk; the result is the list of values."""

    func: Callable[..., Any]
    items: list

    tag = 2

    def run(self) -> list:
        return list(itertools.starmap(self.func, self.items))


Call = Union[Apply, Map, Starmap]
_CALLS: tuple[type, ...] = (Apply, Map, Starmap)


class Task(NamedTuple):
    """A call as the scheduler holds it: the ``index``-th task of ``job``, run under
    ``timeout`` seconds (None: no limit). Never leaves the parent; its ``call`` does."""

    job: Job
    index: int
    timeout: float | None
    call: Call


# ---------------------------------------------------------------------------- outcomes


class Done(NamedTuple):
    """The call returned ``value`` after running ``seconds`` in the worker."""

    value: Any
    seconds: float

    tag = 0


class Failed(NamedTuple):
    """The call raised: ``error`` is the pickled exception, ``traceback`` the worker's text,
    ``summary`` a one-line description that survives when ``error`` cannot be unpickled."""

    error: bytes
    traceback: str
    summary: str
    seconds: float

    tag = 1

    def exception(self) -> BaseException:
        """The exception to raise in the parent, the worker's traceback as its cause."""
        try:
            exc = pickle.loads(self.error)
        except BaseException as err:  # noqa: BLE001 - whatever stops unpickling, the task fails
            exc = pickle.UnpicklingError(
                f"the task raised {self.summary}, but that exception could not be unpickled "
                f"in the parent ({summary(err)}); give the exception class an __init__ that "
                "accepts its args, or a __reduce__"
            )
        if self.traceback:
            exc.__cause__ = RemoteTraceback(self.traceback)
        return exc


class InitFailed(NamedTuple):
    """The pool's initializer raised in the worker (which then exits)."""

    traceback: str
    summary: str

    tag = 2


Outcome = Union[Done, Failed, InitFailed]
_OUTCOMES: tuple[type, ...] = (Done, Failed, InitFailed)


# ---------------------------------------------------------------------------- the wire form


def to_wire(message: Call | Outcome) -> tuple:
    """The plain tuple that is pickled for ``message``: its tag, then its fields."""
    return (message.tag, *message)


def call_from_wire(raw: tuple) -> Call:
    """The call a worker received as ``to_wire(call)``."""
    return _CALLS[raw[0]](*raw[1:])


def outcome_from_wire(raw: tuple) -> Outcome:
    """The outcome the parent received as ``to_wire(outcome)``."""
    return _OUTCOMES[raw[0]](*raw[1:])
