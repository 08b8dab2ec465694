"""Load CPython's ``test._test_multiprocessing`` with processing as its ``multiprocessing``.

The suite imports ``multiprocessing`` and a dozen of its submodules, at module level and inside
tests, and binds names from them in its mixin classes as the module executes. So the source is
executed in a module whose own ``__import__`` answers every ``multiprocessing[.X]`` import with
a view of processing: the suite sees processing everywhere, while processing itself and the
rest of the interpreter keep the real stdlib package that processing builds on.

A view answers each name from the processing module of the same name. Two fallbacks to the
stdlib keep the comparison about behaviour, not about where a helper lives:

* private names (``_cleanup``, ``_dangling``...) that processing does not define come from the
  stdlib module, since processing's objects are registered in the stdlib's bookkeeping;
* submodules processing does not have (``heap``, ``util``, ``shared_memory``,
  ``resource_tracker``...) are the stdlib's: processing reuses them as they are.

The suite's ``sys`` is the real one, except that ``sys.modules`` also holds the views (its
import-star test looks modules up there); nothing is added to the real ``sys.modules``.

A public name processing lacks is never filled in, so its absence fails the tests that use it.
"""

from __future__ import annotations

import builtins
import collections
import importlib
import importlib.util
import sys
import types
from typing import Any

__all__ = ["SUITE_MODULE", "load_suite", "stdlib_submodules_used"]

SUITE_MODULE = "test._test_multiprocessing"

_MISSING = object()
_views: dict[str, types.ModuleType] = {}
#: Submodules the suite asked for that processing does not provide (reported by the runner).
_stdlib_reused: set[str] = set()


class _View(types.ModuleType):
    """``processing[.X]`` as the suite's ``multiprocessing[.X]``."""

    def __init__(self, name: str, ours: types.ModuleType, stdlib: types.ModuleType) -> None:
        super().__init__(name, ours.__doc__)
        object.__setattr__(self, "_compat_ours", ours)
        object.__setattr__(self, "_compat_stdlib", stdlib)

    def __getattr__(self, attr: str) -> Any:
        ours = object.__getattribute__(self, "_compat_ours")
        value = getattr(ours, attr, _MISSING)
        if isinstance(value, types.ModuleType) and value.__name__.startswith("processing."):
            return _submodule(_stdlib_name(value.__name__))
        if value is not _MISSING:
            return value
        if not attr.startswith("__"):
            sub = _submodule(f"{_stdlib_name(ours.__name__)}.{attr}")
            if sub is not None:
                return sub
        if attr.startswith("_"):
            return getattr(object.__getattribute__(self, "_compat_stdlib"), attr)
        raise AttributeError(
            f"module {ours.__name__!r} has no attribute {attr!r} "
            f"(the suite asked for {_stdlib_name(ours.__name__)}.{attr})"
        )

    def __setattr__(self, attr: str, value: Any) -> None:
        setattr(object.__getattribute__(self, "_compat_ours"), attr, value)

    def __delattr__(self, attr: str) -> None:
        delattr(object.__getattribute__(self, "_compat_ours"), attr)

    def __dir__(self) -> list[str]:
        return dir(object.__getattribute__(self, "_compat_ours"))

    def __repr__(self) -> str:
        return f"<processing as {self.__name__!r}>"


def _stdlib_name(ours_name: str) -> str:
    return "multiprocessing" + ours_name[len("processing"):]


def _submodule(stdlib_name: str) -> types.ModuleType | None:
    """The module the suite gets for ``multiprocessing.X``, or None if there is no ``X``."""
    if stdlib_name in _views:
        return _views[stdlib_name]
    ours_name = "processing" + stdlib_name[len("multiprocessing"):]
    if _find(ours_name):
        ours = importlib.import_module(ours_name)
        # A module of ours the stdlib has no counterpart of (log, freezing...) has no fallback.
        stdlib = (importlib.import_module(stdlib_name) if _find(stdlib_name)
                  else types.ModuleType(stdlib_name))
        view = _View(stdlib_name, ours, stdlib)
        _views[stdlib_name] = view
        return view
    if not _find(stdlib_name):
        return None
    module = importlib.import_module(stdlib_name)
    _stdlib_reused.add(stdlib_name)
    _views[stdlib_name] = module
    return module


def _find(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:  # a parent that is no package, or that fails to import
        return False


class _SysView(types.ModuleType):
    """The suite's ``sys``: the real one, except that ``sys.modules[name]`` also finds the
    views it imported (its import-star test looks each module up there after importing it).
    Assignments go to the real ``sys``."""

    @property
    def modules(self) -> collections.ChainMap:
        return collections.ChainMap(_views, sys.modules)

    def __getattr__(self, attr: str) -> Any:
        return getattr(sys, attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        setattr(sys, attr, value)

    def __delattr__(self, attr: str) -> None:
        delattr(sys, attr)


_sys_view = _SysView("sys")


def _import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (),
            level: int = 0) -> Any:
    if level == 0 and (name == "multiprocessing" or name.startswith("multiprocessing.")):
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):
            module = _submodule(".".join(parts[:depth])) if depth > 1 else _top()
            if module is None:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return module if fromlist else _top()
    if name == "sys" and level == 0:
        return _sys_view
    return builtins.__import__(name, globals, locals, fromlist, level)


def _top() -> types.ModuleType:
    if "multiprocessing" not in _views:
        import multiprocessing

        import processing

        _views["multiprocessing"] = _View("multiprocessing", processing, multiprocessing)
    return _views["multiprocessing"]


def stdlib_submodules_used() -> list[str]:
    """The stdlib submodules the suite was handed because processing has no such module."""
    return sorted(_stdlib_reused)


def load_suite(library: str) -> types.ModuleType:
    """``test._test_multiprocessing``, testing ``library`` ('stdlib' or 'processing')."""
    if library == "stdlib":
        return importlib.import_module(SUITE_MODULE)
    if library != "processing":
        raise ValueError(f"library must be 'stdlib' or 'processing', not {library!r}")
    loaded = sys.modules.get(SUITE_MODULE)
    if loaded is not None:
        if getattr(loaded, "_compat_library", None) != "processing":
            raise RuntimeError(f"{SUITE_MODULE} was imported before processing was substituted")
        return loaded
    spec = importlib.util.find_spec(SUITE_MODULE)
    if spec is None or spec.origin is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {SUITE_MODULE!r}", name=SUITE_MODULE)
    module = importlib.util.module_from_spec(spec)
    module.__dict__["__builtins__"] = dict(vars(builtins), __import__=_import)
    module.__dict__["_compat_library"] = "processing"
    # Registered first, as the import system does: children unpickle the suite's functions
    # by this name and must find this copy, not the stdlib-testing one.
    sys.modules[SUITE_MODULE] = module
    try:
        code = spec.loader.get_code(SUITE_MODULE)  # type: ignore[attr-defined]
        exec(code, module.__dict__)  # noqa: S102  (the interpreter's own test module)
    except BaseException:
        del sys.modules[SUITE_MODULE]
        raise
    importlib.import_module("test").__dict__[SUITE_MODULE.rpartition(".")[2]] = module
    return module
