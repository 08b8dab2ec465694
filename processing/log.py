"""Logging: ``enableLogging()`` and ``getLogger()``, the stdlib's ``multiprocessing`` logger."""

from __future__ import annotations

import logging
import pickle
from multiprocessing import util
from typing import Any

__all__ = [
    "DEFAULT_FORMAT",
    "child_config",
    "enableLogging",
    "getLogger",
    "get_logger",
    "log_to_stderr",
]

DEFAULT_FORMAT = "[%(levelname)s/%(processName)s] %(message)s"

# The handler that the last enableLogging() installed, to be re-created in spawned children.
_enabled: tuple[Any, tuple, str | None] | None = None


def getLogger() -> logging.Logger:
    """The logger that processing (and multiprocessing) report to; children inherit its level."""
    return util.get_logger()


def enableLogging(
    level: int,
    HandlerType: Any = None,
    handlerArgs: tuple = (),
    format: str | None = None,
) -> logging.Logger:
    """Log at ``level`` to a handler (default: stderr) formatted as ``format``."""
    logger = getLogger()
    handler = logging.StreamHandler() if HandlerType is None else HandlerType(*handlerArgs)
    handler.setFormatter(logging.Formatter(format or DEFAULT_FORMAT))
    for old in [h for h in logger.handlers if getattr(h, "_processing", False)]:
        logger.removeHandler(old)
    handler._processing = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    global _enabled
    _enabled = (HandlerType, tuple(handlerArgs), format)
    return logger


def child_config() -> tuple[Any, tuple, str | None] | None:
    """What a spawned child passes to ``enableLogging()`` to log as this process does.

    None when ``enableLogging()`` was not called, or when its handler cannot be re-created
    in another process (its arguments do not pickle, e.g. an in-memory stream): the child
    then inherits only the level, as the stdlib's children do.
    """
    if _enabled is None:
        return None
    try:
        pickle.dumps(_enabled)
    except (pickle.PicklingError, TypeError, AttributeError):
        return None
    return _enabled


def log_to_stderr(level: int | None = None) -> logging.Logger:
    return enableLogging(logging.NOTSET if level is None else level)


get_logger = getLogger
