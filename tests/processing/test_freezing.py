"""Frozen programs: recognising child launches, ``freezeSupport()``, the child command line."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import processing
from freezekit.guard import run_guarded
from processing import freezing
from processing._backend import dispatch
from processing._backend.launch import (
    KINDS,
    LAUNCH_FORMS,
    command_line,
    looks_like_launch,
    our_launch,
    recognise,
)
from processing.freezing import MARKER, PARENT_ENV, dispatch_launch, recognise_launch

SCRIPTS = Path(__file__).parent / "scripts"

# ------------------------------------------------------------------ the launch table
#
# Each row below is one (release range, form), built with the exact format strings of the
# release's Lib/multiprocessing/{spawn,forkserver,resource_tracker}.py. Read for this table:
#   CPython 3.9.18, 3.10.13, 3.11.7, 3.12.1, 3.13.0 (~/.pyenv) and 3.14.10 (Debian, the py314
#   chroot); the changes between them from python/cpython: gh-126631 (3.13.4+: main_path),
#   gh-143706 (3.13.12, 3.14.3: sys_argv in the code, PR 143821), gh-144503 (3.13.13, 3.14.4:
#   "import sys; ... sys_argv=sys.argv[1:]" and the argv after the code, PRs 148195/148196;
#   not in 3.12, which was security-only by then), 3.14.0's authkey_r, and main's on_error
#   (3.15 in development). multiprocess: py3.13/py3.14 copies of the same files (module
#   multiprocess.*). loky: loky/backend/popen_loky_posix.py and resource_tracker.py (3.x).

_FS_OLD = "from multiprocessing.forkserver import main; main(%d, %d, %r, **%r)"
_FS_ARGV = ("import sys; from multiprocessing.forkserver import main; "
            "main(%d, %d, %r, sys_argv=sys.argv[1:], **%r)")
_TRACKER = "from multiprocessing.resource_tracker import main;main(%d)"
_SPAWN_CODE = "from multiprocessing.spawn import spawn_main; spawn_main(%s)"
_PATH = ["/opt/app", "/opt/app/base_library.zip"]
_ARGV = ["/opt/app/app", "--input", "a b.txt"]


def _fs(template, kws, preload=("__main__",), module="multiprocessing"):
    code = template % (3, 4, list(preload), kws)
    return code.replace("multiprocessing.", f"{module}.")


# (row name, arguments after the executable, expected call args, expected call kwargs)
TABLE = [
    ("processing", [MARKER, "child", "7"], None, None),
    # spawn.get_command_line(), sys.frozen: POSIX passes tracker_fd, Windows parent_pid.
    ("cpython-spawn", ["--multiprocessing-fork", "tracker_fd=5", "pipe_handle=7"],
     (), {"tracker_fd": 5, "pipe_handle": 7}),
    ("cpython-spawn", ["--multiprocessing-fork", "parent_pid=1234", "pipe_handle=None"],
     (), {"parent_pid": 1234, "pipe_handle": None}),
    # spawn.get_command_line() without sys.frozen (a freezer that does not set it).
    ("cpython-spawn-code",
     ["-c", _SPAWN_CODE % "tracker_fd=5, pipe_handle=9", "--multiprocessing-fork"],
     (), {"tracker_fd": 5, "pipe_handle": 9}),
    # 3.9-3.14: "from multiprocessing.resource_tracker import main;main(%d)"
    ("cpython-resource-tracker", ["-c", _TRACKER % 6], (6,), {}),
    # 3.9.0-3.12.x: only sys_path reaches main (main_path was dead code, gh-126631).
    ("cpython-forkserver", ["-c", _fs(_FS_OLD, {})], (3, 4, ["__main__"]), {}),
    ("cpython-forkserver", ["-c", _fs(_FS_OLD, {"sys_path": _PATH})],
     (3, 4, ["__main__"]), {"sys_path": _PATH}),
    # 3.13.4-3.13.11: main_path too.
    ("cpython-forkserver",
     ["-c", _fs(_FS_OLD, {"sys_path": _PATH, "main_path": "/opt/app/app.py"})],
     (3, 4, ["__main__"]), {"sys_path": _PATH, "main_path": "/opt/app/app.py"}),
    # 3.13.12 (gh-143706): sys_argv repr'd into the code.
    ("cpython-forkserver-argv-in-code",
     ["-c", _fs(_FS_OLD, {"sys_path": _PATH, "sys_argv": _ARGV})],
     (3, 4, ["__main__"]), {"sys_path": _PATH, "sys_argv": _ARGV}),
    # 3.13.13+ (gh-144503): the argv follows the code.
    ("cpython-forkserver-argv-after-code", ["-c", _fs(_FS_ARGV, {"sys_path": _PATH}), *_ARGV],
     (3, 4, ["__main__"]), {"sys_path": _PATH, "sys_argv": _ARGV}),
    ("cpython-forkserver-argv-after-code", ["-c", _fs(_FS_ARGV, {}, preload=())],
     (3, 4, []), {"sys_argv": []}),
    # 3.14.0-3.14.2: authkey_r always.
    ("cpython-forkserver-authkey", ["-c", _fs(_FS_OLD, {"authkey_r": 8})],
     (3, 4, ["__main__"]), {"authkey_r": 8}),
    # 3.14.3 (gh-143706)
    ("cpython-forkserver-authkey-argv-in-code",
     ["-c", _fs(_FS_OLD, {"sys_path": _PATH, "sys_argv": _ARGV, "authkey_r": 8})],
     (3, 4, ["__main__"]), {"sys_path": _PATH, "sys_argv": _ARGV, "authkey_r": 8}),
    # 3.14.4-3.14.10 (gh-144503); the fork bomb.
    ("cpython-forkserver-authkey-argv-after-code",
     ["-c", _fs(_FS_ARGV, {"sys_path": _PATH, "main_path": "/opt/app/app.py", "authkey_r": 8}),
      *_ARGV],
     (3, 4, ["__main__"]),
     {"sys_path": _PATH, "main_path": "/opt/app/app.py", "authkey_r": 8, "sys_argv": _ARGV}),
    ("cpython-forkserver-authkey-argv-after-code", ["-c", _fs(_FS_ARGV, {"authkey_r": 8})],
     (3, 4, ["__main__"]), {"authkey_r": 8, "sys_argv": []}),
    # 3.15 in development: on_error.
    ("cpython-forkserver-authkey-argv-after-code",
     ["-c", _fs(_FS_ARGV, {"authkey_r": 8, "on_error": "warn"}), "x"],
     (3, 4, ["__main__"]), {"authkey_r": 8, "on_error": "warn", "sys_argv": ["x"]}),
    # multiprocess (dill-based fork): its own module names, the same forms.
    ("multiprocess-spawn-code",
     ["-c", _SPAWN_CODE.replace("multiprocessing.", "multiprocess.") % "tracker_fd=5, "
      "pipe_handle=9", "--multiprocessing-fork"], (), {"tracker_fd": 5, "pipe_handle": 9}),
    ("multiprocess-resource-tracker",
     ["-c", "from multiprocess.resource_tracker import main;main(6)"], (6,), {}),
    ("multiprocess-forkserver", ["-c", _fs(_FS_OLD, {}, module="multiprocess")],
     (3, 4, ["__main__"]), {}),
    ("multiprocess-forkserver-authkey",
     ["-c", _fs(_FS_OLD, {"authkey_r": 8}, module="multiprocess")],
     (3, 4, ["__main__"]), {"authkey_r": 8}),
    ("multiprocess-forkserver-argv-in-code",
     ["-c", _fs(_FS_OLD, {"sys_argv": _ARGV}, module="multiprocess")],
     (3, 4, ["__main__"]), {"sys_argv": _ARGV}),
    ("multiprocess-forkserver-authkey-argv-in-code",
     ["-c", _fs(_FS_OLD, {"sys_argv": _ARGV, "authkey_r": 8}, module="multiprocess")],
     (3, 4, ["__main__"]), {"sys_argv": _ARGV, "authkey_r": 8}),
    ("multiprocess-forkserver-argv-after-code",
     ["-c", _fs(_FS_ARGV, {}, module="multiprocess"), "y"],
     (3, 4, ["__main__"]), {"sys_argv": ["y"]}),
    ("multiprocess-forkserver-authkey-argv-after-code",
     ["-c", _fs(_FS_ARGV, {"authkey_r": 8}, module="multiprocess"), "y"],
     (3, 4, ["__main__"]), {"authkey_r": 8, "sys_argv": ["y"]}),
    # loky 3.x: f"from {main.__module__} import main; main({r}, {VERBOSE})"
    ("loky-resource-tracker", ["-c", ("from loky.backend.resource_tracker import main; "
                               "main(7, False)")], (7, False), {}),
    ("loky-resource-tracker", ["-c", ("from loky.backend.resource_tracker import main; "
                               "main(7, 0)")], (7, 0), {}),
    # joblib 1.x vendors loky 3.x as joblib.externals.loky
    ("joblib-loky-resource-tracker",
     ["-c", ("from joblib.externals.loky.backend.resource_tracker import main; "
             "main(7, False)")], (7, False), {}),
    ("joblib-loky-worker", ["-m", "joblib.externals.loky.backend.popen_loky_posix",
                            "--process-name", "LokyProcess-1", "--pipe", "9"], None, None),
    # Nuitka's stdlib3.nuitka-package.config.yml: args += ['--multiprocessing-resource-tracker',
    # str(r)] in place of args += ['-c', cmd % r], in the programs it compiles.
    ("nuitka-resource-tracker", ["--multiprocessing-resource-tracker", "7"], (7,), {}),
    # [sys.executable, "-m", popen_loky_posix, "--process-name", name, "--pipe", fd]
    ("loky-worker", ["-m", "loky.backend.popen_loky_posix", "--process-name",
                     "LokyProcess-1", "--pipe", "9"], None, None),
    ("loky-worker", ["-m", "loky.backend.popen_loky_posix", "--process-name", "LokyProcess-2",
                     "--pipe", "9", "--semaphore", "4"], None, None),
]

# What _args_from_interpreter_flags() may put before -c (3.9-3.15): each flag alone, -W joined
# to its filter ("-W" + opt), -X apart from its value.
FLAGS = [[], ["-B", "-s"], ["-I"], ["-E", "-s", "-S"], ["-Wignore"],
         ["-OO", "-bb", "-vv", "-q", "-d", "-P", "-u", "-Wignore", "-Werror::Warning",
          "-Wdefault::ResourceWarning:x.y", "-X", "faulthandler", "-X", "utf8=1",
          "-X", "int_max_str_digits=640", "-X", "dev", "-W", "ignore"]]


LAUNCH_FORMS_BY_NAME = {form.name: form for form in LAUNCH_FORMS}

# Marker forms are the executable's first argument, never after interpreter flags.
CASES = [(flags, *row) for row in TABLE for flags in FLAGS
         if not flags or LAUNCH_FORMS_BY_NAME[row[0]].shape in ("code", "module", "option")]


@pytest.mark.parametrize(("flags", "row", "args", "call_args", "call_kwargs"), CASES,
                         ids=[f"{c[1]}-{' '.join(c[0]) or 'no-flags'}-{i}"
                              for i, c in enumerate(CASES)])
def test_every_release_form_is_recognised(flags, row, args, call_args, call_kwargs):
    form = LAUNCH_FORMS_BY_NAME[row]
    launch = recognise_launch(["/opt/app/app", *flags, *args])
    assert launch is not None
    assert launch.form is form
    assert launch.interpreter_flags == tuple(flags)
    if form.shape == "module":
        assert list(launch.args) == args[2:]
    elif form.shape == "marker":
        assert list(launch.args) == args[1:]
    else:
        assert launch.call_args == call_args
        assert dict(launch.call_kwargs) == call_kwargs


def test_every_row_of_the_table_has_an_example():
    assert {row[0] for row in TABLE} == set(LAUNCH_FORMS_BY_NAME)
    assert len(LAUNCH_FORMS_BY_NAME) == len(LAUNCH_FORMS)
    assert all(form.releases for form in LAUNCH_FORMS)


@pytest.mark.parametrize(
    "argv",
    [
        ["app"],
        ["app", "--verbose", "input.txt"],
        ["app", "-v"],
        ["app", "input.txt", "-c", _TRACKER % 5],  # -c after an ordinary argument
        ["app", "-c"],
        ["app", "-m"],
        ["app", "-X"],
    ],
)
def test_ordinary_starts_are_not_launches(argv):
    assert recognise_launch(argv) is None


@pytest.mark.parametrize(
    "code",
    [
        "from multiprocessing.resource_tracker import main;main(__import__('os').system('x'))",
        "from multiprocessing.resource_tracker import main;main(x)",
        "from multiprocessing.resource_tracker import main;main(5);print(1)",
        "from multiprocessing.resource_tracker import main;main('5')",
        "from multiprocessing.resource_tracker import main;main(5, 6)",
        "import os; os.system('echo pwned')",
        "from os import system; system('echo pwned')",
        "from multiprocessing.resource_tracker import main as m; m(5)",
        "from multiprocessing.resource_tracker import main; other(5)",
        "from multiprocessing.resource_tracker import main, os; main(5)",
        "from .resource_tracker import main; main(5)",
        "not python (",
        "from multiprocessing.forkserver import main; main(3, 4, [], **{'a': open('f')})",
        "from multiprocessing.forkserver import main; main(3, 4, [], **{'evil': 1})",
        "from multiprocessing.forkserver import main; main(3, 4, [], evil=1)",
        ("from multiprocessing.forkserver import main; main(3, 4, [], **{'sys_path': []}, "
        "sys_path=[])"),
        "from multiprocessing.forkserver import main; main(3, 4)",
        "from multiprocessing.forkserver import main; main('3', 4, [])",
        "from multiprocessing.forkserver import main; main(3, 4, [], **[])",
        "import subprocess; from multiprocessing.resource_tracker import main;main(5)",
        "import sys as s; from multiprocessing.resource_tracker import main;main(5)",
        "import sys; from multiprocessing.resource_tracker import main;main(5)",
        "import sys, os; " + _fs(_FS_ARGV, {})[len("import sys; "):],
        # sys.argv[1:] only where gh-144503 put it, and only exactly that expression:
        _fs(_FS_ARGV, {}).replace("import sys; ", ""),
        _fs(_FS_ARGV, {}).replace("sys.argv[1:]", "sys.argv[2:]"),
        _fs(_FS_ARGV, {}).replace("sys.argv[1:]", "sys.argv[1:5]"),
        _fs(_FS_ARGV, {}).replace("sys.argv[1:]", "sys.argv"),
        _fs(_FS_ARGV, {}).replace("sys.argv[1:]", "sys.argv[True:]"),
        _fs(_FS_ARGV, {}).replace("sys.argv[1:]", "os.argv[1:]"),
        _fs(_FS_ARGV, {}).replace("sys.argv[1:]", "__import__('os').system('x')"),
        _fs(_FS_ARGV, {}).replace("sys.argv[1:]", "['literal']"),
        _fs(_FS_ARGV, {"sys_argv": ["x"]}).replace("sys_argv=sys.argv[1:], ", ""),
        "from multiprocessing.forkserver import main; main(3, 4, [], sys_argv=sys.argv[1:])",
        "from subprocess import main; main(5)",
    ],
)
def test_crafted_code_is_not_a_launch(code):
    for flags in ([], ["-B"], ["-I", "-X", "dev"]):
        assert recognise_launch(["app", *flags, "-c", code]) is None


@pytest.mark.parametrize(
    "args",
    [
        ["--multiprocessing-fork", "tracker_fd=x"],
        ["--multiprocessing-fork", "tracker_fd=5", "tracker_fd=6"],
        ["--multiprocessing-fork", "evil=1"],
        ["--multiprocessing-fork", "pipe_handle"],
        ["-B", "--multiprocessing-fork", "pipe_handle=5"],
        ["-c", _TRACKER % 5, "extra"],  # nothing may follow the tracker's code
        ["-c", _fs(_FS_OLD, {}), "extra"],
        ["-c", _SPAWN_CODE % "pipe_handle=5"],  # without --multiprocessing-fork after it
        ["-c", _SPAWN_CODE % "pipe_handle=5", "--multiprocessing-fork", "x"],
        ["-m", "os"],
        ["-m", "loky.backend.popen_loky_posix", "--pipe", "x", "--process-name", "p"],
        ["-m", "loky.backend.popen_loky_posix", "--pipe", "5", "--evil", "p"],
        ["-m", "loky.backend.popen_loky_posix", "--pipe"],
        ["--processing-launch-v2", "child"],
        ["-Z", "-c", _TRACKER % 5],
    ],
)
def test_near_misses_are_not_launches(args):
    assert recognise_launch(["app", *args]) is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--input", "x"], False),
        ([], False),
        (["-v", "file"], False),
        (["file.txt", "-c", "x"], False),
        (["-c", "anything at all"], True),
        (["-B", "-s", "-c", "x"], True),
        (["-Wignore", "-c", "x"], True),
        (["-m", "some.module"], True),
        (["-I", "-m", "some.module", "--x"], True),
        (["--multiprocessing-fork", "x"], True),
        (["--multiprocessing-v2"], True),
        (["--processing-launch-v2"], True),
    ],
)
def test_what_looks_like_a_launch(args, expected):
    assert looks_like_launch(["app", *args]) is expected


# ------------------------------------------------------------------ dispatch


@pytest.fixture(autouse=True)
def _no_inherited_marker(monkeypatch):
    """dispatch_launch() marks the environment; each test starts and ends without it."""
    monkeypatch.delenv(PARENT_ENV, raising=False)
    monkeypatch.setattr(sys, "argv", list(sys.argv))


class _Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, *args, **kwargs):
        self.calls.append((args, kwargs))


@pytest.mark.parametrize(
    ("target", "args", "call"),
    [
        ("multiprocessing.forkserver.main",
         ["-B", "-c", _fs(_FS_ARGV, {"authkey_r": 8}), "/opt/app/app", "--in", "x"],
         ((3, 4, ["__main__"]), {"authkey_r": 8, "sys_argv": ["/opt/app/app", "--in", "x"]})),
        ("multiprocessing.forkserver.main", ["-c", _fs(_FS_OLD, {"sys_path": _PATH})],
         ((3, 4, ["__main__"]), {"sys_path": _PATH})),
        ("multiprocessing.resource_tracker.main", ["-s", "-c", _TRACKER % 6], ((6,), {})),
        ("processing._backend.spawn_child.spawn_main",
         ["--multiprocessing-fork", "tracker_fd=5", "pipe_handle=7"],
         ((), {"tracker_fd": 5, "pipe_handle": 7})),
        ("multiprocessing.spawn.spawn_main",
         ["-c", _SPAWN_CODE % "tracker_fd=5, pipe_handle=9", "--multiprocessing-fork"],
         ((), {"tracker_fd": 5, "pipe_handle": 9})),
        ("processing._backend.bootstrap.main", [MARKER, "child", "7"],
         ((["/opt/app/app", MARKER, "child", "7"],), {})),
    ],
)
def test_dispatch_runs_the_row_and_exits(monkeypatch, target, args, call):
    recorder = _Recorder()
    monkeypatch.setattr(target, recorder)
    with pytest.raises(SystemExit) as exit_info:
        dispatch_launch(["/opt/app/app", *args])
    assert exit_info.value.code == 0
    assert recorder.calls == [call]


def test_dispatch_runs_a_loky_worker_as_its_module(monkeypatch, tmp_path):
    backend = tmp_path / "loky" / "backend"
    backend.mkdir(parents=True)
    (tmp_path / "loky" / "__init__.py").write_text("")
    (backend / "__init__.py").write_text("")
    (backend / "popen_loky_posix.py").write_text(
        "import json, sys\n"
        "if __name__ == '__main__':\n"
        f"    open({str(tmp_path / 'argv.json')!r}, 'w').write(json.dumps(sys.argv[1:]))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m == "loky" or m.startswith("loky.")]:
        monkeypatch.delitem(sys.modules, name)
    options = ["--process-name", "LokyProcess-1", "--pipe", "9"]
    try:
        with pytest.raises(SystemExit) as exit_info:
            dispatch_launch(["/opt/app/app", "-m", "loky.backend.popen_loky_posix", *options])
    finally:  # the fake package must not outlive the test
        for name in [m for m in sys.modules if m == "loky" or m.startswith("loky.")]:
            del sys.modules[name]
    assert exit_info.value.code == 0
    assert json.loads((tmp_path / "argv.json").read_text()) == options


@pytest.mark.parametrize(("args", "names"), [
    (["-c", "from multiprocess.resource_tracker import main;main(6)"],
     ("a multiprocess resource tracker was started", "multiprocess.resource_tracker")),
    (["-m", "loky.backend.popen_loky_posix", "--process-name", "p", "--pipe", "5"],
     ("a loky worker was started", "loky.backend.popen_loky_posix")),
])
def test_a_launch_of_a_package_the_program_lacks_is_one_clear_line(monkeypatch, capsys, args,
                                                                   names):
    for package in ("multiprocess", "loky"):
        # Not bundled: neither the package nor any submodule an earlier test imported.
        for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
            monkeypatch.setitem(sys.modules, name, None)
        monkeypatch.setitem(sys.modules, package, None)
    with pytest.raises(SystemExit) as exit_info:
        dispatch_launch(["/opt/app/app", *args])
    assert exit_info.value.code == freezing.UNRECOGNISED_EXIT
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert names[0] in err
    assert f"--hidden-import {names[1]}" in err


# ------------------------------------------------------------------ defence in depth

MADE_UP = ["-B", "-c", ("import sys; from multiprocessing.forkserver import main; "
           "main(3, 4, ['__main__'], sys_argv=sys.argv[1:], argv_fd=9, **{'authkey_r': 8})"),
           "/opt/app/app"]


def _marker(pid, exe=None):
    return f"{pid}:{exe if exe is not None else os.path.realpath(sys.executable)}"


def test_an_unrecognised_launch_from_our_parent_stops_with_one_clear_line(
        monkeypatch, capsys):
    monkeypatch.setenv(PARENT_ENV, _marker(os.getppid()))
    with pytest.raises(SystemExit) as exit_info:
        dispatch_launch([sys.executable, *MADE_UP])
    assert exit_info.value.code == freezing.UNRECOGNISED_EXIT == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "not starting" in err and "does not recognise" in err
    assert "from multiprocessing.forkserver import main" in err  # names the command line
    assert "Upgrade processing-freezekit (pip install -U processing-freezekit)" in err


def test_the_grandparent_counts_as_the_parent(monkeypatch):
    """A one-file executable's bootloader stands between the program and its child."""
    grandparent = dispatch._parent_of(os.getppid())
    assert grandparent is not None
    monkeypatch.setenv(PARENT_ENV, _marker(grandparent))
    assert dispatch.started_by_frozen_parent()
    with pytest.raises(SystemExit):
        dispatch_launch([sys.executable, *MADE_UP])


def test_a_very_long_command_line_is_cut_in_the_error(monkeypatch, capsys):
    monkeypatch.setenv(PARENT_ENV, _marker(os.getppid()))
    with pytest.raises(SystemExit):
        dispatch_launch([sys.executable, *MADE_UP, *["x" * 100] * 50])
    err = capsys.readouterr().err
    assert len(err) < 1000 and "characters)" in err


@pytest.mark.parametrize(
    ("marker", "args"),
    [
        # The app runs its own executable with its own arguments: the app runs.
        ("parent", ["--input", "x.txt"]),
        ("parent", []),
        # A leaked marker: another process, or another program, started this one.
        ("other-pid", MADE_UP),
        ("other-exe", MADE_UP),
        ("garbage", MADE_UP),
        (None, MADE_UP),
    ],
)
def test_a_process_that_is_not_a_child_launch_runs_the_app(monkeypatch, marker, args):
    values = {"parent": _marker(os.getppid()), "other-pid": _marker(2 ** 22 + 7),
              "other-exe": _marker(os.getppid(), "/opt/other/app"), "garbage": "x:y"}
    if marker is not None:
        monkeypatch.setenv(PARENT_ENV, values[marker])
    assert dispatch_launch([sys.executable, *args]) is None
    # ... and marks its own children.
    assert os.environ[PARENT_ENV] == _marker(os.getpid())


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
def test_forked_children_name_themselves_in_the_marker(monkeypatch):
    dispatch_launch([sys.executable])
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(w, os.environ.get(PARENT_ENV, "").encode())
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        seen = f.read().decode()
    os.waitpid(pid, 0)
    assert seen == _marker(pid)


def test_dispatch_launch_returns_for_an_ordinary_start():
    assert dispatch_launch(["app", "--flag"]) is None


def test_freeze_support_is_a_no_op_when_not_frozen(monkeypatch):
    assert not freezing.is_frozen()
    monkeypatch.setattr(sys, "argv", ["app", MARKER, "child", "0"])
    assert processing.freezeSupport() is None  # it did not try to run a child
    assert processing.freeze_support() is None
    assert processing.getContext("spawn").freezeSupport() is None


def test_is_frozen_follows_sys_frozen(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert freezing.is_frozen()


def test_our_command_line_runs_our_bootstrap_with_the_marker():
    cmd = command_line(our_launch("child", 9), frozen=False)
    assert cmd[-3:] == [MARKER, "child", "9"]
    i = cmd.index("-c")
    assert "from processing._backend.bootstrap import main; main()" in cmd[i + 1]


def test_our_command_line_when_frozen_is_the_executable_and_the_marker(monkeypatch):
    monkeypatch.setattr(sys, "executable", "/opt/app/app")
    monkeypatch.setattr("multiprocessing.spawn._python_exe", "/opt/app/app")
    cmd = command_line(our_launch("child", 9), frozen=True)
    assert cmd == ["/opt/app/app", MARKER, "child", "9"]


@pytest.mark.parametrize("frozen", [False, True])
@pytest.mark.parametrize(("kind", "handles"), [
    ("child", (9,)), ("child", (4242, 1 << 40)), ("forkserver", (3, 4, 5)),
])
def test_our_launch_round_trips_through_its_command_line(kind, handles, frozen):
    """What the launchers build is what the bootstrap reads back: one type, both ways."""
    cmd = [str(a) for a in command_line(our_launch(kind, *handles), frozen=frozen)]
    argv = cmd[cmd.index("-c") + 1:] if not frozen else cmd  # the child's sys.argv
    if not frozen:
        argv[0] = "-c"
    launch = recognise(argv)
    assert launch is not None and launch.form.name == "processing"
    assert (launch.kind, launch.handles) == (kind, handles)


@pytest.mark.parametrize("args", [
    ["child"], ["child", "x"], ["child", "1", "2", "3"], ["forkserver", "1", "2"],
    ["nonsense"], [], ["child", "1.5"],
])
def test_a_malformed_launch_of_ours_has_no_kind(args):
    launch = recognise(["exe", MARKER, *args])
    assert launch is not None and launch.kind is None
    with pytest.raises(ValueError, match="not a launch of processing"):
        _ = launch.handles


def test_our_launch_refuses_what_no_child_reads():
    assert set(KINDS) == {"child", "forkserver"}
    with pytest.raises(ValueError, match="no launch of processing is 'forkserver'"):
        our_launch("forkserver", 1)
    with pytest.raises(ValueError, match="builds only its own launches"):
        command_line(recognise(["exe", "--multiprocessing-fork", "pipe_handle=3"]), frozen=True)


@pytest.mark.guarded
def test_a_simulated_frozen_program_starts_children_through_its_own_executable(tmp_path):
    """Children, the resource tracker and the fork server all re-enter through the program's
    own "executable", and dispatch happens in freezeSupport() right after the main guard."""
    exe = tmp_path / "app"
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{SCRIPTS / "frozen_app.py"}" "$@"\n')
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    env = dict(os.environ, FROZEN_EXE=str(exe))
    result = run_guarded([str(exe), "spawn", "forkserver"], timeout=60, max_procs=8,
                         cwd=tmp_path, env=env)
    assert not result.bomb_stopped and not result.timed_out, result.stderr
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["spawn_exe"] == str(exe)
    # /bin/sh exec'ed the interpreter: the tracker runs frozen_app.py with "-c <tracker code>"
    tracker_cmd = report["tracker_cmd"]
    assert tracker_cmd[1] == str(SCRIPTS / "frozen_app.py")
    assert "resource_tracker import main" in tracker_cmd[tracker_cmd.index("-c") + 1]
    for method in ("spawn", "forkserver"):
        doubled, child_argv, name, exitcode = report["results"][method]
        assert (doubled, exitcode) == (42, 0)
        assert child_argv == report["argv"]  # no marker reaches the child's sys.argv
        assert name.startswith("Process-")


# ------------------------------------------------------------------ properties

_texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
_kwargs = st.fixed_dictionaries({}, optional={
    "sys_path": st.lists(_texts, max_size=4),
    "main_path": st.one_of(st.none(), _texts),
    "authkey_r": st.integers(0, 2 ** 31),
})


@settings(max_examples=100, deadline=None)
@given(fds=st.tuples(st.integers(0, 2 ** 31), st.integers(0, 2 ** 31)),
       preload=st.lists(st.from_regex(r"[A-Za-z_][A-Za-z0-9_.]{0,20}", fullmatch=True),
                        max_size=3),
       kwargs=_kwargs, argv=st.lists(_texts, max_size=6),
       flags=st.sampled_from(FLAGS))
def test_any_values_cpython_puts_in_a_forkserver_launch_come_back_exactly(
        fds, preload, kwargs, argv, flags):
    """Whatever the parent's paths, arguments and fds, the 3.13.13+/3.14.4+ command line is
    recognised and yields exactly those values (the argv after the code as sys_argv)."""
    code = _FS_ARGV % (*fds, preload, kwargs)
    launch = recognise_launch(["/opt/app/app", *flags, "-c", code, *argv])
    assert launch is not None
    assert launch.call_args == (*fds, preload)
    assert dict(launch.call_kwargs) == {**kwargs, "sys_argv": argv}
    expected = ("cpython-forkserver-authkey-argv-after-code" if "authkey_r" in kwargs
                else "cpython-forkserver-argv-after-code")
    assert launch.form.name == expected


@settings(max_examples=200, deadline=None)
@given(args=st.lists(st.one_of(_texts, st.sampled_from(
    ["-c", "-m", "-B", "-X", "-W", MARKER, "--multiprocessing-fork", "import sys",
     "from multiprocessing.forkserver import main; main(1, 2, [])",
     "loky.backend.popen_loky_posix", "--pipe", "5", "sys_argv=sys.argv[1:]"])),
    max_size=8))
def test_recognition_never_raises_and_only_names_rows(args):
    launch = recognise_launch(["app", *args])
    assert launch is None or launch.form in LAUNCH_FORMS
    assert looks_like_launch(["app", *args]) in (True, False)


def test_the_running_pythons_own_interpreter_flags_are_accepted():
    """Ask this Python, started with many flags, what it passes its helpers."""
    import subprocess

    flags = ["-B", "-s", "-E", "-Wignore", "-W", "error::DeprecationWarning", "-X", "dev",
             "-X", "faulthandler", "-X", "utf8", "-bb", "-O", "-q"]
    out = subprocess.run(
        [sys.executable, *flags, "-c", ("import json, multiprocessing.util as u; "
         "print(json.dumps(u._args_from_interpreter_flags()))")],
        capture_output=True, text=True, timeout=60, check=True).stdout
    emitted = json.loads(out)
    assert "-B" in emitted and any(f.startswith("-W") for f in emitted)
    launch = recognise_launch(["/opt/app/app", *emitted, "-c", _TRACKER % 5])
    assert launch is not None and launch.interpreter_flags == tuple(emitted)
