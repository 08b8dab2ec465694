"""The child's entry point: every spawned and forkserver child of processing starts here.

The parent writes the *payload* to a pipe that the child inherits: first the preparation
data (paths, argv, authkey, start method, how to find the main module), then the pickled
process object. The child reads the first part, imports the parent's main module under the
name ``__mp_main__`` (so its ``if __name__ == '__main__':`` block does not run), then
unpickles the process object (whose target may live in that module) and runs it. Nothing
of this appears in the child's ``sys.argv``: it is replaced by the parent's. The command
line that starts the child (and names the pipe) is built and read by ``launch.py``.
"""

from __future__ import annotations

import io
import os
import pickle
import sys
from collections.abc import Sequence
from multiprocessing import context as _stdlib_context
from multiprocessing import process as _stdlib_process
from multiprocessing import reduction, util
from typing import Any, NoReturn

from processing import _defaultctx, _stdlib
from processing._backend import mainmodule, signals
from processing._backend.launch import recognise
from processing._parentdeath import die_with_parent, plan_for_child
from processing.report import stand_in_streams, write_error, write_exception

__all__ = ["main", "payload", "run_child"]

# ---------------------------------------------------------------------------------- parent


def _preparation_data(process_obj: Any, method: str, tracker_fd: int | None) -> dict[str, Any]:
    from processing import log

    sys_path = list(sys.path)
    if "" in sys_path and _stdlib_process.ORIGINAL_DIR is not None:
        sys_path[sys_path.index("")] = _stdlib_process.ORIGINAL_DIR
    logger = _stdlib.multiprocessing_logger()
    return {
        "name": process_obj.name,
        "die_with_parent": plan_for_child(process_obj),
        "authkey": bytes(_stdlib_process.current_process().authkey),
        "log_level": None if logger is None else logger.getEffectiveLevel(),
        "log_handler": None if logger is None else log.child_config(),
        "log_to_stderr": _stdlib.multiprocessing_logs_to_stderr(),
        "sys_path": sys_path,
        "sys_argv": list(sys.argv),
        "orig_dir": _stdlib_process.ORIGINAL_DIR,
        "dir": os.getcwd(),
        "start_method": method,
        "main": mainmodule.main_module_spec(),
        "tracker_fd": tracker_fd,
    }


def _describe(obj: object) -> str:
    name = getattr(obj, "__qualname__", None)
    module = getattr(obj, "__module__", None)
    return f"{module}.{name}" if name and module else repr(obj)


def payload(process_obj: Any, popen: Any, tracker_fd: int | None = None) -> bytes:
    """What a child reads from its launch pipe: the preparation data, then the process object.
    Raises a clear ``PicklingError`` in the parent if the process object cannot be pickled.

    ``popen`` is the launcher: while it is set as the spawning popen, the stdlib's locks,
    queues and connections agree to be pickled (they are being inherited by a child). Its
    ``method`` becomes the child's default start method.
    """
    buf = io.BytesIO()
    _stdlib_context.set_spawning_popen(popen)
    try:
        reduction.dump(_preparation_data(process_obj, popen.method, tracker_fd), buf)
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

    target = _stdlib.process_target(process_obj)
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
        f"cannot start {process_obj.name} with the {method!r} start method: {culprit} "
        f"cannot be pickled ({type(exc).__name__}: {exc}). A {method} child receives the "
        "process object by pickling, so the target must be a function defined at module "
        "level (not a lambda, a nested function or a method of a local class), and args, "
        "kwargs and the attributes of a Process subclass must be picklable."
    )


# ----------------------------------------------------------------------------------- child


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point of a child launched by processing (``launch.command_line``); ``argv`` is
    the whole command line, ``sys.argv`` by default. Exits with the child's exit code."""
    stand_in_streams()
    argv = list(sys.argv if argv is None else argv)
    launch = recognise(argv)
    kind = None if launch is None else launch.kind
    if kind == "child":
        if sys.platform == "win32":
            signals.install_stop_handler()  # no signal mask to hold stop() back until then
        code = _child_from_handles(launch.handles)  # type: ignore[union-attr]
    elif kind == "forkserver":
        from processing._backend import forkserver

        forkserver.serve(*launch.handles)  # type: ignore[union-attr]
        code = 0
    else:
        shown = list(launch.args) if launch is not None else argv[1:]
        write_error(
            f"processing: unknown launch {shown!r}; this entry point is only for "
            "children started by processing\n"
        )
        code = 2
    sys.exit(code)


def _child_from_handles(handles: tuple[int, ...]) -> int:
    if sys.platform == "win32":
        import msvcrt

        parent_pid, handle = handles
        source = _stdlib.open_parent_process(parent_pid)
        fd = msvcrt.open_osfhandle(reduction.duplicate(handle, source_process=source,
                                                       inheritable=False), os.O_RDONLY)
        parent_sentinel = source
    else:
        (fd,) = handles
        parent_sentinel = os.dup(fd)
    return run_child(fd, parent_sentinel)


def run_child(fd: int, parent_sentinel: Any) -> int:
    """Read the payload from ``fd``, prepare this process, run the process object; return
    its exit code."""
    with mainmodule.importing_main(), open(fd, "rb", closefd=True) as source:
        prep = pickle.load(source)
        if prep.get("die_with_parent") is not None and sys.platform != "win32":
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
    return _stdlib.run_process(process_obj, parent_sentinel)


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
    _defaultctx.context().adopt_start_method(data["start_method"])
    if data["tracker_fd"] is not None and sys.platform != "win32":
        _stdlib.adopt_resource_tracker_fd(data["tracker_fd"])
    if data["main"] is not None:
        mainmodule.import_main(*data["main"])
