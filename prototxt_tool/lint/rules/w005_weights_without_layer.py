"""W005 weights-without-layer: a record of the weights file names no layer of the net."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._weights import issues


@rule(
    "W005", "weights-without-layer", "info", stage="phase",
    summary="Weights for a layer name the net does not have: Caffe ignores them.",
    why="""
        Caffe logs "Ignoring source layer x" at INFO level and goes on. Expected for a deploy
        net (no loss or data layers) or a deliberately renamed layer; with W004 on the layer
        that should have received them, it is a rename gone wrong.""",
    bad="""
        # weights: conv1, conv2;  net: conv1, conv2_new""",
    good="""
        # weights: conv1, conv2;  net: conv1, conv2""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    return issues(view, "W005")
