"""Who is at the other end of a connection, and when that process ends."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

import pytest

from processing._peers import ProcessWatch, peer_pid, wait_for_exit

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_PEERCRED is Linux's"),
    pytest.mark.timeout(60),
]


def test_the_pid_at_the_other_end_of_a_unix_socket():
    a, b = socket.socketpair(socket.AF_UNIX)
    with a, b:
        assert peer_pid(a) == os.getpid()


def test_no_pid_for_tcp():
    with socket.create_server(("127.0.0.1", 0)) as server, \
            socket.create_connection(server.getsockname()) as client:
        accepted, _ = server.accept()
        with accepted:
            assert peer_pid(client) is None
            assert peer_pid(accepted) is None


def test_a_watch_reports_each_ended_process_once():
    ended: list[int] = []
    done = threading.Event()

    def on_exit(pid):
        ended.append(pid)
        done.set()

    watch = ProcessWatch(on_exit)
    try:
        child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                                 stdin=subprocess.PIPE)
        watch.watch(child.pid)
        watch.watch(child.pid)  # twice: still one report
        assert ended == []
        child.stdin.close()
        child.wait(30)
        assert done.wait(30)
        wait_for_exit(child.pid)  # returns at once for an ended process
        assert ended == [child.pid]
    finally:
        watch.close()


def test_a_closed_watch_ends_its_thread():
    watch = ProcessWatch(lambda pid: None)
    watch.watch(os.getpid())
    watch.close()
    assert not watch._thread.is_alive()
    watch.watch(os.getppid())  # ignored once closed
