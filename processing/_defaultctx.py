"""The default context as the modules below ``context.py`` see it.

``context.py`` holds the default context and imports ``process.py`` and, when a primitive is
made, the module that makes it. Those modules need the default context too (a ``Process``
of the default context launches through it; a manager or shared value made without a
context uses it), and importing ``context.py`` back would close an import cycle. So
``context.py`` registers its default context here when it is imported (before any other
module of processing: ``processing/__init__.py`` imports it first), and they ask here.
"""

from __future__ import annotations

from typing import Any

__all__ = ["context", "default_context", "process_class", "register"]

#: ``processing.context.default_context``, once registered; read it when it is used
#: (``from processing._defaultctx import default_context`` inside a function), or call
#: :func:`context`.
default_context: Any = None

#: Each start method's stock ``Process`` class, as ``context.py`` defines them.
_process_classes: dict[str, type] = {}


def register(default: Any, process_classes: dict[str, type]) -> None:
    """Called once, by ``context.py``, with its ``DefaultContext`` and each start method's
    ``Process`` class."""
    global default_context
    default_context = default
    _process_classes.update(process_classes)


def process_class(method: str) -> type:
    """The stock ``Process`` class of start method ``method`` (``context.ForkProcess`` ...),
    whatever a context's ``Process`` attribute has been replaced with."""
    context()
    return _process_classes[method]


def context() -> Any:
    """The default context (``processing.context.default_context``)."""
    if default_context is None:  # processing.context was never imported: import processing
        raise RuntimeError("processing's default context is not set up: import processing")
    return default_context
