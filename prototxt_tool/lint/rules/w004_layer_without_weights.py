"""W004 layer-without-weights: a net layer with blobs that the weights file does not name."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._weights import issues


@rule(
    "W004", "layer-without-weights", "warning", stage="phase",
    summary="A layer with learnable blobs has no weights in the file: it keeps its fillers.",
    why="""
        CopyTrainedLayersFrom matches layers by name and says nothing about net layers no
        record names: they keep their random or constant filler values and the net quietly
        gives wrong answers. Intended when fine-tuning a renamed layer; a typo otherwise.""",
    bad="""
        layer { name: "conv_1" type: "Convolution" ... }   # the weights call it conv1""",
    good="""
        layer { name: "conv1" type: "Convolution" ... }""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    return issues(view, "W004")
