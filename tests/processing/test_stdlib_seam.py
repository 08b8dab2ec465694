"""Every use of a private stdlib name lives in ``processing/_stdlib.py`` (issue 15).

A CPython patch release may rename or drop any private name; with every use in one module,
each with the releases it was read against, the audit of a new release is one file long.
``_seam_scan`` finds the uses (read its docstring for what counts); the unit tests below pin
what it catches and what it leaves alone.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.processing._seam_scan import Access, is_private, is_stdlib, scan_sources, scan_tree

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("processing", "freezekit", "templates")
SEAM = "processing/_stdlib.py"

MOVE_IT = (
    "move it into processing/_stdlib.py: a function or constant named for what it does, "
    "with a docstring and a `checked:` line naming the CPython releases read"
)


@pytest.fixture(scope="module")
def accesses() -> dict[str, list[Access]]:
    return scan_tree(ROOT, PACKAGES, SEAM)


def _listing(found: list[Access]) -> str:
    return "\n".join(f"  {access}" for access in found)


def test_no_module_outside_the_seam_touches_a_private_stdlib_name(accesses):
    offenders = [
        access
        for path, found in accesses.items()
        if path != SEAM
        for access in found
    ]
    assert not offenders, f"private stdlib names outside the seam ({MOVE_IT}):\n" + _listing(
        offenders
    )


def _seam_tree() -> ast.Module:
    return ast.parse((ROOT / SEAM).read_text(encoding="utf-8"))


def test_every_seam_entry_says_which_releases_were_read():
    source = (ROOT / SEAM).read_text(encoding="utf-8").splitlines()
    missing = []
    for node in _seam_tree().body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not is_private(node.name):
            doc = ast.get_docstring(node) or ""
            if "checked:" not in doc:
                missing.append(f"{SEAM}:{node.lineno}: {node.name} (its docstring)")
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if not names or names[0] in ("CHECKED", "__all__") or is_private(names[0]):
                continue
            above = []
            line = node.lineno - 2
            while line >= 0 and source[line].lstrip().startswith("#"):
                above.append(source[line])
                line -= 1
            if not any("checked:" in comment for comment in above):
                missing.append(f"{SEAM}:{node.lineno}: {names[0]} (a comment above it)")
    assert not missing, "seam entries without a `checked:` line:\n" + "\n".join(missing)


def test_the_seam_imports_only_the_stdlib():
    """It sits below every other module: importing processing from it would make cycles."""
    imported = []
    for node in ast.walk(_seam_tree()):
        if isinstance(node, ast.Import):
            imported += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            imported.append((node.lineno, "." * node.level + (node.module or "")))
    foreign = [
        f"{SEAM}:{line}: imports {name}" for line, name in imported
        if name != "__future__" and not is_stdlib(name)
    ]
    assert not foreign, "\n".join(foreign)


def test_the_seam_does_not_make_import_processing_heavier():
    """Every module imports the seam, so what the seam imports at the top, everyone pays
    for: the stdlib's managers (and its shared memory) are imported only when used."""
    probe = "import sys, processing; print(sorted(m for m in MODS if m in sys.modules))"
    heavy = ["multiprocessing.managers", "multiprocessing.shared_memory"]
    result = subprocess.run(
        [sys.executable, "-c", f"MODS = {heavy!r}\n{probe}"],
        capture_output=True, text=True, timeout=60, check=True,
    )
    assert result.stdout.strip() == "[]"


# --- what the scanner catches ---------------------------------------------------------


BASE_PROCESS = "multiprocessing.process.BaseProcess"
PROXY_LAYOUT = "relies on the layout of multiprocessing.managers.BaseProxy's pickle state"
QUEUE_LAYOUT = "relies on the layout of multiprocessing.queues.Queue's pickle state"


def _scan(source: str, **others: str) -> list[str]:
    sources = {"mod.py": textwrap.dedent(source)}
    sources.update({f"{name}.py": textwrap.dedent(text) for name, text in others.items()})
    return [access.what for access in scan_sources(sources)["mod.py"]]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            "from multiprocessing.util import _close_stdin\n",
            ["imports private stdlib name multiprocessing.util._close_stdin"],
            id="from-stdlib-import-private",
        ),
        pytest.param(
            "from multiprocessing.reduction import ForkingPickler, _reduce_socket as r\n",
            ["imports private stdlib name multiprocessing.reduction._reduce_socket"],
            id="private-among-public-renamed",
        ),
        pytest.param(
            "import _winapi\n", ["imports private stdlib module _winapi"], id="private-c-module"
        ),
        pytest.param(
            "import _posixsubprocess as ps\n",
            ["imports private stdlib module _posixsubprocess"],
            id="private-c-module-renamed",
        ),
        pytest.param(
            "from _multiprocessing import SemLock\n",
            ["imports from private stdlib module _multiprocessing"],
            id="from-private-c-module",
        ),
        pytest.param(
            "from multiprocessing import util\nutil._close_stdin = lambda: None\n",
            ["private stdlib name multiprocessing.util._close_stdin"],
            id="monkeypatch-module-private",
        ),
        pytest.param(
            "import multiprocessing.resource_tracker as rt\nrt._resource_tracker._fd\n",
            ["private stdlib name multiprocessing.resource_tracker._resource_tracker"],
            id="chain-reported-once",
        ),
        pytest.param(
            "import atexit\natexit._run_exitfuncs()\n",
            ["private stdlib name atexit._run_exitfuncs"],
            id="import-module-attribute",
        ),
        pytest.param(
            "import multiprocessing\nmultiprocessing.process._children\n",
            ["private stdlib name multiprocessing.process._children"],
            id="dotted-through-package",
        ),
        pytest.param(
            "from multiprocessing.reduction import ForkingPickler\n"
            "ForkingPickler._extra_reducers\n",
            ["private stdlib name multiprocessing.reduction.ForkingPickler._extra_reducers"],
            id="private-attribute-of-stdlib-class",
        ),
        pytest.param(
            "import argparse\nx: argparse._SubParsersAction\n",
            ["private stdlib name argparse._SubParsersAction"],
            id="private-class-in-annotation",
        ),
        pytest.param(
            "from multiprocessing import process\n"
            "getattr(process.current_process(), '_inheriting', False)\n",
            ["private attribute _inheriting that the stdlib uses and our code never defines"],
            id="getattr-constant-never-defined",
        ),
        pytest.param(
            "from multiprocessing import process\n"
            "hasattr(process, '_children')\n",
            ["private stdlib name multiprocessing.process._children"],
            id="hasattr-on-stdlib-module",
        ),
        pytest.param(
            "def f(conn):\n    return conn._handle\n",
            ["private attribute _handle that the stdlib uses and our code never defines"],
            id="attribute-never-defined",
        ),
        pytest.param(
            "def f(thing):\n    return thing._frobnicate\n",
            ["private attribute _frobnicate that our code never defines"],
            id="attribute-nobody-defines",
        ),
        pytest.param(
            "from multiprocessing import process\n"
            "def child():\n"
            "    current = process.current_process()\n"
            "    current._inheriting = True\n"
            "    del current._inheriting\n",
            [
                "private attribute _inheriting that the stdlib uses and our code never defines",
                "private attribute _inheriting that the stdlib uses and our code never defines",
            ],
            id="set-and-delete-a-stdlib-flag-on-a-stdlib-object",
        ),
        pytest.param(
            "def forget(current):\n    current.__dict__.pop('_inheriting', None)\n",
            ["private attribute _inheriting that the stdlib uses and our code never defines"],
            id="dict-pop",
        ),
        pytest.param(
            "from multiprocessing import process\n"
            "class P(process.BaseProcess):\n"
            "    def run(self):\n"
            "        return self._popen\n",
            ["private attribute _popen of stdlib class multiprocessing.process.BaseProcess"],
            id="self-private-of-stdlib-base",
        ),
        pytest.param(
            "from multiprocessing import process\n"
            "class P(process.BaseProcess):\n"
            "    def _bootstrap(self):\n"
            "        super()._bootstrap()\n",
            [
                f"overrides private _bootstrap of stdlib class {BASE_PROCESS}",
                f"private attribute _bootstrap of stdlib class {BASE_PROCESS}",
            ],
            id="override-and-super-private",
        ),
        pytest.param(
            "from multiprocessing.managers import BaseManager\n"
            "class M(BaseManager):\n"
            "    _Server = object\n",
            ["overrides private _Server of stdlib class multiprocessing.managers.BaseManager"],
            id="override-class-attribute",
        ),
        pytest.param(
            "from multiprocessing.managers import BaseProxy\n"
            "class P(BaseProxy):\n"
            "    def __init__(self):\n"
            "        self._Client = None\n",
            ["private attribute _Client of stdlib class multiprocessing.managers.BaseProxy"],
            id="self-store-clobbers-stdlib-attribute",
        ),
        pytest.param(
            "from multiprocessing import queues\n"
            "class Q(queues.Queue):\n"
            "    def __getstate__(self):\n"
            "        return queues.Queue.__getstate__(self) + (1,)\n"
            "    def __setstate__(self, state):\n"
            "        queues.Queue.__setstate__(self, state[:-1])\n",
            [
                f"{QUEUE_LAYOUT} (__getstate__)",
                f"{QUEUE_LAYOUT} (__setstate__)",
            ],
            id="queue-state-tuple-layout",
        ),
        pytest.param(
            "from multiprocessing import queues\n"
            "class Q(queues.Queue):\n"
            "    def __getstate__(self):\n"
            "        reader, writer, *rest = super().__getstate__()\n"
            "        return rest\n",
            [
                f"{QUEUE_LAYOUT} (__getstate__)",
            ],
            id="state-unpacked-from-super",
        ),
        pytest.param(
            "from multiprocessing import managers\n"
            "class P(managers.BaseProxy):\n"
            "    def __reduce__(self):\n"
            "        func, (kind, token, serializer, kwds) = super().__reduce__()\n"
            "        return func, (kind, token, serializer, kwds)\n",
            [
                f"{PROXY_LAYOUT} (__reduce__)",
            ],
            id="reduction-unpacked-from-super",
        ),
        pytest.param(
            "from multiprocessing import process\n"
            "class Base(process.BaseProcess):\n"
            "    pass\n"
            "class Child(Base):\n"
            "    def go(self):\n"
            "        return self._identity\n",
            ["private attribute _identity of stdlib class multiprocessing.process.BaseProcess"],
            id="stdlib-base-through-our-base",
        ),
        pytest.param(
            "from multiprocessing import managers\n"
            "class SyncManager(managers.SyncManager):\n"
            "    pass\n"
            "registry = SyncManager._registry\n",
            ["private attribute _registry of stdlib class multiprocessing.managers.SyncManager"],
            id="private-of-stdlib-base-through-our-class-name",
        ),
    ],
)
def test_the_scanner_catches(source, expected):
    assert _scan(source) == expected


def test_the_scanner_follows_a_base_class_into_another_module():
    base = "from multiprocessing import managers\nclass Proxy(managers.BaseProxy):\n    pass\n"
    sub = "from base import Proxy\nclass Mine(Proxy):\n    def f(self):\n        return self._token\n"
    found = scan_sources({"base.py": base, "mod.py": sub})["mod.py"]
    assert [a.what for a in found] == [
        "private attribute _token of stdlib class multiprocessing.managers.BaseProxy"
    ]


def test_templates_are_scanned_as_rendered(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "entry.py.tmpl").write_text(
        "# built by {version}\nimport atexit\natexit._run_exitfuncs()\nrun({module!r})\n"
    )
    found = scan_tree(tmp_path, ["templates"], SEAM)["templates/entry.py.tmpl"]
    assert [str(a) for a in found] == [
        "templates/entry.py.tmpl:3:1: private stdlib name atexit._run_exitfuncs"
    ]


def test_an_attribute_only_the_seam_defines_is_not_ours():
    seam = "def hook(obj):\n    obj._hidden = 1\n"
    user = "def f(obj):\n    return obj._hidden\n"
    found = scan_sources({"seam.py": seam, "mod.py": user}, exclude_from_definitions=["seam.py"])
    assert [a.what for a in found["mod.py"]] == [
        "private attribute _hidden that our code never defines"
    ]


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("import _thread\nimport threading\n", id="_thread-is-documented"),
        pytest.param("import os\nos._exit(0)\n", id="os._exit-is-documented"),
        pytest.param("import sys\nsys._getframe(1)\n", id="sys._getframe-is-documented"),
        pytest.param("import sys\ngetattr(sys, '_MEIPASS', None)\n", id="pyinstaller-on-sys"),
        pytest.param(
            "import collections\nP = collections.namedtuple('P', 'x')\nP(1)._replace(x=2)\n",
            id="namedtuple-api",
        ),
        pytest.param(
            "import ctypes\nclass S(ctypes.Structure):\n    _fields_ = [('x', ctypes.c_int)]\n",
            id="ctypes-protocol",
        ),
        pytest.param(
            "from multiprocessing.managers import BaseProxy\n"
            "class P(BaseProxy):\n"
            "    _exposed_ = ('get',)\n"
            "    def get(self):\n"
            "        return self._callmethod('get')\n",
            id="documented-proxy-api",
        ),
        pytest.param(
            "class Mine:\n"
            "    def __init__(self):\n"
            "        self._lock = None\n"
            "    def f(self, other):\n"
            "        return self._lock, other._lock, self.__secret\n"
            "    __secret = 1\n",
            id="our-own-privates",
        ),
        pytest.param(
            "import sys\nsys._our_flag = 1\nprint(sys._our_flag)\n",
            id="our-own-attribute-on-a-stdlib-module",
        ),
        pytest.param(
            "from multiprocessing import process\n"
            "process.current_process()._our_mark = 1\n"
            "print(process.current_process()._our_mark)\n",
            id="our-own-attribute-on-a-stdlib-object",
        ),
        pytest.param(
            "from processing import _stdlib\n_stdlib.after_fork()\n"
            "from processing.connection import _adopt\n",
            id="our-own-modules",
        ),
        pytest.param(
            "from multiprocessing import queues\n"
            "class Q(queues.Queue):\n"
            "    def __getstate__(self):\n"
            "        return (super().__getstate__(), 1)\n"
            "    def __setstate__(self, state):\n"
            "        super().__setstate__(state[0])\n",
            id="stdlib-state-kept-whole",
        ),
        pytest.param(
            "from multiprocessing import queues\n"
            "class Q(queues.Queue):\n"
            "    def put(self, obj):\n"
            "        self._mine = obj\n"
            "        return self._mine\n",
            id="new-private-on-stdlib-subclass",
        ),
        pytest.param("import __future__\nfrom __future__ import annotations\n", id="dunder"),
    ],
)
def test_the_scanner_leaves_alone(source):
    assert _scan(source) == []
