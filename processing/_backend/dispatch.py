"""A frozen program's command line: run the child it names, refuse an unknown launch.

A child of a frozen program is the program's own executable started as
``<exe> --processing-launch KIND ARGS``. Before any user code runs, the program's entry
script (rendered by freezekit), freezekit's PyInstaller runtime hook or ``freezeSupport()``
calls :func:`dispatch_launch`, which recognises such a command line and runs the child
instead of the app. Every other launch a frozen program can receive (the stdlib's spawn
children, resource tracker and fork server in the form of each CPython release, those of
``multiprocess`` and loky) is a row of the table in ``launch.py``.

Defence in depth: a launch that is in no row must never run the app, since the app would
start children again in every child. So the frozen program marks its children: it puts
``PROCESSING_FROZEN_PARENT=<pid>:<executable>`` in its environment (and updates it in
every process it forks), which every process it starts inherits. A process of the same
executable whose marker names its parent (or, for a one-file executable whose bootloader
stands in between, its grandparent), and whose command line reads as a Python launch
(interpreter flags then ``-c``/``-m``, or a ``--multiprocessing``/``--processing`` marker)
that no row matches, stops with one line on stderr naming the command line and the fix,
and exit status 2, before it imports anything of the app. An app that runs its own
executable with ``subprocess`` and arguments of its own (``app --input x``) is unaffected;
one that means to pass interpreter-like arguments (``-c``, ``-m``) to itself removes the
variable from the child's environment.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from processing._backend.launch import LaunchData, looks_like_launch, recognise
from processing.report import stand_in_streams, write_error

__all__ = ["PARENT_ENV", "UNRECOGNISED_EXIT", "dispatch_launch", "refuse_unrecognised",
           "run_launch", "started_by_frozen_parent"]

#: Names the frozen program a process was started by: ``<pid>:<executable>``.
PARENT_ENV = "PROCESSING_FROZEN_PARENT"

#: The exit status of a child whose launch is not recognised.
UNRECOGNISED_EXIT = 2

# The command line in the error is cut to this many characters (a parent's sys.argv may
# follow the forkserver's code).
_SHOWN = 400


def _executable() -> str:
    return os.path.realpath(sys.executable) if sys.executable else ""


def _parent_of(pid: int) -> int | None:
    """The parent of process ``pid``, where the system tells it cheaply; else None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return int(f.read().rpartition(")")[2].split()[1])
    except (OSError, ValueError, IndexError):
        pass
    if sys.platform == "win32":
        from processing._backend.winparent import parent_of

        return parent_of(pid)
    import subprocess

    try:
        out = subprocess.run(["ps", "-o", "ppid=", "-p", str(pid)], capture_output=True,
                             text=True, timeout=5, check=False).stdout
        return int(out.strip())
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def started_by_frozen_parent() -> bool:
    """Whether this process was started by a running copy of its own frozen program: the
    inherited marker names this executable and this process's parent or grandparent."""
    pid_text, _, exe = os.environ.get(PARENT_ENV, "").partition(":")
    if not pid_text.isdigit() or not exe or exe != _executable():
        return False
    pid = int(pid_text)
    parent = os.getppid()
    return pid == parent or (parent > 1 and pid == _parent_of(parent))


_marking = {"registered": False}


def _mark_children() -> None:
    """Name this process in the environment its children inherit, in forked ones too."""
    os.environ[PARENT_ENV] = f"{os.getpid()}:{_executable()}"
    if not _marking["registered"] and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_remark_after_fork)
        _marking["registered"] = True


def _remark_after_fork() -> None:
    if PARENT_ENV in os.environ:
        os.environ[PARENT_ENV] = f"{os.getpid()}:{_executable()}"


def refuse_unrecognised(argv: Sequence[str]) -> None:
    """Stop this process: one line on stderr naming its command line and the fix."""
    from processing import __version__

    shown = " ".join(repr(arg) if (not arg or " " in arg) else arg for arg in argv[1:])
    if len(shown) > _SHOWN:
        shown = shown[:_SHOWN] + f"... ({len(shown)} characters)"
    _fail(f"not starting: this process was started by its own frozen program as a child "
          f"with the command line [{shown}], which processing-freezekit {__version__} does "
          "not recognise as a launch; running the app here would start processes without "
          "end. Upgrade processing-freezekit (pip install -U processing-freezekit) and "
          "rebuild the program.")


def dispatch_launch(argv: Sequence[str] | None = None) -> None:
    """If this process was started as a child, run it and exit; otherwise mark the
    environment for the program's children and return.

    A child whose command line is in no row of the launch table, but reads as a launch,
    exits with status 2 and one line on stderr (see the module's documentation).
    """
    argv = sys.argv if argv is None else argv
    launch = recognise(argv)
    if launch is None:
        if looks_like_launch(argv) and started_by_frozen_parent():
            refuse_unrecognised(argv)
        _mark_children()
        return
    _mark_children()
    # A windowed program's child has no stdout/stderr; the stdlib's children write to them.
    stand_in_streams()
    run_launch(launch, argv)
    sys.exit(0)


def run_launch(launch: LaunchData, argv: Sequence[str]) -> None:
    """Run ``launch``, recognised in ``argv``, in this process (it usually exits from within)."""
    form = launch.form
    if form.shape == "marker":
        from processing._backend import bootstrap

        bootstrap.main(argv)
        return
    import importlib.util

    try:
        # A module run with -m is found, not imported: runpy imports it as __main__.
        found = importlib.util.find_spec(form.module) is not None
        module = importlib.import_module(form.module) if form.shape != "module" else None
    except ModuleNotFoundError:
        found = False
    if not found:
        if form.package in ("processing", "multiprocessing"):
            raise ModuleNotFoundError(f"No module named {form.module!r}", name=form.module)
        _fail(f"a {form.package} {form.role} was started, but this program does not bundle "
              f"{form.module}; rebuild it with the package included (freezekit build "
              f"--hidden-import {form.module}).")
    if module is None:
        import runpy

        from processing._backend import mainmodule

        sys.argv[1:] = list(launch.args)
        if mainmodule.is_compiled_main("name", form.module):
            # Compiled by Nuitka: no code for runpy (freezekit's Nuitka plugin lets the
            # module take the __name__ "__main__").
            mainmodule.run_compiled(form.module, "__main__")
        else:
            runpy.run_module(form.module, run_name="__main__", alter_sys=True)
    else:
        getattr(module, form.function)(*launch.call_args, **launch.call_kwargs)


def _fail(message: str) -> None:
    """One line on stderr (if there is one), then exit with UNRECOGNISED_EXIT."""
    program = os.path.basename(str(sys.argv[0])) if sys.argv else "program"
    write_error(f"{program}: {message}\n")  # a windowed program may have no stderr
    sys.exit(UNRECOGNISED_EXIT)
