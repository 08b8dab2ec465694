"""What shapes of the AST mean to the checks: main guards, every statement of a block, the
names a block or a function binds, module-level blocks by name."""

from __future__ import annotations

import ast
from collections.abc import Iterator

__all__ = ["block_name", "bound_names", "function_locals", "main_guard_body",
           "walk_statements"]


def _is_main_guard(node: ast.stmt) -> bool | None:
    """True for `if __name__ == "__main__"`, False for `!=` (the else branch is main), else None."""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return None
    test = node.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], (ast.Eq, ast.NotEq)):
        return None
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    mains = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    if len(names) != 1 or len(mains) != 1:
        return None
    return isinstance(test.ops[0], ast.Eq)


def main_guard_body(node: ast.stmt) -> list[ast.stmt] | None:
    """The statements a main guard runs only in the main process, or None if not a guard."""
    kind = _is_main_guard(node)
    if kind is None:
        return None
    assert isinstance(node, ast.If)
    return node.body if kind else node.orelse


def bound_names(body: list[ast.stmt]) -> dict[str, int]:
    """Names these statements bind in their own scope (not inside functions or classes)."""
    found: dict[str, int] = {}
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.setdefault(node.name, node.lineno)
            stack.extend(node.decorator_list)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name != "*":
                    name = alias.asname or alias.name.partition(".")[0]
                    found.setdefault(name, node.lineno)
            continue
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                             ast.GeneratorExp)):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.setdefault(node.id, node.lineno)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            found.setdefault(node.name, node.lineno)
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return found


def function_locals(function: ast.AST) -> tuple[set[str], set[str]]:
    """(names local to the function and its nested scopes, names it declares global)."""
    local: set[str] = set()
    declared: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.arg):
            local.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            local.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node is not function:
                local.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            local.update((a.asname or a.name.partition(".")[0]) for a in node.names)
        elif isinstance(node, ast.Global):
            declared.update(node.names)
    return local, declared


def walk_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement in a block, nested ones included; expressions are not visited (fast)."""
    stack = list(reversed(body))
    while stack:
        stmt = stack.pop()
        yield stmt
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in reversed(getattr(stmt, name, ())):
                if isinstance(child, ast.stmt):
                    stack.append(child)
                else:
                    stack.extend(reversed(child.body))


def block_name(stmt: ast.stmt) -> str:
    """How a message names the module-level block ``stmt`` (empty if it is none of these)."""
    names = {ast.For: "a module-level for loop", ast.AsyncFor: "a module-level for loop",
             ast.While: "a module-level while loop", ast.With: "a module-level with block",
             ast.AsyncWith: "a module-level with block", ast.Try: "a module-level try block",
             ast.If: "a module-level if block"}
    return next((text for kind, text in names.items() if isinstance(stmt, kind)), "")
