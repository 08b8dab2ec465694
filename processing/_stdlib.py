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


# --- launching (process, context, _backend/*) ---

# This section's own imports, kept with it so that the sections merge cleanly.
import _signal
import atexit as _atexit
import sys
from multiprocessing import process as _mp_process
from multiprocessing import util as _mp_util
from typing import Any

# The stop-signal calls go to the C module ``_signal``: the wrappers in ``signal.py`` turn
# every result into enum members, which in a fork child costs dozens of copy-on-write page
# faults (the enum machinery is touched for the first time since the fork).
_HAVE_SIGMASK = hasattr(_signal, "pthread_sigmask")


def set_signal_handler(signum: int, handler: object) -> None:
    """``signal.signal(signum, handler)`` without building ``Signals`` enum members.

    checked: ``_signal.signal`` is what ``signal.signal`` wraps, 3.9-3.14.
    """
    _signal.signal(signum, handler)


def block_signal(signum: int) -> bool:
    """Block ``signum`` in this thread; whether it was blocked already (True where there is
    no signal mask, as on Windows: then there is nothing to unblock either).

    checked: ``_signal.pthread_sigmask`` returns a set of ints, 3.9-3.14.
    """
    if not _HAVE_SIGMASK:
        return True
    return signum in _signal.pthread_sigmask(_signal.SIG_BLOCK, {signum})


def unblock_signal(signum: int) -> None:
    """Unblock ``signum`` in this thread (nothing where there is no signal mask).

    checked: as :func:`block_signal`.
    """
    if _HAVE_SIGMASK:
        _signal.pthread_sigmask(_signal.SIG_UNBLOCK, {signum})


def set_inheriting(on: bool, process_module: object = _mp_process) -> None:
    """Mark this process as still being prepared by its parent (or unmark it): the stdlib's
    ``Process.start()`` (``spawn._check_not_importing_main``) refuses then, and so does ours.
    ``process_module`` is ``multiprocessing.process`` or ``multiprocess.process``.

    checked: ``BaseProcess._inheriting``, read with ``getattr(..., False)`` by
    ``spawn._check_not_importing_main`` and set by ``spawn.spawn_main``, 3.9-3.14.
    """
    current = process_module.current_process()  # type: ignore[attr-defined]
    if on:
        current._inheriting = True
    else:
        current.__dict__.pop("_inheriting", None)


def set_importing_main(where: str | None) -> None:
    """Remember which main module this child is importing (None: none), for the refusal's
    message. An attribute of ours on the stdlib's process object, which every part of the
    program shares; the stdlib has no attribute of that name."""
    current = _mp_process.current_process()
    if where is None:
        current.__dict__.pop("_importing_main", None)
    else:
        current._importing_main = where


def inheriting() -> tuple[bool, str | None]:
    """Whether this process is still being prepared, and the main module it is importing.

    checked: as :func:`set_inheriting`.
    """
    current = _mp_process.current_process()
    return bool(getattr(current, "_inheriting", False)), getattr(current, "_importing_main", None)


def multiprocessing_logger() -> object | None:
    """The ``multiprocessing`` logger if the program has asked for it, else None (asking
    ``util.get_logger()`` would create it).

    checked: ``util._logger``, None until ``get_logger()``/``log_to_stderr()``, 3.9-3.14.
    """
    return _mp_util._logger


def multiprocessing_logs_to_stderr() -> bool:
    """Whether the program called ``multiprocessing.log_to_stderr()``.

    checked: ``util._log_to_stderr``, 3.9-3.14.
    """
    return bool(_mp_util._log_to_stderr)


def interpreter_flags() -> list[str]:
    """The command-line flags that reproduce this interpreter's settings (``-O``, ``-X ...``,
    ``-W ...``) for a child interpreter, as the stdlib's spawn passes them.

    checked: ``util._args_from_interpreter_flags`` (``subprocess._args_from_interpreter_flags``),
    3.9-3.14.
    """
    return list(_mp_util._args_from_interpreter_flags())


def adopt_resource_tracker_fd(fd: int | None, package: str = "multiprocessing") -> None:
    """In a child: use the parent's resource tracker, whose pipe is ``fd``, instead of
    starting one of its own. ``package`` is ``multiprocessing`` or ``multiprocess``.

    checked: ``resource_tracker._resource_tracker._fd``, what ``spawn.prepare`` sets from
    ``tracker_fd``, 3.9-3.14.
    """
    import importlib

    tracker = importlib.import_module(f"{package}.resource_tracker")
    tracker._resource_tracker._fd = fd


def open_parent_process(parent_pid: int) -> int:
    """Windows: a handle on the parent process that can wait for it and duplicate handles
    out of it (the child's parent sentinel).

    checked: ``_winapi.OpenProcess``, ``SYNCHRONIZE``, ``PROCESS_DUP_HANDLE``, as
    ``spawn.spawn_main`` uses them, 3.9-3.14.
    """
    import _winapi

    return _winapi.OpenProcess(_winapi.SYNCHRONIZE | _winapi.PROCESS_DUP_HANDLE, False,
                               parent_pid)


def forget_parents_atexit_handlers() -> None:
    """In a forked child that will end with ``os._exit()``: drop the parent's atexit
    handlers, keeping multiprocessing's own exit function (it flushes queue feeders and ends
    children), as the stdlib's fork children do.

    checked: ``atexit._clear``, ``util._exit_function``, 3.9-3.14.
    """
    _atexit._clear()
    _atexit.register(_mp_util._exit_function)


def run_atexit_handlers() -> None:
    """Run (and clear) the atexit handlers now, before ``os._exit()``.

    checked: ``atexit._run_exitfuncs``, 3.9-3.14.
    """
    _atexit._run_exitfuncs()


def flush_std_streams() -> None:
    """Flush ``sys.stdout``/``sys.stderr`` before a fork, as the stdlib's launchers do.

    checked: ``util._flush_std_streams``, 3.9-3.14.
    """
    _mp_util._flush_std_streams()


def close_stdin() -> None:
    """Close ``sys.stdin`` and put a /dev/null reader in its place, as a child does.

    checked: ``util._close_stdin``, 3.9-3.14.
    """
    _mp_util._close_stdin()


def replace_close_stdin_once(replacement: object) -> None:
    """Have the next ``BaseProcess._bootstrap`` call ``replacement`` instead of the stdlib's
    ``util._close_stdin``; ``replacement`` must call :func:`restore_close_stdin` first.

    checked: ``BaseProcess._bootstrap`` calls ``util._close_stdin()`` through the module
    attribute, 3.9-3.14.
    """
    _mp_util._close_stdin = replacement


_stdlib_close_stdin = _mp_util._close_stdin


def restore_close_stdin() -> None:
    """Undo :func:`replace_close_stdin_once`."""
    _mp_util._close_stdin = _stdlib_close_stdin


def keep_resource_tracker_across_fork() -> object | None:
    """Before a Process's fork: the flag object that, set, keeps the resource tracker's fd
    open in the child (None where the stdlib has none). CPython 3.14.10 (gh-146313) closes
    the fd in a forked child unless ``preserve_fd`` says the fork is a Process's.

    checked: ``resource_tracker._fork_intent.preserve_fd``, 3.14.10; absent 3.9-3.13.
    """
    from multiprocessing import resource_tracker

    return getattr(resource_tracker, "_fork_intent", None)


def set_process_may_have_children(process: object) -> None:
    """Let a daemonic process start processes: the stdlib refuses for daemons
    (``assert not _current_process._config.get('daemon')`` in ``BaseProcess.start``).

    checked: ``BaseProcess._config['daemon']``, 3.9-3.14.
    """
    process._config["daemon"] = False  # type: ignore[attr-defined]


def base_executable() -> str:
    """The interpreter a venv's ``python`` stands for (Windows spawns it directly, bpo-35797).

    checked: ``sys._base_executable``, 3.9-3.14.
    """
    return sys._base_executable


def winapi() -> object:
    """Windows: the C module the stdlib's spawn launcher is built on. processing's uses:
    ``CreatePipe``, ``CreateProcess``, ``CloseHandle``, ``WaitForSingleObject``
    (``INFINITE``, ``WAIT_OBJECT_0``), ``GetExitCodeProcess`` (``STILL_ACTIVE``),
    ``TerminateProcess``, ``OpenProcess`` (``SYNCHRONIZE``, ``PROCESS_DUP_HANDLE``).

    checked: ``_winapi`` as ``popen_spawn_win32.py`` and ``spawn.py`` call it, 3.9-3.14.
    """
    import _winapi

    return _winapi


#: Whether ``BaseProcess._bootstrap`` calls the ``_after_fork`` hook (3.10+; 3.9 inlines it).
#: checked: 3.9.18 (inlined), 3.10.13-3.14.10 (``self._after_fork()``).
HAVE_AFTER_FORK_HOOK = hasattr(_mp_process.BaseProcess, "_after_fork")


#: The class of ``parent_process()`` in a child, whose objects processing gives its API.
#: checked: ``process._ParentProcess(name, pid, sentinel)``, 3.9-3.14.
ParentProcessBase = _mp_process._ParentProcess


def launcher_of(process_obj: Any) -> Any:
    """The launcher (``Popen``) of a started process object; None before ``start()``.

    checked: ``BaseProcess._popen``, 3.9-3.14.
    """
    return process_obj._popen


def is_closed(process_obj: Any) -> bool:
    """Whether ``close()`` was called on the process object.

    checked: ``BaseProcess._closed``, 3.9-3.14.
    """
    return process_obj._closed


def refuse_if_closed(process_obj: Any) -> None:
    """The stdlib's ``ValueError`` if ``close()`` was called on the process object.

    checked: ``BaseProcess._check_closed()``, 3.9-3.14.
    """
    process_obj._check_closed()


def creator_pid(process_obj: Any) -> int:
    """The pid of the process that made the process object (its children's parent).

    checked: ``BaseProcess._parent_pid``, 3.9-3.14.
    """
    return process_obj._parent_pid


def identity_path(process_obj: Any) -> tuple[int, ...]:
    """The process object's place in the tree of processes, as in the name ``Process-1:2``.

    checked: ``BaseProcess._identity``, 3.9-3.14.
    """
    return tuple(process_obj._identity)


class ProcessBase(_mp_process.BaseProcess):
    """``BaseProcess`` with the hooks processing overrides under names of ours.

    - ``_method``: the start method this class launches with (None: the default
      context's); the stdlib's bootstrap reads it as ``_start_method`` to set the stdlib's
      own default start method in the child, as for its own per-method classes.
    - ``_make_launcher()``: the launcher (``Popen``) that starts this process
      (``BaseProcess.start`` calls ``self._Popen(self)``).
    - ``_run_in_child(parent_sentinel)``: the child's side; call ``super()`` to run the
      stdlib's (bookkeeping, after-fork hooks, ``run()``, the exit code).
    - ``_after_fork_hooks()``: runs in the child right after the stdlib's after-fork
      hooks, inside the block that turns ``SystemExit`` into the exit code.

    checked: ``BaseProcess.start`` calls ``self._Popen(self)``; ``_bootstrap(parent_sentinel)``
    reads ``self._start_method`` and calls the static ``self._after_fork()`` (3.10-3.14) or
    runs ``util._run_after_forkers()`` inline (3.9), 3.9-3.14.
    """

    _method: str | None = None

    @property
    def _start_method(self) -> str | None:  # type: ignore[override]
        return self._method

    @staticmethod
    def _Popen(process_obj: ProcessBase) -> Any:  # type: ignore[override]
        return process_obj._make_launcher()

    def _make_launcher(self) -> Any:
        raise NotImplementedError

    def _bootstrap(self, parent_sentinel: Any = None) -> int:
        if not HAVE_AFTER_FORK_HOOK:
            _mp_util.register_after_fork(self, _call_after_fork_hooks)
        return self._run_in_child(parent_sentinel)

    def _run_in_child(self, parent_sentinel: Any) -> int:
        return _mp_process.BaseProcess._bootstrap(self, parent_sentinel)

    def _after_fork(self) -> None:  # type: ignore[override]
        _mp_process.BaseProcess._after_fork()
        self._after_fork_hooks()

    def _after_fork_hooks(self) -> None:
        """Overridden to act in the child right after the stdlib's after-fork hooks."""


def _call_after_fork_hooks(process_obj: ProcessBase) -> None:
    process_obj._after_fork_hooks()


def run_process(process_obj: Any, parent_sentinel: Any) -> int:
    """In a child: run a process object (ours, the stdlib's or ``multiprocess``'s) as the
    stdlib's children do, and return its exit code.

    checked: ``BaseProcess._bootstrap(parent_sentinel=None)``, 3.9-3.14.
    """
    return process_obj._bootstrap(parent_sentinel)


def process_target(process_obj: Any) -> Any:
    """The target a process object was made with (None for a ``run()`` override).

    checked: ``BaseProcess._target``, 3.9-3.14.
    """
    return getattr(process_obj, "_target", None)
