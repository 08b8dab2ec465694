"""Reading a Python source file as the interpreter does, and parsing it.

Every way a file can be unreadable (missing, a folder, a device or FIFO, undecodable, not
valid Python) becomes a SourceError whose message names the file and what to do.
"""

from __future__ import annotations

import ast
import io
import os
import stat
import tokenize
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Source", "SourceError", "load_source", "parse_source", "read_regular_file"]


class SourceError(Exception):
    """The file cannot be analysed: missing, a directory, undecodable or not valid Python."""


@dataclass(frozen=True)
class Source:
    """A module's text as decoded from its bytes, with what is needed to write it back."""

    path: str
    raw: bytes
    text: str
    encoding: str


def load_source(path: str | Path) -> Source:
    """Read and decode a Python file the way the interpreter would (cookie, BOM, UTF-8)."""
    name = str(path)
    file = Path(path)
    if file.is_dir():
        raise SourceError(f"{name}: is a directory; pass the app's main script, e.g. {name}/app.py")
    try:
        raw = read_regular_file(file)
    except FileNotFoundError:
        raise SourceError(f"{name}: no such file; pass the path of the app's main script") from None
    except OSError as exc:
        raise SourceError(f"{name}: cannot read: {exc.strerror}") from None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        text = raw.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        raise SourceError(
            f"{name}: cannot decode the file ({exc}); save it as UTF-8 "
            "or declare its encoding in a coding cookie"
        ) from None
    return Source(name, raw, text, encoding)


def read_regular_file(path: Path) -> bytes:
    """The bytes of a regular file; SourceError for a device, FIFO or socket, which could
    block forever (a FIFO) or never end (/dev/zero). Opened without blocking, then checked."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SourceError(f"{path}: not a regular file (a device, FIFO or socket); pass "
                              "the path of a Python script")
        return file.read()


def parse_source(text: str, path: str) -> ast.Module:
    """Parse module text, turning syntax errors into a SourceError that names path and line."""
    try:
        return ast.parse(text, filename=path)
    except SyntaxError as exc:
        where = f"{path}:{exc.lineno}:{exc.offset or 1}" if exc.lineno else path
        raise SourceError(f"{where}: cannot parse: {exc.msg}; fix the syntax error first") from None
    except ValueError as exc:  # null bytes, on Python versions that do not raise SyntaxError
        raise SourceError(f"{path}: cannot parse: {exc}") from None
