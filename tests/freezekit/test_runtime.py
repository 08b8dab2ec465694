"""freezekit.runtime: what a shipped program runs carries nothing of freezekit's build side."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

RUNTIME = ("freezekit.runtime.appcheck", "freezekit.runtime.selftest")


@pytest.mark.parametrize("module", RUNTIME)
def test_a_runtime_module_imports_no_build_side_module(module: str) -> None:
    # In a fresh interpreter: what importing it (as the entry script does) loads of freezekit.
    probe = (f"import json, sys, {module}; print(json.dumps("
             "sorted(m for m in sys.modules if m.partition('.')[0] == 'freezekit')))")
    names = json.loads(subprocess.run([sys.executable, "-c", probe], capture_output=True,
                                      text=True, check=True, timeout=60).stdout)
    outside = [name for name in names
               if name != "freezekit" and not name.startswith("freezekit.runtime")]
    assert outside == [], f"{module} pulls the build side into shipped programs: {outside}"
    assert module in names


def test_every_backend_bundles_every_runtime_module(tmp_path) -> None:
    from freezekit.backends import BuildSpec, get_backend

    spec = BuildSpec(name="app", entry_script=tmp_path / "entry.py", app_module="app",
                     module_paths=[tmp_path], distpath=tmp_path / "dist",
                     workpath=tmp_path / "build")
    pyinstaller = get_backend("pyinstaller").command(spec)
    assert [module for module in RUNTIME if module in pyinstaller] == list(RUNTIME)
    cx_freeze = get_backend("cx_freeze").options(spec)["build_exe"]["includes"]
    assert [module for module in RUNTIME if module in cx_freeze] == list(RUNTIME)
