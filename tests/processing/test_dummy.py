"""processing.dummy: the same API on threads."""

from __future__ import annotations

import threading

import pytest

import processing
from processing import dummy

pytestmark = pytest.mark.timeout(30)


def test_the_names_a_program_switches_between():
    for name in ("Process", "currentProcess", "current_process", "activeChildren",
                 "active_children", "freezeSupport", "cpuCount", "Queue", "JoinableQueue",
                 "BufferedQueue", "SimpleQueue", "Pipe", "Lock", "RLock", "Semaphore",
                 "BoundedSemaphore", "Condition", "Event", "Barrier", "Manager",
                 "LocalManager", "Pool", "Value", "Array", "RawValue", "RawArray",
                 "SharedValue", "SharedStruct", "SharedArray"):
        assert hasattr(processing, name), name
        assert hasattr(dummy, name), name


def test_process_is_a_thread_with_the_process_interface():
    results = dummy.Queue()
    worker = dummy.Process(target=lambda: results.put(threading.current_thread().name))
    worker.setName("worker-1")
    worker.start()
    assert worker in dummy.activeChildren() or results.qsize() == 1
    worker.join(10)
    assert results.get(timeout=5) == "worker-1"
    assert not worker.isAlive() and worker.getExitCode() == 0 and worker.getName() == "worker-1"
    assert isinstance(worker, threading.Thread)
    assert dummy.currentProcess() is threading.main_thread()


def test_manager_and_local_manager():
    with dummy.Manager() as manager:
        shared = manager.list([1])
        shared.append(2)
        assert shared == [1, 2]
        assert manager.dict(a=1) == {"a": 1}
        namespace = manager.Namespace(x=1)
        assert namespace.x == 1
        value = manager.Value("i", 5)
        with value.getlock():
            value.value += 1
        assert value.value == 6
        assert manager.SharedArray("i", [1, 2]).tolist() == [1, 2]
        assert manager.Lock().acquire(timeout=1)
    assert dummy.LocalManager().SharedValue("d", 1.5).value == 1.5


def test_value_and_array_match_processing():
    value, array = dummy.Value("i", 1), dummy.Array("c", b"hi")
    assert type(value) is type(processing.Value("i", 1))
    assert (array.value, array.rawvalue) == (b"hi", b"hi")
    assert dummy.Array("d", 2, lock=False)[:] == [0.0, 0.0]
    assert isinstance(dummy.Value("i", 1).getlock(), type(threading.RLock()))


def test_pool_of_threads_with_0_52_names():
    with dummy.Pool(2) as pool:
        assert pool.map(abs, [-1, -2, -3]) == [1, 2, 3]
        assert pool.applyAsync(abs, (-4,)).get(5) == 4
        assert pool.mapAsync(abs, [-5]).get(5) == [5]
        assert sorted(pool.imapUnordered(abs, [-6, -7])) == [6, 7]


def test_pipe_listener_and_client_between_threads():
    left, right = dummy.Pipe()
    left.sendBytes(b"bytes")
    assert right.recvBytes() == b"bytes"
    right.send({"x": 1})
    assert left.recv() == {"x": 1}
    listener = dummy.Listener()
    served = []
    thread = threading.Thread(target=lambda: served.append(listener.accept().recv()))
    thread.start()
    dummy.Client(listener.address).send("hello")
    thread.join(10)
    assert served == ["hello"]
