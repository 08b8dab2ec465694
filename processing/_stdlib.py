"""The one seam between processing and CPython's private multiprocessing internals.

Every use of a private name of the standard library (a module-level ``_name``, a private
attribute of a stdlib object or class, the layout of a stdlib pickle state) lives here and
nowhere else; ``tests/processing/test_stdlib_seam.py`` fails when another module touches one.

Each entry is a small function or constant named for what it does, with the CPython releases
it was read against in a ``checked:`` line. When a release changes an internal, this is the one
file to read and the one file to change. Entries are grouped by the part of processing that
needs them; keep each group in its own section.
"""

from __future__ import annotations

# Releases read for every entry unless its own ``checked:`` line says otherwise.
CHECKED = ("3.9.18", "3.10.13", "3.11.7", "3.12.1", "3.13.0", "3.14.10")


# --- pool (processing.pool, processing.futures) ---


def forking_pickler_reducers() -> dict:
    """The live table of reducers registered with ``ForkingPickler.register`` (connections,
    sockets, ...), for a pickler that pickles as ``ForkingPickler`` without copying it.

    checked: ``ForkingPickler._extra_reducers``, a class-level dict that ``register()`` fills,
    in multiprocessing/reduction.py of 3.9.18, 3.10.13, 3.11.7, 3.12.1, 3.13.0, 3.14.
    """
    from multiprocessing.reduction import ForkingPickler

    return ForkingPickler._extra_reducers
