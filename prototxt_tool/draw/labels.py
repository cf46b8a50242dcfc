"""What a node says (name, type with folded layers, cost) and how big that text is.

Sizes come from character counts in a monospace font, so the layout knows every box before
anything is rendered and the same figures serve SVG, HTML and the layout's tests. Text here is
plain: each renderer escapes it for its format (prototxt_tool.escape).
"""

from __future__ import annotations

from prototxt_tool.draw.model import Graph, Node
from prototxt_tool.escape import visible
from prototxt_tool.report import human, shape_str
from prototxt_tool.shapes import Shape

FONT = "ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace"
FONT_SIZE = 11.0
CHAR_WIDTH = 0.6 * FONT_SIZE  # monospace advance
LINE_HEIGHT = 14.0
LABEL_CHAR_WIDTH = 0.6 * 10.0  # edge labels are 10px
PAD_X = 8.0
PAD_Y = 6.0
MAX_CHARS = 44  # longer text is cut with an ellipsis on the picture (full text in the tooltip)

# Short forms of the in-place types that get folded most, so "+BN +Scale +ReLU" fits a box.
SHORT = {"BatchNorm": "BN", "Dropout": "Drop"}


def clip(text: str, limit: int = MAX_CHARS) -> str:
    text = visible(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def cost_line(macs: int | None, params: int | None, ops: int | None) -> str:
    """Unknown figures are shown as '?', never as 0."""
    if macs is None or params is None:
        return f"{human(macs)} MACs · {human(params)} params"
    parts = []
    if macs:
        parts.append(f"{human(macs)} MACs")
    if params:
        parts.append(f"{human(params)} params")
    if not parts:
        parts.append(f"{human(ops)} ops")
    return " · ".join(parts)


def node_lines(graph: Graph, node: Node) -> list[str]:
    layers = graph.analysis.layers
    kind = "unknown type" if node.kind == "unknown" else node.kind
    type_line = f"{node.type} ({kind})" if node.type.lower() != kind else node.type
    if node.folded:
        type_line = node.type + " " + " ".join(
            "+" + SHORT.get(layers[i].type, layers[i].type) for i in node.folded)
    return [clip(node.name), clip(type_line), cost_line(node.macs, node.params, node.ops)]


def node_size(lines: list[str]) -> tuple[float, float]:
    chars = max(len(line) for line in lines)
    return chars * CHAR_WIDTH + 2 * PAD_X, len(lines) * LINE_HEIGHT + 2 * PAD_Y


def shape_label(shape: Shape | None) -> str:
    return shape_str(shape)


def tooltip(graph: Graph, node: Node) -> list[str]:
    """One line per layer of the node: output shapes and costs (SVG <title>, DOT tooltip).

    The lines hold raw net text; the renderer escapes each one for its format.
    """
    out = []
    for i in node.layers:
        r = graph.analysis.layers[i]
        tops = ", ".join(f"{t.name} {shape_str(t.shape)}" for t in r.tops) or "no tops"
        out.append(f"{r.name} ({r.type}, {r.kind}): {tops}; "
                   f"{human(r.macs)} MACs, {human(r.ops)} ops, {human(r.params)} params")
    return out
