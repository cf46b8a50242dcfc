"""netstate.py: Caffe's Net::FilterNet / StateMeetsRule, one rule at a time."""

from __future__ import annotations

import pytest
from google.protobuf import text_format

from prototxt_tool import caffe_pb2
from prototxt_tool.errors import NetError, UsageError
from prototxt_tool.netstate import filter_net, make_state, phase_value, state_meets_rule


def parse(text: str):
    return text_format.Parse(text, caffe_pb2.NetParameter())


def rule(text: str):
    return text_format.Parse(text, caffe_pb2.NetStateRule())


def state(phase: str = "TEST", level: int = 0, stages: tuple[str, ...] = ()):
    return make_state(caffe_pb2.NetParameter(), phase, level, stages)


def kept_names(net, **kwargs) -> list[str]:
    return [net.layer[i].name for i in filter_net(net, **kwargs)]


TRAIN_VAL = parse("""
layer { name: "train_data" type: "Data" include { phase: TRAIN } }
layer { name: "test_data" type: "Data" include { phase: TEST } }
layer { name: "conv" type: "Convolution" }
layer { name: "acc" type: "Accuracy" exclude { phase: TRAIN } }
layer { name: "loss" type: "SoftmaxWithLoss" }
""")


def test_phase_include_and_exclude():
    assert kept_names(TRAIN_VAL, phase="TRAIN") == ["train_data", "conv", "loss"]
    assert kept_names(TRAIN_VAL, phase="TEST") == ["test_data", "conv", "acc", "loss"]


def test_default_phase_is_test_and_phase_is_case_insensitive():
    assert kept_names(TRAIN_VAL) == kept_names(TRAIN_VAL, phase="test")
    assert phase_value("train") == caffe_pb2.TRAIN and phase_value(caffe_pb2.TEST) == caffe_pb2.TEST


@pytest.mark.parametrize("bad", ["VAL", "", 7, True])
def test_unknown_phase_is_a_usage_error(bad):
    with pytest.raises(UsageError, match="unknown phase"):
        filter_net(TRAIN_VAL, phase=bad)


def test_empty_rule_always_matches():
    assert state_meets_rule(state("TRAIN"), rule(""))
    net = parse('layer { name: "a" include { } } layer { name: "b" exclude { } }')
    assert kept_names(net) == ["a"]


def test_min_and_max_level_are_inclusive():
    r = rule("min_level: 1 max_level: 3")
    assert [state_meets_rule(state(level=lv), r) for lv in range(5)] == [
        False, True, True, True, False]


def test_levels_select_layers():
    net = parse('layer { name: "deep" include { min_level: 2 } } '
                'layer { name: "shallow" exclude { min_level: 2 } }')
    assert kept_names(net, level=0) == ["shallow"]
    assert kept_names(net, level=2) == ["deep"]


def test_rule_needs_all_of_its_stages():
    r = rule('stage: "a" stage: "b"')
    assert not state_meets_rule(state(stages=("a",)), r)
    assert state_meets_rule(state(stages=("b", "a", "c")), r)


def test_rule_fails_on_any_not_stage():
    r = rule('not_stage: "deploy" not_stage: "quant"')
    assert state_meets_rule(state(stages=("train",)), r)
    assert not state_meets_rule(state(stages=("quant",)), r)


def test_conditions_of_one_rule_combine_with_and():
    r = rule('phase: TRAIN stage: "s"')
    assert not state_meets_rule(state("TRAIN"), r)
    assert not state_meets_rule(state("TEST", stages=("s",)), r)
    assert state_meets_rule(state("TRAIN", stages=("s",)), r)


def test_several_include_rules_combine_with_or():
    net = parse('layer { name: "x" include { phase: TRAIN } include { stage: "deploy" } }')
    assert kept_names(net, phase="TEST") == []
    assert kept_names(net, phase="TRAIN") == ["x"]
    assert kept_names(net, phase="TEST", stages=["deploy"]) == ["x"]


def test_any_matching_exclude_rule_drops_the_layer():
    net = parse('layer { name: "x" exclude { phase: TRAIN } exclude { stage: "s" } }')
    assert kept_names(net, phase="TEST") == ["x"]
    assert kept_names(net, phase="TEST", stages=["s"]) == []


def test_stages_in_the_files_own_state_count_too():
    # Caffe's Net(file, phase, level, stages) appends the given stages to the file's.
    net = parse('state { stage: "from_file" } '
                'layer { name: "x" include { stage: "from_file" stage: "given" } }')
    assert kept_names(net) == []
    assert kept_names(net, stages=["given"]) == ["x"]


def test_file_phase_and_level_are_overridden():
    net = parse('state { phase: TRAIN level: 5 } layer { name: "x" include { phase: TEST '
                'max_level: 0 } }')
    assert kept_names(net) == ["x"]


def test_include_and_exclude_together_is_an_error_naming_the_layer():
    net = parse('layer { name: "ok" } layer { name: "both" type: "ReLU" '
                'include { phase: TEST } exclude { min_level: 1 } }')
    with pytest.raises(NetError, match=r"layer 'both' \(ReLU\): has both include and exclude"):
        filter_net(net)


def test_filter_returns_indices_in_order():
    assert filter_net(TRAIN_VAL, phase="TEST") == [1, 2, 3, 4]
    assert filter_net(caffe_pb2.NetParameter()) == []
