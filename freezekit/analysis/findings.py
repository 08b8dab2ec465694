"""Findings: one problem at one place, and collecting a module's findings as its checks
report them (a `# noqa` comment silences its line; columns count characters, like ruff)."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import asdict, dataclass

from freezekit.analysis.lines import split_lines
from freezekit.analysis.rules import RULES

__all__ = ["Finding", "FindingCollector"]

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?",
                   re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    """One problem at one place: `path:line:col: code message`, col 1-based like ruff."""

    path: str
    line: int
    col: int
    code: str
    message: str
    severity: str

    def format(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.code} {self.message}"

    def to_dict(self) -> dict[str, object]:
        """The finding's fields plus the rule's name and documentation link."""
        rule = RULES[self.code]
        return {**asdict(self), "rule": rule.name, "url": rule.url}



class FindingCollector:
    """The findings of one module, in the order its checks report them."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.findings: list[Finding] = []
        self._lines = split_lines(text)
        self._noqa = _noqa_lines(text)

    def report(self, node: ast.AST, code: str, message: str) -> bool:
        """Record a finding at ``node`` unless a `# noqa` comment on its line silences it;
        whether it was recorded."""
        line = getattr(node, "lineno", 1)
        codes = self._noqa.get(line, frozenset())
        if codes is None or code in codes:
            return False
        col = _char_col(self._lines, line, getattr(node, "col_offset", 0))
        self.findings.append(
            Finding(self.path, line, col, code, message, RULES[code].severity))
        return True


def _noqa_lines(text: str) -> dict[int, frozenset[str] | None]:
    """Line -> the codes its `# noqa: ...` comment silences (None: a bare `# noqa`, all)."""
    found: dict[int, frozenset[str] | None] = {}
    if "noqa" not in text.lower():
        return found
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type != tokenize.COMMENT:
                continue
            match = _NOQA.search(token.string)
            if match:
                codes = match.group("codes")
                found[token.start[0]] = (
                    frozenset(c.upper() for c in re.split(r"[\s,]+", codes) if c)
                    if codes else None)
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


def _char_col(lines: list[str], line: int, byte_col: int) -> int:
    """Convert the AST's UTF-8 byte offset into a 1-based character column."""
    if not 0 < line <= len(lines) or lines[line - 1].isascii():
        return byte_col + 1
    return len(lines[line - 1].encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1
