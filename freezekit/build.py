"""``freezekit build``: check, render the entry script, freeze, verify.

Each stage reports to a progress callback; the command line turns the exceptions below into
its exit statuses (DESIGN.md, decision 7). Nothing the user owns is touched: every path
option is checked against the app and its inputs before anything is written, the freezer
writes only into freezekit's own work folder (``WORKPATH/NAME``) and a staging folder, and an
earlier output is replaced only if freezekit made it (see freezekit.output).
"""

from __future__ import annotations

import importlib.util
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Callable

from freezekit import entry, output
from freezekit.analysis import Finding, check
from freezekit.backends import Backend, BuildSpec, DataFile, get_backend
from freezekit.missing import missing_imports
from freezekit.smoke import app_launches, smoke_test

__all__ = [
    "BuildInputError",
    "BuildOptions",
    "BuildRefused",
    "BuildResult",
    "MissingModules",
    "build",
    "parse_data_spec",
]

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\- ]*")


class BuildInputError(ValueError):
    """An option or input file is wrong; the message names it and what to do."""


class MissingModules(Exception):
    """The app imports, at its top level, modules the freezer could not find; ``lines``
    says where, one line each, with what to do."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


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
    #: Replace an earlier output and work folder even if freezekit did not make them.
    clean: bool = False
    #: How long to wait for another build writing the same output, in seconds.
    lock_timeout: float = 600.0


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
    if _escapes(dest):
        raise BuildInputError(
            f"--add-data {value!r}: {dest} is outside the bundle; give a DEST relative to "
            f"the program's folder, without '..', e.g. {path.name}{sep}data")
    return DataFile(path, dest)


def _escapes(dest: str) -> bool:
    """Whether a bundle destination is absolute or climbs out of the program's folder."""
    for flavour in (PurePosixPath, PureWindowsPath):
        pure = flavour(dest)
        if pure.is_absolute() or pure.drive or pure.root or ".." in pure.parts:
            return True
    return False


def _folder_option(option: str, value: str | Path) -> Path:
    """An absolute folder path that is, or can become, a folder; BuildInputError if not."""
    path = Path(value).resolve()
    for existing in (path, *path.parents):
        if existing.exists():
            if not existing.is_dir():
                what = "is a file" if existing == path else f"{existing} is a file"
                raise BuildInputError(f"{option} {value}: {what}; give a folder (it is "
                                      "created if missing)")
            break
    return path


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _check_overlaps(option: str, target: Path, app: Path, inputs: list[tuple[str, Path]]) -> None:
    """Refuse a ``target`` (output or work folder) that is, holds or lies in one of our inputs,
    or that is or holds the app's folder."""
    real = target.resolve()
    for what, source in [("the app's folder", app.parent), *inputs]:
        for candidate in {target, real}:
            if _inside(source, candidate):
                verb = "is" if source == candidate else "holds"
            elif what != "the app's folder" and _inside(candidate, source):
                verb = "lies inside"
            else:
                continue
            raise BuildInputError(
                f"{option}: {target} {verb} {what} {source}; freezekit never replaces its "
                f"inputs, so give another {option} (or --name)")


def _checked_paths(options: BuildOptions, app: Path, name: str, icon: Path | None,
                   data: list[DataFile]) -> tuple[Path, Path]:
    """The output (``DIST/NAME``) and work folder (``WORKPATH/NAME``), once no path option
    can make the build replace an input or a file freezekit did not make."""
    target = _folder_option("--distpath", options.distpath) / name
    work = _folder_option("--workpath", options.workpath) / name
    inputs = [("the app", app), *(("--add-data source", d.source) for d in data)]
    if icon is not None:
        inputs.append(("--icon", icon))
    _check_overlaps("--distpath", target, app, inputs)
    _check_overlaps("--workpath", work, app, inputs)
    if _inside(target, work) or _inside(work, target):
        raise BuildInputError(f"--distpath and --workpath: the output {target} and the work "
                              f"folder {work} overlap; give them separate folders")
    _check_ownership(work, target, options.clean)
    return target, work


def _check_passthrough(backend: Backend, args: list[str]) -> None:
    for arg in args:
        option = arg.partition("=")[0]
        short = [o for o in backend.reserved_options if len(o) == 2 and arg.startswith(o)]
        if option in backend.reserved_options or short:
            raise BuildInputError(
                f"{arg}: freezekit sets this option of {backend.name} itself; give freezekit's "
                "own option (--distpath, --workpath, --name, --onefile, --add-data) before `--`")


def _validated(options: BuildOptions) -> tuple[Path, str, Path | None, list[DataFile]]:
    app = Path(options.app)
    if app.exists() and not app.is_file():
        raise BuildInputError(f"{app}: not a regular file; give the path of the app's main "
                              "script")
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
    Raises BuildInputError, BuildRefused, BackendUnavailable, BackendFailed, MissingModules
    or SmokeFailed.
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
    _check_passthrough(backend, options.extra_args)
    target, work = _checked_paths(options, app, name, icon, data)
    distpath, workpath = target.parent, work.parent
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

    for option, folder in (("--distpath", distpath), ("--workpath", workpath)):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BuildInputError(f"{option} {folder}: cannot create it: {exc.strerror}") from None
    try:
        with output.lock(work, options.lock_timeout, report), \
                output.lock(target, options.lock_timeout, report):
            _claim(work, target, options.clean)
            return _freeze_and_verify(options, backend, app, name, icon, data, target, work,
                                      warnings, report, stage, echo, started)
    except output.OutputBusy as exc:
        raise BuildInputError(str(exc)) from None
    except OSError as exc:
        if exc.filename is None:
            raise
        raise BuildInputError(f"{exc.filename}: {exc.strerror}; check that this path can be "
                              "written, or give another --distpath/--workpath") from None


def _check_ownership(work: Path, target: Path, clean: bool) -> None:
    """Refuse a work folder or an earlier output that freezekit did not make (unless
    ``clean``); checked before anything else is done, and again under the locks."""
    if clean:
        return
    try:
        output.check_work_folder(work)
    except output.OutputNotOurs as exc:
        raise BuildInputError(f"--workpath: {exc}; pass --clean to replace it, or give "
                              "another --workpath") from None
    try:
        output.check_replaceable(target)
    except output.OutputNotOurs as exc:
        raise BuildInputError(f"--distpath: {exc}; pass --clean to replace it, or give "
                              "another --distpath (or --name)") from None


def _claim(work: Path, target: Path, clean: bool) -> None:
    """Under the locks: make the work folder ours (emptied first with ``clean``)."""
    _check_ownership(work, target, clean)
    if clean and os.path.lexists(work):
        output.remove(work)
    output.mark_work_folder(work)


def _check_missing(backend: Backend, spec: BuildSpec, app: Path, module: str,
                   report: Callable[[str], None]) -> None:
    """Raise MissingModules for top-level imports of modules the freezer left out; report
    the optional ones."""
    found = missing_imports(backend.missing_modules(spec), app, module)
    for optional in (m for m in found if m.optional):
        report(optional.format(backend.name))
    errors = [m.format(backend.name) for m in found if not m.optional]
    if errors:
        raise MissingModules(errors)


def _freeze_and_verify(
    options: BuildOptions, backend: Backend, app: Path, name: str, icon: Path | None,
    data: list[DataFile], target: Path, work: Path, warnings: list[Finding],
    report: Callable[[str], None], stage: Callable[[str, float], None],
    echo: Callable[[str], None] | None, started: float,
) -> BuildResult:
    module = entry.app_module(app, work / "freezekit" / "app")
    entry_script = entry.write_entry(module.name, work / "freezekit" / "freezekit_entry.py")
    with output.staging(target.parent, name) as staging:
        spec = BuildSpec(
            name=name,
            entry_script=entry_script,
            app_module=module.name,
            module_paths=list(dict.fromkeys([
                module.directory, app.parent, _package_root("processing"),
                _package_root("freezekit")])),
            distpath=staging.path,
            workpath=work,
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
        built = backend.build(spec)
        _check_missing(backend, spec, app, module.name, report)
        executable = target / built.relative_to(staging.path / name)
        staging.install(staging.path / name)
    stage(f"froze {executable}", since)

    self_test = None
    try:
        if options.smoke:
            since = time.perf_counter()
            self_test = smoke_test(executable, launches=app_launches(app))
            # Exactly what ran: the app check and one self-test run per launch this Python
            # can make (and those of loky, joblib and multiprocess when the app uses them).
            stage("verified: the app imports as its children import it; children re-enter "
                  "the executable and round-trip data through "
                  f"{', '.join(self_test['launches'])}", since)
    finally:
        # Also after a failed self-test, so that the next build may replace what this made.
        output.write_manifest(target)
    report(f"built {name} in {time.perf_counter() - started:.1f} s")
    return BuildResult(executable, warnings, self_test, spec.log_path)
