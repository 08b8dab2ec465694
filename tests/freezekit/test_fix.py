"""freezekit.fix: what it moves, what it keeps byte for byte, and when it refuses."""

import os
import textwrap

import pytest

import freezekit
from freezekit.analysis import SourceError, analyse_source
from freezekit.rewrite import FixRefused, fix_source

UNSAFE = "import multiprocessing as mp\n\ndef f():\n    pass\n\np = mp.Process(target=f)\np.start()\n"


def fixed(source: str) -> str:
    return fix_source(textwrap.dedent(source))[0]


def test_wraps_the_tail_and_adds_freeze_support():
    assert fixed(UNSAFE) == (
        "import multiprocessing as mp\n\ndef f():\n    pass\n\n"
        'if __name__ == "__main__":\n    mp.freeze_support()\n'
        "    p = mp.Process(target=f)\n    p.start()\n"
    )


def test_keeps_definitions_imports_and_constants_in_place_and_moves_the_rest_to_one_guard():
    out = fixed("""\
        import multiprocessing as mp
        pool = mp.Pool()
        import json
        LIMIT = 3
        def g():
            return LIMIT
        print(pool.map(abs, [-1]))
    """)
    assert out.splitlines()[:6] == [
        "import multiprocessing as mp", "import json", "LIMIT = 3",
        "def g():", "    return LIMIT", ""]
    assert "    pool = mp.Pool()\n    print(pool.map(abs, [-1]))\n" in out


def test_merges_statements_before_and_after_an_existing_guard():
    out = fixed("""\
        import multiprocessing as mp
        a = mp.Pool()
        if __name__ == "__main__":
            print("body")
        else:
            print("child")
        a.close()
    """)
    assert out == textwrap.dedent("""\
        import multiprocessing as mp
        if __name__ == "__main__":
            mp.freeze_support()
            a = mp.Pool()
            print("body")
            a.close()
        else:
            print("child")
    """)


def test_freeze_support_spelling_follows_the_imports():
    assert "from processing import freezeSupport\n" in fixed(
        "from processing import Process\nif __name__ == '__main__':\n    Process().start()\n")
    assert "    p.freezeSupport()\n" in fixed(
        "import processing as p\nif __name__ == '__main__':\n    p.Pool()\n")
    out = fixed("from processing import *\nif __name__ == '__main__':\n    Pool()\n")
    assert "    freezeSupport()\n" in out and out.count("import") == 1


def test_removes_misplaced_calls_leaving_pass_in_empty_bodies():
    out = fixed("""\
        import multiprocessing as mp
        def setup():
            mp.freeze_support()
        if __name__ == "__main__":
            setup()
            mp.Pool()
    """)
    assert "def setup():\n    pass\n" in out
    assert 'if __name__ == "__main__":\n    mp.freeze_support()\n    setup()\n' in out


def test_multi_line_strings_are_not_reindented():
    out = fixed('import multiprocessing as mp\np = mp.Pool()\nprint("""a\n  b\n""")\n')
    assert '    print("""a\n  b\n""")\n' in out


@pytest.mark.parametrize("source, reason", [
    ("import multiprocessing as mp\nclass C:\n    pool = mp.Pool()\n", "class C"),
    ("import multiprocessing as mp\nx = 1; p = mp.Pool()\n", "share this line"),
    ("import multiprocessing as mp\nfor i in range(2):\n    def w(): pass\n    mp.Pool()\n",
     "w is defined inside a block"),
    ("import multiprocessing as mp\nn = mp.Pool()\ndef f(a=n): pass\n", "uses n"),
    ("import multiprocessing as mp\nif __name__ == '__main__':\n    pass\nelse:\n    mp.Pool()\n",
     "else branch"),
])
def test_refuses_what_it_cannot_fix_safely_and_says_why(source, reason):
    with pytest.raises(FixRefused, match=reason):
        fix_source(source)


@pytest.mark.parametrize("raw", [
    UNSAFE.replace("\n", "\r\n").encode(),
    ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + UNSAFE.replace("    ", "\t")).encode("latin-1"),
    b"\xef\xbb\xbf" + UNSAFE.encode(),
    ("#!/usr/bin/env python3\n# comment  \n" + UNSAFE + "# trailing 'comment'").encode(),
])
def test_preserves_bytes_outside_the_moved_statements(tmp_path, raw):
    app = tmp_path / "app.py"
    app.write_bytes(raw)
    app.chmod(0o751)
    result = freezekit.fix(app)
    out = app.read_bytes()
    assert result.changed
    assert out.startswith(raw[: raw.index(b"p = mp")])
    if b"\r\n" in raw:
        assert out.count(b"\r\n") == out.count(b"\n")
    if b"\t" in raw:
        assert b"\tp = mp.Process" in out
    assert os.stat(app).st_mode & 0o777 == 0o751
    assert freezekit.fix(app).changed is False
    assert app.read_bytes() == out
    encoding = "latin-1" if b"latin-1" in raw else "utf-8-sig"
    assert [f for f in analyse_source(out.decode(encoding)) if f.severity == "error"] == []


def test_diff_writes_nothing(tmp_path):
    app = tmp_path / "app.py"
    app.write_text(UNSAFE)
    result = freezekit.fix(app, diff=True)
    assert app.read_text() == UNSAFE
    assert "+if __name__" in result.diff and result.diff.startswith(f"--- {app}")


def test_repairs_what_it_can_and_returns_what_it_cannot(tmp_path):
    app = tmp_path / "app.py"
    app.write_text("from multiprocessing import Pool\nPool().map(lambda x: x, [1])\n")
    result = freezekit.fix(app)
    assert result.changed and "if __name__" in app.read_text()
    assert [(f.code, f.line) for f in result.unfixed] == [("FK004", 5)]
    again = freezekit.fix(app)
    assert not again.changed and [f.code for f in again.unfixed] == ["FK004"]


def test_refuses_a_fix_that_would_hide_a_global_from_a_child(tmp_path):
    source = ("from multiprocessing import Pool\n\ndef scale(x):\n    return x * FACTOR\n\n"
              "pool = Pool(2)\nFACTOR = pool.apply(len, ['abc'])\nprint(pool.map(scale, [1]))\n")
    with pytest.raises(FixRefused, match="FK007"):
        fix_source(source)


def test_leaves_the_file_untouched_on_refusal_and_bad_input(tmp_path):
    app = tmp_path / "app.py"
    source = "import multiprocessing as mp\nclass C:\n    pool = mp.Pool()\n"
    app.write_text(source)
    with pytest.raises(FixRefused):
        freezekit.fix(app)
    assert app.read_text() == source
    app.write_text("def (:\n")
    with pytest.raises(SourceError):
        freezekit.fix(app)
    assert app.read_text() == "def (:\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.py"]


def test_follows_symlinks(tmp_path):
    real = tmp_path / "real.py"
    real.write_text(UNSAFE)
    link = tmp_path / "link.py"
    link.symlink_to(real)
    freezekit.fix(link)
    assert link.is_symlink() and "__main__" in real.read_text()
