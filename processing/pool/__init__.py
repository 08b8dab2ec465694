"""A pool of worker processes that never hangs: ``Pool`` and its result objects.

Each worker has a connection of its own, and one scheduler thread in the parent sends tasks
to the workers and reads their outcomes. So the parent always knows which tasks a worker
holds: when a worker dies (a signal, ``os._exit``, a crash), when a result or exception
cannot be pickled or unpickled, or when a task overruns its timeout, exactly that task fails
with an error that says what happened, and the dead worker is replaced. Workers watch their
parent and exit as soon as it is gone. A fork pool forks its replacements from a template
process (``processing._backend.forktemplate``), never from the parent once the scheduler runs.

The modules, from the caller to the worker:

- ``_pool``: ``Pool``, the public face;
- ``_results``: what its asynchronous methods return (``ApplyResult``, ``MapResult``,
  ``IMapIterator`` ...), handles on
- ``_jobs``: what the scheduler knows of each submitted call, and fills in;
- ``_scheduler``: the pool's state and its thread in the parent: dispatch, outcomes, deaths;
- ``_poller``: what that thread waits on;
- ``_workers``: the workers as the scheduler sees them, and their starts and ends;
- ``_messages``: the named messages between scheduler and worker;
- ``_framing``: how those messages travel (pickles, frames, non-blocking writes);
- ``_worker``: a worker's life, in the worker process;
- ``_errors``: the exceptions a pool raises.
"""

from __future__ import annotations

from processing.pool._errors import (
    BrokenPoolError,
    MaybeEncodingError,
    RemoteTraceback,
    ResultNotReadyError,
    WorkerLostError,
)
from processing.pool._pool import Pool
from processing.pool._results import (
    ApplyResult,
    AsyncResult,
    IMapIterator,
    IMapUnorderedIterator,
    MapResult,
)
from processing.pool._scheduler import CLOSE, RUN, TERMINATE

__all__ = [
    "CLOSE",
    "RUN",
    "TERMINATE",
    "ApplyResult",
    "AsyncResult",
    "BrokenPoolError",
    "IMapIterator",
    "IMapUnorderedIterator",
    "MapResult",
    "MaybeEncodingError",
    "Pool",
    "RemoteTraceback",
    "ResultNotReadyError",
    "WorkerLostError",
]
