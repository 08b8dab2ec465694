"""Error reports and standard streams in children, including those of windowed programs.

A program frozen with ``--windowed`` (a Windows GUI program, a macOS app bundle) starts with
``sys.stdout`` and ``sys.stderr`` set to ``None``, and so do its children. A child's error
report must not turn into an ``AttributeError`` on ``None.write`` that hides the error and
changes the exit status (cx_Freeze exits 255 on an uncaught exception): every report in the
launch and bootstrap paths goes through :func:`write_error`, which writes where it can and
never raises, and a child replaces missing streams with :func:`stand_in_streams` before it
runs code that writes to them (the stdlib's ``Process._bootstrap`` reports errors on
``sys.stderr``).
"""

from __future__ import annotations

import os
import sys
import traceback

__all__ = ["stand_in_streams", "write_error", "write_exception"]


def write_error(text: str) -> None:
    """Write ``text`` to ``sys.stderr``, else the original stderr, else file descriptor 2;
    drop it only if there is none of them (a windowed program). Never raises."""
    for stream in (sys.stderr, sys.__stderr__):
        if stream is None:
            continue
        try:
            stream.write(text)
            stream.flush()
            return
        except (AttributeError, OSError, ValueError):
            continue
    try:
        os.write(2, text.encode("utf-8", "replace"))
    except OSError:
        pass


def write_exception(header: str) -> None:
    """:func:`write_error` of ``header`` followed by the traceback being handled."""
    write_error(header + traceback.format_exc())


def stand_in_streams() -> None:
    """Give a child that has no ``sys.stdout``/``sys.stderr`` (a windowed program's) a stream
    on its file descriptor 1/2 if that is open, else on the null device, so that code writing
    to them runs as it does with a console."""
    for fd, name in ((1, "stdout"), (2, "stderr")):
        if getattr(sys, name) is not None:
            continue
        try:
            os.fstat(fd)
            stream = open(fd, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
        except OSError:
            stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
        setattr(sys, name, stream)
