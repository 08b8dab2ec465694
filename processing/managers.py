"""Managers: a server process that owns shared objects, and proxies that reach them.

Built on the stdlib's manager protocol (``multiprocessing.managers``), so its clients and
ours interoperate, with what processing adds:

* the server is started through our launchers (``ctx=`` is a processing context), so in a
  frozen program it re-enters through our bootstrap;
* the server stops when the process that started it ends, even if that process is killed;
* a peer that fails authentication or sends garbage is logged and dropped before anything
  of it is unpickled, and the server goes on serving the others;
* a client process that dies (even by SIGKILL) leaves no objects and no held locks behind;
* an exception raised by a shared object's method reaches the caller as itself, with the
  server's traceback attached as its cause (a ``RemoteError``);
* the 0.52 spellings: ``serveForever``, ``fromAddress``, ``CreatorMethod``, ``_callMethod``,
  ``_getValue``; ``copy.copy(proxy)`` is a second proxy to the same object;
* ``SharedValue``/``SharedStruct``/``SharedArray`` on ``Manager()``, and ``LocalManager()``,
  which makes shared-memory objects with no server at all.
"""

from __future__ import annotations

import collections
import os
import queue
import sys
import threading
import traceback
from multiprocessing import connection as _stdlib_connection
from multiprocessing import managers as _stdlib
from multiprocessing import process as _stdlib_process
from multiprocessing import util
from multiprocessing.managers import Namespace, RemoteError, Token
from typing import TYPE_CHECKING, Any, Callable

from processing import _stdlib as _seam
from processing import sharedctypes, sharedtypes
from processing._peers import ProcessWatch, peer_pid, wait_for_exit
from processing.connection import (
    HANDSHAKE_TIMEOUT,
    AuthenticationError,
    _adopt,
    _as_authkey,
    authenticate_peer,
)
from processing.connection import _failed_authentications as _auth_warnings

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "AcquirerProxy",
    "ArrayProxy",
    "AutoProxy",
    "BarrierProxy",
    "BaseManager",
    "BaseProxy",
    "ConditionProxy",
    "CreatorMethod",
    "DictProxy",
    "EventProxy",
    "IteratorProxy",
    "ListProxy",
    "LocalManager",
    "MakeProxyType",
    "Namespace",
    "NamespaceProxy",
    "PoolProxy",
    "RemoteError",
    "Server",
    "SharedArrayProxy",
    "SharedMemoryManager",
    "SharedMemoryServer",
    "SharedStructProxy",
    "SharedValueProxy",
    "SyncManager",
    "Token",
    "ValueProxy",
]


# -- the server ----------------------------------------------------------------------------


def _client(address: Any, authkey: Any = None) -> Any:
    """The stdlib's ``Client``, returning one of our connections: the manager protocol is
    a send and a recv per call, and ours send with one write and a reused pickler."""
    conn = _stdlib_connection.Client(address, authkey=authkey)
    _adopt(conn)
    return conn


def _client_for(serializer: str) -> Callable[..., Any]:
    """The client function for ``serializer``: ours for pickle, the stdlib's otherwise."""
    return _client if serializer == "pickle" else _stdlib.listener_client[serializer][1]


class _TracebackAttaching:
    """The server's side of a client connection: an exception raised by a shared object's
    method is sent with its formatted traceback, for the caller to chain as the cause."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.recv = conn.recv
        self.close = conn.close

    def send(self, msg: Any) -> None:
        if msg[0] == "#ERROR" and isinstance(msg[1], BaseException):
            exc = msg[1]
            exc.remote_traceback = "".join(
                traceback.format_exception(type(exc), exc, exc.__traceback__)
            )
        self._conn.send(msg)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def _report_failed_authentications() -> None:
    _auth_warnings.flush()


class _HeldLocks:
    """Which connection (its serving thread) holds which lock of the server, so that the
    locks a dead client held can be released. A lock released through another connection
    than the one that acquired it (a Lock may be) is no longer counted against the first."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._by_thread: dict[int, list[Any]] = {}

    def acquired(self, lock: Any) -> None:
        with self._mutex:
            self._by_thread.setdefault(threading.get_ident(), []).append(lock)

    def released(self, lock: Any) -> None:
        me = threading.get_ident()
        with self._mutex:
            for ident in (me, *self._by_thread):
                held = self._by_thread.get(ident, [])
                for i in range(len(held) - 1, -1, -1):
                    if held[i] is lock:
                        del held[i]
                        return

    def release_mine(self) -> int:
        """Release what this thread's connection still holds; how many releases."""
        with self._mutex:
            held = self._by_thread.pop(threading.get_ident(), [])
        for lock in reversed(held):
            lock._inner.release()
        return len(held)

    def holding(self) -> bool:
        with self._mutex:
            return bool(self._by_thread.get(threading.get_ident()))


_held_locks = _HeldLocks()


class _OwnedLock:
    """A ``Lock``/``RLock`` in a manager's server: what a client acquired and still holds
    when its process dies is released (a Lock held by a dead process is never released
    otherwise, and everyone waiting on it hangs)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def acquire(self, *args: Any, **kwds: Any) -> bool:
        got = self._inner.acquire(*args, **kwds)
        if got:
            _held_locks.acquired(self)
        return got

    def release(self) -> None:
        self._inner.release()
        _held_locks.released(self)

    def __repr__(self) -> str:
        return repr(self._inner)


class _OwnedCondition(_OwnedLock):
    """A ``Condition`` whose lock is released as ``_OwnedLock``'s is."""

    def wait(self, timeout: float | None = None) -> bool:
        return self._inner.wait(timeout)

    def wait_for(self, predicate: Callable[[], Any], timeout: float | None = None) -> Any:
        return self._inner.wait_for(predicate, timeout)

    def notify(self, n: int = 1) -> None:
        self._inner.notify(n)

    def notify_all(self) -> None:
        self._inner.notify_all()


def _owned_lock() -> _OwnedLock:
    return _OwnedLock(threading.Lock())


def _owned_rlock() -> _OwnedLock:
    return _OwnedLock(threading.RLock())


def _owned_condition(lock: Any = None) -> _OwnedCondition:
    return _OwnedCondition(threading.Condition(lock))


class _References:
    """The references to shared objects that each client process holds, counted from its
    ``incref``/``decref`` requests, so those of a process that died are dropped."""

    def __init__(self, server: Server) -> None:
        self._server = server
        self._mutex = threading.Lock()
        self._by_pid: dict[int, collections.Counter[str]] = {}
        # Processes already cleaned up after: a decref of theirs still in flight is done.
        self._ended: set[int] = set()
        self._watch = ProcessWatch(self._process_ended)

    def added(self, conn: Any, ident: str) -> None:
        pid = peer_pid(conn)
        if pid is None or pid == os.getpid():
            return
        with self._mutex:
            self._ended.discard(pid)  # a new process with a reused pid
            self._by_pid.setdefault(pid, collections.Counter())[ident] += 1
        self._watch.watch(pid)

    def dropping(self, conn: Any, ident: str) -> bool:
        """Count a decref; False if it must not be done (its process was cleaned up)."""
        pid = peer_pid(conn)
        if pid is None:
            return True
        with self._mutex:
            if pid in self._ended:
                return False
            counts = self._by_pid.get(pid)
            if counts and counts.get(ident):
                counts[ident] -= 1
                if not counts[ident]:
                    del counts[ident]
        return True

    def close(self) -> None:
        self._watch.close()

    def _process_ended(self, pid: int) -> None:
        with self._mutex:
            counts = self._by_pid.pop(pid, None)
            self._ended.add(pid)
        if not counts:
            return
        dropped = 0
        for ident, count in counts.items():
            for _ in range(count):
                try:
                    _stdlib.Server.decref(self._server, None, ident)
                except (KeyError, AssertionError):
                    break  # gone already
                dropped += 1
        util.info("process %d ended holding %d references to %d shared objects; dropped them",
                  pid, dropped, len(counts))


#: Send one request over a manager connection and return its result or raise its error:
#: the stdlib's, since the protocol is (code written for ``multiprocessing.managers`` uses it).
dispatch = _stdlib.dispatch


class Server(_stdlib.Server):
    """The manager's server: one thread per client connection, authenticated with bounded
    reads before anything is unpickled; it stops when its parent process ends.

    A client process that dies without releasing what it owned (SIGKILL, a crash) leaves
    nothing behind: the references its proxies held are dropped (on Unix sockets, where
    the server learns each client's pid), and a ``Lock``/``RLock``/``Condition`` it held
    is released once the process has ended. Semaphores are counters that any process may
    release, with no owner, and are left as they are."""

    handshake_timeout = HANDSHAKE_TIMEOUT

    def serve_forever(self) -> None:
        self._references = _References(self)
        self.stop_event = threading.Event()
        _seam.serve_proxies_locally(self)
        threading.Thread(target=self.accepter, daemon=True).start()
        parent = _stdlib_process.parent_process()
        if parent is not None:
            threading.Thread(target=self._stop_with, args=(parent,), daemon=True).start()
        try:
            while not self.stop_event.is_set():
                self.stop_event.wait(1)
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self._references.close()
            _report_failed_authentications()  # those counted since the last warning
            sys.exit(0)

    def _stop_with(self, parent: Any) -> None:
        # The guideline "not letting the manager die early" promises the converse too: the
        # manager ends with the process that made it, even when that one is killed.
        parent.join()
        util.info("manager's parent process ended; manager exiting")
        self.stop_event.set()

    def accepter(self) -> None:
        while not self.stop_event.is_set():
            try:
                conn = self.listener.accept()
            except OSError:
                continue
            peer = self.listener.last_accepted
            if _seam.is_stdlib_connection(conn):  # not, say, an xmlrpclib wrapper
                _adopt(conn)  # ours send and receive faster; the bytes are the same
            threading.Thread(target=self.handle_request, args=(conn, peer), daemon=True).start()

    def handle_request(self, conn: Any, peer: Any = None) -> None:
        """Authenticate one new connection, then answer its request."""
        try:
            authenticate_peer(conn, bytes(self.authkey), timeout=self.handshake_timeout, peer=peer)
        except AuthenticationError:
            return  # logged and closed; nothing of it was unpickled
        try:
            self._answer(conn)
        except SystemExit:
            pass  # serve_client() ends a client's thread with sys.exit() on EOF
        finally:
            conn.close()

    def _answer(self, conn: Any) -> None:
        request = None
        try:
            request = conn.recv()
            _, funcname, args, kwds = request
            if funcname not in self.public:
                raise ValueError(f"{funcname!r} is not a manager request")
            result = getattr(self, funcname)(conn, *args, **kwds)
        except Exception:  # noqa: BLE001 - whatever failed is reported to the client
            msg: tuple[str, Any] = ("#TRACEBACK", traceback.format_exc())
        else:
            msg = ("#RETURN", result)
        try:
            conn.send(msg)
        except Exception as exc:  # noqa: BLE001 - the client is gone; nothing to tell it
            util.info("manager could not answer request %.200r: %r", request, exc)

    def serve_client(self, conn: Any) -> None:
        try:
            super().serve_client(_TracebackAttaching(conn))
        finally:
            if _held_locks.holding():
                self._release_when_gone(peer_pid(conn))

    def _release_when_gone(self, pid: int | None) -> None:
        """The connection of a client holding locks is gone: release them (in this thread,
        which owns any RLock) once its process has ended too; a process that only closed
        this connection (a thread of it ended) keeps them, as threads keep locks."""
        if pid is not None:
            wait_for_exit(pid)
        released = _held_locks.release_mine()
        util.info("released %d locks held by %s, which is gone", released,
                  f"process {pid}" if pid is not None else "a client")

    def incref(self, c: Any, ident: str) -> None:
        super().incref(c, ident)
        self._references.added(c, ident)

    def decref(self, c: Any, ident: str) -> None:
        if self._references.dropping(c, ident):
            super().decref(c, ident)


# -- proxies -------------------------------------------------------------------------------


class BaseProxy(_stdlib.BaseProxy):
    """A proxy for an object that lives in a manager's server process; processing adds
    the 0.52 names, copies that are new proxies, and remote tracebacks as causes."""

    def __init__(self, token: Token, serializer: str, *args: Any, **kwds: Any) -> None:
        super().__init__(token, serializer, *args, **kwds)
        _seam.use_client(self, _client_for(serializer))

    def _callmethod(self, methodname: str, args: tuple = (), kwds: dict | None = None) -> Any:
        if _seam.proxy_manager(self) is None:
            # Unpickled here, so no manager: type the proxies it returns (an iterator over
            # a dict, say) from SyncManager's registry rather than failing.
            _seam.give_proxy_a_registry(self, SyncManager)
        try:
            return super()._callmethod(methodname, args, kwds or {})
        except Exception as exc:
            remote = getattr(exc, "remote_traceback", None)
            if remote is not None and exc.__cause__ is None:
                exc.__cause__ = RemoteError(remote)
            raise

    def _callMethod(self, methodname: str, args: tuple = (), kwds: dict | None = None) -> Any:
        """Call ``methodname`` of the referent in the server and return its result."""
        return self._callmethod(methodname, args, kwds)

    def _getValue(self) -> Any:
        """A copy of the referent, made in the server and sent here."""
        return self._getvalue()

    def __copy__(self) -> Any:
        """A second proxy to the same referent (the guidelines' way to use a proxy from
        another thread)."""
        return _seam.copy_proxy(self)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # An auto proxy is rebuilt by our AutoProxy, so that it is one of ours again.
        return _seam.reduce_proxy(self, AutoProxy)


class IteratorProxy(BaseProxy, _stdlib.IteratorProxy):
    pass


class AcquirerProxy(BaseProxy, _stdlib.AcquirerProxy):
    pass


class ConditionProxy(BaseProxy, _stdlib.ConditionProxy):
    def notifyAll(self) -> None:
        self.notify_all()


class EventProxy(BaseProxy, _stdlib.EventProxy):
    def isSet(self) -> bool:
        return self.is_set()


class BarrierProxy(BaseProxy, _stdlib.BarrierProxy):
    pass


class NamespaceProxy(BaseProxy, _stdlib.NamespaceProxy):
    pass


class ValueProxy(BaseProxy, _stdlib.ValueProxy):
    pass


class ListProxy(BaseProxy, _stdlib.ListProxy):
    pass


class DictProxy(BaseProxy, _stdlib.DictProxy):
    pass


class ArrayProxy(BaseProxy, _stdlib.ArrayProxy):
    pass


class PoolProxy(BaseProxy, _stdlib.PoolProxy):
    pass


def _forward(name: str) -> Callable[..., Any]:
    def method(self: Any, /, *args: Any, **kwds: Any) -> Any:
        return self._callmethod(name, args, kwds)

    method.__name__ = name
    return method


_proxy_types: dict[tuple[str, tuple[str, ...]], type] = {}


def MakeProxyType(name: str, exposed: Any) -> type:
    """A proxy class whose methods ``exposed`` are forwarded to the referent."""
    key = (name, tuple(exposed))
    if key not in _proxy_types:
        namespace = {"_exposed_": key[1], **{m: _forward(m) for m in key[1]}}
        _proxy_types[key] = type(name, (BaseProxy,), namespace)
    return _proxy_types[key]


def AutoProxy(
    token: Token,
    serializer: str,
    manager: Any = None,
    authkey: Any = None,
    exposed: Any = None,
    incref: bool = True,
    manager_owned: bool = False,
) -> Any:
    """A proxy whose methods are the public methods of the referent (asked of the server)."""
    if exposed is None:
        conn = _client_for(serializer)(token.address, authkey=authkey)
        try:
            exposed = _stdlib.dispatch(conn, None, "get_methods", (token,))
        finally:
            conn.close()
    if authkey is None and manager is not None:
        authkey = _seam.manager_authkey(manager)
    if authkey is None:
        authkey = _stdlib_process.current_process().authkey
    proxytype = MakeProxyType(f"AutoProxy[{token.typeid}]", exposed)
    proxy = proxytype(
        token,
        serializer,
        manager=manager,
        authkey=authkey,
        incref=incref,
        manager_owned=manager_owned,
    )
    _seam.mark_auto_proxy(proxy)
    return proxy


class _SharedStructProxy(BaseProxy):
    _exposed_ = ("get", "set", "tobytes", "tostring")

    def get(self) -> Any:
        return self._callmethod("get")

    def set(self, value: Any) -> None:
        self._callmethod("set", (value,))

    value = property(get, set)

    def tobytes(self) -> bytes:
        return self._callmethod("tobytes")

    tostring = tobytes


class SharedValueProxy(_SharedStructProxy):
    """A ``SharedValue`` in the manager's server: ``value``, ``get()``, ``set()``."""


class SharedStructProxy(_SharedStructProxy):
    """A ``SharedStruct`` in the manager's server: ``value``, ``get()``, ``set()``."""


class SharedArrayProxy(_SharedStructProxy):
    """A ``SharedArray`` in the manager's server: indexing, slicing, ``tolist()``."""

    _exposed_ = (*_SharedStructProxy._exposed_, "tolist", "__len__", "__getitem__", "__setitem__")

    def tolist(self) -> list[Any]:
        return self._callmethod("tolist")

    def __len__(self) -> int:
        return self._callmethod("__len__")

    def __getitem__(self, index: Any) -> Any:
        return self._callmethod("__getitem__", (index,))

    def __setitem__(self, index: Any, value: Any) -> None:
        self._callmethod("__setitem__", (index, value))


# -- managers ------------------------------------------------------------------------------


class BaseManager(_stdlib.BaseManager):
    """A manager whose server process is started by ``start()`` (or that runs in this
    process with ``serveForever()``, or is reached with ``fromAddress()``).

    ``address`` is where the server listens (``None``: a fresh private address;
    ``('127.0.0.1', port)`` for TCP), ``authkey`` the key clients must know (default: this
    process's ``authkey``), ``ctx`` the processing context that starts the server.
    """

    def __init__(
        self,
        address: Any = None,
        authkey: Any = None,
        serializer: str = "pickle",
        ctx: Any = None,
        **options: Any,
    ) -> None:
        if ctx is None:
            from processing._defaultctx import default_context

            ctx = default_context.get_context()
        super().__init__(address, _as_authkey(authkey), serializer, ctx, **options)
        _seam.use_client(self, _client_for(serializer))

    def start(self, initializer: Callable[..., Any] | None = None, initargs: tuple = ()) -> None:
        """Start the server in a child process (through our launchers)."""
        super().start(initializer, initargs)

    def get_server(self) -> Server:
        """The server object of this (not yet started) manager, to run in this process."""
        server = super().get_server()
        # The stdlib builds its own Server class here; ours only adds methods.
        server.__class__ = _seam.server_class(self)
        return server

    getServer = get_server

    def serveForever(self) -> None:
        """Run the server in this process until it is shut down."""
        self.get_server().serve_forever()

    serve_forever = serveForever

    @classmethod
    def fromAddress(cls, address: Any, authkey: Any) -> BaseManager:
        """A manager connected to the server already running at ``address``."""
        manager = cls(address, authkey)
        manager.connect()
        return manager

    from_address = fromAddress

    def shutdown(self) -> None:
        """Stop the server process (a no-op if ``start()`` was not called; safe twice)."""
        # start() replaces this method with the finalizer that stops the server.

    @classmethod
    def register(
        cls,
        typeid: str,
        callable: Callable[..., Any] | None = None,
        proxytype: Any = None,
        exposed: Any = None,
        method_to_typeid: dict[str, str] | None = None,
        create_method: bool = True,
    ) -> None:
        """Make ``typeid`` known: a method of that name creates ``callable(*args)`` in the
        server and returns a ``proxytype`` proxy (default: one exposing its public methods)."""
        super().register(
            typeid, callable, proxytype or AutoProxy, exposed, method_to_typeid, create_method
        )


_seam.set_server_class(BaseManager, Server)


class CreatorMethod:
    """The 0.52 way to register a type: ``Foo = CreatorMethod(FooClass)`` in the body of a
    ``BaseManager`` subclass gives it a ``Foo()`` method returning a proxy."""

    def __init__(
        self,
        callable: Callable[..., Any] | None = None,
        proxytype: Any = None,
        exposed: Any = None,
        typeid: str | None = None,
        method_to_typeid: dict[str, str] | None = None,
    ) -> None:
        self.callable = callable
        self.proxytype = proxytype
        self.exposed = exposed
        self.typeid = typeid
        self.method_to_typeid = method_to_typeid

    def __set_name__(self, owner: type, name: str) -> None:
        if not issubclass(owner, _stdlib.BaseManager):
            raise TypeError(f"CreatorMethod {name!r} must be defined in a manager class")
        typeid = self.typeid or name
        owner.register(typeid, self.callable, self.proxytype, self.exposed, self.method_to_typeid)
        setattr(owner, name, getattr(owner, typeid))


def _pool(*args: Any, **kwds: Any) -> Any:
    from processing._defaultctx import default_context

    return default_context.Pool(*args, **kwds)


class SyncManager(BaseManager, _stdlib.SyncManager):
    """The manager returned by ``Manager()``: ``list``, ``dict``, ``Namespace``, queues,
    locks, conditions, events, barriers, ``Value``/``Array``, pools and the shared types."""


for _typeid, _callable, _proxytype in [
    ("Event", threading.Event, EventProxy),
    ("Lock", _owned_lock, AcquirerProxy),
    ("RLock", _owned_rlock, AcquirerProxy),
    ("Semaphore", threading.Semaphore, AcquirerProxy),
    ("BoundedSemaphore", threading.BoundedSemaphore, AcquirerProxy),
    ("Condition", _owned_condition, ConditionProxy),
    ("Barrier", threading.Barrier, BarrierProxy),
    ("Pool", _pool, PoolProxy),
    ("list", list, ListProxy),
    ("dict", dict, DictProxy),
    ("Value", _stdlib.Value, ValueProxy),
    ("Array", _stdlib.Array, ArrayProxy),
    ("Namespace", Namespace, NamespaceProxy),
    ("SharedValue", sharedtypes.SharedValue, SharedValueProxy),
    ("SharedStruct", sharedtypes.SharedStruct, SharedStructProxy),
    ("SharedArray", sharedtypes.SharedArray, SharedArrayProxy),
]:
    SyncManager.register(_typeid, _callable, _proxytype)
del _typeid, _callable, _proxytype
if hasattr(_stdlib, "SetProxy"):  # Python 3.14+: Manager().set()

    class SetProxy(BaseProxy, _stdlib.SetProxy):
        """A proxy for a ``set`` in the server; ``|=`` and the other in-place operators
        change it there."""

    SyncManager.register("set", set, SetProxy)
    __all__ += ["SetProxy"]
SyncManager.register("Queue", queue.Queue)
SyncManager.register("JoinableQueue", queue.Queue)
SyncManager.register("Iterator", proxytype=IteratorProxy, create_method=False)
SyncManager.register("AsyncResult", create_method=False)


if hasattr(_stdlib, "SharedMemoryManager"):

    class SharedMemoryServer(Server, _stdlib.SharedMemoryServer):
        """The stdlib's shared-memory server with ours underneath: it tracks the segments
        its manager created and unlinks them all when it shuts down."""

    class SharedMemoryManager(BaseManager, _stdlib.SharedMemoryManager):
        """``SharedMemory(size)`` and ``ShareableList(seq)`` blocks that live until this
        manager shuts down, as the stdlib's; its server is started by our launchers."""

    _seam.set_server_class(SharedMemoryManager, SharedMemoryServer)


class LocalManager:
    """The creator methods of a manager for objects in shared memory, with no server: what
    it makes is shared with children by inheritance, and is as fast as local memory."""

    def __init__(self, ctx: Any = None) -> None:
        if ctx is None:
            from processing._defaultctx import default_context

            ctx = default_context.get_context()
        self._ctx = ctx

    def start(self) -> None:
        """Nothing to start; present so code written for ``Manager()`` runs unchanged."""

    def shutdown(self) -> None:
        """Nothing to stop; the shared memory is freed when its objects are."""

    def join(self, timeout: float | None = None) -> None:
        """Nothing to wait for."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def SharedValue(self, format: str, value: Any = None) -> sharedtypes.SharedValue:
        return sharedtypes.SharedValue(format, value)

    def SharedStruct(self, format: str, value: Any = None) -> sharedtypes.SharedStruct:
        return sharedtypes.SharedStruct(format, value)

    def SharedArray(self, format: str, sequence: Any) -> Any:
        return sharedtypes.SharedArray(format, sequence)

    def Value(self, typecode_or_type: Any, *args: Any, lock: Any = True) -> Any:
        return sharedctypes.Value(typecode_or_type, *args, lock=lock, ctx=self._ctx)

    def Array(self, typecode_or_type: Any, size_or_initializer: Any, lock: Any = True) -> Any:
        return sharedctypes.Array(typecode_or_type, size_or_initializer, lock=lock, ctx=self._ctx)

    def RawValue(self, typecode_or_type: Any, *args: Any) -> Any:
        return sharedctypes.RawValue(typecode_or_type, *args)

    def RawArray(self, typecode_or_type: Any, size_or_initializer: Any) -> Any:
        return sharedctypes.RawArray(typecode_or_type, size_or_initializer)

    def Lock(self) -> Any:
        return self._ctx.Lock()

    def RLock(self) -> Any:
        return self._ctx.RLock()

    def Semaphore(self, value: int = 1) -> Any:
        return self._ctx.Semaphore(value)

    def BoundedSemaphore(self, value: int = 1) -> Any:
        return self._ctx.BoundedSemaphore(value)

    def Condition(self, lock: Any = None) -> Any:
        return self._ctx.Condition(lock)

    def Event(self) -> Any:
        return self._ctx.Event()

    def Queue(self, maxsize: int = 0) -> Any:
        """A process-shared queue (no server: children get it by inheritance)."""
        return self._ctx.Queue(maxsize)

    def JoinableQueue(self, maxsize: int = 0) -> Any:
        return self._ctx.JoinableQueue(maxsize)
