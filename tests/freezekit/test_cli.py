"""The command line: output format, exit codes and error messages, as a CI would see them."""

import json
import subprocess
import sys

import pytest

from freezekit.cli import main

BAD = "import multiprocessing as mp\np = mp.Pool()\n"
GOOD = "import multiprocessing as mp\nif __name__ == '__main__':\n    mp.freeze_support()\n"


@pytest.fixture
def app(tmp_path):
    path = tmp_path / "app.py"
    path.write_text(BAD)
    return path


def test_check_prints_findings_and_a_summary_and_exits_1(app, capsys):
    assert main(["check", str(app)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{app}:2:5: FK001 multiprocessing.Pool() runs at import time")
    assert lines[-1] == "Found 1 finding (1 error, 0 warnings) in 1 file."


def test_check_clean_file_exits_0(app, capsys):
    app.write_text(GOOD)
    assert main(["check", str(app)]) == 0
    assert capsys.readouterr().out == "No findings (1 file checked).\n"


def test_check_json(app, capsys):
    assert main(["check", "--json", str(app)]) == 1
    [finding] = json.loads(capsys.readouterr().out)
    assert finding | {"message": "", "url": ""} == {
        "path": str(app), "line": 2, "col": 5, "code": "FK001", "message": "",
        "severity": "error", "rule": "process-outside-main-guard", "url": ""}


def test_select_and_ignore(app, capsys):
    assert main(["check", "--ignore", "FK001", str(app)]) == 0
    assert main(["check", "--select", "fk002,FK003", str(app)]) == 0
    assert main(["check", "--select", "FK001", str(app)]) == 1


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_unknown_codes_are_a_usage_error(app, capsys, option):
    assert main(["check", option, "FK999", str(app)]) == 2
    assert "unknown code(s) FK999" in capsys.readouterr().err


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ("def f(:\n", ":1:7: cannot parse"),
    (b"x = '\xff'\n", "cannot decode"),
])
def test_bad_input_exits_2_naming_the_file(app, capsys, content, message):
    if content is None:
        app.unlink()
    elif isinstance(content, bytes):
        app.write_bytes(content)
    else:
        app.write_text(content)
    for command in ("check", "fix"):
        assert main([command, str(app)]) == 2
        err = capsys.readouterr().err
        assert str(app) in err and message in err
    assert not app.exists() or app.read_bytes() == (
        content if isinstance(content, bytes) else content.encode())


def test_a_directory_is_searched(tmp_path, capsys):
    assert main(["check", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "No findings (0 files checked).\n"
    (tmp_path / "app.py").write_text(BAD)
    assert main(["check", str(tmp_path)]) == 1


def test_fix_writes_then_has_nothing_to_do(app, capsys):
    assert main(["fix", str(app)]) == 0
    assert capsys.readouterr().out.startswith(f"Fixed {app}: moved 1 statement")
    assert main(["fix", str(app)]) == 0
    assert capsys.readouterr().out == f"Nothing to fix in {app}.\n"
    assert main(["check", str(app)]) == 0


def test_fix_diff_prints_and_writes_nothing(app, capsys):
    assert main(["fix", "--diff", str(app)]) == 1
    assert "+    p = mp.Pool()" in capsys.readouterr().out
    assert app.read_text() == BAD


def test_fix_refusal_exits_1_with_the_reason(app, capsys):
    app.write_text("import multiprocessing as mp\nclass C:\n    pool = mp.Pool()\n")
    assert main(["fix", str(app)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"freezekit fix: cannot fix {app}: line 3: the body of class C")
    assert err.endswith("; the file is unchanged\n")


def test_module_entry_point_and_no_command():
    proc = subprocess.run([sys.executable, "-m", "freezekit", "check", "--help"],
                          check=False, capture_output=True, text=True)
    assert proc.returncode == 0 and "FK001" in proc.stdout
    assert main([]) == 2
