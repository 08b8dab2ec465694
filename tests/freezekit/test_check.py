"""freezekit.check: one test per rule and per way of importing the library."""

import re
import textwrap
from pathlib import Path

import pytest

import freezekit
from freezekit.analysis import RULES, SourceError, analyse_source, check


def codes(source: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in analyse_source(textwrap.dedent(source))]


@pytest.mark.parametrize("imports, call", [
    ("import processing as p", "p.Process(target=f)"),
    ("from processing import *", "Pool()"),
    ("from processing import Process as P", "P(target=f)"),
    ("import multiprocessing", "multiprocessing.Manager()"),
    ("import multiprocessing as mp\nctx = mp.get_context('spawn')", "ctx.Pool()"),
    ("import multiprocessing", "multiprocessing.get_context('spawn').Process(target=f)"),
    ("import concurrent.futures as cf", "cf.ProcessPoolExecutor()"),
    ("from concurrent.futures import ProcessPoolExecutor", "ProcessPoolExecutor()"),
])
def test_fk001_process_at_module_level_whatever_the_import_style(imports, call):
    found = codes(f"{imports}\ndef f(): pass\nx = {call}\n")
    assert [code for _, code in found] == ["FK001"]


@pytest.mark.parametrize("imports, call", [
    ("import multiprocess", "multiprocess.Pool(2)"),
    ("import multiprocess as mp", "mp.get_context('spawn').Process(target=f)"),
    ("from multiprocess import Manager", "Manager()"),
])
def test_fk001_covers_multiprocess_as_multiprocessing(imports, call):
    found = codes(f"{imports}\ndef f(): pass\nx = {call}\n")
    assert [code for _, code in found] == ["FK001"]


@pytest.mark.parametrize("imports, call", [
    ("from joblib import Parallel, delayed", "Parallel(n_jobs=2)(delayed(f)(i) for i in [1])"),
    ("import joblib", "joblib.Parallel(n_jobs=2)(joblib.delayed(f)(1) for _ in [1])"),
    ("from joblib.parallel import Parallel", "Parallel(n_jobs=2)(iter([]))"),
    ("import loky", "loky.get_reusable_executor(max_workers=2)"),
    ("from loky import ProcessPoolExecutor", "ProcessPoolExecutor(2)"),
    ("from joblib.externals.loky import get_reusable_executor", "get_reusable_executor()"),
])
def test_fk001_joblib_or_loky_work_at_module_level(imports, call):
    found = analyse_source(f"{imports}\ndef f(x): return x\nx = {call}\n")
    assert [(f.line, f.code, f.severity) for f in found] == [(3, "FK001", "error")]
    assert "runs at import time" in found[0].message


def test_joblib_and_loky_work_under_the_guard_needs_no_freeze_support():
    source = """\
        from joblib import Parallel, delayed
        import loky

        def run():
            return loky.get_reusable_executor().map(abs, [1])

        if __name__ == "__main__":
            print(Parallel(n_jobs=2)(delayed(abs)(i) for i in range(3)), run())
        """
    assert codes(source) == []


@pytest.mark.parametrize("block", [
    "for i in range(2):\n    {c}\n",
    "with open('x') as fh:\n    {c}\n",
    "try:\n    {c}\nexcept OSError:\n    pass\n",
    "if True:\n    {c}\n",
    "if __name__ == '__main__':\n    pass\nelse:\n    {c}\n",
])
def test_fk001_inside_module_level_blocks(block):
    source = "import multiprocessing as mp\n" + block.format(c="mp.Pool()")
    assert "FK001" in [code for _, code in codes(source)]


def test_fk001_through_module_level_call_of_a_function_that_starts_processes():
    source = """\
        from multiprocessing import Pool
        def inner():
            with Pool() as p:
                p.map(abs, [1])
        def outer():
            inner()
        outer()
        if __name__ == "__main__":
            outer()
    """
    assert codes(source) == [(7, "FK001"), (8, "FK003")]
    assert "inner" not in analyse_source(textwrap.dedent(source))[0].message.split("(")[0]


def test_processes_inside_the_guard_functions_and_threads_are_fine():
    source = """\
        import multiprocessing as mp
        from multiprocessing.pool import ThreadPool
        from multiprocessing.dummy import Pool as DummyPool
        t = ThreadPool(2)
        d = DummyPool(2)
        def later():
            mp.Process(target=later).start()
        class Worker(mp.Process):
            pass
        if __name__ == "__main__":
            mp.freeze_support()
            Worker().start()
    """
    assert codes(source) == []


def test_fk001_for_a_local_process_subclass_and_async_def_and_decorator():
    source = """\
        import multiprocessing as mp
        class Worker(mp.Process):
            pass
        Worker().start()
        async def run():
            mp.Pool()
        def deco(pool):
            return lambda f: f
        @deco(mp.Pool())
        def task():
            pass
    """
    assert codes(source) == [(4, "FK001"), (9, "FK001")]


@pytest.mark.parametrize("source, expected", [
    ("import multiprocessing\nmultiprocessing.freeze_support()\n", [(2, "FK002")]),
    ("from processing import freezeSupport\ndef f():\n    freezeSupport()\n", [(3, "FK002")]),
    ("import multiprocessing as m\nif __name__ == '__main__':\n    print()\n"
     + "    m.get_context('spawn').freeze_support()\n", [(4, "FK002")]),
    ("import multiprocessing as m\nif __name__ == '__main__':\n"
     + "    m.get_context('spawn').freeze_support()\n", []),
])
def test_fk002_freeze_support_anywhere_but_first_in_the_guard(source, expected):
    assert codes(source) == expected


def test_fk003_guard_starts_processes_without_freeze_support():
    source = """\
        import multiprocessing
        def main():
            multiprocessing.Pool()
        if "__main__" == __name__:
            main()
    """
    [finding] = analyse_source(textwrap.dedent(source))
    assert (finding.line, finding.code, finding.severity) == (4, "FK003", "warning")
    assert "PyInstaller" in finding.message


@pytest.mark.parametrize("target, what", [
    ("lambda: None", "a lambda"),
    ("inner", "nested function inner()"),
    ("Local().run", "local class Local"),
])
def test_fk004_unpicklable_targets(target, what):
    source = f"""\
        from multiprocessing import Process, Pool
        def main():
            def inner():
                pass
            class Local:
                def run(self):
                    pass
            Process(target={target}).start()
            with Pool() as pool:
                pool.map({target}, [1])
    """
    found = [f for f in analyse_source(textwrap.dedent(source)) if f.code == "FK004"]
    assert len(found) == 2
    assert all(what in f.message for f in found)


@pytest.mark.parametrize("statement, what", [
    ("threading.Thread(target=print).start()", "thread"),
    ("input()", "input()"),
    ("open('out.txt', 'w')", "writing"),
    ("sys.exit(0)", "sys.exit()"),
    ("socketserver.TCPServer(('', 0), None)", "server"),
    ("tkinter.Tk()", "GUI"),
])
def test_fk005_import_time_side_effects_in_a_module_that_starts_processes(statement, what):
    source = (f"import sys, threading, socketserver, tkinter, multiprocessing\n{statement}\n"
              "if __name__ == '__main__':\n    multiprocessing.freeze_support()\n"
              "    multiprocessing.Pool()\n")
    [finding] = analyse_source(source)
    assert (finding.code, finding.severity) == ("FK005", "warning")
    assert what in finding.message


def test_fk005_is_silent_in_modules_that_start_no_processes():
    assert codes("import sys\ninput()\nsys.exit()\n") == []


@pytest.mark.parametrize("call", ["multiprocessing.set_start_method('spawn')",
                                  "processing.setStartMethod('spawn')"])
def test_fk006_start_method_outside_the_guard(call):
    assert codes(f"import multiprocessing, processing\n{call}\n") == [(2, "FK006")]


def test_columns_are_one_based_characters():
    [finding] = analyse_source("import multiprocessing as mp\ns = 'é'; p = mp.Pool()\n")
    assert (finding.line, finding.col) == (2, 14)


def test_check_reads_files_and_names_them_in_errors(tmp_path):
    app = tmp_path / "app.py"
    app.write_bytes(b"# -*- coding: latin-1 -*-\nimport multiprocessing\ns = '\xe9'\n"
                    b"multiprocessing.Pool()\n")
    [finding] = freezekit.check(app)
    assert finding.path == str(app) and finding.line == 4
    for bad, message in [(tmp_path / "missing.py", "no such file"),
                         (tmp_path, "is a directory")]:
        with pytest.raises(SourceError, match=message):
            freezekit.check(bad)
    app.write_text("def f(:\n")
    with pytest.raises(SourceError, match=r"app.py:1:\d+: cannot parse"):
        freezekit.check(app)
    app.write_bytes(b"x = '\xff'\n")
    with pytest.raises(SourceError, match="cannot decode"):
        freezekit.check(app)


@pytest.mark.parametrize("code", RULES)
def test_each_rule_page_shows_a_bad_example_with_the_code_and_a_fixed_one_without(code):
    page = (Path(__file__).parents[2] / "docs" / "rules" / f"{code}.md").read_text()
    bad, fixed = re.findall(r"```python\n(.*?)```", page, re.DOTALL)
    assert code in {f.code for f in analyse_source(bad)}
    assert analyse_source(fixed) == []


# Deeper analysis: other front ends, methods, managers, local modules, guard-only globals ------

@pytest.mark.parametrize("source, codes", [
    ("import multiprocess\npool = multiprocess.Pool(2)\n", ["FK001"]),
    ("from multiprocess import Pool\nPool(2)\n", ["FK001"]),
    ("from concurrent.futures import ProcessPoolExecutor as E\nE()\n", ["FK001"]),
    ("import concurrent.futures as cf\nwith cf.ThreadPoolExecutor() as e:\n    pass\n", []),
    ("import loky\nex = loky.get_reusable_executor()\n", ["FK001"]),
    ("from joblib import Parallel, delayed\nParallel(n_jobs=2)(delayed(abs)(i) for i in [1])\n",
     ["FK001"]),
    (("from joblib import Parallel, delayed\n"
     "Parallel(n_jobs=2, backend='threading')(delayed(abs)(i) for i in [1])\n"), []),
    ("from joblib import Parallel, delayed\nParallel(n_jobs=1)(delayed(abs)(i) for i in [1])\n",
     []),
    ("import joblib\nrun = joblib.Parallel(n_jobs=2)\nrun(joblib.delayed(abs)(i) for i in [1])\n",
     ["FK001"]),
    ("import joblib\nwith joblib.Parallel(n_jobs=2) as run:\n    pass\n", ["FK001"]),
    ("from multiprocessing.managers import SyncManager\nm = SyncManager()\n", []),
    ("from multiprocessing.managers import SyncManager\nm = SyncManager()\nm.start()\n",
     ["FK001"]),
    ("from multiprocessing.managers import BaseManager\nBaseManager(('', 0)).start()\n",
     ["FK001"]),
    (("from multiprocessing.managers import BaseManager\nclass M(BaseManager): pass\n"
     "with M() as m:\n    pass\n"), ["FK001"]),
    ("import processing.managers as pm\nm = pm.SyncManager()\nm.start()\n", ["FK001"]),
    (("import multiprocessing as mp\nclass W:\n    @staticmethod\n    def go():\n"
     "        mp.Pool()\nW.go()\n"), ["FK001"]),
    (("import multiprocessing as mp\nclass W:\n    def __init__(self):\n        mp.Pool()\n"
     "w = W()\n"), ["FK001"]),
    (("import multiprocessing as mp\nclass W:\n    def go(self):\n        mp.Pool()\n"
     "w = W()\n"), []),
    (("import multiprocessing as mp\nclass W:\n    def go(self):\n        self.inner()\n"
     "    def inner(self):\n        mp.Pool()\nw = W()\nw.go()\n"), ["FK001"]),
])
def test_process_starts_through_other_front_ends_methods_and_managers(source, codes):
    assert [f.code for f in analyse_source(source) if f.severity == "error"] == codes


@pytest.mark.parametrize("source, codes", [
    # a parameter, a local assignment or a module-level definition: nothing to report
    (("from multiprocessing import Pool\ndef f(N):\n    return N\n"
     "if __name__ == '__main__':\n    N = 1\n    Pool().map(f, [1])\n"), []),
    (("from multiprocessing import Pool\nN = 0\ndef f(x):\n    return x + N\n"
     "if __name__ == '__main__':\n    N = 1\n    Pool().map(f, [1])\n"), []),
    (("from multiprocessing import Pool\ndef f(x):\n    N = 2\n    return x + N\n"
     "if __name__ == '__main__':\n    N = 1\n    Pool().map(f, [1])\n"), []),
    # a function that no child runs may read it
    (("from multiprocessing import Pool\ndef f(x):\n    return x\ndef g():\n    return N\n"
     "if __name__ == '__main__':\n    N = 1\n    Pool().map(f, [g()])\n"), []),
    # the target of a Process, through a called function, and an import in the guard
    (("from multiprocessing import Process\ndef f():\n    helper()\ndef helper():\n"
     "    json.dumps(CONFIG)\nif __name__ == '__main__':\n    import json\n    CONFIG = {}\n"
     "    Process(target=f).start()\n"), ["FK007", "FK007"]),
    (("import multiprocessing as mp\nclass P(mp.Process):\n    def run(self):\n"
     "        print(SETTING)\nif __name__ == '__main__':\n    SETTING = 1\n    P().start()\n"),
     ["FK007"]),
    (("from concurrent.futures import ProcessPoolExecutor\ndef f(x):\n    return x * K\n"
     "if __name__ == '__main__':\n    K = 2\n    with ProcessPoolExecutor() as ex:\n"
     "        ex.submit(f, 1)\n"), ["FK007"]),
    (("from multiprocessing import Pool\ndef f(x):\n    global N\n    return N\n"
     "if __name__ == '__main__':\n    N = 1\n    Pool().map(f, [1])\n"), []),
])
def test_guard_only_globals_read_by_what_children_run(source, codes):
    assert [f.code for f in analyse_source(source) if f.code == "FK007"] == codes


def test_local_modules_are_followed_from_the_scripts_folder(tmp_path):
    (tmp_path / "eager.py").write_text("import multiprocessing\nPOOL = multiprocessing.Pool()\n")
    (tmp_path / "chain.py").write_text("import eager\n")
    (tmp_path / "lazy.py").write_text("import multiprocessing\ndef start():\n"
                                      "    multiprocessing.Pool()\n")
    (tmp_path / "cycle_a.py").write_text("import cycle_b\n")
    (tmp_path / "cycle_b.py").write_text("import cycle_a\n")
    (tmp_path / "broken.py").write_text("def (:\n")

    def codes(text):
        app = tmp_path / "app.py"
        app.write_text(text)
        return [(f.line, f.code) for f in check(app)]

    assert codes("import chain\n") == [(1, "FK001")]
    assert codes("from lazy import start\nstart()\n") == [(2, "FK001")]
    assert codes("import lazy\nif __name__ == '__main__':\n    lazy.start()\n") == [
        (2, "FK003")]
    assert codes("import cycle_a, broken, json\n") == []
    assert analyse_source("import eager\n") == []  # no folder: other modules are not read
