"""freezekit build with PyInstaller: child start inside the program and build time, as ratios.

Child start: a spawn child's start+join inside the onedir program built by freezekit against
the same app run by plain ``python`` (target: at most 1.1; PyInstaller's own handling of
stdlib spawn children measured 1.7 here). Build: ``freezekit build`` (check, entry script,
PyInstaller, self-test) against a plain ``pyinstaller`` build of the same app, each from an
empty work folder (target: at most 1.15).

    python3 benchmarks/bench_frozen.py [--quick] [--json PATH]

or as part of ``benchmarks/run.py``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from harness import Timer, compare

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from freezekit.guard import run_guarded

APP = textwrap.dedent('''\
    import multiprocessing
    import statistics
    import sys
    import time

    import processing


    def noop():
        pass


    if __name__ == "__main__":
        ctx = (multiprocessing if sys.argv[2] == "stdlib" else processing).get_context("spawn")
        times = []
        for _ in range(int(sys.argv[1])):
            start = time.perf_counter()
            p = ctx.Process(target=noop)
            p.start()
            p.join(30)
            times.append(time.perf_counter() - start)
        print(statistics.median(times) * 1000)
    ''')


def _child_ms(cmd: list[str], children: int, library: str) -> float:
    """Median start+join of ``children`` spawn children, as the app itself measures it."""
    got = run_guarded([*cmd, str(children), library], timeout=120, max_procs=20)
    if got.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {got.stderr[-2000:]}")
    return float(got.stdout.split()[-1])


def _build_s(cmd: list[str], cwd: Path, work: Path) -> float:
    """Seconds one build takes from an empty work folder; a failed build stops the run."""
    shutil.rmtree(work, ignore_errors=True)
    with Timer() as t:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600,
                              check=False)
    if done.returncode != 0:
        raise RuntimeError(f"build failed: {done.stdout[-1000:]}{done.stderr[-2000:]}")
    return t.elapsed


def run(quick: bool) -> list[dict]:
    """The PyInstaller rows for ``run.py``; none when PyInstaller is not installed."""
    if importlib.util.find_spec("PyInstaller") is None:
        return []
    rounds = 3 if quick else 7
    children = 5 if quick else 15
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        app = tmp_path / "startapp.py"
        app.write_text(APP)
        ours = [sys.executable, "-m", "freezekit", "build", str(app), "-q",
                "--distpath", str(tmp_path / "dist"), "--workpath", str(tmp_path / "work")]
        # --paths as freezekit passes it, so that both find processing in an editable install.
        plain = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                 "--paths", str(ROOT), "--name", "plainapp", "--distpath",
                 str(tmp_path / "plain"), "--workpath", str(tmp_path / "plainwork"),
                 "--specpath", str(tmp_path), str(app)]
        build = compare("PyInstaller build, freezekit vs plain pyinstaller",
                        lambda: _build_s(ours, tmp_path, tmp_path / "work"),
                        lambda: _build_s(plain, tmp_path, tmp_path / "plainwork"),
                        rounds=rounds, unit="s", target="<= 1.15", warmup=0)
        exe = tmp_path / "dist" / "startapp" / ("startapp.exe" if os.name == "nt" else "startapp")
        plain_exe = tmp_path / "plain" / "plainapp" / exe.name.replace("startapp", "plainapp")
        rows = [build]
        for library in ("processing", "stdlib"):
            rows.append(compare(
                f"spawn start+join ({library}), freezekit PyInstaller program vs python",
                lambda lib=library: _child_ms([str(exe)], children, lib),
                lambda lib=library: _child_ms([sys.executable, str(app)], children, lib),
                rounds=rounds, unit="ms", target="<= 1.1"))
        rows.append(compare(
            "spawn start+join (stdlib), plain pyinstaller program with our hook vs python",
            lambda: _child_ms([str(plain_exe)], children, "stdlib"),
            lambda: _child_ms([sys.executable, str(app)], children, "stdlib"),
            rounds=rounds, unit="ms", target="<= 1.1"))
    return [r for r in rows if r is not None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and children")
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    args = parser.parse_args()
    rows = run(args.quick)
    for r in rows:
        print(f"{r['scenario']}: {r['processing']:.3g} vs {r['stdlib']:.3g} {r['unit']}, "
              f"ratio {r['ratio']:.2f} (target {r['target']}: "
              f"{'met' if r['met'] else 'NOT met'})")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
