"""What the solver rules share: Caffe's facts about SolverParameter (solver.cpp, sgd_solver.cpp).

Paths a solver names are only text here: Caffe resolves them against its own working directory,
which lint cannot know, and dwsep never opens what a file names.
"""

from __future__ import annotations

from typing import Any

from prototxt_tool.solver import TRAIN_NET_FIELDS

# SGDSolver::GetLearningRate: each policy and the fields its formula reads (BVLC
# src/caffe/solvers/sgd_solver.cpp). Unset fields read as 0, which silently breaks the schedule.
LR_POLICIES: dict[str, tuple[str, ...]] = {
    "fixed": (),
    "step": ("stepsize", "gamma"),
    "exp": ("gamma",),
    "inv": ("gamma", "power"),
    "multistep": ("stepvalue", "gamma"),
    "poly": ("power",),
    "sigmoid": ("gamma", "stepsize"),
}

# The deprecated enum SolverParameter.solver_type and the `type` string that replaced it
# (upgrade_proto.cpp, UpgradeSolverType).
SOLVER_TYPE_NAMES = {"SGD": "SGD", "NESTEROV": "Nesterov", "ADAGRAD": "AdaGrad",
                     "RMSPROP": "RMSProp", "ADADELTA": "AdaDelta", "ADAM": "Adam"}


def train_nets(solver: Any) -> list[str]:
    """Which of net / net_param / train_net / train_net_param are written, in that order."""
    return [f for f in TRAIN_NET_FIELDS if solver.HasField(f)]


def where(tree: Any, *fields: str) -> Any:
    """Span of the first written field of `fields`, else None (the file as a whole)."""
    for name in fields:
        span = tree.location(name)
        if span is not None:
            return span
    return None
