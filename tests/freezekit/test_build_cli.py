"""``freezekit build`` as a command: exit statuses, messages and the output contract.

A fake backend that "freezes" by writing a shell script around ``python entry.py`` runs the
whole pipeline (check, entry script, backend, self-test) in a second; PyInstaller runs for
real only where its own failure is the point, and then fails at once.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from freezekit import backends
from freezekit.backends import Backend, BuildSpec
from freezekit.backends.pyinstaller import PyInstallerBackend
from freezekit.cli import main

GOOD = """\
from processing import Process, freezeSupport


def work():
    print("child")


if __name__ == "__main__":
    freezeSupport()
    p = Process(target=work)
    p.start()
    p.join()
"""

UNGUARDED = """\
from processing import Process


def work():
    pass


p = Process(target=work)
p.start()
"""

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="the fake executable is sh")


class ScriptBackend(Backend):
    """Freezes nothing: the 'executable' runs the entry script with this Python."""

    name = "script"
    supports_onefile = False
    install_hint = "nothing to install"
    last_spec: BuildSpec | None = None
    body = 'PYTHONPATH="{paths}" exec "{python}" "{entry}" "$@"'

    def is_available(self) -> bool:
        return True

    def build(self, spec: BuildSpec) -> Path:
        type(self).last_spec = spec
        exe = spec.distpath / spec.name / spec.name
        exe.parent.mkdir(parents=True, exist_ok=True)
        paths = os.pathsep.join(str(p) for p in spec.module_paths)
        exe.write_text("#!/bin/sh\n" + self.body.format(
            paths=paths, python=sys.executable, entry=spec.entry_script) + "\n")
        exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
        return exe


class BrokenScriptBackend(ScriptBackend):
    """Its 'executable' runs the app for every launch, like a program without our entry."""

    body = 'echo "the app ran instead of the self-test"; exit 1'


class OneLaunchBrokenBackend(ScriptBackend):
    """Its 'executable' works, except that the stdlib's fork server launch fails."""

    body = ('[ "$2" = stdlib-forkserver ] && {{ echo "forkserver launch broken" >&2; exit 1; }}\n'
            + ScriptBackend.body)


class OneLaunchBombBackend(ScriptBackend):
    """Its 'executable' works, except that the spawn launch re-runs the program without end,
    as an unrecognised launch would: each run starts the next (a chain, which the guard stops
    at once even on a loaded machine)."""

    body = ('[ "$2" = stdlib-spawn ] && {{ sleep 0.1; "$0" "$@"; exit 1; }}\n'
            + ScriptBackend.body)


@pytest.fixture
def fake_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(backends._BACKENDS, "script", f"{__name__}:ScriptBackend")
    monkeypatch.setitem(backends._BACKENDS, "broken", f"{__name__}:BrokenScriptBackend")
    monkeypatch.setitem(backends._BACKENDS, "one-broken", f"{__name__}:OneLaunchBrokenBackend")
    monkeypatch.setitem(backends._BACKENDS, "one-bomb", f"{__name__}:OneLaunchBombBackend")


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "app.py"
    path.write_text(GOOD)
    return path


def _build(*args: str) -> int:
    return main(["build", *args])


@posix_only
@pytest.mark.timeout(60)
def test_build_prints_the_executable_last_and_its_stages_on_stderr(
        app: Path, fake_backends: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert _build(str(app), "--backend", "script") == 0
    out, err = capsys.readouterr()
    exe = Path(out.splitlines()[-1])
    assert exe == (app.parent / "dist" / "app" / "app").resolve()
    for stage in ("checked", "freezing", "froze", "verified", "built app in"):
        assert stage in err
    assert " s)" in err  # elapsed times


@posix_only
@pytest.mark.timeout(60)
def test_quiet_build_prints_only_the_executable(app: Path, fake_backends: None,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert _build(str(app), "--backend", "script", "-q", "--name", "tool") == 0
    out, err = capsys.readouterr()
    assert out.strip() == str((app.parent / "dist" / "tool" / "tool").resolve())
    assert err == ""


@posix_only
def test_options_and_arguments_after_double_dash_reach_the_backend(
        app: Path, fake_backends: None, tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    assert _build(str(app), "--backend", "script", "-q", "--no-smoke", "--add-data",
                  "assets:data", "--hidden-import", "json.decoder", "--distpath", "out",
                  "--", "--log-level", "DEBUG", "x") == 0
    spec = ScriptBackend.last_spec
    assert spec is not None
    assert spec.extra_args == ["--log-level", "DEBUG", "x"]
    assert [(d.source, d.dest) for d in spec.data] == [((tmp_path / "assets").resolve(),
                                                        "data")]
    assert spec.hidden_imports == ["json.decoder"]
    # The freezer writes into a staging folder of ours inside DIST, swapped into place after.
    assert spec.distpath.parent == (tmp_path / "out").resolve()
    assert (tmp_path / "out" / "app" / "app").is_file()
    assert [p.name for p in (tmp_path / "out").iterdir() if "-new-" in p.name] == []
    assert spec.app_module == "app"


@posix_only
@pytest.mark.timeout(60)
def test_a_program_that_fails_its_self_test_exits_3(
        app: Path, fake_backends: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert _build(str(app), "--backend", "broken") == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert "self-test" in err and "the app ran instead of the self-test" in err


@posix_only
@pytest.mark.timeout(120)
def test_verified_names_exactly_the_launches_that_ran(
        app: Path, fake_backends: None, capsys: pytest.CaptureFixture[str]) -> None:
    from freezekit.runtime.selftest import available_launches

    assert _build(str(app), "--backend", "script") == 0
    err = capsys.readouterr().err
    verified = next(line for line in err.splitlines() if "verified:" in line)
    assert verified.split("through ")[1].split(" (")[0] == ", ".join(available_launches())
    if sys.platform == "linux":
        assert available_launches() == ["processing-spawn", "processing-forkserver",
                                        "stdlib-spawn", "stdlib-forkserver",
                                        "process-pool-executor"]


@posix_only
@pytest.mark.timeout(120)
def test_a_program_that_fails_one_launch_exits_3_and_names_it(
        app: Path, fake_backends: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert _build(str(app), "--backend", "one-broken") == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert "failed for stdlib-forkserver (1 of " in err
    assert "- stdlib-forkserver (multiprocessing forkserver with its resource tracker): " \
           "it exited with status 1" in err
    assert "forkserver launch broken" in err
    assert "verified" not in err


@posix_only
@pytest.mark.guarded
@pytest.mark.timeout(120)
def test_a_launch_that_starts_processes_without_end_is_stopped_and_named(
        app: Path, fake_backends: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert _build(str(app), "--backend", "one-bomb") == 3
    err = capsys.readouterr().err
    assert "failed for stdlib-spawn (1 of " in err
    assert "started more than 16 processes (stopped)" in err


def test_check_errors_refuse_the_build_and_suggest_fix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.py").write_text(UNGUARDED)
    assert _build("bad.py") == 1
    out, err = capsys.readouterr()
    assert out == ""  # stdout is for the executable's path only
    assert err.startswith("bad.py:8:5: FK001 ")
    assert "freezekit fix bad.py" in err and "--no-check" in err
    assert not (tmp_path / "dist").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["missing.py"], "missing.py: no such file"),
    (["notes.txt"], "notes.txt: not a Python script"),
    (["app.py", "--name", "../x"], "--name '../x'"),
    (["app.py", "--add-data", "nocolon"], "--add-data 'nocolon': expected SRC:DEST"),
    (["app.py", "--add-data", "nowhere:dest"], "nowhere does not exist"),
    (["app.py", "--icon", "none.ico"], "--icon none.ico: no such file"),
    (["app.py", "--hidden-import", "not-a-module"], "'not-a-module': not a module name"),
])
def test_bad_input_exits_2_naming_the_argument(
        app: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    (app.parent / "notes.txt").write_text("")
    assert _build(*args) == 2
    err = capsys.readouterr().err
    assert err.startswith("freezekit build: error: ") and message in err


def test_an_unknown_backend_is_a_usage_error(app: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        _build(str(app), "--backend", "no-such-freezer")
    assert exit_.value.code == 2
    assert "invalid choice: 'no-such-freezer'" in capsys.readouterr().err


def test_an_option_the_backend_cannot_honour_exits_2(
        app: Path, fake_backends: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert _build(str(app), "--backend", "script", "--onefile") == 2
    assert "the script backend does not support --onefile" in capsys.readouterr().err


def test_missing_pyinstaller_says_how_to_install_it(
        app: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(PyInstallerBackend, "is_available", lambda self: False)
    assert _build(str(app)) == 3
    err = capsys.readouterr().err
    assert "pyinstaller" in err and "pip install" in err


@pytest.mark.timeout(90)
def test_a_failing_freezer_exits_3_with_its_log_tail_and_log_path(
        app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # PyInstaller rejects the option at once, before any analysis.
    assert _build(str(app), "--", "--no-such-pyinstaller-option") == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert "PyInstaller failed" in err
    assert "--no-such-pyinstaller-option" in err
    log = Path(err.rsplit("full log: ", 1)[1].split()[0])
    assert log.is_file() and "--no-such-pyinstaller-option" in log.read_text()
