"""Our connections' fast paths keep the stdlib's wire format, in both directions."""

from __future__ import annotations

import multiprocessing.connection as stdlib_connection
import threading

import pytest

from processing.connection import Connection

TIMEOUT = 20

MESSAGES = [
    b"",
    b"small",
    b"b" * 70_000,  # sent straight from the object, without a pickle copy
    b"c" * 3_000_000,  # far more than a pipe or socket buffer holds
    "text",
    ("a", 1, 2.5, None, True),
    {"nested": [b"d" * 100_000, (1, 2)]},
]


def _pair(duplex: bool, ours_sends: bool):
    """A connected (sender, receiver) pair: one end ours, the other the stdlib's."""
    reader, writer = stdlib_connection.Pipe(duplex)
    (writer if ours_sends else reader).__class__ = Connection
    return writer, reader


def _send_all(conn, messages, as_bytes):
    for m in messages:
        conn.send_bytes(m) if as_bytes else conn.send(m)


@pytest.mark.parametrize("duplex", [True, False], ids=["socketpair", "os.pipe"])
@pytest.mark.parametrize("ours_sends", [True, False], ids=["ours-to-stdlib", "stdlib-to-ours"])
def test_objects_cross_between_our_and_stdlib_connections(duplex, ours_sends):
    sender, receiver = _pair(duplex, ours_sends)
    t = threading.Thread(target=_send_all, args=(sender, MESSAGES, False), daemon=True)
    t.start()
    got = [receiver.recv() for _ in MESSAGES]
    t.join(TIMEOUT)
    assert got == MESSAGES


@pytest.mark.parametrize("ours_sends", [True, False], ids=["ours-to-stdlib", "stdlib-to-ours"])
def test_byte_messages_cross_between_our_and_stdlib_connections(ours_sends):
    sender, receiver = _pair(True, ours_sends)
    blobs = [m for m in MESSAGES if isinstance(m, bytes)]
    t = threading.Thread(target=_send_all, args=(sender, blobs, True), daemon=True)
    t.start()
    got = [receiver.recv_bytes() for _ in blobs]
    t.join(TIMEOUT)
    assert got == blobs


def test_recv_bytes_refuses_a_message_longer_than_maxlength():
    sender, receiver = _pair(True, False)
    sender.send_bytes(b"x" * 100)
    with pytest.raises(OSError, match="bad message length"):
        receiver.recv_bytes(10)


def test_end_of_file_is_eoferror():
    sender, receiver = _pair(False, False)
    sender.close()
    with pytest.raises(EOFError):
        receiver.recv()


class _Unpicklable:
    def __reduce__(self):
        raise TypeError("not today")


def test_a_failed_send_leaves_later_messages_intact():
    sender, receiver = _pair(True, True)
    with pytest.raises(TypeError, match="not today"):
        sender.send(["before", _Unpicklable()])
    sender.send({"after": [1, 2]})
    assert receiver.poll(TIMEOUT)
    assert receiver.recv() == {"after": [1, 2]}


class _SendsWhilePickled:
    """Sends a message on another connection from inside its own pickling (re-entry)."""

    def __init__(self, conn):
        self.conn = conn

    def __reduce__(self):
        self.conn.send({"inner": True})
        return (dict, ({"outer": True},))


def test_a_reducer_may_send_while_its_object_is_being_sent():
    sender, receiver = _pair(True, True)
    side_sender, side_receiver = _pair(True, True)
    sender.send([_SendsWhilePickled(side_sender)])
    assert side_receiver.poll(TIMEOUT) and receiver.poll(TIMEOUT)
    assert side_receiver.recv() == {"inner": True}
    assert receiver.recv() == [{"outer": True}]
