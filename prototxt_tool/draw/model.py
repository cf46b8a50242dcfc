"""The drawable graph of an Analysis: nodes, edges labelled with blob shapes, folded layers.

This is plain data, like analysis.py: the layout (layout.py) gives it coordinates and the
renderers (svg.py, dot.py, html.py) turn it into text. Nothing here knows about a format.

Folding follows Netscope: a layer that updates a blob in place (one bottom, one top, the same
name: ReLU, BatchNorm, Scale, Dropout, ...) joins the node of the layer that wrote the blob.
It is folded only while no other layer has read the blob since it was written; otherwise the
drawing would claim a reader saw the updated values, so the layer keeps its own node.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prototxt_tool.analysis import Analysis, LayerReport
from prototxt_tool.shapes import Shape


@dataclass(slots=True)
class Node:
    id: int
    layers: list[int]  # indices into Analysis.layers: the node's own layer, then folded ones
    name: str
    type: str
    kind: str
    macs: int | None  # summed over the node's layers; None when any of them is unknown
    params: int | None
    ops: int | None
    outputs: list[tuple[str, Shape | None]] = field(default_factory=list)  # tops nobody reads

    @property
    def folded(self) -> list[int]:
        return self.layers[1:]


@dataclass(slots=True)
class Edge:
    source: int  # node ids; source < target always (Caffe's layer order is topological)
    target: int
    blob: str
    shape: Shape | None  # the blob's shape as the target reads it (after in-place updates)
    port: int = 0  # which of the source's top blobs (for spreading edge starts)
    ports: int = 1  # how many distinct top blobs leave the source node


@dataclass(slots=True)
class Graph:
    analysis: Analysis
    nodes: list[Node]
    edges: list[Edge]
    layer_node: list[int]  # node id of each analysis layer


def _sum(values: list[int | None]) -> int | None:
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


def _in_place(r: LayerReport) -> bool:
    return len(r.bottoms) == 1 and len(r.tops) == 1 and r.bottoms[0].name == r.tops[0].name


def build(analysis: Analysis, fold: bool = True) -> Graph:
    """One node per layer (in-place layers folded unless fold=False), one edge per read blob."""
    nodes: list[Node] = []
    edges: list[Edge] = []
    layer_node: list[int] = []
    writer: dict[str, int] = {}  # blob -> node id that holds its current value
    shape: dict[str, Shape | None] = {}
    read_since_write: set[str] = set()
    seen_edges: set[tuple[int, int, str]] = set()
    for index, r in enumerate(analysis.layers):
        blob = r.bottoms[0].name if r.bottoms else ""
        if fold and _in_place(r) and blob in writer and blob not in read_since_write:
            node = nodes[writer[blob]]
            node.layers.append(index)
            layer_node.append(node.id)
            shape[blob] = r.tops[0].shape
            continue
        node = Node(len(nodes), [index], r.name, r.type, r.kind, r.macs, r.params, r.ops)
        nodes.append(node)
        layer_node.append(node.id)
        for b in r.bottoms:
            if b.name not in writer:  # analysis would have refused the net; stay total anyway
                continue
            key = (writer[b.name], node.id, b.name)
            read_since_write.add(b.name)
            if key not in seen_edges:
                seen_edges.add(key)
                edges.append(Edge(writer[b.name], node.id, b.name, shape.get(b.name)))
        for t in r.tops:
            writer[t.name] = node.id
            shape[t.name] = t.shape
            read_since_write.discard(t.name)
    for node in nodes:
        layers = [analysis.layers[i] for i in node.layers]
        node.macs = _sum([x.macs for x in layers])
        node.params = _sum([x.params for x in layers])
        node.ops = _sum([x.ops for x in layers])
    _ports(nodes, edges, writer, shape, analysis)
    return Graph(analysis, nodes, edges, layer_node)


def _ports(nodes: list[Node], edges: list[Edge], writer: dict[str, int],
           shape: dict[str, Shape | None], analysis: Analysis) -> None:
    """Number each node's outgoing blobs, and list the tops no layer reads (net outputs)."""
    blobs: dict[int, list[str]] = {}
    for e in edges:
        names = blobs.setdefault(e.source, [])
        if e.blob not in names:
            names.append(e.blob)
    read = {(e.source, e.blob) for e in edges}
    for node in nodes:
        for i in node.layers:
            for t in analysis.layers[i].tops:
                if writer.get(t.name) == node.id and (node.id, t.name) not in read and \
                        all(name != t.name for name, _ in node.outputs):
                    node.outputs.append((t.name, shape.get(t.name)))
    for e in edges:
        names = blobs[e.source]
        e.port, e.ports = names.index(e.blob), len(names)
