"""Rules for the fork layers public nets use most (YOLO, CTPN / caffe_ocr sequence layers,
fast-rcnn's Dropout, known Python layers). Each figure is worked out by hand from the fork's
own C++/Python, shown next to it."""

from __future__ import annotations

import pytest

from prototxt_tool import caffe_pb2, textformat
from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, Shape, rule_for


def run(text: str, *bottoms: Shape | None, fork: str | None = None,
        written_for: frozenset[str] = frozenset()) -> LayerCost:
    """The rule of the layer `text` on these bottom shapes; `fork` is --fork, `written_for`
    the forks whose skipped fields the file carries (LayerContext)."""
    layer = caffe_pb2.LayerParameter()
    textformat.parse(text, layer)  # strict: every field used here is in the schema
    if not layer.bottom:
        layer.bottom.extend(f"b{i}" for i in range(len(bottoms)))
    rule = rule_for(layer.type)
    assert rule is not None, layer.type
    return rule(LayerContext(layer, list(bottoms), {}, fork=fork, written_for=written_for))


def fails(text: str, *bottoms: Shape | None, match: str) -> None:
    with pytest.raises(ShapeError, match=match):
        run(text, *bottoms)


# --- YOLO --------------------------------------------------------------------------------


def test_nearest_upsample_scales_the_last_two_axes() -> None:
    cost = run('type: "Upsample" top: "u" upsample_param { scale: 2 }', (1, 256, 13, 13))
    assert cost.tops == [(1, 256, 26, 26)] and cost.ops == 0 and cost.params == []
    # the YOLO forks' default scale is 1 (SegNet's 2 is not taken for it)
    assert run('type: "Upsample" top: "u"', (2, 8, 5, 7)).tops == [(2, 8, 5, 7)]
    fails('type: "Upsample" top: "u" top: "v"', (1, 2, 3, 4), match="exactly 1 top")


@pytest.mark.parametrize(("param", "bottom", "top"), [
    ("stride: 2", (1, 64, 26, 26), (1, 256, 13, 13)),               # C*4, H/2, W/2
    ("stride: 2", (1, 64, 27, 27), (1, 256, 13, 13)),               # integer division
    ("stride: 2 reverse: true", (1, 256, 13, 13), (1, 64, 26, 26)),
    ("stride: 3", (2, 5, 9), (2, 45, 3, 0)),                        # legacy: W reads as 1
])
def test_reorg(param: str, bottom: Shape, top: Shape) -> None:
    text = f'type: "Reorg" bottom: "x" top: "y" reorg_param {{ {param} }}'
    if min(top) == 0:
        assert run(text, bottom).tops == [top]  # the walk refuses the 0 dim, not the rule
        return
    cost = run(text, bottom)
    assert cost.tops == [top] and cost.ops == 0 and cost.kind == "reshape"


def test_reorg_checks() -> None:
    fails('type: "Reorg" bottom: "x" top: "y"', (1, 4, 2, 2), match="needs stride")
    fails('type: "Reorg" bottom: "x" top: "x" reorg_param { stride: 2 }', (1, 4, 2, 2),
          match="in place")


def test_yolo_detection_outputs_are_data_dependent() -> None:
    v3 = ('type: "Yolov3DetectionOutput" top: "d" yolov3_detection_output_param '
          '{ num_classes: 80 %s }')
    cost = run(v3 % "", (1, 255, 13, 13), (1, 255, 26, 26))
    assert cost.tops == [None] and cost.data_dependent and cost.macs == 0
    assert cost.params == [] and cost.ops is None
    run(v3 % "mask_group_num: 3", (1, 255, 13, 13), (1, 255, 26, 26), (1, 255, 52, 52))
    fails(v3 % "", (1, 255, 13, 13), match="mask_group_num = 2")
    fails('type: "Yolov3DetectionOutput" top: "d"', (1, 1, 1, 1), (1, 1, 1, 1),
          match="num_classes")
    v2 = run('type: "YoloDetectionOutput" top: "d" yolo_detection_output_param '
             '{ num_classes: 20 label_map_file: "/etc/passwd" }', (1, 125, 13, 13))
    assert v2.data_dependent and v2.tops == [None]
    fails('type: "YoloDetectionOutput" top: "d"', (1, 125, 13, 13), match="num_classes")


# --- CTPN / caffe_ocr ----------------------------------------------------------------------


def test_transpose() -> None:
    cost = run('type: "Transpose" bottom: "x" top: "y" transpose_param { dim: 3 dim: 0 '
               'dim: 2 dim: 1 }', (1, 512, 2, 40))
    assert cost.tops == [(40, 1, 2, 512)] and cost.ops == 0
    fails('type: "Transpose" bottom: "x" top: "y" transpose_param { dim: 1 dim: 0 }',
          (1, 2, 3), match="dimensions of top and bottom")
    fails('type: "Transpose" bottom: "x" top: "y" transpose_param { dim: 0 dim: 0 }',
          (1, 2), match="each axis")
    fails('type: "Transpose" bottom: "x" top: "x" transpose_param { dim: 0 }', (3,),
          match="in place")


def test_reverse() -> None:
    cost = run('type: "Reverse" bottom: "x" top: "y"', (40, 1, 256))
    assert cost.tops == [(40, 1, 256)] and cost.ops == 0
    fails('type: "Reverse" bottom: "x" top: "y" reverse_param { axis: 3 }', (40, 1, 256),
          match="axis 3")


def test_junhyuk_lstm() -> None:
    cost = run('type: "Lstm" bottom: "x" top: "h" lstm_param { num_output: 128 }',
               (40, 1, 512))
    assert cost.tops == [(40, 1, 128)]
    assert cost.params == [(512, 512), (512, 128), (512,)]  # 4H x I, 4H x H, 4H
    assert cost.macs == 40 * 1 * 512 * (512 + 128)
    assert cost.ops == 40 * 128 * 13
    fails('type: "Lstm" bottom: "x" top: "h"', (40, 1, 512), match="num_output")
    fails('type: "Lstm" bottom: "x" top: "h" lstm_param { num_output: 8 }', (40, 512),
          match="3 axes")
    deep = run('type: "Lstm" bottom: "x" top: "h" lstm_param { num_output: 8 }', (4, 1, 2, 3))
    assert deep.tops == [None] and deep.params is None  # the two forks disagree there


# --- fast-rcnn Dropout ---------------------------------------------------------------------


def test_dropout_scale_train() -> None:
    assert run('type: "Dropout" top: "d"', (2, 10)).ops == 0
    scaled = run('type: "Dropout" top: "d" dropout_param { scale_train: false }', (2, 10))
    assert scaled.ops == 20 and scaled.tops == [(2, 10)]


# --- known Python layers -------------------------------------------------------------------

PY = 'type: "Python" {} python_param {{ module: "{}" layer: "{}" param_str: "{}" }}'


def test_py_faster_rcnn_proposal() -> None:
    text = PY.format('top: "rois" top: "scores"', "rpn.proposal_layer", "ProposalLayer",
                     "'feat_stride': 16")
    cost = run(text, (1, 18, 14, 14), (1, 36, 14, 14), (1, 3))
    assert cost.tops == [(1, 5), (1, 1, 1, 1)] and cost.data_dependent and cost.setup_tops
    assert cost.params == [] and cost.macs == 0
    one = run(text.replace(' top: "scores"', ""), (1, 18, 14, 14), (1, 36, 14, 14), (1, 3))
    assert one.tops == [(1, 5)]
    fails(text, (1, 18, 14, 14), match="exactly 3 bottom")


def test_ctpn_text_proposal() -> None:
    text = PY.format('top: "rois" top: "scores"', "layers.text_proposal_layer",
                     "ProposalLayer", "'feat_stride': 16")
    cost = run(text, (1, 20, 10, 10), (1, 40, 10, 10), (1, 3))
    assert cost.tops == [(1, 4), (1, 1, 1, 1)] and cost.setup_tops  # resized by forward()


def test_detectnet_cluster() -> None:
    text = PY.format('top: "bbox"', "caffe.layers.detectnet.clustering", "ClusterDetections",
                     "1248, 384, 16, 0.6, 3, 0.02, 22, 1")
    cost = run(text, (2, 1, 24, 78), (2, 4, 24, 78))
    assert cost.tops == [(2, 50, 5)] and cost.data_dependent and cost.ops is None
    assert not cost.setup_tops  # reshape() gives the real top: max_boxes rows, padded
    two = PY.format('top: "a" top: "b"', "caffe.layers.detectnet.clustering",
                    "ClusterDetections", "1248,384,16,0.6,3,0.02,22,2,10")
    assert run(two, (1, 2, 24, 78), (1, 4, 24, 78)).tops == [(1, 10, 5)] * 2
    fails(text.replace("0.6", "x"), (2, 1, 24, 78), (2, 4, 24, 78), match="wrong")
    fails(text.replace(", 22, 1", ""), (2, 1, 24, 78), (2, 4, 24, 78), match="missing")
    fails(text, (2, 3, 24, 78), (2, 4, 24, 78), match="1 channel")


def test_unknown_python_module_stays_unknown() -> None:
    cost = run(PY.format('top: "t"', "rpn.proposal_layer", "OtherLayer", ""), (1, 2))
    assert cost.tops == [None] and cost.ops is None


def test_mish() -> None:
    cost = run('type: "Mish" top: "m"', (1, 32, 8, 8))
    assert cost.tops == [(1, 32, 8, 8)] and cost.ops == 5 * 32 * 64


def test_ctc_greedy_decoder() -> None:
    cost = run('type: "CTCGreedyDecoder" top: "r"', (40, 2, 5990))
    assert cost.tops == [(2, 40, 1, 1)] and cost.data_dependent and cost.params == []
    acc = run('type: "CTCGreedyDecoder" top: "acc"', (40, 2, 5990), (2, 40))
    assert acc.tops == [(1, 2, 1, 1)]
    fails('type: "CTCGreedyDecoder" top: "r"', (40, 5990), match="3 axes")
