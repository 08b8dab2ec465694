"""The command line as people wire it into a project: several paths, stdin, output formats,
# noqa, rule pages, fix --diff, configuration in pyproject.toml and option parsing."""

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from freezekit.analysis import RULES
from freezekit.analysis.files import discover
from freezekit.cli import main

BAD = "import multiprocessing as mp\np = mp.Pool()\n"
WARN_ONLY = ("import multiprocessing as mp\n\ndef main():\n    mp.Pool()\n\n"
             "if __name__ == '__main__':\n    main()\n")
GOOD = "import multiprocessing as mp\nif __name__ == '__main__':\n    mp.freeze_support()\n"
LAMBDA = "import multiprocessing as mp\nmp.Process(target=lambda: 0).start()\n"


def write(root: Path, files: dict) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def run(argv, capsys, stdin=None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


# Paths ------------------------------------------------------------------------------------

def test_folders_are_searched_skipping_venvs_build_dist_and_caches(tmp_path, monkeypatch):
    write(tmp_path, {"app.py": BAD, "pkg/mod.py": GOOD, "pkg/notes.txt": BAD,
                     "build/gen.py": BAD, "dist/x.py": BAD, "node_modules/y.py": BAD,
                     "myenv/pyvenv.cfg": "home = /usr\n", "myenv/lib/site.py": BAD,
                     "x.egg-info/z.py": BAD, "__pycache__/c.py": BAD})
    monkeypatch.chdir(tmp_path)
    assert discover(["."]) == [str(Path(".", "app.py")), str(Path(".", "pkg", "mod.py"))]


def test_gitignore_outside_git_is_read(tmp_path, monkeypatch):
    write(tmp_path, {".gitignore": "# generated\n/gen/\n*_pb2.py\n!keep_pb2.py\nsub/**/deep.py\n",
                     "app.py": GOOD, "gen/a.py": BAD, "other/gen/b.py": GOOD,
                     "api_pb2.py": BAD, "keep_pb2.py": GOOD, "sub/x/y/deep.py": BAD,
                     "sub/x/ok.py": GOOD})
    monkeypatch.chdir(tmp_path)
    found = {Path(p).as_posix() for p in discover(["."])}
    assert found == {"app.py", "other/gen/b.py", "keep_pb2.py", "sub/x/ok.py"}


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_gitignore_inside_git_asks_git(tmp_path, monkeypatch):
    write(tmp_path, {".gitignore": "generated/\nscratch.py\n", "app.py": GOOD,
                     "generated/a.py": BAD, "scratch.py": BAD, "lib/b.py": GOOD,
                     "lib/.gitignore": "local.py\n", "lib/local.py": BAD})
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.chdir(tmp_path)
    assert {Path(p).as_posix() for p in discover(["."])} == {"app.py", "lib/b.py"}


def test_a_file_named_explicitly_is_checked_even_if_ignored(tmp_path, monkeypatch, capsys):
    write(tmp_path, {".gitignore": "scratch.py\n", "scratch.py": BAD})
    monkeypatch.chdir(tmp_path)
    assert main(["check", "scratch.py"]) == 1
    assert main(["check", "."]) == 0
    assert capsys.readouterr().out.endswith("No findings (0 files checked).\n")


def test_check_several_files_and_folders_with_one_summary(tmp_path, capsys):
    write(tmp_path, {"a.py": BAD, "pkg/b.py": BAD, "pkg/c.py": GOOD})
    status, out, _ = run(["check", str(tmp_path / "a.py"), str(tmp_path / "pkg")], capsys)
    assert status == 1
    assert out.count("FK001") == 2
    assert out.splitlines()[-1] == "Found 2 findings (2 errors, 0 warnings) in 3 files."


def test_missing_path_is_an_input_error(tmp_path, capsys):
    status, out, err = run(["check", str(tmp_path / "nope")], capsys)
    assert status == 2 and out == ""
    assert err == (f"freezekit check: error: {tmp_path / 'nope'}: no such file or folder; "
                   "give Python files, folders or - for standard input\n")


def test_check_reads_stdin(capsys, monkeypatch):
    status, out, _ = run(["check", "-"], capsys, BAD, monkeypatch)
    assert status == 1 and out.startswith("-:2:5: FK001 ")
    status, out, _ = run(["check", "--stdin-filename", "app.py", "-"], capsys, BAD, monkeypatch)
    assert out.startswith("app.py:2:5: FK001 ")


def test_fix_reads_stdin_and_writes_the_module_to_stdout(capsys, monkeypatch):
    status, out, err = run(["fix", "-"], capsys, BAD, monkeypatch)
    assert status == 0
    assert out == ('import multiprocessing as mp\nif __name__ == "__main__":\n'
                   "    mp.freeze_support()\n    p = mp.Pool()\n")
    assert err.startswith("Fixed -: moved 1 statement")
    status, out, err = run(["fix", "--diff", "-"], capsys, BAD, monkeypatch)
    assert status == 1 and out.startswith("--- -\n+++ -\n")


# Silencing findings with comments -------------------------------------------------------

@pytest.mark.parametrize("comment, left", [
    ("# noqa: FK001", []),
    ("# noqa", []),
    ("# NOQA:FK001,FK005", []),
    ("# noqa: FK004", ["FK001"]),
    ("# a comment", ["FK001"]),
])
def test_noqa_silences_the_codes_it_names_on_its_line(comment, left, tmp_path, capsys):
    app = tmp_path / "app.py"
    app.write_text(f"import multiprocessing as mp\np = mp.Pool()  {comment}\n")
    status, out, _ = run(["check", "--json", str(app)], capsys)
    assert [f["code"] for f in json.loads(out)] == left
    assert status == (1 if left else 0)


def test_noqa_in_a_string_is_not_a_comment(tmp_path, capsys):
    app = tmp_path / "app.py"
    app.write_text('import multiprocessing as mp\np = mp.Pool("# noqa")\n')
    assert run(["check", str(app)], capsys)[0] == 1


def test_fix_leaves_a_silenced_statement_where_it_is(tmp_path, capsys):
    app = tmp_path / "app.py"
    app.write_text("import multiprocessing as mp\np = mp.Pool()  # noqa: FK001\n")
    assert run(["fix", str(app)], capsys)[0] == 0
    assert app.read_text() == "import multiprocessing as mp\np = mp.Pool()  # noqa: FK001\n"


# Output formats -----------------------------------------------------------------------------

def test_json_findings_carry_the_rule_name_and_link(tmp_path, capsys):
    app = tmp_path / "app.py"
    app.write_text(BAD)
    [finding] = json.loads(run(["check", "--output-format", "json", str(app)], capsys)[1])
    assert finding["rule"] == "process-outside-main-guard"
    assert finding["url"] == RULES["FK001"].url and finding["url"].endswith("/FK001.md")


def test_github_annotations(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("a,b.py").write_text(BAD + "mp.set_start_method('spawn')\n")
    status, out, _ = run(["check", "--output-format", "github", "a,b.py"], capsys)
    first, second = out.splitlines()
    assert status == 1
    assert first.startswith("::error file=a%2Cb.py,line=2,col=5,"
                            "title=FK001 process-outside-main-guard::multiprocessing.Pool()")
    assert second.startswith("::error file=a%2Cb.py,line=3,col=1,title=FK006 ")


def test_github_warning_level(tmp_path, capsys):
    app = tmp_path / "app.py"
    app.write_text(WARN_ONLY)
    assert run(["check", "--output-format", "github", str(app)], capsys)[1].startswith(
        "::warning file=")


def test_sarif_is_a_valid_2_1_0_log(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"src/app.py": BAD, "warn.py": WARN_ONLY})
    status, out, _ = run(["check", "--output-format", "sarif", "src", "warn.py"], capsys)
    assert status == 1
    log = json.loads(out)
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    [run_] = log["runs"]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "freezekit" and driver["version"]
    assert [r["id"] for r in driver["rules"]] == list(RULES)
    for rule in driver["rules"]:
        assert rule["helpUri"] == RULES[rule["id"]].url
        assert rule["shortDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning")
    results = run_["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [("FK001", "error"),
                                                            ("FK003", "warning")]
    for result in results:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"]
        [location] = result["locations"]
        region = location["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "src/app.py"


def test_no_findings_in_every_format(tmp_path, capsys):
    app = tmp_path / "app.py"
    app.write_text(GOOD)
    assert run(["check", "--output-format", "json", str(app)], capsys)[1] == "[]\n"
    assert run(["check", "--output-format", "github", str(app)], capsys)[1] == ""
    assert json.loads(run(["check", "--output-format", "sarif", str(app)], capsys)[1])[
        "runs"][0]["results"] == []


# Exit status of warnings --------------------------------------------------------------------

def test_warnings_alone_exit_0_unless_fail_on_warning(tmp_path, capsys):
    app = tmp_path / "app.py"
    app.write_text(WARN_ONLY)
    status, out, _ = run(["check", str(app)], capsys)
    assert status == 0 and "FK003" in out
    assert out.splitlines()[-1] == "Found 1 finding (0 errors, 1 warning) in 1 file."
    assert run(["check", "--fail-on", "warning", str(app)], capsys)[0] == 1


# Rule pages ---------------------------------------------------------------------------------

@pytest.mark.parametrize("code", list(RULES))
def test_rule_prints_the_page(code, capsys):
    status, out, _ = run(["rule", code.lower()], capsys)
    assert status == 0 and out.startswith(f"# {code}: ")
    assert out == (Path(__file__).parents[2] / "docs" / "rules" / f"{code}.md").read_text()


def test_rule_without_a_code_lists_the_rules_and_unknown_code_exits_2(capsys):
    status, out, _ = run(["rule"], capsys)
    assert status == 0 and len(out.splitlines()) == len(RULES)
    status, out, err = run(["rule", "FK999"], capsys)
    assert status == 2 and out == ""
    assert err.startswith("freezekit rule: error: FK999: unknown rule; known codes: FK001")


def test_check_help_lists_the_rules_one_per_line(capsys):
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    out = capsys.readouterr().out
    for rule in RULES.values():
        [line] = [x for x in out.splitlines() if x.strip().startswith(rule.code)]
        assert rule.name in line and rule.severity in line


# fix ----------------------------------------------------------------------------------------

def test_fix_diff_exits_1_with_a_diff_and_0_without(tmp_path, capsys):
    app = tmp_path / "app.py"
    app.write_text(BAD)
    status, out, _ = run(["fix", "--diff", str(app)], capsys)
    assert status == 1 and "+if __name__" in out and app.read_text() == BAD
    app.write_text(GOOD)
    assert run(["fix", "--diff", str(app)], capsys) == (0, "", f"Nothing to fix in {app}.\n")


def test_fix_repairs_what_it_can_and_exits_1_for_the_rest(tmp_path, capsys):
    app = tmp_path / "app.py"
    app.write_text(LAMBDA)
    status, out, err = run(["fix", str(app)], capsys)
    assert status == 1 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith(f"Fixed {app}: moved 1 statement")
    assert lines[1].startswith(f"{app}:4:23: FK004") and " FK004 a lambda" in lines[1]
    assert lines[2] == (f"{app}: 1 error left that fix cannot repair; `freezekit rule FK004` "
                        "says how to fix it by hand")
    assert "if __name__" in app.read_text()


def test_fix_several_files_reports_each(tmp_path, capsys):
    write(tmp_path, {"a.py": BAD, "b.py": GOOD, "c.py": "import multiprocessing as mp\n"
                     "class C:\n    pool = mp.Pool()\n"})
    status, out, err = run(["fix", str(tmp_path)], capsys)
    assert status == 1
    assert f"Fixed {tmp_path / 'a.py'}" in out and f"Nothing to fix in {tmp_path / 'b.py'}" in out
    assert err.startswith(f"freezekit fix: cannot fix {tmp_path / 'c.py'}: line 3")


# Option parsing and error style -------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["build", "--onefil", "app.py"],
    ["check", "--out", "json", "."],
    ["fix", "--dif", "app.py"],
])
def test_abbreviated_long_options_are_refused(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"freezekit {argv[0]}: error: unrecognized arguments: {argv[1]}" in err


def test_every_subcommand_writes_errors_the_same_way(tmp_path, capsys):
    missing = tmp_path / "missing.py"
    for command in ("check", "fix", "build"):
        status, _out, err = run([command, str(missing)], capsys)
        assert status == 2, command
        assert err.startswith(f"freezekit {command}: error: {missing}: no such file"), err


# Configuration ------------------------------------------------------------------------------

def test_config_select_and_ignore_and_cli_override(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"pyproject.toml": '[tool.freezekit]\nignore = ["FK001"]\n',
                     "app.py": BAD + "mp.set_start_method('spawn')\n"})
    status, out, _ = run(["check", "--json", "app.py"], capsys)
    assert status == 1
    assert [f["code"] for f in json.loads(out)] == ["FK006"]
    _, out, _ = run(["check", "--json", "--ignore", "FK006", "app.py"], capsys)
    assert [f["code"] for f in json.loads(out)] == ["FK001"]
    Path("pyproject.toml").write_text('[tool.freezekit]\nselect = ["FK001"]\n')
    _status, out, _ = run(["check", "--json", "app.py"], capsys)
    assert [f["code"] for f in json.loads(out)] == ["FK001"]


def test_config_is_found_in_a_parent_folder(tmp_path, capsys, monkeypatch):
    write(tmp_path, {"pyproject.toml": '[tool.freezekit]\nignore = ["FK001"]\n',
                     "sub/app.py": BAD})
    monkeypatch.chdir(tmp_path / "sub")
    assert run(["check", "app.py"], capsys)[0] == 0


@pytest.mark.parametrize("toml, message", [
    ('[tool.freezekit]\nselct = ["FK001"]\n',
     ("[tool.freezekit]: unknown key 'selct'; did you mean 'select'? known keys: "
     "select, ignore, build")),
    ('[tool.freezekit.build]\nhidden-import = ["x"]\n',
     "[tool.freezekit.build]: unknown key 'hidden-import'; did you mean 'hidden-imports'?"),
    ('[tool.freezekit.build]\nonefile = "yes"\n',
     "[tool.freezekit.build] onefile: expected true or false, got 'yes'"),
    ('[tool.freezekit]\nignore = "FK001"\n',
     "[tool.freezekit] ignore: expected a list of strings, got 'FK001'"),
    ('[tool.freezekit]\nignore = ["FK999"]\n', "ignore: unknown code(s) FK999"),
    ("[tool.freezekit\n", "pyproject.toml: not valid TOML"),
])
def test_config_errors_name_the_key_and_exit_2(toml, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"pyproject.toml": toml, "app.py": BAD})
    for argv in (["check", "app.py"], ["build", "--json"]):
        status, out, err = run(argv, capsys)
        assert status == 2 and out == ""
        assert err.startswith(f"freezekit {argv[0]}: error: ") and message in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.py", "pyproject.toml"]


def test_build_without_an_app_and_without_config_says_what_to_do(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, _, err = run(["build"], capsys)
    assert status == 2
    assert err == ("freezekit build: error: no app to build: no pyproject.toml with "
                   "[tool.freezekit.build] script was found; give APP.py or declare "
                   'script = "app.py" there\n')


def test_build_options_come_from_the_config_and_the_cli_overrides(tmp_path, monkeypatch):
    from freezekit import cli

    write(tmp_path, {"pyproject.toml": (
        '[tool.freezekit.build]\nscript = "src/app.py"\nname = "tool"\nonefile = true\n'
        'windowed = true\nicon = "app.ico"\nadd-data = ["assets:assets"]\n'
        'hidden-imports = ["plugins.x"]\nfreezer-args = ["--noupx"]\n'
        'backend = "cx_freeze"\ndistpath = "out"\n'), "src/app.py": GOOD})
    monkeypatch.chdir(tmp_path)
    parser = cli.build_parser()
    config = cli.load_config(tmp_path / "pyproject.toml")

    def options(*argv, passthrough=()):
        args = parser.parse_args(["build", *argv])
        args.passthrough = list(passthrough)
        return cli._build_options(args, config)

    base = options()
    assert (base.app, base.name, base.onefile, base.windowed, base.icon, base.backend) == (
        str(Path("src", "app.py")), "tool", True, True, "app.ico", "cx_freeze")
    assert (base.data, base.hidden_imports, base.extra_args, base.distpath) == (
        ["assets:assets"], ["plugins.x"], ["--noupx"], "out")
    over = options("other.py", "--no-onefile", "--no-windowed", "--name", "x",
                   "--hidden-import", "y", "--backend", "pyinstaller", passthrough=["--clean"])
    assert (over.app, over.onefile, over.windowed, over.name, over.hidden_imports,
            over.backend, over.extra_args) == (
        "other.py", False, False, "x", ["y"], "pyinstaller", ["--clean"])


def test_config_paths_are_relative_to_the_pyproject_folder(tmp_path, monkeypatch):
    from freezekit.config import load_config

    write(tmp_path, {"proj/pyproject.toml": '[tool.freezekit.build]\nscript = "app.py"\n'
                     'add-data = ["data:data"]\n'})
    monkeypatch.chdir(tmp_path)
    config = load_config(tmp_path / "proj" / "pyproject.toml")
    assert config.build.script == str(Path("proj", "app.py"))
    assert config.build.add_data == [f"{Path('proj', 'data')}:data"]


def test_explicit_config_that_does_not_exist(tmp_path, capsys):
    status, _, err = run(["check", "--config", str(tmp_path / "x.toml"), "."], capsys)
    assert status == 2 and err.startswith("freezekit check: error: --config ")


def test_fix_over_a_folder_leaves_modules_the_others_import_alone(tmp_path, capsys):
    write(tmp_path, {"app.py": "import helpers\nhelpers.POOL.map(abs, [1])\n",
                     "helpers.py": BAD.replace("p =", "POOL =")})
    status, out, err = run(["fix", str(tmp_path)], capsys)
    assert status == 1
    assert err == (f"freezekit fix: cannot fix {tmp_path / 'helpers.py'}: {tmp_path / 'app.py'} "
                   "imports it (line 1), so its import-time code cannot go under a main guard, "
                   "where importers would not find it; move the process start into a function "
                   "that the app's main guard calls; the file is unchanged\n")
    assert (tmp_path / "helpers.py").read_text() == BAD.replace("p =", "POOL =")
    assert f"{tmp_path / 'app.py'}:1:1: FK001 importing helpers" in out


def test_an_unknown_backend_in_the_config_names_the_file_and_key(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"pyproject.toml": '[tool.freezekit.build]\nscript = "app.py"\n'
                     'backend = "nuitka2"\n', "app.py": GOOD})
    status, _, err = run(["build"], capsys)
    assert status == 2
    assert err.startswith(f"freezekit build: error: {tmp_path / 'pyproject.toml'}: "
                          "[tool.freezekit.build] backend: unknown backend 'nuitka2'; choose ")


def test_both_packages_ship_py_typed_and_the_rule_pages_are_package_data():
    from freezekit.config import _toml

    root = Path(__file__).resolve().parents[2]
    setup = _toml().loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    for package in ("processing", "freezekit"):
        assert (root / package / "py.typed").is_file()
        assert "py.typed" in setup["package-data"][package]
    assert setup["package-dir"]["freezekit.rules"] == "docs/rules"
    assert "freezekit.rules" in setup["packages"] and setup["package-data"]["freezekit.rules"]
