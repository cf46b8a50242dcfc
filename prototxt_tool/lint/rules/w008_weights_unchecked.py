"""W008 weights-unchecked: layers whose blob shapes cannot be compared (unknown input)."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._weights import issues


@rule(
    "W008", "weights-unchecked", "info", stage="phase",
    summary="Some layers' weights were not checked: their input shapes are unknown.",
    why="""
        A convolution's weight shape depends on its input channels, so a net fed by Data
        layers (whose shapes Caffe reads from the database) can only be checked once
        --input-shape gives the input. Unknown is reported, never guessed.""",
    bad="""
        dwsep check train_val.prototxt net.caffemodel""",
    good="""
        dwsep check train_val.prototxt net.caffemodel --input-shape data=_,3,224,224""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    return issues(view, "W008")
