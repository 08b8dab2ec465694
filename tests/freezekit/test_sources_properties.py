"""The .gitignore reader used outside git work trees agrees with git itself."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from freezekit.analysis.files import discover

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

DIRS = ["", "a", "b", "a/b", "a/c", "b/a"]
FILES = ["a.py", "b.py", "ab.py", "x.py"]
PATTERNS = ["a", "b", "a.py", "*.py", "a*", "?.py", "**/b.py", "a/", "/a", "/b.py", "a/**",
            "a/b", "a/*.py", "b/a.py", "[ab].py", "[!a].py", "ab*", "**/a", "c/"]

trees = st.sets(st.tuples(st.sampled_from(DIRS), st.sampled_from(FILES)), min_size=1,
                max_size=10)
rules = st.lists(st.tuples(st.booleans(), st.sampled_from(PATTERNS)), max_size=5)
nested = st.lists(st.tuples(st.booleans(), st.sampled_from(PATTERNS)), max_size=2)


def _write(root: Path, tree: set, top: list, inner: list) -> None:
    for folder, name in tree:
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / name).write_text("")
    lines = [("!" if negate else "") + pattern for negate, pattern in top]
    (root / ".gitignore").write_text("\n".join(lines) + "\n")
    if inner and (root / "a").is_dir():
        lines = [("!" if negate else "") + pattern for negate, pattern in inner]
        (root / "a" / ".gitignore").write_text("\n".join(lines) + "\n")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees, top=rules, inner=nested)
def test_reader_matches_git(tree, top, inner):
    with tempfile.TemporaryDirectory() as tmp:
        plain, repo = Path(tmp, "plain"), Path(tmp, "repo")
        _write(plain, tree, top, inner)
        _write(repo, tree, top, inner)
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        listed = subprocess.run(
            ["git", "-C", str(repo), "ls-files", "--others", "--exclude-standard"],
            check=True, capture_output=True, text=True).stdout.split()
        expected = sorted(p for p in listed if p.endswith(".py"))
        found = sorted(Path(p).relative_to(plain).as_posix() for p in discover([str(plain)]))
        assert found == expected
