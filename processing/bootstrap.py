"""The child's entry point: every spawned and forkserver child of processing starts here.

The parent writes the *launch data* to a pipe that the child inherits: first the
preparation data (paths, argv, authkey, how to find the main module), then the pickled
process object. The child reads the first part, imports the parent's main module under the
name ``__mp_main__`` (so its ``if __name__ == '__main__':`` block does not run), then
unpickles the process object (whose target may live in that module) and runs it. Nothing
of this appears in the child's ``sys.argv``: it is replaced by the parent's.
"""

from __future__ import annotations

import importlib.util
import io
import os
import pickle
import runpy
import sys
import types
from collections.abc import Sequence
from multiprocessing import context as _stdlib_context
from multiprocessing import process as _stdlib_process
from multiprocessing import reduction, util
from typing import Any, NoReturn

from processing.report import stand_in_streams, write_error, write_exception

__all__ = ["launch_data", "main", "run_child"]

# ---------------------------------------------------------------------------------- parent


def _main_module_spec() -> tuple[str, str] | None:
    """How a child finds the parent's main module: ``("name", dotted)`` or ``("path", file)``."""
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
        return None  # interactive, ``-c``, or a frozen main script that is not importable
    if not os.path.isabs(path) and _stdlib_process.ORIGINAL_DIR is not None:
        path = os.path.join(_stdlib_process.ORIGINAL_DIR, path)
    return "path", os.path.normpath(path)


def _preparation_data(process_obj: Any, tracker_fd: int | None) -> dict[str, Any]:
    from processing import log
    from processing._parentdeath import plan_for_child
    from processing.context import default_context

    sys_path = list(sys.path)
    if "" in sys_path and _stdlib_process.ORIGINAL_DIR is not None:
        sys_path[sys_path.index("")] = _stdlib_process.ORIGINAL_DIR
    logger = util._logger
    return {
        "name": process_obj._name,
        "die_with_parent": plan_for_child(process_obj),
        "authkey": bytes(_stdlib_process.current_process().authkey),
        "log_level": None if logger is None else logger.getEffectiveLevel(),
        "log_handler": None if logger is None else log.child_config(),
        "log_to_stderr": util._log_to_stderr,
        "sys_path": sys_path,
        "sys_argv": list(sys.argv),
        "orig_dir": _stdlib_process.ORIGINAL_DIR,
        "dir": os.getcwd(),
        "start_method": default_context.get_start_method(allow_none=True),
        "main": _main_module_spec(),
        "tracker_fd": tracker_fd,
    }


def _describe(obj: object) -> str:
    name = getattr(obj, "__qualname__", None)
    module = getattr(obj, "__module__", None)
    return f"{module}.{name}" if name and module else repr(obj)


def launch_data(process_obj: Any, popen: Any, tracker_fd: int | None = None) -> bytes:
    """Pickle what a child needs; raise a clear ``PicklingError`` in the parent if it can't.

    ``popen`` is the launcher: while it is set as the spawning popen, the stdlib's locks,
    queues and connections agree to be pickled (they are being inherited by a child).
    """
    buf = io.BytesIO()
    _stdlib_context.set_spawning_popen(popen)
    try:
        reduction.dump(_preparation_data(process_obj, tracker_fd), buf)
        try:
            reduction.dump(process_obj, buf)
        except Exception as exc:
            raise _unpicklable(process_obj, popen.method, exc) from exc
    finally:
        _stdlib_context.set_spawning_popen(None)
    return buf.getvalue()


def _unpicklable(process_obj: Any, method: str, exc: Exception) -> Exception:
    """A ``PicklingError`` that is also of the type pickling raised (see
    ``reduction.pickling_error``), naming what could not be pickled."""
    from processing.reduction import pickling_error

    target = getattr(process_obj, "_target", None)
    culprit = f"the process object {process_obj!r}"
    if target is not None:
        try:
            reduction.ForkingPickler.dumps(target)
        except Exception:  # noqa: BLE001  (whatever a __reduce__ raises means "not picklable")
            culprit = f"its target {_describe(target)}"
        else:
            culprit = "its args or kwargs"
    return pickling_error(
        exc,
        f"cannot start {process_obj._name} with the {method!r} start method: {culprit} "
        f"cannot be pickled ({type(exc).__name__}: {exc}). A {method} child receives the "
        "process object by pickling, so the target must be a function defined at module "
        "level (not a lambda, a nested function or a method of a local class), and args, "
        "kwargs and the attributes of a Process subclass must be picklable."
    )


# ----------------------------------------------------------------------------------- child


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point of a launched child: ``[MARKER] KIND ARGS...`` as built by the launcher."""
    from processing.freezing import MARKER
    from processing.process import install_stop_handler

    stand_in_streams()
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == [MARKER]:
        args = args[1:]
    kind, rest = (args[0], args[1:]) if args else ("", [])
    if kind == "child":
        # The stop signal stays blocked (as the launcher left it) until the process object's
        # bootstrap unblocks it, where ``ProcessExit`` becomes the exit code.
        install_stop_handler(unblock=False)
        code = _child_from_command_line(rest)
    elif kind == "forkserver":
        from processing import forkserver

        forkserver.serve(rest)
        code = 0
    else:
        write_error(
            f"processing.bootstrap: unknown launch {args!r}; this entry point is only for "
            "children started by processing\n"
        )
        code = 2
    sys.exit(code)


def _child_from_command_line(args: list[str]) -> int:
    if sys.platform == "win32":
        import msvcrt

        parent_pid, handle = int(args[0]), int(args[1])
        import _winapi

        source = _winapi.OpenProcess(_winapi.SYNCHRONIZE | _winapi.PROCESS_DUP_HANDLE,
                                     False, parent_pid)
        fd = msvcrt.open_osfhandle(reduction.duplicate(handle, source_process=source,
                                                       inheritable=False), os.O_RDONLY)
        parent_sentinel = source
    else:
        fd = int(args[0])
        parent_sentinel = os.dup(fd)
    return run_child(fd, parent_sentinel)


def run_child(fd: int, parent_sentinel: Any) -> int:
    """Read the launch data from ``fd``, prepare this process, run the process object."""
    current = _stdlib_process.current_process()
    current._inheriting = True
    try:
        with open(fd, "rb", closefd=True) as source:
            prep = pickle.load(source)
            if prep.get("die_with_parent") is not None and sys.platform != "win32":
                from processing._parentdeath import die_with_parent

                die_with_parent(prep["die_with_parent"], parent_sentinel)
            try:
                _prepare(prep)
            except Exception:  # noqa: BLE001  (reported with its traceback; exit 1 everywhere)
                # Frozen runtimes differ on uncaught exceptions (cx_Freeze exits 255), so
                # the child reports the failure itself and exits 1 on every platform.
                write_exception(f"Process {prep['name']}: the main module could not be "
                                "imported in the child:\n")
                return 1
            try:
                process_obj = pickle.load(source)
            except Exception as exc:  # noqa: BLE001  (reported to the user, with the fix)
                write_error(_cannot_unpickle(prep, exc))
                return 1
    finally:
        del current._inheriting
        current.__dict__.pop("_importing_main", None)
    return process_obj._bootstrap(parent_sentinel)


def _cannot_unpickle(prep: dict[str, Any], exc: Exception) -> str:
    where = prep["main"][1] if prep.get("main") else "the main module"
    return (
        f"Process {prep['name']}: could not receive its process object from the parent "
        f"({type(exc).__name__}: {exc}).\nIf the target is defined under "
        f"`if __name__ == '__main__':` in {where}, move it to module level: a spawned child "
        "imports the main module without running that block.\n"
    )


def _prepare(data: dict[str, Any]) -> None:
    """Make this fresh interpreter look like the parent, then import its main module."""
    from processing.context import force_default_method

    current = _stdlib_process.current_process()
    current.name = data["name"]
    current.authkey = data["authkey"]
    if data["log_handler"] is not None:
        from processing.log import enableLogging

        enableLogging(data["log_level"], *data["log_handler"])
    elif data["log_to_stderr"]:
        util.log_to_stderr(data["log_level"])
    elif data["log_level"] is not None:
        util.get_logger().setLevel(data["log_level"])
    sys.path[:] = data["sys_path"]
    sys.argv[:] = data["sys_argv"]
    if data["orig_dir"] is not None:
        _stdlib_process.ORIGINAL_DIR = data["orig_dir"]
    os.chdir(data["dir"])
    force_default_method(data["start_method"])
    if data["tracker_fd"] is not None and sys.platform != "win32":
        from multiprocessing import resource_tracker

        resource_tracker._resource_tracker._fd = data["tracker_fd"]
    if data["main"] is not None:
        _import_main(*data["main"])


def _import_main(how: str, where: str) -> None:
    """Import the parent's main module as ``__mp_main__`` and alias it as ``__main__``."""
    current_main = sys.modules["__main__"]
    if how == "name":
        if getattr(getattr(current_main, "__spec__", None), "name", None) == where:
            return  # already imported (a forkserver preloaded it)
    elif getattr(current_main, "__file__", None) == where or os.path.splitext(os.path.basename(where))[0] == "ipython":
        return
    _stdlib_process.current_process()._importing_main = where
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


# The child's original ``__main__`` (the bootstrap's), kept alive once replaced.
_replaced_mains: list[types.ModuleType] = []
