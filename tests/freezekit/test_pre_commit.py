"""The hooks in .pre-commit-hooks.yaml, run by pre-commit itself on a sample repository.

The sample's .pre-commit-config.yaml names this repository at its HEAD commit (so what is
tested is what is committed), and pre-commit installs it into a virtualenv of its own
(offline, from the local package index; about 40 s, once per module), as it would for a
project that lists it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pre_commit")

ROOT = Path(__file__).resolve().parents[2]
BAD = "import multiprocessing as mp\n\n\ndef square(x):\n    return x * x\n\n\npool = mp.Pool(2)\n"

pytestmark = [
    pytest.mark.timeout(900),
    pytest.mark.skipif(not (ROOT / ".git").exists() or shutil.which("git") is None,
                       reason="pre-commit reads hooks from a git repository"),
]


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    repo = tmp_path / "sample"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "dev@example.com")
    git(repo, "config", "user.name", "dev")
    (repo / "app.py").write_text(BAD)
    (repo / "README.txt").write_text("not python\n")
    git(repo, "add", ".")
    return repo


def try_repo(repo: Path, hook: str, home: Path) -> subprocess.CompletedProcess[str]:
    """`pre-commit run HOOK --all-files` with this repository's hooks at HEAD."""
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {ROOT.as_posix()}\n  rev: {head}\n"
        "  hooks:\n  - id: freezekit-check\n  - id: freezekit-fix\n")
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", hook, "--all-files"],
        cwd=repo, env=env, capture_output=True, text=True, check=False, timeout=850)


def test_hooks_file_declares_check_and_fix() -> None:
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    for hook in ("freezekit-check", "freezekit-fix"):
        assert f"- id: {hook}" in text
    assert "types: [python]" in text


def test_check_hook_fails_on_findings_then_fix_hook_repairs_and_check_passes(
        sample: Path, pre_commit_home: Path) -> None:
    check = try_repo(sample, "freezekit-check", pre_commit_home)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "app.py:8:8: FK001 multiprocessing.Pool() runs at import time" in check.stdout
    assert "README.txt" not in check.stdout

    fix = try_repo(sample, "freezekit-fix", pre_commit_home)
    assert fix.returncode == 1  # pre-commit fails a hook that modified files
    assert "files were modified by this hook" in fix.stdout
    assert "Fixed app.py: moved 1 statement" in fix.stdout
    assert 'if __name__ == "__main__":' in (sample / "app.py").read_text()

    git(sample, "add", ".")
    again = try_repo(sample, "freezekit-check", pre_commit_home)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Passed" in again.stdout
