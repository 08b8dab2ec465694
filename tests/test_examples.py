"""The bundled examples run as they are, under every start method, and print what they say.

Each runs in its own session under the process-count guard: an example that started
processes at import time would be stopped, not left to recurse.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from freezekit.guard import run_guarded

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# What each example prints: a regular expression per line, in order.
EXPECTED = {
    "hello.py": [r"hello"],
    "workers.py": [r"200 tasks done by [1-4] workers, sum of squares 2646700"],
    "pool.py": [
        r"map: \[0, 1, 8, 27, 64, 125, 216, 343\]",
        r"applyAsync: 3\.143",
        r"the worker's error came back: ZeroDivisionError",
    ],
    "manager.py": [r"dict: \{0: 0, 1: 10, 2: 20, 3: 30\}", r"list: \[0, 1, 2, 3\]"],
}


def test_every_example_has_an_expectation():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("example", sorted(EXPECTED))
def test_example_runs_and_prints_what_it_says(example: str, start_method: str) -> None:
    env = dict(os.environ, PROCESSING_START_METHOD=start_method)
    result = run_guarded([sys.executable, str(EXAMPLES / example)], timeout=90, max_procs=16,
                         cwd=EXAMPLES, env=env)
    assert not result.bomb_stopped and not result.timed_out, result.stderr
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(EXPECTED[example]), result.stdout
    for line, pattern in zip(lines, EXPECTED[example]):
        assert re.fullmatch(pattern, line), (line, pattern)


@pytest.mark.parametrize("example", sorted(EXPECTED))
def test_example_is_safe_to_freeze(example: str) -> None:
    import freezekit

    assert freezekit.check(EXAMPLES / example) == []
