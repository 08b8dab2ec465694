"""A program that cannot start is never "verified" (issue 13, item 2).

Two layers: after freezing, the modules the freezer could not find are weighed against how
the app's own modules import them (top level: exit 3; optional: a warning); then the built
program imports the app as each child will (``--freezekit-app-check``). Here with the fake
``script`` backend and the freezers' report formats; the real freezers are in
test_build_safety_frozen.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from freezekit import backends
from freezekit.cli import main
from freezekit.missing import (
    missing_imports,
    parse_cx_freeze_log,
    parse_pyinstaller_warnings,
)
from freezekit.runtime import appcheck, selftest

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="the fake executable is sh")

APP = textwrap.dedent("""\
    import json
    import gone_top
    from gone_pkg.sub import thing
    from . import sibling_gone
    try:
        import gone_optional
    except ImportError:
        gone_optional = None
    try:
        import gone_unguarded_try
    finally:
        pass
    from typing import TYPE_CHECKING
    if TYPE_CHECKING:
        import gone_typing
    if sys.platform == "win32":
        import gone_platform


    def later():
        import gone_delayed


    class Config:
        import gone_class_body
""")


def test_pyinstaller_warnings_give_each_missing_module_and_its_importers() -> None:
    text = textwrap.dedent("""\
        This file lists modules PyInstaller was not able to find. ...
        missing module named _winapi - imported by encodings (delayed, conditional, optional), subprocess (conditional)
        missing module named gone_top - imported by app (top-level)
        excluded module named _frozen_importlib - imported by importlib (optional)
        missing module named gone.sub - imported by helpers (top-level), app (conditional)
    """)
    assert parse_pyinstaller_warnings(text) == {
        "_winapi": {"encodings", "subprocess"}, "gone_top": {"app"},
        "gone.sub": {"helpers", "app"}}


def test_cx_freeze_report_gives_each_missing_module_and_its_importers() -> None:
    text = ("Missing modules:\n? gone_top imported from app\n"
            "? _winreg imported from platform, app.helpers\nThis is not necessarily ...\n")
    assert parse_cx_freeze_log(text) == {"gone_top": {"app"},
                                         "_winreg": {"platform", "app.helpers"}}


def test_only_unconditional_top_level_imports_of_the_apps_own_modules_are_errors(
        tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(APP)
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "__init__.py").write_text("from .gone_rel import x\n")
    names = ["gone_top", "gone_pkg", "gone_optional", "gone_unguarded_try", "gone_typing",
             "gone_platform", "gone_delayed", "gone_class_body", "helpers.gone_rel"]
    missing = {name: {"app"} for name in names}
    missing["helpers.gone_rel"] = {"helpers"}
    missing["_winapi"] = {"subprocess"}  # not the app's: never reported
    found = missing_imports(missing, app, "app")
    errors = {(m.module, m.line) for m in found if not m.optional}
    warnings = {(m.module, m.line) for m in found if m.optional}
    assert errors == {("gone_top", 2), ("gone_pkg", 3), ("gone_unguarded_try", 10),
                      ("gone_class_body", 25), ("helpers.gone_rel", 1)}
    assert warnings == {("gone_optional", 6), ("gone_typing", 15), ("gone_platform", 17),
                        ("gone_delayed", 21)}
    line = next(m for m in found if m.module == "gone_top").format("pyinstaller")
    assert "app.py:2: imports gone_top, which pyinstaller could not find" in line
    assert "pip install gone_top" in line and "--hidden-import gone_top" in line


def test_the_app_check_shares_the_self_tests_switches() -> None:
    assert (appcheck._ENV, appcheck._REPORT_ENV) == (selftest.ENV, selftest.REPORT_ENV)
    assert appcheck.FLAG != selftest.FLAG


class MissingScriptBackend(backends.Backend):
    """The script backend, reporting one missing module the way a freezer would."""

    name = "missing"
    install_hint = "nothing"

    def is_available(self) -> bool:
        return True

    def build(self, spec: backends.BuildSpec) -> Path:
        from tests.freezekit.test_build_cli import ScriptBackend

        return ScriptBackend().build(spec)

    def missing_modules(self, spec: backends.BuildSpec) -> dict[str, set[str]]:
        return {"fk_gone_module": {spec.app_module}, "_winapi": {"subprocess"}}


@pytest.fixture
def fake_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(backends._BACKENDS, "script",
                        "tests.freezekit.test_build_cli:ScriptBackend")
    monkeypatch.setitem(backends._BACKENDS, "missing", f"{__name__}:MissingScriptBackend")


def _app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(textwrap.dedent(source))


@posix_only
@pytest.mark.timeout(120)
def test_a_top_level_import_the_freezer_could_not_find_exits_3_and_installs_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_backends: None,
        capsys: pytest.CaptureFixture[str]) -> None:
    _app(tmp_path, monkeypatch, """\
        import fk_gone_module

        if __name__ == "__main__":
            print("never")
    """)
    assert main(["build", "app.py", "--backend", "missing"]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert ("freezekit build: error: app.py:1: imports fk_gone_module, which missing could "
            "not find") in err
    assert "--hidden-import fk_gone_module" in err
    assert not (tmp_path / "dist" / "app").exists()


@posix_only
@pytest.mark.timeout(120)
def test_an_optional_import_the_freezer_could_not_find_is_a_warning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_backends: None,
        capsys: pytest.CaptureFixture[str]) -> None:
    _app(tmp_path, monkeypatch, """\
        try:
            import fk_gone_module
        except ImportError:
            fk_gone_module = None

        if __name__ == "__main__":
            print("fine")
    """)
    assert main(["build", "app.py", "--backend", "missing"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(tmp_path / "dist" / "app" / "app")
    assert "app.py:2: warning: fk_gone_module is not bundled" in err


@posix_only
@pytest.mark.timeout(120)
@pytest.mark.parametrize(("source", "why"), [
    pytest.param("""\
        import importlib
        importlib.import_module("fk_dynamic_gone")

        if __name__ == "__main__":
            print("never")
    """, "ModuleNotFoundError: No module named 'fk_dynamic_gone'; if the app needs it, "
         "bundle it with --hidden-import fk_dynamic_gone", id="dynamic-import"),
    pytest.param("""\
        open("settings-that-are-not-bundled.ini").read()

        if __name__ == "__main__":
            print("never")
    """, "FileNotFoundError", id="data-file-read-on-import"),
    pytest.param("""\
        import sys
        sys.exit(2)
    """, "SystemExit(2): the app exits while it is imported", id="exits-on-import"),
])
def test_an_app_that_cannot_be_imported_as_a_child_fails_the_build(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_backends: None,
        capsys: pytest.CaptureFixture[str], source: str, why: str) -> None:
    _app(tmp_path, monkeypatch, source)
    assert main(["build", "app.py", "--backend", "script", "--no-check"]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert "the app check of" in err and why in err
    assert "verified" not in err


@posix_only
@pytest.mark.guarded
@pytest.mark.timeout(120)
@pytest.mark.parametrize("lib", ["processing", "multiprocessing"])
def test_an_app_that_starts_a_process_on_import_fails_the_check_and_starts_none(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_backends: None,
        capsys: pytest.CaptureFixture[str], lib: str) -> None:
    _app(tmp_path, monkeypatch, f"""\
        import {lib}

        def work():
            pass

        ctx = {lib}.{'getContext' if lib == 'processing' else 'get_context'}("spawn")
        ctx.Process(target=work).start()
    """)
    assert main(["build", "app.py", "--backend", "script", "--no-check"]) == 3
    err = capsys.readouterr().err
    assert "the app check of" in err
    assert "RuntimeError" in err


@posix_only
@pytest.mark.timeout(120)
def test_a_verified_build_reports_the_app_check(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_backends: None) -> None:
    from freezekit.build import BuildOptions, build

    _app(tmp_path, monkeypatch, """\
        import json

        VALUE = json.dumps(1)

        if __name__ == "__main__":
            raise SystemExit("the main block must not run in the app check")
    """)
    result = build(BuildOptions("app.py", backend="script"))
    assert result.self_test is not None
    assert result.self_test["app_check"]["module"] == "app"
