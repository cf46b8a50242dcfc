"""G009 misspelt-layer-type: an unknown layer type that is a near miss of a known one."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule


@rule(
    "G009", "misspelt-layer-type", "error",
    summary="Unknown layer type one or two edits (or only case) away from a known one.",
    why="""
        Caffe's layer registry is exact and case-sensitive: `Relu` or `Convolutoin` abort the
        net with "Unknown layer type". A name that close to exactly one known type is a typo,
        not a fork layer (those stay G008 warnings). Fork layers that really are spelled that
        close (`Lstm` of caffe-lstm, `Flip`, `PoolingND`) are not reported.""",
    bad="""layer { name: "relu1" type: "Relu" bottom: "conv1" top: "conv1" }""",
    good="""layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }""",
)
def check(ctx: LintContext) -> Iterator[Issue]:
    from prototxt_tool.shapes import known_types, rule_for
    from prototxt_tool.typos import near_miss

    known = None
    for layer in ctx.layers:
        if rule_for(layer.type) is not None:
            continue
        known = known or known_types()
        guess = near_miss(layer.type, known)
        if guess:
            yield Issue(layer.where("type", "layer.type"),
                        f"layer '{layer.name}': unknown layer type '{layer.type}'; did you "
                        f"mean '{guess}'?", layer.name)
