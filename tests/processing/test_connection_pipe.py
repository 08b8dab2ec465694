"""``Pipe()`` and its connections: objects, bytes, polling, end of file, the 0.52 names."""

from __future__ import annotations

import array

import pytest

import processing
from processing import BufferTooShort
from processing.connection import Connection

pytestmark = pytest.mark.usefixtures("no_leftover_children")

TIMEOUT = 20


def _echo(conn):
    """Echo objects and byte messages until told to stop.

    (Not until end of file: a forked child holds a copy of the parent's end too.)
    """
    with conn:
        while True:
            kind, payload = conn.recv()
            if kind == "stop":
                return
            if kind == "obj":
                conn.send(payload)
            else:
                conn.sendBytes(payload)


def _send_and_close(conn, messages):
    for message in messages:
        conn.sendBytes(message)
    conn.close()


def test_pipe_round_trips_objects_and_bytes_with_a_child(ctx):
    here, there = ctx.Pipe()
    p = ctx.Process(target=_echo, args=(there,))
    p.start()
    there.close()
    values = [None, 1, "two", [3.0, {"four": (5,)}], b"\x00" * 100_000]
    for value in values:
        here.send(("obj", value))
        assert here.recv() == value
    here.send(("bytes", b"raw"))
    assert here.recvBytes() == b"raw"
    here.send(("bytes", b"x" * 1_000_000))
    assert here.recv_bytes() == b"x" * 1_000_000
    here.send(("stop", None))
    p.join(TIMEOUT)
    assert p.exitcode == 0


def test_connections_reaching_a_child_are_processings(ctx):
    here, there = ctx.Pipe()
    assert isinstance(here, Connection) and isinstance(there, Connection)
    p = ctx.Process(target=_echo, args=(there,))
    p.start()
    here.send(("bytes", b"camelCase in the child"))  # the child answers with sendBytes()
    assert here.recvBytes() == b"camelCase in the child"
    here.send(("stop", None))
    p.join(TIMEOUT)


def test_recv_raises_eof_error_when_the_other_end_is_closed(ctx):
    reader, writer = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_send_and_close, args=(writer, [b"last"]))
    p.start()
    writer.close()
    assert reader.recvBytes() == b"last"
    with pytest.raises(EOFError):
        reader.recv()
    p.join(TIMEOUT)


def test_one_way_pipe_ends_are_read_only_and_write_only():
    reader, writer = processing.Pipe(duplex=False)
    with pytest.raises(OSError, match="read-only"):
        reader.send(1)
    with pytest.raises(OSError, match="write-only"):
        writer.recv()
    writer.send("ok")
    assert reader.recv() == "ok"


def test_send_bytes_with_offset_and_size():
    a, b = processing.Pipe()
    a.sendBytes(b"0123456789", 2, 5)
    assert b.recvBytes() == b"23456"
    a.send_bytes(memoryview(b"abcdef"), 3)
    assert b.recv_bytes() == b"def"


def test_recv_bytes_into_a_buffer_and_at_an_offset():
    a, b = processing.Pipe()
    buf = bytearray(10)
    a.sendBytes(b"abc")
    assert b.recvBytesInto(buf) == 3
    a.sendBytes(b"xyz")
    assert b.recv_bytes_into(buf, 5) == 3
    assert bytes(buf) == b"abc\0\0xyz\0\0"
    ints = array.array("i", [0, 0, 0])
    a.sendBytes(array.array("i", [7, 8, 9]))
    assert b.recvBytesInto(ints) == 3 * ints.itemsize
    assert ints.tolist() == [7, 8, 9]


def test_recv_bytes_into_a_short_buffer_raises_buffer_too_short_carrying_the_message():
    a, b = processing.Pipe()
    a.sendBytes(b"a message longer than the buffer")
    with pytest.raises(BufferTooShort) as info:
        b.recvBytesInto(bytearray(4))
    assert info.value.args[0] == b"a message longer than the buffer"
    assert processing.BufferTooShort is BufferTooShort
    a.sendBytes(b"next")
    assert b.recvBytes() == b"next"  # the connection is still usable


def test_recv_bytes_maxlength():
    a, b = processing.Pipe()
    a.sendBytes(b"too long")
    with pytest.raises(OSError, match="bad message length"):
        b.recvBytes(3)


def test_poll_with_and_without_timeout(ctx):
    a, b = ctx.Pipe()
    assert not b.poll()
    assert not b.poll(0.05)
    a.send("ready")
    assert b.poll() and b.poll(TIMEOUT)
    assert b.recv() == "ready"
    a.close()
    assert b.poll(TIMEOUT)  # end of file is reported as readable; recv() then raises
    with pytest.raises(EOFError):
        b.recv()


def test_fileno_close_and_context_manager():
    a, b = processing.Pipe()
    assert isinstance(a.fileno(), int) and a.fileno() != b.fileno()
    with a, b:
        assert not a.closed
    assert a.closed and b.closed
    for use in (a.fileno, a.recv, lambda: a.send(1), a.poll):
        with pytest.raises(OSError, match="handle is closed"):
            use()
    a.close()  # closing twice is harmless
