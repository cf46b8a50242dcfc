"""R007 test-interval-without-iter: test_interval set, but no test runs."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._solver import where


@rule(
    "R007", "test-interval-without-iter", "warning", kinds=("solver",),
    summary="test_interval set without any test_iter: no test is ever run.",
    why="""
        Caffe makes one test net per test_iter entry; with none, test_interval is silently
        ignored and training runs without a single validation pass.""",
    bad="""
        net: "train_val.prototxt"
        test_interval: 1000""",
    good="""
        net: "train_val.prototxt"
        test_iter: 100
        test_interval: 1000""",
)
def check(ctx: LintContext) -> Iterator[Issue]:
    solver = ctx.raw
    nets = len(solver.test_net) + len(solver.test_net_param)
    if solver.test_interval > 0 and not len(solver.test_iter) and not nets:
        yield Issue(where(ctx.tree, "test_interval"),
                    "test_interval is set but no test_iter is: no test will run")
