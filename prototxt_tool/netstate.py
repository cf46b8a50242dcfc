"""Which layers exist in a given phase/level/stage: Caffe's Net::FilterNet and StateMeetsRule.

A train_val prototxt holds two nets in one file (two Data layers, an Accuracy layer only
for TEST, ...). Caffe keeps a layer when its include/exclude rules say so for the NetState it
was built with, before anything is connected; analysing the unfiltered list would connect
both Data layers to the same blobs. The rules below are Caffe's, including their quirks:
a rule with no fields always matches, and a layer may not have both include and exclude.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prototxt_tool import caffe_pb2
from prototxt_tool.errors import NetError, UsageError

_PHASES: dict[str, int] = dict(caffe_pb2.Phase.items())


def phase_value(phase: str | int) -> int:
    """"TRAIN"/"TEST" (any case) or the enum number -> caffe_pb2.Phase value."""
    if isinstance(phase, int) and not isinstance(phase, bool) and phase in _PHASES.values():
        return phase
    if isinstance(phase, str) and phase.upper() in _PHASES:
        return _PHASES[phase.upper()]
    raise UsageError(f"unknown phase {phase!r}: use TRAIN or TEST")


def make_state(net: Any, phase: str | int = "TEST", level: int = 0,
               stages: Sequence[str] = ()) -> Any:
    """The NetState Caffe's Net(file, phase, level, stages) constructor builds.

    It overwrites the file's phase and level but appends the given stages to the stages
    the file's own `state` lists, so both count.
    """
    state = caffe_pb2.NetState()
    state.phase = phase_value(phase)
    state.level = level
    state.stage.extend(net.state.stage)
    state.stage.extend(stages)
    return state


def state_meets_rule(state: Any, rule: Any) -> bool:
    """True when the NetState satisfies every condition the NetStateRule sets."""
    if rule.HasField("phase") and rule.phase != state.phase:
        return False
    if rule.HasField("min_level") and state.level < rule.min_level:
        return False
    if rule.HasField("max_level") and state.level > rule.max_level:
        return False
    stages = set(state.stage)
    if any(stage not in stages for stage in rule.stage):
        return False
    return not any(stage in stages for stage in rule.not_stage)


def mixes_rules(layer: Any) -> bool:
    """Include and exclude rules together, which Caffe's FilterNet refuses."""
    return len(layer.include) > 0 and len(layer.exclude) > 0


def layer_included(state: Any, layer: Any) -> bool:
    """No include rules: kept unless an exclude rule matches; else kept if an include does."""
    if mixes_rules(layer):
        raise NetError("has both include and exclude rules; Caffe accepts one kind only "
                       "(\"Specify either include rules or exclude rules; not both\")",
                       layer=layer.name, layer_type=layer.type or None)
    if len(layer.include) == 0:
        return not any(state_meets_rule(state, rule) for rule in layer.exclude)
    return any(state_meets_rule(state, rule) for rule in layer.include)


def filter_net(net: Any, phase: str | int = "TEST", level: int = 0,
               stages: Sequence[str] = ()) -> list[int]:
    """Indices of net.layer that a Caffe Net built in this state keeps, in order."""
    state = make_state(net, phase, level, stages)
    return [i for i, layer in enumerate(net.layer) if layer_included(state, layer)]
