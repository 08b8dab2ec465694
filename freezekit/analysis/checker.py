"""Static checks that find what makes a main module unsafe to freeze or to run under spawn.

A spawned or frozen child re-imports the parent's main module, so everything the module does at
import time runs again in every child. The checks here read the module's AST once, resolve how it
imported `processing`, `multiprocessing`, `multiprocess`, `concurrent.futures`, loky or joblib,
follow calls through the module's functions, classes and the local modules it imports, and
report findings with stable codes (FK001...), like ruff or flake8. A `# noqa` or
`# noqa: FK001` comment silences findings on its line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from pathlib import Path

from freezekit.analysis.facts import Analysis, FreezeCall, Witness
from freezekit.analysis.findings import Finding, FindingCollector
from freezekit.analysis.guardglobals import guard_only_reads, reachable
from freezekit.analysis.libraries import (
    CONTEXT,
    EXECUTORS,
    EXITS,
    FREEZE,
    GUI,
    LIBS,
    MANAGERS,
    PARALLEL,
    POOL_METHODS,
    QT,
    SERVER_LIBS,
    SPAWNERS,
    STAR_NAMES,
    START_METHOD,
    THREAD_BACKENDS,
    THREADS,
)
from freezekit.analysis.rules import ERROR, RULES
from freezekit.analysis.source import SourceError, load_source, parse_source
from freezekit.analysis.syntax import (
    block_name,
    main_guard_body,
    walk_statements,
)

__all__ = ["GUARD_HINT", "analyse_module", "analyse_source", "check"]

# Parts of a statement that hold statements or expressions; `match` arrived in Python 3.10.
_CLAUSES = tuple(getattr(ast, name) for name in ("excepthandler", "match_case", "withitem",
                                                  "keyword") if hasattr(ast, name))
_LEAVES = (ast.Name, ast.Constant, ast.expr_context, ast.operator, ast.cmpop, ast.unaryop,
           ast.boolop)

GUARD_HINT = 'move it under `if __name__ == "__main__":` (`freezekit fix` does this)'


def _last(dotted: str) -> str:
    return dotted.rpartition(".")[2]


def check(path: str | Path) -> list[Finding]:
    """Check one main module and return its findings, sorted by position."""
    source = load_source(path)
    return analyse_source(source.text, source.path, Path(source.path).resolve().parent)


def analyse_source(text: str, path: str = "<string>",
                   search_dir: Path | None = None) -> list[Finding]:
    """Check module text held in memory; `path` only labels the findings.

    `search_dir` is where the module's own imports are found (its folder, as for `python
    app.py`); None looks at no other module.
    """
    return analyse_module(parse_source(text, path), text, path, search_dir).findings


def analyse_module(tree: ast.Module, text: str, path: str,
                   search_dir: Path | None = None) -> Analysis:
    """Run every rule over a parsed module."""
    return _Analyser(tree, text, path, _LocalModules(search_dir)).run()


@dataclass
class _Ctx:
    """Where a node executes: at import time ("module"), in the guard, or in a function."""

    where: str
    top: int
    func: str | None = None
    block: str = ""
    definition: str = ""
    guard: ast.If | None = None
    local_defs: frozenset[str] = frozenset()
    local_classes: frozenset[str] = frozenset()
    cls: str | None = None


class _LocalModules:
    """The app's own modules next to its main script, analysed once each, on demand."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.cache: dict[Path, Analysis | None] = {}

    def find(self, module: str) -> Path | None:
        if self.root is None:
            return None
        base = self.root.joinpath(*module.split("."))
        for candidate in (base.with_name(base.name + ".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None

    def analyse(self, file: Path) -> Analysis | None:
        """The module's analysis, or None if it cannot be read (check reports only the app)."""
        if file not in self.cache:
            self.cache[file] = None  # an import cycle sees "nothing known" rather than looping
            try:
                source = load_source(file)
                tree = parse_source(source.text, source.path)
            except SourceError:
                return None
            label = _relative(file, self.root)
            self.cache[file] = _Analyser(tree, source.text, label, self, imported=True).run()
        return self.cache[file]


def _relative(file: Path, root: Path | None) -> str:
    try:
        return str(file.relative_to(root)) if root else str(file)
    except ValueError:
        return str(file)


class _Analyser:
    def __init__(self, tree: ast.Module, text: str, path: str, local: _LocalModules,
                 imported: bool = False) -> None:
        self.tree = tree
        self.path = path
        self.local = local
        self.imported = imported
        self.has_global = "global" in text
        self.collector = FindingCollector(path, text)
        self.result = Analysis(findings=self.collector.findings)
        self.aliases = self.result.aliases
        self.star_libs = self.result.star_libs
        self.spawner_classes: dict[str, str] = {}
        self.manager_classes: set[str] = set()
        self.classes: set[str] = set()
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.local_modules: dict[str, Path] = {}
        self.pool_names: set[str] = set()
        self.thread_names: set[str] = set()
        self.manager_names: dict[str, str] = {}
        self.parallel_names: set[str] = set()
        self.instances: dict[str, str] = {}
        self.child_targets: set[str] = set()
        self.fn_spawns: dict[str, Witness] = {}
        self.graph: dict[str, set[str]] = {}
        self.module_calls: list[tuple[ast.Call, _Ctx, str]] = []
        self.guard_calls: list[tuple[ast.If, str]] = []
        self.guards_spawning: set[int] = set()
        self.guards: list[ast.If] = []
        self.first_in_guard: set[int] = set()
        self.side_effects: list[tuple[ast.AST, _Ctx, str]] = []
        self.spawned = False

    def run(self) -> Analysis:
        self._collect_imports()
        for index, stmt in enumerate(self.tree.body):
            self._stmt(stmt, _Ctx("module", index))
        self._resolve_calls()
        if self.spawned:
            for node, ctx, what in self.side_effects:
                self._unsafe(node, "FK005", ctx,
                             f"{what} at import time: every child process re-imports the main "
                             f"module and does it again; {GUARD_HINT}")
        if not self.imported:
            self._guard_only_globals()
        self.result.findings.sort(key=lambda f: (f.line, f.col, f.code))
        return self.result

    def _collect_imports(self) -> None:
        """Learn every name bound to the libraries, wherever the import or context is."""
        statements = list(walk_statements(self.tree.body))
        for node in statements:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.aliases[alias.asname] = alias.name
                    else:
                        top = alias.name.partition(".")[0]
                        self.aliases[top] = top
                    self._note_lib(alias.name)
                    self._note_local(alias.name)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                self._note_lib(node.module)
                self._note_local(node.module)
                for alias in node.names:
                    if alias.name == "*":
                        self.star_libs.add(node.module)
                    else:
                        self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                        self._note_local(f"{node.module}.{alias.name}")
        for stmt in self.tree.body:
            if isinstance(stmt, ast.ClassDef):
                self.classes.add(stmt.name)
                for item in walk_statements(stmt.body):
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        self.functions.setdefault(f"{stmt.name}.{item.name}", item)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions[stmt.name] = stmt
        for node in statements:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                context = self._qualname(node.value)
                if context in LIBS:
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            self.aliases[target.id] = context
            elif isinstance(node, ast.ClassDef):
                for base in node.bases:
                    if self._spawner(base):
                        self.spawner_classes[node.name] = node.name
                    elif self._manager_class(base):
                        self.manager_classes.add(node.name)

    def _note_lib(self, module: str) -> None:
        top = module.partition(".")[0]
        if top in LIBS:
            self.result.libs_used.add(top)

    def _note_local(self, module: str) -> None:
        if module.partition(".")[0] in LIBS or module in self.local_modules:
            return
        found = self.local.find(module)
        if found is not None:
            self.local_modules[module] = found

    def _qualname(self, node: ast.AST) -> str | None:
        """The dotted name an expression refers to, following imports and get_context()."""
        if isinstance(node, ast.Name):
            if node.id in self.aliases:
                return self.aliases[node.id]
            if node.id in STAR_NAMES:
                for lib in sorted(self.star_libs):
                    if lib.partition(".")[0] in LIBS or lib == "concurrent.futures":
                        return f"{lib}.{node.id}"
            return None
        if isinstance(node, ast.Attribute):
            base = self._qualname(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call):
            func = self._qualname(node.func)
            if func and _last(func) in CONTEXT and func.partition(".")[0] in LIBS:
                return func.partition(".")[0]
        return None

    def _spawner(self, func: ast.AST) -> str | None:
        """A readable name if calling `func` creates a process, pool, manager or executor."""
        if isinstance(func, ast.Name) and func.id in self.spawner_classes:
            return self.spawner_classes[func.id]
        name = self._qualname(func)
        if name is None:
            return None
        if name in EXECUTORS:
            return "ProcessPoolExecutor" if name.startswith("concurrent.") else name
        parts = name.split(".")
        if parts[0] in LIBS and parts[-1] in SPAWNERS and "dummy" not in parts:
            return f"{parts[0]}.{parts[-1]}"
        return None

    def _manager_class(self, func: ast.AST) -> str | None:
        """A readable name if `func` is a manager class, whose start() starts a server process."""
        if isinstance(func, ast.Name) and func.id in self.manager_classes:
            return func.id
        name = self._qualname(func)
        parts = (name or "").split(".")
        if parts[0] in LIBS and parts[-1] in MANAGERS:
            return f"{parts[0]}.{parts[-1]}"
        return None

    def _parallel(self, node: ast.AST) -> bool:
        """True for `joblib.Parallel(...)` with a process backend (calling it starts workers)."""
        if not isinstance(node, ast.Call) or self._qualname(node.func) not in PARALLEL:
            return False
        for keyword in node.keywords:
            value = keyword.value
            if not isinstance(value, ast.Constant):
                continue
            if keyword.arg in ("backend", "prefer") and value.value in THREAD_BACKENDS:
                return False
            if keyword.arg == "n_jobs" and value.value == 1:
                return False
        return not (node.args and isinstance(node.args[0], ast.Constant)
                    and node.args[0].value == 1)

    def _lib_call(self, func: ast.AST, names: frozenset[str]) -> str | None:
        name = self._qualname(func)
        if name and name.partition(".")[0] in LIBS and _last(name) in names:
            return name
        return None

    def _callee(self, func: ast.AST, ctx: _Ctx) -> str | None:
        """The module's own function or method (or a local module's function) a call runs."""
        if isinstance(func, ast.Name):
            if func.id in self.classes:
                return f"{func.id}.__init__"
            if func.id not in self.aliases:
                return func.id
            name = self.aliases[func.id]
            return name if name.rpartition(".")[0] in self.local_modules else None
        if not isinstance(func, ast.Attribute):
            return None
        owner = func.value
        if isinstance(owner, ast.Name):
            if owner.id in self.classes:
                return f"{owner.id}.{func.attr}"
            if owner.id in self.instances:
                return f"{self.instances[owner.id]}.{func.attr}"
            if owner.id in ("self", "cls") and ctx.cls:
                return f"{ctx.cls}.{func.attr}"
        if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name):
            if owner.func.id in self.classes:
                return f"{owner.func.id}.{func.attr}"
            if owner.func.id == "cls" and ctx.cls:
                return f"{ctx.cls}.{func.attr}"
        name = self._qualname(func)
        if name and name.rpartition(".")[0] in self.local_modules:
            return name
        return None

    # Statements -------------------------------------------------------------------------

    def _stmts(self, body: list[ast.stmt], ctx: _Ctx) -> None:
        for stmt in body:
            self._stmt(stmt, ctx)

    def _stmt(self, stmt: ast.stmt, ctx: _Ctx) -> None:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self._function(stmt, ctx)
        elif isinstance(stmt, ast.ClassDef):
            top_level = ctx.where == "module" and not ctx.definition
            inner = replace(ctx, definition=f"the body of class {stmt.name}",
                            cls=stmt.name if top_level else None)
            for child in ast.iter_child_nodes(stmt):
                self._child(child, inner)
        elif ctx.where != "function" and main_guard_body(stmt) is not None:
            assert isinstance(stmt, ast.If)
            self._guard(stmt, ctx)
        else:
            self._bind_names(stmt, ctx)
            if ctx.where == "module" and not ctx.block:
                ctx = replace(ctx, block=block_name(stmt))
            if ctx.where == "module" and isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self._local_import(stmt)
            for child in ast.iter_child_nodes(stmt):
                self._child(child, ctx)

    def _child(self, node: ast.AST, ctx: _Ctx) -> None:
        if isinstance(node, ast.stmt):
            self._stmt(node, ctx)
        elif isinstance(node, ast.expr):
            self._expr(node, ctx)
        elif isinstance(node, _CLAUSES):
            for child in ast.iter_child_nodes(node):
                self._child(child, ctx)

    def _function(self, stmt: ast.FunctionDef | ast.AsyncFunctionDef, ctx: _Ctx) -> None:
        defining = replace(ctx, definition=f"the definition of {stmt.name}()")
        args = stmt.args
        for expr in [*stmt.decorator_list, *args.defaults, *args.kw_defaults]:
            if expr is not None:
                self._expr(expr, defining)
        nested = list(walk_statements(stmt.body))
        if ctx.where == "function":
            func = ctx.func
        elif ctx.cls:
            func = f"{ctx.cls}.{stmt.name}"
        else:
            func = None if ctx.definition else stmt.name
        inner = _Ctx(
            "function", ctx.top, func, cls=ctx.cls,
            local_defs=ctx.local_defs | {
                n.name for n in nested if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            },
            local_classes=ctx.local_classes | {
                n.name for n in nested if isinstance(n, ast.ClassDef)
            },
        )
        self._stmts(stmt.body, inner)

    def _guard(self, stmt: ast.If, ctx: _Ctx) -> None:
        body = main_guard_body(stmt)
        assert body is not None
        self.guards.append(stmt)
        self._expr(stmt.test, ctx)
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Call):
            self.first_in_guard.add(id(body[0].value))
        other = stmt.orelse if body is stmt.body else stmt.body
        self._stmts(body, _Ctx("guard", ctx.top, guard=stmt))
        self._stmts(other, replace(ctx, block="the else branch of the main guard"))

    def _bind_names(self, stmt: ast.stmt, ctx: _Ctx) -> None:
        """Remember names bound to pools, threads, managers and instances of the module's
        classes, to recognise `pool.map`, `t.start()`, `manager.start()` and `obj.method()`."""
        pairs: list[tuple[ast.AST, ast.AST | None]] = []
        if isinstance(stmt, ast.Assign):
            pairs = [(target, stmt.value) for target in stmt.targets]
        elif isinstance(stmt, (ast.AnnAssign)):
            pairs = [(stmt.target, stmt.value)]
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                self._entered(item.context_expr, ctx)
            pairs = [(item.optional_vars, item.context_expr) for item in stmt.items
                     if item.optional_vars is not None]
        for target, value in pairs:
            if not isinstance(target, ast.Name) or not isinstance(value, ast.Call):
                continue
            manager = self._manager_class(value.func)
            if self._spawner(value.func):
                self.pool_names.add(target.id)
            elif manager:
                self.manager_names[target.id] = manager
            elif self._parallel(value):
                self.parallel_names.add(target.id)
            elif self._qualname(value.func) in THREADS:
                self.thread_names.add(target.id)
            elif isinstance(value.func, ast.Name) and value.func.id in self.classes:
                self.instances[target.id] = value.func.id

    def _entered(self, expr: ast.expr, ctx: _Ctx) -> None:
        """`with SyncManager() as m:` and `with Parallel(n_jobs=2) as run:` start processes."""
        if not isinstance(expr, ast.Call):
            return
        manager = self._manager_class(expr.func)
        if manager:
            self._spawn(expr, ctx, f"entering {manager}() in a with block")
        elif self._parallel(expr):
            self._spawn(expr, ctx, "entering joblib.Parallel() in a with block")

    def _local_import(self, stmt: ast.Import | ast.ImportFrom) -> None:
        """Importing one of the app's own modules runs it: in every child too."""
        if isinstance(stmt, ast.Import):
            modules = [alias.name for alias in stmt.names]
        elif stmt.module and not stmt.level:
            modules = [stmt.module] + [f"{stmt.module}.{alias.name}" for alias in stmt.names]
        else:
            modules = []
        for module in modules:
            file = self.local_modules.get(module)
            analysis = self.local.analyse(file) if file else None
            if file is None or analysis is None or not analysis.import_spawns:
                continue
            label = _relative(file, self.local.root)
            self.spawned = True
            if self._report(stmt, "FK001",
                            f"importing {module} starts processes at import time "
                            f"({analysis.import_spawns[0]}): a spawned or frozen child "
                            f"re-imports the main module, imports {module} and starts them "
                            f"again; move that code in {label} into a function that the main "
                            "guard calls"):
                self.result.import_spawns.append(
                    f"importing {module} on line {stmt.lineno} of {self.path}")
            return

    # Expressions ------------------------------------------------------------------------

    def _expr(self, node: ast.AST, ctx: _Ctx) -> None:
        stack = [node]
        while stack:
            item = stack.pop()
            if isinstance(item, ast.Lambda):
                self._expr(item.body, _Ctx("function", ctx.top, ctx.func, cls=ctx.cls,
                                           local_defs=ctx.local_defs,
                                           local_classes=ctx.local_classes))
                continue
            if isinstance(item, ast.Call):
                self._call(item, ctx)
            # Inlined ast.iter_child_nodes, skipping leaves: this loop is most of check's time.
            for name in item._fields:
                value = getattr(item, name, None)
                if isinstance(value, list):
                    stack.extend(v for v in value if isinstance(v, ast.AST)
                                 and not isinstance(v, _LEAVES))
                elif isinstance(value, ast.AST) and not isinstance(value, _LEAVES):
                    stack.append(value)

    def _call(self, call: ast.Call, ctx: _Ctx) -> None:
        func = call.func
        spawner = self._spawner(func)
        if spawner:
            self._spawn(call, ctx, f"{spawner}()")
            for keyword in call.keywords:
                if keyword.arg == "target":
                    self._check_target(keyword.value, ctx, "target=")
            return
        if self._lib_call(func, FREEZE):
            self._freeze(call, ctx)
            return
        method = self._lib_call(func, START_METHOD)
        if method:
            if ctx.where == "module":
                self._unsafe(call, "FK006", ctx,
                             f"{_last(method)}() outside the main guard runs again in every "
                             f"child that imports this module and fails there; {GUARD_HINT}")
            return
        if self._starts_something(call, ctx):
            return
        if isinstance(func, ast.Attribute) and func.attr in POOL_METHODS and call.args:
            receiver = func.value
            if (isinstance(receiver, ast.Name) and receiver.id in self.pool_names) or (
                isinstance(receiver, ast.Call) and self._spawner(receiver.func)
            ):
                self._check_target(call.args[0], ctx, f".{func.attr}()")
        if self._qualname(func) == "joblib.delayed" and call.args:
            self._check_target(call.args[0], ctx, "delayed()")
        callee = self._callee(func, ctx)
        if callee:
            if ctx.where == "module":
                self.module_calls.append((call, ctx, callee))
            elif ctx.where == "guard" and ctx.guard is not None:
                self.guard_calls.append((ctx.guard, callee))
            elif ctx.func:
                self.graph.setdefault(ctx.func, set()).add(callee)
        if ctx.where == "module":
            effect = self._side_effect(call)
            if effect:
                self.side_effects.append((call, ctx, effect))

    def _starts_something(self, call: ast.Call, ctx: _Ctx) -> bool:
        """`manager.start()` and calling a `joblib.Parallel` start processes."""
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "start":
            owner = func.value
            manager = None
            if isinstance(owner, ast.Name):
                manager = self.manager_names.get(owner.id)
            elif isinstance(owner, ast.Call):
                manager = self._manager_class(owner.func)
            if manager:
                self._spawn(call, ctx, f"{manager}().start()")
                return True
        if self._parallel(func) or (isinstance(func, ast.Name)
                                    and func.id in self.parallel_names):
            self._spawn(call, ctx, "joblib.Parallel()(...)")
            return True
        return False

    def _spawn(self, call: ast.Call, ctx: _Ctx, what: str) -> None:
        worker_pool = what.startswith(("joblib.", "loky."))
        self.spawned = True
        if ctx.where == "module":
            place = f" in {ctx.block}" if ctx.block else ""
            self._unsafe(call, "FK001", ctx,
                         f"{what} runs at import time{place}: a spawned or frozen child "
                         f"re-imports the main module and starts it again; {GUARD_HINT}")
            self.result.import_spawns.append(f"{what} on line {call.lineno} of {self.path}")
        elif worker_pool:
            # joblib's and loky's workers are not multiprocessing children: freeze_support()
            # (FK003) does nothing for them, and freezekit's entry recognises their launches.
            return
        elif ctx.where == "guard" and ctx.guard is not None:
            self.guards_spawning.add(id(ctx.guard))
        elif ctx.func and ctx.func not in self.fn_spawns:
            self.fn_spawns[ctx.func] = Witness(what, call.lineno)

    def _freeze(self, call: ast.Call, ctx: _Ctx) -> None:
        ok = ctx.where == "guard" and id(call) in self.first_in_guard
        if ctx.where == "function":
            where = f"inside {ctx.func}()" if ctx.func else "inside a function"
        elif ctx.where == "module":
            where = "at module level"
        else:
            where = "after other statements in the main guard"
        if not ok:
            ok = not self._report(call, "FK002", f"freeze_support() {where} does not protect "
                                  "the frozen program; call it as the first statement of the "
                                  "main guard")
        self.result.freeze_calls.append(FreezeCall(call, ok, where))

    def _check_target(self, target: ast.expr, ctx: _Ctx, how: str) -> None:
        what = None
        if isinstance(target, ast.Lambda):
            what = "a lambda"
        elif isinstance(target, ast.Name) and target.id in ctx.local_defs:
            what = f"the nested function {target.id}()"
        elif isinstance(target, ast.Name) and target.id in self.functions:
            self.child_targets.add(target.id)
        elif isinstance(target, ast.Attribute):
            owner = target.value
            if isinstance(owner, ast.Call):
                owner = owner.func
            if isinstance(owner, ast.Name) and owner.id in ctx.local_classes:
                what = f"a method of the local class {owner.id}"
        if what:
            self._report(target, "FK004", f"{what} passed as {how} cannot be pickled to a "
                         "spawned child; define the function at module level and pass it by name")

    def _side_effect(self, call: ast.Call) -> str | None:
        func = call.func
        name = self._qualname(func)
        if isinstance(func, ast.Attribute) and func.attr == "start":
            receiver = func.value
            if (isinstance(receiver, ast.Name) and receiver.id in self.thread_names) or (
                isinstance(receiver, ast.Call) and self._qualname(receiver.func) in THREADS
            ):
                return "starting a thread"
        if isinstance(func, ast.Attribute) and func.attr in ("write_text", "write_bytes"):
            return f"writing a file with .{func.attr}()"
        if isinstance(func, ast.Attribute) and func.attr == "serve_forever":
            return "running a server"
        if isinstance(func, ast.Name) and func.id not in self.aliases:
            if func.id == "input":
                return "input()"
            if func.id in ("exit", "quit"):
                return f"{func.id}()"
            if func.id == "open" and _writes(call):
                return "opening a file for writing"
        if name is None:
            return None
        parts = name.split(".")
        if name in EXITS:
            return f"{name}()"
        if name == "_thread.start_new_thread":
            return "starting a thread"
        if name == "socket.create_server" or (
            parts[0] in SERVER_LIBS and parts[-1].endswith("Server")
        ):
            return f"opening a server with {parts[-1]}()"
        if name in GUI or (parts[0] in QT and parts[-1] == "QApplication"):
            return f"opening a GUI with {name}()"
        return None

    def _resolve_calls(self) -> None:
        """Propagate "starts processes" through calls between the module's own functions and
        methods, and into the functions of the app's own modules that it imports."""
        spawning = dict(self.fn_spawns)
        callees = {name for names in self.graph.values() for name in names}
        callees.update(name for _, _, name in self.module_calls)
        callees.update(name for _, name in self.guard_calls)
        for name in callees:
            module, _, function = name.rpartition(".")
            file = self.local_modules.get(module)
            analysis = self.local.analyse(file) if file else None
            if analysis is not None and function in analysis.spawning:
                spawning[name] = analysis.spawning[function]
        changed = True
        while changed:
            changed = False
            for caller, called in self.graph.items():
                witness = next((spawning[c] for c in sorted(called) if c in spawning), None)
                if caller not in spawning and witness:
                    spawning[caller] = witness
                    changed = True
        self.result.spawning = {
            name: witness if witness.file else replace(witness, file=self.path)
            for name, witness in spawning.items()}
        for call, ctx, name in self.module_calls:
            if name in spawning:
                self.spawned = True
                witness = spawning[name]
                place = f" in {ctx.block}" if ctx.block else ""
                shown = name.removesuffix(".__init__")
                self._unsafe(call, "FK001", ctx,
                             f"{shown}() runs at import time{place} and starts processes "
                             f"({witness.describe()}): a spawned or frozen child re-imports "
                             f"the main module and starts them again; {GUARD_HINT}")
                self.result.import_spawns.append(
                    f"{shown}() on line {call.lineno} of {self.path}")
        for guard, name in self.guard_calls:
            if name in spawning:
                self.guards_spawning.add(id(guard))
        for guard in self.guards:
            body = main_guard_body(guard)
            first = body[0] if body else None
            if id(guard) in self.guards_spawning and not (
                isinstance(first, ast.Expr) and isinstance(first.value, ast.Call)
                and self._lib_call(first.value.func, FREEZE)
            ) and self._report(guard, "FK003", "the main guard starts processes but does not "
                               "call freeze_support() first: harmless under freezekit's "
                               "bootstrap, fatal under plain PyInstaller on Windows; add it as "
                               "the guard's first statement"):
                self.result.guards_missing_freeze.append(guard)

    def _guard_only_globals(self) -> None:
        """FK007: a function that children run reads a name only the main guard binds."""
        run = reachable(set(self.child_targets) | {f"{cls}.run" for cls in self.spawner_classes},
                        self.graph)
        for read in guard_only_reads(self.tree, self.guards, self.functions, run,
                                     self.has_global):
            name = read.node.id
            self._report(read.node, "FK007", f"{read.function}() runs in child processes and "
                         f"reads {name}, which only the main guard defines (line "
                         f"{read.bound_on}): a spawned or frozen child imports the module "
                         "without running the guard and fails with NameError; define "
                         f"{name} at module level or pass it as an argument")

    def _unsafe(self, node: ast.AST, code: str, ctx: _Ctx, message: str) -> None:
        """Report something that runs at import time and note what `fix` must move."""
        if not self._report(node, code, message):
            return
        if not ctx.definition:
            self.result.unsafe_tops.add(ctx.top)
        elif RULES[code].severity == ERROR:
            self.result.blockers.append((node.lineno, (
                f"{ctx.definition} runs this at import time and must stay at module level; "
                "move the call into a function that the main guard calls")))

    def _report(self, node: ast.AST, code: str, message: str) -> bool:
        """Record a finding unless a `# noqa` comment on its line silences it."""
        return self.collector.report(node, code, message)


def _writes(call: ast.Call) -> bool:
    mode = call.args[1] if len(call.args) > 1 else next(
        (k.value for k in call.keywords if k.arg == "mode"), None)
    return (isinstance(mode, ast.Constant) and isinstance(mode.value, str)
            and any(flag in mode.value for flag in "wax+"))

