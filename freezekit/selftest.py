"""The self-test that runs inside a built program: children re-enter and data round-trips.

``freezekit build`` runs the program as ``<exe> --freezekit-self-test`` with
``FREEZEKIT_SELF_TEST=1`` (both, so that neither an app's own argument nor a stray
environment variable can trigger it). It starts a processing child and a stdlib
``multiprocessing`` child with the spawn method, the path every frozen child takes on
Windows and macOS, sends each a random token through a Pipe and gets it back through a Queue.
The last line of its output is ``freezekit-self-test: ok`` followed by JSON, or it fails;
the line also goes to the file named by ``FREEZEKIT_SELF_TEST_REPORT`` if set, since a
windowed program has no standard output.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import secrets
import sys
from typing import Any

__all__ = ["ENV", "FLAG", "OK", "REPORT_ENV", "main"]

FLAG = "--freezekit-self-test"
ENV = "FREEZEKIT_SELF_TEST"
OK = "freezekit-self-test: ok"
REPORT_ENV = "FREEZEKIT_SELF_TEST_REPORT"

_TIMEOUT = 60.0


def _echo(conn: Any, queue: Any) -> None:
    """Child: read a token from the pipe and send it back, with this child's pid."""
    queue.put((conn.recv(), os.getpid()))


class _RoundTrip:
    """One child started with ``ctx`` that echoes a random token back."""

    def __init__(self, ctx: Any) -> None:
        self.token = secrets.token_hex(8)
        receiver, self.sender = ctx.Pipe(duplex=False)
        self.queue = ctx.Queue()
        # Daemonic, so a failure of one round trip cannot leave the other child waiting.
        self.child = ctx.Process(target=_echo, args=(receiver, self.queue), daemon=True)
        self.child.start()

    def finish(self) -> int:
        """Send the token, check the echo; the child's pid."""
        try:
            self.sender.send(self.token)
            echoed, pid = _answer(self.queue, self.child)
        finally:
            self.child.join(_TIMEOUT)
        if echoed != self.token or self.child.exitcode != 0 or pid == os.getpid():
            raise RuntimeError(
                f"child {self.child.name} returned {echoed!r} for {self.token!r} and exited "
                f"with {self.child.exitcode}")
        return pid


def _answer(queue: Any, child: Any) -> Any:
    """The child's answer; RuntimeError as soon as it is dead without one, or too late."""
    import queue as stdlib_queue
    import time

    deadline = time.monotonic() + _TIMEOUT
    while time.monotonic() < deadline:
        try:
            return queue.get(timeout=0.1)
        except stdlib_queue.Empty:
            if child.exitcode is not None:
                raise RuntimeError(
                    f"child {child.name} exited with {child.exitcode} without answering; "
                    "its error is above") from None
    raise RuntimeError(f"child {child.name} did not answer within {_TIMEOUT:g} s")


def main() -> int:
    """Run the self-test; 0 and the OK line if children re-entered and answered."""
    import processing

    # Both children start before either is waited for: the build waits for the slower one
    # only, not for the sum of two interpreter start-ups.
    trips = {
        "processing": _RoundTrip(processing.getContext("spawn")),
        "multiprocessing": _RoundTrip(multiprocessing.get_context("spawn")),
    }
    pids = {name: trip.finish() for name, trip in trips.items()}
    line = f"{OK} {json.dumps({'executable': sys.executable, 'child_pids': pids})}"
    if os.environ.get(REPORT_ENV):
        with open(os.environ[REPORT_ENV], "w", encoding="utf-8") as report:
            report.write(line + "\n")
    if sys.stdout is not None:
        print(line, flush=True)
    return 0
