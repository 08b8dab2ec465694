"""The cx_Freeze backend's options and errors, without building an executable."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from freezekit.backends import BuildSpec, DataFile, get_backend
from freezekit.cli import main

APP = "import processing\n\nif __name__ == '__main__':\n    processing.freezeSupport()\n"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    path = tmp_path / "app.py"
    path.write_text(APP)
    return path


def _build(app: Path, *options: str) -> list[str]:
    return ["build", str(app), "--backend", "cx_freeze", "--distpath", str(app.parent / "dist"),
            "--workpath", str(app.parent / "build"), *options]


def test_onefile_is_a_usage_error_that_says_what_to_do(app: Path, capsys) -> None:
    assert main(_build(app, "--onefile")) == 2
    err = capsys.readouterr().err
    assert "cx_Freeze has no onefile mode" in err
    assert "--backend pyinstaller --onefile" in err
    assert not (app.parent / "dist").exists()


def test_missing_cx_freeze_says_how_to_install_it(app: Path, capsys, monkeypatch) -> None:
    # A None entry in sys.modules makes the package unfindable, as if not installed.
    monkeypatch.setitem(sys.modules, "cx_Freeze", None)
    assert main(_build(app)) == 3
    assert "pip install 'processing-freezekit[cxfreeze]'" in capsys.readouterr().err
    assert not (app.parent / "dist").exists()


def test_options_map_to_cx_freeze_equivalents(tmp_path: Path) -> None:
    icon = tmp_path / "app.png"
    spec = BuildSpec(
        name="My App", entry_script=tmp_path / "entry.py", app_module="app",
        module_paths=[tmp_path], distpath=tmp_path / "dist", workpath=tmp_path / "build",
        windowed=True, icon=icon, data=[DataFile(tmp_path / "assets", "share/assets")],
        hidden_imports=["json.tool"], extra_args=["--excludes=tkinter"])
    options = get_backend("cx_freeze").options(spec)
    assert options["executable"] == {"script": str(tmp_path / "entry.py"),
                                     "target_name": "My App", "base": "gui", "icon": str(icon)}
    build_exe = options["build_exe"]
    assert build_exe["build_exe"] == str(tmp_path / "dist" / "My App")
    assert build_exe["path"] == [str(tmp_path)]
    assert build_exe["includes"] == ["app", "freezekit.runtime.selftest",
                                     "freezekit.runtime.appcheck", "json.tool"]
    assert build_exe["packages"] == ["processing"]
    assert build_exe["include_files"] == [[str(tmp_path / "assets"), "share/assets"]]
    # The log holds warnings and errors unless -v (an echo) asks for cx_Freeze's every line.
    assert build_exe["silent_level"] == 1
    spec.echo = print
    assert get_backend("cx_freeze").options(spec)["build_exe"]["silent_level"] == 0
    assert options["script_args"] == ["build_exe", "--excludes=tkinter"]


@pytest.mark.skipif(importlib.util.find_spec("cx_Freeze") is None,
                    reason="cx_Freeze is not installed: pip install '.[cxfreeze]'")
def test_a_failing_freeze_exits_3_with_the_log_tail_and_path(app: Path, capsys) -> None:
    assert main(_build(app, "--", "--no-such-cx-freeze-option")) == 3
    err = capsys.readouterr().err
    assert "cx_Freeze failed" in err
    assert "option --no-such-cx-freeze-option not recognized" in err
    log = app.parent / "build" / "app" / "app.freezekit.log"
    assert f"full log: {log}" in err
    assert "--no-such-cx-freeze-option" in log.read_text()
