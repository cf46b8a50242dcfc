"""R004 deprecated-solver-type: the old `solver_type` enum instead of the `type` string."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._solver import SOLVER_TYPE_NAMES, where


@rule(
    "R004", "deprecated-solver-type", "warning", kinds=("solver",),
    summary="Deprecated `solver_type: ENUM`; write `type: \"Name\"`.",
    why="""
        Caffe replaced the solver_type enum with the type string in 2016 and upgrades it on
        load with a warning (upgrade_proto.cpp, UpgradeSolverType); given together with
        `type`, the upgrade aborts. Solvers registered since (and fork solvers) have only a
        type name.""",
    bad="""
        solver_type: NESTEROV""",
    good="""
        type: "Nesterov\"""",
)
def check(ctx: LintContext) -> Iterator[Issue]:
    solver = ctx.raw
    if not solver.HasField("solver_type"):
        return
    enum = solver.DESCRIPTOR.fields_by_name["solver_type"].enum_type
    old = enum.values_by_number[solver.solver_type].name
    new = SOLVER_TYPE_NAMES.get(old, old)
    if solver.HasField("type"):
        message = (f"solver_type {old} together with type \"{solver.type}\": Caffe's upgrade "
                   "aborts; drop solver_type")
    else:
        message = f"solver_type is deprecated; write type: \"{new}\""
    yield Issue(where(ctx.tree, "solver_type"), message)
