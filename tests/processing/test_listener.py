"""Listener and Client: families, authentication, and what a listener does with bad peers."""

from __future__ import annotations

import logging
import os
import pickle
import socket
import stat
import struct
import sys
import threading
import time
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import processing
from processing.connection import (
    AuthenticationError,
    Client,
    Connection,
    Listener,
    answerChallenge,
    deliverChallenge,
    wait,
)

pytestmark = pytest.mark.timeout(60)

UNPICKLED: list[str] = []


def _record_unpickling(tag: str) -> str:
    UNPICKLED.append(tag)
    return tag


class _Tripwire:
    """Unpickling this calls _record_unpickling: proof that a payload was unpickled."""

    def __reduce__(self):
        return _record_unpickling, ("unpickled",)


@pytest.fixture
def dropped():
    """The messages processing logs about dropped connections, collected here: each one
    (after the first, those within the warning interval are logged at DEBUG level)."""
    messages: list[str] = []
    handler = logging.Handler()

    def emit(record):
        if record.getMessage().startswith("dropped connection"):
            messages.append(record.getMessage())

    handler.emit = emit
    logger = processing.getLogger()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _accept_in_thread(listener, count):
    """Accept ``count`` connections in a thread; results are the received objects (or the
    error that ended the accepting)."""
    results: list = []

    def serve():
        for _ in range(count):
            try:
                with listener.accept(timeout=30) as conn:
                    results.append(conn.recv())
            except (OSError, EOFError) as exc:
                results.append(exc)
                return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread, results


@pytest.mark.parametrize("family", ["AF_INET", "AF_UNIX"])
def test_round_trip_with_a_key(family):
    with Listener(family=family, authkey=b"key") as listener:
        thread, results = _accept_in_thread(listener, 1)
        with Client(listener.address, authkey=b"key") as conn:
            assert isinstance(conn, Connection)
            conn.send({"hello": "world"})
        thread.join(10)
    assert results == [{"hello": "world"}]


def test_unix_socket_file_is_private(tmp_path):
    path = str(tmp_path / "listener.sock")
    with Listener(path) as listener:
        assert stat.S_IMODE(os.stat(listener.address).st_mode) == 0o600
    assert not os.path.exists(path)  # removed on close


def test_authenticate_uses_this_process_key_and_str_keys_are_accepted():
    with Listener(("127.0.0.1", 0), authenticate=True) as listener:
        thread, results = _accept_in_thread(listener, 1)
        with Client(listener.address, authenticate=True) as conn:
            conn.send(1)
        thread.join(10)
    with Listener(("127.0.0.1", 0), authkey="text key") as listener:
        thread, more = _accept_in_thread(listener, 1)
        with Client(listener.address, authkey=b"text key") as conn:
            conn.send(2)
        thread.join(10)
    assert results + more == [1, 2]


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="authkey must be bytes"):
        Listener(("127.0.0.1", 0), authkey=123)
    with pytest.raises(ValueError):
        Listener(family="AF_NOPE")


def test_a_wrong_key_is_refused_on_both_sides_and_nothing_is_unpickled(dropped):
    UNPICKLED.clear()
    with Listener(("127.0.0.1", 0), authkey=b"right") as listener:
        thread, results = _accept_in_thread(listener, 1)
        with pytest.raises(AuthenticationError, match="rejected"):
            Client(listener.address, authkey=b"wrong")
        # A peer that skips the handshake and sends a pickle straight away.
        payload = pickle.dumps(_Tripwire())
        with socket.create_connection(listener.address, timeout=5) as sock:
            sock.recv(64)
            sock.sendall(struct.pack("!i", len(payload)) + payload)
            _read_until_dropped(sock)
        with Client(listener.address, authkey=b"right") as conn:
            conn.send("the only one accepted")
        thread.join(10)
    assert results == ["the only one accepted"]
    assert UNPICKLED == []
    assert len(dropped) == 3  # the listener twice, the wrong-key client once
    assert any("digest received was wrong" in message for message in dropped)


def _read_until_dropped(sock):
    """Read what the listener still sends (a failure notice) until it closes on us."""
    sock.settimeout(10)
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        pass  # closed with our bytes unread: a reset is how TCP says so


def _send_raw(address, data: bytes, keep_open: bool = False):
    sock = socket.create_connection(address, timeout=5)
    sock.recv(64)
    sock.sendall(data)
    if not keep_open:
        sock.close()
    return sock


def test_garbage_is_dropped_with_a_reason_and_the_listener_goes_on(dropped):
    with Listener(("127.0.0.1", 0), authkey=b"k", handshake_timeout=0.5) as listener:
        thread, results = _accept_in_thread(listener, 1)
        _send_raw(listener.address, os.urandom(100))
        _send_raw(listener.address, struct.pack("!i", 2**31 - 1))
        _send_raw(listener.address, struct.pack("!i", 100) + b"truncated")
        _send_raw(listener.address, b"")
        silent = _send_raw(listener.address, struct.pack("!i", 20) + b"half", keep_open=True)
        with Client(listener.address, authkey=b"k") as conn:
            conn.send("still serving")
        thread.join(20)
        _read_until_dropped(silent)  # when its 0.5 s were up
        silent.close()
    assert results == ["still serving"]
    reasons = "\n".join(dropped)
    assert "announced a 2147483647-byte message" in reasons
    assert "closed the connection" in reasons
    assert "within 0.5 s" in reasons


def test_a_huge_announced_length_allocates_nothing_big():
    with Listener(("127.0.0.1", 0), authkey=b"k") as listener:
        tracemalloc.start()
        try:
            thread, results = _accept_in_thread(listener, 1)
            sock = _send_raw(listener.address, struct.pack("!i", 2**31 - 1) + b"x" * 1000,
                             keep_open=True)
            _read_until_dropped(sock)
            sock.close()
            with Client(listener.address, authkey=b"k") as conn:
                conn.send("next")
            thread.join(10)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert results == ["next"]
    assert peak < 1 << 20


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=600))
def test_fuzz_random_input_never_gets_through(data):
    UNPICKLED.clear()
    with Listener(("127.0.0.1", 0), authkey=b"fuzz", handshake_timeout=0.2) as listener:
        thread, results = _accept_in_thread(listener, 1)
        try:
            _send_raw(listener.address, data)
        except OSError:
            pass  # the listener may drop us before we finish sending
        with Client(listener.address, authkey=b"fuzz") as conn:
            conn.send("ok")
        thread.join(10)
    assert results == ["ok"]
    assert UNPICKLED == []


def _child_client(address, authkey):
    with Client(address, authkey=authkey) as conn:
        conn.send(("from", os.getpid()))
        assert conn.recv() == "thanks"


def test_an_unrelated_process_connects_knowing_only_address_and_key(ctx):
    with Listener(("127.0.0.1", 0), authkey=b"shared secret") as listener:
        child = ctx.Process(target=_child_client, args=(listener.address, b"shared secret"))
        child.start()
        with listener.accept() as conn:
            assert conn.recv() == ("from", child.pid)
            conn.send("thanks")
        child.join(30)
    assert child.exitcode == 0


def test_wait_returns_the_ready_connections():
    a, b = processing.Pipe()
    c, _d = processing.Pipe()
    assert wait([a, c], timeout=0) == []
    b.send(1)
    assert wait([a, c], timeout=5) == [a]


def test_challenge_functions_under_their_0_52_names():
    server, client = processing.Pipe()
    errors: list = []

    def answer():
        try:
            answerChallenge(client, b"k")
        except Exception as exc:  # noqa: BLE001 - reported through the list
            errors.append(exc)

    thread = threading.Thread(target=answer)
    thread.start()
    deliverChallenge(server, b"k")
    thread.join(10)
    assert errors == []


@pytest.mark.skipif(sys.platform == "win32", reason="Unix sockets")
def test_the_peer_address_is_in_the_log(dropped):
    with Listener(("127.0.0.1", 0), authkey=b"k") as listener:
        thread, results = _accept_in_thread(listener, 1)
        sock = _send_raw(listener.address, b"", keep_open=True)
        local = sock.getsockname()
        sock.close()
        listener.close()
        thread.join(10)
    assert isinstance(results[0], OSError)  # closed, and nobody accepted
    assert repr(tuple(local)) in dropped[0]


# -- handshakes run side by side: no peer delays another ------------------------------------


def _idle_peers(address, count):
    family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
    peers = []
    for _ in range(count):
        peer = socket.socket(family)
        peer.connect(address)
        peers.append(peer)
    return peers


@pytest.mark.parametrize("idle", [1, 3, 20])
@pytest.mark.parametrize("family", ["AF_INET", "AF_UNIX"])
def test_idle_peers_never_delay_a_real_client(family, idle):
    # Each idle peer would hold a serial accept() for the whole handshake timeout (an
    # hour here); accept() must still hand out the real client long before that.
    with Listener(family=family, authkey=b"k", backlog=32, handshake_timeout=3600) as listener:
        peers = _idle_peers(listener.address, idle)
        thread, results = _accept_in_thread(listener, 1)
        with Client(listener.address, authkey=b"k") as conn:
            conn.send("real")
        thread.join(30)
        for peer in peers:
            peer.close()
    assert results == ["real"]


def _client_sends(address, key, message, errors):
    try:
        with Client(address, authkey=key) as conn:
            conn.send(message)
    except Exception as exc:  # noqa: BLE001 - reported through the list
        errors.append((message, exc))


def _send_garbage(address, data):
    try:
        _read_until_dropped(_send_raw(address, data, keep_open=True))
    except OSError:
        pass  # dropped before it finished sending


def test_many_concurrent_clients_among_garbage_and_idle_peers(dropped):
    clients = 20
    results: list = []
    with Listener(("127.0.0.1", 0), authkey=b"k", backlog=128, handshake_timeout=3600) as listener:

        def serve():
            # Until every client's message is in (a client may finish its side of the
            # handshake a moment before the listener has finished its own).
            deadline = time.monotonic() + 60
            while len(results) < clients and time.monotonic() < deadline:
                try:
                    with listener.accept(timeout=0.1) as conn:
                        results.append(conn.recv())
                except TimeoutError:
                    pass

        server = threading.Thread(target=serve)
        server.start()
        idle = _idle_peers(listener.address, 10)
        errors: list = []
        threads = []
        for i in range(clients):
            threads.append(threading.Thread(
                target=_client_sends, args=(listener.address, b"k", i, errors)))
            threads.append(threading.Thread(
                target=_client_sends, args=(listener.address, b"wrong", -1, [])))
            if i % 4 == 0:
                threads.append(threading.Thread(
                    target=_send_garbage, args=(listener.address, os.urandom(64))))
        for worker in threads:
            worker.start()
        for worker in threads:
            worker.join(30)
        server.join(60)
        for peer in idle:
            peer.close()
    assert errors == []
    assert sorted(results) == list(range(clients))
    assert sum("digest received was wrong" in message for message in dropped) == clients


def test_accept_timeout_and_close_wake_the_waiting():
    with Listener(("127.0.0.1", 0), authkey=b"k") as listener:
        with pytest.raises(TimeoutError, match="within 0.1 s"):
            listener.accept(timeout=0.1)
        thread, results = _accept_in_thread(listener, 1)
        peers = _idle_peers(listener.address, 2)  # in the handshake when we close
        listener.close()
        thread.join(10)
        for peer in peers:
            peer.settimeout(10)
            _read_until_dropped(peer)
            peer.close()
    assert not thread.is_alive()
    assert isinstance(results[0], OSError) and "closed" in str(results[0])
    assert not [t for t in threading.enumerate() if t.name.startswith("processing handshake")]
    with pytest.raises(OSError, match="closed"):
        listener.accept()


def test_a_listener_without_a_key_hands_out_connections_at_once():
    with Listener(("127.0.0.1", 0)) as listener:
        thread, results = _accept_in_thread(listener, 1)
        with Client(listener.address) as conn:
            conn.send("plain")
        thread.join(10)
        assert listener.last_accepted is not None
    assert results == ["plain"]


def _accept_in_forked_child(listener, report):
    try:
        with listener.accept(timeout=20) as conn:
            report.send(conn.recv())
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        report.send(repr(exc))


@pytest.mark.skipif("fork" not in processing.allStartMethods(), reason="needs fork")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_accepts_on_an_inherited_listener_with_handshakes_in_flight():
    ctx = processing.getContext("fork")
    with Listener(("127.0.0.1", 0), authkey=b"k", backlog=8, handshake_timeout=3600) as listener:
        thread, _ = _accept_in_thread(listener, 1)
        idle = _idle_peers(listener.address, 1)  # its handshake thread is the parent's
        receive, report = processing.Pipe(duplex=False)
        child = ctx.Process(target=_accept_in_forked_child, args=(listener, report))
        with Client(listener.address, authkey=b"k") as conn:
            conn.send("for the parent")
        thread.join(10)
        child.start()
        with Client(listener.address, authkey=b"k") as conn:
            conn.send("for the child")
        assert receive.poll(30)
        assert receive.recv() == "for the child"
        child.join(30)
        idle[0].close()
    assert child.exitcode == 0


def test_a_manager_serves_while_idle_peers_hold_connections(manager):
    peers = _idle_peers(manager.address, 5)
    try:
        shared = manager.list([1, 2])
        shared.append(3)
        assert shared[:] == [1, 2, 3]
    finally:
        for peer in peers:
            peer.close()


@pytest.mark.parametrize("handshake", [True, False], ids=["handshake", "no-handshake"])
def test_a_peer_accepted_while_the_listener_closes_is_dropped_at_once(handshake):
    """close() between the accept of a peer and its registration (a window of a few
    instructions, which a loaded machine hit): the peer is dropped at once, not handed out,
    and its handshake never runs into its timeout."""
    from processing._handshakes import ConcurrentAcceptor

    server = socket.create_server(("127.0.0.1", 0))
    acceptor: ConcurrentAcceptor
    wrapped = []

    def wrap(sock):
        acceptor.close()  # the race, made certain: close() runs inside the window
        wrapped.append(sock)
        return processing.connection.Connection(sock.detach())

    def authenticate(conn, address):  # pragma: no cover - must never run
        time.sleep(10)

    acceptor = ConcurrentAcceptor(server, wrap, authenticate if handshake else None, limit=4)
    peer = socket.create_connection(server.getsockname())
    started = time.monotonic()
    with pytest.raises(OSError, match="closed"):
        acceptor.accept(timeout=5)
    peer.settimeout(5)
    _read_until_dropped(peer)  # our end is closed: the peer sees EOF
    assert time.monotonic() - started < 5
    assert wrapped, "the peer was never accepted"
    assert not acceptor._ready and not acceptor._pending
    assert not [t for t in threading.enumerate() if t.name.startswith("processing handshake")]
    peer.close()
    server.close()
