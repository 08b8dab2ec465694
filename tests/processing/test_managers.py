"""Managers: the server process, its typeids, lifetime, remote use and bad input."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import processing
from processing.managers import RemoteError, SyncManager
from processing.process import Process
from tests.processing._manager_helpers import CounterManager, RemoteManager, ServingManager

pytestmark = pytest.mark.timeout(60)


def test_the_server_is_started_through_our_launchers(manager):
    assert isinstance(manager._process, Process)
    assert manager._process.is_alive()
    assert manager._process.name.startswith("SyncManager-")


def test_every_typeid(manager):
    shared_list = manager.list([1, 2])
    shared_list.append(3)
    assert shared_list[:] == [1, 2, 3]
    shared_dict = manager.dict(a=1)
    shared_dict["b"] = 2
    assert shared_dict.copy() == {"a": 1, "b": 2}
    namespace = manager.Namespace(x=1)
    namespace.y = 2
    assert (namespace.x, namespace.y) == (1, 2)
    for queue in (manager.Queue(), manager.JoinableQueue()):
        queue.put("item")
        assert queue.get(timeout=5) == "item"
    for lock in (manager.Lock(), manager.RLock(), manager.Semaphore(2),
                 manager.BoundedSemaphore()):
        assert lock.acquire(timeout=5)
        lock.release()
    condition = manager.Condition()
    with condition:
        assert condition.wait(timeout=0.01) is False
        condition.notifyAll()
    event = manager.Event()
    event.set()
    assert event.isSet() and event.wait(1)
    assert manager.Barrier(1).wait(timeout=5) == 0
    value = manager.Value("i", 3)
    value.value += 1
    assert value.value == 4
    array = manager.Array("d", [1.0, 2.0])
    array[0] = 5.0
    assert list(array[:]) == [5.0, 2.0] and len(array) == 2


def test_shared_types_on_the_manager(manager):
    value = manager.SharedValue("q", 1)
    value.value = 2**40
    assert value.value == value.get() == 2**40
    record = manager.SharedStruct("hd", (1, 2.0))
    record.set((3, 4.0))
    assert record.value == (3, 4.0)
    array = manager.SharedArray("i", [1, 2, 3])
    array[0] = 10
    assert array[0] == 10 and array[1:] == [2, 3] and len(array) == 3
    assert array.tolist() == [10, 2, 3]
    assert array.tobytes() == array.tostring()


def _use_from_child(shared_dict, shared_list, lock, value):
    with lock:
        shared_dict["child"] = os.getpid()
        shared_list.append("from child")
        value.value += 1


def test_children_use_the_same_objects(manager):
    ctx = processing.getContext(manager._ctx.get_start_method())
    shared_dict, shared_list = manager.dict(), manager.list()
    lock, value = manager.Lock(), manager.Value("i", 0)
    children = [
        ctx.Process(target=_use_from_child, args=(shared_dict, shared_list, lock, value))
        for _ in range(2)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(30)
    assert [child.exitcode for child in children] == [0, 0]
    assert shared_list[:] == ["from child", "from child"]
    assert value.value == 2
    assert shared_dict["child"] in {child.pid for child in children}


def test_an_error_in_a_shared_object_reaches_the_caller_and_the_manager_survives(manager):
    shared_dict = manager.dict()
    with pytest.raises(KeyError) as caught:
        shared_dict["missing"]
    cause = caught.value.__cause__
    assert isinstance(cause, RemoteError)
    assert "Traceback" in str(cause) and "KeyError" in str(cause)
    shared_dict["after"] = 1
    assert shared_dict["after"] == 1


def test_creator_methods_and_remote_errors():
    with CounterManager() as manager:
        counter = manager.Counter(5)
        assert counter.add(2) == 7
        with pytest.raises(KeyError, match="no such thing"):
            counter.fail()
        with pytest.raises(RemoteError, match="cannot build this"):
            manager.Broken()
        assert counter.add() == 8  # the manager is still serving


def test_shutdown_is_safe_before_start_and_twice():
    manager = SyncManager()
    manager.shutdown()
    manager.start()
    process = manager._process
    manager.shutdown()
    manager.shutdown()
    manager.join(5)
    assert not process.is_alive()


def _start_manager_then_die(writer):
    manager = processing.Manager()
    writer.send(manager._process.pid)
    os.kill(os.getpid(), signal.SIGKILL)


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        return True


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")
def test_the_manager_ends_when_its_parent_is_killed(ctx):
    reader, writer = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_start_manager_then_die, args=(writer,))
    child.start()
    assert reader.poll(30)
    server_pid = reader.recv()
    child.join(30)
    assert child.exitcode == -signal.SIGKILL
    deadline = time.monotonic() + 15
    while not _gone(server_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = not _gone(server_pid)
    if alive:
        os.kill(server_pid, signal.SIGKILL)
    assert not alive, "the manager outlived the process that started it"


def _remote_client(address, authkey, results):
    manager = RemoteManager.fromAddress(address, authkey)
    shared = manager.get_shared()
    shared.update(client=os.getpid())
    results.put(sorted(shared.keys()))


def test_remote_manager_over_tcp_from_a_process_that_knows_only_address_and_key(ctx):
    server = ServingManager(address=("127.0.0.1", 0), authkey=b"secret", ctx=ctx)
    server.start()
    try:
        host, port = server.address
        assert host == "127.0.0.1" and port > 0
        results = ctx.Queue()
        child = ctx.Process(target=_remote_client, args=(server.address, b"secret", results))
        child.start()
        assert results.get(timeout=30) == ["client"]
        child.join(30)
        assert child.exitcode == 0
        with pytest.raises(processing.AuthenticationError):
            RemoteManager.fromAddress(server.address, b"wrong key")
        assert RemoteManager.fromAddress(server.address, "secret").get_shared().get("client")
    finally:
        server.shutdown()


def _serve(address, authkey):
    ServingManager(address=address, authkey=authkey).serveForever()


def test_serve_forever_in_another_process(ctx):
    with processing.connection.Listener(("127.0.0.1", 0)) as probe:
        address = probe.address  # a free port
    server = ctx.Process(target=_serve, args=(address, b"key"), daemon=True)
    server.start()
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                client = RemoteManager.fromAddress(address, b"key")
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline, "the server never listened"
                time.sleep(0.05)
        client.get_shared().update(x=1)
        assert client.get_shared().get("x") == 1
    finally:
        server.terminate()
        server.join(10)


class _Recorder(list):
    def __init__(self):
        super().__init__()
        import logging

        self.handler = logging.Handler()
        # Every dropped peer: the first as a warning, the rest (rate-limited) at DEBUG.
        self.handler.emit = lambda record: (
            record.getMessage().startswith("dropped connection")
            and self.append(record.getMessage()))


def _serve_quietly(server):
    with pytest.raises(SystemExit):  # serve_forever() ends its process, here its thread
        server.serve_forever()


@pytest.fixture
def server_in_thread():
    """A manager's server running in a thread of this process (logs land here)."""
    import logging

    manager = SyncManager(address=("127.0.0.1", 0), authkey=b"k")
    server = manager.get_server()
    server.handshake_timeout = 1.0
    thread = threading.Thread(target=_serve_quietly, args=(server,), daemon=True)
    thread.start()
    recorder = _Recorder()
    logger = processing.getLogger()
    logger.addHandler(recorder.handler)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        yield server, recorder
    finally:
        logger.removeHandler(recorder.handler)
        logger.setLevel(old_level)
        server.stop_event.set()
        thread.join(5)
        server.listener.close()
        del processing.current_process()._manager_server


def test_garbage_is_dropped_logged_and_the_server_goes_on(server_in_thread):
    import socket
    import struct

    server, recorder = server_in_thread
    frames = [
        os.urandom(64),                           # random bytes
        struct.pack("!i", 2**31 - 1),             # a huge announced length
        struct.pack("!i", 100) + b"only a bit",   # a truncated frame, then close
        b"",                                      # connect and close at once
    ]
    for frame in frames:
        with socket.create_connection(server.address, timeout=5) as sock:
            sock.recv(64)  # the challenge
            sock.sendall(frame)
    with socket.create_connection(server.address, timeout=5) as sock:  # says nothing
        sock.recv(64)
        client = SyncManager.fromAddress(server.address, b"k")  # served meanwhile
        assert client.address == server.address
        time.sleep(1.5)
    deadline = time.monotonic() + 10
    while len(recorder) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(recorder) == 5, recorder
    assert all("dropped connection from" in message for message in recorder)
    joined = "\n".join(recorder)
    assert "announced a 2147483647-byte message" in joined
    assert "closed the connection" in joined
    assert "did not complete authentication within 1 s" in joined
