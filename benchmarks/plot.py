"""Draw the size sweep (``bench_sizes.py``) as throughput against message size, one panel per
path: processing, the stdlib, and on the pipe panels a bare ``os.pipe`` copy. An SVG made
with the standard library only.

    python3 benchmarks/plot.py [RESULTS.json] [-o OUT.svg]

RESULTS.json defaults to ``benchmarks/results/latest.json`` (what ``run.py`` writes);
OUT.svg to ``benchmarks/results/sizes.svg``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
PANEL_W, PANEL_H, MARGIN, COLUMNS = 340, 220, 48, 3
SERIES = (("processing", "#1f77b4", ""), ("stdlib", "#ff7f0e", ""),
          ("raw os.pipe", "#7f7f7f", "5,4"))


def _size_label(size: float) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:g} {unit}"
    return f"{size:g} B"


def _series(rows: list[dict]) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """{path: {series: [(size, MB/s), ...]}} from the sweep's rows."""
    raw = sorted((r["size"], r["stdlib"]) for r in rows if r.get("path") == "raw os.pipe")
    panels: dict[str, dict[str, list[tuple[int, float]]]] = {}
    for r in rows:
        path = r.get("path")
        if path is None or path == "raw os.pipe":
            continue
        panel = panels.setdefault(path, {"processing": [], "stdlib": []})
        panel["processing"].append((r["size"], r["processing"]))
        panel["stdlib"].append((r["size"], r["stdlib"]))
        if path.startswith("Pipe") and raw:
            panel["raw os.pipe"] = raw
    for panel in panels.values():
        for points in panel.values():
            points.sort()
    return panels


def render(rows: list[dict]) -> str:
    panels = _series(rows)
    if not panels:
        raise ValueError("no size-sweep rows (run benchmarks/run.py or bench_sizes.py first)")
    values = [v for p in panels.values() for pts in p.values() for _, v in pts if v > 0]
    sizes = [s for p in panels.values() for pts in p.values() for s, _ in pts]
    x0, x1 = math.log2(min(sizes)), math.log2(max(sizes))
    y0, y1 = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    rows_n = math.ceil(len(panels) / COLUMNS)
    width, height = COLUMNS * (PANEL_W + MARGIN) + MARGIN, rows_n * (PANEL_H + 2 * MARGIN) + 40
    header = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
              f'font-family="sans-serif" font-size="11">')
    title = (f'<text x="{MARGIN}" y="20" font-size="14">Throughput (MB/s, log) against '
             f'message size: processing vs the stdlib</text>')
    out = [header, f'<rect width="{width}" height="{height}" fill="white"/>', title]
    for i, (path, series) in enumerate(sorted(panels.items())):
        left = MARGIN + (i % COLUMNS) * (PANEL_W + MARGIN)
        top = 40 + (i // COLUMNS) * (PANEL_H + 2 * MARGIN) + 20

        def x(size: float, left: int = left) -> float:
            return left + (math.log2(size) - x0) / max(x1 - x0, 1) * PANEL_W

        def y(v: float, top: int = top) -> float:
            return top + PANEL_H - (math.log10(v) - y0) / max(y1 - y0, 1) * PANEL_H

        out.append(f'<text x="{left}" y="{top - 6}" font-weight="bold">{escape(path)}</text>')
        out.append(f'<rect x="{left}" y="{top}" width="{PANEL_W}" height="{PANEL_H}" '
                   f'fill="none" stroke="#ccc"/>')
        for e in range(y0, y1 + 1):
            out.append(f'<text x="{left - 4}" y="{y(10 ** e) + 4:.1f}" text-anchor="end">'
                       f'{10 ** e:g}</text>')
        for s in sorted({s for pts in series.values() for s, _ in pts}):
            out.append(f'<text x="{x(s):.1f}" y="{top + PANEL_H + 14}" text-anchor="middle">'
                       f'{escape(_size_label(s))}</text>')
        for name, colour, dash in SERIES:
            pts = [(s, v) for s, v in series.get(name, []) if v > 0]
            if not pts:
                continue
            line = " ".join(f"{x(s):.1f},{y(v):.1f}" for s, v in pts)
            out.append(f'<polyline points="{line}" fill="none" stroke="{colour}" '
                       f'stroke-width="2" stroke-dasharray="{dash}"/>')
    legend_y = height - 12
    for k, (name, colour, dash) in enumerate(SERIES):
        lx = MARGIN + k * 140
        out.append(f'<line x1="{lx}" y1="{legend_y - 4}" x2="{lx + 24}" y2="{legend_y - 4}" '
                   f'stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>')
        out.append(f'<text x="{lx + 30}" y="{legend_y}">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", default=os.path.join(HERE, "results", "latest.json"))
    parser.add_argument("-o", "--output", default=os.path.join(HERE, "results", "sizes.svg"))
    args = parser.parse_args(argv)
    try:
        with open(args.results) as source:
            data = json.load(source)
    except (OSError, ValueError) as exc:
        print(f"plot: cannot read {args.results}: {exc}", file=sys.stderr)
        return 2
    rows = data["rows"] if isinstance(data, dict) else data
    try:
        svg = render(rows)
    except ValueError as exc:
        print(f"plot: {args.results}: {exc}", file=sys.stderr)
        return 2
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as out:
        out.write(svg)
    print(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
