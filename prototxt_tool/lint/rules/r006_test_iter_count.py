"""R006 test-iter-count: the number of test_iter entries does not fit the test nets."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._solver import where


@rule(
    "R006", "test-iter-count", "error", kinds=("solver",),
    summary="test_iter not given once per test_net / test_net_param.",
    why="""
        Solver::InitTestNets aborts with "test_iter must be specified for each test network":
        each test_net and test_net_param needs its own test_iter (extra ones run the `net`
        itself in TEST phase, when one is given).""",
    bad="""
        train_net: "train.prototxt"
        test_net: "test.prototxt"
        test_interval: 1000""",
    good="""
        train_net: "train.prototxt"
        test_net: "test.prototxt"
        test_iter: 100
        test_interval: 1000""",
)
def check(ctx: LintContext) -> Iterator[Issue]:
    solver = ctx.raw
    nets = len(solver.test_net) + len(solver.test_net_param)
    generic = solver.HasField("net") or solver.HasField("net_param")
    iters = len(solver.test_iter)
    if iters < nets or (iters > nets and not generic):
        yield Issue(where(ctx.tree, "test_iter", "test_net", "test_net_param"),
                    f"{iters} test_iter for {nets} test net(s); Caffe needs one per test net")
