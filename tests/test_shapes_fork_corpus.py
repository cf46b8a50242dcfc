"""Fork layers of real public nets (read from the corpus, never copied into the project).

SSD: each PriorBox/Permute/Normalize/DetectionOutput layer is run on the bottom shapes the SSD
fork itself computed (expected/*.json) and must give that fork's tops and params.
PSPNet, SegNet, ShuffleNet, SENet and Faster R-CNN have no Caffe build to compare with; their
fork layers get bottoms worked out by hand (arithmetic in the comments) and must give what the
forks' formulas give.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from google.protobuf import text_format

from prototxt_tool import caffe_pb2
from prototxt_tool.shapes import LayerContext, LayerCost, Shape, rule_for

SSD_FILES = [
    ("mobilenet-ssd/MobileNetSSD_deploy.prototxt", "mobilenet-ssd__MobileNetSSD_deploy.TEST.json"),
    ("ssd/SSD300_VGG_VOC0712_deploy.prototxt", "ssd__SSD300_VGG_VOC0712_deploy.TEST.json"),
]
SSD_TYPES = {"PriorBox", "Permute", "Normalize", "DetectionOutput"}


def load(corpus: Path, name: str) -> dict[str, caffe_pb2.LayerParameter]:
    net = caffe_pb2.NetParameter()
    text_format.Parse((corpus / name).read_text(), net)
    return {layer.name: layer for layer in net.layer}


def apply(layer: caffe_pb2.LayerParameter, *bottoms: Shape | None,
          overrides: dict[str, Shape] | None = None) -> LayerCost:
    rule = rule_for(layer.type)
    assert rule is not None, layer.type
    return rule(LayerContext(layer, list(bottoms), overrides or {}))


def num_output(layers: dict[str, caffe_pb2.LayerParameter], top: str) -> int:
    """Channels of a blob written by a Convolution in the file (its num_output)."""
    convs = [layer for layer in layers.values()
             if layer.type == "Convolution" and top in layer.top]
    assert convs, top
    return convs[0].convolution_param.num_output


@pytest.mark.parametrize(("prototxt", "expected"), SSD_FILES)
def test_ssd_layers_match_the_ssd_fork(corpus: Path, prototxt: str, expected: str) -> None:
    layers = load(corpus, prototxt)
    truth = json.loads((corpus / "expected" / expected).read_text())
    blobs: dict[str, Shape | None] = {}
    checked = set()
    for entry in truth["layers"]:
        if entry["type"] in SSD_TYPES:
            cost = apply(layers[entry["name"]], *(blobs[b] for b in entry["bottoms"]))
            tops = [None if s is None else list(s) for s in cost.tops]
            assert tops == [t["shape"] for t in entry["tops"]], entry["name"]
            assert [list(p) for p in cost.params] == entry["params"], entry["name"]
            checked.add(entry["type"])
        for top in entry["tops"]:
            blobs[top["name"]] = None if top["shape"] is None else tuple(top["shape"])
    assert checked >= {"PriorBox", "Permute", "DetectionOutput"}


def test_pspnet_interp_and_bn(corpus: Path) -> None:
    layers = load(corpus, "pspnet/pspnet50_ADE20K_473.prototxt")
    # 473 -> conv 3x3/2 pad 1: (473 + 2 - 3) // 2 + 1 = 237 -> two 3x3/1 convs: 237
    # -> max pool 3x3/2 pad 1 (ceil): ceil((237 + 2 - 3) / 2) + 1 = 119
    # -> stage 3 stride 2: (119 + 2 - 3) // 2 + 1 = 60; stages 4 and 5 are dilated: 60.
    # The pyramid's AVE pools (kernel = stride = 60, 30, 20, 10) give 1, 2, 3, 6.
    for level, size in (("1", 1), ("2", 2), ("3", 3), ("6", 6)):
        layer = layers[f"conv5_3_pool{level}_interp"]
        assert apply(layer, (1, 512, size, size)).tops == [(1, 512, 60, 60)]
    # Final zoom 8: 60 + (60 - 1) * (8 - 1) = 473, the input size back.
    assert apply(layers["conv6_interp"], (1, 150, 60, 60)).tops == [(1, 150, 473, 473)]
    bns = [layer for layer in layers.values() if layer.type == "BN"]
    assert bns
    for layer in bns:
        channels = num_output(layers, layer.bottom[0])
        cost = apply(layer, (1, channels, 60, 60))
        assert cost.params == [(1, channels, 1, 1)] * 4, layer.name  # PSPNet's 4 blobs
        assert cost.stats == 2


def test_segnet_upsample_restores_the_input(corpus: Path) -> None:
    layers = load(corpus, "segnet/segnet_basic_camvid.prototxt")
    # MAX pools 2x2/2 (ceil): 360x480 -> 180x240 -> 90x120 -> 45x60
    # -> ceil((45 - 2) / 2) + 1 = 23, 60 / 2 = 30. upsample4 has pad_out_h: 23 * 2 - 1 = 45.
    chain = [("upsample4", (23, 30), (45, 60)), ("upsample3", (45, 60), (90, 120)),
             ("upsample2", (90, 120), (180, 240)), ("upsample1", (180, 240), (360, 480))]
    for name, (h, w), out in chain:
        bottom = (1, 64, h, w)
        assert apply(layers[name], bottom, bottom).tops == [(1, 64, *out)], name
    bns = [layer for layer in layers.values() if layer.type == "BN"]
    assert bns
    for layer in bns:
        channels = num_output(layers, layer.bottom[0])
        cost = apply(layer, (1, channels, 45, 60))
        assert cost.params == [(1, channels, 1, 1)] * 2, layer.name  # SegNet's 2 blobs
        assert cost.ops == 2 * channels * 45 * 60  # bn_mode: INFERENCE


def test_shufflenet_channel_shuffles(corpus: Path) -> None:
    layers = load(corpus, "shufflenet/shufflenet_1x_g3_deploy.prototxt")
    shuffles = [layer for layer in layers.values() if layer.type == "ShuffleChannel"]
    assert len(shuffles) > 10
    for layer in shuffles:
        bottom = (1, num_output(layers, layer.bottom[0]), 28, 28)
        assert apply(layer, bottom).tops == [bottom], layer.name


def test_senet_axpy(corpus: Path) -> None:
    layers = load(corpus, "senet/SE-ResNet-50.prototxt")
    # 224 -> conv1 7x7/2: 112 -> pool 3x3/2 (ceil): 56; stages 3, 4, 5 halve it.
    sizes = {"conv2": 56, "conv3": 28, "conv4": 14, "conv5": 7}
    axpys = [layer for layer in layers.values() if layer.type == "Axpy"]
    assert len(axpys) == 16  # one per bottleneck: 3 + 4 + 6 + 3
    for layer in axpys:
        size = sizes[layer.name.split("_")[0]]
        scale = (1, num_output(layers, layer.bottom[0]), 1, 1)
        x = (1, num_output(layers, layer.bottom[1]), size, size)
        cost = apply(layer, scale, x, x)
        assert cost.tops == [x], layer.name


def test_faster_rcnn_python_proposals_and_roi_pooling(corpus: Path) -> None:
    layers = load(corpus, "faster-rcnn/VGG16_faster_rcnn_end2end_test.prototxt")
    # RPN outputs on conv5_3: 224 / 2**4 = 14 (four 2x2/2 pools).
    proposal = layers["proposal"]
    bottoms = [(1, 18, 14, 14), (1, 36, 14, 14), (1, 3)]
    # py-faster-rcnn's ProposalLayer.setup() gives rois [1, 5] at net init (python_layers.py)
    assert apply(proposal, *bottoms).tops == [(1, 5)]
    assert apply(proposal, *bottoms, overrides={"rois": (300, 5)}).tops == [(300, 5)]
    pool = apply(layers["roi_pool5"], (1, 512, 14, 14), (300, 5))
    assert pool.tops == [(300, 512, 7, 7)]
