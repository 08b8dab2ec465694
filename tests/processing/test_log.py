"""Logging: ``enableLogging()``/``getLogger()``, the 0.52 format, levels inherited by children."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

import processing
from processing import log as processing_log
from processing.log import DEFAULT_FORMAT

pytestmark = pytest.mark.usefixtures("no_leftover_children")

TIMEOUT = 20


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    """The processing logger, restored afterwards (it is process-wide state)."""
    log = processing.getLogger()
    saved = (log.level, list(log.handlers), log.propagate, processing_log._enabled)
    yield log
    log.setLevel(saved[0])
    log.handlers[:] = saved[1]
    log.propagate = saved[2]
    processing_log._enabled = saved[3]


def _report_level(q):
    log = processing.getLogger()
    q.put((log.getEffectiveLevel(), log.level))


def test_get_logger_is_the_multiprocessing_logger(logger):
    assert logger is processing.get_logger() is logging.getLogger("multiprocessing")


def test_enable_logging_formats_as_processing_did(logger):
    stream = io.StringIO()
    returned = processing.enableLogging(logging.INFO, logging.StreamHandler, (stream,))
    assert returned is logger and logger.level == logging.INFO
    logger.info("hello %s", "there")
    logger.debug("not shown")
    assert stream.getvalue() == "[INFO/MainProcess] hello there\n"
    assert DEFAULT_FORMAT == "[%(levelname)s/%(processName)s] %(message)s"


def test_enable_logging_with_a_format_and_again_replaces_its_handler(logger):
    first, second = io.StringIO(), io.StringIO()
    processing.enableLogging(logging.WARNING, logging.StreamHandler, (first,))
    processing.enableLogging(logging.WARNING, logging.StreamHandler, (second,),
                             format="%(processName)s: %(message)s")
    logger.warning("once")
    assert first.getvalue() == ""
    assert second.getvalue() == "MainProcess: once\n"


def test_the_level_is_inherited_by_children(ctx, logger):
    processing.enableLogging(logging.WARNING, logging.StreamHandler, (io.StringIO(),))
    q = ctx.Queue()
    p = ctx.Process(target=_report_level, args=(q,))
    p.start()
    assert q.get(timeout=TIMEOUT) == (logging.WARNING, logging.WARNING)
    p.join(TIMEOUT)


def _log_info(message):
    processing.getLogger().info(message)


def test_a_picklable_handler_is_recreated_in_children(ctx, logger, tmp_path):
    path = tmp_path / "log.txt"
    processing.enableLogging(logging.INFO, logging.FileHandler, (str(path),),
                             format="%(levelname)s %(processName)s %(message)s")
    p = ctx.Process(target=_log_info, args=("from the child",))
    p.start()
    p.join(TIMEOUT)
    for handler in logger.handlers:
        handler.flush()
    assert f"INFO {p.name} from the child\n" in path.read_text()


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_children_log_to_stderr_with_their_names(method):
    code = (
        "import logging, os, processing\n"
        "processing.enableLogging(logging.INFO)\n"
        "p = processing.Process(target=os.getpid); p.start(); p.join(30)\n"
    )
    env = dict(os.environ, PROCESSING_START_METHOD=method)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    assert "[INFO/Process-1] child process calling self.run()" in out.stderr
    assert "[INFO/Process-1] process exiting with exitcode 0" in out.stderr
    assert "[INFO/MainProcess] process shutting down" in out.stderr
