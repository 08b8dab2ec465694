"""Modules the freezer could not find, weighed against how the app imports them.

Every freezer reports modules it could not find, most of them harmless (another platform's
modules, optional speed-ups). One the app's own code imports unconditionally at the top level
is not harmless: the program stops with ModuleNotFoundError when it starts. This module reads
where the app's own modules (the script and the modules beside it) import a missing module,
and sorts each import into an error (top level, unconditional) or a warning (inside
try/except ImportError, a function, ``if TYPE_CHECKING`` or another condition).
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from freezekit.analysis import SourceError, load_source, parse_source

__all__ = [
    "MissingImport",
    "missing_imports",
    "parse_cx_freeze_log",
    "parse_pyinstaller_warnings",
]

_PYINSTALLER_LINE = re.compile(r"^missing module named (\S+) - imported by (.*)$")
_IMPORTER = re.compile(r"([^\s,()]+)(?: \([^)]*\))?")
_CX_FREEZE_LINE = re.compile(r"^\? (\S+) imported from (.*)$")
_GUARDING = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


@dataclass(frozen=True)
class MissingImport:
    """``path:line`` imports ``module``, which the freezer could not find."""

    module: str
    path: Path
    line: int
    optional: bool

    def format(self, freezer: str) -> str:
        where = f"{_shown(self.path)}:{self.line}"
        top = self.module.partition(".")[0]
        if self.optional:
            return (f"{where}: warning: {self.module} is not bundled ({freezer} could not find "
                    "it); the app imports it only optionally (in try/except ImportError, a "
                    "function or a condition)")
        return (f"{where}: imports {self.module}, which {freezer} could not find: the program "
                f"would stop with ModuleNotFoundError. Install it in this Python "
                f"({Path(sys.executable).name} -m pip install {top}), or pass --hidden-import "
                f"{self.module} if the app finds it another way")


def _shown(path: Path) -> str:
    """``path`` relative to the current folder when it is inside it, as a user writes it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def parse_pyinstaller_warnings(text: str) -> dict[str, set[str]]:
    """PyInstaller's ``warn-NAME.txt``: missing module -> the modules that import it."""
    missing: dict[str, set[str]] = {}
    for line in text.splitlines():
        found = _PYINSTALLER_LINE.match(line.strip())
        if found:
            importers = {m.group(1) for m in _IMPORTER.finditer(found.group(2))}
            missing.setdefault(found.group(1), set()).update(importers)
    return missing


def parse_cx_freeze_log(text: str) -> dict[str, set[str]]:
    """cx_Freeze's "Missing modules:" report: missing module -> the modules that import it."""
    missing: dict[str, set[str]] = {}
    for line in text.splitlines():
        found = _CX_FREEZE_LINE.match(line.strip())
        if found:
            importers = {name.strip() for name in found.group(2).split(",") if name.strip()}
            missing.setdefault(found.group(1), set()).update(importers)
    return missing


def missing_imports(missing: dict[str, set[str]], app: Path, app_module: str
                    ) -> list[MissingImport]:
    """Where the app's own modules import a module in ``missing``, errors first."""
    found: set[MissingImport] = set()
    for module, importers in missing.items():
        for importer in importers:
            source = _own_source(importer, app, app_module)
            if source is None:
                continue
            package = _package_of(importer, source, app_module)
            for line, optional in _imports_of(source, module, package):
                found.add(MissingImport(module, source, line, optional))
    return sorted(found, key=lambda m: (m.optional, str(m.path), m.line, m.module))


def _own_source(importer: str, app: Path, app_module: str) -> Path | None:
    """The file of ``importer`` if it is the app's script or a module beside it."""
    if importer == app_module:
        return app
    base = app.parent.joinpath(*importer.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _package_of(importer: str, source: Path, app_module: str) -> str:
    """The package relative imports in ``importer`` start from."""
    if importer == app_module:
        return ""
    return importer if source.name == "__init__.py" else importer.rpartition(".")[0]


def _imports_of(source: Path, missing: str, package: str) -> Iterator[tuple[int, bool]]:
    """(line, optional) of each import of ``missing`` in ``source``."""
    try:
        loaded = load_source(source)
        tree = parse_source(loaded.text, str(source))
    except SourceError:
        return
    for node, optional in _walk_imports(tree.body, optional=False):
        if _names(node, package, missing):
            yield node.lineno, optional


def _walk_imports(body: list[ast.stmt], optional: bool
                  ) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    for stmt in body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            yield stmt, optional
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _walk_imports(stmt.body, optional=True)
        elif isinstance(stmt, ast.ClassDef):
            yield from _walk_imports(stmt.body, optional)
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            guarded = optional or any(_catches_import_error(h) for h in stmt.handlers)
            yield from _walk_imports(stmt.body, guarded)
            for handler in stmt.handlers:
                yield from _walk_imports(handler.body, True)
            yield from _walk_imports(stmt.orelse, guarded)
            yield from _walk_imports(stmt.finalbody, optional)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            yield from _walk_imports(stmt.body, optional)
        elif isinstance(stmt, (ast.If, ast.For, ast.AsyncFor, ast.While)):
            # A condition (TYPE_CHECKING, a platform) or a loop: not every start runs it.
            yield from _walk_imports(stmt.body, True)
            yield from _walk_imports(stmt.orelse, True)


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    for kind in kinds:
        name = kind.attr if isinstance(kind, ast.Attribute) else getattr(kind, "id", "")
        if name in _GUARDING:
            return True
    return False


def _names(node: ast.Import | ast.ImportFrom, package: str, missing: str) -> bool:
    """Whether ``node`` needs module ``missing`` (or a submodule of it)."""
    def needs(module: str) -> bool:
        return module == missing or module.startswith(missing + ".")

    if isinstance(node, ast.Import):
        return any(needs(alias.name) for alias in node.names)
    module = node.module or ""
    if node.level:
        parts = package.split(".") if package else []
        base = parts[:len(parts) - node.level + 1] if node.level <= len(parts) + 1 else []
        module = ".".join([*base, module] if module else base)
    if not module:
        return False
    return needs(module) or any(f"{module}.{alias.name}" == missing for alias in node.names)
