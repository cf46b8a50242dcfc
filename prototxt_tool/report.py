"""Formatting of an Analysis: a table for people, JSON/CSV for programs, Markdown for docs.

Kept apart from analysis.py (as fvcore and torchinfo do) so a new format never touches the
numbers. The JSON layout is documented in the README and is stable: fields are only added.

Every format shows the same view (`View`): all layers, `--top K` by `--sort`, `--group-by`
roll-ups, or `--summary` alone. Unknown figures have one spelling per format: `null` in JSON,
an empty cell in CSV, `?` in the table and Markdown. Net-supplied text (names, types, paths)
goes through prototxt_tool.escape, for the format at hand, before it is measured or printed.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from prototxt_tool import __version__, escape, tables, views
from prototxt_tool.analysis import (
    JSON_SCHEMA_VERSION,
    WEIGHTED_KINDS,
    Analysis,
    LayerReport,
    layer_json,
    share,
    to_dict,
    weighted_params,
)
from prototxt_tool.shapes import Shape
from prototxt_tool.tables import Column

WIDTH = tables.WIDTH
HEAVY_SHARE = 10.0  # a layer doing at least this % of the net's MACs is "heavy" (coloured)

KIND_COLORS = {"standard conv": "yellow", "depthwise conv": "green", "pointwise conv": "cyan",
               "grouped conv": "yellow", "deconvolution": "magenta", "fully connected": "blue",
               "unknown": "red"}


@dataclass(slots=True)
class View:
    """What to show: every format honours the same view."""

    flops: bool = False
    summary: bool = False  # header, totals, breakdown; no per-layer rows
    top: int | None = None  # only the first K rows after sorting
    sort: str = "order"  # views.SORT_KEYS
    group_by: str | None = None  # views.GROUP_KEYS: rows are groups instead of layers
    width: int = WIDTH  # table width (the terminal's on a terminal)
    color: bool = False

    @property
    def k(self) -> int:
        return 2 if self.flops else 1

    @property
    def unit(self) -> str:
        return "FLOPs" if self.flops else "MACs"

    def rows(self, a: Analysis) -> list[Any]:
        """The layers (or groups) this view shows, in the order it shows them."""
        if self.summary:
            return []
        items: list[Any] = views.groups(a, self.group_by) if self.group_by else a.layers
        return views.select(items, self.sort, self.top)


def as_view(view: View | bool | None) -> View:
    """Callers may still pass the old `flops` flag."""
    if isinstance(view, View):
        return view
    return View(flops=bool(view))


def shape_str(shape: Shape | None) -> str:
    if shape is None:
        return "?"
    return "x".join(map(str, shape)) if shape else "scalar"


def human(n: int | None) -> str:
    """568740352 -> '568.7M': three or four significant figures, the way papers print them."""
    if n is None:
        return "?"
    for scale, unit in ((10**18, "E"), (10**15, "P"), (10**12, "T"), (10**9, "G"), (10**6, "M"),
                        (10**3, "K")):
        if abs(n) >= scale:
            value = n / scale
            return f"{value:.2f}{unit}" if value < 10 else f"{value:.1f}{unit}"
    return str(n)


def mib(n_bytes: int) -> str:
    return f"{n_bytes / 2**20:.1f} MiB"


def _times(n: int | None, k: int) -> int | None:
    return None if n is None else k * n


# -- JSON ---------------------------------------------------------------------------------------
def view_dict(a: Analysis, view: View | bool | None = None,
              layers: bool = True) -> dict[str, Any]:
    """The JSON document of a view: Analysis.to_dict(), with `layers` as the view selects them.

    --group-by replaces `layers` by `groups`; --summary leaves both out. `separable_groups`
    is the collapsed what-if table, `view` says what was selected. layers=False leaves an
    all-layers `layers` list empty, for to_json to fill in.
    """
    v = as_view(view)
    every = not (v.summary or v.group_by or v.top is not None or v.sort != "order")
    d = to_dict(a, v.flops, layers=layers or not every)
    rows = v.rows(a)
    if v.summary or v.group_by:
        del d["layers"]
    elif not every:
        by_name = {id(r): x for r, x in zip(a.layers, d["layers"], strict=True)}
        d["layers"] = [by_name[id(r)] for r in rows]
    if v.group_by and not v.summary:
        d["groups"] = [_group_dict(g, v) for g in rows]
    d["separable_groups"] = [s.to_dict() for s in views.separable_rows(a)]
    d["notes"] = list(a.notes)
    d["view"] = {"summary": v.summary, "top": v.top, "sort": v.sort, "group_by": v.group_by}
    return d


def _group_dict(g: views.Group, v: View) -> dict[str, Any]:
    d = g.to_dict()
    if v.flops:
        d["flops"] = _times(g.macs, 2)
    return d


def to_json(a: Analysis, view: View | bool | None = None) -> str:
    """json.dumps(view_dict(a, view)), byte for byte, made faster and with less memory.

    With every layer shown, the document is written around an empty `layers` list, and each
    layer is written as text by analysis.layer_json: no dict per layer, and no copy of the
    whole text but the final join (each new page of memory costs a page fault, which on a
    VM costs more than writing into it). The rest goes through json.dumps without indent:
    only then does json use its C encoder.
    """
    d = view_dict(a, view, layers=False)
    if d.get("layers") != [] or not a.layers:
        return json.dumps(d) + "\n"
    keys = list(d)
    at = keys.index("layers")
    head = json.dumps({k: d[k] for k in keys[:at]})  # non-empty: the version comes first
    tail = json.dumps({k: d[k] for k in keys[at + 1:]})  # non-empty: total, breakdown, ...
    flops = as_view(view).flops
    body = ", ".join([layer_json(r, flops) for r in a.layers])
    pieces = [head[:-1], ', "layers": [', body, "], ", tail[1:], "\n"]
    return "".join(pieces)  # one copy of the text, not one per concatenation


# -- CSV ------------------------------------------------------------------------------------------
CSV_COLUMNS = ["name", "type", "kind", "bottoms", "tops", "top_shapes", "params",
               "learnable_params", "param_shapes", "macs", "ops", "activations"]
CSV_GROUP_COLUMNS = ["group", "layers", "first", "last", "macs", "ops", "params",
                     "learnable_params", "activations"]
CSV_SUMMARY_COLUMNS = ["net", "file", "macs", "ops", "params", "learnable_params", "activations",
                       "peak_activations", "param_bytes", "activation_bytes",
                       "peak_activation_bytes", "layers", "complete"]


def to_csv(a: Analysis, view: View | bool | None = None) -> str:
    """One row per layer (or per group with --group-by; one row for the net with --summary)."""
    v = as_view(view)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    flops = ["flops"] if v.flops else []
    c = escape.csv_cell
    if v.summary:
        t = a.total
        writer.writerow([*CSV_SUMMARY_COLUMNS, *flops])
        writer.writerow([c(a.net), c(a.filename), t.macs, t.ops, t.params, t.learnable,
                         t.activations, t.peak_activations, t.param_bytes, t.activation_bytes,
                         t.peak_activation_bytes, len(a.layers), str(not t.unknown).lower(),
                         *([2 * t.macs] if v.flops else [])])
    elif v.group_by:
        writer.writerow([*CSV_GROUP_COLUMNS, *flops])
        for g in v.rows(a):
            writer.writerow([c(g.name), g.layers, c(g.first), c(g.last), _blank(g.macs),
                             _blank(g.ops), _blank(g.params), _blank(g.learnable),
                             _blank(g.activations), *([_blank(_times(g.macs, 2))] * bool(flops))])
    else:
        writer.writerow([*CSV_COLUMNS, *flops])
        for r in v.rows(a):
            row = [c(r.name), c(r.type), r.kind, c(";".join(b.name for b in r.bottoms)),
                   c(";".join(b.name for b in r.tops)),
                   ";".join(shape_str(b.shape) for b in r.tops).replace("?", ""),
                   _blank(r.params), _blank(r.learnable),
                   "" if r.param_shapes is None else ";".join(shape_str(s)
                                                              for s in r.param_shapes),
                   _blank(r.macs), _blank(r.ops), _blank(r.activations)]
            if v.flops:
                row.append(_blank(_times(r.macs, 2)))
            writer.writerow(row)
    return out.getvalue()


def _blank(n: int | None) -> str | int:
    return "" if n is None else n


# -- table and Markdown share their rows ---------------------------------------------------------
def _layer_columns(v: View) -> list[Column]:
    return [Column("layer", elastic=True, unique=True), Column("type", 16, unique=True),
            Column("kind", 15), Column("output", 19), Column(v.unit, 8, right=True),
            Column("params", 8, right=True)]


def _layer_rows(rows: Sequence[LayerReport], v: View, esc: Callable[[str], str]) -> list[list[str]]:
    return [[esc(r.name), esc(r.type), r.kind, shape_str(r.tops[0].shape) if r.tops else "-",
             human(_times(r.macs, v.k)), human(r.params)] for r in rows]


def _layer_styles(a: Analysis, rows: Sequence[LayerReport]) -> list[list[str | None]]:
    out = []
    for r in rows:
        heavy = bool(a.total.macs and r.macs and 100.0 * r.macs / a.total.macs >= HEAVY_SHARE)
        kind = KIND_COLORS.get(r.kind)
        out.append([None, None, kind, None, "bold red" if heavy else None, None])
    return out


def _group_columns(v: View) -> list[Column]:
    head = {"kind": "kind", "prefix": "prefix", "block": "block"}[v.group_by or "kind"]
    return [Column(head, elastic=True, unique=True), Column("layers", 6, right=True),
            Column(v.unit, 9, right=True), Column("share", 8, right=True),
            Column("params", 9, right=True), Column("activations", 11, right=True)]


def _group_rows(a: Analysis, rows: Sequence[views.Group], v: View,
                esc: Callable[[str], str]) -> list[list[str]]:
    out = []
    for g in rows:
        s = share(g.macs, a.total.macs) if g.macs is not None else None
        out.append([esc(g.name), str(g.layers), human(_times(g.macs, v.k)),
                    "?" if g.macs is None else "-" if s is None else f"{s:.2f}%",
                    human(g.params), human(g.activations)])
    return out


def _header_lines(a: Analysis, v: View, esc: Callable[[str], str]) -> list[str]:
    net = tables.fit(esc(a.net) if a.net else "(unnamed net)", 40)
    rest = f"  phase {a.phase}  format {a.format}"
    room = v.width - len(net) - 2 - len(rest)
    lines = [f"{net}  {tables.fit_left(esc(a.filename), max(8, room))}{rest}"]
    for b in a.inputs:
        lines.append(tables.fit(f"input {esc(b.name)}: {shape_str(b.shape)}", v.width))
    if v.flops:
        lines.append("FLOPs = 2 x MACs (a multiply and an add counted apart), conv/deconv/FC only")
    else:
        lines.append("MACs = multiply-accumulates of conv/deconv/FC layers (the MobileNet paper's "
                     "mult-adds);")
        lines.append("other element-wise work (BatchNorm, ReLU, pooling, ...) is counted apart "
                     "as 'ops'")
    return lines


def _note_lines(a: Analysis, v: View, esc: Callable[[str], str]) -> list[str]:
    out = []
    for note in a.notes:
        out += tables.wrap(f"note: {esc(note)}", v.width, indent="      ")
    return out


def _total_lines(a: Analysis, v: View, esc: Callable[[str], str]) -> list[str]:
    t = a.total
    k = v.k
    peak_at = f", during layer '{esc(t.peak_layer)}'" if t.peak_layer else ""
    lines = [
        f"Total {v.unit}: {human(k * t.macs)} ({k * t.macs:,})   other ops: {human(t.ops)}",
        f"Params: {human(t.params)} ({t.params:,}) in all blobs, {human(t.learnable)} "
        f"({t.learnable:,}) learnable (BatchNorm stats excluded)",
        f"Memory (float32): params {mib(t.param_bytes)}, activations {mib(t.activation_bytes)}",
        f"Peak activations with buffer reuse: {mib(t.peak_activation_bytes)}{peak_at}",
    ]
    if t.unknown:
        lines.append(f"Unknown figures in {len(t.unknown)} layer(s), not in the totals: "
                     + ", ".join(esc(x) for x in t.unknown[:5])
                     + (" ..." if len(t.unknown) > 5 else ""))
    return [x for line in lines for x in tables.wrap(line, v.width)]


def _breakdown_columns(v: View) -> list[Column]:
    return [Column("breakdown by kind", 24), Column("layers", 6, right=True),
            Column(v.unit, 9, right=True), Column("share", 8, right=True),
            Column("params", 9, right=True), Column("share", 8, right=True)]


def _breakdown_rows(a: Analysis, v: View) -> list[list[str]]:
    weighted = weighted_params(a)
    rows = []
    for kt in a.breakdown:
        if not kt.macs and not kt.params:
            continue
        ms = share(kt.macs, a.total.macs)
        ps = share(kt.params, weighted) if kt.kind in WEIGHTED_KINDS else None
        rows.append([kt.kind, str(kt.layers), human(v.k * kt.macs),
                     "-" if ms is None else f"{ms:.2f}%", human(kt.params),
                     "-" if ps is None else f"{ps:.2f}%"])
    return rows


SEPARABLE_TITLE = ("Depthwise-separable replacement of each standard KxK convolution "
                   "(identical ones counted):")


def _separable_columns(v: View) -> list[Column]:
    return [Column("standard conv", elastic=True, unique=True), Column("count", 5, right=True),
            Column("kernel", 7), Column("Cin", 5, right=True), Column("N", 5, right=True),
            Column("size", 9), Column(f"{v.unit} now", 9, right=True),
            Column("separable", 9, right=True), Column("1/N+1/K²", 8, right=True)]


def _separable_rows(a: Analysis, v: View, esc: Callable[[str], str]) -> list[list[str]]:
    return [[esc(s.first), str(s.count), "x".join(map(str, s.kernel)), str(s.cin), str(s.n),
             "x".join(map(str, s.size)) or "-", human(v.k * s.macs),
             human(v.k * s.separable_macs), f"{s.ratio:.4f}"] for s in views.separable_rows(a)]


def _body(a: Analysis, v: View, esc: Callable[[str], str]
          ) -> tuple[list[Column], list[list[str]], list[Any]]:
    rows = v.rows(a)
    if v.group_by:
        return _group_columns(v), _group_rows(a, rows, v, esc), rows
    return _layer_columns(v), _layer_rows(rows, v, esc), rows


def _view_title(a: Analysis, v: View) -> str | None:
    what = {"kind": "kinds", "prefix": "prefixes", "block": "blocks"}.get(v.group_by or "",
                                                                          "layers")
    total = len(views.groups(a, v.group_by)) if v.group_by else len(a.layers)
    if v.top is not None and v.top < total:
        return f"top {v.top} of {total} {what} by {v.sort}"
    if v.sort != "order":
        return f"{what} by {v.sort}"
    return None


def to_table(a: Analysis, view: View | bool | None = None) -> str:
    v = as_view(view)
    esc = escape.visible
    lines = _header_lines(a, v, esc) + _note_lines(a, v, esc) + [""]
    if not v.summary:
        title = _view_title(a, v)
        if title:
            lines += [title + ":"]
        columns, rows, items = _body(a, v, esc)
        styles = _layer_styles(a, items) if v.color and not v.group_by else None
        lines += tables.render(columns, rows, v.width, styles) + [""]
    lines += _total_lines(a, v, esc) + [""]
    lines += tables.render(_breakdown_columns(v), _breakdown_rows(a, v), v.width)
    sep = _separable_rows(a, v, esc)
    if sep and not v.summary:
        lines += ["", *tables.wrap(SEPARABLE_TITLE, v.width)]
        lines += tables.render(_separable_columns(v), sep, v.width)
    return "\n".join(lines) + "\n"


def to_markdown(a: Analysis, view: View | bool | None = None) -> str:
    v = as_view(view)
    esc = escape.markdown
    wide = View(v.flops, v.summary, v.top, v.sort, v.group_by, width=10**6)
    lines = [f"# {esc(a.net or a.filename)}", ""]
    lines += [f"- {x}" for x in _header_lines(a, wide, esc) + _note_lines(a, wide, esc)] + [""]
    if not v.summary:
        title = _view_title(a, v)
        if title:
            lines += [title + ":", ""]
        columns, rows, _ = _body(a, wide, esc)
        lines += tables.markdown(columns, rows) + [""]
    lines += [f"- {x}" for x in _total_lines(a, wide, esc)] + [""]
    lines += tables.markdown(_breakdown_columns(v), _breakdown_rows(a, v))
    sep = _separable_rows(a, v, esc)
    if sep and not v.summary:
        lines += ["", SEPARABLE_TITLE, ""]
        lines += tables.markdown(_separable_columns(v), sep)
    return "\n".join(lines) + "\n"


FORMATS: dict[str, Callable[[Analysis, Any], str]] = {
    "table": to_table, "json": to_json, "csv": to_csv, "markdown": to_markdown,
}


# -- many nets: one row per file ----------------------------------------------------------------
MANY_CSV_COLUMNS = ["file", "net", "macs", "ops", "params", "learnable_params", "activations",
                    "peak_activations", "param_bytes", "activation_bytes", "memory_bytes",
                    "peak_activation_bytes", "layers", "depthwise_share", "complete", "error"]


def _many_columns(v: View) -> list[Column]:
    return [Column("file", elastic=True, unique=True), Column(v.unit, 7, right=True),
            Column("params", 7, right=True), Column("learnable", 9, right=True),
            Column("activations", 11, right=True), Column("mem MiB", 7, right=True),
            Column("peak MiB", 8, right=True), Column("layers", 6, right=True),
            Column("dw %", 6, right=True)]


def _mib_cell(n: int | None) -> str:
    return "?" if n is None else f"{n / 2**20:.1f}"


def _common_dir(rows: Sequence[Any]) -> str:
    """The directory all files share ('' if none): rows show paths below it."""
    import os

    dirs = [os.path.dirname(r.file) for r in rows if r.file not in ("-", "<stdin>")]
    if len(dirs) < 2 or len(dirs) < len(rows):
        return ""
    try:
        return os.path.commonpath(dirs)
    except ValueError:  # absolute and relative paths mixed
        return ""


def _short_path(path: str, common: str) -> str:
    """Below the common directory, without the .prototxt every row would repeat."""
    path = path[len(common):].lstrip("/") if common else path
    return path.removesuffix(".prototxt")


def _many_rows(rows: Sequence[Any], v: View, esc: Callable[[str], str],
               common: str = "") -> list[list[str]]:
    return [[esc(_short_path(r.file, common)), human(_times(r.macs, v.k)), human(r.params),
             human(r.learnable), human(r.activations), _mib_cell(r.memory_bytes),
             _mib_cell(r.peak_activation_bytes),
             "?" if r.layers is None else str(r.layers),
             "-" if r.depthwise_share is None else f"{r.depthwise_share:.1f}"]
            for r in rows if r.error is None]


def _many_select(rows: Sequence[Any], v: View) -> list[Any]:
    good = [r for r in rows if r.error is None]
    sort = {"name": "file"}.get(v.sort, v.sort)
    if sort == "file":
        good = sorted(good, key=lambda r: r.file)
    elif sort != "order":
        good = views.select(good, sort)
    return good if v.top is None else good[:v.top]


def many_table(rows: Sequence[Any], view: View | None = None) -> str:
    """One line per net; failures listed after the table, each with its one-line error."""
    v = as_view(view)
    esc = escape.visible
    good = _many_select(rows, v)
    bad = [r for r in rows if r.error is not None]
    common = _common_dir(rows)
    lines = [f"{len(rows)} files in {esc(common)}/"] if common else []
    lines += tables.render(_many_columns(v), _many_rows(good, v, esc, common), v.width)
    lines.append("")
    lines.append(f"{len(good)} net(s) analyzed" + (f", {len(bad)} failed:" if bad else ""))
    for r in bad:
        lines += tables.wrap(f"  {esc(r.error)}", v.width, indent="    ")
    return "\n".join(lines) + "\n"


def many_markdown(rows: Sequence[Any], view: View | None = None) -> str:
    v = as_view(view)
    esc = escape.markdown
    good = _many_select(rows, v)
    bad = [r for r in rows if r.error is not None]
    common = _common_dir(rows)
    lines = [f"{len(rows)} files in {esc(common)}/", ""] if common else []
    lines += tables.markdown(_many_columns(v), _many_rows(good, v, esc, common))
    lines += ["", f"{len(good)} net(s) analyzed" + (f", {len(bad)} failed:" if bad else "")]
    lines += ([""] + [f"- {esc(r.error)}" for r in bad] if bad else [])
    return "\n".join(lines) + "\n"


def many_json(rows: Sequence[Any], view: View | None = None) -> str:
    v = as_view(view)
    good = _many_select(rows, v)
    return json.dumps({
        "dwsep_version": __version__, "schema_version": JSON_SCHEMA_VERSION,
        "nets": [r.to_dict() for r in good],
        "failures": [{"file": r.file, "error": r.error} for r in rows if r.error is not None],
    }) + "\n"


def many_csv(rows: Sequence[Any], view: View | None = None) -> str:
    v = as_view(view)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MANY_CSV_COLUMNS)
    c = escape.csv_cell
    chosen = _many_select(rows, v) + [r for r in rows if r.error is not None]
    for r in chosen:
        d = r.to_dict()
        row = [c(r.file), c(r.net)] + [_blank(d[k]) for k in MANY_CSV_COLUMNS[2:-2]]
        row += ["" if r.complete is None else str(r.complete).lower(),
                "" if r.error is None else c(r.error)]
        writer.writerow(row)
    return out.getvalue()


MANY_FORMATS: dict[str, Callable[[Sequence[Any], Any], str]] = {
    "table": many_table, "json": many_json, "csv": many_csv, "markdown": many_markdown,
}


# -- dwsep diff -----------------------------------------------------------------------------------
DIFF_TOTALS = (("MACs", "macs"), ("ops", "ops"), ("params", "params"),
               ("learnable params", "learnable"), ("activations", "activations"),
               ("peak activations", "peak_activations"))
DIFF_CSV_COLUMNS = ["status", "name", "a", "b", "type", "fields", "macs_a", "macs_b",
                    "macs_delta", "params_a", "params_b", "params_delta", "learnable_a",
                    "learnable_b", "learnable_delta", "activations_a", "activations_b",
                    "activations_delta"]


def signed(n: int | None) -> str:
    """+1.20M / -35.0K / 0 / ? : a delta as the reports print figures."""
    if n is None:
        return "?"
    return "0" if n == 0 else ("+" if n > 0 else "-") + human(abs(n))


def _pct(p: float | None) -> str:
    return "-" if p is None else f"{p:+.2f}%"


def _diff_columns(v: View) -> list[Column]:
    return [Column("layer", elastic=True, unique=True), Column("change", 7),
            Column("type", 14, unique=True), Column("what differs", elastic=True),
            Column(f"{v.unit} delta", 10, right=True), Column("params delta", 12, right=True)]


def _diff_rows(d: Any, v: View, esc: Callable[[str], str]) -> list[list[str]]:
    return [[esc(c.name), c.status, esc((c.b or c.a).type), ",".join(c.fields) or "-",
             signed(_times(c.delta("macs"), v.k)), signed(c.delta("params"))]
            for c in d.changes()]


def _diff_total_rows(d: Any, v: View) -> list[list[str]]:
    rows = []
    for label, key in DIFF_TOTALS:
        va, vb, delta, pct = d.total_delta(key)
        k = v.k if key == "macs" else 1
        rows.append([f"{v.unit}" if key == "macs" else label, human(k * va), human(k * vb),
                     signed(k * delta), _pct(pct)])
    return rows


DIFF_TOTAL_COLUMNS = [Column("total", 16), Column("A", 9, right=True), Column("B", 9, right=True),
                      Column("delta", 10, right=True), Column("%", 9, right=True)]


def _diff_head(d: Any, esc: Callable[[str], str], width: int) -> list[str]:
    out = []
    for side, a in (("A", d.a), ("B", d.b)):
        net = tables.fit(esc(a.net) if a.net else "(unnamed net)", 30)
        out.append(f"{side}: {net}  {tables.fit_left(esc(a.filename), width - len(net) - 5)}")
    counts = d.counts()
    out.append(", ".join(f"{counts[s]} {s}" for s in ("added", "removed", "changed", "renamed"))
               + f", {counts['same']} the same")
    return out


def diff_table(d: Any, view: View | None = None) -> str:
    v = as_view(view)
    esc = escape.visible
    lines = _diff_head(d, esc, v.width) + [""]
    if d.changes():
        lines += tables.render(_diff_columns(v), _diff_rows(d, v, esc), v.width) + [""]
    lines += tables.render(DIFF_TOTAL_COLUMNS, _diff_total_rows(d, v), v.width)
    return "\n".join(lines) + "\n"


def diff_markdown(d: Any, view: View | None = None) -> str:
    v = as_view(view)
    esc = escape.markdown
    lines = [f"- {x}" for x in _diff_head(d, esc, 10**6)] + [""]
    if d.changes():
        lines += tables.markdown(_diff_columns(v), _diff_rows(d, v, esc)) + [""]
    lines += tables.markdown(DIFF_TOTAL_COLUMNS, _diff_total_rows(d, v))
    return "\n".join(lines) + "\n"


def diff_json(d: Any, view: View | None = None) -> str:
    totals = {}
    for _, key in DIFF_TOTALS:
        va, vb, delta, pct = d.total_delta(key)
        totals[key] = {"a": va, "b": vb, "delta": delta, "percent": pct}
    return json.dumps({
        "dwsep_version": __version__, "schema_version": JSON_SCHEMA_VERSION,
        "a": {"file": d.a.filename, "net": d.a.net}, "b": {"file": d.b.filename, "net": d.b.net},
        "counts": d.counts(), "layers": [c.to_dict() for c in d.changes()], "totals": totals,
    }) + "\n"


def diff_csv(d: Any, view: View | None = None) -> str:
    """One row per changed layer, then one `total` row per figure (name = the figure)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(DIFF_CSV_COLUMNS)
    c = escape.csv_cell
    for ch in d.changes():
        x = ch.to_dict()
        writer.writerow([ch.status, c(ch.name), c(x["a"] or ""), c(x["b"] or ""), c(x["type"]),
                         ";".join(ch.fields)]
                        + [_blank(x[f"{k}_{s}"]) for k in ("macs", "params", "learnable",
                                                           "activations")
                           for s in ("a", "b", "delta")])
    for _, key in DIFF_TOTALS:
        va, vb, delta, _ = d.total_delta(key)
        writer.writerow(["total", key, "", "", "", "", va, vb, delta] + [""] * 9)
    return out.getvalue()


DIFF_FORMATS: dict[str, Callable[[Any, Any], str]] = {
    "table": diff_table, "json": diff_json, "csv": diff_csv, "markdown": diff_markdown,
}
