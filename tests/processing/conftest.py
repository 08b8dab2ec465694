"""Fixtures of the processing tests: no test may leave a child process behind, and the
processes that tests can share (a pool, a manager) start once per module and start method."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import processing
from processing.managers import SyncManager
from processing.pool import Pool
from tests.conftest import START_METHODS

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


@pytest.fixture(scope="module", params=START_METHODS)
def pool(request: pytest.FixtureRequest) -> Iterator[Pool]:
    """One Pool(2) per start method for a module's tests (a spawn worker costs ~70 ms to start);
    tests that end or reconfigure a pool make their own."""
    shared = processing.getContext(request.param).Pool(2)
    yield shared
    shared.terminate()
    shared.join(10)


@pytest.fixture(scope="module", params=START_METHODS)
def manager(request: pytest.FixtureRequest) -> Iterator[SyncManager]:
    """One started SyncManager per start method, shared by a module's tests."""
    with SyncManager(ctx=processing.getContext(request.param)) as started:
        yield started


@pytest.fixture(autouse=True)
def _forget_failed_authentications() -> Iterator[None]:
    """Each test starts with no rate-limited authentication warning pending (the tests
    that drop peers on purpose would otherwise print a summary when the run ends)."""
    yield
    from processing import connection

    connection._failed_authentications._reset()


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
