"""The scheduler: the pool's state, and the thread in the parent that runs it.

Only the scheduler's thread touches workers and tasks. It sends each worker a few tasks at
a time over the worker's own connection and reads their outcomes, so it always knows which
tasks a worker holds: when a worker dies (a signal, ``os._exit``, a crash), when an outcome
cannot be pickled or unpickled, or when a task overruns its timeout, exactly that task fails
with an error that says what happened, and the worker is replaced. Other threads hand it work
through an inbox and wake it through a socket, so a submission takes no lock that the
scheduler holds while it works.
"""

from __future__ import annotations

import collections
import functools
import pickle
import socket
import threading
import time
import traceback
from multiprocessing import ProcessError, TimeoutError
from typing import Any, Callable

from processing.pool._errors import BrokenPoolError, WorkerLostError, summary
from processing.pool._framing import PartsDumper, batch_parts, loads
from processing.pool._jobs import IMapSource, Job
from processing.pool._messages import (
    STOP,
    Call,
    Done,
    InitFailed,
    Task,
    outcome_from_wire,
    to_wire,
)
from processing.pool._poller import Poller
from processing.pool._workers import Launcher, Worker, describe_exit, stop_workers
from processing.reduction import pickling_error

__all__ = ["BROKEN", "CLOSE", "RUN", "TERMINATE", "Scheduler"]

RUN, CLOSE, TERMINATE, BROKEN = "RUN", "CLOSE", "TERMINATE", "BROKEN"

#: A worker holds at most this many tasks while tasks are short (see ``Scheduler._depth``).
_MAX_DEPTH = 8
#: Tasks that run longer than this (seconds, as the worker measured) are sent one at a
#: time, so a free worker always takes the next task instead of it waiting behind a long one.
_SHORT_TASK = 0.002
#: A worker is given no more tasks while this many bytes of the ones it was given are not
#: yet written to it: enough to keep it busy, without pickling a whole large map ahead.
_OUTBOX_LIMIT = 1 << 20
#: How often (seconds) the scheduler checks that its busy workers are alive (a safety net
#: under the sentinels, which report a death at once), and how long it idles before its
#: thread ends.
_HEARTBEAT = 0.5


class _Batch:
    """The tasks taken for one worker, to go to it in one frame, and their pickles' size."""

    __slots__ = ("pickles", "size", "tasks")

    def __init__(self) -> None:
        self.tasks: list[Task] = []
        self.pickles: list[list[bytes]] = []
        self.size = 0

    def add(self, task: Task, pickle: list[bytes]) -> None:
        self.tasks.append(task)
        self.pickles.append(pickle)
        self.size += sum(map(len, pickle))


class Scheduler:
    """The pool's state and its thread; the ``Pool`` object is only its face.

    The thread starts with the first call and ends when the pool has been idle for a
    heartbeat (the next call starts another); where no thread may start (at interpreter exit
    on 3.12), ``close()`` and ``terminate()`` do its work themselves.
    """

    def __init__(self, ctx: Any, process_factory: Callable[..., Any], processes: int,
                 initializer: Any, initargs: tuple, maxtasks: int | None,
                 use_template: bool = False) -> None:
        self.processes = processes
        self._initializer, self._maxtasks = initializer, maxtasks
        self.launcher = Launcher(ctx, process_factory, initializer, initargs, maxtasks,
                                 use_template)
        self.state = RUN
        self._broken: str | None = None
        self._lock = threading.Lock()
        self._inbox: collections.deque[Any] = collections.deque()
        self._woken = False  # a wake-up byte is on its way
        self._sleeping = False  # the thread is (about to be) blocked waiting for events
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._poller = Poller()
        self._dumps = PartsDumper()
        self._poller.add(self._wake_r, self._on_wake)
        self._pending: collections.deque[Any] = collections.deque()  # Tasks, IMapSources
        self.jobs: dict[int, Job] = {}  # submitted and not finished, by job key
        self.workers: list[Worker] = []
        self._stopping = False
        self._timed = 0  # tasks with a timeout that were sent and have not finished
        self._run_time = _SHORT_TASK  # moving average of how long a task runs, in seconds
        self._thread = threading.Thread(target=self._main, name="processing-pool", daemon=True)
        self._thread_started = False
        # The workers (and a fork pool's template, which forks their replacements) start
        # before the thread, and that starts with the first call to the pool: so no fork
        # of ours happens in a process that our threads made multi-threaded (Python 3.12+
        # warns about that, rightly), even when several pools are created.
        try:
            launched = self.launcher.start(processes)
        except BaseException:
            self._close_handles()
            raise
        for process, conn in launched:
            self._adopt(process, conn)

    @property
    def template(self) -> Any:
        """A fork pool's fork template (None for other pools, or once it is gone)."""
        return self.launcher.template

    def _start_thread(self) -> None:
        """Start the thread unless one runs (callers hold ``_lock``)."""
        if not self._thread_started:
            self._thread_started = True
            # A new Thread object every time: an earlier one may have ended while the pool
            # idled, or failed to start (a Thread cannot be started twice).
            self._thread = threading.Thread(target=self._main, name="processing-pool",
                                            daemon=True)
            try:
                self._thread.start()
            except BaseException:
                self._thread_started = False
                raise

    # -- called from any thread ---------------------------------------------------------

    def submit(self, job: Job, entry: Task | list[Task] | IMapSource) -> None:
        """Queue a task, a list of tasks or an imap source of ``job``."""
        with self._lock:
            if self.state != RUN:
                raise self._not_running()
            self.jobs[job.key] = job
            self._inbox.append(entry)
            if not self._thread_started:
                self._start_thread()
        # A busy thread looks at the inbox on every round; only a sleeping one needs waking.
        if self._sleeping and not self._woken:
            self._woken = True
            self._wake()

    def _not_running(self) -> Exception:
        if self._broken is not None:
            return BrokenPoolError(self._broken)
        return ValueError(f"the pool is not running (its state is {self.state}): create a new one")

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"\0")
        except OSError:
            pass  # already full of wake-ups (BlockingIOError), or the thread has finished

    def close(self) -> None:
        with self._lock:
            if self.state == RUN:
                self.state = CLOSE
            inline = self._start_or_claim()
        self._wake()
        if inline:
            self._main()

    def terminate(self) -> None:
        with self._lock:
            if self.state in (RUN, CLOSE):
                self.state = TERMINATE
            inline = self._start_or_claim()
        self._wake()
        if inline:
            self._main()
        elif threading.current_thread() is not self._thread and self._thread.is_alive():
            self._thread.join()

    def _start_or_claim(self) -> bool:
        """Start a thread if none runs; True if none can be started (at interpreter
        shutdown, Python 3.12) and the caller must do the thread's work itself."""
        try:
            self._start_thread()
        except RuntimeError:
            self._thread_started = True  # no other thread will start: the caller runs it
            return True
        return False

    def join(self, timeout: float | None = None) -> None:
        if self.state == RUN:
            raise ValueError("join() needs close() or terminate() first")
        if threading.current_thread() is self._thread:
            raise RuntimeError("join() cannot be called from a pool callback")
        if self._thread.ident is not None:  # else close() or terminate() did the work
            self._thread.join(timeout)

    # -- the thread ---------------------------------------------------------------------

    def _main(self) -> None:
        done = True
        try:
            done = self._loop()
        except BaseException as exc:  # noqa: BLE001
            traceback.print_exc()
            self._break(f"the pool's scheduler thread failed ({summary(exc)}); this is a bug "
                        "in processing: please report it with the traceback printed above")
            self._kill_workers()
        finally:
            if done:
                self._close_handles()

    def _loop(self) -> bool:
        """Run the pool until it has ended (True), or has been idle for a heartbeat (False:
        the thread exits, and the next call to the pool starts a new one)."""
        poll = self._poller.poll
        while True:
            # Announce the sleep before the last look at the inbox (see ``submit``).
            self._sleeping = True
            handlers = poll(0 if self._inbox else self._timeout())
            self._sleeping = False
            for handler in handlers:
                handler()
            if self._inbox:
                self._take_inbox()
            if self.state != RUN and self._finish():
                return True
            if self._timed:
                self._check_deadlines()
            if not handlers:
                self._check_alive()
                if self._idle_exit():
                    return False

    def _idle_exit(self) -> bool:
        """Whether the thread may end: nothing to do, and no call can give it work unseen.

        An idle pool without a thread lets the program (or another pool) fork without
        forking a multi-threaded process; a worker that dies meanwhile is seen (and
        replaced) by the next thread at once, its sentinel being ready.
        """
        if self.state != RUN or self._pending or any(w.held for w in self.workers):
            return False
        with self._lock:
            if self.state != RUN or self._inbox or self.jobs:
                return False
            self._thread_started = False
        return True

    def _timeout(self) -> float:
        if not self._timed:
            return _HEARTBEAT
        timeout, now = _HEARTBEAT, time.monotonic()
        for worker in self.workers:
            if worker.held and worker.held[0].timeout is not None:
                timeout = min(timeout, max(0.0, worker.since + worker.held[0].timeout - now))
        return timeout

    def _on_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        self._woken = False

    def _take_inbox(self) -> None:
        inbox, pending = self._inbox, self._pending
        while inbox:
            entry = inbox.popleft()
            if type(entry) is list:
                pending.extend(entry)
            else:
                pending.append(entry)
        self._dispatch()

    # -- sending tasks ------------------------------------------------------------------

    def _depth(self) -> int:
        """How many tasks a worker may hold: several when tasks are short, else one."""
        return _MAX_DEPTH if self._run_time < _SHORT_TASK else 1

    def _take(self) -> tuple[Task, list[bytes]] | None:
        """The next task to send, with its pickle (as buffers). A task that cannot be
        pickled fails here, and one whose job does not want it any more (a cancelled
        future) is dropped, so what is taken is always sent."""
        pending, dumps = self._pending, self._dumps
        while pending:
            head = pending[0]
            if type(head) is Task:
                task = pending.popleft()
            else:
                task = head.take()
                if task is None:
                    pending.popleft()
                    continue
            job = task.job
            if job.claims and not job.claim():
                continue
            try:
                return task, dumps(to_wire(task.call))
            except BaseException as exc:  # noqa: BLE001 - an unpicklable task fails alone
                job.deliver(task.index, False, _unpicklable_task(task.call, exc))
        return None

    def _has_room(self, worker: Worker, batch: _Batch, depth: int) -> bool:
        """Whether ``worker`` may be given one more task on top of ``batch``."""
        if worker.budget == 0 or len(worker.held) + len(batch.tasks) >= depth:
            return False
        return worker.outbox.pending + batch.size < _OUTBOX_LIMIT

    def _take_for(self, worker: Worker, batch: _Batch) -> bool:
        """Add the next pending task to ``batch`` for ``worker``, counted against its
        maxtasksperchild budget; False when nothing is pending."""
        taken = self._take()
        if taken is None:
            return False
        if worker.budget is not None:
            worker.budget -= 1
        batch.add(*taken)
        return True

    def _dispatch(self) -> None:
        """Give pending tasks to workers: every idle worker one first, then fill up."""
        if self.state not in (RUN, CLOSE) or not self._pending:
            return
        workers = [w for w in self.workers if w.lost is None]
        # An idle worker's first task goes at once; pickling the rest of a large map
        # before sending anything would leave every worker waiting.
        for depth in (1, self._depth()):
            batches = {worker: _Batch() for worker in workers}
            self._fill_levels(batches, depth)
            for worker, batch in batches.items():
                if batch.tasks:
                    self._send(worker, batch)
            if not self._pending:
                return

    def _fill_levels(self, batches: dict[Worker, _Batch], depth: int) -> None:
        for level in range(depth):
            for worker, batch in batches.items():
                if len(worker.held) + len(batch.tasks) > level or not self._has_room(
                        worker, batch, depth):
                    continue
                if not self._take_for(worker, batch):
                    return

    def _refill(self, worker: Worker) -> None:
        """After an outcome or a write: top the worker up once it is down to half its depth."""
        depth = self._depth()
        if len(worker.held) > depth // 2 or worker.lost is not None:
            return
        batch = _Batch()
        while self._has_room(worker, batch, depth) and self._take_for(worker, batch):
            pass
        if batch.tasks:
            self._send(worker, batch)

    def _send(self, worker: Worker, batch: _Batch) -> None:
        tasks = batch.tasks
        parts = batch_parts(batch.pickles)
        if worker.held and not worker.outbox.fits_busy(batch.size + 4 * len(tasks)):
            # Too big to send while the worker is busy: it goes when the worker is idle.
            self._pending.extendleft(reversed(tasks))
            if worker.budget is not None:
                worker.budget += len(tasks)
            return
        if not worker.held:
            worker.since = time.monotonic()
        worker.held.extend(tasks)
        self._timed += sum(task.timeout is not None for task in tasks)
        try:
            worker.outbox.send(parts, len(tasks))
        except OSError:
            self._lose(worker, "its connection to the pool broke")
            return
        self._write_rest(worker)

    def _write_rest(self, worker: Worker, flush: bool = False) -> None:
        """Write what ``worker``'s outbox still holds: now if the worker is reading, else
        as its connection becomes writable."""
        outbox = worker.outbox
        try:
            if flush:
                outbox.flush()
            if outbox.pending and outbox.unsent_tasks == len(worker.held):
                # The worker has answered every task it has received, so it is reading:
                # it takes a whole frame before it writes anything, and waiting for it to
                # take the rest cannot deadlock with its writing a result.
                outbox.flush(block=True)
        except OSError:
            self._poller.watch_writable(worker.conn, None)
            self._lose(worker, "its connection to the pool broke")
            return
        self._poller.watch_writable(
            worker.conn,
            functools.partial(self._on_writable, worker) if outbox.pending else None)

    def _on_writable(self, worker: Worker) -> None:
        """The rest of what ``worker`` was sent can be written (some of it, at least)."""
        if worker.conn.closed:
            return
        self._write_rest(worker, flush=True)
        if self._pending:
            self._refill(worker)

    # -- outcomes -----------------------------------------------------------------------

    def _on_result(self, worker: Worker) -> None:
        if worker.conn.closed:
            return  # its exit was handled earlier in the same round of events
        try:
            messages = worker.reader.read()
        except (EOFError, OSError):
            # The worker is usually exiting; its exit code makes the better error.
            self._poller.remove(worker.conn)
            worker.process.join(1.0)
            if worker.process.exitcode is not None:
                self._on_exit(worker)
            elif worker.held:
                self._lose(worker, "it closed its connection to the pool")
            return
        for data in messages:
            self._handle(worker, data)
        if worker.outbox.pending and not worker.conn.closed:
            self._write_rest(worker)
        if self._pending:
            self._refill(worker)

    def _handle(self, worker: Worker, data: bytes) -> None:
        """Deliver one message from ``worker``: the outcome of the first task it holds."""
        now = time.monotonic()
        try:
            outcome = outcome_from_wire(loads(data))
        except BaseException as exc:  # noqa: BLE001 - whatever stops unpickling, the task fails
            success, value = False, pickle.UnpicklingError(
                f"the result of the task could not be unpickled in the parent ({summary(exc)})")
            seconds = now - worker.since
        else:
            if type(outcome) is InitFailed:
                self._initializer_failed(outcome)
                return
            if type(outcome) is Done:
                success, value = True, outcome.value
            else:
                success, value = False, outcome.exception()
            seconds = outcome.seconds
        if not worker.held:
            return
        task = worker.held.popleft()
        self._run_time += (seconds - self._run_time) * 0.2
        worker.since = now
        if task.timeout is not None:
            self._timed -= 1
        task.job.deliver(task.index, success, value)

    def _initializer_failed(self, outcome: InitFailed) -> None:
        self._break(f"the pool's initializer {self._initializer!r} raised {outcome.summary} "
                    f"in a worker, so the pool cannot run tasks:\n{outcome.traceback.rstrip()}")

    # -- workers ending -----------------------------------------------------------------

    def _lose(self, worker: Worker, reason: str) -> None:
        """Stop using ``worker``: kill it; its exit reports the tasks it held."""
        if worker.lost is None:
            worker.lost = reason
        try:
            worker.process.kill()
        except (OSError, ValueError, AttributeError):
            pass

    def _on_exit(self, worker: Worker) -> None:
        """A worker ended: fail the task it was running, requeue the others, replace it."""
        conn = worker.conn
        if conn.closed:
            return
        if self._poller.watching(conn):
            try:
                while worker.held and conn.poll():
                    for data in worker.reader.read():
                        self._handle(worker, data)
            except (EOFError, OSError):
                pass
            self._poller.remove(conn)
        self._poller.remove(worker.sentinel)
        worker.process.join(1.0)
        exitcode = worker.process.exitcode
        conn.close()
        self.workers.remove(worker)
        if worker.held:
            self._fail_running(worker, exitcode)
        if exitcode is not None:
            worker.process.close()
        if self.state == RUN or (self.state == CLOSE and self._pending):
            try:
                self._adopt(*self.launcher.replace())
            except Exception as exc:  # noqa: BLE001 - a failed start breaks the pool
                self._break(f"the pool could not start a worker to replace one that ended "
                            f"({summary(exc)})")
                return
            self._dispatch()

    def _fail_running(self, worker: Worker, exitcode: int | None) -> None:
        """Fail the task ``worker`` was running when it ended; requeue those behind it."""
        task = worker.held.popleft()
        if task.timeout is not None:
            self._timed -= 1
        pid = worker.process.pid
        if task.timeout is not None and worker.lost and worker.lost.startswith("the task ran"):
            error: BaseException = TimeoutError(
                f"the worker (pid {pid}) running this task was killed: {worker.lost}")
        else:
            what = (f"ended: {worker.lost}" if worker.lost is not None
                    else f"died {describe_exit(exitcode)}")
            error = WorkerLostError(f"the worker process (pid {pid}) running this task {what}; "
                                    "the pool has replaced it", exitcode, pid)
        task.job.deliver(task.index, False, error)
        self._timed -= sum(other.timeout is not None for other in worker.held)
        self._pending.extendleft(reversed(worker.held))
        worker.held.clear()

    def _check_deadlines(self) -> None:
        now = time.monotonic()
        for worker in self.workers:
            if worker.held and worker.lost is None:
                limit = worker.held[0].timeout
                if limit is not None and now - worker.since >= limit:
                    self._lose(worker, f"the task ran longer than its timeout of {limit} s")

    def _check_alive(self) -> None:
        """A safety net: a worker whose sentinel is held open by another process still ends."""
        for worker in list(self.workers):
            if worker.held and worker.process.exitcode is not None:
                self._on_exit(worker)

    def _adopt(self, process: Any, conn: Any) -> None:
        worker = Worker(process, conn, self._maxtasks)
        self.workers.append(worker)
        self._poller.add(conn, functools.partial(self._on_result, worker))
        self._poller.add(worker.sentinel, functools.partial(self._on_exit, worker))

    # -- the pool ending ----------------------------------------------------------------

    def _break(self, reason: str) -> None:
        """Fail every task that has not finished and refuse new ones, with ``reason``."""
        with self._lock:
            self._broken = reason
            self.state = BROKEN
        self._abort_all(lambda: BrokenPoolError(reason))

    def _abort_all(self, make_error: Callable[[], BaseException]) -> None:
        # The state is no longer RUN, so nothing is submitted any more: no lock is needed
        # (and none is held here, where a collection could run a pool's finalizer).
        self._inbox.clear()
        jobs = list(self.jobs.values())
        self._pending.clear()
        for worker in self.workers:
            worker.held.clear()
        self._timed = 0
        for job in jobs:
            job.abort(make_error())

    def _finish(self) -> bool:
        """Closing or terminating: whether the thread's work is done."""
        if self.state == CLOSE:
            if self._inbox:
                self._take_inbox()
            if self._pending or any(w.held for w in self.workers):
                return False
            if not self._stopping:
                self._stopping = True
                for worker in self.workers:
                    try:
                        worker.outbox.send([STOP])
                    except OSError:
                        continue
                    self._write_rest(worker)
            return not self.workers
        if self.state == TERMINATE:
            self._abort_all(lambda: ProcessError("the pool was terminated before this task "
                                                 "finished"))
        self._kill_workers()
        return True

    def _kill_workers(self) -> None:
        stop_workers(self.workers)
        self.workers.clear()

    def _close_handles(self) -> None:
        self._poller.close()
        for worker in self.workers:
            worker.conn.close()
        self._wake_r.close()
        self._wake_w.close()
        self.launcher.close()


def _unpicklable_task(call: Call, exc: BaseException) -> BaseException:
    func = call.func
    name = getattr(func, "__qualname__", None) or repr(func)
    # Also of the type pickling raised, as the stdlib lets it through: `except RuntimeError`
    # (or TypeError, AttributeError) written for multiprocessing still catches it.
    error = pickling_error(
        exc,
        f"cannot send the task to a worker: {name} or its arguments cannot be pickled "
        f"({summary(exc)}). A pool sends tasks by pickling them, so the function must be "
        "defined at module level (not a lambda or a nested function) and its arguments "
        "must be picklable"
    )
    error.__cause__ = exc
    return error
