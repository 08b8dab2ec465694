"""A ``--multiprocessing-fork`` child of a frozen program, handed to the package that made it.

The stdlib's spawn children and those of ``multiprocess`` (the dill-based copy of
multiprocessing) are launched with the same command line, ``<exe> --multiprocessing-fork
pipe_handle=N ...``. Each package's ``spawn_main`` then prepares the process (its name, its
authkey, its resource tracker's pipe, the parent's main module) in *its own* module state, and
runs the process object. Run by the wrong package, a multiprocess child would use the stdlib's
authkey and resource tracker (managers refuse it; a tracker of its own is started), and
cx_Freeze's patch would even let the two packages read the same pipe.

The parent's pipe does not say which package sent it until the process object is unpickled,
and the package must prepare the process before that (the object may refer to the main
module). So the process object is unpickled with an unpickler whose first class lookup, the
process object's own class (``multiprocess.context.SpawnProcess`` or the stdlib's), names
the package: that package's ``prepare()`` runs then, before anything of the object is built.
"""

from __future__ import annotations

import importlib
import os
import pickle
import sys
from typing import Any, Callable, NoReturn

from processing import _stdlib

__all__ = ["owner_package", "spawn_main"]

#: The packages whose spawn children share the ``--multiprocessing-fork`` command line.
PACKAGES = ("multiprocessing", "multiprocess")


def owner_package(module: str) -> str:
    """The package whose spawn machinery handles a process object of a class in ``module``."""
    return "multiprocess" if module.partition(".")[0] == "multiprocess" else "multiprocessing"


class _FirstClassUnpickler(pickle.Unpickler):
    """An unpickler that tells ``on_first`` the module of the first class it looks up."""

    def __init__(self, file: Any, on_first: Callable[[str], None]) -> None:
        super().__init__(file)
        self._on_first: Callable[[str], None] | None = on_first

    def find_class(self, module: str, name: str) -> Any:
        if self._on_first is not None:
            on_first, self._on_first = self._on_first, None
            on_first(module)
        return super().find_class(module, name)


def spawn_main(pipe_handle: int, parent_pid: int | None = None,
               tracker_fd: int | None = None) -> NoReturn:
    """Run the spawn child whose launch data comes through ``pipe_handle`` (the keywords of
    ``--multiprocessing-fork``), prepared by the package that started it; exit with its
    exit code."""
    if sys.platform == "win32":
        import msvcrt
        from multiprocessing import reduction

        source_process = None
        if parent_pid is not None:
            source_process = _stdlib.open_parent_process(parent_pid)
        handle = reduction.duplicate(pipe_handle, source_process=source_process)
        fd = msvcrt.open_osfhandle(handle, os.O_RDONLY)
        parent_sentinel: Any = source_process
    else:
        fd = pipe_handle
        parent_sentinel = os.dup(pipe_handle)
    prepared: dict[str, Any] = {}
    with os.fdopen(fd, "rb", closefd=True) as from_parent:
        preparation_data = pickle.load(from_parent)

        def prepare(module: str) -> None:
            package = owner_package(module)
            spawn = importlib.import_module(f"{package}.spawn")
            process = importlib.import_module(f"{package}.process")
            if sys.platform != "win32":
                _stdlib.adopt_resource_tracker_fd(tracker_fd, package)
            _stdlib.set_inheriting(True, process)
            prepared["process"] = process
            spawn.prepare(preparation_data)

        try:
            process_obj = _FirstClassUnpickler(from_parent, prepare).load()
        finally:
            if "process" in prepared:
                _stdlib.set_inheriting(False, prepared["process"])
    sys.exit(_stdlib.run_process(process_obj, parent_sentinel))
