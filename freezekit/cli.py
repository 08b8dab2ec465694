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
    _add_build_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv, passthrough = _split_passthrough(sys.argv[1:] if argv is None else list(argv))
    args = parser.parse_args(argv)
    args.passthrough = passthrough
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
    for note in result.notes:
        print(f"freezekit fix: note: {note}", file=sys.stderr)
    if args.diff:
        sys.stdout.write(result.diff)
    elif result.changed:
        print(f"Fixed {args.path}: {result.summary}")
    else:
        print(f"Nothing to fix in {args.path}.")
    return 0


# Subcommands whose arguments after a bare ``--`` go, untouched, to another program.
_PASSTHROUGH_COMMANDS = {"build"}


def _split_passthrough(argv: list[str]) -> tuple[list[str], list[str]]:
    """``build APP -- ARGS``: (arguments for us, ARGS); other commands keep their ``--``."""
    command = next((a for a in argv if not a.startswith("-")), None)
    if command not in _PASSTHROUGH_COMMANDS or "--" not in argv:
        return argv, []
    cut = argv.index("--")
    return argv[:cut], argv[cut + 1:]


def _add_build_parser(sub: argparse._SubParsersAction) -> None:
    from freezekit.backends import available_backends

    parser = sub.add_parser(
        "build",
        help="freeze an app into an executable whose children work, and verify it",
        description="Check the app, freeze it with its entry script (children re-enter "
        "through processing's bootstrap, never through the app), and verify the executable "
        "by starting a child in it. The last line of output is the executable's path.",
        epilog="Exit status: 0 built, 1 refused (check found errors), 2 usage or input "
        "error (nothing written), 3 the freezer is missing or failed, the app imports at its "
        "top level a module the freezer could not find, or the executable failed its checks.",
    )
    parser.add_argument("app", metavar="APP.py", help="the app's main script")
    parser.add_argument("--backend", default="pyinstaller", choices=available_backends(),
                        help="the freezer (default: %(default)s)")
    parser.add_argument("--onefile", action="store_true",
                        help="one self-extracting file instead of a folder")
    parser.add_argument("--name", metavar="NAME",
                        help="the executable's name (default: the script's name)")
    parser.add_argument("--distpath", metavar="DIR", default="dist",
                        help="where the executable goes (default: %(default)s)")
    parser.add_argument("--workpath", metavar="DIR", default="build",
                        help="the freezer's work files and log (default: %(default)s)")
    parser.add_argument("--clean", action="store_true",
                        help="replace DIST/NAME and the work folder even if freezekit did not "
                        "make them (never the app or its inputs)")
    parser.add_argument("--no-check", dest="check", action="store_false",
                        help="build even if `freezekit check` finds errors")
    parser.add_argument("--no-smoke", dest="smoke", action="store_false",
                        help="do not run the executable's self-test after building")
    parser.add_argument("--windowed", action="store_true",
                        help="a GUI program without a console window")
    parser.add_argument("--icon", metavar="FILE", help="the executable's icon")
    parser.add_argument("--add-data", metavar="SRC:DEST", action="append", default=[],
                        help="bundle a file or folder at DEST (repeatable)")
    parser.add_argument("--hidden-import", metavar="MOD", action="append", default=[],
                        help="bundle a module the app imports dynamically (repeatable)")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true",
                           help="print only the executable's path (and errors)")
    verbosity.add_argument("-v", "--verbose", action="store_true",
                           help="stream the freezer's log to stderr")
    parser.usage = "freezekit build [options] APP.py [-- FREEZER-ARGS...]"
    parser.set_defaults(run=_run_build)


def _run_build(args: argparse.Namespace) -> int:
    from freezekit.backends import BackendFailed, BackendUnavailable
    from freezekit.build import (
        BuildInputError,
        BuildOptions,
        BuildRefused,
        MissingModules,
        build,
    )
    from freezekit.smoke import SmokeFailed

    def progress(line: str) -> None:
        if not args.quiet:
            print(f"freezekit build: {line}", file=sys.stderr, flush=True)

    def echo(line: str) -> None:
        print(f"  | {line}", file=sys.stderr, flush=True)

    options = BuildOptions(
        app=args.app, backend=args.backend, name=args.name, onefile=args.onefile,
        windowed=args.windowed, icon=args.icon, distpath=args.distpath,
        workpath=args.workpath, data=args.add_data, hidden_imports=args.hidden_import,
        extra_args=args.passthrough, check=args.check, smoke=args.smoke, clean=args.clean)
    try:
        result = build(options, progress, echo if args.verbose else None)
    except (BuildInputError, SourceError) as exc:
        raise _UsageError(str(exc)) from None
    except BuildRefused as exc:
        # stdout carries the executable's path only: `"$(freezekit build -q app.py)"`.
        for finding in exc.findings:
            print(finding.format(), file=sys.stderr)
        print(f"freezekit build: refused: {exc}; `freezekit fix {args.app}` repairs what it "
              "can, or pass --no-check to build anyway", file=sys.stderr)
        return 1
    except BackendUnavailable as exc:
        print(f"freezekit build: error: {exc}", file=sys.stderr)
        return 3
    except BackendFailed as exc:
        print(f"freezekit build: error: {exc}\nfreezekit build: full log: {exc.log}",
              file=sys.stderr)
        return 3
    except MissingModules as exc:
        for line in exc.lines:
            print(f"freezekit build: error: {line}", file=sys.stderr)
        return 3
    except SmokeFailed as exc:
        print(f"freezekit build: error: {exc}\nfreezekit build: the executable was built, and "
              "is kept for debugging, but does not work", file=sys.stderr)
        return 3
    if not args.quiet:
        for finding in result.warnings:
            print(finding.format(), file=sys.stderr)
    print(result.executable)
    return 0
