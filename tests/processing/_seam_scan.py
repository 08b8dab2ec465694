"""Find every place a module touches a private name of the standard library.

Used by ``test_stdlib_seam.py``. A *private* name starts with one underscore and is not a
dunder (``_x``, ``__x``; not ``__x__``). A module touches a private stdlib name when it

* imports a private stdlib module (``import _winapi``, ``from _posixsubprocess import ...``),
  except ``_thread``, which the Library Reference documents as a public module;
* imports a private name from a stdlib module (``from multiprocessing.util import _exit_function``);
* reads, writes or deletes ``alias._x`` where ``alias`` is bound to a stdlib module or to an
  object imported from one (``util._close_stdin = ...``, ``Server._handle_request``), including
  through ``getattr``/``setattr``/``hasattr``/``delattr`` with a constant name;
* in a class derived (directly or through our own classes) from a stdlib class, uses, sets or
  defines a private attribute that the stdlib base has (``self._popen``, ``super()._bootstrap()``,
  ``def _bootstrap(self)`` overriding the stdlib's hook, ``self._Client = ...`` replacing the
  stdlib's), or reads one through the class (``SyncManager._registry``);
* reads ``obj._x`` where ``_x`` is defined nowhere in our own code: our code defines its own
  privates, so a private attribute we never define must come from the stdlib (or another
  library's object handed to us);
* splices the stdlib's pickle state: the result of a stdlib class's ``__getstate__`` or
  ``__reduce__`` combined, indexed or unpacked, or a slice/concatenation handed to its
  ``__setstate__`` (the layout of the stdlib Queue's state tuple, of a proxy's reduction).

Names the stdlib documents as public despite the underscore are in ``DOCUMENTED``.
What it cannot see: a private attribute of a stdlib object reached through a call or a
container (``get_conn()._handle``) whose name our own code also defines on its own objects;
a stdlib protocol that uses no private name (the manager's ``("#RETURN", result)`` messages).
Import aliases are module-wide: a local variable that shadows an imported stdlib module is
taken for the module.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import string
import sys
import sysconfig
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# Underscore names that the Library Reference documents as public API, by the object they
# belong to ("*" for a protocol name any class may define or read).
DOCUMENTED: frozenset[tuple[str, str]] = frozenset({
    ("os", "_exit"),  # os: "Exit the process with status n" -- documented, public
    ("sys", "_getframe"),  # sys: documented (CPython implementation detail, but public)
    ("sys", "_xoptions"),  # sys: documented
    ("sys", "_current_frames"),  # sys: documented
    ("*", "_asdict"),  # collections.namedtuple: documented methods and fields
    ("*", "_replace"),
    ("*", "_fields"),
    ("*", "_make"),
    ("*", "_field_defaults"),
    ("*", "_fields_"),  # ctypes Structure/Union protocol, documented
    ("*", "_pack_"),
    ("*", "_anonymous_"),
    ("*", "_type_"),
    ("*", "_length_"),
    ("*", "_as_parameter_"),
    ("*", "_objects"),
    ("*", "_callmethod"),  # multiprocessing.managers BaseProxy: documented
    ("*", "_getvalue"),
    ("*", "_exposed_"),  # multiprocessing.managers proxy type protocol: documented
    ("*", "_method_to_typeid_"),
    ("*", "_missing_"),  # enum: documented hooks
    ("*", "_generate_next_value_"),
    ("*", "_value_"),
    ("*", "_name_"),
    ("*", "_ignore_"),
    ("*", "_order_"),
})

# Underscore names that live on stdlib objects but belong to another program.
NOT_STDLIB: frozenset[tuple[str, str]] = frozenset({
    ("sys", "_MEIPASS"),  # set by PyInstaller's bootloader in a frozen program
})

# Private C modules documented as public modules.
PUBLIC_PRIVATE_MODULES = frozenset({"_thread"})

STATE_METHODS = ("__getstate__", "__setstate__", "__reduce__", "__reduce_ex__")
# Those whose result is the state: taking it apart relies on its layout.
_STATE_PRODUCERS = ("__getstate__", "__reduce__", "__reduce_ex__")


@dataclass(frozen=True)
class Access:
    """One touch of a private stdlib name."""

    path: str
    line: int
    col: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.what}"


def is_private(name: str) -> bool:
    """``_x`` and ``__x`` are private; ``__x__`` and ``_`` are not."""
    if len(name) < 2 or not name.startswith("_"):
        return False
    return not (name.startswith("__") and name.endswith("__"))


@cache
def stdlib_top_names() -> frozenset[str]:
    """Top-level module names of the running Python's standard library."""
    names = getattr(sys, "stdlib_module_names", None)
    if names is not None:
        return frozenset(names)
    import pkgutil  # Python 3.9: no sys.stdlib_module_names

    paths = {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]}
    paths |= {os.path.join(p, "lib-dynload") for p in list(paths)}
    found = {m.name for m in pkgutil.iter_modules(sorted(paths))}
    return frozenset(found | set(sys.builtin_module_names) | _OTHER_PLATFORMS)


# Stdlib modules that exist only on another platform, so no directory listing here finds them
# (Python 3.10+ lists them in ``sys.stdlib_module_names``).
_OTHER_PLATFORMS = frozenset({
    "_winapi", "_overlapped", "_msi", "_wmi", "msvcrt", "nt", "winreg", "winsound", "_scproxy",
})


def is_stdlib(dotted: str) -> bool:
    return dotted.split(".")[0] in stdlib_top_names()


@cache
def stdlib_object(dotted: str) -> object | None:
    """The stdlib object named ``dotted`` (``multiprocessing.managers.Server``), or None."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


@cache
def stdlib_class_privates(dotted: str) -> frozenset[str]:
    """Private names a stdlib class has: on the class (its MRO) or used on ``self`` in its
    methods (set, read, or probed with ``getattr``)."""
    cls = stdlib_object(dotted)
    if not isinstance(cls, type):
        return frozenset()
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass is object:
            continue
        names.update(n for n in vars(klass) if is_private(n))
        try:
            source = textwrap.dedent(inspect.getsource(klass))
        except (OSError, TypeError):
            continue
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Attribute) and _is_self(node.value):
                names.add(node.attr)
            elif (
                isinstance(node, ast.Call) and _call_name(node) in _ATTR_FUNCTIONS
                and node.args and _is_self(node.args[0])
            ):
                names.add(_constant_attr(node) or "")
    return frozenset(n for n in names if is_private(n))


_ATTR_FUNCTIONS = ("getattr", "setattr", "hasattr", "delattr")
_DICT_METHODS = ("get", "pop", "setdefault")

# The stdlib modules whose private attributes of other objects (``current_process()._inheriting``,
# set in spawn and read in context) our code is most likely to meet.
_MULTIPROCESSING_MODULES = (
    "multiprocessing.connection", "multiprocessing.context", "multiprocessing.forkserver",
    "multiprocessing.managers", "multiprocessing.pool", "multiprocessing.process",
    "multiprocessing.queues", "multiprocessing.reduction", "multiprocessing.resource_tracker",
    "multiprocessing.sharedctypes", "multiprocessing.spawn", "multiprocessing.synchronize",
    "multiprocessing.util",
)


@cache
def stdlib_module_privates(dotted: str) -> frozenset[str]:
    """Private attribute names the source of the stdlib module ``dotted`` (or of the module
    an object ``dotted`` comes from) uses on any object, by attribute or ``getattr``."""
    obj = stdlib_object(dotted)
    module = inspect.getmodule(obj) if obj is not None else None
    try:
        source = inspect.getsource(module) if module is not None else ""
    except (OSError, TypeError):
        return frozenset()
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Call) and _call_name(node) in _ATTR_FUNCTIONS:
            names.add(_constant_attr(node) or "")
    return frozenset(n for n in names if is_private(n))


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


def documented(owner: str | None, name: str) -> bool:
    if ("*", name) in DOCUMENTED:
        return True
    return owner is not None and ((owner, name) in DOCUMENTED or (owner, name) in NOT_STDLIB)


def _call_name(node: ast.Call) -> str | None:
    return node.func.id if isinstance(node.func, ast.Name) else None


def _constant_attr(node: ast.Call) -> str | None:
    """The attribute name of ``getattr(obj, "_x", ...)`` and its kin, if it is a constant."""
    if len(node.args) >= 2:
        arg = node.args[1]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return arg.value
    return None


# --------------------------------------------------------------------------------------
# One module



@dataclass
class ClassInfo:
    """A class of ours: the stdlib classes among its bases (directly or through ours)."""

    stdlib_bases: list[str]


class ModuleScan(ast.NodeVisitor):
    """The private stdlib accesses of one module's syntax tree, and the private names it defines.

    ``ours``: private names our code defines (anywhere); ``theirs``: private names of the
    stdlib classes our code uses; ``classes``: the project's classes by name.
    """

    def __init__(
        self, path: str, ours: set[str], theirs: set[str], classes: dict[str, ClassInfo]
    ) -> None:
        self.path = path
        self.ours = ours
        self.theirs = theirs
        self.project_classes = classes
        self.aliases: dict[str, str] = {}  # local name -> dotted stdlib module or object
        self.local_classes: dict[str, ClassInfo] = {}
        self.class_stack: list[tuple[str, ClassInfo]] = []
        self.defines: set[str] = set()
        self.found: list[Access] = []
        self.reported: set[int] = set()  # id() of nodes already reported

    def report(self, node: ast.AST, what: str) -> None:
        if id(node) not in self.reported:
            self.reported.add(id(node))
            self.found.append(Access(self.path, node.lineno, node.col_offset + 1, what))

    def define(self, name: str) -> None:
        if is_private(name):
            self.defines.add(name)

    # imports ---------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.define(alias.asname)
            if not is_stdlib(alias.name):
                continue
            if _private_module(alias.name):
                self.report(node, f"imports private stdlib module {alias.name}")
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                self.aliases[top] = top

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.asname:
                self.define(alias.asname)
        if node.level or not node.module or not is_stdlib(node.module):
            return
        module = node.module
        if _private_module(module):
            self.report(node, f"imports from private stdlib module {module}")
        for alias in node.names:
            dotted = f"{module}.{alias.name}"
            if is_private(alias.name) and not documented(module, alias.name):
                self.report(node, f"imports private stdlib name {dotted}")
            self.aliases[alias.asname or alias.name] = dotted

    # definitions -----------------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if not self._class_collision(node.name):
            self.define(node.name)
        for arg in ast.walk(node.args):
            if isinstance(arg, ast.arg):
                self.define(arg.arg)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store) and not self._class_collision(node.id):
            self.define(node.id)

    def visit_Assign(self, node: ast.Assign) -> None:
        if any(isinstance(t, ast.Name) and t.id == "__slots__" for t in node.targets):
            for c in ast.walk(node.value):
                if isinstance(c, ast.Constant) and isinstance(c.value, str):
                    self.define(c.value)
        self.generic_visit(node)

    def _class_collision(self, name: str) -> bool:
        """Whether a class-level definition of ``name`` here overrides a stdlib base's."""
        if not self.class_stack or self.function_depth:
            return False
        return name in self._stdlib_privates(self.class_stack[-1][1])

    function_depth = 0

    # names -----------------------------------------------------------------------------
    def resolve(self, node: ast.expr) -> str | None:
        """The dotted stdlib name ``node`` stands for, if it is one (``alias.attr.attr``)."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute) and not is_private(node.attr):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.check_attribute(node, node.value, node.attr, isinstance(node.ctx, ast.Load))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _call_name(node)
        if name in _ATTR_FUNCTIONS and node.args:
            attr = _constant_attr(node)
            if attr:
                self.check_attribute(node, node.args[0], attr, name in ("getattr", "hasattr"))
        func = node.func
        if (  # obj.__dict__.pop("_x", None) and its kin
            isinstance(func, ast.Attribute) and func.attr in _DICT_METHODS
            and isinstance(func.value, ast.Attribute) and func.value.attr == "__dict__"
            and node.args and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            self.check_attribute(node, func.value.value, node.args[0].value, func.attr == "get")
        self.check_state_splice(node)
        self.generic_visit(node)

    def check_attribute(self, node: ast.AST, value: ast.expr, attr: str, load: bool) -> None:
        if not is_private(attr):
            return
        chained = isinstance(value, ast.Attribute) and is_private(value.attr)
        if chained and self.resolve(value.value) is not None:
            return  # ``alias._a._b``: reported once, at ``_a``
        owner = self.resolve(value)
        if owner is not None:
            # Our own attribute hung on a stdlib module (``sys._our_flag = ...``) is ours.
            stdlib_has = hasattr(stdlib_object(owner), attr) or attr in self.theirs
            if not load and not stdlib_has:
                self.define(attr)
            elif not documented(owner, attr) and not (attr in self.ours and not stdlib_has):
                self.report(node, f"private stdlib name {owner}.{attr}")
            return
        if documented(None, attr):
            return
        if self.class_stack and self._is_self_like(value, self.class_stack[-1][0]):
            info = self.class_stack[-1][1]
            if attr in self._stdlib_privates(info):
                base = self._owner_of(info, attr)
                self.report(node, f"private attribute {attr} of stdlib class {base}")
                return
            if not load:
                self.define(attr)
                return
        elif isinstance(value, ast.Name) and self._our_stdlib_class(value.id) is not None:
            info = self._our_stdlib_class(value.id)
            if attr in self._stdlib_privates(info):
                base = self._owner_of(info, attr)
                self.report(node, f"private attribute {attr} of stdlib class {base}")
                return
        elif not load and attr not in self.theirs:
            self.define(attr)
            return
        if attr not in self.ours:
            whose = "the stdlib uses and " if attr in self.theirs else ""
            self.report(node, f"private attribute {attr} that {whose}our code never defines")

    def _our_stdlib_class(self, name: str) -> ClassInfo | None:
        """Our class called ``name`` if it derives from a stdlib class (``SyncManager._registry``)."""
        info = self.local_classes.get(name) or self.project_classes.get(name)
        return info if info is not None and info.stdlib_bases else None

    def _is_self_like(self, value: ast.expr, class_name: str) -> bool:
        if isinstance(value, ast.Name):
            return value.id in ("self", "cls", class_name)
        return (
            isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
            and value.func.id == "super"
        )

    def _stdlib_privates(self, info: ClassInfo) -> set[str]:
        names: set[str] = set()
        for base in info.stdlib_bases:
            names |= stdlib_class_privates(base)
        return names

    def _owner_of(self, info: ClassInfo, attr: str) -> str:
        return next((b for b in info.stdlib_bases if attr in stdlib_class_privates(b)), "?")

    # classes ---------------------------------------------------------------------------
    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for child in (*node.decorator_list, *node.bases, *node.keywords):
            self.visit(child)
        info = ClassInfo([])
        for base in node.bases:
            dotted = self.resolve(base)
            if dotted is not None:
                if isinstance(stdlib_object(dotted), type):
                    info.stdlib_bases.append(dotted)
                continue
            name = base.id if isinstance(base, ast.Name) else (
                base.attr if isinstance(base, ast.Attribute) else None
            )
            ours = self.local_classes.get(name or "") or self.project_classes.get(name or "")
            if ours is not None:
                info.stdlib_bases += ours.stdlib_bases
        self.local_classes[node.name] = info
        if not self._class_collision(node.name):
            self.define(node.name)
        if info.stdlib_bases:
            theirs = self._stdlib_privates(info)
            for item in node.body:
                for name, where in _class_level_definitions(item):
                    if name in theirs and not documented(None, name):
                        base = self._owner_of(info, name)
                        self.report(where, f"overrides private {name} of stdlib class {base}")
        self.class_stack.append((node.name, info))
        saved, self.function_depth = self.function_depth, 0
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if not self._class_collision(item.name):
                    self.define(item.name)
                self.function_depth += 1
                self.visit_function_body(item)
                self.function_depth -= 1
            else:
                self.visit(item)
        self.function_depth = saved
        self.class_stack.pop()

    def visit_function_body(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for arg in ast.walk(node.args):
            if isinstance(arg, ast.arg):
                self.define(arg.arg)
        for child in (*node.decorator_list, node.args, *node.body):
            self.visit(child)
        if node.returns is not None:
            self.visit(node.returns)

    # pickle state ----------------------------------------------------------------------
    def check_state_splice(self, node: ast.Call) -> None:
        """``Base.__getstate__(self) + (...)``, ``super().__reduce__()[1]``,
        ``Base.__setstate__(self, state[:-2])``."""
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr not in STATE_METHODS:
            return
        owner = self.resolve(func.value)
        if owner is None and self.class_stack:
            class_name, info = self.class_stack[-1]
            called = isinstance(func.value, ast.Call)  # super().__getstate__
            if info.stdlib_bases and called and self._is_self_like(func.value, class_name):
                owner = info.stdlib_bases[0]
        if owner is None:
            return
        spliced = any(
            isinstance(a, (ast.BinOp, ast.Starred))
            or (isinstance(a, ast.Subscript) and isinstance(a.slice, ast.Slice))
            for a in node.args
        )
        parent = getattr(node, "_seam_parent", None)
        if func.attr in _STATE_PRODUCERS:
            if isinstance(parent, (ast.Subscript, ast.BinOp)):
                spliced = True
            elif isinstance(parent, ast.Assign):
                spliced = any(isinstance(t, (ast.Tuple, ast.List)) for t in parent.targets)
        if spliced:
            self.report(node, f"relies on the layout of {owner}'s pickle state ({func.attr})")


def _private_module(dotted: str) -> bool:
    parts = dotted.split(".")
    return parts[0] not in PUBLIC_PRIVATE_MODULES and any(is_private(p) for p in parts)


def _class_level_definitions(item: ast.stmt) -> Iterable[tuple[str, ast.AST]]:
    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        if is_private(item.name):
            yield item.name, item
    elif isinstance(item, (ast.Assign, ast.AnnAssign)):
        targets = item.targets if isinstance(item, ast.Assign) else [item.target]
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name) and is_private(sub.id):
                    yield sub.id, item


def _link_parents(tree: ast.AST) -> None:
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            child._seam_parent = parent  # type: ignore[attr-defined]


def scan_sources(
    sources: dict[str, str], exclude_from_definitions: Iterable[str] = ()
) -> dict[str, list[Access]]:
    """The private stdlib accesses of each module, given ``{path: source}``.

    Modules in ``exclude_from_definitions`` are scanned too, but what they define does not
    count as "our code defines it" (the seam itself may set stdlib privates).
    """
    trees = {path: ast.parse(source, filename=path) for path, source in sources.items()}
    for tree in trees.values():
        _link_parents(tree)
    excluded = set(exclude_from_definitions)

    def run(ours: set[str], theirs: set[str], classes: dict[str, ClassInfo]) -> list[ModuleScan]:
        scans = []
        for path, tree in trees.items():
            scan = ModuleScan(path, ours, theirs, classes)
            scan.visit(tree)
            scans.append(scan)
        return scans

    # Classes first (a base may be defined in a module read after its subclass), then the
    # private names of every stdlib class we use, then what our own code defines.
    classes: dict[str, ClassInfo] = {}
    for _ in range(3):
        for scan in run(set(), set(), classes):
            classes.update(scan.local_classes)
    theirs: set[str] = set()
    for scan in run(set(), set(), classes):
        for dotted in scan.aliases.values():
            theirs |= stdlib_class_privates(dotted) | stdlib_module_privates(dotted)
    for module in _MULTIPROCESSING_MODULES:
        theirs |= stdlib_module_privates(module)
    for info in classes.values():
        for dotted in info.stdlib_bases:
            theirs |= stdlib_class_privates(dotted)
    ours: set[str] = set()
    for scan in run(set(), theirs, classes):
        if scan.path not in excluded:
            ours |= scan.defines
    return {
        scan.path: sorted(scan.found, key=lambda a: (a.line, a.col))
        for scan in run(ours, theirs, classes)
    }


def scan_tree(root: Path, packages: Iterable[str], seam: str) -> dict[str, list[Access]]:
    """Scan every ``.py`` file and ``.py.tmpl`` template under ``root/<package>`` for each
    package; paths are relative to ``root``."""
    sources = {}
    for package in packages:
        for file in sorted((root / package).rglob("*.py")):
            sources[file.relative_to(root).as_posix()] = file.read_text(encoding="utf-8")
        for file in sorted((root / package).rglob("*.py.tmpl")):
            sources[file.relative_to(root).as_posix()] = render_template(file)
    return scan_sources(sources, exclude_from_definitions=[seam])


def render_template(path: Path) -> str:
    """A ``str.format`` template of a Python module, every field filled with a string, so
    that what it will run can be parsed (the scan's line numbers are the template's)."""
    text = path.read_text(encoding="utf-8")
    fields = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    return text.format(**{name: "placeholder" for name in fields})
