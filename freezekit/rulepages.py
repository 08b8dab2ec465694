"""The rule pages (docs/rules/FKnnn.md), shipped in the package for `freezekit rule`."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["rule_page"]


def rule_page(code: str) -> str:
    """The Markdown page of rule `code` (e.g. "FK001")."""
    name = f"{code}.md"
    try:
        return resources.files("freezekit.rules").joinpath(name).read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        # A source checkout on sys.path without an install: the pages are docs/rules/.
        checkout = Path(__file__).resolve().parent.parent / "docs" / "rules" / name
        return checkout.read_text("utf-8")
