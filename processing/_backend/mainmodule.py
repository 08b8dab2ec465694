"""The parent's main module in a child: how the parent names it, how a spawned child (and
the fork server, for its children) imports it as ``__mp_main__``, and the refusal to start
processes while that import runs.

The import runs the module's top level but not its ``if __name__ == '__main__':`` block.
Code at top level that starts processes would start them again in every child, whose
children would do the same: :func:`refuse_while_importing_main` stops that in the first
child, with the fix in the message.
"""

from __future__ import annotations

import importlib.util
import os
import runpy
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing import process as _stdlib_process
from typing import Any

from processing import _stdlib

__all__ = ["IMPORTING_MAIN_MESSAGE", "import_main", "importing_main", "is_compiled_main",
           "main_module_spec", "refuse_while_importing_main", "run_compiled"]

IMPORTING_MAIN_MESSAGE = """\
A child process tried to start a new process while it was importing the main module {main}.

The main module is imported again in every child started with the spawn or forkserver start
method (always on Windows, and in frozen executables). Code at module level that starts
processes, pools or managers therefore runs again in each child, which would start children
of its own without end. processing refuses, so this child fails instead.

Fix: put that code under the main guard

    if __name__ == '__main__':
        freezeSupport()
        ...  # start processes here

`freezekit fix {fix_path}` makes this change for you."""

# The child's original ``__main__`` (the bootstrap's), kept alive once replaced.
_replaced_mains: list[types.ModuleType] = []


def main_module_spec() -> tuple[str, str] | None:
    """In the parent: how a child finds the main module, ``("name", dotted)`` or
    ``("path", file)``; None when a child must not import it (``-m pkg``, ``-c``, a REPL, a
    frozen main script that is not importable)."""
    main = sys.modules.get("__main__")
    if main is None:
        return None
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if name is not None:
        if name == "__main__" or name.endswith(".__main__"):
            return None  # ``python -m pkg``: re-running the package's __main__ is never safe
        return "name", name
    path = getattr(main, "__file__", None)
    if path is None or getattr(sys, "frozen", False):
        return None
    if not os.path.isabs(path) and _stdlib_process.ORIGINAL_DIR is not None:
        path = os.path.join(_stdlib_process.ORIGINAL_DIR, path)
    return "path", os.path.normpath(path)


@contextmanager
def importing_main() -> Iterator[None]:
    """While a child prepares itself (and imports the main module): starting a process is
    refused, by processing and by the stdlib alike."""
    _stdlib.set_inheriting(True)
    try:
        yield
    finally:
        _stdlib.set_inheriting(False)
        _stdlib.set_importing_main(None)


def refuse_while_importing_main() -> None:
    """Refuse to start a process while this child is still importing the main module."""
    inheriting, main = _stdlib.inheriting()
    if inheriting:
        main = main or "__main__"
        script = os.path.basename(main) if main.endswith(".py") else "app.py"
        raise RuntimeError(IMPORTING_MAIN_MESSAGE.format(main=main, fix_path=script))


def import_main(how: str, where: str) -> None:
    """Import the parent's main module ``(how, where)`` (from :func:`main_module_spec`) as
    ``__mp_main__`` and alias it as ``__main__``; nothing if it is this process's already."""
    current_main = sys.modules["__main__"]
    if how == "name":
        if getattr(getattr(current_main, "__spec__", None), "name", None) == where:
            return  # already imported (a fork server preloaded it)
    elif (getattr(current_main, "__file__", None) == where
          or os.path.splitext(os.path.basename(where))[0] == "ipython"):
        return
    _stdlib.set_importing_main(where)
    main_module = types.ModuleType("__mp_main__")
    if how == "name":
        if is_compiled_main(how, where):
            _import_compiled_main(importlib.util.find_spec(where))
            return
        content = runpy.run_module(where, run_name="__mp_main__", alter_sys=True)
    else:
        content = runpy.run_path(where, run_name="__mp_main__")
    main_module.__dict__.update(content)
    _replaced_mains.append(current_main)
    sys.modules["__main__"] = sys.modules["__mp_main__"] = main_module


def _import_compiled_main(spec: Any) -> None:
    """A main module compiled by Nuitka has no code for runpy: its loader runs it, under the
    ``__name__`` that freezekit's Nuitka plugin lets the program choose."""
    main_module = importlib.util.module_from_spec(spec)
    current_main = sys.modules["__main__"]
    sys.modules["__main__"] = sys.modules["__mp_main__"] = main_module
    sys._freezekit_run_name = "__mp_main__"  # type: ignore[attr-defined]
    try:
        spec.loader.exec_module(main_module)
    except BaseException:
        # As runpy leaves it: no half-run module stands in for the main module.
        sys.modules["__main__"] = current_main
        sys.modules.pop("__mp_main__", None)
        raise
    finally:
        sys.__dict__.pop("_freezekit_run_name", None)
    _replaced_mains.append(current_main)


def run_compiled(name: str, run_name: str) -> types.ModuleType:
    """Run the compiled (Nuitka) module ``name`` as a fresh module called ``run_name``."""
    spec = importlib.util.find_spec(name)
    module = importlib.util.module_from_spec(spec)
    sys._freezekit_run_name = run_name  # type: ignore[attr-defined]
    try:
        spec.loader.exec_module(module)
    finally:
        sys.__dict__.pop("_freezekit_run_name", None)
    return module


def is_compiled_main(how: str, where: str) -> bool:
    """Whether the main module ``(how, where)`` is compiled (Nuitka): no code for runpy."""
    if how != "name":
        return False
    try:
        spec = importlib.util.find_spec(where)
    except (ImportError, ValueError):
        return False
    return spec is not None and not hasattr(spec.loader, "get_code")
