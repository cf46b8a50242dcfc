"""S001 shape-error: shapes Caffe would reject, found by running the shape analyzer."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._graph import bad_bottoms


@rule(
    "S001", "shape-error", "error", stage="phase",
    summary="Shapes that cannot work: non-positive or fractional dims, Eltwise/Concat/Crop "
            "mismatches, group not dividing channels or num_output, bad InnerProduct input.",
    why="""
        Caffe checks these in each layer's Reshape() and aborts at load time, after the net
        has been deployed. Shapes are only checked where they are known: a net fed by Data
        layers has unknown shapes unless --input-shape gives them (unknown is not wrong).""",
    bad="""
        layer { name: "sum" type: "Eltwise" bottom: "a_64x56x56" bottom: "b_128x28x28"
                top: "sum" }""",
    good="""
        layer { name: "sum" type: "Eltwise" bottom: "a_64x56x56" bottom: "b_64x56x56"
                top: "sum" }""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    reports = view.analysis.layers
    for i, layer in enumerate(view.layers):
        error = reports[i].error
        if not error or bad_bottoms(view, i):
            continue  # a missing bottom is the graph rules' finding, not a shape problem
        shapes = _shapes(view, i)
        yield Issue(layer.anchor(), f"layer '{layer.name}' ({layer.type}): {error}{shapes}",
                    layer.name)


def _shapes(view: PhaseView, i: int) -> str:
    """The input shapes, appended unless the analyzer's message already spells them out."""
    bottoms = view.bottom_shapes(i)
    if not bottoms or any(s is None for s in bottoms):
        return ""
    text = ", ".join("x".join(str(d) for d in s) for s in bottoms if s is not None)
    return f" (input shapes: {text})"
