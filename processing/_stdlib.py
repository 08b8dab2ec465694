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


# --- wire (_wire, connection, queues, ownedlock) ---


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
