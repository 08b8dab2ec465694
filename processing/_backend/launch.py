"""Every child launch command: the ones processing builds, and every one a frozen program
can receive as a child, around one :class:`LaunchData` type.

processing starts its own children as ``<python> [flags] -c CODE MARKER KIND HANDLE...``
(``<exe> MARKER KIND HANDLE...`` when frozen): :func:`our_launch` describes one,
:func:`command_line` builds it, and the child's bootstrap reads it back with
:func:`recognise`, the same parser that a frozen program's entry uses for every launch.

A frozen program has no interpreter to start children with, so every library that starts a
Python child runs the program's own executable with the command line it would give
``python``. Before the app runs, the program's entry (or ``freezeSupport()``) must tell such
a launch from an ordinary start and run the child instead of the app; a launch it does not
recognise would run the app again in the child, which starts children in turn: a fork bomb.

Each row of :data:`LAUNCH_FORMS` is one command-line form, with the package and the
releases that produce it, read from their sources (the CPython releases read are named in
``tests/processing/test_freezing.py``). A form a future release adds is one new row.
:func:`recognise` returns a :class:`LaunchData` for a command line that matches a row
exactly, and None otherwise.

Safety: ``-c`` code is never executed. It is parsed with :mod:`ast` and must have exactly
the shape of its row: ``[import sys;] from <module> import <function>; <function>(...)``
whose arguments are literals (``ast.literal_eval``), except the exact expression
``sys.argv[1:]`` as the ``sys_argv`` keyword of the forms that pass the parent's arguments
after the code (gh-144503). The row's function is then called with those values.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from processing import _stdlib

__all__ = ["KINDS", "LAUNCH_FORMS", "MARKER", "LaunchData", "LaunchForm", "command_line",
           "looks_like_launch", "our_launch", "recognise"]

#: The first argument of every child processing starts with a command line (after the
#: interpreter's ``-c CODE`` when not frozen): no child's ``sys.argv`` ever shows it.
MARKER = "--processing-launch"

#: What a launch of ours starts, after the marker: a child (``child FD`` on POSIX,
#: ``child PARENT_PID HANDLE`` on Windows) or the fork server (``forkserver CONFIG_FD
#: LISTENER_FD ALIVE_FD``). Each is followed by that many integer handles.
KINDS = {"child": (1, 2), "forkserver": (3,)}

#: The code an unfrozen child runs with ``-c``: our bootstrap, found where the parent found
#: processing even if it is not installed (``{home!r}`` is that directory).
_BOOTSTRAP_CODE = ("import sys; sys.path.insert(0, {home!r}); "
                   "from processing._backend.bootstrap import main; main()")

#: The stdlib's spawn children (and those of ``multiprocess``, its dill-based fork).
SPAWN_MARKER = "--multiprocessing-fork"

# Interpreter options that take a value in the next argument: ``_args_from_interpreter_flags()``
# emits ``-X name[=value]`` so (a ``-W`` given apart from its value is accepted too).
_OPTIONS_WITH_VALUE = frozenset({"-W", "-X"})
# Every short interpreter flag ``_args_from_interpreter_flags()`` emits, alone or repeated
# (-v -> -vv, -O -> -OO, -b -> -bb, -q), and ``-W`` joined to its filter in one argument
# (``-Wignore``, ``-Werror::DeprecationWarning``), CPython 3.9 to 3.15.
_FLAG = re.compile(r"-(?:d|B|S|E|I|s|P|R|u|q+|v+|O+|b+|W.+)", re.DOTALL)

_SPAWN_KEYWORDS = frozenset({"tracker_fd", "pipe_handle", "parent_pid"})


@dataclass(frozen=True)
class LaunchForm:
    """One row of the table: a command-line form, who produces it and how to run it.

    ``shape`` is ``"marker"`` (``exe MARKER ARGS``), ``"spawn"`` (``exe --multiprocessing-fork
    key=value...``), ``"code"`` (``exe [flags] -c CODE [ARGS]``), ``"module"`` (``exe
    [flags] -m MODULE OPTIONS``) or ``"option"`` (``exe [flags] OPTION INT``, which calls the
    row's function with the int).
    """

    name: str
    package: str
    role: str
    releases: str
    shape: str
    module: str = ""
    function: str = "main"
    #: ``code``: whether the code starts with ``import sys;``.
    imports_sys: bool = False
    #: ``code``: the numbers of positional arguments the call may have.
    positional: tuple[int, ...] = (0,)
    #: ``code``: the keywords the call may have (given directly or through ``**{...}``).
    keywords: frozenset[str] = frozenset()
    #: ``code``: keywords every launch of this form has (they tell it from older forms).
    required: frozenset[str] = frozenset()
    #: ``code``: ``sys_argv=sys.argv[1:]`` in the call, the parent's arguments after the code.
    argv_after_code: bool = False
    #: ``code``: the exact arguments after the code (``--multiprocessing-fork``).
    after_code: tuple[str, ...] = ()
    #: ``module``: its options, each followed by a value; the ones whose value is an int.
    module_options: frozenset[str] = frozenset()
    int_options: frozenset[str] = frozenset()
    #: ``option``: the option that stands for the launch.
    option: str = ""


@dataclass(frozen=True)
class LaunchData:
    """A recognised launch: its row, and what to run it with.

    ``args``: for ``marker`` and ``module`` forms, the arguments after the marker or the module
    name. ``call_args``/``call_kwargs``: the values for the row's function (``code`` and
    ``spawn`` forms), with ``sys_argv`` already set to the arguments after the code.
    """

    form: LaunchForm
    args: tuple[str, ...] = ()
    call_args: tuple[Any, ...] = ()
    call_kwargs: Mapping[str, Any] = field(default_factory=dict)
    interpreter_flags: tuple[str, ...] = ()

    @property
    def kind(self) -> str | None:
        """For a launch of ours whose arguments are well formed, what it starts (a key of
        :data:`KINDS`); None otherwise."""
        if self.form.shape != "marker" or not self.args:
            return None
        kind, handles = self.args[0], self.args[1:]
        if len(handles) not in KINDS.get(kind, ()):
            return None
        if not all(re.fullmatch(r"-?[0-9]+", h) for h in handles):
            return None
        return kind

    @property
    def handles(self) -> tuple[int, ...]:
        """For a well-formed launch of ours: the fds or handles after its kind."""
        if self.kind is None:
            raise ValueError(f"not a launch of processing: {list(self.args)!r}")
        return tuple(int(h) for h in self.args[1:])


def _forkserver_rows(prefix: str, package: str, module: str, where: str) -> list[LaunchForm]:
    """The forkserver forms, as CPython's forkserver.py produced them release by release
    (``multiprocess`` copies each release's file with its own package name)."""
    old = frozenset({"main_path", "sys_path"})
    common = {"package": package, "role": "fork server", "shape": "code", "module": module,
              "positional": (3,)}
    return [
        LaunchForm(f"{prefix}-forkserver", releases=f"{where} 3.9.0-3.12.x, 3.13.0-3.13.11",
                   keywords=old, **common),
        LaunchForm(f"{prefix}-forkserver-authkey", releases=f"{where} 3.14.0-3.14.2",
                   keywords=old | {"authkey_r"}, required=frozenset({"authkey_r"}), **common),
        LaunchForm(f"{prefix}-forkserver-argv-in-code",
                   releases=f"{where} 3.13.12 (gh-143706)",
                   keywords=old | {"sys_argv"}, required=frozenset({"sys_argv"}), **common),
        LaunchForm(f"{prefix}-forkserver-authkey-argv-in-code",
                   releases=f"{where} 3.14.3 (gh-143706)",
                   keywords=old | {"sys_argv", "authkey_r"},
                   required=frozenset({"sys_argv", "authkey_r"}), **common),
        LaunchForm(f"{prefix}-forkserver-argv-after-code",
                   releases=f"{where} 3.13.13+ (gh-144503)", imports_sys=True,
                   argv_after_code=True, keywords=old | {"sys_argv"},
                   required=frozenset({"sys_argv"}), **common),
        LaunchForm(f"{prefix}-forkserver-authkey-argv-after-code",
                   releases=f"{where} 3.14.4+ (gh-144503); 3.15 in development (on_error)",
                   imports_sys=True, argv_after_code=True,
                   keywords=old | {"sys_argv", "authkey_r", "on_error"},
                   required=frozenset({"sys_argv", "authkey_r"}), **common),
    ]


#: Every launch form we recognise, first match wins (rows sharing a shape differ in the
#: keywords they require). Order: ours, CPython's, multiprocess's, loky's.
LAUNCH_FORMS: tuple[LaunchForm, ...] = (
    LaunchForm("processing", "processing", "child", "every processing-freezekit release",
               "marker"),
    # Run by processing._backend.spawn_child, which hands the child to the stdlib or to
    # multiprocess, whichever started it (the command line is the same).
    LaunchForm("cpython-spawn", "multiprocessing", "spawn child",
               "CPython 3.9-3.15, frozen (sys.frozen); also multiprocess's spawn children",
               "spawn", module="processing._backend.spawn_child", function="spawn_main",
               keywords=_SPAWN_KEYWORDS),
    LaunchForm("cpython-spawn-code", "multiprocessing", "spawn child",
               "CPython 3.9-3.15, not flagged as frozen (sys.frozen unset)", "code",
               module="multiprocessing.spawn", function="spawn_main",
               keywords=_SPAWN_KEYWORDS, after_code=(SPAWN_MARKER,)),
    LaunchForm("cpython-resource-tracker", "multiprocessing", "resource tracker",
               "CPython 3.9-3.15", "code", module="multiprocessing.resource_tracker",
               positional=(1,)),
    LaunchForm("nuitka-resource-tracker", "multiprocessing", "resource tracker",
               "CPython 3.9-3.15 compiled by Nuitka 2.x-4.x, whose package configuration "
               "rewrites resource_tracker.py's launch (stdlib3.nuitka-package.config.yml)",
               "option", module="multiprocessing.resource_tracker",
               option="--multiprocessing-resource-tracker"),
    *_forkserver_rows("cpython", "multiprocessing", "multiprocessing.forkserver", "CPython"),
    LaunchForm("multiprocess-spawn-code", "multiprocess", "spawn child",
               "multiprocess 0.70.x, not flagged as frozen", "code",
               module="multiprocess.spawn", function="spawn_main",
               keywords=_SPAWN_KEYWORDS, after_code=(SPAWN_MARKER,)),
    LaunchForm("multiprocess-resource-tracker", "multiprocess", "resource tracker",
               "multiprocess 0.70.x (py3.9-py3.15 copies)", "code",
               module="multiprocess.resource_tracker", positional=(1,)),
    *_forkserver_rows("multiprocess", "multiprocess", "multiprocess.forkserver",
                      "multiprocess 0.70.x copies of CPython"),
    # joblib vendors loky as joblib.externals.loky: the same launches under that name.
    LaunchForm("joblib-loky-resource-tracker", "joblib", "resource tracker",
               "joblib 1.x (joblib/externals/loky/backend/resource_tracker.py)", "code",
               module="joblib.externals.loky.backend.resource_tracker", positional=(1, 2)),
    LaunchForm("joblib-loky-worker", "joblib", "worker",
               "joblib 1.x on POSIX (joblib/externals/loky/backend/popen_loky_posix.py)",
               "module", module="joblib.externals.loky.backend.popen_loky_posix",
               module_options=frozenset({"--process-name", "--pipe", "--semaphore"}),
               int_options=frozenset({"--pipe", "--semaphore"})),
    LaunchForm("loky-resource-tracker", "loky", "resource tracker",
               "loky 3.x (loky/backend/resource_tracker.py)", "code",
               module="loky.backend.resource_tracker", positional=(1, 2)),
    LaunchForm("loky-worker", "loky", "worker",
               "loky 2.x-3.x on POSIX (loky/backend/popen_loky_posix.py)", "module",
               module="loky.backend.popen_loky_posix",
               module_options=frozenset({"--process-name", "--pipe", "--semaphore"}),
               int_options=frozenset({"--pipe", "--semaphore"})),
)


#: What ends the interpreter flags of a launch: ``-c``, ``-m`` and the ``option`` rows'.
_SWITCHES = frozenset({"-c", "-m"} | {f.option for f in LAUNCH_FORMS if f.shape == "option"})


def _split_flags(args: Sequence[str]) -> tuple[tuple[str, ...], list[str]] | None:
    """The interpreter flags at the front of ``args`` and what follows them; None if an
    argument before ``-c``/``-m`` is not an interpreter flag."""
    i = 0
    while i < len(args) and args[i] not in _SWITCHES:
        if args[i] in _OPTIONS_WITH_VALUE:
            if i + 1 >= len(args):
                return None
            i += 2
        elif _FLAG.fullmatch(args[i]):
            i += 1
        else:
            return None
    return tuple(args[:i]), list(args[i:])


def looks_like_launch(argv: Sequence[str]) -> bool:
    """Whether ``argv`` reads as a Python child launch, known or not: a ``--multiprocessing``
    or ``--processing`` marker first, or interpreter flags and then ``-c`` or ``-m``.

    An app's own options rarely look like that; a launch by some library of its process
    (or by a future Python release) always does.
    """
    args = list(argv[1:])
    if not args:
        return False
    if args[0].startswith(("--multiprocessing", "--processing", "--loky")):
        return True
    split = _split_flags(args)
    return split is not None and len(split[1]) >= 2


def our_launch(kind: str, *handles: int) -> LaunchData:
    """The launch of ours that starts ``kind`` (a key of :data:`KINDS`) with ``handles``."""
    launch = LaunchData(_form("processing"), args=(kind, *map(str, handles)))
    if launch.kind is None:
        raise ValueError(f"no launch of processing is {kind!r} with handles {handles!r}")
    return launch


def command_line(launch: LaunchData, *, frozen: bool) -> list[str]:
    """The command line that starts ``launch`` (one of ours): ``<exe> MARKER ARGS`` in a
    ``frozen`` program, else the interpreter with this process's flags running our bootstrap.

    The executable is ``multiprocessing.spawn.get_executable()``, so ``set_executable()``
    applies to our children too (bytes on POSIX, as ``spawnv_passfds`` needs).
    """
    from multiprocessing import spawn

    if launch.form.shape != "marker":
        raise ValueError(f"processing builds only its own launches, not {launch.form.name}")
    if frozen:
        return [spawn.get_executable(), MARKER, *launch.args]
    home = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return [spawn.get_executable(), *_stdlib.interpreter_flags(),
            "-c", _BOOTSTRAP_CODE.format(home=home), MARKER, *launch.args]


def recognise(argv: Sequence[str]) -> LaunchData | None:
    """The launch ``argv`` (a whole ``sys.argv``) is, or None if it matches no row."""
    args = list(argv[1:])
    if not args:
        return None
    if args[0] == MARKER:
        return LaunchData(_form("processing"), args=tuple(args[1:]))
    if args[0] == SPAWN_MARKER:
        kwargs = _spawn_keywords(args[1:])
        if kwargs is None:
            return None
        return LaunchData(_form("cpython-spawn"), call_kwargs=kwargs)
    split = _split_flags(args)
    if split is None:
        return None
    flags, rest = split
    if len(rest) < 2:
        return None
    switch, target, after = rest[0], rest[1], rest[2:]
    for form in LAUNCH_FORMS:
        if form.shape == "option" and switch == form.option:
            if after or not target.isdigit():
                return None
            return LaunchData(form, call_args=(int(target),), interpreter_flags=flags)
        if switch == "-c" and form.shape == "code":
            call = _match_code(form, target, after)
            if call is not None:
                return LaunchData(form, call_args=call[0], call_kwargs=call[1],
                                  interpreter_flags=flags)
        elif (switch == "-m" and form.shape == "module" and target == form.module
              and _module_options_ok(form, after)):
            return LaunchData(form, args=tuple(after), interpreter_flags=flags)
    return None


def _form(name: str) -> LaunchForm:
    return next(form for form in LAUNCH_FORMS if form.name == name)


def _spawn_keywords(args: Sequence[str]) -> dict[str, int | None] | None:
    """``key=int`` or ``key=None`` for the spawn keywords, each at most once."""
    kwargs: dict[str, int | None] = {}
    for arg in args:
        key, sep, value = arg.partition("=")
        if not sep or key not in _SPAWN_KEYWORDS or key in kwargs:
            return None
        if value == "None":
            kwargs[key] = None
        elif re.fullmatch(r"-?[0-9]+", value):
            kwargs[key] = int(value)
        else:
            return None
    return kwargs


def _module_options_ok(form: LaunchForm, args: Sequence[str]) -> bool:
    if len(args) % 2:
        return False
    seen = set()
    for option, value in zip(args[::2], args[1::2]):
        if option not in form.module_options or option in seen:
            return False
        if option in form.int_options and not value.isdigit():
            return False
        seen.add(option)
    return True


def _is_sys_argv_tail(node: ast.expr) -> bool:
    """Exactly ``sys.argv[1:]``."""
    return (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Attribute)
        and isinstance(node.value.value, ast.Name)
        and node.value.value.id == "sys"
        and node.value.attr == "argv"
        and isinstance(node.slice, ast.Slice)
        and isinstance(node.slice.lower, ast.Constant)
        and type(node.slice.lower.value) is int
        and node.slice.lower.value == 1
        and node.slice.upper is None
        and node.slice.step is None
    )


def _match_code(
    form: LaunchForm, code: str, after: Sequence[str]
) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
    """The call's arguments if ``code`` (followed by ``after``) is exactly ``form``."""
    if not form.argv_after_code and tuple(after) != form.after_code:
        return None
    try:
        body = ast.parse(code).body
    except (SyntaxError, ValueError):
        return None
    if form.imports_sys:
        if not body or not _is_plain_import(body[0], "sys"):
            return None
        body = body[1:]
    if len(body) != 2:
        return None
    imp, stmt = body
    if not (
        isinstance(imp, ast.ImportFrom)
        and imp.module == form.module
        and imp.level == 0
        and [(a.name, a.asname) for a in imp.names] == [(form.function, None)]
        and isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Name)
        and stmt.value.func.id == form.function
    ):
        return None
    call = stmt.value
    if len(call.args) not in form.positional:
        return None
    try:
        args = tuple(ast.literal_eval(a) for a in call.args)
        kwargs: dict[str, Any] = {}
        for kw in call.keywords:
            if kw.arg is None:
                spread = ast.literal_eval(kw.value)
                if not isinstance(spread, dict) or not all(isinstance(k, str) for k in spread):
                    return None
                items = list(spread.items())
            elif kw.arg == "sys_argv" and form.argv_after_code:
                # The parent's arguments follow the code; nothing else may stand here.
                if not _is_sys_argv_tail(kw.value):
                    return None
                items = [("sys_argv", list(after))]
            else:
                items = [(kw.arg, ast.literal_eval(kw.value))]
            for key, value in items:
                if key in kwargs:
                    return None
                kwargs[key] = value
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    if not set(kwargs) <= form.keywords or not form.required <= set(kwargs):
        return None
    if form.argv_after_code and "sys_argv" not in {kw.arg for kw in call.keywords}:
        return None
    if form.module.endswith(".forkserver") and not all(type(a) is int for a in args[:2]):
        return None
    if form.role == "resource tracker" and type(args[0]) is not int:
        return None
    return args, kwargs


def _is_plain_import(stmt: ast.stmt, name: str) -> bool:
    return (isinstance(stmt, ast.Import)
            and [(a.name, a.asname) for a in stmt.names] == [(name, None)])
