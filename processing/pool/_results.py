"""What ``Pool``'s asynchronous methods return: handles on a job (see ``_jobs``)."""

from __future__ import annotations

from multiprocessing import TimeoutError
from typing import TYPE_CHECKING, Any

from processing.pool._errors import ResultNotReadyError

if TYPE_CHECKING:
    from processing.pool._jobs import ApplyJob, IMapJob
    from processing.pool._pool import Pool

__all__ = ["ApplyResult", "AsyncResult", "IMapIterator", "IMapUnorderedIterator", "MapResult"]


class ApplyResult:
    """The result of ``applyAsync()``: ``get()`` it, ``wait()`` for it, or poll ``ready()``."""

    __slots__ = ("_job", "_pool")

    def __init__(self, job: ApplyJob, pool: Pool | None) -> None:
        self._job = job
        self._pool = pool  # kept alive until the result is in

    def ready(self) -> bool:
        """Whether the task has finished (successfully or not)."""
        return self._job.event.is_set()

    def successful(self) -> bool:
        """Whether the task finished without raising; ``ResultNotReadyError`` (both a
        ``ValueError`` and an ``AssertionError``) if it has not finished."""
        if not self._job.event.is_set():
            raise ResultNotReadyError(
                f"{self!r} is not ready: call successful() after wait() or get()")
        return bool(self._job.success)

    def wait(self, timeout: float | None = None) -> None:
        """Wait until the result is ready, or ``timeout`` seconds have passed."""
        if self._job.event.wait(timeout):
            self._pool = None

    def get(self, timeout: float | None = None) -> Any:
        """The result; re-raises the task's exception; ``TimeoutError`` after ``timeout``."""
        job = self._job
        if not job.event.wait(timeout):
            raise TimeoutError(f"the result was not ready within {timeout} seconds")
        self._pool = None
        if job.success:
            return job.value
        raise job.value

    def __repr__(self) -> str:
        job = self._job
        state = "pending" if not job.event.is_set() else ("ok" if job.success else "failed")
        return f"<{type(self).__name__} {state}>"


AsyncResult = ApplyResult


class MapResult(ApplyResult):
    """The result of ``mapAsync()``: the list of results, in the order of the input."""

    __slots__ = ()


class IMapIterator:
    """The iterator of ``imap()``: results in input order; ``next(timeout)`` waits at most so long."""

    __slots__ = ("_job", "_pool")

    def __init__(self, job: IMapJob, pool: Pool | None) -> None:
        self._job = job
        self._pool = pool  # kept alive until every result is in

    def __iter__(self) -> IMapIterator:
        return self

    def next(self, timeout: float | None = None) -> Any:
        """The next result; raises the task's exception for a failed one."""
        try:
            return self._job.next(timeout)
        except StopIteration:
            self._pool = None
            raise

    __next__ = next

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {'done' if self._job.finished() else 'pending'}>"


class IMapUnorderedIterator(IMapIterator):
    """The iterator of ``imapUnordered()``: results in the order they finish."""

    __slots__ = ()


for _cls in (ApplyResult, MapResult, IMapIterator, IMapUnorderedIterator):
    _cls.__module__ = "processing.pool"
del _cls
