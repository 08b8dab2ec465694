"""Nothing is left in /dev/shm or the resource tracker once a program that used shared memory
and managers has ended."""

from __future__ import annotations

import os
import sys
import textwrap

import pytest

from freezekit.guard import run_guarded

pytestmark = [
    pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="needs /dev/shm"),
    pytest.mark.timeout(120),
]

PROGRAM = textwrap.dedent(
    """
    import processing

    def work(value, array, shared, proxy):
        value.value += 1
        array[0] = 1.0
        shared[0] = 7
        proxy.append(1)

    if __name__ == "__main__":
        ctx = processing.getContext(METHOD)
        with ctx.Manager() as manager:
            proxy = manager.list()
            for _ in range(3):
                value, array = ctx.Value("i", 0), ctx.Array("d", 1000)
                shared = ctx.SharedArray("q", range(10000))
                raw = ctx.RawArray("c", 1 << 20)
                child = ctx.Process(target=work, args=(value, array, shared, proxy))
                child.start()
                child.join(30)
                assert child.exitcode == 0, child.exitcode
            assert len(proxy) == 3
        print("ok")
    """
)


def _shm_entries() -> set[str]:
    return set(os.listdir("/dev/shm"))


def test_no_shared_memory_outlives_the_program(tmp_path, start_method):
    script = tmp_path / "uses_shared_memory.py"
    script.write_text(PROGRAM.replace("METHOD", repr(start_method)))
    before = _shm_entries()
    result = run_guarded([sys.executable, str(script)], timeout=90, max_procs=12,
                         cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert "leaked" not in result.stderr  # the resource tracker's complaint
    assert "resource_tracker" not in result.stderr
    # Heap arenas are named pym-*, shared_memory blocks psm_*; other entries are not ours.
    leftover = {n for n in _shm_entries() - before if n.startswith(("pym-", "psm_"))}
    assert not leftover, leftover
