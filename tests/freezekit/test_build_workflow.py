"""``freezekit build`` in a project's workflow: the build declared in pyproject.toml, --json,
what it shows on a terminal while the freezer runs, and where warnings go."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest

from freezekit import backends
from freezekit.backends import BuildSpec
from freezekit.cli import main
from freezekit.progress import Progress
from tests.freezekit.test_build_cli import GOOD, ScriptBackend, posix_only

WARNED = GOOD.replace("    freezeSupport()\n", "")  # FK003, a warning: builds


class TalkingBackend(ScriptBackend):
    """Says something while it "freezes", slowly enough for the live line to show it."""

    name = "talking"

    def build(self, spec: BuildSpec) -> Path:
        if spec.echo is not None:
            spec.echo("INFO: Analyzing app")
            time.sleep(0.5)
            spec.echo("INFO: Building EXE")
            time.sleep(0.3)
        return super().build(spec)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setitem(backends._BACKENDS, "script", f"{ScriptBackend.__module__}:ScriptBackend")
    monkeypatch.setitem(backends._BACKENDS, "talking", f"{__name__}:TalkingBackend")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(GOOD)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.freezekit.build]\nscript = "src/app.py"\nname = "tool"\nbackend = "script"\n'
        'hidden-imports = ["json.decoder"]\nfreezer-args = ["--flag"]\n')
    return tmp_path


@posix_only
@pytest.mark.timeout(60)
def test_build_without_an_argument_builds_what_the_project_declares(project, capsys):
    assert main(["build", "-q"]) == 0
    out = capsys.readouterr().out
    assert out == f"{(project / 'dist' / 'tool' / 'tool').resolve()}\n"
    spec = ScriptBackend.last_spec
    assert spec.hidden_imports == ["json.decoder"] and spec.extra_args == ["--flag"]
    assert spec.app_module == "app"


@posix_only
@pytest.mark.timeout(60)
def test_build_json_reports_the_result(project, capsys):
    (project / "src" / "app.py").write_text(WARNED)
    assert main(["build", "--json", "--name", "other"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    result = json.loads(out)
    assert result["executable"] == str((project / "dist" / "other" / "other").resolve())
    assert result["backend"] == "script"
    assert [w["code"] for w in result["warnings"]] == ["FK003"]
    assert result["warnings"][0]["url"].endswith("FK003.md")
    assert isinstance(result["self_test"], dict) and result["self_test"]
    assert set(result["timings"]) == {"check", "freeze", "self_test", "total"}
    assert all(seconds >= 0 for seconds in result["timings"].values())
    assert Path(result["log"]).name == "other.freezekit.log"


@posix_only
@pytest.mark.timeout(60)
def test_warnings_come_before_the_built_line_and_the_path_stays_last(project, capsys):
    (project / "src" / "app.py").write_text(WARNED)
    assert main(["build"]) == 0
    out, err = capsys.readouterr()
    lines = err.splitlines()
    warning = next(i for i, line in enumerate(lines) if " FK003 " in line)
    built = next(i for i, line in enumerate(lines) if line.startswith("freezekit build: built "))
    assert warning < built == len(lines) - 1
    assert out.splitlines() == [str((project / "dist" / "tool" / "tool").resolve())]


@posix_only
@pytest.mark.timeout(60)
def test_on_a_terminal_a_live_line_shows_the_stage_seconds_and_the_freezer(
        project, capsys, monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert main(["build", "--backend", "talking"]) == 0
    shown = terminal.getvalue()
    assert "\r\x1b[2K" in shown
    live = [part for part in shown.split("\r\x1b[2K") if "freezing" in part and " s" in part]
    assert any("INFO: Analyzing app" in part for part in live)
    assert any("INFO: Building EXE" in part for part in live)
    # The stage lines stay, the live line is gone at the end, the path is stdout's last line.
    assert shown.rstrip("\n").split("\n")[-1].endswith("freezekit build: built tool in "
                                                      f"{shown.rsplit(' in ', 1)[1].strip()}")
    assert capsys.readouterr().out.strip().endswith("/dist/tool/tool")


@posix_only
@pytest.mark.timeout(60)
def test_not_on_a_terminal_plain_lines_and_verbose_streams_the_log(project, capsys):
    assert main(["build", "--backend", "talking"]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and "\x1b" not in err and "INFO: Analyzing" not in err
    assert all(line.startswith("freezekit build: ") for line in err.splitlines())
    assert main(["build", "--backend", "talking", "-v"]) == 0
    err = capsys.readouterr().err
    assert "  | INFO: Analyzing app\n  | INFO: Building EXE\n" in err and "\r" not in err


def test_progress_timings_follow_the_stage_lines() -> None:
    progress = Progress(io.StringIO(), live=False)
    for line in ("checked app.py: no errors, 0 warnings (0.0 s)", "freezing app.py with x",
                 "froze dist/app (1.0 s)", "verified: ok (0.5 s)", "built app in 2.0 s"):
        progress.stage(line)
    assert set(progress.timings()) == {"check", "freeze", "self_test", "total"}
    assert "built" not in progress.stream.getvalue()
    progress.release()
    assert progress.stream.getvalue().splitlines()[-1] == "freezekit build: built app in 2.0 s"


def test_quiet_progress_prints_nothing() -> None:
    stream = Terminal()
    progress = Progress(stream, quiet=True)
    progress.start()
    progress.stage("freezing app.py with x")
    time.sleep(0.25)
    progress.close()
    progress.release()
    assert stream.getvalue() == ""
