"""G001 duplicate-layer-name: two layers of one phase share a name."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule


@rule(
    "G001", "duplicate-layer-name", "error", stage="phase",
    summary="Two layers in the same phase have the same name.",
    why="""
        Caffe copies trained weights into layers by name: with two layers of one name the
        .caffemodel loads into the wrong one (or both), silently. Layers of different phases
        (a TRAIN and a TEST data layer) may share a name.""",
    bad="""
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "c1" ... }
        layer { name: "conv1" type: "Convolution" bottom: "c1" top: "c2" ... }""",
    good="""
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "c1" ... }
        layer { name: "conv2" type: "Convolution" bottom: "c1" top: "c2" ... }""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    first: dict[str, int] = {}
    for i, layer in enumerate(view.layers):
        if not layer.name:
            continue
        if layer.name in first:
            line = view.layers[first[layer.name]].anchor()
            at = f" (first at line {line.line})" if line is not None else ""
            yield Issue(layer.anchor(), f"duplicate layer name '{layer.name}'{at}", layer.name)
        else:
            first[layer.name] = i
