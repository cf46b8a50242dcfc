"""R005 test-iter-without-interval: test nets to run but no test_interval."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._solver import where


@rule(
    "R005", "test-iter-without-interval", "error", kinds=("solver",),
    summary="test_iter given but test_interval unset or 0.",
    why="""
        Each test_iter is one test net instance; with any instance Caffe's
        Solver::InitTestNets checks test_interval > 0 and aborts otherwise.""",
    bad="""
        net: "train_val.prototxt"
        test_iter: 100""",
    good="""
        net: "train_val.prototxt"
        test_iter: 100
        test_interval: 1000""",
)
def check(ctx: LintContext) -> Iterator[Issue]:
    solver = ctx.raw
    if len(solver.test_iter) and solver.test_interval <= 0:
        yield Issue(where(ctx.tree, "test_iter"),
                    "test_iter is set but test_interval is not (> 0 required); Caffe aborts")
