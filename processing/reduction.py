"""Pickling what the stdlib does not: connections and sockets sent to another process.

A ``Connection`` (from ``Pipe()``, ``Listener.accept()`` or ``Client()``) or a
``socket.socket`` put on a ``Queue``, sent through a ``Pipe`` or passed to
``Process(args=...)`` arrives in the other process as a working duplicate of the same
handle. While a child is being started the handle is inherited; otherwise the sending
process lends it through the stdlib's resource sharer until the receiver picks it up, so
the sender must stay alive until then. The reducers are registered when processing is
imported; this module names them and the lower-level handle functions.
"""

from __future__ import annotations

import sys
from multiprocessing.reduction import (
    HAVE_SEND_HANDLE,
    DupFd,
    ForkingPickler,
    _rebuild_socket,
    _reduce_socket,
    dump,
    register,
)

from processing import connection as _connection

__all__ = [
    "HAVE_SEND_HANDLE",
    "DupFd",
    "ForkingPickler",
    "dump",
    "rebuild_connection",
    "rebuild_socket",
    "reduce_connection",
    "reduce_socket",
    "register",
]

if sys.platform == "win32":
    reduce_connection = _connection._reduce_pipe_connection
    rebuild_connection = _connection._rebuild_pipe_connection
else:
    reduce_connection = _connection._reduce_connection
    rebuild_connection = _connection._rebuild_connection
reduce_socket = _reduce_socket
rebuild_socket = _rebuild_socket

if HAVE_SEND_HANDLE:
    from multiprocessing.reduction import recv_handle, send_handle

    sendHandle = send_handle
    recvHandle = recv_handle
    __all__ += ["recvHandle", "recv_handle", "sendHandle", "send_handle"]

if sys.platform != "win32":
    from multiprocessing.reduction import recvfds, sendfds

    __all__ += ["recvfds", "sendfds"]
