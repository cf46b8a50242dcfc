"""The self-contained HTML report: one file, no network, strict Content-Security-Policy.

Everything a browser needs is inside the page: the SVG graph as laid out by dwsep (the browser
only pans and zooms it with one transform), the tables and bar chart as static HTML, and the
per-layer data as JSON in a <script type="application/json"> block for the table script. The
script and style are package data (report.js, report.css) read at render time; the CSP allows
exactly those two by their SHA-256 hashes, so nothing else can run, load or be styled inline,
even if an escaping bug let markup through. Net-supplied text is escaped by escape.html() in
the markup and by escape.script_json() in the JSON block; the script writes it with textContent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable
from importlib import resources
from typing import Any

from prototxt_tool import __version__
from prototxt_tool.analysis import WEIGHTED_KINDS, Analysis
from prototxt_tool.draw.model import Graph
from prototxt_tool.draw.svg import KIND_COLOURS, UNKNOWN, arrange, render_svg
from prototxt_tool.escape import html, script_json
from prototxt_tool.report import human, mib, shape_str

TOP_LAYERS = 10


def _asset(name: str) -> str:
    return resources.files("prototxt_tool.draw").joinpath(name).read_text(encoding="utf-8")


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def render_report(graphs: list[Graph], rankdir: str = "TB", heat: str | None = None) -> str:
    script, style = _asset("report.js"), _asset("report.css")
    csp = (f"default-src 'none'; script-src {_hash(script)}; style-src {_hash(style)}; "
           "img-src data:; base-uri 'none'; form-action 'none'")
    views = [_view_data(g) for g in graphs]
    names = [html(g.analysis.net or g.analysis.filename) for g in graphs]
    title = " vs ".join(names)
    body = [f'<header><h1>{title}</h1><p class="meta">dwsep {__version__} report'
            + (" — two nets side by side" if len(graphs) > 1 else "") + "</p></header>\n"]
    if len(graphs) == 2:
        body.append(_comparison(graphs[0].analysis, graphs[1].analysis))
    body.append(f'<div class="views views-{len(graphs)}">\n')
    for i, g in enumerate(graphs):
        body.append(_view_html(g, i, rankdir, heat, named=len(graphs) > 1))
    body.append("</div>\n")
    data = script_json(json.dumps({"views": views}, separators=(",", ":")))
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title} — dwsep report</title>\n<style>{style}</style>\n</head>\n<body>\n"
            + "".join(body)
            + '<div id="tooltip" class="tooltip" hidden></div>\n'
            f'<script type="application/json" id="dwsep-data">{data}</script>\n'
            f"<script>{script}</script>\n</body>\n</html>\n")


def _view_data(g: Graph) -> dict[str, Any]:
    """Per-layer rows for the table and tooltips; numbers exact (null when unknown)."""
    rows = []
    for i, r in enumerate(g.analysis.layers):
        rows.append({
            "name": r.name, "type": r.type, "kind": r.kind, "node": g.layer_node[i],
            "bottoms": [[b.name, shape_str(b.shape)] for b in r.bottoms],
            "tops": [[t.name, shape_str(t.shape)] for t in r.tops],
            "out": shape_str(r.tops[0].shape) if r.tops else "-",
            "macs": r.macs, "ops": r.ops, "params": r.params,
            "memory": None if r.activations is None else 4 * r.activations,
        })
    return {"layers": rows, "nodes": [n.layers for n in g.nodes]}


def _cell(n: int | None) -> str:
    return f'<td class="num" title="{"unknown" if n is None else f"{n:,}"}">{human(n)}</td>'


def _totals(a: Analysis) -> str:
    t = a.total
    items = [("MACs", human(t.macs), f"{t.macs:,}"), ("other ops", human(t.ops), f"{t.ops:,}"),
             ("params", human(t.params), f"{t.params:,} (all blobs)"),
             ("learnable", human(t.learnable), f"{t.learnable:,} (BatchNorm statistics out)"),
             ("param memory", mib(t.param_bytes), f"{t.param_bytes:,} bytes float32"),
             ("activations", mib(t.activation_bytes), f"{t.activation_bytes:,} bytes float32"),
             ("layers", f"{len(a.layers):,}", "")]
    out = ['<dl class="totals">']
    for label, value, exact in items:
        out.append(f'<div><dt>{label}</dt><dd title="{exact}">{value}</dd></div>')
    out.append("</dl>\n")
    if t.unknown:
        out.append(f'<p class="warn">{len(t.unknown)} layer(s) with unknown figures are left '
                   f'out of the totals: {html(", ".join(t.unknown[:8]))}'
                   + (" …" if len(t.unknown) > 8 else "") + "</p>\n")
    for w in a.warnings[:20]:
        out.append(f'<p class="warn">warning: {html(w)}</p>\n')
    return "".join(out)


def _breakdown(a: Analysis) -> str:
    """The MobileNet paper's Table 2 as bars: MAC and parameter share of each weighted kind."""
    rows = [k for k in a.breakdown if k.kind in WEIGHTED_KINDS]
    weighted = sum(k.params for k in rows)
    if not rows:
        return '<p class="muted">No convolution or fully connected layers.</p>\n'
    bar_w, row_h, label_w = 220, 22, 130
    height = row_h * len(rows) + 24
    out = [f'<svg class="bars" width="{label_w + 2 * bar_w + 60}" height="{height}" '
           f'font-size="11" font-family="sans-serif">'
           f'<text x="{label_w}" y="12" fill="#555555">MACs share</text>'
           f'<text x="{label_w + bar_w + 30}" y="12" fill="#555555">params share</text>']
    for i, k in enumerate(rows):
        y = 20 + i * row_h
        fill = KIND_COLOURS.get(k.kind, UNKNOWN)[1]
        out.append(f'<text x="0" y="{y + 13}" fill="#222222">{html(k.kind)} ({k.layers})</text>')
        for j, (part, whole) in enumerate(((k.macs, a.total.macs), (k.params, weighted))):
            share = part / whole if whole else 0.0
            x = label_w + j * (bar_w + 30)
            out.append(f'<rect x="{x}" y="{y + 3}" width="{bar_w}" height="{row_h - 8}" '
                       f'fill="#eeeeee"/><rect x="{x}" y="{y + 3}" '
                       f'width="{share * bar_w:.1f}" height="{row_h - 8}" fill="{fill}">'
                       f'<title>{part:,} of {whole:,}</title></rect>'
                       f'<text x="{x + bar_w + 3}" y="{y + 13}" fill="#222222">'
                       f'{100 * share:.2f}%</text>')
    out.append("</svg>\n")
    return "".join(out)


def _top_layers(a: Analysis, view: int) -> str:
    ranked = sorted((i for i, r in enumerate(a.layers) if r.macs),
                    key=lambda i: -(a.layers[i].macs or 0))[:TOP_LAYERS]
    if not ranked:
        return '<p class="muted">No layer has MACs.</p>\n'
    out = ['<table class="small"><thead><tr><th>layer</th><th>kind</th><th>MACs</th>'
           '<th>share</th></tr></thead><tbody>']
    for i in ranked:
        r = a.layers[i]
        share = 100 * (r.macs or 0) / a.total.macs if a.total.macs else 0
        out.append(f'<tr class="jump" data-view="{view}" data-layer="{i}"><td>{html(r.name)}'
                   f'</td><td>{html(r.kind)}</td>{_cell(r.macs)}<td class="num">{share:.2f}%'
                   "</td></tr>")
    out.append("</tbody></table>\n")
    return "".join(out)


def _separable(a: Analysis, view: int) -> str:
    convs = [(i, r) for i, r in enumerate(a.layers) if r.separable is not None]
    if not convs:
        return '<p class="muted">No standard KxK convolution to replace.</p>\n'
    now = sum(r.macs or 0 for _, r in convs)
    after = sum(r.separable.macs for _, r in convs if r.separable)
    out = [f'<p>Replacing all {len(convs)} standard convolution(s) by depthwise + pointwise '
           f'pairs: {human(now)} → {human(after)} MACs in those layers.</p>'
           '<div class="scroll"><table class="small"><thead><tr><th>standard conv</th>'
           "<th>kernel</th><th>N</th><th>MACs now</th><th>separable</th><th>params now</th>"
           "<th>separable</th><th>ratio 1/N+1/K²</th></tr></thead><tbody>"]
    for i, r in convs:
        s = r.separable
        if s is None or not r.param_shapes:  # separable_cost() needs the weight shape
            continue
        weight = r.param_shapes[0]
        kernel = "x".join(map(str, weight[2:]))
        out.append(f'<tr class="jump" data-view="{view}" data-layer="{i}"><td>{html(r.name)}'
                   f'</td><td>{kernel}</td><td class="num">{weight[0]}</td>{_cell(r.macs)}'
                   f"{_cell(s.macs)}{_cell(r.learnable)}{_cell(s.params)}"
                   f'<td class="num" title="{s.ratio}">{float(s.ratio):.4f}</td></tr>')
    out.append("</tbody></table></div>\n")
    return "".join(out)


def _legend(g: Graph) -> str:
    kinds = sorted({n.kind for n in g.nodes})
    out = ['<div class="legend">']
    for kind in kinds:
        fill, stroke = UNKNOWN if kind == "unknown" else KIND_COLOURS.get(kind, UNKNOWN)
        out.append(f'<span><svg width="12" height="12"><rect x="0.5" y="0.5" width="11" '
                   f'height="11" rx="2" fill="{fill}" stroke="{stroke}"/></svg>{html(kind)}'
                   "</span>")
    out.append("</div>\n")
    return "".join(out)


def _view_html(g: Graph, view: int, rankdir: str, heat: str | None, named: bool) -> str:
    """One net's section; `named` gives it a heading (two nets side by side)."""
    a = g.analysis
    svg = render_svg(arrange(g, rankdir), heat, prefix=f"v{view}", standalone=False)
    heading = f'<h2>{html(a.net or "(unnamed net)")}</h2>\n' if named else ""
    return (f'<section class="view" id="view-{view}" data-view="{view}">\n' + heading +
            f'<p class="meta">{html(a.filename)} · phase {a.phase} · format {a.format} · '
            f'inputs {html(", ".join(f"{b.name} {shape_str(b.shape)}" for b in a.inputs))}</p>\n'
            + _totals(a)
            + '<h3>Graph</h3>\n<div class="toolbar"><button type="button" data-act="fit">fit'
              '</button><button type="button" data-act="width">fit width</button>'
              '<button type="button" data-act="one">1:1</button><button type="button" '
              'data-act="in">+</button><button type="button" data-act="out">−</button>'
              '<span class="hint">drag to pan · wheel to zoom · click a node for its row'
              "</span></div>\n"
            + _legend(g)
            + f'<div class="graph" tabindex="0">{svg}</div>\n'
            + '<h3>Layers</h3>\n<div class="tablebar"><input type="search" class="filter" '
              'placeholder="filter by name, type or kind" aria-label="filter layers">'
              '<span class="count"></span></div>\n'
              '<div class="rows" tabindex="0"><table class="layers" role="grid"><thead><tr>'
              '<th data-col="index" data-num="1">#</th><th data-col="name">name</th>'
              '<th data-col="type">type</th><th data-col="kind">kind</th>'
              '<th data-col="out">output</th><th data-col="macs" data-num="1">MACs</th>'
              '<th data-col="ops" data-num="1">ops</th>'
              '<th data-col="params" data-num="1">params</th>'
              '<th data-col="memory" data-num="1">memory</th></tr></thead><tbody></tbody>'
              "</table></div>\n"
            + "<h3>Breakdown by kind</h3>\n" + _breakdown(a)
            + "<h3>Heaviest layers by MACs</h3>\n" + _top_layers(a, view)
            + "<h3>Depthwise-separable what-if</h3>\n" + _separable(a, view)
            + "</section>\n")


def _labels(a: Analysis, b: Analysis) -> tuple[str, str]:
    """Column headings: the net names, or the file names when the names are the same."""
    x, y = a.net or a.filename, b.net or b.filename
    if x == y:
        x, y = os.path.basename(a.filename), os.path.basename(b.filename)
    return html(x), html(y)


def _comparison(a: Analysis, b: Analysis) -> str:
    def change(x: int, y: int, show: Callable[[int], str]) -> str:
        if x == y:
            return "same"
        if not x:
            return "new"
        sign = "+" if y > x else "-"
        return f"{100 * (y - x) / x:+.1f}% ({sign}{show(abs(y - x))})"

    t, u = a.total, b.total
    rows: list[tuple[str, int, int, Callable[[int], str]]] = [
        ("layers", len(a.layers), len(b.layers), "{:,}".format),
        ("MACs", t.macs, u.macs, human),
        ("other ops", t.ops, u.ops, human), ("params", t.params, u.params, human),
        ("learnable params", t.learnable, u.learnable, human),
        ("param memory", t.param_bytes, u.param_bytes, mib),
        ("activation memory", t.activation_bytes, u.activation_bytes, mib)]
    kinds = {k.kind: k.macs for k in a.breakdown}
    other = {k.kind: k.macs for k in b.breakdown}
    for kind in WEIGHTED_KINDS:
        if kind in kinds or kind in other:
            rows.append((f"MACs in {kind}", kinds.get(kind, 0), other.get(kind, 0), human))
    left, right = _labels(a, b)
    out = ['<section class="compare"><h2>What changed</h2><table class="small"><thead><tr>'
           f"<th></th><th>{left}</th><th>{right}</th><th>change</th></tr></thead><tbody>"]
    unknown = bool(t.unknown or u.unknown)
    for label, x, y, show in rows:
        star = " *" if unknown and label != "layers" else ""
        out.append(f'<tr><td>{label}{star}</td><td class="num" title="{x:,}">{show(x)}</td>'
                   f'<td class="num" title="{y:,}">{show(y)}</td><td class="num">'
                   f"{change(x, y, show)}</td></tr>")
    out.append("</tbody></table>")
    if unknown:
        out.append('<p class="warn">* totals leave out layers with unknown figures.</p>')
    out.append("</section>\n")
    return "".join(out)
