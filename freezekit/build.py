"""``freezekit build``: check, render the entry script, freeze, verify.

Each stage reports to a progress callback; the command line turns the exceptions below into
its exit statuses (DESIGN.md, decision 5).
"""

from __future__ import annotations

import importlib.util
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from freezekit import entry
from freezekit.analysis import Finding, check
from freezekit.backends import BuildSpec, DataFile, get_backend
from freezekit.smoke import app_launches, smoke_test

__all__ = [
    "BuildInputError",
    "BuildOptions",
    "BuildRefused",
    "BuildResult",
    "build",
    "parseDataSpec",
    "parse_data_spec",
]

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\- ]*")


class BuildInputError(ValueError):
    """An option or input file is wrong; the message names it and what to do."""


class BuildRefused(Exception):
    """``check`` found errors in the app; ``findings`` lists them all."""

    def __init__(self, findings: list[Finding]) -> None:
        errors = sum(f.severity == "error" for f in findings)
        super().__init__(f"{errors} error{'s' if errors != 1 else ''} found by freezekit check")
        self.findings = findings


@dataclass
class BuildOptions:
    """What ``freezekit build`` was asked for; paths may be relative to the current folder."""

    app: str | Path
    backend: str = "pyinstaller"
    name: str | None = None
    onefile: bool = False
    windowed: bool = False
    icon: str | Path | None = None
    distpath: str | Path = "dist"
    workpath: str | Path = "build"
    data: list[str] = field(default_factory=list)
    hidden_imports: list[str] = field(default_factory=list)
    extra_args: list[str] = field(default_factory=list)
    check: bool = True
    smoke: bool = True


@dataclass
class BuildResult:
    """The executable, the warnings ``check`` found, and the self-test's report."""

    executable: Path
    warnings: list[Finding]
    self_test: dict[str, Any] | None
    log: Path


def parse_data_spec(value: str) -> DataFile:
    """``SRC:DEST`` (or ``SRC;DEST`` on Windows) as for PyInstaller; SRC must exist."""
    sep = ";" if os.name == "nt" and ";" in value else ":"
    source, found, dest = value.rpartition(sep)
    if not found or not source or not dest:
        raise BuildInputError(
            f"--add-data {value!r}: expected SRC{sep}DEST, e.g. assets{sep}assets")
    path = Path(source).resolve()
    if not path.exists():
        raise BuildInputError(f"--add-data {value!r}: {source} does not exist")
    return DataFile(path, dest)


def _validated(options: BuildOptions) -> tuple[Path, str, Path | None, list[DataFile]]:
    app = Path(options.app)
    if not app.is_file():
        raise BuildInputError(f"{app}: no such file; give the path of the app's main script")
    if app.suffix not in (".py", ".pyw"):
        raise BuildInputError(f"{app}: not a Python script (.py or .pyw)")
    name = options.name if options.name is not None else app.stem
    if not _NAME.fullmatch(name):
        raise BuildInputError(
            f"--name {name!r}: use letters, digits, '_', '-', '.' and spaces (no path); "
            "it names the executable")
    icon = None
    if options.icon is not None:
        icon = Path(options.icon).resolve()
        if not icon.is_file():
            raise BuildInputError(f"--icon {options.icon}: no such file")
    for module in options.hidden_imports:
        if not all(part.isidentifier() for part in module.split(".")):
            raise BuildInputError(f"--hidden-import {module!r}: not a module name")
    return app.resolve(), name, icon, [parse_data_spec(value) for value in options.data]


def _package_root(name: str) -> Path:
    """The folder package ``name`` lives in, so the freezer finds it even in an editable
    install; found without importing it, which for processing would cost the build 40 ms."""
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin is not None, name
    return Path(spec.origin).resolve().parent.parent


def build(
    options: BuildOptions,
    progress: Callable[[str], None] | None = None,
    echo: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build ``options.app`` into an executable and verify it.

    ``progress`` receives one line per stage; ``echo`` each line of the freezer's output.
    Raises BuildInputError, BuildRefused, BackendUnavailable, BackendFailed or SmokeFailed.
    """
    report = progress or (lambda line: None)
    started = time.perf_counter()

    def stage(message: str, since: float) -> None:
        report(f"{message} ({time.perf_counter() - since:.1f} s)")

    app, name, icon, data = _validated(options)
    try:
        backend = get_backend(options.backend)
    except ValueError as exc:
        raise BuildInputError(f"--backend: {exc}") from None
    missing = backend.unsupported(onefile=options.onefile, windowed=options.windowed)
    if missing:
        raise BuildInputError(
            f"the {backend.name} backend does not support {', '.join(missing)}")
    backend.check_available()

    warnings: list[Finding] = []
    if options.check:
        since = time.perf_counter()
        findings = check(options.app)  # as given, so findings read as the user wrote it
        if any(f.severity == "error" for f in findings):
            raise BuildRefused(findings)
        warnings = findings
        stage(f"checked {options.app}: no errors, {len(warnings)} warning"
              f"{'s' if len(warnings) != 1 else ''}", since)

    workpath = Path(options.workpath).resolve()
    stage_dir = workpath / "freezekit" / name
    module = entry.app_module(app, stage_dir / "app")
    entry_script = entry.write_entry(module.name, stage_dir / "entry" / "freezekit_entry.py")
    spec = BuildSpec(
        name=name,
        entry_script=entry_script,
        app_module=module.name,
        module_paths=list(dict.fromkeys([
            module.directory, app.parent, _package_root("processing"),
            _package_root("freezekit")])),
        distpath=Path(options.distpath).resolve(),
        workpath=workpath,
        onefile=options.onefile,
        windowed=options.windowed,
        icon=icon,
        data=data,
        hidden_imports=list(options.hidden_imports),
        extra_args=list(options.extra_args),
        echo=echo,
    )
    since = time.perf_counter()
    report(f"freezing {options.app} with {backend.name} "
           f"({'onefile' if options.onefile else 'onedir'}); log: {spec.log_path}")
    executable = backend.build(spec)
    stage(f"froze {executable}", since)

    self_test = None
    if options.smoke:
        since = time.perf_counter()
        self_test = smoke_test(executable, launches=app_launches(app))
        # Exactly what ran: one self-test run per launch this Python can make.
        stage("verified: children re-enter the executable and round-trip data through "
              f"{', '.join(self_test['launches'])}", since)
    report(f"built {name} in {time.perf_counter() - started:.1f} s")
    return BuildResult(executable, warnings, self_test, spec.log_path)


parseDataSpec = parse_data_spec
