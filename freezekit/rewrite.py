"""`freezekit fix`: repair a main module with minimal text edits guided by its AST.

The fix moves what runs at import time and starts processes (from the first such statement
onwards) under a single `if __name__ == "__main__":` guard, leaves imports, definitions and
constants where they are so that children still find them, and makes `freeze_support()` the
guard's first statement. Every other byte stays as it was, and a second run changes nothing.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import difflib
import os
import stat
import tempfile
import tokenize
from collections import Counter
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from freezekit.analysis import (
    ERROR,
    Analysis,
    Finding,
    SourceError,
    analyse_module,
    load_source,
    main_guard_body,
    parse_source,
)
from freezekit.analysis.lines import indent_line, indentation, split_lines

_LIB_FREEZE = {"processing": "freezeSupport", "multiprocessing": "freeze_support",
               "multiprocess": "freeze_support"}
#: Errors fix reports and leaves: it cannot name a lambda, edit another module, or choose
#: where a guard-only global should live.
_NO_AUTOFIX = frozenset({"FK001", "FK004", "FK007"})


class FixRefused(Exception):
    """The module cannot be fixed safely; the message says why and what to do by hand."""


@dataclass(frozen=True)
class FixResult:
    """What `fix` did (or, with diff=True, would do) to one file, and what it left."""

    path: str
    changed: bool
    text: str
    diff: str
    summary: str
    #: Errors that remain after the fix because no automatic fix exists (an FK004 lambda).
    unfixed: tuple[Finding, ...] = ()
    #: What the user should know about the write, e.g. that hard links kept the old text.
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Repair:
    """Fixed module text, what was done, and the errors fix could not repair."""

    text: str
    actions: list[str]
    unfixed: list[Finding]


def fix(path: str | Path, diff: bool = False) -> FixResult:
    """Fix one main module in place, atomically; with diff=True only compute the diff.

    Raises SourceError for unreadable input or a file fix may not replace (read-only, in a
    read-only folder, owned by a user it cannot give the new file to) and FixRefused when a
    safe fix is not possible; in every case the file is left untouched. Errors with no
    automatic fix do not stop the others from being repaired: they come back in
    ``unfixed``. The new file keeps the old one's owner, group, mode and extended
    attributes; it is a new file, so other hard links to the old one keep the old text
    (``notes`` says so).
    """
    source = load_source(path)
    repair = repair_source(source.text, source.path, Path(source.path).resolve().parent)
    result = fix_result(source.path, source.text, repair)
    if result.changed and not diff:
        notes = _write_atomically(Path(path), repair.text.encode(source.encoding))
        result = dataclasses.replace(result, notes=tuple(notes))
    return result


def fix_result(path: str, original: str, repair: Repair) -> FixResult:
    """The FixResult for a repair of `original`, with its unified diff."""
    patch = "".join(difflib.unified_diff(
        split_lines(original), split_lines(repair.text),
        fromfile=path, tofile=path,
    ))
    return FixResult(path, repair.text != original, repair.text, patch,
                     "; ".join(repair.actions), tuple(repair.unfixed))


def fix_source(text: str, path: str = "<string>") -> tuple[str, list[str]]:
    """Return the fixed module text and a list of what was done, or raise FixRefused."""
    repair = repair_source(text, path)
    return repair.text, repair.actions


def repair_source(text: str, path: str = "<string>", search_dir: Path | None = None) -> Repair:
    """Repair what can be repaired; raise FixRefused when no safe rewrite exists."""
    tree = parse_source(text, path)
    analysis = analyse_module(tree, text, path, search_dir)
    if analysis.blockers:
        raise FixRefused("; ".join(f"line {line}: {why}" for line, why in analysis.blockers))
    if not analysis.unsafe_tops and not any(
        f.code in ("FK002", "FK003") for f in analysis.findings
    ):
        return Repair(text, [], _errors(analysis.findings))
    fixer = _Fixer(tree, text, analysis)
    fixed, actions = fixer.run()
    left = _verify(fixed, path, search_dir, analysis.findings, fixer.intended())
    return Repair(fixed, actions, left)


def _errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == ERROR]


def _verify(text: str, path: str, search_dir: Path | None, before: list[Finding],
            intended: ast.Module) -> list[Finding]:
    """The errors left after fixing. Refuse rather than write a result that does not parse,
    is not the module the edits meant to make (the text edits and the AST disagree about
    where a line is), or has an error the original did not (moving a global under the guard
    can cause FK007)."""
    try:
        tree = parse_source(text, path)
    except SourceError as exc:
        raise FixRefused(f"the rewritten module would not parse ({exc})") from None
    if ast.dump(tree) != ast.dump(intended):
        wrong = _first_difference(tree, intended)
        raise FixRefused(f"the rewritten module would not be the one intended (near line "
                         f"{wrong}); nothing written, please report this with the file")
    left = _errors(analyse_module(tree, text, path, search_dir).findings)
    had = Counter(f.code for f in _errors(before))
    now = Counter(f.code for f in left)
    for f in left:
        if now[f.code] > had[f.code]:
            raise FixRefused(f"after fixing, line {f.line} would have {f.code} ({f.message}); "
                             "fix it by hand")
    for f in left:
        if f.code not in _NO_AUTOFIX:
            raise FixRefused(f"after fixing, line {f.line} would still have {f.code}; "
                             "fix it by hand")
    return left


def _first_difference(written: ast.Module, intended: ast.Module) -> int:
    """The line, in what would be written, of the first statement that differs."""
    pairs = list(zip(_walk_statements(written), _walk_statements(intended)))
    for got, want in pairs:
        if ast.dump(got) != ast.dump(want):
            return got.lineno
    return pairs[-1][0].lineno if pairs else 1


def _walk_statements(tree: ast.AST) -> list[ast.stmt]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.stmt)]


def _write_atomically(path: Path, data: bytes) -> list[str]:
    """Replace the file's content in one step, keeping its owner, group, mode and extended
    attributes; follows symlinks. SourceError, with nothing written and no temporary file
    left, when that cannot be done; the notes the user should know about otherwise."""
    target = Path(os.path.realpath(path))
    info = target.stat()
    mode = stat.S_IMODE(info.st_mode)
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(target, os.W_OK):
        raise SourceError(
            f"{path}: is read-only (mode {mode:04o}); nothing written. Make it writable "
            f"(chmod u+w {path}) if fix may change it, or preview with `freezekit fix --diff`")
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                   suffix=".fk-tmp")
    except OSError as exc:
        raise SourceError(
            f"{path}: cannot create a file in its folder {target.parent} ({exc.strerror}), "
            "which fix needs to replace the file in one step; nothing written. Make the folder "
            "writable, or preview with `freezekit fix --diff`") from None
    try:
        with os.fdopen(fd, "wb") as out:
            _copy_owner(out.fileno(), info, path)
            os.chmod(tmp, mode)  # after the owner: chown may clear set-id bits
            _copy_xattrs(target, out.fileno())
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise SourceError(f"{path}: cannot write it ({exc.strerror}); nothing "
                              "written") from None
        raise
    if info.st_nlink > 1:
        return [(f"{path} had {info.st_nlink} hard links: fix wrote a new file, so the other "
                 "names still hold the old text")]
    return []


def _copy_owner(fd: int, info: os.stat_result, path: str | Path) -> None:
    """Give the new file the old one's owner and group, or refuse (SourceError)."""
    if not hasattr(os, "fchown") or (info.st_uid, info.st_gid) == (os.geteuid(), os.getegid()):
        return
    try:
        os.fchown(fd, info.st_uid, info.st_gid)
    except PermissionError:
        raise SourceError(
            f"{path}: belongs to user {info.st_uid}, group {info.st_gid}, which fix cannot "
            "give the rewritten file; nothing written. Run fix as the file's owner, or "
            "preview with `freezekit fix --diff`") from None


def _copy_xattrs(source: Path, fd: int) -> None:
    """Extended attributes (ACLs, security labels) as far as we may set them (Linux)."""
    if not hasattr(os, "listxattr"):
        return
    try:
        names = os.listxattr(source)
    except OSError:
        return
    for name in names:
        with contextlib.suppress(OSError):
            os.setxattr(fd, name, os.getxattr(source, name))


class _Fixer:
    """Plans line-level edits: deleted lines, replaced lines and lines inserted before a line."""

    def __init__(self, tree: ast.Module, text: str, analysis: Analysis) -> None:
        self.tree = tree
        self.body = tree.body
        self.text = text
        self.lines = split_lines(text)
        self.analysis = analysis
        self.newline = _newline(self.lines)
        self.unit = _indent_unit(tree, self.lines)
        self.deleted: set[int] = set()
        self.removed: set[int] = set()
        self.freeze_added = False
        self.replaced: dict[int, list[str]] = {}
        self.inserted: dict[int, list[str]] = {}
        self.actions: list[str] = []
        self.freeze_text, self.freeze_import = _freeze_spelling(tree, analysis)
        self._string_rows: set[int] | None = None
        # The same edits on the AST, replayed on a copy by intended(): what the text must
        # parse to. Each takes a function mapping a node of ``tree`` to its copy.
        self.edits: list[Callable[[Callable[[ast.AST], Any]], None]] = []

    def intended(self) -> ast.Module:
        """The module the planned edits mean to produce, built on the AST alone."""
        memo: dict[int, Any] = {}
        copy = deepcopy(self.tree, memo)

        def copied(node: ast.AST) -> Any:
            return memo[id(node)]

        for edit in self.edits:
            edit(copied)
        return copy

    def _freeze_statement(self) -> ast.stmt:
        return ast.parse(self.freeze_text).body[0]

    def run(self) -> tuple[str, list[str]]:
        removed = self._remove_misplaced_freeze()
        moved = self._moved_statements(removed)
        guards = [i for i, s in enumerate(self.body) if main_guard_body(s) is not None]
        if moved:
            if len(guards) > 1:
                raise FixRefused("the module has several main guards; merge them into one "
                                 "and run fix again")
            if guards and not _is_eq_guard(self.body[guards[0]]):
                raise FixRefused(f"line {self.body[guards[0]].lineno}: the main guard is "
                                 "written with !=; rewrite it as `if __name__ == \"__main__\":`")
            if guards:
                self._move_into_guard(moved, guards[0])
            else:
                self._wrap(moved, removed)
                self.edits.append(self._wrap_edit(moved))
            lines = sorted({self.body[i].lineno for i in moved})
            self.actions.append(
                f"moved {len(moved)} statement{'s' if len(moved) != 1 else ''} under the main "
                f"guard (line{'s' if len(lines) != 1 else ''} {', '.join(map(str, lines))})")
        missing = {id(g) for g in self.analysis.guards_missing_freeze}
        for guard in _all_guards(self.tree):
            body = main_guard_body(guard)
            target = moved and guards and guard is self.body[guards[0]]
            if body and not target and (id(guard) in missing or self._lost_freeze(guard)):
                self._add_freeze(guard)
        if self.freeze_import and self.freeze_added:
            self._add_import()
        return self._render(), self.actions

    # Planning -----------------------------------------------------------------------------

    def _remove_misplaced_freeze(self) -> set[int]:
        """Delete misplaced freeze_support() statements; return the top-level ones removed."""
        bad = {id(c.call): c for c in self.analysis.freeze_calls if not c.ok}
        removed_tops: set[int] = set()
        for parent, body in _statement_lists(self.tree):
            for stmt in body:
                if not (isinstance(stmt, ast.Expr) and id(stmt.value) in bad):
                    continue
                self._require_own_lines(stmt, body)
                rows = range(stmt.lineno - 1, stmt.end_lineno or stmt.lineno)
                alone = len(body) == 1 and parent is not self.tree
                if alone:
                    indent = indentation(self.lines[stmt.lineno - 1])
                    self.replaced[rows[0]] = [f"{indent}pass{self._eol(rows[-1])}"]
                    self.removed.update(rows[1:])
                else:
                    self.removed.update(rows)
                self.edits.append(_remove_edit(parent, body, stmt, alone))
                if parent is self.tree:
                    removed_tops.add(self.body.index(stmt))
                self.actions.append(f"removed the misplaced freeze_support() on line "
                                    f"{stmt.lineno}")
        return removed_tops

    def _lost_freeze(self, guard: ast.If) -> bool:
        """A guard gets freeze_support() when the fix removed a misplaced one elsewhere."""
        body = main_guard_body(guard) or []
        has_first = bool(body) and any(
            c.ok and body[0].lineno == c.call.lineno for c in self.analysis.freeze_calls)
        return not has_first and any(not c.ok for c in self.analysis.freeze_calls)

    def _moved_statements(self, removed: set[int]) -> list[int]:
        """Indexes of top-level statements that must run only in the main process."""
        unsafe = set(self.analysis.unsafe_tops)
        for index in sorted(unsafe):
            if main_guard_body(self.body[index]) is not None:
                raise FixRefused(f"line {self.body[index].lineno}: the else branch of the main "
                                 "guard runs in every child; move what it starts into the guard")
        if not unsafe:
            return []
        moved: list[int] = []
        bound: set[str] = set()
        for index in range(min(unsafe), len(self.body)):
            stmt = self.body[index]
            if index in removed or main_guard_body(stmt) is not None:
                continue
            loads = _definition_loads(stmt)
            if index in unsafe or not _stays(stmt) or (
                isinstance(stmt, (ast.Assign, ast.AnnAssign)) and loads & bound
            ):
                self._require_movable(stmt, index)
                moved.append(index)
                bound |= _bound_names(stmt)
            elif loads & bound:
                name = min(loads & bound)
                raise FixRefused(
                    f"line {stmt.lineno}: this definition uses {name}, which is set by a statement "
                    "that must move under the main guard; compute it in a function instead")
        return moved

    def _require_movable(self, stmt: ast.stmt, index: int) -> None:
        for node in ast.walk(stmt):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                raise FixRefused(
                    f"line {node.lineno}: {node.name} is defined inside a block that must move "
                    "under the main guard, where children could not find it; move the "
                    "definition out of the block")
        self._require_own_lines(stmt, self.body, index)

    def _require_own_lines(self, stmt: ast.stmt, body: list[ast.stmt],
                           index: int | None = None) -> None:
        position = body.index(stmt) if index is None else index
        before = body[position - 1] if position else None
        after = body[position + 1] if position + 1 < len(body) else None
        shares = (before is not None and before.end_lineno == stmt.lineno) or (
            after is not None and after.lineno == stmt.end_lineno)
        if shares:
            raise FixRefused(f"line {stmt.lineno}: several statements share this line; put "
                             "each on its own line and run fix again")

    def _wrap(self, moved: list[int], removed: set[int]) -> None:
        """No guard yet: indent the tail in place, or move the pieces to a guard at the end."""
        header = [f'if __name__ == "__main__":{self.newline}',
                  f"{self.unit}{self.freeze_text}{self.newline}"]
        self.freeze_added = True
        if set(range(moved[0], len(self.body))) <= set(moved) | removed:
            start = self.body[moved[0]].lineno - 1
            rows = list(range(start, self.body[-1].end_lineno or 0))
            text = self._indented(rows, self.unit)
            self.deleted.update(rows)
            self.inserted.setdefault(start, []).extend(header + text)
            return
        chunk = header
        for index in moved:
            chunk += self._indented(self._take(index), self.unit)
        end = len(self.lines)
        if self.lines and not self.lines[-1].endswith(("\n", "\r")):
            self.replaced[end - 1] = [self.lines[-1] + self.newline]
        trailing = 0
        for row in reversed(range(end)):
            if row in self.deleted or row in self.removed:
                continue
            if self.lines[row].strip():
                break
            trailing += 1
        chunk = [self.newline] * max(0, 2 - trailing) + chunk
        self.inserted.setdefault(end, []).extend(chunk)

    def _move_into_guard(self, moved: list[int], guard_index: int) -> None:
        guard = self.body[guard_index]
        assert isinstance(guard, ast.If)
        body = guard.body
        before = [i for i in moved if i < guard_index]
        after = [i for i in moved if i > guard_index]
        freeze_first = any(c.ok and c.call.lineno == body[0].lineno
                           for c in self.analysis.freeze_calls)
        one_line = body[0].lineno == guard.lineno
        indent = self.unit if one_line else indentation(self.lines[body[0].lineno - 1])
        head: list[str] = []
        self.edits.append(self._move_edit(moved, guard, freeze_first))
        if not freeze_first:
            head.append(f"{indent}{self.freeze_text}{self.newline}")
            self.freeze_added = True
            self.actions.append(f"added {self.freeze_text} to the main guard on line "
                                f"{guard.lineno}")
        for index in before:
            head += self._indented(self._take(index), indent)
        if one_line:
            self._split_one_line_guard(guard)
            self.replaced[guard.lineno - 1][1:1] = head
        else:
            at = (body[0].end_lineno or 0) if freeze_first else body[0].lineno - 1
            self.inserted.setdefault(at, []).extend(head)
        tail: list[str] = []
        for index in after:
            tail += self._indented(self._take(index), indent)
        self.inserted.setdefault(body[-1].end_lineno or 0, []).extend(tail)

    def _split_one_line_guard(self, guard: ast.If) -> None:
        """Turn `if __name__ == "__main__": main()` into a block so statements can be added."""
        if guard.end_lineno != guard.lineno:
            raise FixRefused(f"line {guard.lineno}: write the main guard's body on its own "
                             "lines and run fix again")
        line = self.lines[guard.lineno - 1]
        col = len(line.encode("utf-8")[: guard.body[0].col_offset].decode("utf-8"))
        head = line[:col].rstrip()
        rest = line[col:]
        self.replaced[guard.lineno - 1] = [f"{head}{self.newline}", f"{self.unit}{rest}"]

    def _add_freeze(self, guard: ast.If) -> None:
        body = main_guard_body(guard)
        assert body
        if body[0].lineno == guard.lineno:
            self._split_one_line_guard(guard)
            self.replaced[guard.lineno - 1].insert(1, f"{self.unit}{self.freeze_text}"
                                                      f"{self.newline}")
        else:
            indent = indentation(self.lines[body[0].lineno - 1])
            self.inserted.setdefault(body[0].lineno - 1, []).insert(
                0, f"{indent}{self.freeze_text}{self.newline}")
        self.freeze_added = True
        self.actions.append(f"added {self.freeze_text} to the main guard on line {guard.lineno}")
        self.edits.append(lambda copied: copied(guard).body.insert(0, self._freeze_statement()))

    def _add_import(self) -> None:
        imports = [s for s in self.body if isinstance(s, (ast.Import, ast.ImportFrom))]
        if imports:
            at = imports[-1].end_lineno or 0
        elif self.body and _is_docstring(self.body[0]):
            at = self.body[0].end_lineno or 0
        else:
            at = self.body[0].lineno - 1 if self.body else 0
        self.inserted.setdefault(at, []).insert(0, f"{self.freeze_import}{self.newline}")
        self.actions.append(f"added `{self.freeze_import}`")
        after = imports[-1] if imports else (
            self.body[0] if self.body and _is_docstring(self.body[0]) else None)
        statement = ast.parse(self.freeze_import).body[0]

        def add_import(copied: Callable[[ast.AST], Any]) -> None:
            body = copied(self.tree).body
            body.insert(_index(body, copied(after)) + 1 if after is not None else 0, statement)

        self.edits.append(add_import)

    # The same edits on the AST ---------------------------------------------------------

    def _wrap_edit(self, moved: list[int]) -> Callable[[Callable[[ast.AST], Any]], None]:
        statements = [self.body[i] for i in moved]

        def wrap(copied: Callable[[ast.AST], Any]) -> None:
            body = copied(self.tree).body
            taken = [copied(s) for s in statements]
            body[:] = [s for s in body if all(s is not t for t in taken)]
            guard = ast.parse('if __name__ == "__main__":\n    pass').body[0]
            assert isinstance(guard, ast.If)
            guard.body = [self._freeze_statement(), *taken]
            body.append(guard)

        return wrap

    def _move_edit(self, moved: list[int], guard: ast.If,
                   freeze_first: bool) -> Callable[[Callable[[ast.AST], Any]], None]:
        index = self.body.index(guard)
        before = [self.body[i] for i in moved if i < index]
        after = [self.body[i] for i in moved if i > index]
        first = guard.body[0]

        def move(copied: Callable[[ast.AST], Any]) -> None:
            body = copied(self.tree).body
            taken = [copied(s) for s in before + after]
            body[:] = [s for s in body if all(s is not t for t in taken)]
            target = copied(guard).body
            at = _index(target, copied(first))
            head = [copied(s) for s in before]
            if freeze_first:
                target[at + 1:at + 1] = head
            else:
                target[at:at] = [self._freeze_statement(), *head]
            target.extend(copied(s) for s in after)

        return move

    # Text ---------------------------------------------------------------------------------

    def _take(self, index: int) -> list[int]:
        """Delete a moved statement (with the comments just above it); return its rows."""
        stmt = self.body[index]
        start = stmt.lineno - 1
        floor = (self.body[index - 1].end_lineno or 0) if index else 0
        while start > floor and self.lines[start - 1].lstrip().startswith("#"):
            start -= 1
        rows = list(range(start, stmt.end_lineno or stmt.lineno))
        end = rows[-1] + 1
        before = start - 1
        while before >= 0 and (before in self.deleted or before in self.removed):
            before -= 1
        if before >= 0 and not self.lines[before].strip():
            while end < len(self.lines) and not self.lines[end].strip():
                self.deleted.add(end)
                end += 1
            if end >= len(self.lines):
                while before >= 0 and not self.lines[before].strip():
                    self.deleted.add(before)
                    before -= 1
        return rows

    def _indented(self, rows: list[int], indent: str) -> list[str]:
        """Take rows out of their place and return them indented (or as they are, when blank or
        inside a multi-line string); removed freeze_support() rows are dropped."""
        strings = self._strings()
        out: list[str] = []
        for row in rows:
            self.deleted.add(row)
            if row in self.removed:
                continue
            for line in self.replaced.pop(row, [self.lines[row]]):
                keep = not line.strip() or (row + 1 in strings and line is self.lines[row])
                out.append(line if keep else indent_line(line, indent))
        return out

    def _strings(self) -> set[int]:
        """Rows (1-based) that start inside a multi-line string: re-indenting would alter it."""
        if self._string_rows is None:
            rows: set[int] = set()
            # Every line ending as "\n": the pure-Python tokenizer reads by readline() and
            # sees only "\n"; the rows stay those of the AST.
            lines = iter([line.rstrip("\r\n") + "\n" for line in self.lines])
            for token in tokenize.generate_tokens(lambda: next(lines, "")):
                if token.type == tokenize.STRING and token.end[0] > token.start[0]:
                    rows.update(range(token.start[0] + 1, token.end[0] + 1))
            self._string_rows = rows
        return self._string_rows

    def _eol(self, row: int) -> str:
        line = self.lines[row]
        return line[len(line.rstrip("\r\n")):] or self.newline

    def _render(self) -> str:
        out: list[str] = []
        for row, line in enumerate(self.lines):
            out += self.inserted.get(row, [])
            if row in self.replaced:
                out += self.replaced[row]
            elif row not in self.deleted and row not in self.removed:
                out.append(line)
        out += self.inserted.get(len(self.lines), [])
        return "".join(out)


def _remove_edit(parent: ast.AST, body: list[ast.stmt], stmt: ast.stmt,
                 alone: bool) -> Callable[[Callable[[ast.AST], Any]], None]:
    field = next(name for name in ("body", "orelse", "finalbody")
                 if getattr(parent, name, None) is body)

    def remove(copied: Callable[[ast.AST], Any]) -> None:
        statements = getattr(copied(parent), field)
        at = _index(statements, copied(stmt))
        statements[at:at + 1] = [ast.Pass()] if alone else []

    return remove


def _index(statements: list[ast.stmt], node: ast.stmt) -> int:
    """Where ``node`` is in ``statements``, by identity (AST nodes compare by identity too,
    but say so)."""
    return next(i for i, s in enumerate(statements) if s is node)


def _freeze_spelling(tree: ast.Module, analysis: Analysis) -> tuple[str, str | None]:
    """The freeze_support() call matching the module's imports, and an import if one is needed."""
    lib = next((name for name in ("processing", "multiprocess") if name in analysis.libs_used),
               "multiprocessing")
    name = _LIB_FREEZE[lib]
    module_alias = None
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == lib and not stmt.level:
            for alias in stmt.names:
                if alias.name == "*":
                    return f"{name}()", None
                if alias.name == name:
                    return f"{alias.asname or name}()", None
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.name == lib and module_alias is None:
                    module_alias = alias.asname or lib
    if module_alias:
        return f"{module_alias}.{name}()", None
    return f"{name}()", f"from {lib} import {name}"


def _statement_lists(tree: ast.Module) -> list[tuple[ast.AST, list[ast.stmt]]]:
    """Every (parent, statement list) in the module, e.g. a function's body or an else branch."""
    found: list[tuple[ast.AST, list[ast.stmt]]] = []
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            value = getattr(node, name, None)
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                found.append((node, value))
    return found


def _all_guards(tree: ast.Module) -> list[ast.If]:
    """Main guards anywhere outside functions, in source order."""
    guards: list[ast.If] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.If) and main_guard_body(node) is not None:
            guards.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return sorted(guards, key=lambda g: g.lineno)


def _is_eq_guard(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.If) and main_guard_body(stmt) is stmt.body


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(
        stmt.value.value, str)


def _constant(node: ast.expr | None) -> bool:
    """Literals and plain names: values a child can recompute without side effects."""
    if node is None or isinstance(node, (ast.Constant, ast.Name)):
        return True
    if isinstance(node, ast.Attribute):
        return _constant(node.value)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(_constant(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _constant(k) for k in node.keys) and all(
            _constant(v) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        return _constant(node.operand)
    if isinstance(node, ast.BinOp):
        return _constant(node.left) and _constant(node.right)
    return False


def _stays(stmt: ast.stmt) -> bool:
    """Imports, definitions, constants and docstrings stay at module level for the children."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                         ast.ClassDef, ast.Pass)) or _is_docstring(stmt):
        return True
    if isinstance(stmt, ast.Assign):
        return all(isinstance(t, ast.Name) for t in stmt.targets) and _constant(stmt.value)
    if isinstance(stmt, ast.AnnAssign):
        return isinstance(stmt.target, ast.Name) and _constant(stmt.value)
    if isinstance(stmt, (ast.If, ast.Try)):
        blocks = [stmt.body, stmt.orelse]
        if isinstance(stmt, ast.Try):
            blocks += [stmt.finalbody, *(h.body for h in stmt.handlers)]
        return all(_stays(s) for block in blocks for s in block)
    return False


def _definition_loads(stmt: ast.stmt) -> set[str]:
    """Names a statement reads while it runs at import time (not inside function bodies)."""
    names: set[str] = set()
    stack: list[ast.AST] = [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            stack += [*node.decorator_list, *node.args.defaults,
                      *(d for d in node.args.kw_defaults if d is not None)]
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            names.add(node.id)
        stack.extend(ast.iter_child_nodes(node))
    return names


def _bound_names(stmt: ast.stmt) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).partition(".")[0] for a in node.names)
    return names


def _newline(lines: list[str]) -> str:
    for line in lines:
        if line.endswith("\r\n"):
            return "\r\n"
        if line.endswith(("\n", "\r")):
            return line[-1]
    return "\n"


def _indent_unit(tree: ast.Module, lines: list[str]) -> str:
    """The module's own indentation step (tabs, 2 or 4 spaces), defaulting to 4 spaces."""
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, ast.stmt) and isinstance(body, list) and body and (
            body[0].lineno != node.lineno and node.col_offset == 0
        ):
            indent = indentation(lines[body[0].lineno - 1])
            if indent:
                return indent
    return "    "


