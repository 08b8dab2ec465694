"""Stateful property tests of the queues (hypothesis): random interleavings of ``put``,
``putMany``, ``get`` and ``getMany`` with object sizes drawn around every boundary of the
wire (frame header, batch head, ``PIPE_BUF``, the 64 KiB read buffer, batch and pipe, the
feeder's write size, big frames), in one process and with producers and consumers in
other processes. Invariant: every object arrives exactly once, in order per producer.

``SimpleQueue`` is the stdlib's (no read buffer, no batches): it does not share this path.
"""

from __future__ import annotations

import collections
import pickle
import select
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import processing
from processing import Empty, _wire
from processing import queues as wire

TIMEOUT = 60  # generous: a loaded machine can starve the feeder thread for seconds

#: A wire with a 512-byte read buffer (``SmallWire``): a 64 KiB buffer puts its edges
#: where a test rarely lands (a batch frame whose head is cut by the end of a read took
#: thousands of objects to meet); a small one meets every edge in a few puts.
SMALL_BUFFER = 512
#: Pickled sizes at which the wire changes behaviour; objects are drawn within a few bytes.
BOUNDARIES = sorted({
    0, wire._HEADER.size, wire._BATCH_HEAD, getattr(select, "PIPE_BUF", 4096),
    wire._MAX_FRAME, wire._BUFFER_BYTES, wire._WRITE_BYTES, 2 * wire._BUFFER_BYTES,
    4 * wire._BUFFER_BYTES, SMALL_BUFFER - wire._HEADER.size, SMALL_BUFFER, 2 * SMALL_BUFFER,
})
_PICKLE_OVERHEAD = len(pickle.dumps(("p", 0, b"")))


def _sizes() -> st.SearchStrategy[int]:
    """Payload lengths whose pickles (a small tuple around them) land near a boundary."""
    near = st.sampled_from(BOUNDARIES).flatmap(
        lambda b: st.integers(max(0, b - _PICKLE_OVERHEAD - 12),
                              max(0, b - _PICKLE_OVERHEAD + 12)))
    return st.one_of(near, st.integers(0, 300))


def _batches() -> st.SearchStrategy[list[int]]:
    """putMany lists: runs of equal small objects (thousands: each 64 KiB batch frame ends
    at another offset, so some end within a few bytes of the limit), mixed small objects,
    or a few of any size."""
    runs = st.tuples(st.integers(0, 48), st.integers(100, 4000)).map(lambda t: [t[0]] * t[1])
    return st.one_of(runs, st.lists(st.integers(0, 2000), min_size=1, max_size=120),
                     st.lists(_sizes(), min_size=1, max_size=6))


def _item(producer: str, seq: int, size: int) -> Any:
    """Object ``seq`` of ``producer``: a tuple, or for one size in three a bytes object (big
    ones go out from their own bytes, see ``_wire.bytes_frame``)."""
    data = bytes([seq % 251]) * max(0, size)
    if size % 3 == 0:
        return f"{producer}:{seq}:".encode() + data
    return (producer, seq, data)


def _fields(item: Any) -> tuple:
    if type(item) is bytes:
        producer, seq, data = item.split(b":", 2)
        return producer.decode(), int(seq), data
    return item


class _QueueModel(RuleBasedStateMachine):
    """What was put, per producer, not yet got; subclasses say who puts and gets."""

    kind = "Queue"

    def __init__(self) -> None:
        super().__init__()
        self.q = getattr(processing.getContext("fork"), self.kind)()
        self.waiting: dict[str, collections.deque] = collections.defaultdict(collections.deque)
        self.seq: collections.Counter = collections.Counter()

    def _new(self, producer: str, sizes: list[int]) -> list[tuple]:
        items = []
        for size in sizes:
            items.append(_item(producer, self.seq[producer], size))
            self.seq[producer] += 1
        return items

    def _expect(self, items: list[Any]) -> None:
        for producer, seq, data in map(_fields, items):
            assert self.waiting[producer], f"got {producer}#{seq}, which nobody put"
            want = _fields(self.waiting[producer].popleft())
            assert (producer, seq) == want[:2], f"got {producer}#{seq}, expected #{want[1]}"
            assert data == want[2], f"{producer}#{seq} arrived damaged"

    def _pending(self) -> int:
        return sum(len(d) for d in self.waiting.values())

    def _get_many(self, limit: int) -> None:
        """Take ``min(limit, pending)`` objects with getMany calls of at most ``limit``
        (each returns what is there, at least one): the model's state after the rule then
        does not depend on timing, as hypothesis needs for its preconditions."""
        want = min(limit, self._pending())
        got: list = []
        while len(got) < want:
            part = self.q.getMany(min(limit, want - len(got)), timeout=TIMEOUT)
            assert 1 <= len(part) <= min(limit, want - len(got))
            got += part
        self._expect(got)

    def _drain(self) -> None:
        while self._pending():
            self._expect(self.q.getMany(64, timeout=TIMEOUT))
        with pytest.raises(Empty):
            self.q.get(timeout=0.01)

    def teardown(self) -> None:
        try:
            self._drain()
        except BaseException:
            self.q.cancel_join_thread()  # what is left unread must not hold the test
            raise
        finally:
            self.q.close()
            self.q.join_thread()


class OneProcess(_QueueModel):
    """Everything in one process: the feeder thread writes while the test reads."""

    @rule(size=_sizes())
    def put(self, size):
        (item,) = self._new("main", [size])
        self.waiting["main"].append(item)
        self.q.put(item)

    @rule(sizes=_batches())
    def put_many(self, sizes):
        items = self._new("main", sizes)
        self.waiting["main"].extend(items)
        self.q.putMany(items)

    @precondition(lambda self: self._pending())
    @rule()
    def get(self):
        self._expect([self.q.get(timeout=TIMEOUT)])

    @precondition(lambda self: self._pending())
    @rule(limit=st.integers(1, 300))
    def get_many(self, limit):
        self._get_many(limit)

    @precondition(lambda self: not self._pending())
    @rule()
    def get_from_empty(self):
        with pytest.raises(Empty):
            self.q.get(timeout=0.01)
        with pytest.raises(Empty):
            self.q.getMany(5, block=False)

    @invariant()
    def counted(self):
        if self.kind != "Queue" or not hasattr(self, "q"):
            return
        assert self.q.qsize() == self._pending()


class OneProcessSmallWire(OneProcess):
    """The same, with the wire's limits shrunk so that every put meets one of its edges."""

    def __init__(self) -> None:
        self._saved = {name: getattr(wire, name)
                       for name in ("_BUFFER_BYTES", "_MAX_FRAME", "_WRITE_BYTES", "_TRY_EVERY")}
        self._direct = _wire.DIRECT_BYTES
        _wire.DIRECT_BYTES = SMALL_BUFFER // 2
        wire._BUFFER_BYTES = SMALL_BUFFER
        wire._MAX_FRAME = SMALL_BUFFER - wire._HEADER.size
        wire._WRITE_BYTES = SMALL_BUFFER // 2
        wire._TRY_EVERY = SMALL_BUFFER // 4
        super().__init__()

    def teardown(self) -> None:
        try:
            super().teardown()
        finally:
            for name, value in self._saved.items():
                setattr(wire, name, value)
            _wire.DIRECT_BYTES = self._direct


class OneProcessBuffered(OneProcess):
    kind = "BufferedQueue"


class OneProcessJoinable(OneProcess):
    kind = "JoinableQueue"


def _produce(q, items, many):
    if many:
        q.putMany(items)
    else:
        for item in items:
            q.put(item)


def _consume(q, count, limit, out):
    got = []
    while len(got) < count:
        got += q.getMany(min(limit, count - len(got)), timeout=TIMEOUT)
    out.send(got)


class SeveralProcesses(_QueueModel):
    """Producers in child processes beside the main one, consumers in a child or here."""

    def __init__(self) -> None:
        super().__init__()
        self.producers: list = []

    @initialize(kind=st.sampled_from(["Queue", "BufferedQueue", "JoinableQueue"]))
    def choose(self, kind):
        self.q = getattr(processing.getContext("fork"), kind)()

    @rule(sizes=_batches(), many=st.booleans())
    def child_puts(self, sizes, many):
        name = f"child{len(self.producers)}"
        items = self._new(name, sizes)
        self.waiting[name].extend(items)
        p = processing.getContext("fork").Process(target=_produce, args=(self.q, items, many))
        p.start()
        self.producers.append(p)

    @rule(sizes=_batches(), many=st.booleans())
    def main_puts(self, sizes, many):
        items = self._new("main", sizes)
        self.waiting["main"].extend(items)
        _produce(self.q, items, many)

    @precondition(lambda self: self._pending())
    @rule(share=st.floats(0.1, 1.0), limit=st.integers(1, 200))
    def child_gets(self, share, limit):
        count = max(1, int(self._pending() * share))
        ctx = processing.getContext("fork")
        theirs, ours = ctx.Pipe(duplex=False)
        p = ctx.Process(target=_consume, args=(self.q, count, limit, ours))
        p.start()
        ours.close()
        assert theirs.poll(3 * TIMEOUT), "the consuming child got nothing in time"
        self._expect(theirs.recv())
        p.join(TIMEOUT)
        assert p.exitcode == 0

    @precondition(lambda self: self._pending())
    @rule(limit=st.integers(1, 300))
    def main_gets(self, limit):
        self._get_many(limit)

    def teardown(self) -> None:
        try:
            self._drain()
            for p in self.producers:
                p.join(TIMEOUT)
                assert p.exitcode == 0
        finally:
            for p in self.producers:
                if p.is_alive():
                    p.kill()
                    p.join(TIMEOUT)
            super().teardown()


_QUICK = settings(max_examples=25, stateful_step_count=20, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

TestOneProcess = OneProcess.TestCase
TestOneProcess.settings = _QUICK
TestOneProcessSmallWire = OneProcessSmallWire.TestCase
TestOneProcessSmallWire.settings = _QUICK
TestOneProcessBuffered = OneProcessBuffered.TestCase
TestOneProcessBuffered.settings = _QUICK
TestOneProcessJoinable = OneProcessJoinable.TestCase
TestOneProcessJoinable.settings = _QUICK
TestSeveralProcesses = SeveralProcesses.TestCase
TestSeveralProcesses.settings = settings(_QUICK, max_examples=12, stateful_step_count=12)
