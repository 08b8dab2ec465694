"""``python -m tests.compat``: CPython's multiprocessing suite, processing against the stdlib.

For each start method, runs ``test._test_multiprocessing`` of the running interpreter twice in
guarded child processes (a process-count watchdog and a time limit each), once testing the
stdlib and once processing, then prints per test class the pass/fail/error/skip counts of both
and every test processing fails that the stdlib passes. Such tests are run once more, alone,
to tell a real difference from a test that failed only under load. Exit status: 0 when
processing fails nothing the stdlib passes, 1 otherwise, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from freezekit.guard import run_guarded
from tests.compat import EXIT_TEST_TIMEOUT, LIBRARY_ENV, START_METHOD_ENV
from tests.compat.substitute import SUITE_MODULE

REPO = Path(__file__).resolve().parents[2]
LIBRARIES = ("stdlib", "processing")
OUTCOMES = ("pass", "fail", "error", "skip", "timeout")
_PASSING = {"pass", "skip", "expected-failure"}


def _run(library: str, method: str, out: Path, selection: list[str], ids_file: Path | None,
         timeout: float, max_procs: int, test_timeout: float) -> dict[str, Any]:
    """Run one library at one start method. After a test that hangs (a timeout) or that
    the worker dies in (an error, its stderr kept next to ``out``), go on with the rest."""
    env = dict(os.environ, **{LIBRARY_ENV: library, START_METHOD_ENV: method})
    env.pop("PROCESSING_START_METHOD", None)  # the suite chooses the start method itself
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "tests.compat.worker", str(out), *selection,
           "--test-timeout", str(test_timeout)]
    if ids_file is not None:
        cmd += ["--ids", str(ids_file)]
    deadline = time.monotonic() + timeout
    skip = out.with_suffix(".skip")
    while True:
        resume = []
        before = _read(out, None)["outcomes"] if out.exists() else {}
        if before:
            skip.write_text("\n".join(before) + "\n", encoding="utf-8")
            resume = ["--skip", str(skip)]
        guarded = run_guarded(cmd + resume, timeout=max(deadline - time.monotonic(), 1),
                              max_procs=max_procs, cwd=REPO, env=env)
        result = _read(out, guarded)
        ended_early = bool(result["problem"]) and not guarded.timed_out
        progressed = len(result["outcomes"]) > len(before)
        retry = guarded.returncode == EXIT_TEST_TIMEOUT or (ended_early and progressed)
        if not retry or time.monotonic() >= deadline:
            return result
        if ended_early:  # the test it died in counts as an error; go on after it
            _record_death(out, result, guarded)


def _record_death(out: Path, result: dict[str, Any], guarded: Any) -> None:
    """The worker died (not a timeout): keep why, and record the test it was running."""
    with out.with_suffix(".stderr").open("a", encoding="utf-8") as log:
        log.write(guarded.stderr[-20000:])
    running = [r for r in result["outcomes"].values()
               if r["outcome"] == "timeout" and r["detail"] == result["problem"]]
    with out.open("a", encoding="utf-8") as f:
        for record in running:
            f.write(json.dumps(dict(record, outcome="error")) + "\n")


def _read(out: Path, guarded: Any) -> dict[str, Any]:
    """Outcomes by test id, with what ended the run if it did not finish (``guarded``: how
    the last worker ended; None while the run goes on)."""
    outcomes: dict[str, dict[str, str]] = {}
    running = None
    done = None
    header: dict[str, Any] = {}
    if out.exists():
        for line in out.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if "start" in record:
                running = record["start"]
            elif "id" in record:
                outcomes[record["id"]] = record
                if record["id"] == running:
                    running = None
            elif "done" in record:
                done = record
            else:
                header = record
    problem = ""
    if done is None and guarded is not None:
        if guarded.bomb_stopped:
            problem = f"stopped: more than the allowed processes ({guarded.max_procs_seen})"
        elif guarded.timed_out:
            problem = "stopped: the time limit ran out"
        else:
            tail = (guarded.stderr.strip().splitlines() or ["(no output)"])[-1]
            problem = f"the run ended early (exit {guarded.returncode}): {tail}"
        if running is not None:
            outcomes[running] = {"id": running, "outcome": "timeout", "detail": problem}
    return {"outcomes": outcomes, "problem": problem, "header": header,
            "stdlib_submodules": (done or {}).get("stdlib_submodules", [])}


def _class_of(test_id: str) -> str:
    """``WithProcessesTestQueue`` for a test id or a fixture error's description."""
    if " (" in test_id:  # "setUpClass (tests.compat.cases.WithX)"
        inner = test_id.split(" (", 1)[1].rstrip(")")
        return inner.rsplit(".", 1)[-1] if inner.count(".") > 2 else "<module>"
    return test_id.rsplit(".", 2)[-2]


def _short(test_id: str) -> str:
    return test_id.replace("tests.compat.cases.", "")


def _bucket(outcome: str) -> str:
    return {"expected-failure": "pass", "unexpected-success": "fail"}.get(outcome, outcome)


def compare(runs: dict[str, dict[str, Any]]) -> tuple[list[str], list[tuple[str, str, str]]]:
    """The per-class table's lines and the (test, stdlib outcome, processing detail) regressions."""
    counts: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for library in LIBRARIES:
        for test_id, record in runs[library]["outcomes"].items():
            counts[_class_of(test_id)][library][_bucket(record["outcome"])] += 1
    lines = [f"{'class':<46} {'stdlib p/f/e/s':>16} {'processing p/f/e/s':>19}"]
    for cls in sorted(counts):
        cells = []
        for library in LIBRARIES:
            c = counts[cls][library]
            cell = f"{c['pass']}/{c['fail']}/{c['error']}/{c['skip']}"
            cells.append(cell + (f" +{c['timeout']}t" if c["timeout"] else ""))
        mark = "" if cells[0] == cells[1] else "  <- differs"
        lines.append(f"{cls:<46} {cells[0]:>16} {cells[1]:>19}{mark}")
    regressions = []
    ours = runs["processing"]["outcomes"]
    for test_id, record in sorted(runs["stdlib"]["outcomes"].items()):
        mine = ours.get(test_id)
        if record["outcome"] in _PASSING and (mine is None or mine["outcome"] not in _PASSING):
            detail = "not run" if mine is None else f"{mine['outcome']}: {mine['detail']}"
            regressions.append((test_id, record["outcome"], detail))
    return lines, regressions


def _totals(outcomes: dict[str, dict[str, str]]) -> str:
    c = Counter(_bucket(r["outcome"]) for r in outcomes.values())
    return ", ".join(f"{c[o]} {o}" for o in OUTCOMES if c[o] or o in ("pass", "fail"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.compat",
        description="Run CPython's test._test_multiprocessing against processing and the "
                    "stdlib, per start method, and print where they differ.")
    parser.add_argument("only", nargs="*", metavar="SUBSTRING",
                        help="run only the tests whose id contains one of these "
                             "(e.g. WithProcessesTestQueue)")
    parser.add_argument("--methods", default="fork,spawn,forkserver",
                        help="comma-separated start methods (default: all three)")
    parser.add_argument("--timeout", type=float, default=1800,
                        help="seconds for each library and start method (default 1800)")
    parser.add_argument("--test-timeout", type=float, default=180,
                        help="seconds one test may run before it counts as hanging (default 180)")
    parser.add_argument("--max-procs", type=int, default=250,
                        help="process-count limit of each run (the suite starts ~110 at once)")
    parser.add_argument("--no-rerun", action="store_true",
                        help="do not run the tests processing fails once more, alone")
    parser.add_argument("--json", metavar="PATH", help="also write every outcome to PATH")
    args = parser.parse_args(argv)

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    bad = [m for m in methods if m not in ("fork", "spawn", "forkserver")]
    if bad or not methods:
        print(f"python -m tests.compat: --methods: unknown start method {bad[0] if bad else ''!r};"
              " choose from fork, spawn, forkserver", file=sys.stderr)
        return 2
    if importlib.util.find_spec(SUITE_MODULE) is None:
        version = f"{sys.version_info[0]}.{sys.version_info[1]}"
        print(f"python -m tests.compat: {sys.executable} has no {SUITE_MODULE}: install the "
              f"interpreter's test package (Debian: libpython{version}-testsuite)", file=sys.stderr)
        return 2

    report: dict[str, Any] = {"python": sys.version.split()[0], "methods": {}}
    any_regression = False
    with tempfile.TemporaryDirectory(prefix="processing-compat-") as tmp:
        for method in methods:
            runs = {}
            for library in LIBRARIES:
                out = Path(tmp, f"{method}-{library}.jsonl")
                runs[library] = _run(library, method, out, args.only, None, args.timeout,
                                     args.max_procs, args.test_timeout)
            lines, regressions = compare(runs)
            flaky = []
            if regressions and not args.no_rerun:
                ids = Path(tmp, f"{method}-rerun.txt")
                ids.write_text("\n".join(r[0] for r in regressions) + "\n", encoding="utf-8")
                again = _run("processing", method, Path(tmp, f"{method}-rerun.jsonl"), [], ids,
                             args.timeout, args.max_procs, args.test_timeout)["outcomes"]
                # A test that skips when run alone proves nothing: only a real pass counts.
                flaky = [r for r in regressions
                         if again.get(r[0], {}).get("outcome") in ("pass", "expected-failure")
                         or again.get(r[0], {}).get("outcome") == r[1] == "skip"]
                regressions = [r for r in regressions if r not in flaky]
            any_regression |= bool(regressions)
            print(f"== start method {method} (Python {report['python']}) ==")
            for library in LIBRARIES:
                run = runs[library]
                print(f"{library:>10}: {_totals(run['outcomes'])}"
                      + (f"  [{run['problem']}]" if run["problem"] else ""))
            print("\n".join(lines))
            print(f"processing fails, the stdlib passes: {len(regressions)}")
            for test_id, _stdlib, detail in regressions:
                print(f"  {_short(test_id)}\n      {detail}")
            if flaky:
                print(f"failed once, passed when run again alone: {len(flaky)}")
                for test_id, _stdlib, detail in flaky:
                    print(f"  {_short(test_id)}\n      first run: {detail}")
            reused = runs["processing"]["stdlib_submodules"]
            if reused:
                print("stdlib submodules the suite used as they are (processing has none of "
                      "its own): " + ", ".join(reused))
            print(flush=True)
            report["methods"][method] = {
                "runs": runs, "regressions": regressions, "flaky": flaky}
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    return 1 if any_regression else 0


if __name__ == "__main__":
    sys.exit(main())
