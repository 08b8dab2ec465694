"""freezekit build with cx_Freeze: child start inside the program and build time, as ratios.

The same app and measures as bench_frozen (PyInstaller). Child start: a spawn child's
start+join inside the program against plain ``python`` (target: at most 1.1). Build:
``freezekit build --backend cx_freeze`` against a plain ``cxfreeze`` build of the same app
(target: at most 1.15), once without and once with the self-test, which starts two spawn
children in the program: about 0.4 s, a third of a 1.3 s cx_Freeze build.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from pathlib import Path

from bench_frozen import APP, _build_s, _child_ms
from harness import compare


def run(quick: bool) -> list[dict]:
    """The cx_Freeze rows for ``run.py``; none when cx_Freeze is not installed."""
    if importlib.util.find_spec("cx_Freeze") is None:
        return []
    rounds = 3 if quick else 7
    children = 5 if quick else 15
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        app = tmp_path / "startapp.py"
        app.write_text(APP)
        dist, work, plain_dist = tmp_path / "dist", tmp_path / "work", tmp_path / "plain"
        ours = [sys.executable, "-m", "freezekit", "build", str(app), "-q", "--backend",
                "cx_freeze", "--distpath", str(dist), "--workpath", str(work)]
        plain = [sys.executable, "-m", "cx_Freeze", "--script", str(app), "--target-dir",
                 str(plain_dist), "build_exe", "--silent"]
        rows = [compare(f"cx_Freeze build{label}, freezekit vs plain cxfreeze",
                        lambda extra=extra: _build_s([*ours, *extra], tmp_path, dist),
                        lambda: _build_s(plain, tmp_path, plain_dist),
                        rounds=rounds, unit="s", target="<= 1.15", warmup=0)
                for label, extra in ((" (no self-test)", ["--no-smoke"]),
                                     (" with self-test", []))]
        exe = dist / "startapp" / ("startapp.exe" if os.name == "nt" else "startapp")
        for library in ("processing", "stdlib"):
            rows.append(compare(
                f"spawn start+join ({library}), freezekit cx_Freeze program vs python",
                lambda library=library: _child_ms([str(exe)], children, library),
                lambda library=library: _child_ms([sys.executable, str(app)], children,
                                                  library),
                rounds=rounds, unit="ms", target="<= 1.1"))
    return [r for r in rows if r is not None]
