"""H001 missing-name: a layer without a `name`."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext, name_span
from prototxt_tool.lint.registry import Issue, rule


@rule(
    "H001", "missing-name", "warning",
    summary="Layer without a name.",
    why="""
        Caffe accepts it, but weights are copied from a .caffemodel by layer name, log lines
        and error messages name layers, and converters key on names: an unnamed layer gets no
        trained weights and cannot be told apart from other unnamed layers.""",
    bad="""layer { type: "ReLU" bottom: "conv1" top: "conv1" }""",
    good="""layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }""",
)
def check(ctx: LintContext) -> Iterator[Issue]:
    for layer in ctx.layers:
        if layer.origin[0] == "input" or layer.tree is None:
            continue
        if name_span(layer.tree) is None:
            yield Issue(layer.where("type", "layer.type"),
                        f"layer of type '{layer.type}' has no name", None)
