"""R008 snapshot-without-prefix: periodic snapshots on, but no snapshot_prefix."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._solver import where


@rule(
    "R008", "snapshot-without-prefix", "error", kinds=("solver",),
    summary="snapshot > 0 without snapshot_prefix.",
    why="""
        Solver::CheckSnapshotWritePermissions aborts before training starts: "In solver
        params, snapshot is specified but snapshot_prefix is not".""",
    bad="""
        net: "train_val.prototxt"
        snapshot: 5000""",
    good="""
        net: "train_val.prototxt"
        snapshot: 5000
        snapshot_prefix: "snapshots/mobilenet\"""",
)
def check(ctx: LintContext) -> Iterator[Issue]:
    solver = ctx.raw
    if solver.snapshot > 0 and not solver.HasField("snapshot_prefix"):
        yield Issue(where(ctx.tree, "snapshot"),
                    "snapshot is set but snapshot_prefix is not; Caffe aborts before training")
