"""Which files `check` and `fix` read: files, folders (recursively) and `-` for standard input.

Folders are walked for `*.py` files the way linters do: virtualenvs, build and dist folders,
caches and whatever `.gitignore` ignores are skipped. Inside a git work tree git itself decides
(`git check-ignore`); elsewhere a small reader applies the `.gitignore` files it meets.
A file named explicitly is always read, ignored or not.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

from freezekit.analysis.source import SourceError

__all__ = ["SKIPPED_DIRS", "STDIN", "discover", "importers"]

STDIN = "-"
#: Folder names never walked into: tools' output, caches and virtualenvs by their usual names
#: (any folder holding a pyvenv.cfg is a virtualenv too).
SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".tox", ".nox", ".eggs", ".venv", "venv", "env", "build", "dist", "node_modules",
    "site-packages", "__pypackages__",
})


def discover(paths: Iterable[str]) -> list[str]:
    """The files to read, in the order given (each folder's files sorted), without repeats.

    Raises SourceError naming the first path that does not exist.
    """
    found: list[str] = []
    for path in paths:
        if path == STDIN:
            found.append(path)
        elif os.path.isdir(path):
            found += _walk(path)
        elif os.path.lexists(path):
            found.append(path)
        else:
            raise SourceError(
                f"{path}: no such file or folder; give Python files, folders or - for "
                "standard input")
    return list(dict.fromkeys(found))


def _walk(top: str) -> list[str]:
    ignore = _GitIgnore(Path(top)) if _git_root(top) is None else None
    files: list[str] = []
    for folder, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not _skipped(Path(folder, d)) and not (
            ignore and ignore.ignored(Path(folder, d), True)))
        files += [os.path.normpath(os.path.join(folder, name)) for name in sorted(names)
                  if name.endswith(".py")
                  and not (ignore and ignore.ignored(Path(folder, name), False))]
    if ignore is None and files:
        files = _git_unignored(top, files)
    return files


def _skipped(folder: Path) -> bool:
    name = folder.name
    return (name in SKIPPED_DIRS or name.endswith(".egg-info")
            or (folder / "pyvenv.cfg").is_file())


def _git_root(folder: str) -> str | None:
    try:
        proc = subprocess.run(["git", "-C", folder, "rev-parse", "--show-toplevel"],
                              capture_output=True, text=True, check=False,
                              stdin=subprocess.DEVNULL)
    except OSError:  # git is not installed
        return None
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def _git_unignored(top: str, files: list[str]) -> list[str]:
    """The files git does not ignore (tracked files never are), asked in one batch."""
    proc = subprocess.run(["git", "-C", top, "check-ignore", "--stdin", "-z"],
                          input="\0".join(os.path.relpath(f, top) for f in files) + "\0",
                          capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1):  # 1: nothing ignored; anything else: trust no answer
        return files
    ignored = {os.path.normpath(os.path.join(top, p)) for p in proc.stdout.split("\0") if p}
    return [f for f in files if os.path.normpath(f) not in ignored]


class _GitIgnore:
    """The `.gitignore` files from `top` down, for folders that are not in a git work tree.

    Supports what projects write: comments, `!` negation, a trailing `/` for folders only,
    patterns anchored by a leading or inner `/`, and `*`, `?`, `[...]`, `**`.
    """

    def __init__(self, top: Path) -> None:
        self.rules: dict[Path, list[tuple[re.Pattern[str], bool, bool]]] = {}
        self.top = top

    def _rules(self, folder: Path) -> list[tuple[re.Pattern[str], bool, bool]]:
        if folder not in self.rules:
            rules = []
            file = folder / ".gitignore"
            lines = file.read_text("utf-8", "replace").splitlines() if file.is_file() else []
            for line in lines:
                line = line.rstrip()
                if not line or line.startswith("#"):
                    continue
                negate = line.startswith("!")
                line = line[1:] if negate else line
                dir_only = line.endswith("/")
                line = line.rstrip("/")
                anchored = "/" in line
                rules.append((_compile(line.lstrip("/"), anchored), negate, dir_only))
            self.rules[folder] = rules
        return self.rules[folder]

    def ignored(self, path: Path, is_dir: bool) -> bool:
        verdict = False
        folders = [self.top, *[p for p in reversed(path.parents) if self.top in p.parents]]
        for folder in folders:
            relative = path.relative_to(folder).as_posix()
            for pattern, negate, dir_only in self._rules(folder):
                if dir_only and not is_dir:
                    continue
                if pattern.fullmatch(relative):
                    verdict = not negate
        return verdict


def _compile(pattern: str, anchored: bool) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
            continue
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
            continue
        if char == "*":
            out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out += re.escape(char)
            else:
                out += "[" + pattern[i + 1:end].replace("!", "^", 1) + "]"
                i = end
        else:
            out += re.escape(char)
        i += 1
    return re.compile(out if anchored else f"(?:.*/)?{out}")


def importers(files: Iterable[str]) -> dict[str, tuple[str, int]]:
    """Module name (a file's stem) -> (file, line) of one of `files` that imports it.

    A module another file imports is a library module, not a main script: `fix` must not
    put its import-time code under a main guard, where importers would no longer find it.
    Matching by the last part of the dotted name errs on the side of "imported".
    """
    found: dict[str, tuple[str, int]] = {}
    for file in files:
        if file == STDIN:
            continue
        try:
            tree = ast.parse(Path(file).read_bytes(), filename=file)
        except (OSError, SyntaxError, ValueError):
            continue  # fix reports the file itself
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [alias.name for alias in node.names]
                if node.module:
                    names.append(node.module)
            for name in names:
                found.setdefault(name.rpartition(".")[2], (file, node.lineno))
    return found
