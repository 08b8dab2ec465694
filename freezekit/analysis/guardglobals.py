"""FK007's data flow: the functions that run in child processes, and the names they read that
only the main guard binds. A spawned or frozen child imports the module without running the
guard, so such a name does not exist there and the child fails with NameError."""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from freezekit.analysis.syntax import bound_names, function_locals, main_guard_body

__all__ = ["GuardOnlyRead", "guard_only_reads", "reachable"]


@dataclass(frozen=True)
class GuardOnlyRead:
    """``function`` (a name or ``Class.method``) reads ``node.id``, which only the main guard
    binds, on the guard's line ``bound_on``."""

    function: str
    node: ast.Name
    bound_on: int


def reachable(roots: Iterable[str], calls: Mapping[str, Iterable[str]]) -> set[str]:
    """``roots`` and every function they call, directly or not (``calls``: caller -> callees)."""
    found = set(roots)
    stack = list(found)
    while stack:
        for callee in calls.get(stack.pop(), ()):
            if callee not in found:
                found.add(callee)
                stack.append(callee)
    return found


def guard_only_reads(tree: ast.Module, guards: list[ast.If],
                     functions: Mapping[str, ast.FunctionDef | ast.AsyncFunctionDef],
                     run: set[str], has_global: bool = True) -> list[GuardOnlyRead]:
    """The first read of each guard-only name in each function of ``run`` (in name order).

    ``guards`` are the module's main guards, ``functions`` its functions and methods by name;
    ``has_global`` False skips looking for ``global`` statements (the text has none).
    """
    guard_bound: dict[str, int] = {}
    for guard in guards:
        for name, line in bound_names(main_guard_body(guard) or []).items():
            guard_bound.setdefault(name, line)
    if not run.intersection(functions) or not guard_bound:
        return []
    module_bound: set[str] = set()
    for stmt in tree.body:
        body = main_guard_body(stmt)
        if body is None:
            module_bound.update(bound_names([stmt]))
        else:
            assert isinstance(stmt, ast.If)
            module_bound.update(bound_names(stmt.orelse if body is stmt.body else stmt.body))
    if has_global:
        for function in functions.values():
            for node in ast.walk(function):
                if isinstance(node, ast.Global):
                    module_bound.update(node.names)
    only_guard = {name: line for name, line in guard_bound.items()
                  if name not in module_bound and not hasattr(builtins, name)}
    reads: list[GuardOnlyRead] = []
    if not only_guard:
        return reads
    for name in sorted(run):
        function = functions.get(name)
        if function is None:
            continue
        local, declared = function_locals(function)
        seen: set[str] = set()
        for node in ast.walk(function):
            if (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
                    and node.id in only_guard and node.id not in seen
                    and (node.id not in local or node.id in declared)):
                seen.add(node.id)
                reads.append(GuardOnlyRead(name, node, only_guard[node.id]))
    return reads
