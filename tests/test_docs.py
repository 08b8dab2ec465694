"""The documentation site: it builds with no warnings, and its examples run and print what
the page says they print.

Every ```python block in docs/ (outside docs/rules/, whose bad and fixed examples
tests/freezekit test against the rules) is a whole program; a ```text block right after it is its
expected output. Each runs under the spawn start method (the strictest: the child imports
the example) in the process-count guard.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from freezekit.guard import run_guarded

DOCS = Path(__file__).resolve().parent.parent / "docs"
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _examples() -> list[tuple[str, str, str | None]]:
    """(page:line, code, expected output or None) for every python block in the docs."""
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        if "_build" in page.parts or "rules" in page.relative_to(DOCS).parts:
            continue
        text = page.read_text(encoding="utf-8")
        blocks = list(FENCE.finditer(text))
        for i, block in enumerate(blocks):
            if block.group(1) != "python":
                continue
            expected = None
            if i + 1 < len(blocks) and blocks[i + 1].group(1) == "text":
                between = text[block.end():blocks[i + 1].start()]
                if not between.strip():
                    expected = blocks[i + 1].group(2)
            line = text.count("\n", 0, block.start()) + 1
            found.append((f"{page.relative_to(DOCS)}:{line}", block.group(2), expected))
    return found


EXAMPLES = _examples()


def test_the_docs_have_examples():
    assert len(EXAMPLES) >= 10


@pytest.mark.guarded
@pytest.mark.parametrize("where,code,expected", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_example_runs_and_prints_what_the_page_says(where, code, expected, tmp_path):
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    env = dict(os.environ, PROCESSING_START_METHOD="spawn")
    result = run_guarded([sys.executable, str(script)], timeout=90, max_procs=16,
                         cwd=tmp_path, env=env)
    assert not result.bomb_stopped and not result.timed_out, (where, result.stderr)
    assert result.returncode == 0, (where, result.stderr)
    if expected is not None:
        assert result.stdout == expected, where


def test_the_site_builds_without_warnings(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         str(DOCS), str(tmp_path / "html")],
        capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "html" / "index.html").exists()
