"""The freezekit command line: argument parsing and output only."""

from __future__ import annotations

import argparse
import json
import sys

from freezekit import __version__
from freezekit.analysis import RULES, Finding, SourceError, check


class _UsageError(Exception):
    """A command-line mistake: reported on stderr with exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="freezekit",
        description="Check, fix and freeze Python apps that start processes.",
    )
    parser.add_argument("--version", action="version", version=f"freezekit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_check_parser(sub)
    _add_fix_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.run(args)
    except _UsageError as exc:
        print(f"freezekit {args.command}: error: {exc}", file=sys.stderr)
        return 2


def _add_check_parser(sub: argparse._SubParsersAction) -> None:
    rules = "; ".join(f"{r.code} {r.summary}" for r in RULES.values())
    parser = sub.add_parser(
        "check",
        help="report what makes a main module unsafe to freeze or to run under spawn",
        description=f"Report what makes a main module unsafe to freeze. Rules: {rules}",
    )
    parser.add_argument("paths", nargs="+", metavar="APP.py", help="the app's main script(s)")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument("--select", metavar="CODES", help="only these codes, comma-separated")
    parser.add_argument("--ignore", metavar="CODES", help="skip these codes, comma-separated")
    parser.set_defaults(run=_run_check)


def _run_check(args: argparse.Namespace) -> int:
    select = _codes(args.select, "--select") or set(RULES)
    ignore = _codes(args.ignore, "--ignore")
    findings: list[Finding] = []
    checked = 0
    for path in args.paths:
        try:
            found = check(path)
        except SourceError as exc:
            print(f"freezekit: error: {exc}", file=sys.stderr)
            continue
        checked += 1
        findings += [f for f in found if f.code in select and f.code not in ignore]
    if args.json:
        print(json.dumps([f.to_dict() for f in findings], indent=2))
    else:
        for finding in findings:
            print(finding.format())
        if checked:
            print(_summary(findings, checked))
    if checked < len(args.paths):
        return 2
    return 1 if findings else 0


def _codes(value: str | None, option: str) -> set[str]:
    codes = {code.strip().upper() for code in (value or "").split(",") if code.strip()}
    unknown = sorted(codes - set(RULES))
    if unknown:
        raise _UsageError(
            f"{option}: unknown code(s) {', '.join(unknown)}; known codes: {', '.join(RULES)}")
    return codes


def _summary(findings: list[Finding], files: int) -> str:
    checked = f"{files} file" + ("s" if files != 1 else "")
    if not findings:
        return f"No findings ({checked} checked)."
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    return (f"Found {len(findings)} finding{'s' if len(findings) != 1 else ''} "
            f"({errors} error{'s' if errors != 1 else ''}, "
            f"{warnings} warning{'s' if warnings != 1 else ''}) in {checked}.")


def _add_fix_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "fix",
        help="rewrite a main module so that it is safe to freeze",
        description="Wrap import-time process starts in a main guard and put freeze_support() "
        "where it belongs, changing nothing else.",
    )
    parser.add_argument("path", metavar="APP.py", help="the app's main script")
    parser.add_argument("--diff", action="store_true",
                        help="print a unified diff instead of writing the file")
    parser.set_defaults(run=_run_fix)


def _run_fix(args: argparse.Namespace) -> int:
    from freezekit.rewrite import FixRefused, fix

    try:
        result = fix(args.path, diff=args.diff)
    except SourceError as exc:
        print(f"freezekit: error: {exc}", file=sys.stderr)
        return 2
    except FixRefused as exc:
        print(f"freezekit: cannot fix {args.path}: {exc}; the file is unchanged",
              file=sys.stderr)
        return 1
    if args.diff:
        sys.stdout.write(result.diff)
    elif result.changed:
        print(f"Fixed {args.path}: {result.summary}")
    else:
        print(f"Nothing to fix in {args.path}.")
    return 0
