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


# --- freezekit runtime (freezekit.runtime.appcheck, freezekit.runtime.selftest) ---
# Imports are local to each entry: a program freezekit builds reaches these only in its
# app check or self-test run.


def begin_importing_main_as_child(module: str) -> None:
    """Make the current process look like a child importing its parent's main module
    ``module`` until :func:`end_importing_main_as_child`: starting a process then raises, in
    the stdlib (``spawn._check_not_importing_main`` reads ``BaseProcess._inheriting``) as in
    processing, whose error names ``module`` (its own ``_importing_main`` attribute, kept on
    the stdlib's process object).

    checked: 3.9.18, 3.10.13, 3.11.7, 3.12.1, 3.13.0, 3.14.10: ``_inheriting`` is set and
    deleted around the main module's import by ``spawn.prepare()`` and ``forkserver.main()``,
    and read with ``getattr(..., False)``.
    """
    from multiprocessing import process

    current = process.current_process()
    current._inheriting = True  # type: ignore[attr-defined]
    current._importing_main = module  # type: ignore[attr-defined]


def end_importing_main_as_child() -> None:
    """Undo :func:`begin_importing_main_as_child`: the process may start processes again.

    checked: 3.9.18, 3.10.13, 3.11.7, 3.12.1, 3.13.0, 3.14.10: the stdlib deletes
    ``_inheriting`` (the class has no default), so this removes both attributes from the
    instance.
    """
    from multiprocessing import process

    current = process.current_process()
    current.__dict__.pop("_inheriting", None)
    current.__dict__.pop("_importing_main", None)


def stdlib_forkserver_pid() -> int | None:
    """The pid of the stdlib's fork server that this process started, or None before it
    started one (or after it saw it exit).

    checked: 3.9.18, 3.10.13, 3.11.7, 3.12.1, 3.13.0, 3.14.10: ``forkserver._forkserver`` is the
    module's ``ForkServer`` singleton, its ``_forkserver_pid`` the server's pid, None until
    ``ensure_running()`` starts it.
    """
    from multiprocessing import forkserver

    return forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined, no-any-return]


def stdlib_resource_tracker_pid() -> int | None:
    """The pid of the stdlib's resource tracker that this process started, or None.

    checked: 3.9.18, 3.10.13, 3.11.7, 3.12.1, 3.13.0, 3.14.10:
    ``resource_tracker._resource_tracker`` is the module's ``ResourceTracker`` singleton, its
    ``_pid`` the tracker's pid, None until ``ensure_running()`` starts it and again once
    ``_stop()`` reaped it.
    """
    from multiprocessing import resource_tracker

    return resource_tracker._resource_tracker._pid  # type: ignore[attr-defined, no-any-return]
