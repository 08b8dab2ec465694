"""A child's ``sys.stdin``: a /dev/null reader takes the place of the parent's (as in the
stdlib), also when the fork launcher hands over a reader the parent opened beforehand."""

from __future__ import annotations

import sys

import pytest

pytestmark = [pytest.mark.usefixtures("no_leftover_children"),
              pytest.mark.skipif(sys.platform == "win32", reason="POSIX stdin handling")]

TIMEOUT = 20

#: The stdin this module saw when imported: in a fork child, the parent's object.
_IMPORT_TIME_STDIN = sys.stdin


def _describe_stdin() -> tuple:
    from multiprocessing import util

    return (sys.stdin.read(), sys.stdin.closed, sys.stdin is _IMPORT_TIME_STDIN,
            util._close_stdin.__module__)


def _report_stdin(q) -> None:
    q.put(_describe_stdin())


def _report_stdin_with_a_grandchild(q, method) -> None:
    import processing

    ctx = processing.getContext(method)
    inner = ctx.Queue()
    p = ctx.Process(target=_report_stdin, args=(inner,))
    p.start()
    grandchild = inner.get(timeout=TIMEOUT)
    p.join(TIMEOUT)
    q.put((grandchild, _describe_stdin()))


def test_the_child_reads_an_empty_stdin_and_the_parents_is_closed(ctx):
    q = ctx.Queue()
    p = ctx.Process(target=_report_stdin, args=(q,))
    p.start()
    assert q.get(timeout=TIMEOUT) == ("", False, False, "multiprocessing.util")
    p.join(TIMEOUT)
    assert p.exitcode == 0
    assert not sys.stdin.closed


def test_a_grandchild_gets_its_own_stdin_and_leaves_the_childs_open(ctx):
    q = ctx.Queue()
    p = ctx.Process(target=_report_stdin_with_a_grandchild, args=(q, ctx.get_start_method()))
    p.start()
    grandchild, child = q.get(timeout=TIMEOUT)
    p.join(TIMEOUT)
    assert grandchild == ("", False, False, "multiprocessing.util")
    assert child == ("", False, False, "multiprocessing.util")
    assert p.exitcode == 0
