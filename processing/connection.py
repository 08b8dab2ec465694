"""Connections: ``Pipe()`` and the stdlib's listeners and clients, with the 0.52 spellings.

The wire format, authentication and platform handles are the stdlib's
(``multiprocessing.connection``); this module adds the camelCase names and makes sure a
connection sent to a child arrives as one of ours.
"""

from __future__ import annotations

import sys
from multiprocessing import connection as _stdlib
from multiprocessing import reduction
from multiprocessing.connection import (  # noqa: F401  (re-exported API)
    Client,
    Listener,
    answer_challenge,
    deliver_challenge,
    wait,
)
from typing import Any

from multiprocessing import AuthenticationError, BufferTooShort  # noqa: F401

__all__ = [
    "AuthenticationError",
    "BufferTooShort",
    "Client",
    "Connection",
    "Listener",
    "Pipe",
    "answerChallenge",
    "answer_challenge",
    "deliverChallenge",
    "deliver_challenge",
    "wait",
]


class _CamelCase:
    """The processing 0.52 names of the byte-level methods."""

    def sendBytes(self, buf: Any, offset: int = 0, size: int | None = None) -> None:
        self.send_bytes(buf, offset, size)  # type: ignore[attr-defined]

    def recvBytes(self, maxlength: int | None = None) -> bytes:
        return self.recv_bytes(maxlength)  # type: ignore[attr-defined]

    def recvBytesInto(self, buf: Any, offset: int = 0) -> int:
        """Read one message into ``buf``; ``BufferTooShort`` carries it if it does not fit."""
        return self.recv_bytes_into(buf, offset)  # type: ignore[attr-defined]


class Connection(_CamelCase, _stdlib.Connection):
    """A connection over a socket or pipe file descriptor (a handle on Windows)."""


def _reduce_connection(conn: Connection) -> tuple[Any, tuple[Any, ...]]:
    return _rebuild_connection, (reduction.DupFd(conn.fileno()), conn.readable, conn.writable)


def _rebuild_connection(df: Any, readable: bool, writable: bool) -> Connection:
    return Connection(df.detach(), readable, writable)


reduction.register(Connection, _reduce_connection)

if sys.platform == "win32":

    class PipeConnection(_CamelCase, _stdlib.PipeConnection):
        """A connection over a Windows named pipe handle."""

    def _reduce_pipe_connection(conn: PipeConnection) -> tuple[Any, tuple[Any, ...]]:
        import _winapi

        access = (_winapi.FILE_GENERIC_READ if conn.readable else 0) | (
            _winapi.FILE_GENERIC_WRITE if conn.writable else 0
        )
        handle = reduction.DupHandle(conn.fileno(), access)
        return _rebuild_pipe_connection, (handle, conn.readable, conn.writable)

    def _rebuild_pipe_connection(dh: Any, readable: bool, writable: bool) -> PipeConnection:
        return PipeConnection(dh.detach(), readable, writable)

    reduction.register(PipeConnection, _reduce_pipe_connection)
    _OURS: type = PipeConnection
else:
    _OURS = Connection


def Pipe(duplex: bool = True) -> tuple[Any, Any]:
    """Two connected connections; with ``duplex=False`` the first only receives."""
    first, second = _stdlib.Pipe(duplex)
    # The stdlib builds its own classes; ours add only methods, so adopting them is safe.
    first.__class__ = second.__class__ = _OURS
    return first, second


deliverChallenge = deliver_challenge
answerChallenge = answer_challenge
