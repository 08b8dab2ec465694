"""benchmarks/plot.py draws the size sweep: one panel per path, a line per library."""

from __future__ import annotations

import importlib.util
import json
import os
import xml.etree.ElementTree as ET

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = importlib.util.spec_from_file_location(
    "bench_plot", os.path.join(HERE, os.pardir, "benchmarks", "plot.py"))
plot = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(plot)

SVG = "{http://www.w3.org/2000/svg}"


def _rows():
    rows = []
    for size in (64, 65536, 1 << 20):
        rows.append({"path": "Pipe send_bytes/recv_bytes", "size": size,
                     "processing": size / 100, "stdlib": size / 200})
        rows.append({"path": "Queue put/get", "size": size, "processing": 5.0, "stdlib": 4.0})
    rows.append({"path": "raw os.pipe", "size": 1 << 20, "processing": 9.0, "stdlib": 9000.0})
    rows.append({"scenario": "Lock acquire+release", "processing": 1.0, "stdlib": 1.0})
    return rows


def test_one_panel_per_path_with_a_line_per_library_and_the_raw_pipe_on_pipe_panels():
    root = ET.fromstring(plot.render(_rows()))
    titles = [t.text for t in root.iter(f"{SVG}text") if t.get("font-weight") == "bold"]
    assert titles == ["Pipe send_bytes/recv_bytes", "Queue put/get"]
    lines = root.findall(f"{SVG}polyline")
    # Pipe panel: processing, stdlib, raw pipe; Queue panel: processing, stdlib.
    assert len(lines) == 5
    assert all(len(line.get("points").split()) in (1, 3) for line in lines)


def test_the_command_writes_the_svg_and_refuses_results_without_a_sweep(tmp_path, capsys):
    results = tmp_path / "latest.json"
    results.write_text(json.dumps({"rows": _rows()}))
    out = tmp_path / "sizes.svg"
    assert plot.main([str(results), "-o", str(out)]) == 0
    assert out.read_text().startswith("<svg")
    results.write_text(json.dumps({"rows": [{"scenario": "x", "processing": 1, "stdlib": 1}]}))
    assert plot.main([str(results), "-o", str(tmp_path / "none.svg")]) == 2
    assert "no size-sweep rows" in capsys.readouterr().err
    assert not (tmp_path / "none.svg").exists()


@pytest.mark.parametrize("content", ["not json", ""])
def test_unreadable_results_exit_2(tmp_path, content, capsys):
    results = tmp_path / "latest.json"
    results.write_text(content)
    assert plot.main([str(results), "-o", str(tmp_path / "o.svg")]) == 2
    assert "cannot read" in capsys.readouterr().err
