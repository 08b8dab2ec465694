"""The entry script: rendering, the module name the app is bundled under, and dispatch.

The rendered script is run here by plain ``python`` with the app's folder on PYTHONPATH,
which is how a frozen program runs it, minus the freezer.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from freezekit.entry import app_module, render, write_entry
from freezekit.runtime import selftest

APP = """\
import sys

import processing


def main():
    print("app", __name__, __spec__.name, sys.argv[1:])
    return int(sys.argv[1]) if sys.argv[1:] and sys.argv[1].isdigit() else 0


if __name__ == "__main__":
    sys.exit(main())
"""


def _run_entry(tmp_path: Path, *args: str, env: dict[str, str] | None = None
               ) -> subprocess.CompletedProcess:
    (tmp_path / "myapp.py").write_text(APP)
    entry = write_entry("myapp", tmp_path / "entry" / "freezekit_entry.py")
    pythonpath = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, str(entry), *args], capture_output=True, text=True,
                          timeout=60, check=False,
                          env={**os.environ, "PYTHONPATH": pythonpath, **(env or {})})


def test_rendered_entry_is_python_naming_the_module() -> None:
    source = render("pkg.app_main")
    compile(source, "freezekit_entry.py", "exec")
    assert "find_spec('pkg.app_main')" in source
    assert "dispatch_launch()" in source


def test_render_works_from_a_source_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """``python3 -m freezekit`` in the repository root imports freezekit from the checkout,
    where ``freezekit.templates`` (installed from templates/) is not a package."""
    from freezekit import entry

    def not_installed(package: str) -> None:
        raise ModuleNotFoundError(f"No module named {package!r}")

    installed = render("app")
    monkeypatch.setattr(entry.resources, "files", not_installed)
    assert render("app") == installed


@pytest.mark.parametrize("bad", ["my-app", "1app", "a..b", ""])
def test_render_refuses_what_is_not_a_module_name(bad: str) -> None:
    with pytest.raises(ValueError, match="not a module name"):
        render(bad)


def test_write_entry_keeps_an_unchanged_file(tmp_path: Path) -> None:
    path = write_entry("app", tmp_path / "e.py")
    os.utime(path, (1, 1))
    write_entry("app", path)
    assert path.stat().st_mtime == 1
    write_entry("other", path)
    assert "find_spec('other')" in path.read_text()


def test_a_script_with_a_safe_name_is_bundled_as_itself(tmp_path: Path) -> None:
    script = tmp_path / "myapp.py"
    script.write_text("pass\n")
    module = app_module(script, tmp_path / "stage")
    assert (module.name, module.directory, module.staged) == ("myapp", tmp_path, False)
    assert not (tmp_path / "stage").exists()


@pytest.mark.parametrize(("filename", "expected"), [
    ("my-app.py", "_freezekit_app_my_app"),  # not an identifier
    ("queue.py", "_freezekit_app_queue"),  # would shadow the stdlib's queue
    ("class.py", "_freezekit_app_class"),  # a keyword
    ("processing.py", "_freezekit_app_processing"),  # would shadow processing itself
])
def test_an_unsafe_script_name_is_bundled_from_a_renamed_copy(
        tmp_path: Path, filename: str, expected: str) -> None:
    script = tmp_path / filename
    script.write_text("print('the app')\n")
    module = app_module(script, tmp_path / "stage")
    assert module.name == expected and module.staged
    assert (module.directory / f"{expected}.py").read_text() == "print('the app')\n"


def test_a_package_of_the_same_name_next_to_the_script_forces_a_copy(tmp_path: Path) -> None:
    (tmp_path / "tool").mkdir()
    (tmp_path / "tool.py").write_text("pass\n")
    assert app_module(tmp_path / "tool.py", tmp_path / "stage").name == "_freezekit_app_tool"


def test_entry_runs_the_app_as_main_with_its_arguments_and_exit_status(tmp_path: Path) -> None:
    result = _run_entry(tmp_path, "7", "--flag")
    assert result.stdout == "app __main__ myapp ['7', '--flag']\n"
    assert result.returncode == 7


def test_a_child_launch_is_dispatched_before_the_app_runs(tmp_path: Path) -> None:
    result = _run_entry(tmp_path, "--processing-launch", "no-such-kind")
    assert "app" not in result.stdout
    assert "unknown launch" in result.stderr
    assert result.returncode == 2


def test_self_test_needs_both_the_flag_and_the_environment_variable(tmp_path: Path) -> None:
    without_env = _run_entry(tmp_path, selftest.FLAG, env={selftest.ENV: ""})
    assert without_env.stdout == f"app __main__ myapp ['{selftest.FLAG}']\n"
    with_env = _run_entry(tmp_path, selftest.FLAG, env={selftest.ENV: "1"})
    assert with_env.returncode == 0, with_env.stderr
    assert with_env.stdout.splitlines()[-1].startswith(selftest.OK)
    assert "app" not in with_env.stdout


MADE_UP = ["-I", "-c", ("import sys; from multiprocessing.forkserver import main; "
           "main(3, 4, [], sys_argv=sys.argv[1:], future=1)"), "x"]


def test_an_unrecognised_child_launch_stops_before_the_app(tmp_path: Path) -> None:
    """Started by its program (the marker names this process and this executable)."""
    from processing.freezing import PARENT_ENV

    marker = f"{os.getpid()}:{os.path.realpath(sys.executable)}"
    result = _run_entry(tmp_path, *MADE_UP, env={PARENT_ENV: marker})
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.count("\n") == 1 and "does not recognise as a launch" in result.stderr


def test_the_same_command_line_typed_by_a_user_runs_the_app(tmp_path: Path) -> None:
    from processing.freezing import PARENT_ENV

    env = {k: v for k, v in os.environ.items() if k != PARENT_ENV}
    (tmp_path / "myapp.py").write_text(APP)
    entry = write_entry("myapp", tmp_path / "entry" / "freezekit_entry.py")
    result = subprocess.run([sys.executable, str(entry), *MADE_UP], capture_output=True,
                            text=True, timeout=60, check=False,
                            env={**env, "PYTHONPATH": str(tmp_path)})
    assert result.stdout.startswith("app __main__ myapp ['-I', '-c'"), result.stderr
