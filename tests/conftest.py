"""Shared fixtures: every processing test runs once per start method."""

from __future__ import annotations

import pytest

import processing

START_METHODS = processing.allStartMethods()


@pytest.fixture(params=START_METHODS)
def start_method(request: pytest.FixtureRequest) -> str:
    """Each start method available here: fork, spawn, forkserver on Linux."""
    return request.param


@pytest.fixture
def ctx(start_method: str):
    """A processing context bound to ``start_method``."""
    return processing.getContext(start_method)
