"""Issue 13 with the real freezers: a build beside the user's files leaves them intact, an
earlier output of freezekit is replaced and the user's is not, a top-level import the freezer
could not find exits 3, and stdout carries only the executable's path.

One PyInstaller and one cx_Freeze build per session; the rest reuses them or is refused
before anything is frozen.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tests.freezekit.test_build_cli import GOOD
from tests.freezekit.test_build_safety import assert_intact, snapshot

pytestmark = [pytest.mark.frozen, pytest.mark.guarded,
              pytest.mark.skipif(sys.platform != "linux", reason="process guard reads /proc")]

BUILD_TIMEOUT = 600
BACKENDS = [
    "pyinstaller",
    pytest.param("cx_freeze", marks=pytest.mark.skipif(
        importlib.util.find_spec("cx_Freeze") is None, reason="cx_Freeze is not installed")),
]


def freezekit(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "freezekit", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False)


@pytest.fixture(scope="module", params=BACKENDS)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          ) -> tuple[str, Path, dict, subprocess.CompletedProcess]:
    """proj/proj.py built into proj/ itself (beside its notes), with -v: every line of the
    freezer's log went to stderr, and stdout must still be the executable's path alone."""
    backend = request.param
    root = tmp_path_factory.mktemp(f"safety-{backend}")
    (root / "proj").mkdir()
    (root / "proj" / "proj.py").write_text(GOOD)
    (root / "proj" / "NOTES.txt").write_text("notes\n")
    (root / "proj" / "assets").mkdir()
    (root / "proj" / "assets" / "a.txt").write_text("asset\n")
    before = snapshot(root)
    result = freezekit(root, "build", "proj/proj.py", "--backend", backend, "-v",
                       "--distpath", "proj", "--workpath", "proj/work",
                       "--add-data", "proj/assets:assets")
    return backend, root, before, result


def test_a_build_beside_the_apps_files_leaves_them_intact(built) -> None:
    _, root, before, result = built
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout == f"{root / 'proj' / 'proj' / 'proj'}\n"
    assert "  | " in result.stderr  # -v: the freezer's log, on stderr
    assert_intact(root, before)


def test_a_second_build_replaces_freezekits_own_output(built) -> None:
    backend, root, before, result = built
    assert result.returncode == 0, result.stderr[-3000:]
    again = freezekit(root, "build", "proj/proj.py", "--backend", backend, "-q", "--no-smoke",
                      "--distpath", "proj", "--workpath", "proj/work",
                      "--add-data", "proj/assets:assets")
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout == result.stdout and again.stderr == ""
    assert_intact(root, before)


def test_a_file_the_user_put_in_the_output_stops_the_next_build(built) -> None:
    backend, root, _, result = built
    assert result.returncode == 0, result.stderr[-3000:]
    mine = root / "proj" / "proj" / "my-config.ini"
    mine.write_text("mine\n")
    try:
        again = freezekit(root, "build", "proj/proj.py", "--backend", backend,
                          "--distpath", "proj", "--workpath", "proj/work")
        assert again.returncode == 2
        assert again.stdout == ""
        assert f"{mine} was not put there by freezekit" in again.stderr
        assert "--clean" in again.stderr
        assert mine.read_text() == "mine\n"
    finally:
        mine.unlink()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_top_level_import_the_freezer_cannot_find_exits_3(
        backend: str, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "import fk_not_installed_anywhere\n\n"
        "try:\n    import fk_optional_not_installed\nexcept ImportError:\n    pass\n\n"
        "if __name__ == '__main__':\n    print('never')\n")
    result = freezekit(tmp_path, "build", "app.py", "--backend", backend, "-q")
    assert result.returncode == 3, result.stderr[-3000:]
    assert result.stdout == ""
    assert result.stderr.startswith(
        "freezekit build: error: app.py:1: imports fk_not_installed_anywhere, which "
        f"{backend} could not find")
    assert "--hidden-import fk_not_installed_anywhere" in result.stderr
    assert "fk_optional_not_installed" not in result.stderr  # -q: warnings are progress
    assert not (tmp_path / "dist" / "app").exists()
