"""The corpus: real-looking apps, their golden findings, their fixed versions, and proof that
the fixed versions run under spawn and print what the originals meant to print."""

import sys
from pathlib import Path

import pytest

from freezekit.analysis import ERROR, analyse_source
from freezekit.guard import run_guarded
from freezekit.rewrite import FixRefused, fix_source

CORPUS = Path(__file__).parent / "corpus"
APPS = sorted(p for p in CORPUS.glob("*.py") if not p.name.endswith(".fixed.py"))
FIXED = [p for p in APPS if p.with_name(f"{p.stem}.fixed.py").exists()]
SPAWN_RUNNER = (
    "import multiprocessing as m, runpy, sys; m.set_start_method('spawn', force=True); "
    "runpy.run_path(sys.argv[1], run_name='__main__')"
)


def fixed_path(app: Path) -> Path:
    return app.with_name(f"{app.stem}.fixed.py")


@pytest.mark.parametrize("app", APPS, ids=lambda p: p.stem)
def test_findings_match_the_golden_file(app):
    findings = analyse_source(app.read_text(), app.name)
    assert "".join(f"{f.format()}\n" for f in findings) == app.with_suffix(".expected").read_text()


@pytest.mark.parametrize("app", APPS, ids=lambda p: p.stem)
def test_fix_matches_the_fixed_version_or_refuses(app):
    refused = app.with_suffix(".refused")
    if refused.exists():
        with pytest.raises(FixRefused) as info:
            fix_source(app.read_text(), app.name)
        assert f"{info.value}\n" == refused.read_text()
    else:
        assert fix_source(app.read_text(), app.name)[0] == fixed_path(app).read_text()


@pytest.mark.parametrize("app", FIXED, ids=lambda p: p.stem)
def test_fixed_version_is_clean_and_stable(app):
    text = fixed_path(app).read_text()
    assert [f for f in analyse_source(text) if f.severity == ERROR] == []
    assert fix_source(text) == (text, [])


@pytest.mark.guarded
@pytest.mark.parametrize("app", FIXED, ids=lambda p: p.stem)
def test_fixed_version_runs_under_spawn(app):
    if "processing" in app.read_text():
        pytest.importorskip("processing")
    root = Path(__file__).resolve().parents[2]
    result = run_guarded([sys.executable, "-c", SPAWN_RUNNER, str(fixed_path(app))],
                         timeout=60, max_procs=20, cwd=root)
    assert not result.bomb_stopped
    assert result.returncode == 0, result.stderr
    assert result.stdout == app.with_suffix(".stdout").read_text()
