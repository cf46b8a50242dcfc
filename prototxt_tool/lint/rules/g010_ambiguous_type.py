"""G010 ambiguous-layer-type: a type two Caffe forks define differently, nothing telling which."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule


@rule(
    "G010", "ambiguous-layer-type", "warning", stage="phase",
    summary="Layer type two Caffe forks define differently (Normalize), and nothing in the "
            "layer says which fork it is for.",
    why="""
        weiliu89's SSD Normalize owns a scale blob and happynear's owns none (it may give
        the norm as a second top): the same line means another layer, other params and
        other weights in each fork's Caffe. A field only one fork has (norm_param or
        normalize_param), a second top or a param {} spec tells them apart; without any,
        dwsep leaves the layer's figures unknown. Write the fork's parameter block, or
        choose with --fork NAME (lint and analyze alike).""",
    bad="""
        layer { name: "norm" type: "Normalize" bottom: "data" top: "norm" }""",
    good="""
        layer { name: "norm" type: "Normalize" bottom: "data" top: "norm"
                norm_param { channel_shared: false } }""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    for layer, report in zip(view.layers, view.analysis.layers, strict=True):
        if report.ambiguous:
            yield Issue(layer.where("type", "layer.type"), f"layer '{layer.name}': "
                        f"{report.ambiguous}", layer.name)
