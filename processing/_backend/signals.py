"""The stop signal: what ``Process.stop()`` sends, and the one place a child turns it into
``ProcessExit``.

``Process.start()`` blocks the signal while it creates a child (:func:`held_back`); the child
inherits the mask, so a ``stop()`` that comes before the child's handler exists waits
instead of killing it outright. The handler is installed where the process object starts
to run in the child (``Process._run_in_child``: every start method's child passes there),
and the signal is unblocked after the stdlib's after-fork hooks, inside the block that
turns ``SystemExit`` into the exit code: a ``stop()`` during the launch ends the child
with 127.

Windows has no signal mask: there the spawn bootstrap installs the handler as soon as it
runs (:func:`install_stop_handler` is idempotent), so an early CTRL_BREAK raises
``ProcessExit`` rather than ending the child with the console's exit code.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from processing import _stdlib

__all__ = ["PROCESS_EXIT_CODE", "STOP_SIGNAL", "ProcessExit", "block_stop_signal", "held_back",
           "install_stop_handler", "unblock_stop_signal"]

#: Exit code of a child that let ``ProcessExit`` (raised by ``stop()``) propagate, as in
#: the original processing package; ``repr()`` shows it as ``stopped[ProcessExit]``.
PROCESS_EXIT_CODE = 127

#: The signal that ``stop()`` sends. On Windows it is a console CTRL_BREAK event, which
#: needs the child to be in its own process group (the spawn launcher arranges that).
STOP_SIGNAL = signal.SIGBREAK if sys.platform == "win32" else signal.SIGUSR1

_STOP_NUMBER = int(STOP_SIGNAL)


class ProcessExit(SystemExit):
    """Raised inside a child by ``Process.stop()``; the child should end soon after."""


def _raise_process_exit(signum: int, frame: object) -> None:
    raise ProcessExit(PROCESS_EXIT_CODE)


def install_stop_handler() -> None:
    """Make ``STOP_SIGNAL`` raise ``ProcessExit`` in this (child) process's main thread.

    The signal stays blocked if it was: :func:`unblock_stop_signal` lets it in.
    """
    _stdlib.set_signal_handler(_STOP_NUMBER, _raise_process_exit)


def unblock_stop_signal() -> None:
    """Let a held-back ``stop()`` in (it is delivered now if one came)."""
    _stdlib.unblock_signal(_STOP_NUMBER)


def block_stop_signal() -> None:
    """Hold ``stop()`` back in this thread and in every process it starts (the fork server)."""
    _stdlib.block_signal(_STOP_NUMBER)


@contextmanager
def held_back() -> Iterator[None]:
    """While a child is being created: its ``stop()`` waits for the child's handler."""
    was_blocked = _stdlib.block_signal(_STOP_NUMBER)
    try:
        yield
    finally:
        if not was_blocked:
            _stdlib.unblock_signal(_STOP_NUMBER)
