"""``fix`` splits lines as Python's tokenizer does (issue 13, item 3).

Form feed, vertical tab, U+2028/U+2029, U+0085 and friends are line breaks to
``str.splitlines`` but not to Python; CR, CRLF and LF all are. Random insertions of them in
comments, strings and blank lines, with random line endings: the fixed file compiles,
``check`` finds nothing in it, it is exactly the module fix meant to write, and the program
runs under spawn (in the process-count guard).
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from freezekit.analysis import analyse_source
from freezekit.analysis.lines import indent_line, indentation, split_lines
from freezekit.guard import run_guarded
from freezekit.rewrite import fix_source

ODD = ["\f", "\v", "\u2028", "\u2029", "\x85", "\x1c", "\t", " "]
ENDINGS = ["\n", "\r\n", "\r"]

# {c}: inside a comment; {s}: inside a string; {b}: a blank line's whitespace. The program
# starts a child under spawn at import time: unfixed, every child would start another.
TEMPLATE = [
    "import multiprocessing as mp  # imports{c}",
    "{b}",
    "# a comment{c}",
    'TEXT = "a{s}b"  # a string{c}',
    'DOC = """first{s}',
    'second{s}"""',
    "{b}",
    "{b}",
    "def work(q):  # the child{c}",
    "    # inside the function{c}",
    "{b}",
    "    q.put(TEXT + DOC)",
    "{b}",
    "{b}",
    'ctx = mp.get_context("spawn")',
    "q = ctx.Queue()  # a queue{c}",
    "p = ctx.Process(target=work, args=(q,))",
    "p.start()  # the child{c}",
    "{b}",
    "print(q.get(timeout=60) == TEXT + DOC)  # {s}",
    "p.join(60)  #{c}",
]


@st.composite
def programs(draw: st.DrawFn) -> str:
    lines = []
    for line in TEMPLATE:
        filled = line
        for slot, alphabet in (("{c}", ODD), ("{s}", ODD), ("{b}", ["\f", "\t", " "])):
            while slot in filled:
                filled = filled.replace(slot, "".join(draw(st.lists(
                    st.sampled_from(alphabet), max_size=3))), 1)
        lines.append(filled + draw(st.sampled_from(ENDINGS)))
    return "".join(lines)


def compiles(text: str) -> bool:
    try:
        compile(text, "<generated>", "exec")
    except SyntaxError:
        return False
    return True


@settings(max_examples=200, deadline=None)
@given(programs())
def test_fixed_module_compiles_is_clean_and_is_what_fix_meant(text: str) -> None:
    assume(compiles(text))
    fixed, actions = fix_source(text)
    assert actions, "the unguarded start must be moved"
    compile(fixed, "<fixed>", "exec")
    assert [f for f in analyse_source(fixed) if f.code == "FK001"] == []
    tree = ast.parse(fixed)
    guard = tree.body[-1]
    assert isinstance(guard, ast.If)
    # Every statement from the Process onwards runs only in the main process.
    assert [ast.unparse(s).split("(")[0] for s in guard.body[-4:]] == [
        "p = ctx.Process", "p.start", "print", "p.join"]
    assert fix_source(fixed) == (fixed, [])


@pytest.mark.guarded
@pytest.mark.timeout(600)
@pytest.mark.skipif(sys.platform != "linux", reason="process guard reads /proc")
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(programs())
def test_fixed_program_runs_under_spawn(tmp_path: Path, text: str) -> None:
    assume(compiles(text))
    app = tmp_path / "app.py"
    app.write_bytes(fix_source(text)[0].encode("utf-8"))
    result = run_guarded([sys.executable, str(app)], timeout=120, max_procs=8,
                         cwd=tmp_path, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert not result.bomb_stopped and not result.timed_out, result.stderr
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


@pytest.mark.parametrize(("text", "lines"), [
    ("a\fb\vc\x1cd\x1de\x1ef\x85g\u2028h\u2029i\n", ["a\fb\vc\x1cd\x1de\x1ef\x85g\u2028h\u2029i\n"]),
    ("a\r\nb\rc\nd", ["a\r\n", "b\r", "c\n", "d"]),
    ("\r\r\n\n", ["\r", "\r\n", "\n"]),
    ("", []),
])
def test_split_lines_breaks_where_the_tokenizer_does(text: str, lines: list[str]) -> None:
    assert split_lines(text) == lines
    if compiles(text.replace("a", "#")):
        assert len(lines) == len(text.splitlines()) or "\f" in text or "\r" in text


@pytest.mark.parametrize(("line", "indent", "indented"), [
    ("x = 1\n", "    ", "    x = 1\n"),
    ("\fx = 1\n", "    ", "\f    x = 1\n"),
    ("  \f\tx = 1\n", "  ", "  \f  \tx = 1\n"),
])
def test_indentation_goes_after_the_last_form_feed(line: str, indent: str,
                                                   indented: str) -> None:
    assert indent_line(line, indent) == indented
    block = f"if True:\n{indent_line(line, indent)}"
    assert isinstance(ast.parse(block).body[0], ast.If)
    assert ast.parse(block).body[0].body  # the statement is inside the block
    assert indentation(indented) == indented[indented.rfind("\f") + 1:indented.index("x")]


def test_a_form_feed_before_the_indentation_moves_the_right_statements() -> None:
    # "    \fp.join()" is at module level for Python: \f resets the column.
    text = ("import multiprocessing as mp\n\ndef f():\n    pass\n\n"
            "p = mp.Process(target=f)\np.start()\n\fp.join()\n")
    fixed, _ = fix_source(text)
    guard = ast.parse(fixed).body[-1]
    assert isinstance(guard, ast.If)
    assert [ast.unparse(s) for s in guard.body][-1] == "p.join()"
    assert "\f    p.join()" in fixed
