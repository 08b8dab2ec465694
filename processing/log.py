"""Logging: ``enableLogging()`` and ``getLogger()``, the stdlib's ``multiprocessing`` logger."""

from __future__ import annotations

import logging
from multiprocessing import util
from typing import Any

__all__ = ["DEFAULT_FORMAT", "enableLogging", "getLogger", "get_logger", "log_to_stderr"]

DEFAULT_FORMAT = "[%(levelname)s/%(processName)s] %(message)s"


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
    return logger


def log_to_stderr(level: int | None = None) -> logging.Logger:
    return enableLogging(logging.NOTSET if level is None else level)


get_logger = getLogger
