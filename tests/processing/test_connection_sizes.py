"""Every transfer path of a connection, at the sizes where its reads and buffers split.

The receive side has three regimes: messages up to ``_SMALL_READ`` read with ``os.read``;
larger ones received in one ``recv(MSG_WAITALL)`` on a socket, or with ``readv`` on a pipe;
and a per-thread receive buffer kept for messages up to ``_KEEP_RECV_BUFFER``. On a socket
a large message is first polled for while its bytes keep coming (``_poll_recv_into``),
then slept for; a sender that writes in pieces with pauses crosses from one to the other
at any point of the frame. A sequence
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

#: Where recv_bytes() starts polling, and a duplex Pipe's send buffer as Linux doubles it.
POLL_BYTES = connection.POLL_BYTES_FROM
WIDE = 2 * connection.PIPE_SEND_BUFFER

BOUNDARIES = [0, 1, 3, 4, 5, 100, SMALL - 1, SMALL, SMALL + 1, 2 * SMALL,
              POLL_BYTES - 1, POLL_BYTES, KEEP - 1, KEEP, KEEP + 1, 212_992 + 7, WIDE - 4,
              WIDE, 1 << 20]
sizes = st.one_of(
    st.sampled_from(BOUNDARIES),
    st.sampled_from(BOUNDARIES).flatmap(lambda b: st.integers(max(0, b - 8), b + 8)),
)


@pytest.fixture(autouse=True)
def _small_keep_limit(monkeypatch):
    monkeypatch.setattr(connection, "_KEEP_RECV_BUFFER", KEEP)


def _pair(duplex: bool, ours_sends: bool, ours_receives: bool):
    """Both ends ours: a Pipe as ``processing.Pipe()`` makes it (its widened send buffer
    included); otherwise a stdlib Pipe with one end made ours."""
    if ours_sends and ours_receives:
        reader, writer = connection.Pipe(duplex)
        return writer, reader
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
    """Frames of SMALL + 10 bytes, then exactly KEEP, then over it: the kept buffer grows
    to KEEP and the last frame gets a buffer of its own. (A bytes object's pickle is its
    length plus 8 bytes.)"""
    connection._local.__dict__.pop("recv_buffer", None)
    sender, receiver = _pair(True, True, True)
    for frame in (SMALL + 10, KEEP, KEEP + 10):
        t, errors = _in_thread(sender.send, _payload(frame - 8, 2))
        assert len(receiver.recv()) == frame - 8
        _finish(t, errors)
    kept = connection._local.__dict__.get("recv_buffer")
    assert kept is not None and len(kept) == KEEP


# -------------------------------------------------- receiving by polling while bytes arrive

#: Where a frame is cut into the pieces a slow sender writes: inside the header, at the
#: pickle's opcodes, around the 36 KiB skbs a socket queues, and anywhere.
def _cuts(total: int):
    points = st.one_of(st.sampled_from([1, 3, 4, 5, 11, 12, 36 * 1024, SMALL]),
                       st.integers(1, max(1, total - 1)))
    return st.lists(points.filter(lambda p: 0 < p < total), max_size=4).map(sorted)


PAUSES = st.sampled_from([0.0, 0.0002, 0.003])


def _write_in_pieces(fd: int, frame: bytes, cuts, pauses) -> None:
    import time

    start = 0
    for cut, pause in zip([*cuts, len(frame)], [*pauses, 0.0]):
        view = memoryview(frame)[start:cut]
        while view:
            view = view[os.write(fd, view):]
        start = cut
        time.sleep(pause)


@pytest.fixture(params=["poll", "sleep"])
def receive_mode(request, monkeypatch):
    """Receive large messages by polling (with an idle budget small enough that the
    sender's pauses exhaust it) or by sleeping in ``recv`` from the start."""
    monkeypatch.setattr(connection, "_POLL", request.param == "poll")
    monkeypatch.setattr(connection, "POLL_IDLE_NS", 100_000)
    return request.param


@SETTINGS
@given(data=st.data(), size=st.sampled_from([SMALL + 1, 2 * SMALL + 5, KEEP + 1, 300_000]),
       how=st.sampled_from(["recv", "recv_bytes", "recv_bytes_into"]))
def test_a_message_written_in_pieces_with_pauses_arrives_whole(receive_mode, data, size, how):
    """The sender writes one frame in pieces with pauses shorter and longer than the
    polling budget; every receive call returns the message whole, and the next message
    after it too."""
    reader, writer = stdlib_connection.Pipe(True)
    reader.__class__ = Connection
    payload = _payload(size, size % 7)
    body = payload if how != "recv" else stdlib_connection.reduction.ForkingPickler.dumps(
        payload)
    frame = len(body).to_bytes(4, "big") + bytes(body)
    cuts = data.draw(_cuts(len(frame)), label="cuts")
    pauses = data.draw(st.lists(PAUSES, min_size=len(cuts), max_size=len(cuts)),
                       label="pauses")
    t, errors = _in_thread(lambda: (_write_in_pieces(writer.fileno(), frame, cuts, pauses),
                                    writer.send_bytes(b"next")))
    if how == "recv":
        got = reader.recv()
    elif how == "recv_bytes":
        got = reader.recv_bytes()
        assert type(got) is bytes
    else:
        buf = bytearray(size + 3)
        assert reader.recv_bytes_into(buf, 3) == size
        got = bytes(buf[3:])
    assert got == payload
    assert reader.recv_bytes() == b"next"
    _finish(t, errors)


@pytest.mark.parametrize("how", ["recv", "recv_bytes", "recv_bytes_into"])
def test_a_stalled_sender_costs_the_receiver_little_cpu(how):
    """A sender that stops half-way through a large message for half a second: the
    receiver polls for at most ``POLL_IDLE_NS`` in all, then sleeps in the kernel."""
    import time

    reader, writer = _pair(True, True, True)
    payload = _payload(4 * SMALL, 5)
    body = stdlib_connection.reduction.ForkingPickler.dumps(payload) if how == "recv" \
        else payload
    frame = len(body).to_bytes(4, "big") + bytes(body)
    got, cpu = [], []

    def receive():
        start = time.thread_time()
        if how == "recv_bytes_into":
            buf = bytearray(len(payload))
            reader.recv_bytes_into(buf)
            got.append(bytes(buf))
        else:
            got.append(getattr(reader, how)())
        cpu.append(time.thread_time() - start)

    t, errors = _in_thread(receive)
    _write_in_pieces(writer.fileno(), frame, [len(frame) // 2], [0.5])
    _finish(t, errors)
    assert got == [payload]
    assert cpu[0] < 0.1, f"the receiver used {cpu[0]:.3f} s of CPU waiting for the rest"


def test_a_single_cpu_never_polls(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert connection._several_cpus() is False
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert connection._several_cpus() is True


# ------------------------------------------------------------- a duplex Pipe's send buffer


def _send_buffer(fd: int) -> int:
    s = socket.socket(fileno=fd)
    try:
        return s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
    finally:
        s.detach()


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="a duplex Pipe is a socketpair here")
def test_a_duplex_pipe_may_queue_a_message_of_the_widened_size_unread():
    """Both ends ask for ``PIPE_SEND_BUFFER``: a 300,000-byte message is queued whole
    without a reader (the stock 208 KiB would have made the sender wait)."""
    first, second = connection.Pipe()
    for conn in (first, second):
        assert _send_buffer(conn.fileno()) >= connection.PIPE_SEND_BUFFER
    data = _payload(300_000, 4)
    t, errors = _in_thread(first.send_bytes, data)
    t.join(TIMEOUT)
    assert not t.is_alive(), "the send waited for a reader"
    assert second.recv_bytes() == data
    _finish(t, errors)


def test_a_larger_send_buffer_is_kept_and_blocking_mode_is_untouched():
    a, b = socket.socketpair()
    try:
        a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * connection.PIPE_SEND_BUFFER)
        larger = _send_buffer(a.fileno())
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(5)
        try:
            connection._widen_send_buffer(a.fileno())
            connection._widen_send_buffer(b.fileno())
        finally:
            socket.setdefaulttimeout(previous)
        assert _send_buffer(a.fileno()) == larger
        assert _send_buffer(b.fileno()) >= connection.PIPE_SEND_BUFFER
        assert os.get_blocking(a.fileno()) and os.get_blocking(b.fileno())
    finally:
        a.close()
        b.close()


def test_a_pipe_end_that_refuses_the_option_still_works():
    """``setsockopt`` failing (a sandbox, an odd kernel) leaves the default buffer."""
    from unittest import mock

    with mock.patch.object(connection, "_SocketType") as fake:
        fake.return_value.getsockopt.side_effect = OSError("not permitted")
        first, second = connection.Pipe()
    fake.return_value.detach.assert_called()
    first.send("still works")
    assert second.recv() == "still works"
