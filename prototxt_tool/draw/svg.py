"""SVG rendering of a laid-out graph (also embedded, as is, in the HTML report).

The SVG is static and self-describing: each node is a <g class="node"> carrying its layer's
name (data-layer), kind and the layers folded into it (<g class="fold">); each edge a
<g class="edge"> with its blob and shape. Tests and the report's script read those attributes,
so the picture never has to be parsed back from its text. Every net-supplied string goes
through escape.html(); no inline style attributes are used, so a strict CSP needs no
'unsafe-inline'.
"""

from __future__ import annotations

from dataclasses import dataclass

from prototxt_tool.draw import labels
from prototxt_tool.draw.layout import RANK_GAP, Layout, layout
from prototxt_tool.draw.model import Graph, Node
from prototxt_tool.escape import html

# fill, stroke by kind: convolutions warm/cool by how they mix channels, the rest muted
KIND_COLOURS: dict[str, tuple[str, str]] = {
    "input": ("#e8eaf6", "#5c6bc0"),
    "standard conv": ("#ffcc80", "#e65100"),
    "depthwise conv": ("#a5d6a7", "#2e7d32"),
    "pointwise conv": ("#90caf9", "#1565c0"),
    "grouped conv": ("#ce93d8", "#6a1b9a"),
    "deconvolution": ("#f48fb1", "#ad1457"),
    "fully connected": ("#ef9a9a", "#c62828"),
    "normalization": ("#fff59d", "#f9a825"),
    "scale": ("#fff9c4", "#f9a825"),
    "activation": ("#eeeeee", "#757575"),
    "pooling": ("#80cbc4", "#00695c"),
    "eltwise": ("#bcaaa4", "#4e342e"),
    "concat": ("#b0bec5", "#37474f"),
    "reshape": ("#cfd8dc", "#546e7a"),
    "softmax": ("#ffe082", "#ff8f00"),
    "loss": ("#ffab91", "#d84315"),
    "detection": ("#b39ddb", "#4527a0"),
    "upsample": ("#80deea", "#00838f"),
    "other": ("#f5f5f5", "#9e9e9e"),
}
UNKNOWN = ("#ffffff", "#9e9e9e")  # drawn dashed: nothing known, nothing guessed
# ColorBrewer "Oranges", light to dark, for --heat
RAMP = ["#fff5eb", "#fee6ce", "#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913", "#d94801",
        "#a63603", "#7f2704"]
HEATS = ("macs", "params", "activations")
LEGEND_HEIGHT = 30.0


@dataclass(slots=True)
class Drawing:
    graph: Graph
    layout: Layout
    lines: list[list[str]]  # per node, plain text (escaped when written)
    rankdir: str


def arrange(graph: Graph, rankdir: str = "TB") -> Drawing:
    lines = [labels.node_lines(graph, n) for n in graph.nodes]
    sizes = [labels.node_size(x) for x in lines]
    gap = RANK_GAP
    if rankdir == "LR":  # a shape label runs along its edge: leave room for the longest
        longest = max((len(labels.shape_label(e.shape)) for e in graph.edges), default=0)
        gap = max(gap, longest * labels.LABEL_CHAR_WIDTH + 20)
    placed = layout(sizes, [(e.source, e.target) for e in graph.edges], rankdir, rank_gap=gap)
    return Drawing(graph, placed, lines, rankdir)


def heat_value(graph: Graph, node: Node, heat: str) -> int | None:
    if heat == "macs":
        return node.macs
    if heat == "params":
        return node.params
    values = [graph.analysis.layers[i].activations for i in node.layers]
    return None if any(v is None for v in values) else sum(v or 0 for v in values)


def colours(drawing: Drawing, heat: str | None) -> list[tuple[str, str, bool]]:
    """(fill, stroke, unknown) per node: by kind, or by cost share of the heaviest node."""
    graph = drawing.graph
    out = []
    values = [heat_value(graph, n, heat) for n in graph.nodes] if heat else []
    top = max((v for v in values if v is not None), default=0)
    for i, node in enumerate(graph.nodes):
        unknown = node.kind == "unknown" or node.macs is None or node.params is None
        if heat:
            v = values[i]
            if v is None:
                out.append((*UNKNOWN, True))
                continue
            step = 0 if not top else min(len(RAMP) - 1, int(v / top * (len(RAMP) - 1) + 0.5))
            out.append((RAMP[step], "#7f2704" if step > 4 else "#a0522d", unknown))
        else:
            fill, stroke = UNKNOWN if node.kind == "unknown" else \
                KIND_COLOURS.get(node.kind, KIND_COLOURS["other"])
            out.append((fill, stroke, unknown))
    return out


def _f(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _path(points: list[tuple[float, float]], horizontal: bool) -> str:
    """Cubic segments between consecutive points, tangent along the rank axis: smooth S-bends."""
    x0, y0 = points[0]
    out = [f"M{_f(x0)},{_f(y0)}"]
    for x1, y1 in points[1:]:
        if horizontal:
            mid = (x0 + x1) / 2
            out.append(f"C{_f(mid)},{_f(y0)} {_f(mid)},{_f(y1)} {_f(x1)},{_f(y1)}")
        else:
            mid = (y0 + y1) / 2
            out.append(f"C{_f(x0)},{_f(mid)} {_f(x1)},{_f(mid)} {_f(x1)},{_f(y1)}")
        x0, y0 = x1, y1
    return "".join(out)


def render_svg(drawing: Drawing, heat: str | None = None, prefix: str = "dw",
               standalone: bool = True) -> str:
    """The whole picture; `prefix` keeps element ids unique when several share a page.

    A standalone SVG carries each node's details in a <title> (the viewer's tooltip); inside
    the report the page's own tooltip shows them from its JSON, so they are left out there.
    """
    graph, lay = drawing.graph, drawing.layout
    horizontal = drawing.rankdir == "LR"
    top = LEGEND_HEIGHT if heat else 0.0
    width, height = lay.width, lay.height + top
    name = html(graph.analysis.net or graph.analysis.filename)
    out = []
    if standalone:
        out.append('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.append(f'<svg xmlns="http://www.w3.org/2000/svg" class="dwsep-graph" id="{prefix}-svg" '
               f'width="{_f(width)}" height="{_f(height)}" viewBox="0 0 {_f(width)} '
               f'{_f(height)}" font-family="{html(labels.FONT)}" '
               f'font-size="{_f(labels.FONT_SIZE)}" data-rankdir="{drawing.rankdir}">\n'
               f'<title>{name}</title>\n'
               f'<defs><marker id="{prefix}-arrow" viewBox="0 0 8 8" refX="8" refY="4" '
               'markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L8,4L0,8z" '
               'fill="#777"/></marker></defs>\n'
               f'<rect class="background" width="{_f(width)}" height="{_f(height)}" '
               'fill="#ffffff"/>\n')
    out.append(f'<g class="viewport" id="{prefix}-viewport">\n')
    if heat:
        out.append(_legend(heat))
    out.append(f'<g class="content" transform="translate(0,{_f(top)})">\n')
    out.append(_edges(drawing, prefix, horizontal))
    out.append(_nodes(drawing, heat, prefix, titles=standalone))
    out.append("</g>\n</g>\n</svg>\n")
    return "".join(out)


def _edges(drawing: Drawing, prefix: str, horizontal: bool) -> str:
    lay = drawing.layout
    nodes = lay.nodes
    out = ['<g class="edges" fill="none" stroke="#8a8a8a" stroke-width="1.2">\n']
    label_out = ['<g class="shapes" fill="#555555" font-size="10">\n']
    labelled: set[tuple[int, str]] = set()
    for edge, route in zip(drawing.graph.edges, lay.routes, strict=True):
        points = list(route)
        if edge.ports > 1:  # spread a multi-top node's blobs along its edge
            src = nodes[edge.source]
            span = (src.height if horizontal else src.width) * 0.8
            shift = (edge.port - (edge.ports - 1) / 2) * span / edge.ports
            x, y = points[0]
            points[0] = (x, y + shift) if horizontal else (x + shift, y)
        shape = labels.shape_label(edge.shape)
        blob = html(edge.blob)
        out.append(f'<g class="edge" data-source="{edge.source}" data-target="{edge.target}" '
                   f'data-blob="{blob}" data-shape="{shape}"><title>{blob}: {shape}</title>'
                   f'<path d="{_path(points, horizontal)}" marker-end="url(#{prefix}-arrow)"/>'
                   '</g>\n')
        if (edge.source, edge.blob) not in labelled:
            labelled.add((edge.source, edge.blob))
            x, y = points[0]
            # a multi-top node's left blobs are labelled to the left of their edge
            left = edge.ports > 1 and edge.port < (edge.ports - 1) / 2 and not horizontal
            x, y = (x + 4, y - 4) if horizontal else (x - 5 if left else x + 5, y + 13)
            anchor = ' text-anchor="end"' if left else ""
            label_out.append(f'<text class="shape" x="{_f(x)}" y="{_f(y)}"{anchor} '
                             f'data-blob="{blob}">{shape}</text>\n')
    for node, placed in zip(drawing.graph.nodes, nodes, strict=True):
        for i, (blob_name, shape) in enumerate(node.outputs):
            if horizontal:
                x, y = placed.x + placed.width / 2 + 5, placed.y + 4 + 12 * i
            else:
                x, y = placed.x - placed.width / 2, placed.y + placed.height / 2 + 13 + 12 * i
            label_out.append(f'<text class="shape output" x="{_f(x)}" y="{_f(y)}" '
                             f'data-blob="{html(blob_name)}">{html(labels.clip(blob_name))} '
                             f'{labels.shape_label(shape)}</text>\n')
    out.append("</g>\n")
    label_out.append("</g>\n")
    return "".join(out + label_out)


def _nodes(drawing: Drawing, heat: str | None, prefix: str, titles: bool) -> str:
    graph = drawing.graph
    layers = graph.analysis.layers
    out = ['<g class="nodes">\n']
    for node, placed, lines, (fill, stroke, unknown) in zip(
            graph.nodes, drawing.layout.nodes, drawing.lines, colours(drawing, heat),
            strict=True):
        left, top = placed.x - placed.width / 2, placed.y - placed.height / 2
        dash = ' stroke-dasharray="4 3"' if unknown else ""
        ink = "#ffffff" if fill in RAMP[6:] else "#1a1a1a"
        title = "\n".join(html(t) for t in labels.tooltip(graph, node)) if titles else ""
        out.append(f'<g class="node" id="{prefix}-n{node.id}" data-node="{node.id}" '
                   f'data-layer="{html(node.name)}" data-kind="{html(node.kind)}">'
                   + (f"<title>{title}</title>" if titles else "")
                   + f'<rect x="{_f(left)}" y="{_f(top)}" width="{_f(placed.width)}" '
                   f'height="{_f(placed.height)}" rx="4" fill="{fill}" stroke="{stroke}"{dash}/>')
        for k, line in enumerate(lines):
            y = top + labels.PAD_Y + labels.LINE_HEIGHT * (k + 0.78)
            weight = ' font-weight="bold"' if k == 0 else ""
            out.append(f'<text x="{_f(left + labels.PAD_X)}" y="{_f(y)}" fill="{ink}"'
                       f'{weight}>{html(line)}</text>')
        for i in node.folded:
            out.append(f'<g class="fold" data-layer="{html(layers[i].name)}" '
                       f'data-type="{html(layers[i].type)}"/>')
        out.append("</g>\n")
    out.append("</g>\n")
    return "".join(out)


def _legend(heat: str) -> str:
    what = {"macs": "MACs", "params": "params", "activations": "activation elements"}[heat]
    out = ['<g class="legend" font-size="10">']
    for i, colour in enumerate(RAMP):
        out.append(f'<rect x="{16 + 14 * i}" y="8" width="14" height="12" fill="{colour}"/>')
    out.append(f'<text x="{16 + 14 * len(RAMP) + 6}" y="18" fill="#333333">{what}: share of '
               'the heaviest node (light = 0, dark = all); dashed = unknown</text></g>\n')
    return "".join(out)
