"""One adapter per freezer, behind one interface.

A backend turns a :class:`BuildSpec` (the rendered entry script, the app's module and the
user's options) into an executable. Adding a freezer means one new module here that defines
a :class:`Backend` subclass, and one line in ``_BACKENDS``.
"""

from __future__ import annotations

import abc
import importlib
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

__all__ = [
    "Backend",
    "BackendFailed",
    "BackendUnavailable",
    "BuildSpec",
    "DataFile",
    "available_backends",
    "get_backend",
    "log_tail",
    "missing_output",
    "run_freezer",
]

# name -> "module:Class", imported only when chosen so that `freezekit check` stays light.
_BACKENDS = {
    "pyinstaller": "freezekit.backends.pyinstaller:PyInstallerBackend",
    "cx_freeze": "freezekit.backends.cx_freeze:CxFreezeBackend",
    "nuitka": "freezekit.backends.nuitka:NuitkaBackend",
}


class BackendUnavailable(Exception):
    """The freezer is not installed; the message says how to install it."""


class BackendFailed(Exception):
    """The freezer ran and failed; ``log`` is the path of its full log."""

    def __init__(self, message: str, log: Path | None = None) -> None:
        super().__init__(message)
        self.log = log


@dataclass(frozen=True)
class DataFile:
    """A file or directory ``source`` bundled at ``dest`` (relative to the program's root)."""

    source: Path
    dest: str


@dataclass
class BuildSpec:
    """Everything a backend needs: paths are absolute, names validated by the CLI.

    A backend writes the program to ``distpath / name`` (a folder, or the file itself with
    ``onefile``) and its work files under ``workpath``, and nowhere else: ``distpath`` is a
    fresh staging folder that freezekit swaps into place, and ``workpath`` a folder that
    belongs to this build.
    """

    name: str
    entry_script: Path
    app_module: str
    module_paths: list[Path]
    distpath: Path
    workpath: Path
    onefile: bool = False
    windowed: bool = False
    icon: Path | None = None
    data: list[DataFile] = field(default_factory=list)
    hidden_imports: list[str] = field(default_factory=list)
    extra_args: list[str] = field(default_factory=list)
    # Receives each line of the freezer's output as it comes (``-v``); None: log file only.
    echo: Callable[[str], None] | None = None

    @property
    def log_path(self) -> Path:
        """Where the backend writes the freezer's full output."""
        return self.workpath / f"{self.name}.freezekit.log"


class Backend(abc.ABC):
    """A freezer adapter: what it can do, whether it is installed, and how to build."""

    #: The name given to ``freezekit build --backend``.
    name: str = ""
    #: Whether it can make a single-file executable (``--onefile``).
    supports_onefile: bool = False
    #: Whether it can make a GUI program without a console (``--windowed``).
    supports_windowed: bool = False
    #: The command that installs the freezer, for the message when it is missing.
    install_hint: str = ""
    #: The freezer's own options that freezekit sets (the output's place and name, the work
    #: folder): refused after ``--``, where they would bypass freezekit's path checks.
    reserved_options: tuple[str, ...] = ()

    @abc.abstractmethod
    def is_available(self) -> bool:
        """True if the freezer can be run from this interpreter."""

    @abc.abstractmethod
    def build(self, spec: BuildSpec) -> Path:
        """Freeze ``spec``; the absolute path of the executable, or raise BackendFailed."""

    def missing_modules(self, spec: BuildSpec) -> dict[str, set[str]]:
        """After build(): the modules the freezer could not find, each with the names of the
        modules that import it (empty if the freezer does not say)."""
        return {}

    def check_available(self) -> None:
        """Raise BackendUnavailable, with how to install the freezer, if it is missing."""
        if not self.is_available():
            raise BackendUnavailable(
                f"the {self.name} backend needs {self.name}, which is not installed in this "
                f"Python; install it with: {self.install_hint}")

    def unsupported(self, *, onefile: bool = False, windowed: bool = False) -> list[str]:
        """The options asked for that this backend cannot honour."""
        missing = []
        if onefile and not self.supports_onefile:
            missing.append("--onefile")
        if windowed and not self.supports_windowed:
            missing.append("--windowed")
        return missing


#: How many of the log's last lines a BackendFailed message quotes.
TAIL_LINES = 25


def run_freezer(freezer: str, cmd: list[str], spec: BuildSpec, *, cwd: Path | None = None,
                env: Mapping[str, str] | None = None) -> None:
    """Run a freezer's command with its output captured; BackendFailed if it fails.

    The command line and everything the freezer prints go to ``spec.log_path``, and each line
    to ``spec.echo`` as it comes (``-v``). ``env`` is added to this process's environment,
    with Python's output unbuffered so that lines arrive as they are printed. A non-zero exit
    raises BackendFailed naming ``freezer`` and quoting the log's last lines.
    """
    spec.log_path.parent.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    with open(spec.log_path, "w", encoding="utf-8", errors="replace") as log:
        log.write("$ " + subprocess.list2cmdline(cmd) + "\n")
        log.flush()
        with subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, errors="replace",
                              env=environment) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                log.write(line)
                if spec.echo is not None:
                    spec.echo(line.rstrip("\n"))
    if proc.returncode != 0:
        raise BackendFailed(f"{freezer} failed (exit status {proc.returncode})\n"
                            f"{log_tail(spec.log_path)}", spec.log_path)


def missing_output(freezer: str, what: str, spec: BuildSpec) -> BackendFailed:
    """The error for a freezer that exited 0 without making ``what`` (e.g. "no executable at
    PATH"), quoting the log's last lines."""
    return BackendFailed(f"{freezer} finished but made {what}\n{log_tail(spec.log_path)}",
                         spec.log_path)


def log_tail(log: Path, lines: int = TAIL_LINES) -> str:
    """The last ``lines`` lines of the freezer's log."""
    text = log.read_text("utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:])


def available_backends() -> list[str]:
    """The names ``freezekit build --backend`` accepts."""
    return list(_BACKENDS)


def get_backend(name: str) -> Backend:
    """The backend called ``name``; ValueError naming the known ones otherwise."""
    try:
        target = _BACKENDS[name]
    except KeyError:
        raise ValueError(
            f"unknown backend {name!r}; choose one of {', '.join(_BACKENDS)}") from None
    module, _, cls = target.partition(":")
    return getattr(importlib.import_module(module), cls)()

