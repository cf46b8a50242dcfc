"""G003 bottom-before-producer: a bottom produced only by a later layer (layers out of order)."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._graph import bad_bottoms, depends_on


@rule(
    "G003", "bottom-before-producer", "error", stage="phase",
    summary="A bottom is produced only by a layer further down the file.",
    why="""
        Caffe builds layers strictly in file order and aborts with "Unknown bottom blob"
        when a bottom has not been produced yet; the layers must be reordered.""",
    bad="""
        layer { name: "relu" type: "ReLU" bottom: "conv1" top: "r" }
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" ... }""",
    good="""
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" ... }
        layer { name: "relu" type: "ReLU" bottom: "conv1" top: "r" }""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    for i, layer in enumerate(view.layers):
        for k in bad_bottoms(view, i):
            blob = layer.param.bottom[k]
            if blob in layer.param.top:
                continue  # in place on a blob nothing earlier wrote: undefined (G002)
            later = view.producers.get(blob, [])
            if not later or any(depends_on(view, p, i) for p in later):
                continue  # undefined (G002) or a cycle (G004)
            producer = view.layers[later[0]]
            yield Issue(layer.where(f"bottom[{k}]"),
                        f"layer '{layer.name}': bottom '{blob}' is produced only later, by "
                        f"layer '{producer.name}'; move this layer after it", layer.name)
