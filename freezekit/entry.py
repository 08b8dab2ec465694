"""The frozen program's entry script: rendered from ``templates/entry.py.tmpl``.

The entry script dispatches child launches before anything else, then runs the app's own
module as ``__main__`` (see DESIGN.md, decision 3). This module decides under which module
name the app is bundled and writes the script for a backend to freeze.
"""

from __future__ import annotations

import keyword
import re
import shutil
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from freezekit import __version__
from freezekit.runtime import selftest

__all__ = ["AppModule", "app_module", "render", "write_entry"]

TEMPLATE = "entry.py.tmpl"

# Used when the script's own name cannot be imported safely (see app_module()).
_STAGED_PREFIX = "_freezekit_app_"


@dataclass(frozen=True)
class AppModule:
    """How the app's script is bundled: as the module ``name``, found in ``directory``."""

    script: Path
    name: str
    directory: Path

    @property
    def staged(self) -> bool:
        """True if the script is bundled from a renamed copy rather than from where it is."""
        return self.directory != self.script.parent


def _stdlib_names() -> frozenset[str]:
    names = getattr(sys, "stdlib_module_names", None)  # Python 3.10+
    if names is None:
        names = set(sys.builtin_module_names) | {
            m for m in sys.modules if "." not in m and not m.startswith("_")}
    return frozenset(names)


def _importable_as_itself(script: Path) -> bool:
    """Whether the script can be bundled under its own stem without shadowing anything."""
    stem = script.stem
    return (
        stem.isidentifier()
        and not keyword.iskeyword(stem)
        and stem not in _stdlib_names()
        and stem not in {"processing", "freezekit", "__main__"}
        # A package of the same name next to the script would win the import.
        and not (script.parent / stem).is_dir()
    )


def app_module(script: str | Path, staging_dir: str | Path) -> AppModule:
    """Choose the module name the app's script is bundled under, staging a copy if needed.

    The script's own name (``app.py`` -> ``app``) keeps tracebacks and pickled names natural.
    A name that is not an identifier or that would shadow another module (``my-app.py``,
    ``queue.py``) is bundled from a copy named ``_freezekit_app_<name>`` in ``staging_dir``.
    """
    script = Path(script).resolve()
    if _importable_as_itself(script):
        return AppModule(script, script.stem, script.parent)
    name = _STAGED_PREFIX + re.sub(r"\W", "_", script.stem)
    staging = Path(staging_dir).resolve()
    staging.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(script, staging / f"{name}.py")
    return AppModule(script, name, staging)


def _template_source() -> str:
    try:
        return resources.files("freezekit.templates").joinpath(TEMPLATE).read_text("utf-8")
    except ModuleNotFoundError:
        # Run from a source checkout (``python3 -m freezekit`` in the repository root shadows
        # the installed package): the templates are installed as freezekit.templates, but in
        # the checkout they are the top-level templates/ folder.
        checkout = Path(__file__).resolve().parent.parent / "templates" / TEMPLATE
        return checkout.read_text("utf-8")


def render(module: str) -> str:
    """The entry script's source for an app bundled as ``module``."""
    if not all(part.isidentifier() for part in module.split(".")):
        raise ValueError(f"not a module name: {module!r}")
    return _template_source().format(version=__version__, module=module,
                           self_test_flag=selftest.FLAG, self_test_env=selftest.ENV)


def write_entry(module: str, path: str | Path) -> Path:
    """Render the entry script for ``module`` into ``path`` (written only if it changed)."""
    path = Path(path)
    source = render(module)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Unchanged bytes keep the freezer's cache valid between builds.
    if not path.is_file() or path.read_text("utf-8") != source:
        path.write_text(source, "utf-8")
    return path
