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

import pickle
import sys
from multiprocessing.reduction import (
    HAVE_SEND_HANDLE,
    DupFd,
    ForkingPickler,
    dump,
    register,
)

from processing import _stdlib as _seam
from processing import connection as _connection

__all__ = [
    "HAVE_SEND_HANDLE",
    "DupFd",
    "ForkingPickler",
    "dump",
    "pickling_error",
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
reduce_socket = _seam.reduce_socket
rebuild_socket = _seam.rebuild_socket

_PICKLING_ERRORS: dict[type, type] = {}


def _rebuild_error(cls: type, message: str) -> BaseException:
    return cls(message)


def pickling_error(exc: BaseException, message: str) -> Exception:
    """``message`` as an exception that is both a ``pickle.PicklingError`` and of the type
    pickling raised (``exc``), so ``except RuntimeError`` written for the stdlib (which lets
    ``RuntimeError``, ``TypeError`` or ``AttributeError`` through from pickling) catches it
    as well as ``except pickle.PicklingError``. Its class shows the original's name."""
    original = type(exc)
    if issubclass(original, pickle.PicklingError) or not issubclass(original, Exception):
        return pickle.PicklingError(message)
    cls = _PICKLING_ERRORS.get(original)
    if cls is None:
        try:
            cls = type(original.__name__, (original, pickle.PicklingError), {
                "__module__": original.__module__,
                "__qualname__": original.__qualname__,
                "__doc__": f"{original.__name__} from pickling, also a pickle.PicklingError.",
                # Sent to another process it arrives as the original type, with the message.
                "__reduce__": lambda self: (_rebuild_error, (original, str(self))),
            })
        except TypeError:  # a final type, or one whose layout cannot be combined
            return pickle.PicklingError(message)
        _PICKLING_ERRORS[original] = cls
    try:
        return cls(message)
    except Exception:  # noqa: BLE001  (a constructor that wants other arguments)
        return pickle.PicklingError(message)


if HAVE_SEND_HANDLE:
    from multiprocessing.reduction import recv_handle, send_handle

    sendHandle = send_handle
    recvHandle = recv_handle
    __all__ += ["recvHandle", "recv_handle", "sendHandle", "send_handle"]

if sys.platform != "win32":
    from multiprocessing.reduction import recvfds, sendfds

    __all__ += ["recvfds", "sendfds"]
