"""Formatting of an Analysis: a table for people, JSON/CSV for programs, Markdown for docs.

Kept apart from analysis.py (as fvcore and torchinfo do) so a new format never touches the
numbers. The JSON layout is documented in the README and is stable: fields are only added.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from prototxt_tool import __version__
from prototxt_tool.analysis import WEIGHTED_KINDS, Analysis, LayerReport
from prototxt_tool.escape import csv_cell, markdown, visible
from prototxt_tool.shapes import Shape

JSON_SCHEMA_VERSION = 1
WIDTH = 100


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


def _share(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 4) if whole else None


def _weighted_params(a: Analysis) -> int:
    return sum(k.params for k in a.breakdown if k.kind in WEIGHTED_KINDS)


# -- JSON ---------------------------------------------------------------------------------------
def to_dict(a: Analysis, flops: bool = False) -> dict[str, Any]:
    weighted = _weighted_params(a)
    t = a.total
    total: dict[str, Any] = {
        "macs": t.macs, "ops": t.ops, "params": t.params, "learnable_params": t.learnable,
        "activations": t.activations, "param_bytes": t.param_bytes,
        "activation_bytes": t.activation_bytes, "complete": not t.unknown,
        "unknown_layers": list(t.unknown),
    }
    if flops:
        total["flops"] = 2 * t.macs
    return {
        "dwsep_version": __version__,
        "schema_version": JSON_SCHEMA_VERSION,
        "net": a.net,
        "file": a.filename,
        "phase": a.phase,
        "format": a.format,
        "inputs": [{"name": b.name, "shape": _list(b.shape)} for b in a.inputs],
        "layers": [_layer_dict(r, flops) for r in a.layers],
        "total": total,
        "breakdown": [
            {"kind": k.kind, "layers": k.layers, "macs": k.macs,
             "macs_share": _share(k.macs, t.macs), "params": k.params,
             "params_share": _share(k.params, weighted) if k.kind in WEIGHTED_KINDS else None}
            for k in a.breakdown
        ],
        "warnings": list(a.warnings),
    }


def _list(shape: Shape | None) -> list[int] | None:
    return None if shape is None else list(shape)


def _layer_dict(r: LayerReport, flops: bool) -> dict[str, Any]:
    d: dict[str, Any] = {
        "name": r.name, "type": r.type, "kind": r.kind, "line": r.line or None,
        "bottoms": [b.name for b in r.bottoms],
        "bottom_shapes": [_list(b.shape) for b in r.bottoms],
        "tops": [{"name": b.name, "shape": _list(b.shape)} for b in r.tops],
        "params": r.params, "learnable_params": r.learnable, "shared_params": r.shared,
        "param_shapes": None if r.param_shapes is None else [list(s) for s in r.param_shapes],
        "macs": r.macs, "ops": r.ops, "activations": r.activations,
        "data_dependent": r.data_dependent,
        "separable": None if r.separable is None else {
            "macs": r.separable.macs, "params": r.separable.params,
            "ratio": float(r.separable.ratio), "ratio_exact": str(r.separable.ratio)},
    }
    if flops:
        d["flops"] = None if r.macs is None else 2 * r.macs
    if r.error:
        d["error"] = r.error
    return d


def to_json(a: Analysis, flops: bool = False) -> str:
    # No indent: only then does json use its C encoder (10x faster on a ResNet-152 report).
    return json.dumps(to_dict(a, flops)) + "\n"


# -- CSV ------------------------------------------------------------------------------------------
CSV_COLUMNS = ["name", "type", "kind", "bottoms", "tops", "top_shapes", "params",
               "learnable_params", "param_shapes", "macs", "ops", "activations"]


def to_csv(a: Analysis, flops: bool = False) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, *(["flops"] if flops else [])])
    for r in a.layers:
        # Names are untrusted: csv_cell shows control characters and defuses formulas.
        row = [csv_cell(r.name), csv_cell(r.type), r.kind,
               csv_cell(";".join(b.name for b in r.bottoms)),
               csv_cell(";".join(b.name for b in r.tops)),
               ";".join(shape_str(b.shape) for b in r.tops),
               _blank(r.params), _blank(r.learnable),
               "" if r.param_shapes is None else ";".join(shape_str(s) for s in r.param_shapes),
               _blank(r.macs), _blank(r.ops), _blank(r.activations)]
        if flops:
            row.append(_blank(None if r.macs is None else 2 * r.macs))
        writer.writerow(row)
    return out.getvalue()


def _blank(n: int | None) -> str | int:
    return "" if n is None else n


# -- table and Markdown share their rows ---------------------------------------------------------
def _unit(flops: bool) -> str:
    return "FLOPs" if flops else "MACs"


def _layer_rows(a: Analysis, flops: bool) -> list[list[str]]:
    k = 2 if flops else 1
    return [[r.name, r.type, r.kind, shape_str(r.tops[0].shape) if r.tops else "-",
             human(None if r.macs is None else k * r.macs), human(r.params)] for r in a.layers]


def _header_lines(a: Analysis, flops: bool, esc: Callable[[str], str] = visible) -> list[str]:
    """The lines above the table; `esc` is the output format's escape for net-supplied text."""
    net = esc(a.net) if a.net else "(unnamed net)"
    lines = [f"{net}  {esc(a.filename)}  phase {a.phase}  format {a.format}"]
    for b in a.inputs:
        lines.append(f"input {esc(b.name)}: {shape_str(b.shape)}")
    if flops:
        lines.append("FLOPs = 2 x MACs (a multiply and an add counted apart), conv/deconv/FC only")
    else:
        lines.append("MACs = multiply-accumulates of conv/deconv/FC layers (the MobileNet paper's "
                     "mult-adds);")
        lines.append("other element-wise work (BatchNorm, ReLU, pooling, ...) is counted apart "
                     "as 'ops'")
    return lines


def _total_lines(a: Analysis, flops: bool, esc: Callable[[str], str] = visible) -> list[str]:
    t = a.total
    k = 2 if flops else 1
    lines = [
        f"Total {_unit(flops)}: {human(k * t.macs)} ({k * t.macs:,})   other ops: {human(t.ops)}",
        f"Params: {human(t.params)} ({t.params:,}) in all blobs, {human(t.learnable)} "
        f"({t.learnable:,}) learnable (BatchNorm statistics excluded)",
        f"Memory (float32): params {mib(t.param_bytes)}, activations {mib(t.activation_bytes)}",
    ]
    if t.unknown:
        lines.append(f"Unknown figures in {len(t.unknown)} layer(s), not in the totals: "
                     + ", ".join(map(esc, t.unknown[:5])) + (" ..." if len(t.unknown) > 5 else ""))
    return lines


def _breakdown_rows(a: Analysis, flops: bool) -> list[list[str]]:
    weighted = _weighted_params(a)
    k = 2 if flops else 1
    rows = []
    for kt in a.breakdown:
        if not kt.macs and not kt.params:
            continue
        ms = _share(kt.macs, a.total.macs)
        ps = _share(kt.params, weighted) if kt.kind in WEIGHTED_KINDS else None
        rows.append([kt.kind, str(kt.layers), human(k * kt.macs),
                     "-" if ms is None else f"{ms:.2f}%", human(kt.params),
                     "-" if ps is None else f"{ps:.2f}%"])
    return rows


def _separable_rows(a: Analysis, flops: bool) -> list[list[str]]:
    k = 2 if flops else 1
    rows = []
    for r in a.layers:
        if r.separable is None or r.macs is None:
            continue
        rows.append([r.name, "x".join(map(str, r.param_shapes[0][2:])),
                     str(r.param_shapes[0][0]), human(k * r.macs), human(k * r.separable.macs),
                     f"{float(r.separable.ratio):.4f}"])
    return rows


LAYER_HEAD = ["layer", "type", "kind", "output", "MACs", "params"]
BREAKDOWN_HEAD = ["kind", "layers", "MACs", "share", "params", "share"]
SEPARABLE_HEAD = ["standard conv", "kernel", "N", "MACs now", "separable", "ratio 1/N+1/K²"]


def _fit(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    keep = width - 1
    return text[: keep // 2] + "~" + text[len(text) - (keep - keep // 2):]


def _table(head: list[str], rows: list[list[str]], widths: list[int], right: set[int]) -> list[str]:
    def line(cells: list[str]) -> str:
        out = []
        for i, (cell, w) in enumerate(zip(cells, widths, strict=True)):
            cell = _fit(visible(cell), w)  # escaped first, so the width is what is shown
            out.append(cell.rjust(w) if i in right else cell.ljust(w))
        return "  ".join(out).rstrip()

    return [line(head), line(["-" * w for w in widths])] + [line(r) for r in rows]


def to_table(a: Analysis, flops: bool = False) -> str:
    unit = _unit(flops)
    head = [*LAYER_HEAD[:4], unit, "params"]
    lines = _header_lines(a, flops) + [""]
    lines += _table(head, _layer_rows(a, flops), [24, 16, 15, 19, 8, 8], {4, 5})
    lines += [""] + _total_lines(a, flops) + [""]
    b_head = ["breakdown by kind", "layers", unit, "share", "params", "share"]
    lines += _table(b_head, _breakdown_rows(a, flops), [24, 6, 9, 8, 9, 8], {1, 2, 3, 4, 5})
    sep = _separable_rows(a, flops)
    if sep:
        s_head = [*SEPARABLE_HEAD[:3], f"{unit} now", "separable", "ratio 1/N+1/K²"]
        lines += ["", "Depthwise-separable replacement of each standard KxK convolution:"]
        lines += _table(s_head, sep, [24, 7, 6, 10, 10, 14], {2, 3, 4, 5})
    return "\n".join(lines) + "\n"


def to_markdown(a: Analysis, flops: bool = False) -> str:
    def md(head: list[str], rows: list[list[str]], names: int = 0) -> list[str]:
        # The first `names` columns hold net-supplied text; the others are dwsep's own numbers.
        esc = [[markdown(c) if i < names else c for i, c in enumerate(r)] for r in rows]
        return (["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                + ["| " + " | ".join(r) + " |" for r in esc])

    unit = _unit(flops)
    lines = [f"# {markdown(a.net or a.filename)}", ""]
    lines += [f"- {x}" for x in _header_lines(a, flops, markdown)] + [""]
    lines += md([*LAYER_HEAD[:4], unit, "params"], _layer_rows(a, flops), names=3) + [""]
    lines += [f"- {x}" for x in _total_lines(a, flops, markdown)] + [""]
    lines += md(["kind", "layers", unit, "share", "params", "share"], _breakdown_rows(a, flops))
    sep = _separable_rows(a, flops)
    if sep:
        lines += ["", "Depthwise-separable replacement of each standard KxK convolution:", ""]
        lines += md([*SEPARABLE_HEAD[:3], f"{unit} now", "separable", "ratio 1/N+1/K²"], sep,
                    names=1)
    return "\n".join(lines) + "\n"


FORMATS: dict[str, Callable[[Analysis, bool], str]] = {
    "table": to_table, "json": to_json, "csv": to_csv, "markdown": to_markdown,
}
