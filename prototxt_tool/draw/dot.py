"""Graphviz DOT of the graph model, for people who lay out with `dot` themselves.

Same nodes, colours and edge labels as the SVG; Graphviz does its own layout. Every string is
written with escape.dot() inside double quotes, so a name can neither end the string nor add
attributes, nodes or edges.
"""

from __future__ import annotations

from prototxt_tool.draw import labels
from prototxt_tool.draw.model import Graph
from prototxt_tool.draw.svg import KIND_COLOURS, UNKNOWN
from prototxt_tool.escape import dot


def render_dot(graph: Graph, rankdir: str = "TB") -> str:
    out = [f'digraph "{dot(graph.analysis.net or graph.analysis.filename)}" {{\n',
           f"  rankdir={rankdir};\n",
           '  node [shape=box, style="rounded,filled", fontname="monospace", fontsize=10];\n',
           '  edge [fontname="monospace", fontsize=9, color="#8a8a8a"];\n']
    for node in graph.nodes:
        fill, stroke = UNKNOWN if node.kind == "unknown" else \
            KIND_COLOURS.get(node.kind, KIND_COLOURS["other"])
        unknown = node.macs is None or node.params is None
        style = ', style="rounded,filled,dashed"' if unknown else ""
        text = "\\n".join(dot(line) for line in labels.node_lines(graph, node))
        tip = "\\n".join(dot(line) for line in labels.tooltip(graph, node))
        out.append(f'  n{node.id} [label="{text}", tooltip="{tip}", fillcolor="{fill}", '
                   f'color="{stroke}"{style}];\n')
    for edge in graph.edges:
        out.append(f'  n{edge.source} -> n{edge.target} '
                   f'[label="{labels.shape_label(edge.shape)}", tooltip="{dot(edge.blob)}"];\n')
    out.append("}\n")
    return "".join(out)
