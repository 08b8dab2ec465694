"""The freezekit command line: argument parsing and output only.

Every error reads `freezekit COMMAND: error: MESSAGE` on standard error. Exit status: 0 fine
(warnings alone do not fail), 1 errors found, a diff, errors fix cannot repair, or something
fix or build refused, 2 usage or input error, 3 the freezer is missing or failed, or the
executable failed its self-test.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable

from freezekit import __version__
from freezekit.analysis import ERROR, RULES, Finding, SourceError, analyse_source, check
from freezekit.analysis.files import STDIN, discover, importers
from freezekit.config import Config, ConfigError, find_config, load_config
from freezekit.report import FORMATS, render

#: ``add_subparsers().add_parser``: makes the parser of one command.
_AddCommand = Callable[..., argparse.ArgumentParser]


class _UsageError(Exception):
    """A command-line mistake: reported on stderr with exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with freezekit's error line, and no abbreviated long options."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> Any:  # argparse's signature: NoReturn
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="freezekit",
        description="Check, fix and freeze Python apps that start processes.",
        epilog="Exit status: 0 fine (warnings alone included), 1 errors found (check), a diff "
        "or errors left (fix), a refused build, 2 usage or input error, 3 the freezer failed "
        "or the executable failed its self-test.",
    )
    parser.add_argument("--version", action="version", version=f"freezekit {__version__}")
    # Each command's parser comes from the subparsers object's own add_parser(): its class is
    # private to argparse, so nothing here names it.
    add_command = parser.add_subparsers(dest="command", metavar="COMMAND",
                                        parser_class=_Parser).add_parser
    _add_check_parser(add_command)
    _add_fix_parser(add_command)
    _add_build_parser(add_command)
    _add_rule_parser(add_command)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv, passthrough = _split_passthrough(sys.argv[1:] if argv is None else list(argv))
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # report against the subcommand, as argparse does for its other errors
        (args.command_parser if args.command else parser).error(
            f"unrecognized arguments: {' '.join(unknown)}")
    args.passthrough = passthrough
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.run(args)
    except (_UsageError, ConfigError, SourceError) as exc:
        _error(args.command, str(exc))
        return 2


def _error(command: str, message: str) -> None:
    print(f"freezekit {command}: error: {message}", file=sys.stderr)


def _config(args: argparse.Namespace) -> Config:
    path = args.config if args.config is not None else find_config()
    if args.config is not None and not path.is_file():
        raise _UsageError(f"--config {path}: no such file")
    return load_config(path)


def _add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="PYPROJECT", type=Path,
                        help="read [tool.freezekit] from this file (default: the nearest "
                        "pyproject.toml that has one, from the current folder up)")


# check --------------------------------------------------------------------------------------

def _rule_lines() -> str:
    width = max(len(rule.name) for rule in RULES.values())
    return "\n".join(f"  {rule.code}  {rule.name:<{width}}  {rule.severity:<7}  {rule.summary}"
                     for rule in RULES.values())


def _add_check_parser(add_command: _AddCommand) -> None:
    parser = add_command(
        "check",
        help="report what makes an app unsafe to freeze or to run under spawn",
        description="Report what makes an app unsafe to freeze or to run under spawn. "
        "Folders are searched for *.py files, skipping virtualenvs, build and dist folders "
        "and what .gitignore ignores; - reads standard input.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"rules (`freezekit rule CODE` prints a rule's page):\n{_rule_lines()}\n\n"
        "A `# noqa: FK001` comment silences that code on its line, a bare `# noqa` every "
        "code.\nExit status: 0 no errors (warnings alone do not fail, unless --fail-on "
        "warning), 1 errors found, 2 usage or input error.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files, folders or - (default: the current folder)")
    _add_output_options(parser)
    parser.add_argument("--select", metavar="CODES",
                        help="only these codes, comma-separated (overrides the config)")
    parser.add_argument("--ignore", metavar="CODES",
                        help="skip these codes, comma-separated (overrides the config)")
    parser.add_argument("--fail-on", choices=("error", "warning"), default="error",
                        help="the lowest severity that makes the exit status 1 "
                        "(default: %(default)s)")
    _add_config_option(parser)
    parser.set_defaults(run=_run_check, command_parser=parser)


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output-format", choices=FORMATS, default=None,
                        help="text (default), json, github (workflow annotations) or sarif "
                        "(code scanning)")
    parser.add_argument("--json", action="store_const", dest="output_format", const="json",
                        help="the same as --output-format json")
    parser.add_argument("--stdin-filename", metavar="NAME",
                        help="the name findings give to standard input (default: -)")


def _run_check(args: argparse.Namespace) -> int:
    config = _config(args)
    select, ignore = _selection(args, config)
    findings: list[Finding] = []
    checked = 0
    failed = 0
    for path in discover(args.paths or ["."]):
        try:
            found = _check_one(path, args.stdin_filename)
        except SourceError as exc:
            _error("check", str(exc))
            failed += 1
            continue
        checked += 1
        findings += [f for f in found if f.code in select and f.code not in ignore]
    fmt = args.output_format or "text"
    # "No findings (0 files checked)" after an error would read as a pass; machine formats
    # always print a document their readers can parse.
    if checked or not failed or fmt != "text":
        sys.stdout.write(render(fmt, findings, checked))
    if failed:
        return 2
    failing = {ERROR} if args.fail_on == "error" else {ERROR, "warning"}
    return 1 if any(f.severity in failing for f in findings) else 0


def _check_one(path: str, stdin_name: str | None) -> list[Finding]:
    if path != STDIN:
        return check(path)
    label = stdin_name or STDIN
    return analyse_source(_read_stdin(label), label, Path.cwd())


def _read_stdin(label: str) -> str:
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{label}: cannot decode standard input ({exc}); send UTF-8") from None


def _selection(args: argparse.Namespace, config: Config) -> tuple[set[str], set[str]]:
    if args.select is not None:
        select = _codes(args.select.split(","), "--select")
    else:
        select = set(config.select or RULES)
    if args.ignore is not None:
        ignore = _codes(args.ignore.split(","), "--ignore")
    else:
        ignore = set(config.ignore or ())
    return select or set(RULES), ignore


def _codes(values: list[str], option: str) -> set[str]:
    codes = {code.strip().upper() for code in values if code.strip()}
    unknown = sorted(codes - set(RULES))
    if unknown:
        raise _UsageError(
            f"{option}: unknown code(s) {', '.join(unknown)}; known codes: {', '.join(RULES)}")
    return codes


# fix ----------------------------------------------------------------------------------------

def _add_fix_parser(add_command: _AddCommand) -> None:
    parser = add_command(
        "fix",
        help="rewrite an app's main modules so that they are safe to freeze",
        description="Wrap import-time process starts in a main guard and put freeze_support() "
        "where it belongs, changing nothing else. What has no automatic fix (a lambda sent "
        "to a child, FK004) is reported and the rest is still repaired. - reads standard "
        "input and writes the fixed module to standard output.",
        epilog="Exit status: 0 nothing left to fix, 1 a diff was printed (--diff), or "
        "errors remain that fix cannot repair, or a file was refused, 2 usage or input error.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files, folders or -")
    parser.add_argument("--diff", action="store_true",
                        help="print a unified diff instead of writing the files")
    parser.add_argument("--stdin-filename", metavar="NAME",
                        help="the name messages give to standard input (default: -)")
    parser.set_defaults(run=_run_fix, command_parser=parser)


def _run_fix(args: argparse.Namespace) -> int:
    files = discover(args.paths)
    imported = importers(files) if len(files) > 1 else {}
    status = 0
    for path in files:
        try:
            status = max(status, _fix_one(path, args, imported))
        except SourceError as exc:
            _error("fix", str(exc))
            status = 2
    return status


def _fix_one(path: str, args: argparse.Namespace,
             imported: dict[str, tuple[str, int]]) -> int:
    from freezekit.rewrite import FixRefused, fix, fix_result, repair_source

    stdin = path == STDIN
    label = (args.stdin_filename or STDIN) if stdin else path
    importer = None if stdin else imported.get(Path(path).stem)
    try:
        if stdin:
            text = _read_stdin(label)
            result = fix_result(label, text, repair_source(text, label, Path.cwd()))
        elif importer and importer[0] != path and "moved" in fix(path, diff=True).summary:
            raise FixRefused(
                f"{importer[0]} imports it (line {importer[1]}), so its import-time code "
                "cannot go under a main guard, where importers would not find it; move the "
                "process start into a function that the app's main guard calls")
        else:
            result = fix(path, diff=args.diff)
    except FixRefused as exc:
        print(f"freezekit fix: cannot fix {label}: {exc}; "
              f"{'nothing was changed' if stdin else 'the file is unchanged'}", file=sys.stderr)
        if stdin and not args.diff:
            sys.stdout.write(text)
        return 1
    # Messages go to stderr when stdout carries the fixed module or the diff.
    notes = sys.stderr if stdin or args.diff else sys.stdout
    for note in result.notes:
        print(f"freezekit fix: note: {note}", file=sys.stderr)
    if args.diff:
        sys.stdout.write(result.diff)
    elif stdin:
        sys.stdout.write(result.text)
    if result.changed and not args.diff:
        print(f"Fixed {label}: {result.summary}", file=notes)
    elif not result.changed and not result.unfixed:
        print(f"Nothing to fix in {label}.", file=notes)
    for finding in result.unfixed:
        print(finding.format(), file=notes)
    if result.unfixed:
        codes = sorted({f.code for f in result.unfixed})
        print(f"{label}: {len(result.unfixed)} error{'s' if len(result.unfixed) != 1 else ''} "
              f"left that fix cannot repair; `freezekit rule {codes[0]}` says how to fix "
              "it by hand", file=notes)
        return 1
    return 1 if args.diff and result.changed else 0


# rule ---------------------------------------------------------------------------------------

def _add_rule_parser(add_command: _AddCommand) -> None:
    parser = add_command(
        "rule", help="print a rule's page: why it matters, a bad example and the fix",
        description="Print a rule's page; without a code, list the rules.")
    parser.add_argument("code", nargs="?", metavar="CODE", help="e.g. FK001")
    parser.set_defaults(run=_run_rule, command_parser=parser)


def _run_rule(args: argparse.Namespace) -> int:
    from freezekit.rulepages import rule_page

    if args.code is None:
        print(_rule_lines())
        return 0
    code = args.code.strip().upper()
    if code not in RULES:
        raise _UsageError(f"{args.code}: unknown rule; known codes: {', '.join(RULES)}")
    sys.stdout.write(rule_page(code))
    return 0


# build --------------------------------------------------------------------------------------

# Subcommands whose arguments after a bare ``--`` go, untouched, to another program.
_PASSTHROUGH_COMMANDS = {"build"}


def _split_passthrough(argv: list[str]) -> tuple[list[str], list[str]]:
    """``build APP -- ARGS``: (arguments for us, ARGS); other commands keep their ``--``."""
    command = next((a for a in argv if not a.startswith("-")), None)
    if command not in _PASSTHROUGH_COMMANDS or "--" not in argv:
        return argv, []
    cut = argv.index("--")
    return argv[:cut], argv[cut + 1:]


def _add_build_parser(add_command: _AddCommand) -> None:
    from freezekit.backends import available_backends

    parser = add_command(
        "build",
        help="freeze an app into an executable whose children work, and verify it",
        description="Check the app, freeze it with its entry script (children re-enter "
        "through processing's bootstrap, never through the app), and verify the executable "
        "by starting a child in it. The last line of output is the executable's path. "
        "Without APP.py, builds what [tool.freezekit.build] in pyproject.toml declares; "
        "options given here override the file.",
        epilog="Exit status: 0 built, 1 refused (check found errors), 2 usage or input "
        "error (nothing written), 3 the freezer is missing or failed, the app imports at its "
        "top level a module the freezer could not find, or the executable failed its checks.",
    )
    parser.add_argument("app", nargs="?", metavar="APP.py",
                        help="the app's main script (default: script in the config)")
    parser.add_argument("--backend", choices=available_backends(),
                        help="the freezer (default: pyinstaller)")
    parser.add_argument("--onefile", action=argparse.BooleanOptionalAction,
                        help="one self-extracting file instead of a folder")
    parser.add_argument("--name", metavar="NAME",
                        help="the executable's name (default: the script's name)")
    parser.add_argument("--distpath", metavar="DIR",
                        help="where the executable goes (default: dist)")
    parser.add_argument("--workpath", metavar="DIR",
                        help="the freezer's work files and log (default: build)")
    parser.add_argument("--clean", action="store_true",
                        help="replace DIST/NAME and the work folder even if freezekit did not "
                        "make them (never the app or its inputs)")
    parser.add_argument("--no-check", dest="check", action="store_false",
                        help="build even if `freezekit check` finds errors")
    parser.add_argument("--no-smoke", dest="smoke", action="store_false",
                        help="do not run the executable's self-test after building")
    parser.add_argument("--windowed", action=argparse.BooleanOptionalAction,
                        help="a GUI program without a console window")
    parser.add_argument("--icon", metavar="FILE", help="the executable's icon")
    parser.add_argument("--add-data", metavar="SRC:DEST", action="append",
                        help="bundle a file or folder at DEST (repeatable; replaces the "
                        "config's add-data)")
    parser.add_argument("--hidden-import", metavar="MOD", action="append",
                        help="bundle a module the app imports dynamically (repeatable; "
                        "replaces the config's hidden-imports)")
    parser.add_argument("--json", action="store_true",
                        help="print the result as JSON on stdout (executable, backend, "
                        "warnings, self-test report, timings)")
    _add_config_option(parser)
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true",
                           help="print only the executable's path (and errors)")
    verbosity.add_argument("-v", "--verbose", action="store_true",
                           help="stream the freezer's log to stderr")
    parser.usage = "freezekit build [options] [APP.py] [-- FREEZER-ARGS...]"
    parser.set_defaults(run=_run_build, command_parser=parser)


def _build_options(args: argparse.Namespace, config: Config) -> Any:
    """BuildOptions from the command line, falling back on [tool.freezekit.build]."""
    from freezekit.build import BuildOptions

    file = config.build

    def pick(cli: Any, configured: Any, default: Any) -> Any:
        if cli is not None:
            return cli
        return configured if configured is not None else default

    app = pick(args.app, file.script, None)
    if app is None:
        where = (f"{config.path} has no script in [tool.freezekit.build]" if config.path
                 else "no pyproject.toml with [tool.freezekit.build] script was found")
        raise _UsageError(f"no app to build: {where}; give APP.py or declare "
                          "script = \"app.py\" there")
    return BuildOptions(
        app=app, backend=pick(args.backend, file.backend, "pyinstaller"),
        name=pick(args.name, file.name, None), onefile=pick(args.onefile, file.onefile, False),
        windowed=pick(args.windowed, file.windowed, False), icon=pick(args.icon, file.icon, None),
        distpath=pick(args.distpath, file.distpath, "dist"),
        workpath=pick(args.workpath, file.workpath, "build"),
        data=pick(args.add_data, file.add_data, []),
        hidden_imports=pick(args.hidden_import, file.hidden_imports, []),
        extra_args=args.passthrough or file.freezer_args or [],
        check=args.check, smoke=args.smoke, clean=args.clean)


def _run_build(args: argparse.Namespace) -> int:
    from freezekit.backends import BackendFailed, BackendUnavailable, available_backends
    from freezekit.build import BuildInputError, BuildRefused, MissingModules, build
    from freezekit.progress import Progress
    from freezekit.smoke import SmokeFailed

    config = _config(args)
    options = _build_options(args, config)
    if options.backend not in available_backends():
        raise _UsageError(f"{config.path}: [tool.freezekit.build] backend: unknown backend "
                          f"{options.backend!r}; choose from {', '.join(available_backends())}")
    progress = Progress(quiet=args.quiet or args.json, live=False if args.verbose else None)

    def echo(line: str) -> None:
        print(f"  | {line}", file=sys.stderr, flush=True)

    progress.start()
    try:
        result = build(options, progress.stage,
                       echo if args.verbose else progress.output if progress.live else None)
    except (BuildInputError, SourceError) as exc:
        raise _UsageError(str(exc)) from None
    except BuildRefused as exc:
        progress.close()
        # stdout carries the executable's path only: `"$(freezekit build -q app.py)"`.
        for finding in exc.findings:
            print(finding.format(), file=sys.stderr)
        _error("build", f"refused: {exc}; `freezekit fix {options.app}` repairs what it "
               "can, or pass --no-check to build anyway")
        return 1
    except BackendUnavailable as exc:
        progress.close()
        _error("build", str(exc))
        return 3
    except BackendFailed as exc:
        progress.close()
        _error("build", f"{exc}\nfreezekit build: full log: {exc.log}")
        return 3
    except MissingModules as exc:
        progress.close()
        for line in exc.lines:
            print(f"freezekit build: error: {line}", file=sys.stderr)
        return 3
    except SmokeFailed as exc:
        progress.close()
        _error("build", f"{exc}\nfreezekit build: the executable was built, and is kept for "
               "debugging, but does not work")
        return 3
    finally:
        progress.close()
    if args.json:
        print(json.dumps({
            "executable": str(result.executable), "backend": options.backend,
            "warnings": [f.to_dict() for f in result.warnings],
            "self_test": result.self_test, "log": str(result.log),
            "timings": progress.timings()}, indent=2))
        return 0
    if not args.quiet:
        for finding in result.warnings:
            print(finding.format(), file=sys.stderr)
    progress.release()
    print(result.executable)
    return 0
