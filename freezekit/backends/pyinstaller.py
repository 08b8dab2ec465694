"""The PyInstaller backend: ``python -m PyInstaller`` on the rendered entry script.

PyInstaller runs in a subprocess of the same interpreter, its output captured to a log file
in the work path, so that a crash of the freezer is reported with the log's tail and never
takes freezekit down with it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from freezekit.backends import Backend, BuildSpec, missing_output, run_freezer
from freezekit.missing import parse_pyinstaller_warnings

__all__ = ["PyInstallerBackend"]


class PyInstallerBackend(Backend):
    """Onedir or onefile executables; children re-enter through our hook and entry script."""

    name = "pyinstaller"
    supports_onefile = True
    supports_windowed = True
    install_hint = f"{Path(sys.executable).name} -m pip install 'pyinstaller>=6'"
    reserved_options = ("--distpath", "--workpath", "--specpath", "--name", "-n", "--onefile",
                        "-F", "--onedir", "-D")

    def is_available(self) -> bool:
        return importlib.util.find_spec("PyInstaller") is not None

    def command(self, spec: BuildSpec) -> list[str]:
        """The PyInstaller command line for ``spec``."""
        cmd = [
            sys.executable, "-m", "PyInstaller", "--noconfirm",
            "--name", spec.name,
            "--distpath", str(spec.distpath),
            "--workpath", str(spec.workpath),
            "--specpath", str(spec.workpath),
            "--onefile" if spec.onefile else "--onedir",
            "--windowed" if spec.windowed else "--console",
        ]
        for path in spec.module_paths:
            cmd += ["--paths", str(path)]
        if not _hook_dir_registered():
            from freezekit.__pyinstaller import HOOK_DIR

            cmd += ["--additional-hooks-dir", HOOK_DIR]
        # The app's module and the self-test are imported by name only, out of the
        # module graph's sight.
        for module in (spec.app_module, "freezekit.runtime.selftest",
                       "freezekit.runtime.appcheck", *spec.hidden_imports):
            cmd += ["--hidden-import", module]
        if spec.icon is not None:
            cmd += ["--icon", str(spec.icon)]
        for data in spec.data:
            cmd += ["--add-data", f"{data.source}{os.pathsep}{data.dest}"]
        return [*cmd, *spec.extra_args, str(spec.entry_script)]

    def build(self, spec: BuildSpec) -> Path:
        run_freezer("PyInstaller", self.command(spec), spec)
        executable = _executable(spec)
        if not executable.is_file():
            raise missing_output("PyInstaller", f"no executable at {executable}", spec)
        return executable

    def missing_modules(self, spec: BuildSpec) -> dict[str, set[str]]:
        """From PyInstaller's ``warn-NAME.txt`` in its work folder."""
        warnings = spec.workpath / spec.name / f"warn-{spec.name}.txt"
        try:
            text = warnings.read_text("utf-8", errors="replace")
        except OSError:
            return {}
        return parse_pyinstaller_warnings(text)


def _hook_dir_registered() -> bool:
    """True if PyInstaller will find our hook directory through the entry point."""
    from importlib.metadata import entry_points

    try:
        found = entry_points(group="pyinstaller40")
    except TypeError:  # Python 3.9: no selection by keyword
        found = entry_points().get("pyinstaller40", [])
    return any(ep.value.startswith("freezekit.__pyinstaller") for ep in found)


def _executable(spec: BuildSpec) -> Path:
    exe = spec.name + (".exe" if sys.platform == "win32" else "")
    folder = spec.distpath if spec.onefile else spec.distpath / spec.name
    return (folder / exe).resolve()

