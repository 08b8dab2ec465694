"""Proxies: calling the referent, copies, pickling into other processes, nesting, iterators."""

from __future__ import annotations

import copy
import threading

import pytest

import processing
from processing.managers import BaseProxy, IteratorProxy, RemoteError
from tests.processing._manager_helpers import Counter, CounterManager

pytestmark = pytest.mark.timeout(60)


def test_call_method_and_get_value(manager):
    shared = manager.list([3, 1, 2])
    assert isinstance(shared, BaseProxy)
    shared._callMethod("sort")
    assert shared._callMethod("__getitem__", (0,)) == 1
    assert shared._callMethod("index", (3,)) == 2
    assert shared._getValue() == [1, 2, 3]
    assert str(shared) == "[1, 2, 3]"


def test_copy_is_a_second_proxy_to_the_same_referent(manager):
    original = manager.dict()
    second = copy.copy(original)
    assert second is not original and isinstance(second, type(original))
    assert second._token == original._token

    def fill(proxy, key):
        for i in range(20):
            proxy[f"{key}{i}"] = i

    threads = [threading.Thread(target=fill, args=(p, k)) for p, k in
               ((original, "a"), (second, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(original) == 40 and original.copy() == second.copy()


def test_deepcopy_is_a_local_copy(manager):
    shared = manager.list([{"x": 1}])
    local = copy.deepcopy(shared)
    assert type(local) is list and local == [{"x": 1}]
    local.append(2)
    assert len(shared) == 1


def _use_proxies(shared_dict, shared_list, results):
    shared_list.append("child")
    results.put((sorted(shared_dict), list(iter(shared_dict)), shared_list[:]))


def test_proxies_pickled_into_another_process(manager):
    ctx = processing.getContext(manager._ctx.get_start_method())
    shared_dict, shared_list = manager.dict(a=1, b=2), manager.list()
    results = ctx.Queue()
    child = ctx.Process(target=_use_proxies, args=(shared_dict, shared_list, results))
    child.start()
    assert results.get(timeout=30) == (["a", "b"], ["a", "b"], ["child"])
    child.join(30)
    assert child.exitcode == 0


def _put_proxy(queue, shared_list):
    queue.put(shared_list)


def test_a_proxy_sent_through_a_queue_reaches_the_same_referent(manager):
    ctx = processing.getContext(manager._ctx.get_start_method())
    shared_list = manager.list(["original"])
    queue = ctx.Queue()
    child = ctx.Process(target=_put_proxy, args=(queue, shared_list))
    child.start()
    received = queue.get(timeout=30)
    child.join(30)
    received.append("via queue")
    assert shared_list[:] == ["original", "via queue"]


def test_nested_proxies(manager):
    outer = manager.dict()
    inner = manager.list([1])
    outer["inner"] = inner
    outer["inner"].append(2)
    assert inner[:] == [1, 2]
    namespace = manager.Namespace()
    namespace.items = manager.list()
    namespace.items.append("x")
    assert namespace.items[:] == ["x"]


class IterManager(CounterManager):
    """At module level: under spawn and forkserver (3.14's default) the manager's server
    process receives its class by pickling."""


IterManager.register("Counting", Counter, method_to_typeid={"numbers": "Iter"})
IterManager.register("Iter", proxytype=IteratorProxy, create_method=False)


def test_iterator_proxy_for_a_generator():
    with IterManager() as manager:
        numbers = manager.Counting().numbers(4)
        assert isinstance(numbers, IteratorProxy)
        assert list(numbers) == [0, 1, 2, 3]


def test_unexposed_methods_are_refused_with_the_remote_traceback(manager):
    shared = manager.list()
    with pytest.raises(RemoteError, match="not in exposed") as caught:
        shared._callMethod("__class__")
    assert "Traceback" in str(caught.value)
