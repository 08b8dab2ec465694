"""Frozen programs: detection, the launch marker, ``freezeSupport()`` and launch dispatch.

A child of a frozen program is the program's own executable started as
``<exe> --processing-launch KIND ARGS``. Before any user code runs, the program's entry
script (rendered by freezekit) or ``freezeSupport()`` recognises such a command line and runs
the child instead of the app. The stdlib's own launches are recognised too: its spawn
children (``--multiprocessing-fork``), and the resource tracker and forkserver that it starts
as ``<exe> [flags] -c "from multiprocessing.<module> import main; main(...)"``.
"""

from __future__ import annotations

import ast
import os
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["MARKER", "child_command", "dispatch_launch", "freezeSupport", "freeze_support",
           "is_frozen", "recognise_launch"]

MARKER = "--processing-launch"

# The code that the stdlib runs with ``-c`` in helper processes it starts itself.
_STDLIB_HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")

# Plain imports that may precede the helper call in the ``-c`` code.
_HARMLESS_IMPORTS = frozenset({"sys", "os"})

# Nuitka rewrites the stdlib's resource tracker launch, in the programs it compiles, as
# ``<exe> [flags] --multiprocessing-resource-tracker FD``.
_NUITKA_TRACKER = "--multiprocessing-resource-tracker"

# Interpreter options that take a value; a frozen program receives them before ``-c``.
_OPTIONS_WITH_VALUE = ("-W", "-X")


def is_frozen() -> bool:
    """True inside an executable made by PyInstaller, cx_Freeze, py2exe or Nuitka."""
    return bool(getattr(sys, "frozen", False)) or "__compiled__" in globals()


def child_command(args: Sequence[str]) -> list[str]:
    """The command line that starts a child of ours running ``bootstrap.main(args)``."""
    from multiprocessing import spawn, util

    if is_frozen():
        # get_executable() is sys.executable as bytes on POSIX, which spawnv_passfds needs.
        return [spawn.get_executable(), MARKER, *args]
    # The child finds processing where the parent did, even if it is not installed.
    home = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return [
        spawn.get_executable(),
        *util._args_from_interpreter_flags(),
        "-c",
        f"import sys; sys.path.insert(0, {home!r}); from processing.bootstrap import main; main()",
        MARKER,
        *args,
    ]


def recognise_launch(argv: Sequence[str]) -> tuple[str, list[str]] | None:
    """Which kind of child launch ``argv`` is: ``("processing", args)``, ``("stdlib-spawn",
    args)``, ``("stdlib-helper", [code])``, or None for an ordinary start of the program."""
    args = list(argv[1:])
    if args[:1] == [MARKER]:
        return "processing", args[1:]
    if args[:1] == ["--multiprocessing-fork"]:
        return "stdlib-spawn", args[1:]
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] not in ("-c", _NUITKA_TRACKER):
        i += 2 if args[i] in _OPTIONS_WITH_VALUE else 1
    if args[i : i + 1] == [_NUITKA_TRACKER] and args[i + 1 : i + 2] and args[i + 1].isdigit():
        code = f"from multiprocessing.resource_tracker import main; main({int(args[i + 1])})"
        return "stdlib-helper", [code]
    if args[i : i + 1] == ["-c"] and i + 1 < len(args) and _helper_call(args[i + 1]):
        return "stdlib-helper", [args[i + 1]]
    return None


def _helper_call(code: str) -> tuple[str, list[Any], dict[str, Any]] | None:
    """Parse ``from multiprocessing.X import main; main(<literals>)``; None if it is not one.

    Only literal arguments are accepted, so a crafted ``-c`` cannot run arbitrary code.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    body = list(tree.body)
    # Newer CPython releases put plain imports (``import sys;``) in front of the helper call.
    while body and isinstance(body[0], ast.Import) and all(
        alias.name in _HARMLESS_IMPORTS and alias.asname is None for alias in body[0].names
    ):
        body.pop(0)
    if len(body) != 2:
        return None
    imp, call = body
    if not (
        isinstance(imp, ast.ImportFrom)
        and imp.module in _STDLIB_HELPERS
        and [(a.name, a.asname) for a in imp.names] == [("main", None)]
        and isinstance(call, ast.Expr)
        and isinstance(call.value, ast.Call)
        and isinstance(call.value.func, ast.Name)
        and call.value.func.id == "main"
    ):
        return None
    try:
        args = [ast.literal_eval(a) for a in call.value.args]
        kwargs = {}
        for kw in call.value.keywords:
            if kw.arg is None:
                kwargs.update(ast.literal_eval(kw.value))
            else:
                kwargs[kw.arg] = ast.literal_eval(kw.value)
    except ValueError:
        return None
    return imp.module, args, kwargs


def dispatch_launch(argv: Sequence[str] | None = None) -> None:
    """If this process was started as a child, run it and exit; otherwise return at once."""
    argv = sys.argv if argv is None else argv
    launch = recognise_launch(argv)
    if launch is None:
        return
    kind, args = launch
    from processing.report import stand_in_streams

    # A windowed program's child has no stdout/stderr; the stdlib's children write to them.
    stand_in_streams()
    if kind == "processing":
        from processing import bootstrap

        bootstrap.main(args)
    elif kind == "stdlib-spawn":
        from multiprocessing import spawn

        kwds = dict(arg.split("=", 1) for arg in args)
        spawn.spawn_main(**{k: None if v == "None" else int(v) for k, v in kwds.items()})
    else:
        import importlib

        module, call_args, call_kwargs = _helper_call(args[0])  # type: ignore[misc]
        importlib.import_module(module).main(*call_args, **call_kwargs)
    sys.exit(0)


def freezeSupport() -> None:
    """Call first thing under ``if __name__ == '__main__':`` in a program you will freeze.

    In a frozen program started as a child it runs the child and exits; everywhere else it
    does nothing. Programs built with ``freezekit build`` dispatch children before the
    app runs, so there this call is harmless and optional.
    """
    if is_frozen():
        dispatch_launch()


freeze_support = freezeSupport
