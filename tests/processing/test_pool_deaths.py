"""Pool and executor results across worker deaths: property tests over random task mixes.

Tasks that return, raise, ``os._exit`` or SIGKILL themselves, submitted through
``applyAsync``, ``map`` (chunks of one) and ``imapUnordered``. Invariants, each run bounded:
- Pool: every task that does not die gives its own result (or its own exception) exactly
  once; every dying task fails with ``WorkerLostError``; the pool then still works.
- Executor: every future settles exactly once; a call that returned or raised before any
  death keeps its outcome; a dying call fails with ``BrokenProcessPool``; so does every call
  not finished when the pool broke, and the executor refuses new work.
"""

from __future__ import annotations

import concurrent.futures
import os
import signal
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import processing
from processing.futures import BrokenProcessPool, ProcessPoolExecutor
from processing.pool import WorkerLostError

pytestmark = pytest.mark.timeout(300)

OK, RAISE, EXIT, KILL = "ok", "raise", "exit", "kill"

# Deaths are rarer than results, as in a real workload, so each run replaces few workers.
KINDS = st.sampled_from([OK, OK, OK, OK, RAISE, EXIT, KILL])
SETTINGS = settings(max_examples=8, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


class TaskError(Exception):
    pass


def run(task):
    index, kind = task
    if kind == EXIT:
        os._exit(7)
    if kind == KILL:
        os.kill(os.getpid(), signal.SIGKILL)
    if kind == RAISE:
        raise TaskError(index)
    return index * 10


def check_pool_outcome(task, outcome):
    index, kind = task
    success, value = outcome
    if kind == OK:
        assert success and value == index * 10, (task, outcome)
    elif kind == RAISE:
        assert not success and isinstance(value, TaskError) and value.args == (index,)
    else:
        assert not success and isinstance(value, WorkerLostError), (task, outcome)
        assert value.exitcode == (7 if kind == EXIT else -signal.SIGKILL)


@pytest.fixture(scope="module", params=processing.allStartMethods())
def death_pool(request):
    pool = processing.getContext(request.param).Pool(2)
    yield pool
    pool.terminate()
    pool.join(20)


@SETTINGS
@given(kinds=st.lists(KINDS, min_size=1, max_size=12))
def test_pool_apply_async_across_worker_deaths(death_pool, kinds):
    tasks = list(enumerate(kinds))
    seen = {}
    lock = threading.Lock()

    def record(index, success, value):
        with lock:
            assert index not in seen, f"task {index} settled twice"
            seen[index] = (success, value)

    results = [
        death_pool.applyAsync(
            run, (task,),
            callback=lambda value, i=task[0]: record(i, True, value),
            error_callback=lambda error, i=task[0]: record(i, False, error))
        for task in tasks
    ]
    for task, result in zip(tasks, results):
        try:
            outcome = (True, result.get(60))
        except Exception as error:  # noqa: BLE001 - the outcome is checked below
            outcome = (False, error)
        check_pool_outcome(task, outcome)
        assert seen[task[0]][0] == outcome[0]
    assert sorted(seen) == [index for index, _ in tasks]
    assert death_pool.apply(run, ((5, OK),)) == 50


@SETTINGS
@given(kinds=st.lists(KINDS, min_size=1, max_size=12))
def test_pool_map_across_worker_deaths(death_pool, kinds):
    tasks = list(enumerate(kinds))
    result = death_pool.mapAsync(run, tasks, chunksize=1)
    if all(kind == OK for kind in kinds):
        assert result.get(60) == [index * 10 for index, _ in tasks]
        return
    with pytest.raises((TaskError, WorkerLostError)) as info:
        result.get(60)
    # The map fails with the outcome of one of its failing tasks.
    first = info.value
    if isinstance(first, WorkerLostError):
        assert any(kind in (EXIT, KILL) for kind in kinds)
    assert death_pool.map(run, [(1, OK), (2, OK)]) == [10, 20]


@SETTINGS
@given(kinds=st.lists(KINDS, min_size=1, max_size=12))
def test_pool_imap_unordered_yields_each_outcome_once(death_pool, kinds):
    tasks = list(enumerate(kinds))
    it = death_pool.imapUnordered(run, tasks)
    values, failures = [], []
    for _ in tasks:
        try:
            values.append(it.next(60))
        except (TaskError, WorkerLostError) as error:
            failures.append(error)
    with pytest.raises(StopIteration):
        it.next(60)
    assert sorted(values) == sorted(index * 10 for index, kind in tasks if kind == OK)
    assert sorted(e.args[0] for e in failures if isinstance(e, TaskError)) == [
        index for index, kind in tasks if kind == RAISE]
    assert sum(isinstance(e, WorkerLostError) for e in failures) == sum(
        kind in (EXIT, KILL) for kind in kinds)


@settings(max_examples=5, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kinds=st.lists(KINDS, min_size=1, max_size=10))
def test_executor_across_a_worker_death(start_method, kinds):
    tasks = list(enumerate(kinds))
    settled = {}
    lock = threading.Lock()

    def record(index, future):
        with lock:
            assert index not in settled, f"future {index} settled twice"
            settled[index] = future

    ex = ProcessPoolExecutor(2, mp_context=processing.getContext(start_method))
    try:
        futures = []
        for task in tasks:
            try:
                futures.append(ex.submit(run, task))
            except BrokenProcessPool:
                break  # an earlier call already died: the executor refuses more, as it must
        tasks = tasks[:len(futures)]
        for (index, _), future in zip(tasks, futures):
            future.add_done_callback(lambda f, i=index: record(i, f))
        not_done = concurrent.futures.wait(futures, 120).not_done
        assert not not_done
        dies = any(kind in (EXIT, KILL) for _, kind in tasks)
        assert len(tasks) == len(kinds) or dies
        for (index, kind), future in zip(tasks, futures):
            error = future.exception(0)
            if kind in (EXIT, KILL):
                assert isinstance(error, BrokenProcessPool)
            elif isinstance(error, BrokenProcessPool):
                assert dies  # only a death breaks the executor
            elif kind == RAISE:
                assert isinstance(error, TaskError) and error.args == (index,)
            else:
                assert error is None and future.result(0) == index * 10
        if dies:
            with pytest.raises(BrokenProcessPool):
                ex.submit(run, (0, OK))
        else:
            assert ex.submit(run, (3, OK)).result(60) == 30
    finally:
        ex.shutdown(wait=True)
    assert sorted(settled) == [index for index, _ in tasks]
