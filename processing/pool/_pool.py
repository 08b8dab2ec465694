"""``Pool``: the public face of a pool; the work is done by its scheduler (``_scheduler``)."""

from __future__ import annotations

import itertools
import os
import types
import weakref
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Callable

from processing._backend import forktemplate as _forktemplate
from processing.pool._jobs import ApplyJob, IMapJob, IMapSource, Job, MapJob
from processing.pool._messages import Apply, Map, Starmap, Task
from processing.pool._results import ApplyResult, IMapIterator, IMapUnorderedIterator, MapResult
from processing.pool._scheduler import RUN, Scheduler

__all__ = ["Pool"]


def _chunks(iterable: Iterable[Any], size: int) -> Iterator[list]:
    it = iter(iterable)
    while True:
        chunk = list(itertools.islice(it, size))
        if not chunk:
            return
        yield chunk


class Pool:
    """A pool of worker processes that run tasks for this process, and never hang.

    ``processes`` workers (default: the number of CPUs) each run ``initializer(*initargs)``
    first; with ``maxtasksperchild`` a worker is replaced after that many tasks.
    """

    def __init__(self, processes: int | None = None,
                 initializer: Callable[..., object] | None = None, initargs: Iterable[Any] = (),
                 maxtasksperchild: int | None = None, context: Any = None) -> None:
        if processes is None:
            processes = os.cpu_count() or 1
        if not isinstance(processes, int) or processes < 1:
            raise ValueError(f"processes must be a positive integer, not {processes!r}")
        if initializer is not None and not callable(initializer):
            raise TypeError(f"initializer must be callable, not {initializer!r}")
        if maxtasksperchild is not None and (
            not isinstance(maxtasksperchild, int) or maxtasksperchild < 1
        ):
            raise ValueError(
                f"maxtasksperchild must be a positive integer or None, not {maxtasksperchild!r}"
            )
        if context is None:
            from processing._defaultctx import default_context

            context = default_context
        # Workers start through ``context.Process`` (via ``Pool.Process``), looked up at each
        # start: code that substitutes the context's Process is honoured, as by the stdlib.
        self._ctx = context
        factory = type(self).Process
        self._core = Scheduler(context, factory, processes, initializer, tuple(initargs),
                           maxtasksperchild,
                           _forktemplate.available(context, factory, Pool.Process))
        # When the pool is garbage collected, terminate() is called at once (processing
        # 0.52). Results hold the pool, but the scheduler holds only their jobs (``_jobs``).
        self._finalizer = weakref.finalize(self, self._core.terminate)

    @staticmethod
    def Process(ctx: Any, *args: Any, **kwds: Any) -> Any:
        """Make a worker process object; a subclass may override this, as with the stdlib's."""
        return ctx.Process(*args, **kwds)

    @property
    def _processes(self) -> int:
        return self._core.processes

    @property
    def _pool(self) -> list[Any]:
        """The worker processes now (read-only), like the stdlib's ``Pool._pool``."""
        return [worker.process for worker in list(self._core.workers)]

    @property
    def _cache(self) -> Mapping[int, Any]:
        """The unfinished jobs by id (a read-only live view), like the stdlib's
        ``Pool._cache``: empty once every submitted result is in."""
        return types.MappingProxyType(self._core.jobs)

    # -- submitting work ----------------------------------------------------------------

    def apply(self, func: Callable[..., Any], args: Iterable[Any] = (),
              kwds: Mapping[str, Any] | None = None, *, timeout: float | None = None) -> Any:
        """Run ``func(*args, **kwds)`` in a worker and return its result."""
        return self.applyAsync(func, args, kwds, timeout=timeout).get()

    def applyAsync(self, func: Callable[..., Any], args: Iterable[Any] = (),
                   kwds: Mapping[str, Any] | None = None,
                   callback: Callable[[Any], object] | None = None,
                   error_callback: Callable[[BaseException], object] | None = None, *,
                   timeout: float | None = None) -> ApplyResult:
        """Start ``func(*args, **kwds)`` in a worker; ``timeout`` (seconds) bounds its run."""
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        job = ApplyJob(self._core.jobs, callback, error_callback)
        self._core.submit(job, Task(job, 0, timeout, Apply(func, tuple(args), dict(kwds or {}))))
        return ApplyResult(job, self)

    def map(self, func: Callable[[Any], Any], iterable: Iterable[Any],
            chunksize: int | None = None) -> list[Any]:
        """``list(map(func, iterable))``, computed by the workers in chunks."""
        return self._map_async(Map, func, iterable, chunksize, None, None).get()

    def mapAsync(self, func: Callable[[Any], Any], iterable: Iterable[Any],
                 chunksize: int | None = None, callback: Callable[[Any], object] | None = None,
                 error_callback: Callable[[BaseException], object] | None = None) -> MapResult:
        """Start ``map()``; the result object's ``get()`` returns the list."""
        return self._map_async(Map, func, iterable, chunksize, callback, error_callback)

    def starmap(self, func: Callable[..., Any], iterable: Iterable[Iterable[Any]],
                chunksize: int | None = None) -> list[Any]:
        """Like ``map()``, but each item is a tuple of arguments: ``func(*item)``."""
        return self._map_async(Starmap, func, iterable, chunksize, None, None).get()

    def starmapAsync(self, func: Callable[..., Any], iterable: Iterable[Iterable[Any]],
                     chunksize: int | None = None,
                     callback: Callable[[Any], object] | None = None,
                     error_callback: Callable[[BaseException], object] | None = None
                     ) -> MapResult:
        """Start ``starmap()``; the result object's ``get()`` returns the list."""
        return self._map_async(Starmap, func, iterable, chunksize, callback, error_callback)

    def imap(self, func: Callable[[Any], Any], iterable: Iterable[Any],
             chunksize: int = 1) -> IMapIterator:
        """An iterator of ``func(item)`` in input order; the iterable is read as needed."""
        return self._imap(True, func, iterable, chunksize)

    def imapUnordered(self, func: Callable[[Any], Any], iterable: Iterable[Any],
                      chunksize: int = 1) -> IMapIterator:
        """Like ``imap()``, but results come in the order they finish."""
        return self._imap(False, func, iterable, chunksize)

    def _map_async(self, kind: type[Map | Starmap], func: Any, iterable: Iterable[Any], chunksize: int | None,
                   callback: Any, error_callback: Any) -> MapResult:
        items = iterable if isinstance(iterable, list) else list(iterable)
        if chunksize is None:
            chunksize, extra = divmod(len(items), self._core.processes * 4)
            chunksize = max(1, chunksize + bool(extra))
        _check_chunksize(chunksize)
        job = MapJob(self._core.jobs, len(items), chunksize, callback, error_callback)
        if not items:
            return MapResult(job, None)
        self._core.submit(job, [
            Task(job, index, None, kind(func, items[start : start + chunksize]))
            for index, start in enumerate(range(0, len(items), chunksize))
        ])
        return MapResult(job, self)

    def _imap(self, ordered: bool, func: Any, iterable: Iterable[Any],
              chunksize: int) -> IMapIterator:
        _check_chunksize(chunksize)
        job = IMapJob(self._core.jobs, ordered)
        self._core.submit(job, IMapSource(job, _chunks(iterable, chunksize), func))
        return (IMapIterator if ordered else IMapUnorderedIterator)(job, self)

    def _submit_job(self, job: Job, func: Any, args: tuple, kwds: dict) -> None:
        """Run ``func(*args, **kwds)`` for ``job`` (the executor's way in)."""
        self._core.submit(job, Task(job, 0, None, Apply(func, args, kwds)))

    # -- ending ---------------------------------------------------------------------------

    def close(self) -> None:
        """Accept no more tasks; the workers exit once the queued ones are done."""
        self._core.close()

    def terminate(self) -> None:
        """Stop the workers now; tasks not finished fail with ``ProcessError``."""
        self._core.terminate()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the workers to exit, after ``close()`` or ``terminate()``."""
        self._core.join(timeout)

    def __enter__(self) -> Pool:  # noqa: PYI034 (Self needs 3.11)
        if self._core.state != RUN:
            raise ValueError("the pool is not running")
        return self

    def __exit__(self, *exc: object) -> None:
        self.terminate()

    def __reduce__(self) -> Any:
        raise NotImplementedError(
            "a pool cannot be pickled or sent to another process: use it only in the "
            "process that created it"
        )

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} processes={self._core.processes} "
                f"state={self._core.state} start_method={self._ctx.get_start_method()!r}>")

    # -- the stdlib spellings -------------------------------------------------------------

    apply_async = applyAsync
    map_async = mapAsync
    starmap_async = starmapAsync
    imap_unordered = imapUnordered


def _check_chunksize(chunksize: Any) -> None:
    if not isinstance(chunksize, int) or chunksize < 1:
        raise ValueError(f"chunksize must be a positive integer, not {chunksize!r}")


Pool.__module__ = "processing.pool"
