"""freezekit's own API has one spelling, snake_case (processing keeps 0.52's camelCase: that is
the API old code calls; freezekit is new, and no 0.52 code ever called it)."""

from __future__ import annotations

import ctypes
import importlib
import inspect
import pkgutil
import re

import pytest

import freezekit

#: Not importable as modules (``__main__`` runs the CLI, PyInstaller hooks are files named
#: for PyInstaller), or names that belong to another project's interface (Nuitka's plugin
#: methods are Nuitka's).
SKIPPED = {"freezekit.__main__", "freezekit.backends.nuitka_plugin"}
CAMEL = re.compile(r"^[a-z][a-z0-9]*[A-Z]")

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(freezekit.__path__, "freezekit.")
    if info.name not in SKIPPED and "-" not in info.name)


def _camel_names(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    found = []
    for name, value in vars(module).items():
        if CAMEL.match(name):
            found.append(name)
        # A ctypes structure's fields are the C structure's names (winjob: winnt.h's).
        if (inspect.isclass(value) and value.__module__ == module_name
                and not issubclass(value, ctypes.Structure)):
            found += [f"{name}.{attr}" for attr in vars(value) if CAMEL.match(attr)]
    return found


def test_the_walk_finds_the_packages() -> None:
    assert {"freezekit.analysis.checker", "freezekit.runtime.selftest", "freezekit.cli",
            "freezekit.backends.pyinstaller"} <= set(MODULES)


@pytest.mark.parametrize("module_name", MODULES)
def test_no_camel_case_names(module_name: str) -> None:
    assert _camel_names(module_name) == []
