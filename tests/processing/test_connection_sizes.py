"""Every transfer path of a connection, at the sizes where its reads and buffers split.

The receive side has three regimes: messages up to ``_SMALL_READ`` read with ``os.read``;
larger ones received in one ``recv(MSG_WAITALL)`` on a socket, or with ``readv`` on a pipe;
and a per-thread receive buffer kept for messages up to ``_KEEP_RECV_BUFFER``. A sequence
of messages drawn around those limits (and around the 4-byte header, the 64 KiB pipe
buffer and the socket buffer) must arrive whole and in order, through every public call,
with either end a stdlib connection.
"""

from __future__ import annotations

import array
import multiprocessing.connection as stdlib_connection
import os
import socket
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from processing import connection
from processing.connection import BufferTooShort, Connection

TIMEOUT = 30
SMALL = connection._SMALL_READ
#: A smaller keep limit for these tests, so that crossing it costs no 64 MiB messages.
KEEP = 3 * SMALL

BOUNDARIES = [0, 1, 3, 4, 5, 100, SMALL - 1, SMALL, SMALL + 1, 2 * SMALL,
              KEEP - 1, KEEP, KEEP + 1, 212_992 + 7, 1 << 20]
sizes = st.one_of(
    st.sampled_from(BOUNDARIES),
    st.sampled_from(BOUNDARIES).flatmap(lambda b: st.integers(max(0, b - 8), b + 8)),
)


@pytest.fixture(autouse=True)
def _small_keep_limit(monkeypatch):
    monkeypatch.setattr(connection, "_KEEP_RECV_BUFFER", KEEP)


def _pair(duplex: bool, ours_sends: bool, ours_receives: bool):
    reader, writer = stdlib_connection.Pipe(duplex)
    if ours_sends:
        writer.__class__ = Connection
    if ours_receives:
        reader.__class__ = Connection
    return writer, reader


def _payload(size: int, seed: int) -> bytes:
    pattern = bytes((seed * 31 + i) % 251 for i in range(251))
    return (pattern * (size // 251 + 1))[:size]


def _in_thread(fn, *args):
    errors = []

    def run():
        try:
            fn(*args)
        except BaseException as exc:  # noqa: BLE001 (reported in the test's thread)
            errors.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, errors


def _finish(t, errors):
    t.join(TIMEOUT)
    assert not t.is_alive(), "the sender did not finish"
    assert not errors, errors


ENDS = pytest.mark.parametrize(
    "ours_sends,ours_receives",
    [(True, True), (False, True), (True, False)],
    ids=["ours-to-ours", "stdlib-to-ours", "ours-to-stdlib"],
)
KINDS = pytest.mark.parametrize("duplex", [True, False], ids=["socketpair", "os.pipe"])
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@KINDS
@ENDS
@SETTINGS
@given(st.lists(sizes, min_size=1, max_size=6))
def test_send_bytes_and_recv_bytes(duplex, ours_sends, ours_receives, message_sizes):
    sender, receiver = _pair(duplex, ours_sends, ours_receives)
    messages = [_payload(n, i) for i, n in enumerate(message_sizes)]
    t, errors = _in_thread(lambda: [sender.send_bytes(m) for m in messages])
    got = [receiver.recv_bytes() for _ in messages]
    _finish(t, errors)
    assert [len(g) for g in got] == message_sizes
    assert got == messages
    assert all(type(g) is bytes for g in got)


@KINDS
@ENDS
@SETTINGS
@given(st.lists(st.tuples(sizes, st.sampled_from(["bytes", "bytearray", "tuple", "str"])),
                min_size=1, max_size=5))
def test_send_and_recv_objects(duplex, ours_sends, ours_receives, shapes):
    sender, receiver = _pair(duplex, ours_sends, ours_receives)
    objects = []
    for i, (n, kind) in enumerate(shapes):
        data = _payload(n, i)
        objects.append({"bytes": data, "bytearray": bytearray(data), "tuple": (i, data),
                        "str": data.decode("latin-1")}[kind])
    t, errors = _in_thread(lambda: [sender.send(o) for o in objects])
    got = [receiver.recv() for _ in objects]
    _finish(t, errors)
    assert got == objects
    assert [type(g) for g in got] == [type(o) for o in objects]


@KINDS
@ENDS
@SETTINGS
@given(st.lists(st.tuples(sizes, st.integers(0, 9), st.booleans()), min_size=1, max_size=5))
def test_recv_bytes_into(duplex, ours_sends, ours_receives, shapes):
    """Into a buffer at an offset; a buffer too short raises BufferTooShort with the whole
    message and leaves the stream in step for the next one."""
    sender, receiver = _pair(duplex, ours_sends, ours_receives)
    messages = [_payload(n, i) for i, (n, _, _) in enumerate(shapes)]
    t, errors = _in_thread(lambda: [sender.send_bytes(m) for m in messages])
    for message, (n, offset, fits) in zip(messages, shapes):
        buf = bytearray(offset + n + (0 if fits else -1) + 3 * fits) if fits or n else None
        if buf is None:  # an empty message fits any buffer
            buf = bytearray(offset)
            fits = True
        if fits:
            assert receiver.recv_bytes_into(buf, offset) == n
            assert bytes(buf[offset:offset + n]) == message
        else:
            with pytest.raises(BufferTooShort) as caught:
                receiver.recv_bytes_into(buf, offset)
            assert caught.value.args[0] == message
    _finish(t, errors)


def test_recv_bytes_into_an_array_of_wider_items_counts_bytes():
    sender, receiver = _pair(True, True, True)
    data = _payload(SMALL * 2 + 8, 1)
    target = array.array("i", [0]) * ((len(data) + 16) // 4)
    sender_thread, errors = _in_thread(sender.send_bytes, data)
    assert receiver.recv_bytes_into(target, 8) == len(data)
    _finish(sender_thread, errors)
    assert target.tobytes()[8:8 + len(data)] == data


@pytest.mark.parametrize("size", [SMALL + 1, KEEP + 1])
@KINDS
def test_end_of_file_inside_a_large_message_is_oserror(duplex, size):
    """The peer wrote a header and part of the payload, then went away."""
    reader, writer = stdlib_connection.Pipe(duplex)
    reader.__class__ = Connection

    def send_half_and_close():
        writer._send(size.to_bytes(4, "big") + b"x" * (size // 2))
        writer.close()

    t, errors = _in_thread(send_half_and_close)
    with pytest.raises(OSError, match="end of file during message"):
        reader.recv_bytes()
    _finish(t, errors)


def test_a_default_socket_timeout_leaves_the_connection_blocking():
    """A socket object made on the connection's descriptor while a default timeout is set
    would make it non-blocking; the socket path is not used then."""
    sender, receiver = _pair(True, True, True)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(5)
    try:
        data = _payload(KEEP + 5, 3)
        t, errors = _in_thread(sender.send_bytes, data)
        assert receiver.recv_bytes() == data
        _finish(t, errors)
        assert os.get_blocking(receiver.fileno())
    finally:
        socket.setdefaulttimeout(previous)


def test_a_thread_keeps_one_receive_buffer_up_to_the_limit():
    sender, receiver = _pair(True, True, True)
    for size in (SMALL + 10, KEEP, KEEP + 10):
        t, errors = _in_thread(sender.send, _payload(size, 2))
        assert len(receiver.recv()) == size
        _finish(t, errors)
    kept = connection._local.__dict__.get("recv_buffer")
    assert kept is not None and len(kept) == KEEP
