"""Fixtures of the processing tests: no test may leave a child process behind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import processing

_GRACE = 5.0


def _reap_leftovers() -> list[str]:
    """Terminate and join whatever children are still running; return their reprs."""
    leftovers = processing.activeChildren()
    for child in leftovers:
        child.join(_GRACE if not child.daemon else 0)
    leftovers = processing.activeChildren()
    names = [repr(child) for child in leftovers]
    for child in leftovers:
        child.kill()
        child.join(_GRACE)
    return names


@pytest.fixture
def no_leftover_children() -> Iterator[None]:
    """Fail the test (at teardown) if it left children running; kill them either way."""
    yield
    leftovers = _reap_leftovers()
    assert leftovers == [], f"the test left children running: {leftovers}"


@pytest.fixture(scope="session", autouse=True)
def no_children_after_the_suite() -> Iterator[None]:
    """After every test has run, this process has no children left (a leak check)."""
    yield
    leftovers = _reap_leftovers()
    assert leftovers == [], f"children still running after the suite: {leftovers}"
