"""R001 solver-no-net: a solver that names no net to train."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._solver import train_nets


@rule(
    "R001", "solver-no-net", "error", kinds=("solver",),
    summary="Solver that gives none of net, net_param, train_net, train_net_param.",
    why="""
        Caffe's Solver::InitTrainNet aborts: "SolverParameter must specify a train net using
        one of these fields: net, net_param, train_net, train_net_param".""",
    bad="""
        base_lr: 0.01
        lr_policy: "fixed"
        max_iter: 1000""",
    good="""
        net: "train_val.prototxt"
        base_lr: 0.01
        lr_policy: "fixed"
        max_iter: 1000""",
)
def check(ctx: LintContext) -> Iterator[Issue]:
    if not train_nets(ctx.raw):
        yield Issue(None, "solver names no net to train; set one of net, net_param, "
                          "train_net, train_net_param")
