"""The corpus: real-looking apps, their golden findings, their fixed versions, and proof that
the fixed versions run under spawn and print what the originals meant to print."""

import re
import sys
from pathlib import Path

import pytest

from freezekit.analysis import ERROR, analyse_source
from freezekit.guard import run_guarded
from freezekit.rewrite import FixRefused, repair_source

CORPUS = Path(__file__).parent / "corpus"
APPS = sorted(p for p in CORPUS.glob("*.py") if not p.name.endswith(".fixed.py"))
FIXED = [p for p in APPS if p.with_name(f"{p.stem}.fixed.py").exists()]
# Apps whose fix leaves errors it cannot repair (listed in APP.unfixed): they are not run.
CLEAN = [p for p in FIXED if not p.with_suffix(".unfixed").exists()]
SPAWN_RUNNER = (
    "import multiprocessing as m, os, runpy, sys; m.set_start_method('spawn', force=True); "
    "sys.path.insert(0, os.path.dirname(sys.argv[1])); "
    "runpy.run_path(sys.argv[1], run_name='__main__')"
)
OPTIONAL = ("processing", "multiprocess", "loky", "joblib")


def fixed_path(app: Path) -> Path:
    return app.with_name(f"{app.stem}.fixed.py")


def formatted(findings):
    return "".join(f"{f.format()}\n" for f in findings)


@pytest.mark.parametrize("app", APPS, ids=lambda p: p.stem)
def test_findings_match_the_golden_file(app):
    findings = analyse_source(app.read_text(), app.name, CORPUS)
    assert formatted(findings) == app.with_suffix(".expected").read_text()


@pytest.mark.parametrize("app", APPS, ids=lambda p: p.stem)
def test_fix_matches_the_fixed_version_or_refuses(app):
    refused = app.with_suffix(".refused")
    if refused.exists():
        with pytest.raises(FixRefused) as info:
            repair_source(app.read_text(), app.name, CORPUS)
        assert f"{info.value}\n" == refused.read_text()
    else:
        repair = repair_source(app.read_text(), app.name, CORPUS)
        assert repair.text == fixed_path(app).read_text()
        unfixed = app.with_suffix(".unfixed")
        assert formatted(repair.unfixed) == (unfixed.read_text() if unfixed.exists() else "")


@pytest.mark.parametrize("app", FIXED, ids=lambda p: p.stem)
def test_fixed_version_is_stable_and_clean_but_for_what_fix_cannot_repair(app):
    text = fixed_path(app).read_text()
    errors = [f for f in analyse_source(text, app.name, CORPUS) if f.severity == ERROR]
    unfixed = app.with_suffix(".unfixed")
    assert formatted(errors) == (unfixed.read_text() if unfixed.exists() else "")
    repair = repair_source(text, app.name, CORPUS)
    assert (repair.text, repair.actions) == (text, [])


@pytest.mark.guarded
@pytest.mark.parametrize("app", CLEAN, ids=lambda p: p.stem)
def test_fixed_version_runs_under_spawn(app):
    text = app.read_text()
    for lib in OPTIONAL:
        if re.search(rf"^\s*(import|from) {lib}\b", text, re.MULTILINE):
            pytest.importorskip(lib)
    root = Path(__file__).resolve().parents[2]
    result = run_guarded([sys.executable, "-c", SPAWN_RUNNER, str(fixed_path(app))],
                         timeout=60, max_procs=20, cwd=root)
    assert not result.bomb_stopped
    assert result.returncode == 0, result.stderr
    assert result.stdout == app.with_suffix(".stdout").read_text()
