"""`[tool.freezekit]` in pyproject.toml: what `check` selects and what `build` builds.

```toml
[tool.freezekit]
select = ["FK001", "FK002"]      # or ignore = ["FK005"]

[tool.freezekit.build]
script = "app.py"                # `freezekit build` with no argument builds this
name = "myapp"
backend = "pyinstaller"
onefile = true
windowed = false
icon = "assets/app.ico"
add-data = ["assets:assets"]
hidden-imports = ["plugins.extra"]
freezer-args = ["--noupx"]
```

Keys have the command line's names; the command line overrides the file. Paths are relative
to the folder holding pyproject.toml. A key this module does not know is an error that names
it, so a typo never silently does nothing.
"""

from __future__ import annotations

import difflib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["BuildConfig", "Config", "ConfigError", "find_config", "load_config"]

FILENAME = "pyproject.toml"


class ConfigError(ValueError):
    """pyproject.toml is unreadable or `[tool.freezekit]` is wrong; the message says where."""


@dataclass
class BuildConfig:
    """`[tool.freezekit.build]`; None (or empty) where the file says nothing."""

    script: str | None = None
    name: str | None = None
    backend: str | None = None
    onefile: bool | None = None
    windowed: bool | None = None
    icon: str | None = None
    distpath: str | None = None
    workpath: str | None = None
    add_data: list[str] | None = None
    hidden_imports: list[str] | None = None
    freezer_args: list[str] | None = None


@dataclass
class Config:
    """The project's freezekit settings and the file they came from (None: no file)."""

    path: Path | None = None
    select: list[str] | None = None
    ignore: list[str] | None = None
    build: BuildConfig = field(default_factory=BuildConfig)


# key -> (attribute, kind, is a path relative to the project)
_BUILD_KEYS: dict[str, tuple[str, str, bool]] = {
    "script": ("script", "str", True),
    "name": ("name", "str", False),
    "backend": ("backend", "str", False),
    "onefile": ("onefile", "bool", False),
    "windowed": ("windowed", "bool", False),
    "icon": ("icon", "str", True),
    "distpath": ("distpath", "str", True),
    "workpath": ("workpath", "str", True),
    "add-data": ("add_data", "list", False),
    "hidden-imports": ("hidden_imports", "list", False),
    "freezer-args": ("freezer_args", "list", False),
}
_TOP_KEYS = ("select", "ignore", "build")


def find_config(start: Path | None = None) -> Path | None:
    """The nearest pyproject.toml with a `[tool.freezekit]` table, from `start` upwards."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        file = candidate / FILENAME
        if file.is_file():
            try:
                if "freezekit" in _read(file).get("tool", {}):
                    return file
            except ConfigError:
                return file  # report its error rather than skip to a parent's settings
    return None


def load_config(path: Path | None) -> Config:
    """Read and validate `[tool.freezekit]` from `path`; an empty Config for None."""
    if path is None:
        return Config()
    table = _read(path).get("tool", {}).get("freezekit", {})
    where = f"{_shown(path)}: [tool.freezekit]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table")
    _unknown(table, _TOP_KEYS, where)
    config = Config(path=path)
    for key in ("select", "ignore"):
        if key in table:
            setattr(config, key, _rule_codes(table[key], f"{where} {key}"))
    build = table.get("build", {})
    if not isinstance(build, dict):
        raise ConfigError(f"{where} build: expected a table, [tool.freezekit.build]")
    where = f"{_shown(path)}: [tool.freezekit.build]"
    _unknown(build, tuple(_BUILD_KEYS), where)
    root = path.parent
    for key, value in build.items():
        attr, kind, is_path = _BUILD_KEYS[key]
        if kind == "bool":
            if not isinstance(value, bool):
                raise ConfigError(f"{where} {key}: expected true or false, got {value!r}")
        elif kind == "str":
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{where} {key}: expected a non-empty string, got {value!r}")
            if is_path:
                value = _project_path(root, value)
        else:
            value = _strings(value, f"{where} {key}")
            if key == "add-data":
                value = [_data_spec(root, spec) for spec in value]
        setattr(config.build, attr, value)
    return config


def _read(path: Path) -> dict[str, Any]:
    toml = _toml()
    try:
        with open(path, "rb") as file:
            return toml.load(file)
    except OSError as exc:
        raise ConfigError(f"{_shown(path)}: cannot read: {exc.strerror}") from None
    except toml.TOMLDecodeError as exc:
        raise ConfigError(f"{_shown(path)}: not valid TOML ({exc}); fix the file") from None


def _toml() -> Any:
    """tomllib, or tomli before Python 3.11 (a dependency there): imported when needed."""
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    try:
        import tomli
    except ImportError:  # pragma: no cover - only if installed without its dependencies
        raise ConfigError("reading pyproject.toml needs tomli on Python < 3.11: "
                          "pip install tomli") from None
    return tomli


def _unknown(table: dict[str, Any], known: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigError(f"{where}: unknown key {key!r}; {hint}known keys: "
                              f"{', '.join(known)}")


def _strings(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
    return list(value)


def _rule_codes(value: object, where: str) -> list[str]:
    from freezekit.analysis import RULES

    codes = [code.strip().upper() for code in _strings(value, where)]
    unknown = sorted(set(codes) - set(RULES))
    if unknown:
        raise ConfigError(f"{where}: unknown code(s) {', '.join(unknown)}; known codes: "
                          f"{', '.join(RULES)}")
    return codes


def _project_path(root: Path, value: str) -> str:
    """A path from the file, as the command line would give it from the current folder."""
    joined = root / value
    try:
        return os.path.relpath(joined)
    except ValueError:  # another drive, on Windows
        return str(joined)


def _data_spec(root: Path, spec: str) -> str:
    sep = ";" if os.name == "nt" and ";" in spec else ":"
    source, found, dest = spec.rpartition(sep)
    return f"{_project_path(root, source)}{sep}{dest}" if found and source else spec


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)
