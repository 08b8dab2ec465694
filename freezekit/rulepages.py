"""The rule pages (docs/rules/FKnnn.md), shipped in the package for `freezekit rule`."""

from __future__ import annotations

from pathlib import Path

__all__ = ["rule_page"]

_HERE = Path(__file__).resolve().parent
# Installed: freezekit/rules/ (package data). A source checkout or an editable install
# reads the repository's docs/rules/, where the pages are written.
_FOLDERS = (_HERE / "rules", _HERE.parent / "docs" / "rules")


def rule_page(code: str) -> str:
    """The Markdown page of rule `code` (e.g. "FK001")."""
    for folder in _FOLDERS:
        page = folder / f"{code}.md"
        if page.is_file():
            return page.read_text("utf-8")
    raise FileNotFoundError(f"the page of {code} is not installed (looked in "
                            f"{', '.join(str(f) for f in _FOLDERS)}); reinstall freezekit")
