"""G008 unknown-layer-type: a layer type dwsep does not know (not BVLC, not a known fork)."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule


@rule(
    "G008", "unknown-layer-type", "warning",
    summary="Layer type unknown to dwsep (not BVLC Caffe and not a supported fork).",
    why="""
        The Caffe build that runs the net must have the layer compiled in, or it aborts with
        "Unknown layer type". dwsep cannot compute shapes past it either, so later shape
        checks are skipped. A near miss of a known type (`Relu`) is G009, an error, instead;
        what is left is usually a real fork layer, so this stays a warning.""",
    bad="""layer { name: "mish1" type: "Mish" bottom: "conv1" top: "conv1" }""",
    good="""layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }""",
)
def check(ctx: LintContext) -> Iterator[Issue]:
    from prototxt_tool.shapes import known_types, rule_for
    from prototxt_tool.typos import near_miss

    known = None
    for layer in ctx.layers:
        if rule_for(layer.type) is None:
            known = known or known_types()
            if near_miss(layer.type, known):
                continue  # G009
            yield Issue(layer.where("type", "layer.type"),
                        f"layer '{layer.name}': unknown layer type '{layer.type}'; "
                        "its output shapes are unknown", layer.name)
