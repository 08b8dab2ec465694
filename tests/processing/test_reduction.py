"""Connections and sockets sent to a process that is already running."""

from __future__ import annotations

import socket

import pytest

import processing
from processing import reduction
from processing.connection import Connection

pytestmark = pytest.mark.timeout(60)


def _use_received(inbox, results):
    sock = inbox.get(timeout=30)
    sock.sendall(b"through a sent socket")
    sock.close()
    conn = inbox.get(timeout=30)
    conn.send(("through a sent connection", type(conn).__name__))
    conn.close()
    results.put("done")


def test_a_socket_and_a_connection_sent_through_a_queue(ctx):
    inbox, results = ctx.Queue(), ctx.Queue()
    child = ctx.Process(target=_use_received, args=(inbox, results))
    child.start()
    ours, theirs = socket.socketpair()
    mine, yours = processing.Pipe()
    try:
        inbox.put(theirs)
        assert ours.recv(100) == b"through a sent socket"
        inbox.put(yours)
        assert mine.poll(30)
        assert mine.recv() == ("through a sent connection", Connection.__name__)
        assert results.get(timeout=30) == "done"  # we lent the handles until now
    finally:
        child.join(30)
        ours.close()
        theirs.close()
        mine.close()
        yours.close()
    assert child.exitcode == 0


def test_the_module_names_the_reducers():
    assert reduction.ForkingPickler is not None
    assert callable(reduction.reduce_connection) and callable(reduction.rebuild_connection)
    assert callable(reduction.reduce_socket) and callable(reduction.rebuild_socket)
    if reduction.HAVE_SEND_HANDLE:
        assert reduction.sendHandle is reduction.send_handle
