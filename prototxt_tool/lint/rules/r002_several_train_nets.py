"""R002 solver-several-nets: a solver that names more than one net to train."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._solver import train_nets, where


@rule(
    "R002", "solver-several-nets", "error", kinds=("solver",),
    summary="Solver that gives more than one of net, net_param, train_net, train_net_param.",
    why="""
        Caffe's Solver::InitTrainNet aborts: "SolverParameter must not contain more than one
        of these fields specifying a train_net". Which file was meant is anyone's guess.""",
    bad="""
        net: "train_val.prototxt"
        train_net: "train.prototxt"
        test_net: "test.prototxt\"""",
    good="""
        train_net: "train.prototxt"
        test_net: "test.prototxt\"""",
)
def check(ctx: LintContext) -> Iterator[Issue]:
    given = train_nets(ctx.raw)
    if len(given) > 1:
        listed = ", ".join(given)
        yield Issue(where(ctx.tree, given[1]),
                    f"solver names {len(given)} nets to train ({listed}); Caffe accepts "
                    "exactly one")
