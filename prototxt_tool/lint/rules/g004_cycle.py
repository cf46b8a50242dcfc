"""G004 cycle: layers that feed each other."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._graph import bad_bottoms, depends_on


@rule(
    "G004", "cycle", "error", stage="phase",
    summary="A layer reads a blob that is computed from its own output (a cycle).",
    why="""
        A Caffe net is a DAG evaluated in file order; a loop cannot be built (Caffe stops at
        the first unknown bottom) and no reordering fixes it. Recurrent nets need the RNN/LSTM
        layers instead.""",
    bad="""
        layer { name: "a" type: "ReLU" bottom: "b" top: "a" }
        layer { name: "b" type: "ReLU" bottom: "a" top: "b" }""",
    good="""
        layer { name: "a" type: "ReLU" bottom: "data" top: "a" }
        layer { name: "b" type: "ReLU" bottom: "a" top: "b" }""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    for i, layer in enumerate(view.layers):
        for k in bad_bottoms(view, i):
            blob = layer.param.bottom[k]
            if blob in layer.param.top:
                continue  # in place on a blob nothing earlier wrote: undefined (G002)
            loops = [p for p in view.producers.get(blob, []) if depends_on(view, p, i)]
            if loops:
                producer = view.layers[loops[0]]
                yield Issue(layer.where(f"bottom[{k}]"),
                            f"layer '{layer.name}': bottom '{blob}' comes from layer "
                            f"'{producer.name}', which depends on this layer's output (cycle)",
                            layer.name)
