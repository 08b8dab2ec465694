"""Properties of fix over generated module shapes: it compiles, check finds no errors in what
it writes, a second run changes nothing, and kept statements keep their bytes and order."""

import ast

from hypothesis import given, settings
from hypothesis import strategies as st

from freezekit.analysis import ERROR, analyse_source
from freezekit.rewrite import FixRefused, fix_source

KEPT = [
    "import os", "from json import dumps", "LIMIT = 3", "NAMES = ('a', 'b')  # names",
    '"""A docstring-like string."""',
    "def work(x):\n    return x + 1",
    "@staticmethod\ndef deco(x):\n    return x",
    "class Config:\n    size = 2",
    "async def later():\n    return 1",
    "try:\n    import numpy\nexcept ImportError:\n    numpy = None",
]
MOVABLE = [
    "pool = mp.Pool(2)", "mp.Process(target=work).start()", "print('hello')",
    "mp.set_start_method('spawn', force=True)", "mp.freeze_support()",
    "for i in range(2):\n    mp.Process(target=work, args=(i,)).start()",
    "with mp.Pool() as p:\n    p.map(work, [1])",
    "result = compute()", "run()", "# a comment", "",
    "if True:\n    x = mp.Manager()",
    "s = '''multi\n  line'''",
]
GUARDS = [
    "", "if __name__ == '__main__':\n    print('guard')",
    "if __name__ == \"__main__\":\n    mp.freeze_support()\n    run()",
    "if '__main__' == __name__:\n    run()\nelse:\n    print('child')",
]
HEADER = "import multiprocessing as mp\n\ndef compute():\n    return 1\n\ndef run():\n" \
         "    mp.Pool()\n"


@st.composite
def modules(draw):
    statements = draw(st.lists(st.sampled_from(KEPT + MOVABLE), max_size=12))
    guard = draw(st.sampled_from(GUARDS))
    position = draw(st.integers(0, len(statements)))
    statements.insert(position, guard)
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = HEADER + "\n".join(statements) + "\n"
    return text.replace("\n", newline)


def fixed_or_none(text):
    try:
        return fix_source(text)[0]
    except FixRefused:
        return None


@settings(max_examples=120, deadline=None)
@given(modules())
def test_fix_output_compiles_and_has_no_errors(text):
    out = fixed_or_none(text)
    if out is None:
        return
    compile(out, "<fixed>", "exec")
    assert [f for f in analyse_source(out) if f.severity == ERROR] == []


@settings(max_examples=120, deadline=None)
@given(modules())
def test_fix_is_idempotent(text):
    out = fixed_or_none(text)
    if out is not None:
        assert fix_source(out) == (out, [])


@settings(max_examples=120, deadline=None)
@given(modules())
def test_statements_that_stay_keep_their_bytes_and_order(text):
    out = fixed_or_none(text)
    if out is None:
        return
    kept = [s for s in ast.parse(text).body if isinstance(
        s, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    segments = [ast.get_source_segment(text, s, padded=True) for s in kept]
    position = 0
    for segment in segments:
        found = out.find(segment, position)
        assert found >= 0, segment
        position = found + len(segment)
    assert out.count("\r\n") == out.count("\n") or "\r\n" not in text
