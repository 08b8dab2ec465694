"""Run the suite for one library and start method; record each outcome as a JSON line.

``python -m tests.compat.worker OUT [TEST_ID_SUBSTRING ...] [--ids FILE] [--skip FILE]``,
run by the runner with the environment ``cases`` reads. A line ``{"start": id}`` is written
before each test and ``{"id", "outcome", "detail"}`` after it, flushed at once, so when a run
ends early the test that was running is known and everything before it counts. A test still
running after ``--test-timeout`` seconds is recorded as a timeout and the worker exits
(status 3); the runner then starts a new worker that skips the tests already recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import traceback
import unittest
from typing import IO, Any

# At module level: spawn and forkserver children import this main module, and must build the
# same test classes (with the same library substituted) before they unpickle one.
from tests.compat import EXIT_TEST_TIMEOUT, cases
from tests.compat.substitute import stdlib_submodules_used

_RANK = {"pass": 0, "skip": 1, "expected-failure": 1, "fail": 2, "unexpected-success": 2,
         "error": 3}


def _summary(err: Any) -> str:
    """The exception's last line: what a reader needs to recognise the failure."""
    lines = traceback.format_exception_only(err[0], err[1])
    return lines[-1].strip()[:500] if lines else repr(err[1])[:500]


class JsonLinesResult(unittest.TestResult):
    """A ``TestResult`` that writes one line per test as it ends (subtests fold into it)."""

    def __init__(self, sink: IO[str], test_timeout: float) -> None:
        super().__init__()
        self._sink = sink
        self._current: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._test_timeout = test_timeout
        self._deadline: tuple[str, float] | None = None
        # One thread for the whole run, started before the suite's first thread census, so
        # the suite's "dangling threads" checks see nothing of it.
        threading.Thread(target=self._watch, name="compat-watchdog", daemon=True).start()

    def _write(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._sink.write(json.dumps(record) + "\n")
            self._sink.flush()

    def _watch(self) -> None:
        """A test still running past its deadline hangs: record it and end this worker
        (the runner resumes after it)."""
        while True:
            time.sleep(1)
            current = self._deadline
            if current is not None and time.monotonic() > current[1]:
                self._write({"id": current[0], "outcome": "timeout",
                             "detail": f"no result after {self._test_timeout:g} s"})
                os._exit(EXIT_TEST_TIMEOUT)

    def _note(self, test: unittest.TestCase | None, outcome: str, detail: str = "") -> None:
        test_id = test.id() if test is not None else "<unknown>"
        if self._current.get("id") != test_id:
            # setUpClass/setUpModule errors arrive without startTest.
            self._write({"id": test_id, "outcome": outcome, "detail": detail})
            return
        if _RANK[outcome] >= _RANK[self._current["outcome"]]:
            self._current.update(outcome=outcome, detail=detail)

    def startTest(self, test: unittest.TestCase) -> None:
        super().startTest(test)
        self._current = {"id": test.id(), "outcome": "pass", "detail": ""}
        self._write({"start": test.id()})
        self._deadline = (test.id(), time.monotonic() + self._test_timeout)

    def stopTest(self, test: unittest.TestCase) -> None:
        self._deadline = None
        super().stopTest(test)
        if self._current.get("id") == test.id():
            self._write(self._current)
        self._current = {}

    def addError(self, test: Any, err: Any) -> None:
        super().addError(test, err)
        self._note(test, "error", _summary(err))

    def addFailure(self, test: Any, err: Any) -> None:
        super().addFailure(test, err)
        self._note(test, "fail", _summary(err))

    def addSkip(self, test: Any, reason: str) -> None:
        super().addSkip(test, reason)
        self._note(test, "skip", reason[:500])

    def addExpectedFailure(self, test: Any, err: Any) -> None:
        super().addExpectedFailure(test, err)
        self._note(test, "expected-failure", _summary(err))

    def addUnexpectedSuccess(self, test: Any) -> None:
        super().addUnexpectedSuccess(test)
        self._note(test, "unexpected-success")

    def addSubTest(self, test: Any, subtest: Any, err: Any) -> None:
        super().addSubTest(test, subtest, err)
        if err is not None:
            failed = issubclass(err[0], test.failureException)
            self._note(test, "fail" if failed else "error",
                       f"{subtest._subDescription()}: {_summary(err)}")


def _flatten(suite: unittest.TestSuite) -> list[unittest.TestCase]:
    tests: list[unittest.TestCase] = []
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            tests.extend(_flatten(item))
        else:
            tests.append(item)
    return tests


def _read_ids(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.compat.worker")
    parser.add_argument("out", help="file to append the JSON lines to")
    parser.add_argument("only", nargs="*", help="run the tests whose id contains one of these")
    parser.add_argument("--ids", help="file with exact test ids to run, one a line")
    parser.add_argument("--skip", help="file with test ids not to run, one a line")
    parser.add_argument("--test-timeout", type=float, default=180,
                        help="seconds one test may run before it counts as hanging")
    args = parser.parse_args(argv)

    loader = unittest.TestLoader()
    tests = _flatten(loader.loadTestsFromModule(cases))
    if args.ids:
        wanted = set(_read_ids(args.ids))
        tests = [t for t in tests if t.id() in wanted]
    elif args.only:
        tests = [t for t in tests if any(s in t.id() for s in args.only)]
    if args.skip:
        skip = set(_read_ids(args.skip))
        tests = [t for t in tests if t.id() not in skip]
    with open(args.out, "a", encoding="utf-8") as sink:
        result = JsonLinesResult(sink, args.test_timeout)
        result._write({"library": cases.LIBRARY, "start_method": cases.START_METHOD,
                       "python": sys.version.split()[0], "tests": len(tests)})
        unittest.TestSuite(tests).run(result)
        result._write({"done": True, "stdlib_submodules": stdlib_submodules_used()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
