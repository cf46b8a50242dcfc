"""G005 top-produced-twice: two layers write one blob and the second is not in place."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule


@rule(
    "G005", "top-produced-twice", "error", stage="phase",
    summary="A top blob is produced by two layers and the second is not an in-place update.",
    why="""
        Caffe aborts with "Top blob 'x' produced by multiple sources". Reusing a name is only
        allowed in place (the layer lists the blob as both bottom and top, like ReLU).""",
    bad="""
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "out" ... }
        layer { name: "conv2" type: "Convolution" bottom: "data" top: "out" ... }""",
    good="""
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "out" ... }
        layer { name: "relu1" type: "ReLU" bottom: "out" top: "out" }""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    for blob, writers in view.producers.items():
        for j in writers[1:]:
            layer = view.layers[j]
            if blob in layer.param.bottom:
                continue
            k = list(layer.param.top).index(blob)
            first = view.layers[writers[0]]
            yield Issue(layer.where(f"top[{k}]"),
                        f"layer '{layer.name}': top '{blob}' is already produced by layer "
                        f"'{first.name}' and this is not an in-place update", layer.name)
