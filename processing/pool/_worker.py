"""A worker's life, in the worker process: run the tasks it is sent, one by one, and send
each outcome back; exit on ``STOP``, at the end of its connection, or when its parent is gone."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
import time
import traceback
from multiprocessing.connection import wait
from typing import Any, Callable

from processing._wire import dumps as _dumps
from processing.pool._errors import MaybeEncodingError, summary
from processing.pool._framing import loads, split_batch
from processing.pool._messages import Done, Failed, InitFailed, call_from_wire, to_wire

__all__ = ["serve"]

#: How often (seconds) a worker checks that its parent is alive.
HEARTBEAT = 0.5


def serve(conn: Any, initializer: Callable[..., object] | None, initargs: tuple,
          maxtasks: int | None) -> None:
    """Run ``initializer(*initargs)``, then tasks from ``conn`` until told to stop, or after
    ``maxtasks`` tasks (None: no limit)."""
    _watch_parent()
    dumps = _dumps
    if initializer is not None:
        try:
            initializer(*initargs)
        except BaseException as exc:  # noqa: BLE001 - the initializer's failure is reported
            conn.send_bytes(dumps(to_wire(InitFailed(_format(exc), summary(exc)))))
            return
    recv, send = conn.recv_bytes, conn.send_bytes
    done = 0
    while maxtasks is None or done < maxtasks:
        try:
            data = recv()
        except (EOFError, OSError):
            return
        if not data:  # STOP
            return
        for payload in split_batch(data):
            send(_run(payload, dumps))
            done += 1


def _run(payload: Any, dumps: Callable[[Any], bytes]) -> bytes:
    """Run one pickled task; the pickled outcome to send back."""
    try:
        call = call_from_wire(loads(payload))
    except BaseException as exc:  # noqa: BLE001 - a task that cannot be unpickled fails alone
        return _failure(
            dumps, exc, 0.0,
            "the task could not be unpickled in the worker: a function sent to a pool must "
            "be importable there (defined at module level of an importable module)",
        )
    start = time.perf_counter()
    try:
        value = call.run()
    except BaseException as exc:  # noqa: BLE001 - the task's exception, whatever it is, goes back
        return _failure(dumps, exc, time.perf_counter() - start)
    finally:
        call = None  # nothing of the task outlives it in the worker
    seconds = time.perf_counter() - start
    try:
        return dumps(to_wire(Done(value, seconds)))
    except BaseException as exc:  # noqa: BLE001 - whatever stops pickling, the task fails
        stand_in = MaybeEncodingError(
            exc, value, f"the result of the task, a {type(value).__qualname__}, could not be "
            f"pickled to send it back to the parent ({summary(exc)})")
        return dumps(to_wire(Failed(dumps(stand_in), _format(exc), summary(exc), seconds)))


def _failure(dumps: Callable[[Any], bytes], exc: BaseException, seconds: float, note: str | None = None) -> bytes:
    """The pickled ``Failed`` outcome for ``exc``, or for a stand-in if ``exc`` won't pickle."""
    tb = _format(exc)
    text = summary(exc)
    if note is not None:
        exc = pickle.UnpicklingError(f"{note} ({text})")
    try:
        return dumps(to_wire(Failed(dumps(exc), tb, text, seconds)))
    except BaseException as err:  # noqa: BLE001 - whatever stops pickling, the task fails
        stand_in = MaybeEncodingError(
            err, exc, f"the task raised {text}, and that exception could not be pickled "
            f"to send it back to the parent ({summary(err)})")
        return dumps(to_wire(Failed(dumps(stand_in), tb, text, seconds)))


def _format(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def _watch_parent() -> None:
    """Exit this worker as soon as the parent is gone, even if it was killed with SIGKILL."""
    parent = multiprocessing.parent_process()
    sentinel = parent.sentinel if parent is not None else None
    ppid = os.getppid()

    def watch() -> None:
        while True:
            if sentinel is not None:
                if wait([sentinel], HEARTBEAT):
                    os._exit(1)
            else:
                time.sleep(HEARTBEAT)
            # The sentinel can be held open by a sibling forked later; a new parent cannot.
            if os.getppid() != ppid:
                os._exit(1)

    for attempt in range(10):
        try:
            threading.Thread(target=watch, name="processing-pool-parent-watch",
                             daemon=True).start()
            return
        except RuntimeError:  # no thread to be had now (EAGAIN): try again shortly
            time.sleep(0.05 * (attempt + 1))
    # Still none: work on without it; the worker then ends only when its connection does.
