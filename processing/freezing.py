"""Frozen programs: ``freezeSupport()`` and frozen detection.

A child of a frozen program is the program's own executable, started with a command line
that names the launch. ``freezeSupport()`` (and, before any user code, the entry script
that ``freezekit build`` renders and freezekit's PyInstaller runtime hook, through
:func:`dispatch_launch`) recognises such a command line and runs the child instead of the
app; a child of the program whose launch is in no row of the table stops with one clear
line and exit status 2 (``processing._backend.dispatch``). The table and its parser are
``processing._backend.launch``; the names freezekit and its rendered programs use are
re-exported here.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from processing._backend.dispatch import PARENT_ENV, UNRECOGNISED_EXIT, dispatch_launch
from processing._backend.launch import LAUNCH_FORMS, MARKER, LaunchData, LaunchForm, recognise

__all__ = ["LAUNCH_FORMS", "MARKER", "PARENT_ENV", "UNRECOGNISED_EXIT", "LaunchData",
           "LaunchForm", "dispatch_launch", "freezeSupport", "freeze_support", "is_frozen",
           "recognise_launch"]


def is_frozen() -> bool:
    """True inside an executable made by PyInstaller, cx_Freeze, py2exe or Nuitka."""
    return bool(getattr(sys, "frozen", False)) or "__compiled__" in globals()


def recognise_launch(argv: Sequence[str]) -> LaunchData | None:
    """The launch ``argv`` is (its row of the table and its arguments), or None for an
    ordinary start of the program or a command line in no row."""
    return recognise(argv)


def freezeSupport() -> None:
    """Call first thing under ``if __name__ == '__main__':`` in a program you will freeze.

    In a frozen program started as a child it runs the child and exits; everywhere else it
    does nothing. Programs built with ``freezekit build`` dispatch children before the
    app runs, so there this call is harmless and optional.
    """
    if is_frozen():
        dispatch_launch()


freeze_support = freezeSupport
