"""Drop-in for ``multiprocessing`` (what CPython's own suite found missing) and for the
processing 0.51/0.52 spellings: each name and each behaviour a program written for the other
library relies on."""

from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.connection
import multiprocessing.managers
import pickle
import sys

import pytest

import processing
import processing.connection
import processing.managers
from processing import reduction

TIMEOUT = 30
pytestmark = pytest.mark.usefixtures("no_leftover_children")


# -- multiprocessing names ---------------------------------------------------------------------


def test_connection_families_are_the_stdlibs():
    assert processing.connection.families == multiprocessing.connection.families
    assert "AF_INET" in processing.connection.families
    assert "families" in processing.connection.__all__


@pytest.mark.parametrize(("method", "name"), [
    ("fork", "ForkContext"), ("spawn", "SpawnContext"), ("forkserver", "ForkServerContext")])
def test_context_classes_are_named_as_the_stdlibs(method, name):
    ctx = processing.get_context(method)
    assert type(ctx).__name__ == name == type(multiprocessing.get_context(method)).__name__
    assert ctx.get_start_method() == method
    assert isinstance(ctx, processing.context.Context)


def _fill(name, data):
    from multiprocessing import shared_memory

    block = shared_memory.SharedMemory(name)
    block.buf[: len(data)] = data
    block.close()


def _append_doubled(items):
    for i in range(len(items)):
        items[i] = items[i] * 2


@pytest.mark.timeout(120)
def test_shared_memory_manager_blocks_live_until_it_shuts_down(ctx):
    from multiprocessing import shared_memory

    with processing.managers.SharedMemoryManager(ctx=ctx) as smm:
        assert isinstance(smm, multiprocessing.managers.SharedMemoryManager)
        block = smm.SharedMemory(64)
        items = smm.ShareableList([1, 2, 3])
        child = ctx.Process(target=_fill, args=(block.name, b"from a child"))
        child.start()
        child.join(TIMEOUT)
        other = ctx.Process(target=_append_doubled, args=(items,))
        other.start()
        other.join(TIMEOUT)
        assert (child.exitcode, other.exitcode) == (0, 0)
        assert bytes(block.buf[:12]) == b"from a child"
        assert list(items) == [2, 4, 6]
        names = [block.name, items.shm.name]
        block.close()
        items.shm.close()
    # The manager unlinked what it created.
    for name in names:
        with pytest.raises(FileNotFoundError):
            shared_memory.SharedMemory(name)


def test_a_lock_argument_without_acquire_raises_attribute_error_as_the_stdlib():
    for make in (lambda lock: processing.Value("i", 0, lock=lock),
                 lambda lock: processing.Array("i", 3, lock=lock),
                 lambda lock: processing.LocalManager().Value(ctypes.c_int, 1, lock=lock)):
        with pytest.raises(AttributeError, match="'yes' has no method 'acquire'"):
            make("yes")
    with pytest.raises(AttributeError, match="'yes' has no method 'acquire'"):
        multiprocessing.Value("i", 0, lock="yes")


# -- pickling errors: the stdlib's type, our message ---------------------------------------------


def _close(q):
    q.close()


@pytest.mark.skipif(sys.version_info < (3, 11),
                    reason="the stdlib's SemLock refuses another start method's child from 3.11")
@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_a_lock_from_a_fork_context_in_a_spawned_child_raises_runtime_error(method):
    """As the stdlib (its suite's test_mixed_startmethod): ``except RuntimeError`` works."""
    q = processing.get_context("fork").Queue()
    p = processing.get_context(method).Process(target=_close, args=(q,))
    with pytest.raises(RuntimeError, match="A SemLock created in a fork context") as info:
        p.start()
    assert isinstance(info.value, pickle.PicklingError)
    assert f"with the {method!r} start method: its args or kwargs" in str(info.value)
    assert p.pid is None
    q.close()


class _RefusesWith:
    def __init__(self, exc):
        self.exc = exc

    def __reduce__(self):
        raise self.exc


@pytest.mark.parametrize("exc", [RuntimeError("no"), TypeError("no"), AttributeError("no"),
                                 ValueError("no"), OSError(5, "no")])
def test_pickling_error_is_both_picklingerror_and_the_original_type(exc):
    error = reduction.pickling_error(exc, "cannot send it: explained")
    assert isinstance(error, pickle.PicklingError)
    assert isinstance(error, type(exc))
    assert type(error).__name__ == type(exc).__name__
    assert str(error) == "cannot send it: explained"
    # Sent to another process, it arrives as the original type with the message.
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(exc) and str(again) == "cannot send it: explained"


def test_a_picklingerror_stays_a_picklingerror():
    error = reduction.pickling_error(pickle.PicklingError("x"), "explained")
    assert type(error) is pickle.PicklingError and str(error) == "explained"


def test_an_exception_type_that_cannot_be_combined_falls_back_to_picklingerror():
    class Strict(Exception):
        def __init__(self, a, b):
            super().__init__(a, b)

    error = reduction.pickling_error(Strict(1, 2), "explained")
    assert isinstance(error, pickle.PicklingError) and str(error) == "explained"


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_a_target_refusing_with_runtime_error_is_caught_by_either_except(method):
    p = processing.get_context(method).Process(target=print,
                                               args=(_RefusesWith(RuntimeError("mine")),))
    with pytest.raises(RuntimeError, match=r"cannot start .*\(RuntimeError: mine\)"):
        p.start()
    p = processing.get_context(method).Process(target=print,
                                               args=(_RefusesWith(RuntimeError("mine")),))
    with pytest.raises(pickle.PicklingError, match="its args or kwargs"):
        p.start()


# -- the processing 0.51/0.52 spellings ----------------------------------------------------------


def _echo_bytes(conn):
    conn.sendbytes(conn.recvbytes() * 2)
    conn.close()


@pytest.mark.timeout(60)
def test_connection_byte_methods_of_0_51(ctx):
    here, there = ctx.Pipe()
    child = ctx.Process(target=_echo_bytes, args=(there,))
    child.start()
    here.sendbytes(b"ab")
    assert here.recvbytes() == b"abab"
    child.join(TIMEOUT)
    assert child.exitcode == 0


@pytest.mark.parametrize("size", [0, 1, 5, 70_000])
def test_recvbytes_into_and_its_aliases_agree(size):
    a, b = processing.Pipe()
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    for send in (a.sendbytes, a.sendBytes, a.send_bytes):
        send(payload)
    buffers = [bytearray(size + 3) for _ in range(3)]
    counts = [b.recvbytes_into(buffers[0], 3), b.recvBytesInto(buffers[1], 3),
              b.recv_bytes_into(buffers[2], 3)]
    assert counts == [size] * 3
    assert all(bytes(buf[3:]) == payload for buf in buffers)
    a.sendbytes(b"0123456789")
    with pytest.raises(processing.BufferTooShort):
        b.recvbytes_into(bytearray(4))
    assert type(a).sendbytes is type(a).sendBytes
    assert type(a).recvbytes is type(a).recvBytes
    assert type(a).recvbytes_into is type(a).recvBytesInto


def _drain(q, out):
    while (item := q.get(timeout=TIMEOUT)) is not None:
        out.put(item * 10)
    out.put(None)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["Queue", "JoinableQueue"])
def test_local_manager_queues_are_shared_with_children(ctx, kind):
    manager = processing.managers.LocalManager(ctx)
    q, out = getattr(manager, kind)(), getattr(manager, kind)(2)
    child = ctx.Process(target=_drain, args=(q, out))
    child.start()
    for i in range(5):
        q.put(i)
    q.put(None)
    got = []
    while (item := out.get(timeout=TIMEOUT)) is not None:
        got.append(item)
    child.join(TIMEOUT)
    assert got == [0, 10, 20, 30, 40] and child.exitcode == 0


def test_local_manager_bounded_queue_is_bounded():
    q = processing.LocalManager().Queue(1)
    q.put(1)
    with pytest.raises(processing.Full):
        q.put(2, timeout=0.05)


def _authkey_to_queue(q):
    q.put(processing.currentProcess().getAuthKey())


@pytest.mark.timeout(60)
def test_get_auth_key_is_plain_bytes_a_queue_carries(ctx):
    me = processing.currentProcess()
    key = me.getAuthKey()
    assert type(key) is bytes and key == bytes(me.authkey)
    assert type(me.authkey) is not bytes  # authkey itself stays the stdlib's
    q = ctx.Queue()
    q.put(key)
    assert q.get(timeout=TIMEOUT) == key
    child = ctx.Process(target=_authkey_to_queue, args=(q,))
    child.start()
    assert q.get(timeout=TIMEOUT) == key
    child.join(TIMEOUT)
    p = ctx.Process()
    p.setAuthKey(b"another key")
    assert p.getAuthKey() == b"another key" and type(p.getAuthKey()) is bytes


def _sleep_until_interrupted(ready, restore_default):
    import signal
    import time

    if restore_default:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    ready.set()
    time.sleep(60)


@pytest.mark.timeout(120)
@pytest.mark.skipif(not hasattr(multiprocessing.Process, "interrupt"),
                    reason="Process.interrupt() is new in Python 3.14")
@pytest.mark.parametrize(("restore_default", "exitcode"), [(False, 1), (True, -2)])
def test_interrupt_sends_sigint_as_the_stdlib(ctx, restore_default, exitcode):
    ready = ctx.Event()
    p = ctx.Process(target=_sleep_until_interrupted, args=(ready, restore_default))
    p.start()
    assert ready.wait(TIMEOUT)
    p.interrupt()
    p.join(TIMEOUT)
    # KeyboardInterrupt in the target is exit code 1; with the default action, -SIGINT.
    assert p.exitcode == exitcode


class _FakeConnection:
    def __init__(self, reply):
        self.reply, self.sent = reply, []

    def send(self, msg):
        self.sent.append(msg)

    def recv(self):
        return self.reply


def test_managers_dispatch_sends_one_request_and_returns_or_raises():
    conn = _FakeConnection(("#RETURN", 42))
    assert processing.managers.dispatch(conn, "id", "method", (1,), {"k": 2}) == 42
    assert conn.sent == [("id", "method", (1,), {"k": 2})]
    with pytest.raises(KeyError):
        processing.managers.dispatch(_FakeConnection(("#ERROR", KeyError("x"))), None, "m")


def _update_set(s):
    s |= {"b"}
    s -= {"a"}
    s.add("c")


@pytest.mark.timeout(120)
@pytest.mark.skipif(not hasattr(multiprocessing.managers, "SetProxy"),
                    reason="Manager().set() is new in Python 3.14")
def test_manager_set_is_a_processing_proxy_changed_in_place_by_children(ctx):
    with processing.managers.SyncManager(ctx=ctx) as manager:
        s = manager.set({"a"})
        assert isinstance(s, processing.managers.SetProxy)
        assert isinstance(s, multiprocessing.managers.SetProxy)
        child = ctx.Process(target=_update_set, args=(s,))
        child.start()
        child.join(TIMEOUT)
        assert child.exitcode == 0
        assert set(s._getvalue()) == {"b", "c"}


def _tracker_in_child(q, parent_tracker_pid):
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    tracker = resource_tracker._resource_tracker
    q.put((tracker._pid in (None, parent_tracker_pid), tracker._check_alive()))


@pytest.mark.timeout(120)
def test_children_reuse_the_parents_resource_tracker(ctx):
    """On 3.14.10 too, where a plain os.fork() child closes the tracker's fd (gh-146313)."""
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    q = ctx.Queue()
    child = ctx.Process(target=_tracker_in_child, args=(q, resource_tracker._resource_tracker._pid))
    child.start()
    assert q.get(timeout=TIMEOUT) == (True, True)
    child.join(TIMEOUT)
    assert child.exitcode == 0
