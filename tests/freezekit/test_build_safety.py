"""``freezekit build`` never destroys a user's files (issue 13, items 1, 4, 6 and 7).

A tree of sentinel files surrounds the app; every option that names a path is pointed at
them, and afterwards every sentinel is intact. Refusals happen before anything is frozen, so
they run against the real backends at no cost; builds that go ahead use the fake ``script``
backend of test_build_cli (a real freeze is in test_build_safety_frozen).
"""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
import time
from pathlib import Path

import pytest

from freezekit import backends, output
from freezekit.build import BuildInputError, BuildOptions, build
from freezekit.cli import main
from tests.freezekit.test_build_cli import GOOD, ScriptBackend

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="the fake executable is sh")

BACKENDS = ["script", "pyinstaller", "cx_freeze"]


class SlowScriptBackend(ScriptBackend):
    """Takes a while to 'freeze', so that a second build can arrive meanwhile."""

    name = "slow"
    started = threading.Event()

    def build(self, spec: backends.BuildSpec) -> Path:
        type(self).started.set()
        time.sleep(1.0)
        return super().build(spec)


@pytest.fixture(autouse=True)
def fake_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    module = "tests.freezekit.test_build_cli"
    monkeypatch.setitem(backends._BACKENDS, "script", f"{module}:ScriptBackend")
    monkeypatch.setitem(backends._BACKENDS, "slow", f"{__name__}:SlowScriptBackend")


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """proj/proj.py (the app) with notes, assets and an icon beside it; an earlier dist/proj
    where the user put a file; an unrelated folder; all of them sentinels."""
    monkeypatch.chdir(tmp_path)
    files = {
        "proj/proj.py": GOOD,
        "proj/NOTES.txt": "notes\n",
        "proj/assets/a.txt": "asset\n",
        "proj/icon.png": "not really a png\n",
        "dist/proj/user.txt": "the user's own file in an earlier output\n",
        "other/keep.txt": "keep\n",
        "build/setup-stuff/lib.txt": "another tool's build folder\n",
        "afile": "a file where a folder is expected\n",
    }
    for relative, text in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    return tmp_path


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every sentinel file under ``root``: its mode and content."""
    found = {}
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            found[path.relative_to(root).as_posix()] = (path.stat().st_mode, path.read_bytes())
    return found


def assert_intact(root: Path, before: dict[str, tuple[int, bytes]]) -> None:
    after = snapshot(root)
    for relative, entry in before.items():
        assert after.get(relative) == entry, f"{relative} was changed or removed"


# Each case: arguments (the app is proj/proj.py, run from the tree's root), and what the one
# error line must name. All refuse before freezing, with exit 2.
REFUSALS = [
    pytest.param(["--distpath", "."], "proj is the app's folder",
                 id="distpath-makes-output-the-app-folder"),
    pytest.param(["--distpath", "proj", "--name", "proj.py"], "is the app",
                 id="name-makes-output-the-script"),
    pytest.param(["--distpath", "proj", "--name", "NOTES.txt"], "--clean",
                 id="name-makes-output-an-existing-file"),
    pytest.param(["--distpath", "proj", "--name", "assets", "--add-data", "proj/assets:a"],
                 "is --add-data source", id="output-is-a-data-source"),
    pytest.param(["--distpath", "proj/assets", "--add-data", "proj/assets:a"],
                 "lies inside --add-data source", id="output-inside-a-data-source"),
    pytest.param(["--distpath", "proj", "--name", "icon.png", "--icon", "proj/icon.png"],
                 "is --icon", id="output-is-the-icon"),
    pytest.param(["--distpath", "..", "--name", "<tree>"], "holds the app's folder",
                 id="output-holds-the-app-folder"),
    pytest.param([], "dist/proj exists and was not made by freezekit; pass --clean",
                 id="user-file-in-earlier-output"),
    pytest.param(["--distpath", "afile"], "--distpath afile: is a file",
                 id="distpath-is-a-file"),
    pytest.param(["--distpath", "afile/sub"], "afile is a file", id="distpath-under-a-file"),
    pytest.param(["--distpath", "proj/proj.py"], "--distpath proj/proj.py: is a file",
                 id="distpath-is-the-script"),
    pytest.param(["--workpath", "afile"], "--workpath afile: is a file",
                 id="workpath-is-a-file"),
    pytest.param(["--workpath", "."], "proj is the app's folder",
                 id="workpath-makes-work-folder-the-app-folder"),
    pytest.param(["--workpath", ".", "--name", "other", "--distpath", "out"], "--clean",
                 id="workpath-makes-work-folder-an-existing-folder"),
    pytest.param(["--workpath", "proj", "--name", "proj.py", "--distpath", "out"],
                 "is the app", id="workpath-makes-work-folder-the-script"),
    pytest.param(["--distpath", "out", "--workpath", "out"], "overlap",
                 id="distpath-and-workpath-the-same"),
    pytest.param(["--distpath", "out", "--add-data", "proj/NOTES.txt:../../x"],
                 "outside the bundle", id="add-data-escapes-the-bundle"),
    pytest.param(["--distpath", "out", "--add-data", "proj/NOTES.txt:/etc/x"],
                 "outside the bundle", id="add-data-absolute-destination"),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("args", "message"), REFUSALS)
def test_a_path_option_aimed_at_the_users_files_is_refused_and_they_stay_intact(
        tree: Path, backend: str, args: list[str], message: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(tree)
    args = [arg.replace("<tree>", tree.name) for arg in args]
    assert main(["build", "proj/proj.py", "--backend", backend, *args]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("freezekit build: error: "), err
    assert message in lines[0]
    assert_intact(tree, before)
    assert not (tree / "out").exists()


@pytest.mark.parametrize(("backend", "args"), [
    ("pyinstaller", ["--", "--distpath", "proj"]),
    ("pyinstaller", ["--", "--specpath=proj"]),
    ("pyinstaller", ["--", "-nproj"]),
    ("cx_freeze", ["--", "--build-exe=proj"]),
    ("cx_freeze", ["--", "--include-files=proj/NOTES.txt=../../x"]),
])
def test_freezer_options_that_would_bypass_the_path_checks_are_refused(
        tree: Path, backend: str, args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(tree)
    assert main(["build", "proj/proj.py", "--backend", backend, "--distpath", "out", *args]) == 2
    err = capsys.readouterr().err
    assert f"freezekit sets this option of {backend} itself" in err
    assert_intact(tree, before)


@posix_only
@pytest.mark.timeout(120)
@pytest.mark.parametrize("args", [
    ["--distpath", "proj"],  # proj/proj: a new folder beside the app's files
    ["--workpath", "proj", "--distpath", "out"],  # work folder proj/proj
    ["--distpath", "out", "--name", "NOTES.txt"],  # a name that exists elsewhere
    ["--distpath", "out", "--add-data", "proj/assets:assets", "--icon", "proj/icon.png"],
    ["--distpath", "out", "--workpath", "build"],  # another tool's build folder is left alone
])
def test_builds_that_go_ahead_leave_every_sentinel_intact(
        tree: Path, args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(tree)
    assert main(["build", "proj/proj.py", "--backend", "script", "-q", *args]) == 0
    out, err = capsys.readouterr()
    assert Path(out.strip()).is_file() and err == ""
    assert_intact(tree, before)


@posix_only
@pytest.mark.timeout(120)
def test_an_earlier_output_of_freezekit_is_replaced_and_a_changed_one_is_not(
        tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build_ = ["build", "proj/proj.py", "--backend", "script", "-q", "--distpath", "out"]
    assert main(build_) == 0
    exe = Path(capsys.readouterr().out.strip())
    manifest = json.loads((tree / "out" / ".proj.freezekit").read_text())
    assert manifest["output"] == "proj" and "proj" in manifest["entries"]
    assert main(build_) == 0  # ours, unchanged: replaced
    assert Path(capsys.readouterr().out.strip()) == exe

    exe.write_text(exe.read_text() + "# the user's edit\n")
    assert main(build_) == 2
    err = capsys.readouterr().err
    assert f"{exe} changed since freezekit built it" in err and "--clean" in err
    assert exe.read_text().endswith("# the user's edit\n")

    (tree / "out" / "proj" / "mine.txt").write_text("mine")
    before = snapshot(tree)
    assert main(build_) == 2
    assert "out/proj/mine.txt was not put there by freezekit" in capsys.readouterr().err
    assert_intact(tree, before)
    assert main([*build_, "--clean"]) == 0  # asked for: replaced
    assert not (tree / "out" / "proj" / "mine.txt").exists()
    assert (tree / "proj" / "proj.py").read_text() == GOOD


@posix_only
@pytest.mark.timeout(120)
def test_clean_never_touches_the_app_or_its_inputs(
        tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(tree)
    assert main(["build", "proj/proj.py", "--backend", "script", "--clean",
                 "--distpath", "."]) == 2
    assert "proj is the app's folder" in capsys.readouterr().err
    assert_intact(tree, before)


@posix_only
@pytest.mark.timeout(120)
def test_a_replaced_folder_output_keeps_no_staging_or_old_copy(
        tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build_ = ["build", "proj/proj.py", "--backend", "script", "-q", "--distpath", "out"]
    assert main(build_) == 0 and main(build_) == 0
    capsys.readouterr()
    assert sorted(p.name for p in (tree / "out").iterdir()) == [
        ".proj.freezekit", ".proj.freezekit-lock", "proj"]


@posix_only
@pytest.mark.timeout(120)
def test_a_second_build_into_the_same_output_waits_for_the_first(tree: Path) -> None:
    results: dict[str, object] = {}

    def first() -> None:
        results["first"] = build(BuildOptions("proj/proj.py", backend="slow", distpath="out"))

    SlowScriptBackend.started.clear()
    thread = threading.Thread(target=first)
    thread.start()
    assert SlowScriptBackend.started.wait(30)
    waited: list[str] = []
    second = build(BuildOptions("proj/proj.py", backend="script", distpath="out"),
                   progress=waited.append)
    thread.join(60)
    assert not thread.is_alive()
    assert any("waiting for another build" in line for line in waited)
    # Both verified their own executable; the second replaced the first's, whole.
    assert results["first"].self_test is not None and second.self_test is not None
    output.check_replaceable(tree / "out" / "proj")


@posix_only
@pytest.mark.timeout(120)
def test_a_build_that_cannot_get_the_lock_in_time_fails_clearly(tree: Path) -> None:
    SlowScriptBackend.started.clear()
    thread = threading.Thread(target=build, args=(
        BuildOptions("proj/proj.py", backend="slow", distpath="out", smoke=False),))
    thread.start()
    try:
        assert SlowScriptBackend.started.wait(30)
        with pytest.raises(BuildInputError, match=r"another freezekit build has been writing "
                           r"it for over 0.2 s .*another --distpath"):
            build(BuildOptions("proj/proj.py", backend="script", distpath="out",
                               lock_timeout=0.2))
    finally:
        thread.join(60)


@posix_only
def test_an_unwritable_distpath_is_one_line_and_exit_2(
        tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    (tree / "ro").mkdir()
    (tree / "ro").chmod(stat.S_IRUSR | stat.S_IXUSR)
    assert main(["build", "proj/proj.py", "--backend", "script", "--distpath", "ro"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "ro" in err


@posix_only
@pytest.mark.timeout(120)
@pytest.mark.parametrize("mode", [[], ["-q"], ["-v"], ["--no-smoke"], ["--no-check"]])
def test_stdout_is_the_executables_path_and_nothing_else_in_every_mode(
        tree: Path, mode: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    # A warning finding (FK003: no freeze_support() in the guard) goes to stderr too.
    (tree / "proj" / "proj.py").write_text(GOOD.replace("    freezeSupport()\n", ""))
    assert main(["build", "proj/proj.py", "--backend", "script", "--distpath", "out",
                 *mode]) == 0
    out, err = capsys.readouterr()
    assert out == f"{tree / 'out' / 'proj' / 'proj'}\n"
    if mode != ["-q"]:
        assert "freezekit build: " in err


@pytest.mark.parametrize("mode", [[], ["-q"], ["-v"]])
def test_a_refused_app_prints_nothing_on_stdout(
        tree: Path, mode: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from tests.freezekit.test_build_cli import UNGUARDED

    (tree / "proj" / "proj.py").write_text(UNGUARDED)
    assert main(["build", "proj/proj.py", "--distpath", "out", *mode]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "proj/proj.py:8:5: FK001 " in err
