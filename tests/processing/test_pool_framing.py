"""Pool's fast paths, as properties over the sizes where they split.

The manager reads every waiting result in one ``os.read`` of up to 64 KiB and splits the
frames itself (``_Worker.receive``); tasks go to a worker in batches of length-prefixed
pickles (``_split``), and a busy worker is never sent more than ``_BUSY_SEND_LIMIT`` bytes.
Payload sizes are drawn around the frame header, the read size, and the send limit.
"""

from __future__ import annotations

import sys
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from processing.connection import Pipe
from processing.pool import _BUSY_SEND_LIMIT, _split, _Worker

pytestmark = pytest.mark.timeout(120)

_READ = 65536
_EDGES = [0, 1, 3, 4, 5, 8, 12, _READ - 12, _READ - 5, _READ - 4, _READ - 1, _READ, _READ + 1,
          _READ + 4, 2 * _READ - 4, 2 * _READ + 3, _BUSY_SEND_LIMIT - 8, _BUSY_SEND_LIMIT + 8]
SIZES = st.one_of(st.sampled_from(_EDGES), st.integers(0, 64),
                  st.integers(0, 3 * _READ))


class _NoProcess:
    sentinel = None


def _payload(index: int, size: int) -> bytes:
    return bytes((index + i) % 251 for i in range(min(size, 512))) * (size // 512 + 1)


@pytest.mark.skipif(sys.platform == "win32", reason="Windows reads one message at a time")
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sizes=st.lists(SIZES, min_size=1, max_size=12))
def test_receive_splits_every_frame_exactly(sizes):
    payloads = [_payload(i, size)[:size] for i, size in enumerate(sizes)]
    reader, writer = Pipe(duplex=True)
    worker = _Worker(_NoProcess(), reader, None)

    def write():
        for payload in payloads:
            writer.send_bytes(payload)

    thread = threading.Thread(target=write)
    thread.start()
    got: list[bytes] = []
    try:
        while len(got) < len(payloads):
            assert reader.poll(10), f"stuck after {len(got)} of {len(payloads)} messages"
            got.extend(bytes(message) for message in worker.receive())
    finally:
        thread.join(10)
        reader.close()
        writer.close()
    assert got == payloads
    assert not worker.buf and worker.need == 0


@settings(max_examples=200, deadline=None)
@given(sizes=st.lists(SIZES, min_size=1, max_size=8))
def test_split_returns_each_pickle_of_a_batch(sizes):
    payloads = [_payload(i, size)[:size] for i, size in enumerate(sizes)]
    batch = b"".join(len(p).to_bytes(4, "little") + p for p in payloads)
    assert [bytes(view) for view in _split(batch)] == payloads


def identity(x):
    return x


@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sizes=st.lists(SIZES, min_size=1, max_size=10))
def test_tasks_and_results_of_every_size_arrive_whole(pool, sizes):
    payloads = [_payload(i, size)[:size] for i, size in enumerate(sizes)]
    results = [pool.applyAsync(identity, (p,)) for p in payloads]
    assert [r.get(60) for r in results] == payloads
    assert list(pool.imap(identity, payloads)) == payloads
    assert pool.map(identity, payloads, chunksize=3) == payloads
