"""What `build` shows while it works, on standard error.

On a terminal: each finished stage as a line, and below it a live line that counts the current
stage's seconds and shows the freezer's latest output, redrawn ten times a second, so a
minute-long freeze is never a silent minute. Elsewhere (CI logs, pipes): plain lines only.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from typing import TextIO

__all__ = ["Progress"]

_SPINNER = "|/-\\"


class Progress:
    """Receives build's stage lines (`stage`) and the freezer's output (`output`)."""

    def __init__(self, stream: TextIO | None = None, *, live: bool | None = None,
                 quiet: bool = False, prefix: str = "freezekit build") -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.quiet = quiet
        self.prefix = prefix
        self.started = time.monotonic()
        self.marks: list[tuple[str, float]] = []
        self.held: list[str] = []
        self._activity = "starting"
        self._since = self.started
        self._detail = ""
        self._lock = threading.Lock()
        self._drawn = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start redrawing the live line (on a terminal); `close` stops and clears it."""
        if self.live and not self.quiet:
            self._thread = threading.Thread(target=self._redraw, name="freezekit-progress",
                                            daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)
        with self._lock:
            self._clear()

    def stage(self, line: str) -> None:
        """A stage finished or began. The closing "built ..." line is held back (`release`)
        so that what the command prints about the result comes before it."""
        now = time.monotonic()
        self.marks.append((line, now))
        if line.startswith("built "):
            self.held.append(line)
            return
        with self._lock:
            self._activity = _activity(line)
            self._since = now
            self._detail = ""
            self._print(line)

    def output(self, line: str) -> None:
        """A line of the freezer's output: the live line shows the latest one."""
        if line.strip():
            self._detail = line.strip()

    def release(self) -> None:
        """Print the held-back closing line."""
        with self._lock:
            self._clear()
            for line in self.held:
                self._print(line)
            self.held.clear()

    def timings(self) -> dict[str, float]:
        """Seconds per stage (check, freeze, self_test) and in total, from the stage lines."""
        times = {line.split(" ", 1)[0].rstrip(":"): at for line, at in self.marks}
        spans = {"check": (None, "checked"), "freeze": ("freezing", "froze"),
                 "self_test": ("froze", "verified")}
        found: dict[str, float] = {}
        for name, (begin, end) in spans.items():
            if end in times:
                start = times.get(begin or "", self.started)
                found[name] = round(times[end] - start, 3)
        found["total"] = round(time.monotonic() - self.started, 3)
        return found

    def _print(self, line: str) -> None:
        if self.quiet:
            return
        self._clear()
        self.stream.write(f"{self.prefix}: {line}\n")
        self.stream.flush()

    def _clear(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._drawn = False

    def _redraw(self) -> None:
        tick = 0
        while not self._stop.wait(0.1):
            tick += 1
            with self._lock:
                width = shutil.get_terminal_size((80, 24)).columns - 1
                elapsed = time.monotonic() - self._since
                text = (f"{_SPINNER[tick % len(_SPINNER)]} {self._activity} "
                        f"{elapsed:5.1f} s")
                if self._detail:
                    text += f"  {self._detail}"
                self.stream.write("\r\x1b[2K" + text[:width])
                self.stream.flush()
                self._drawn = True


def _activity(line: str) -> str:
    """What is going on after the stage line `line`, for the live line."""
    if line.startswith("freezing "):
        return line.split(";", 1)[0]
    if line.startswith("froze "):
        return "verifying: running the executable's self-test"
    if line.startswith("checked "):
        return "preparing the entry script"
    return "working"
