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
