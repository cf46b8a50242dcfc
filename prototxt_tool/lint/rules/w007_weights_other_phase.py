"""W007 weights-other-phase: weights for a layer that exists only in another phase."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._weights import issues


@rule(
    "W007", "weights-other-phase", "info", stage="phase",
    summary="Weights for a layer the net has in another phase only (not loaded in this one).",
    why="""
        Caffe builds one phase's net and copies weights into that net's layers only. Weights
        for a layer behind `include { phase: TRAIN }` are not loaded into the TEST net, which
        is right for training-only layers and a mistake when the deploy branch was meant.""",
    bad="""
        layer { name: "fc_train" ... include { phase: TRAIN } }   # weights only for fc_train""",
    good="""
        layer { name: "fc" ... }   # in both phases""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    return issues(view, "W007")
