"""R003 lr-policy-params: lr_policy missing, unknown, or without the fields its formula reads."""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._solver import LR_POLICIES, where


@rule(
    "R003", "lr-policy-params", "error", kinds=("solver",),
    summary="lr_policy missing or unknown, or without its parameters (step needs stepsize...).",
    why="""
        Every Caffe solver computes its rate in SGDSolver::GetLearningRate, which aborts with
        "Unknown learning rate policy" for a missing or misspelt lr_policy. The policies read
        their parameters without checking them: `step` divides by stepsize (0 when unset:
        a crash), an unset gamma is 0 (the rate drops to 0 at the first step), `poly` and
        `inv` need power, `multistep` needs stepvalue.
        step: stepsize, gamma; multistep: stepvalue, gamma; exp: gamma; inv: gamma, power;
        poly: power; sigmoid: gamma, stepsize; fixed: nothing.""",
    bad="""
        net: "train_val.prototxt"
        base_lr: 0.01
        lr_policy: "step"
        gamma: 0.1""",
    good="""
        net: "train_val.prototxt"
        base_lr: 0.01
        lr_policy: "step"
        gamma: 0.1
        stepsize: 10000""",
)
def check(ctx: LintContext) -> Iterator[Issue]:
    solver = ctx.raw
    if not solver.HasField("lr_policy"):
        yield Issue(None, "solver sets no lr_policy; Caffe aborts with 'Unknown learning rate "
                          "policy' (use \"fixed\" for a constant rate)")
        return
    policy = solver.lr_policy
    if policy not in LR_POLICIES:
        known = ", ".join(LR_POLICIES)
        yield Issue(where(ctx.tree, "lr_policy"),
                    f"lr_policy '{policy}' is not one of Caffe's ({known})")
        return
    missing = [f for f in LR_POLICIES[policy] if not _given(solver, f)]
    if missing:
        yield Issue(where(ctx.tree, "lr_policy"),
                    f"lr_policy \"{policy}\" needs {' and '.join(missing)}, which "
                    f"{'is' if len(missing) == 1 else 'are'} not set (read as 0)")


def _given(solver: object, field: str) -> bool:
    if field == "stepvalue":
        return len(solver.stepvalue) > 0  # type: ignore[attr-defined]
    if field == "stepsize":  # Caffe divides by it
        return solver.stepsize > 0  # type: ignore[attr-defined]
    return solver.HasField(field)  # type: ignore[attr-defined]
