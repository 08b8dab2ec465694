"""The default context as the modules below ``context.py`` see it.

``context.py`` holds the default context and imports ``process.py`` and, when a primitive is
made, the module that makes it. Those modules need the default context too (a ``Process``
of the default context launches through it; a manager or shared value made without a
context uses it), and importing ``context.py`` back would close an import cycle. So
``context.py`` registers its default context here when it is imported, and they ask here.
"""

from __future__ import annotations

from typing import Any

__all__ = ["context", "register"]

_default: Any = None


def register(default_context: Any) -> None:
    """Called once, by ``context.py``, with its ``DefaultContext``."""
    global _default
    _default = default_context


def context() -> Any:
    """The default context (``processing.context.default_context``)."""
    if _default is None:  # only if processing.context was never imported: import processing
        raise RuntimeError("processing's default context is not set up: import processing")
    return _default
