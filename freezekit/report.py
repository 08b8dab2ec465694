"""How `check` and `fix` print findings: text like ruff and flake8, JSON, GitHub annotations
and SARIF 2.1.0 for code scanning. Each function returns the whole output as one string."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path, PurePath

from freezekit import __version__
from freezekit.analysis import ERROR, PROJECT_URL, RULES, Finding

__all__ = ["FORMATS", "render", "summary"]

FORMATS = ("text", "json", "github", "sarif")
_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render(fmt: str, findings: Sequence[Finding], files: int) -> str:
    """The report for `findings` from `files` checked files, in format `fmt` (see FORMATS)."""
    if fmt == "json":
        return json.dumps([f.to_dict() for f in findings], indent=2) + "\n"
    if fmt == "github":
        return "".join(f"{_github(f)}\n" for f in findings)
    if fmt == "sarif":
        return json.dumps(_sarif(findings), indent=2) + "\n"
    lines = [f.format() for f in findings]
    lines.append(summary(findings, files))
    return "".join(f"{line}\n" for line in lines)


def summary(findings: Sequence[Finding], files: int) -> str:
    checked = f"{files} file" + ("s" if files != 1 else "")
    if not findings:
        return f"No findings ({checked} checked)."
    errors = sum(f.severity == ERROR for f in findings)
    warnings = len(findings) - errors
    return (f"Found {len(findings)} finding{'s' if len(findings) != 1 else ''} "
            f"({errors} error{'s' if errors != 1 else ''}, "
            f"{warnings} warning{'s' if warnings != 1 else ''}) in {checked}.")


def _github(finding: Finding) -> str:
    """A workflow command GitHub Actions turns into an annotation on the line."""
    rule = RULES[finding.code]
    props = ",".join(f"{key}={_escape(str(value), True)}" for key, value in (
        ("file", finding.path), ("line", finding.line), ("col", finding.col),
        ("title", f"{finding.code} {rule.name}")))
    return f"::{finding.severity} {props}::{_escape(finding.message, False)}"


def _escape(text: str, prop: bool) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def _sarif(findings: Sequence[Finding]) -> dict[str, object]:
    codes = list(RULES)
    rules = [{
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "helpUri": rule.url,
        "defaultConfiguration": {"level": _level(rule.severity)},
    } for rule in RULES.values()]
    results = [{
        "ruleId": f.code,
        "ruleIndex": codes.index(f.code),
        "level": _level(f.severity),
        "message": {"text": f.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": _uri(f.path)},
            "region": {"startLine": f.line, "startColumn": f.col},
        }}],
    } for f in findings]
    driver = {"name": "freezekit", "version": __version__, "informationUri": PROJECT_URL,
              "rules": rules}
    return {"$schema": _SARIF_SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": driver}, "results": results}]}


def _level(severity: str) -> str:
    return "error" if severity == ERROR else "warning"


def _uri(path: str) -> str:
    """Relative paths stay relative (to the checkout, as code scanning expects)."""
    pure = PurePath(path)
    return Path(path).resolve().as_uri() if pure.is_absolute() else pure.as_posix()
