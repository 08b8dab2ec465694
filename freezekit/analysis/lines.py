"""Source lines as Python's tokenizer counts them, and indentation as it measures it.

``str.splitlines`` also breaks at form feed, vertical tab, U+001C-U+001E, U+0085, U+2028 and
U+2029, which Python allows inside comments and strings (and form feed in indentation)
without starting a new line; AST line numbers count only ``\\n``, ``\\r\\n`` and ``\\r``.
A form feed in leading whitespace resets the tokenizer's column to zero, so the indentation
that counts is what follows the last one.
"""

from __future__ import annotations

import re

__all__ = ["indent_line", "indentation", "split_lines"]

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_LEADING = re.compile(r"[ \t\f]*")


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` with their line endings, numbered as in the AST (from 1)."""
    return _LINE.findall(text)


def indentation(line: str) -> str:
    """The whitespace that gives ``line`` its indentation level (after any form feed)."""
    leading = _LEADING.match(line).group()  # type: ignore[union-attr]
    return leading[leading.rfind("\f") + 1:]


def indent_line(line: str, indent: str) -> str:
    """``line`` one level deeper: ``indent`` goes after the last form feed of its leading
    whitespace, where the tokenizer starts counting columns; every other byte stays."""
    leading = _LEADING.match(line).group()  # type: ignore[union-attr]
    cut = leading.rfind("\f") + 1
    return line[:cut] + indent + line[cut:]
