"""What ``fix`` and ``check`` do to the files they are given (issue 13, items 4 and 5).

``fix`` replaces a file in one step through a new file beside it: it keeps the owner, group
and mode, refuses a read-only file or one it cannot write beside, leaves no temporary file,
and says when hard links keep the old text. Neither command reads a device or a FIFO.
"""

from __future__ import annotations

import os
import stat
import sys
import threading
from pathlib import Path

import pytest

from freezekit.cli import main

UNSAFE = "import multiprocessing as mp\n\ndef f():\n    pass\n\np = mp.Process(target=f)\np.start()\n"

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX owners and modes")
root_only = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                               reason="giving a file to another user needs root")


@pytest.fixture
def app(tmp_path: Path) -> Path:
    path = tmp_path / "app.py"
    path.write_text(UNSAFE)
    return path


def only_file_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def one_error_line(err: str, path: Path, *words: str, command: str = "fix") -> None:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"freezekit {command}: error: {path}: "), err
    for word in words:
        assert word in lines[0]


@posix_only
@root_only
def test_fix_keeps_another_users_ownership_and_mode(app: Path) -> None:
    os.chown(app, 1234, 5678)
    app.chmod(0o640)
    assert main(["fix", str(app)]) == 0
    info = app.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (1234, 5678, 0o640)
    assert "freeze_support()" in app.read_text()
    assert only_file_in(app.parent) == ["app.py"]


@posix_only
def test_fix_keeps_the_mode_and_group_of_its_own_file(app: Path) -> None:
    app.chmod(0o750)
    assert main(["fix", str(app)]) == 0
    assert stat.S_IMODE(app.stat().st_mode) == 0o750
    assert only_file_in(app.parent) == ["app.py"]


@posix_only
@pytest.mark.parametrize("mode", [0o444, 0o400, 0o555])
def test_fix_refuses_a_read_only_file(app: Path, mode: int,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    app.chmod(mode)
    assert main(["fix", str(app)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    one_error_line(err, app, f"read-only (mode {mode:04o})", "chmod u+w", "--diff")
    assert app.read_text() == UNSAFE
    assert only_file_in(app.parent) == ["app.py"]
    # A preview writes nothing, so it is allowed (exit 1: there is a diff, as with ruff).
    assert main(["fix", "--diff", str(app)]) == 1


@posix_only
def test_fix_in_a_folder_it_cannot_write_is_one_line_and_exit_2(
        app: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    if os.geteuid() == 0:
        # Root writes in any folder: make creating the new file fail as it would for a user.
        import tempfile

        def denied(*args: object, **kwargs: object) -> None:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(tempfile, "mkstemp", denied)
    else:
        app.parent.chmod(0o555)
    try:
        assert main(["fix", str(app)]) == 2
    finally:
        app.parent.chmod(0o755)
    one_error_line(capsys.readouterr().err, app, "cannot create a file in its folder",
                   "Permission denied", "nothing written")
    assert app.read_text() == UNSAFE
    assert only_file_in(app.parent) == ["app.py"]


@posix_only
@root_only
def test_fix_refuses_what_it_cannot_give_back_to_the_owner(
        app: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    os.chown(app, 1234, 5678)

    def denied(*args: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "fchown", denied)  # what a user other than root meets
    assert main(["fix", str(app)]) == 2
    one_error_line(capsys.readouterr().err, app, "belongs to user 1234, group 5678",
                   "Run fix as the file's owner")
    assert app.read_text() == UNSAFE and app.stat().st_uid == 1234
    assert only_file_in(app.parent) == ["app.py"]


@posix_only
def test_a_failed_write_leaves_no_temporary_file(
        app: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    assert main(["fix", str(app)]) == 2
    one_error_line(capsys.readouterr().err, app, "No space left on device", "nothing written")
    assert app.read_text() == UNSAFE
    assert only_file_in(app.parent) == ["app.py"]


@posix_only
def test_an_interrupted_write_leaves_no_temporary_file(
        app: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        main(["fix", str(app)])
    assert app.read_text() == UNSAFE
    assert only_file_in(app.parent) == ["app.py"]


@posix_only
def test_hard_links_keep_the_old_text_and_fix_says_so(
        app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = app.parent / "other-name.py"
    os.link(app, other)
    assert main(["fix", str(app)]) == 0
    err = capsys.readouterr().err
    assert f"{app} had 2 hard links" in err and "the other names still hold the old text" in err
    assert "freeze_support()" in app.read_text()
    assert other.read_text() == UNSAFE


@posix_only
@pytest.mark.timeout(30)
@pytest.mark.parametrize("command", ["check", "fix"])
def test_check_and_fix_refuse_a_fifo_without_blocking(
        tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "app.py"
    os.mkfifo(fifo)
    # Nothing ever writes to the FIFO: reading it would block forever.
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(main([command, str(fifo)])),
                              daemon=True)
    thread.start()
    thread.join(20)
    assert result == [2]
    one_error_line(capsys.readouterr().err, fifo, "not a regular file", command=command)


@posix_only
@pytest.mark.parametrize("command", ["check", "fix"])
def test_check_and_fix_refuse_a_device(command: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "/dev/zero"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    one_error_line(err, Path("/dev/zero"), "not a regular file", command=command)
