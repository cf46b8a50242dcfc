"""W006 batchnorm-statistics: a BatchNorm whose statistics are missing or unusable."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import PhaseView
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._weights import issues


@rule(
    "W006", "batchnorm-statistics", "warning", stage="phase",
    summary="A BatchNorm has no statistics in the weights, or a moving-average factor of 0.",
    why="""
        Caffe's BatchNorm (use_global_stats in TEST) divides its stored mean and variance by
        blob 2, the moving-average factor, and uses 0 for both when that factor is 0, which
        is also what a BatchNorm left out of the weights has. Its output is then the input
        times 1/sqrt(eps): the "accuracy 0 after merging BatchNorm" reports.""",
    bad="""
        layer { name: "conv1/bn" type: "BatchNorm" ... }   # absent from the weights""",
    good="""
        layer { name: "conv1/bn" type: "BatchNorm" ... }   # mean, variance, factor 999.98""",
)
def check(view: PhaseView) -> Iterator[Issue]:
    return issues(view, "W006")
