"""The wire (``processing._wire``): frames as the stdlib writes them, pickles as
``ForkingPickler`` makes them, and every write and read over the sizes where a frame, the
read size, the writev batch and the pipe's buffer split a message (hypothesis)."""

from __future__ import annotations

import fcntl
import multiprocessing.connection as stdlib_connection
import os
import pickle
import select
import socket
import threading
from multiprocessing.reduction import ForkingPickler

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from processing import _wire

PIPE_BUF = getattr(select, "PIPE_BUF", 4096)
#: Payload sizes at which the wire changes behaviour; drawn within a few bytes.
EDGES = sorted({0, 1, 4, 12, PIPE_BUF, _wire.SMALL_READ, 64 * 1024, 2 * 64 * 1024,
                1 << 20})
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _near_edges() -> st.SearchStrategy[int]:
    return st.sampled_from(EDGES).flatmap(
        lambda e: st.integers(max(0, e - 8), e + 8)) | st.integers(0, 600)


def _pattern(n: int, seed: int = 0) -> bytes:
    return bytes((i * 7 + seed) % 251 for i in range(min(n, 251))) * (n // 251 + 1)


# ----------------------------------------------------------------------------- the header


@pytest.mark.parametrize("n", [0, 1, 255, 65536, _wire.SHORT_LIMIT, _wire.SHORT_LIMIT + 1,
                               1 << 33])
def test_header_is_the_stdlibs(n):
    head = _wire.frame_header(n)
    assert len(head) == _wire.frame_size(n) - n
    if n <= 0x7FFFFFFF:  # the stdlib's own rule (multiprocessing.connection._send_bytes)
        assert head == n.to_bytes(4, "big", signed=True)
    else:
        assert head == b"\xff\xff\xff\xff" + n.to_bytes(8, "big")
    payloads, end, need = _wire.split_frames(head)
    assert (payloads, end) == (([b""], len(head)) if n == 0 else ([], 0))
    assert need == (n if n else 0)


# ----------------------------------------------------------------------------- pickling


class _Reduced:
    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return type(other) is _Reduced and other.value == self.value


_OBJECTS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
    | st.binary(max_size=300),
    lambda inner: st.lists(inner, max_size=5) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=5), inner, max_size=4) | inner.map(_Reduced),
    max_leaves=20)


@SETTINGS
@given(_OBJECTS)
def test_dumps_is_forkingpicklers(obj):
    assert _wire.dumps(obj) == bytes(ForkingPickler.dumps(obj))
    framed = _wire.dumps_framed(obj)
    payloads, end, need = _wire.split_frames(framed)
    assert (end, need) == (len(framed), 0)
    assert payloads == [_wire.dumps(obj)]
    assert pickle.loads(payloads[0]) == obj


@pytest.mark.parametrize("n", [0, 100, _wire.SMALL_READ, 3 << 20])
def test_dumps_framed_of_big_plain_objects(n):
    for obj in (b"\x01" * n, "\u00e9" * n, (b"a" * n, 1)):
        framed = _wire.dumps_framed(obj)
        (payload,), _, _ = _wire.split_frames(framed)
        assert pickle.loads(payload) == obj


def test_a_reducer_that_pickles_gets_its_own_pickler():
    class Inner:
        def __reduce__(self):
            return pickle.loads, (_wire.dumps(_Reduced("inner")),)

    obj = [_Reduced(1), Inner(), _Reduced(2)]
    assert pickle.loads(_wire.dumps(obj)) == [_Reduced(1), _Reduced("inner"), _Reduced(2)]


def test_the_pickler_keeps_no_reference_to_what_it_pickled():
    import gc
    import weakref

    obj = _Reduced([1, 2, 3])
    ref = weakref.ref(obj)
    _wire.dumps([obj, obj])
    del obj
    gc.collect()
    assert ref() is None


def test_the_pickler_raises_and_stays_usable():
    with pytest.raises((TypeError, pickle.PicklingError, AttributeError)):
        _wire.dumps([_Reduced(1), lambda: 0])
    assert pickle.loads(_wire.dumps([_Reduced(1)])) == [_Reduced(1)]


# --------------------------------------------------------------------------- split_frames


@SETTINGS
@given(st.lists(_near_edges().filter(lambda n: n <= 70_000), min_size=1, max_size=6),
       st.data())
def test_split_frames_at_every_cut(sizes, data):
    """A stream of frames cut anywhere: the whole frames come out, and ``need`` is what the
    first cut one lacks."""
    payloads = [_pattern(n, i) for i, n in enumerate(sizes)]
    stream = b"".join(_wire.frame_header(len(p)) + p for p in payloads)
    cut = data.draw(st.integers(0, len(stream)))
    got, end, need = _wire.split_frames(stream[:cut])
    assert got == payloads[: len(got)]
    assert end == sum(_wire.frame_size(len(p)) for p in got)
    if end < len(stream):
        rest = cut - end
        wanted = _wire.frame_size(len(payloads[len(got)]))
        assert need == (wanted - rest if rest >= 4 else 0)
    more, end2, _ = _wire.split_frames(stream, end)
    assert got + more == payloads and end2 == len(stream)


def test_split_frames_refuses_a_negative_length():
    with pytest.raises(ValueError, match="bad frame header"):
        _wire.split_frames(b"\xff\xff\xff\xfe" + b"x" * 8)


# ------------------------------------------------------------------ writing and reading


def _drain(fd, into):
    while chunk := os.read(fd, 1 << 20):
        into.append(chunk)


def _nonblocking_pipe(size=None):
    r, w = os.pipe()
    if size and hasattr(fcntl, "F_SETPIPE_SZ"):
        fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, size)
    os.set_blocking(w, False)
    return r, w


@SETTINGS
@given(st.lists(_near_edges(), min_size=1, max_size=8))
def test_write_some_takes_what_fits_and_says_how_much(sizes):
    """Into a non-blocking pipe that nobody reads: exactly the first bytes of the parts, as
    many as the pipe takes, and the count is right; then the rest, once read."""
    parts = [_pattern(n, i) for i, n in enumerate(sizes)]
    whole = b"".join(parts)
    r, w = _nonblocking_pipe(4096)
    try:
        written = _wire.write_some(w, list(parts))
        got = []
        os.set_blocking(r, False)
        try:
            _drain(r, got)
        except BlockingIOError:
            pass
        assert b"".join(got) == whole[:written]
        assert written == len(whole) or written >= 1 or not whole
    finally:
        os.close(r)
        os.close(w)


@SETTINGS
@given(st.lists(_near_edges(), min_size=1, max_size=6), st.integers(1, 2 * _wire.IOV_MAX))
def test_write_all_and_read_back(sizes, copies):
    """``write_all`` of many parts (more than one ``writev`` takes) arrives whole; the reader
    side reads frames with ``read_header`` and ``read_exact``."""
    payloads = [_pattern(n, i) for i, n in enumerate(sizes)] * (copies // len(sizes) + 1)
    payloads = payloads[: max(copies, 1)]
    while len(payloads) > 1 and sum(map(len, payloads)) > 4 << 20:  # a few MiB is enough
        payloads.pop()
    parts = []
    for p in payloads:
        parts += [_wire.frame_header(len(p)), p]
    r, w = os.pipe()
    got = []

    def read():
        try:
            for _ in payloads:
                got.append(bytes(_wire.read_exact(r, _wire.read_header(r))))
        except Exception as exc:  # noqa: BLE001 (reported by the assertion below)
            got.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        _wire.write_all(w, parts)
    finally:
        os.close(w)
        reader.join(60)
        os.close(r)
    assert got == payloads


@SETTINGS
@given(st.lists(_near_edges(), min_size=1, max_size=4), st.data(), st.booleans())
def test_write_all_resumes_after_short_writes(sizes, data, size_known):
    """Whatever each ``writev`` takes (cut anywhere: inside a header, between parts, in a
    payload), ``write_all`` writes the rest in order, with or without the caller's total."""
    from unittest import mock

    parts = []
    for i, n in enumerate(sizes):
        parts += [_wire.frame_header(n), _pattern(n, i)]
    whole = b"".join(parts)
    takes = data.draw(st.lists(st.integers(1, max(1, len(whole))), max_size=6), label="takes")
    out = bytearray()

    def short_writev(fd, buffers):
        joined = b"".join(bytes(b) for b in buffers)
        n = min(len(joined), takes.pop(0)) if takes else len(joined)
        out.extend(joined[:n])
        return n

    def short_write(fd, buffer):
        return short_writev(fd, [buffer])

    with mock.patch.object(_wire.os, "writev", short_writev), \
            mock.patch.object(_wire.os, "write", short_write):
        _wire.write_all(-1, list(parts), len(whole) if size_known else -1)
    assert bytes(out) == whole


def test_reads_at_the_end_of_the_stream():
    r, w = os.pipe()
    os.write(w, _wire.frame_header(10) + b"abc")
    os.close(w)
    with pytest.raises(OSError, match="end of file during message"):
        _wire.read_exact(r, _wire.read_header(r))
    with pytest.raises(EOFError):
        _wire.read_header(r)
    os.close(r)


def test_read_some_on_a_nonblocking_pipe():
    r, w = os.pipe()
    os.set_blocking(r, False)
    view = memoryview(bytearray(8))
    assert _wire.read_some(r, view) is None
    os.write(w, b"abc")
    assert _wire.read_some(r, view) == 3 and bytes(view[:3]) == b"abc"
    os.close(w)
    assert _wire.read_some(r, view) == 0
    os.close(r)


def test_frames_interoperate_with_the_stdlib():
    """What the wire writes, a stdlib connection reads, and the other way round."""
    a, b = socket.socketpair()
    ours, theirs = a.detach(), stdlib_connection.Connection(b.detach())
    try:
        for n in (0, 5, 70_000):
            obj = ("x", b"y" * n)
            _wire.write_all(ours, [_wire.dumps_framed(obj)])
            assert theirs.recv() == obj
            theirs.send(obj)
            assert pickle.loads(_wire.read_exact(ours, _wire.read_header(ours))) == obj
    finally:
        os.close(ours)
        theirs.close()
