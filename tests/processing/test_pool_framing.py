"""Pool's framing (``processing.pool._framing``), as properties over the sizes where it splits.

The scheduler reads every waiting outcome in one ``os.read`` of up to 64 KiB and splits the
frames itself (``FrameReader``); tasks go to a worker in batches of length-prefixed pickles
(``batch_parts``/``split_batch``), written without blocking (``Outbox``): what the connection
does not take now is written when it is writable. Payload sizes are drawn around the frame
header, the read size, the size from which a frame is written from its parts (``writev``)
and the socket buffer.
"""

from __future__ import annotations

import itertools
import os
import pickle
import select
import sys
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from processing import _wire
from processing.connection import Pipe
from processing.pool._framing import (
    FrameReader,
    Outbox,
    PartsDumper,
    batch_parts,
    split_batch,
)

pytestmark = pytest.mark.timeout(120)

_READ = 65536
_EDGES = [0, 1, 3, 4, 5, 8, 12, _READ - 12, _READ - 5, _READ - 4, _READ - 1, _READ, _READ + 1,
          _READ + 4, 2 * _READ - 4, 2 * _READ + 3, 4 * _READ - 1, 4 * _READ, 4 * _READ + 1,
          300_000, 1 << 20]
SIZES = st.one_of(st.sampled_from(_EDGES), st.integers(0, 64), st.integers(0, 5 * _READ))
posix_only = pytest.mark.skipif(sys.platform == "win32",
                                reason="Windows reads and writes one whole message at a time")


def _payload(index: int, size: int) -> bytes:
    return (bytes((index + i) % 251 for i in range(min(size, 512))) * (size // 512 + 1))[:size]


@posix_only
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sizes=st.lists(SIZES, min_size=1, max_size=12))
def test_reader_splits_every_frame_exactly(sizes):
    payloads = [_payload(i, size) for i, size in enumerate(sizes)]
    reader, writer = Pipe(duplex=True)
    frames = FrameReader(reader)

    def write():
        for payload in payloads:
            writer.send_bytes(payload)

    thread = threading.Thread(target=write)
    thread.start()
    got: list[bytes] = []
    try:
        while len(got) < len(payloads):
            assert reader.poll(10), f"stuck after {len(got)} of {len(payloads)} messages"
            got.extend(bytes(message) for message in frames.read())
    finally:
        thread.join(10)
        reader.close()
        writer.close()
    assert got == payloads
    assert not frames.partial


@posix_only
def test_reader_reports_the_end_of_the_connection():
    reader, writer = Pipe(duplex=True)
    writer.close()
    with pytest.raises(EOFError):
        FrameReader(reader).read()
    reader.close()


@settings(max_examples=200, deadline=None)
@given(sizes=st.lists(SIZES, min_size=1, max_size=8))
def test_split_batch_returns_each_pickle_of_a_batch(sizes):
    payloads = [_payload(i, size) for i, size in enumerate(sizes)]
    batch = b"".join(batch_parts([[p] for p in payloads]))
    assert [bytes(view) for view in split_batch(batch)] == payloads


@settings(max_examples=150, deadline=None)
@given(sizes=st.lists(SIZES, min_size=0, max_size=6), mutable=st.booleans())
def test_parts_dumper_pickles_as_dumper_keeping_large_bytes_as_they_are(sizes, mutable):
    items = [_payload(i, size) for i, size in enumerate(sizes)]
    obj = (1, [bytearray(item) for item in items] if mutable else items, {"k": "v"})
    parts = PartsDumper()(obj)
    assert all(type(part) is bytes for part in parts)
    assert b"".join(parts) == _wire.dumps(obj)
    assert pickle.loads(b"".join(parts)) == obj
    kept = {id(part) for part in parts}
    for item in obj[1]:
        # A large bytes object goes out as itself; a mutable buffer is copied.
        assert (id(item) in kept) == (not mutable and len(item) >= _READ)


@posix_only
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=st.lists(st.lists(SIZES, min_size=1, max_size=4), min_size=1, max_size=6))
def test_outbox_frames_arrive_whole_and_in_order_however_the_writes_split(batches):
    """Frames sent while the reader does not read are kept and written as it drains them;
    the far end reads each with ``recv_bytes()``, as a worker does."""
    payloads = [[_payload(i + j, size) for j, size in enumerate(batch)]
                for i, batch in enumerate(batches)]
    ours, theirs = Pipe(duplex=True)
    outbox = Outbox(ours)
    received: list[bytes] = []

    def read():
        for _ in payloads:
            received.append(theirs.recv_bytes())

    try:
        for batch in payloads:
            outbox.send(batch_parts([[p] for p in batch]), len(batch))
        # The frames still (partly) in the outbox carry the tasks it counts as unsent.
        ends = list(itertools.accumulate(4 + sum(map(len, batch_parts([[p] for p in batch])))
                                         for batch in payloads))
        written = ends[-1] - outbox.pending
        assert outbox.unsent_tasks == sum(
            len(batch) for end, batch in zip(ends, payloads) if end > written)
        thread = threading.Thread(target=read)
        thread.start()
        while not outbox.flush():
            assert select.select([], [ours.fileno()], [], 10)[1], "the reader stopped reading"
        thread.join(30)
        assert outbox.pending == 0 and outbox.unsent_tasks == 0
        assert received == [b"".join(batch_parts([[p] for p in batch])) for batch in payloads]
    finally:
        ours.close()
        theirs.close()


@posix_only
def test_outbox_never_blocks_on_a_reader_that_does_not_read():
    ours, theirs = Pipe(duplex=True)
    outbox = Outbox(ours)
    try:
        # Far more than any socket buffer: send() returns at once, keeping the rest.
        assert outbox.send([bytes(16 << 20)]) is False
        assert 0 < outbox.pending <= (16 << 20) + 4
        assert outbox.flush() is False
    finally:
        ours.close()
        theirs.close()


@posix_only
@pytest.mark.parametrize("size", [0, 100, 300_000, 8 << 20])
def test_a_blocking_flush_writes_everything_to_a_reader_and_stays_non_blocking(size):
    ours, theirs = Pipe(duplex=True)
    outbox = Outbox(ours)
    payload = _payload(7, size)
    thread = threading.Thread(target=lambda: received.append(theirs.recv_bytes()))
    received: list[bytes] = []
    thread.start()
    try:
        outbox.send([payload], 1)
        assert outbox.flush(block=True)
        thread.join(30)
        assert received == [payload]
        assert outbox.pending == 0 and outbox.unsent_tasks == 0
        assert not os.get_blocking(ours.fileno())
    finally:
        ours.close()
        theirs.close()


@posix_only
@pytest.mark.parametrize("size", [10, 300_000, 4 << 20])
def test_a_blocking_flush_stops_at_the_end_of_the_frame_being_read(size):
    """A worker reads one frame, then writes its results before it reads the next: a
    blocking flush that went on into the next frame would wait for it forever."""
    ours, theirs = Pipe(duplex=True)
    outbox = Outbox(ours)
    first, second, answer = _payload(1, size), _payload(2, size), bytes(8 << 20)
    received: list[bytes] = []

    def worker():
        received.append(theirs.recv_bytes())
        theirs.send_bytes(answer)
        received.append(theirs.recv_bytes())

    thread = threading.Thread(target=worker, daemon=True)
    try:
        outbox.send([first], 1)
        outbox.send([second], 1)
        thread.start()
        # As the scheduler does: block only while the worker has every task it was sent
        # still to receive (here: both frames not wholly written, so it reads the first).
        if outbox.unsent_tasks == 2:
            outbox.flush(block=True)
            assert outbox.unsent_tasks == 1
        frames, answers = FrameReader(ours), []
        while not answers:  # read as the scheduler does: the connection is non-blocking
            assert ours.poll(30), "the worker did not answer"
            answers.extend(frames.read())
        assert answers == [answer]
        while not outbox.flush():
            assert select.select([], [ours.fileno()], [], 10)[1], "the reader stopped reading"
        thread.join(30)
        assert received == [first, second]
    finally:
        ours.close()
        theirs.close()


@posix_only
def test_outbox_reports_a_broken_connection():
    ours, theirs = Pipe(duplex=True)
    outbox = Outbox(ours)
    theirs.close()
    with pytest.raises(OSError):
        outbox.send([b"x" * 100])
        outbox.send([b"x" * (1 << 20)])
    ours.close()


def identity(x):
    return x


def big_result(data):
    return data * 4


@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sizes=st.lists(SIZES, min_size=1, max_size=10))
def test_tasks_and_results_of_every_size_arrive_whole(pool, sizes):
    payloads = [_payload(i, size) for i, size in enumerate(sizes)]
    results = [pool.applyAsync(identity, (p,)) for p in payloads]
    assert [r.get(60) for r in results] == payloads
    assert list(pool.imap(identity, payloads)) == payloads
    assert pool.map(identity, payloads, chunksize=3) == payloads


def test_large_tasks_to_a_worker_busy_sending_large_results_do_not_deadlock(pool):
    """The scheduler writes tasks to a worker while that worker is blocked writing results
    that do not fit in the socket: neither may wait for the other."""
    data = [os.urandom(1 << 20) for _ in range(12)]
    results = [pool.applyAsync(big_result, (d,)) for d in data]
    assert [r.get(60) for r in results] == [d * 4 for d in data]
    assert pool.map(big_result, data, chunksize=2) == [d * 4 for d in data]
