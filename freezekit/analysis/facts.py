"""What one module's analysis found: its findings, and the facts `freezekit fix` needs to
repair them (which top-level statements to move, the freeze_support() calls, the guards)."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from freezekit.analysis.findings import Finding

__all__ = ["Analysis", "FreezeCall", "Witness"]


@dataclass(frozen=True)
class Witness:
    """What a function starts, on which line, and in which file (None: the one analysed)."""

    what: str
    line: int
    file: str | None = None

    def describe(self) -> str:
        where = f" of {self.file}" if self.file else ""
        return f"{self.what} on line {self.line}{where}"


@dataclass
class FreezeCall:
    """A freeze_support() call and whether it sits where it belongs."""

    call: ast.Call
    ok: bool
    where: str


@dataclass
class Analysis:
    """Findings plus the facts `freezekit fix` needs to repair them."""

    findings: list[Finding]
    unsafe_tops: set[int] = field(default_factory=set)
    blockers: list[tuple[int, str]] = field(default_factory=list)
    freeze_calls: list[FreezeCall] = field(default_factory=list)
    guards_missing_freeze: list[ast.If] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    star_libs: set[str] = field(default_factory=set)
    libs_used: set[str] = field(default_factory=set)
    #: Function (or "Class.method") -> what it starts and where, for modules that import this one.
    spawning: dict[str, Witness] = field(default_factory=dict)
    #: What this module starts when it is imported, and where, if anything.
    import_spawns: list[str] = field(default_factory=list)
