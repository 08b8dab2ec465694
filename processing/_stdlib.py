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

from typing import Any

# Releases read for every entry unless its own ``checked:`` line says otherwise.
CHECKED = ("3.9.18", "3.10.13", "3.11.7", "3.12.1", "3.13.0", "3.14.10")


# --- freezekit runtime (freezekit.runtime.appcheck, freezekit.runtime.selftest) ---
# Imports are local to each entry: a program freezekit builds reaches these only in its
# app check or self-test run.


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


# --- managers and shared objects (managers, sharedctypes, reduction) ---

import ctypes as _ctypes
from multiprocessing import connection as _mp_connection
from multiprocessing import process as _mp_process
from multiprocessing import reduction as _mp_reduction
from typing import Any as _Any


def is_stdlib_connection(conn: object) -> bool:
    """Whether ``conn`` is a connection the stdlib built (a ``Connection`` or a
    ``PipeConnection``; its common base ``_ConnectionBase`` is private).

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``class _ConnectionBase`` in
    multiprocessing/connection.py, the base of both connection classes in each).
    """
    return isinstance(conn, _mp_connection._ConnectionBase)


def reduce_socket(sock: object) -> tuple:
    """The stdlib's reduction of a ``socket.socket`` for a child or a peer process: a
    duplicate of the handle (inherited, or lent through the resource sharer).

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``_reduce_socket`` in
    multiprocessing/reduction.py, one per platform, unchanged in each).
    """
    return _mp_reduction._reduce_socket(sock)


def rebuild_socket(*reduced: object) -> object:
    """The socket ``reduce_socket`` described, rebuilt in the receiving process.

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``_rebuild_socket`` in
    multiprocessing/reduction.py: ``(ds)`` on Windows, ``(df, family, type, proto)`` elsewhere).
    """
    return _mp_reduction._rebuild_socket(*reduced)


def is_simple_ctype(obj: object) -> bool:
    """Whether ``obj`` is a fundamental ctypes value (``c_int``, ``c_double``...): instances
    of ``ctypes._SimpleCData``, which the ctypes documentation names but calls non-public.

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (ctypes/__init__.py imports
    ``_SimpleCData`` from ``_ctypes``; multiprocessing/sharedctypes.py tests it the same way).
    """
    return isinstance(obj, _ctypes._SimpleCData)


def use_client(obj: object, client: _Any) -> None:
    """Make a stdlib ``BaseManager`` or ``BaseProxy`` connect to its server with ``client``
    (a function like ``multiprocessing.connection.Client``) instead of the serializer's.

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``self._Client`` set in
    ``BaseManager.__init__`` and ``BaseProxy.__init__``, read in every call to the server).
    """
    obj._Client = client  # type: ignore[attr-defined]


def proxy_manager(proxy: object) -> _Any:
    """The manager a stdlib proxy was made by (None once it was unpickled elsewhere).

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``BaseProxy._manager``: set in
    ``__init__``, cleared in ``_after_fork``; ``_callmethod`` reads its ``_registry``).
    """
    return proxy._manager  # type: ignore[attr-defined]


class _UnpickledProxyManager:
    """What a stdlib proxy needs of its manager when it has none: the registry that types
    the proxies its methods return (``_registry``) and no server state to reference-count
    against (``_state``)."""

    _state = None

    def __init__(self, registry: dict) -> None:
        self._registry = registry


def give_proxy_a_registry(proxy: object, manager_class: type) -> None:
    """Let a proxy that has no manager (it was unpickled in this process) type the proxies
    its methods return from ``manager_class``'s registry, as its manager would.

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``BaseProxy._callmethod`` reads
    ``self._manager._registry[typeid][-1]`` for a ``#PROXY`` result; ``_incref`` reads
    ``self._manager._state``; ``BaseManager.register`` keeps ``cls._registry``).
    """
    proxy._manager = _UnpickledProxyManager(manager_class._registry)  # type: ignore[attr-defined]


def copy_proxy(proxy: object) -> _Any:
    """A second proxy of the same type to the same referent, with the same manager, key,
    ownership and auto-proxy pickling (its own connection and reference).

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``BaseProxy.__init__`` stores
    ``_token``, ``_serializer``, ``_manager``, ``_authkey``, ``_owned_by_manager``;
    ``AutoProxy`` sets ``_isauto``, which ``__reduce__`` reads).
    """
    p: _Any = proxy
    twin = type(proxy)(
        p._token,
        p._serializer,
        manager=p._manager,
        authkey=p._authkey,
        manager_owned=p._owned_by_manager,
    )
    if getattr(proxy, "_isauto", False):
        twin._isauto = True
    return twin


def mark_auto_proxy(proxy: object) -> None:
    """Mark ``proxy`` as an auto proxy, so that it pickles as one (its type is built from
    the referent's methods and cannot be pickled by reference).

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``AutoProxy`` sets
    ``proxy._isauto = True``; ``BaseProxy.__reduce__`` tests ``getattr(self, '_isauto')``).
    """
    proxy._isauto = True  # type: ignore[attr-defined]


def manager_authkey(manager: object) -> bytes:
    """The authentication key of a stdlib manager (its clients send the same).

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``BaseManager._authkey``, an
    ``AuthenticationString`` set in ``__init__``; ``BaseProxy.__init__`` reads it too).
    """
    return manager._authkey  # type: ignore[attr-defined]


def set_server_class(manager_class: type, server_class: type) -> None:
    """Make ``manager_class`` (a stdlib ``BaseManager`` subclass) run ``server_class`` as
    its server process's server.

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``BaseManager._Server``, read by
    ``_run_server`` and by ``SharedMemoryManager.get_server``; ``BaseManager.get_server``
    builds the module's ``Server`` directly, which is why ``server_class`` reads it back).
    """
    manager_class._Server = server_class  # type: ignore[attr-defined]


def server_class(manager: object) -> type:
    """The server class ``set_server_class`` gave ``manager``'s class.

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (see ``set_server_class``).
    """
    return type(manager)._Server  # type: ignore[attr-defined]


def serve_proxies_locally(server: object) -> None:
    """Announce ``server`` as this process's manager server, so that a proxy rebuilt in the
    server process (a proxy held in a shared list, say) reaches the object directly.

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``Server.serve_forever`` sets
    ``current_process()._manager_server``; ``RebuildProxy`` reads it with ``getattr``).
    """
    _mp_process.current_process()._manager_server = server  # type: ignore[attr-defined]


def reduce_proxy(proxy: object, auto_proxy: _Any) -> tuple:
    """The stdlib's reduction of a proxy, with ``auto_proxy`` rebuilding it in place of the
    stdlib's ``AutoProxy`` (a proxy whose type was made from the referent's methods).

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``BaseProxy.__reduce__`` returns
    ``(RebuildProxy, (AutoProxy or type(self), token, serializer, kwds))``, the same in each).
    """
    # Imported here: importing processing must not import the stdlib's managers.
    from multiprocessing import managers

    func, (proxytype, token, serializer, kwds) = managers.BaseProxy.__reduce__(proxy)
    if proxytype is managers.AutoProxy:
        proxytype = auto_proxy
    return func, (proxytype, token, serializer, kwds)


# --- launching (process, context, _backend/*) ---

# This section's own imports, kept with it so that the sections merge cleanly.
import _signal
import atexit as _atexit
import sys
from multiprocessing import util as _mp_util

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
    program shares; the stdlib has no attribute of that name.

    checked: 3.9.18, 3.10.13, 3.11.7, 3.12.1, 3.13.0, 3.14.10: no ``_importing_main`` in
    ``multiprocessing.process``; ``BaseProcess`` instances have a ``__dict__``.
    """
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
    """Undo :func:`replace_close_stdin_once`.

    checked: 3.9.18, 3.10.13, 3.11.7, 3.12.1, 3.13.0, 3.14.10: ``util._close_stdin`` is a
    module-level function that ``BaseProcess._bootstrap`` looks up at call time.
    """
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


# --- wire (_wire, connection, queues, ownedlock, pool/_framing) ---


def forking_pickler_reducers() -> dict:
    """``ForkingPickler``'s table of extra reducers (connections, sockets, ... registered
    with ``reduction.register``), itself, not a copy: a pickler that looks types up in it
    sees reducers registered later too.

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``ForkingPickler._extra_reducers``,
    a class-level dict that ``register`` fills and ``__init__`` copies)
    """
    from multiprocessing.reduction import ForkingPickler

    return ForkingPickler._extra_reducers


def semlock(lock: Any) -> Any:
    """The ``_multiprocessing.SemLock`` under a ``multiprocessing.synchronize`` lock: its
    ``acquire(block, timeout)`` and ``release()``, without the Python wrapper's call.

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``SemLock._semlock``, set in
    ``SemLock.__init__`` and ``__setstate__``)
    """
    return lock._semlock


def validate_family(family: str) -> None:
    """Raise the stdlib's ``ValueError`` if this platform lacks the address family
    ``family`` ('AF_UNIX' on Windows, 'AF_PIPE' elsewhere).

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10
    (``multiprocessing.connection._validate_family``)
    """
    from multiprocessing import connection

    connection._validate_family(family)


def listener_socket(listener: Any) -> Any:
    """The listening ``socket.socket`` of a ``multiprocessing.connection.SocketListener``.

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``SocketListener._socket``)
    """
    return listener._socket


def set_last_accepted(listener: Any, address: Any) -> None:
    """Record ``address`` as the peer a ``SocketListener`` accepted last (what the public
    ``Listener.last_accepted`` reads), for a connection accepted on its socket directly.

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``SocketListener._last_accepted``)
    """
    listener._last_accepted = address


def init_socket_listener(listener: Any, sock: Any, family: str, unlink: Any) -> None:
    """Fill in a ``SocketListener`` made without its ``__init__`` around ``sock``, already
    bound and listening (``unlink``: the finalizer that removes a Unix socket file, or None).

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``SocketListener.__init__``: the
    fields ``_socket``, ``_address``, ``_family``, ``_last_accepted``, ``_unlink``)
    """
    listener._socket = sock
    listener._address = sock.getsockname()
    listener._family = family
    listener._last_accepted = None
    listener._unlink = unlink


def windows_process_running(pid: int) -> bool:
    """Windows: whether process ``pid`` runs (``_winapi``, the stdlib's private C module).

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``_winapi.OpenProcess``,
    ``GetExitCodeProcess``, ``CloseHandle``)
    """
    import _winapi

    try:
        handle = _winapi.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    except OSError:
        return False
    try:
        return _winapi.GetExitCodeProcess(handle) == 259  # STILL_ACTIVE
    finally:
        _winapi.CloseHandle(handle)


def windows_pipe_access(readable: bool, writable: bool) -> int:
    """Windows: the access mask for a duplicated pipe handle that reads and/or writes.

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``_winapi.FILE_GENERIC_READ``,
    ``FILE_GENERIC_WRITE``, as ``multiprocessing.connection`` uses them)
    """
    import _winapi

    return (_winapi.FILE_GENERIC_READ if readable else 0) | (
        _winapi.FILE_GENERIC_WRITE if writable else 0)


# --- connections and queues (connection, queues) ---
# Each stdlib field or hook is mapped to a name of ours once (at class creation, at the
# queue's reset, on first use), so that the hot paths read our own attributes: no property
# and no extra call per message.

from multiprocessing import queues as _mp_queues


class _StdlibHandle:
    """A connection's handle (``_ConnectionBase._handle``), read from the stdlib's field on
    first use and then kept in the instance's ``__dict__``, where Python finds it before this
    non-data descriptor: later reads cost what any attribute read costs. Works for
    connections made by ``__init__`` as for stdlib-built ones whose class was switched to
    ours. Read it only after the stdlib's closed check passed: the handle of an open
    connection never changes (``close()`` only sets the stdlib's field to None)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, conn: Any, owner: type | None = None) -> Any:
        if conn is None:
            return self
        handle = conn.__dict__[self.name] = conn._handle
        return handle


class ConnectionBase(_mp_connection.Connection):
    """``multiprocessing.connection.Connection`` with the hook processing overrides under a
    name of ours, and its handle as an attribute of ours.

    - ``_write_message(buf)``: how one message's bytes go out; a subclass that defines it
      has it installed as the stdlib's ``_send_bytes`` when the class is created (the
      stdlib's ``send_bytes`` calls that after its argument checks), so a send costs no
      extra call.
    - ``_fd``: the connection's file descriptor (see ``_StdlibHandle``).

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``_ConnectionBase.send_bytes``
    checks closed/writable and the offset and size, then calls ``self._send_bytes(view)``;
    ``_handle`` is set in ``__init__`` and set to None by ``close()``).
    """

    _fd = _StdlibHandle()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        writer = cls.__dict__.get("_write_message")
        if writer is not None:
            cls._send_bytes = writer  # type: ignore[method-assign]


def readable_handle(conn: Any) -> int:
    """The handle of ``conn`` to read a message from; the stdlib's ``OSError`` ("handle is
    closed", "connection is write-only") if it is closed or write-only. One call where the
    stdlib makes two checks and a field read.

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``_ConnectionBase._handle``,
    ``_readable``, ``_check_closed()``, ``_check_readable()``)
    """
    handle = conn._handle
    if handle is None or not conn._readable:
        conn._check_closed()
        conn._check_readable()
    return handle  # type: ignore[no-any-return]


def writable_handle(conn: Any) -> int:
    """The handle of ``conn`` to write a message to; the stdlib's ``OSError`` ("handle is
    closed", "connection is read-only") if it is closed or read-only.

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``_ConnectionBase._handle``,
    ``_writable``, ``_check_closed()``, ``_check_writable()``)
    """
    handle = conn._handle
    if handle is None or not conn._writable:
        conn._check_closed()
        conn._check_writable()
    return handle  # type: ignore[no-any-return]


def refuse_message_length(conn: Any) -> None:
    """Raise the stdlib's ``OSError("bad message length")`` for a message longer than the
    reader's ``maxlength``, leaving ``conn`` as the stdlib does: no longer readable (its
    stream is out of step), or closed if it could only read.

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10
    (``_ConnectionBase._bad_message_length``)
    """
    conn._bad_message_length()


def set_listener_transport(listener: Any, transport: Any, authkey: bytes | None) -> None:
    """Give a ``multiprocessing.connection.Listener`` made without its ``__init__`` its
    transport (a ``SocketListener`` or ``PipeListener``) and its key (None: no
    authentication), which the stdlib's ``accept()``, ``close()``, ``address`` and
    ``last_accepted`` read.

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``Listener._listener``,
    ``Listener._authkey``, set in ``__init__``; ``close()`` sets ``_listener`` to None)
    """
    listener._listener = transport
    listener._authkey = authkey


def listener_transport(listener: Any) -> Any:
    """The transport of a ``Listener`` (see ``set_listener_transport``); None once closed.

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``Listener._listener``)
    """
    return listener._listener


class QueueBase(_mp_queues.Queue):
    """``multiprocessing.queues.Queue`` with the hooks processing overrides under names of
    ours; :func:`queue_fields` gives the stdlib's fields, which a subclass keeps under
    names of its own.

    - ``_reset_state()``: called where the stdlib calls ``_reset(after_fork)``: at the end
      of ``__init__`` and ``__setstate__``, and in a forked child (the after-fork hook).
    - ``_close_broken()``: called where the stdlib calls ``_terminate_broken()``
      (``concurrent.futures.ProcessPoolExecutor`` on a broken pool, 3.12+).

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``Queue.__init__`` and
    ``__setstate__`` end with ``self._reset()``; ``_after_fork`` calls
    ``self._reset(after_fork=True)``; ``_terminate_broken`` from 3.12.1 on)
    """

    def _reset(self, after_fork: bool = False) -> None:  # type: ignore[override]
        self._reset_state()

    def _reset_state(self) -> None:
        raise NotImplementedError

    def _terminate_broken(self) -> None:
        self._close_broken()

    def _close_broken(self) -> None:
        raise NotImplementedError


def queue_fields(queue: Any) -> tuple:
    """A stdlib queue's fields, as set by its ``__init__`` or ``__setstate__``: ``(reader,
    writer, rlock, wlock, sem, maxsize, ignore_epipe)``: the pipe's two connections, the
    read lock, the write lock (None where the stdlib writes without one: Windows), the
    semaphore that counts room for ``put()``, ``maxsize`` (``SEM_VALUE_MAX`` for an
    unbounded queue) and whether a broken pipe is ignored by the feeder.

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``Queue._reader``, ``_writer``,
    ``_rlock``, ``_wlock``, ``_sem``, ``_maxsize``, ``_ignore_epipe``)
    """
    q = queue
    return (q._reader, q._writer, q._rlock, q._wlock, q._sem, q._maxsize, q._ignore_epipe)


def replace_queue_semaphore(queue: Any, sem: Any) -> None:
    """Make ``sem`` the semaphore a stdlib queue counts room with (and pickles to a child).

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``Queue._sem``, in the pickle
    state; read by ``put``, ``qsize``, ``full`` and the feeder)
    """
    queue._sem = sem


def queue_state(queue: Any, extra: tuple) -> tuple:
    """A stdlib queue's pickle state with ``extra`` after it (see :func:`split_queue_state`).

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``Queue.__getstate__`` returns a
    tuple: ``(ignore_epipe, maxsize, reader, writer, rlock, wlock, sem, opid)``; it checks
    the spawning context)
    """
    return _mp_queues.Queue.__getstate__(queue) + extra


def split_queue_state(state: tuple, n_extra: int) -> tuple[tuple, tuple]:
    """The stdlib's part and the ``n_extra`` fields :func:`queue_state` put after it.

    checked: as :func:`queue_state`.
    """
    return state[:-n_extra], state[-n_extra:]


def restore_queue_state(queue: Any, stdlib_state: tuple) -> None:
    """Restore the stdlib's part of a queue's pickle state (which ends with ``_reset``, so
    with the subclass's ``_reset_state()``).

    checked: as :func:`queue_state` (``Queue.__setstate__``).
    """
    _mp_queues.Queue.__setstate__(queue, stdlib_state)


def report_feeder_error(queue: Any, exc: BaseException) -> None:
    """Report an error of the queue's feeder as the stdlib's feeder does (a subclass such
    as ``concurrent.futures``' ``_SafeQueue`` may handle it its own way).

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``Queue._on_queue_feeder_error(e,
    obj)``, a static method that prints the traceback; the feeder passes the object, which
    processing no longer has once it was pickled)
    """
    queue._on_queue_feeder_error(exc, None)


def set_task_counter(queue: Any, cond: Any, unfinished: Any) -> None:
    """Give a stdlib ``JoinableQueue`` the condition and the semaphore its ``task_done()``
    and ``join()`` count unfinished tasks with.

    checked: 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0 3.14.10 (``JoinableQueue._cond``,
    ``_unfinished_tasks``, set in ``__init__`` and ``__setstate__``)
    """
    queue._cond = cond
    queue._unfinished_tasks = unfinished
