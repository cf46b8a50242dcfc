"""Real legacy prototxts upgrade to the layer list real Caffe built (corpus expected/*.json).

Only names, types, bottoms and tops are compared: shapes belong to the analysis tests.
"""

from __future__ import annotations

import json

import pytest
from conftest import corpus_or_skip
from google.protobuf import text_format

from prototxt_tool import caffe_pb2
from prototxt_tool.netstate import filter_net
from prototxt_tool.upgrade import detect_format, upgrade_net

# (corpus file, expected json stem, format as written)
CASES = [
    ("bvlc/caffenet_imagenet_deploy_v0_2013", "bvlc__caffenet_imagenet_deploy_v0_2013.TEST", "V0"),
    ("bvlc/cifar10_quick_v0_2014", "bvlc__cifar10_quick_v0_2014.TEST", "V0"),
    # No Caffe run of the 2014 V1 file exists; the current V2 file of the same net does.
    ("bvlc/alexnet_train_val_v1_2014", "bvlc__alexnet_train_val.TRAIN", "V1"),
    ("bvlc/alexnet_train_val_v1_2014", "bvlc__alexnet_train_val.TEST", "V1"),
    ("bvlc/caffenet_deploy_v1_2014", "bvlc__caffenet_deploy_v1_2014.TEST", "V1"),
    ("vgg/VGG_ILSVRC_16_layers_deploy", "vgg__VGG_ILSVRC_16_layers_deploy.TEST", "V1"),
    ("lightcnn/LightenedCNN_B_deploy", "lightcnn__LightenedCNN_B_deploy.TRAIN", "V1"),
    ("bvlc/googlenet_deploy_input_shape_2015", "bvlc__googlenet_deploy_input_shape_2015.TEST",
     "V2"),
]


def _expected_layers(doc: dict) -> list[tuple]:
    """Caffe's layer list, with the types as written where the oracle had to change them."""
    rows = []
    for layer in doc["layers"]:
        rows.append((layer["name"], _written_type(doc, layer), layer["bottoms"],
                     [t["name"] for t in layer["tops"]]))
    return rows


def _written_type(doc: dict, layer: dict) -> str:
    # The oracle swapped Data layers for DummyData (it has no database) and loaded the fork
    # type ConvolutionDepthwise as Convolution (README, oracle_variant).
    variant = doc.get("oracle_variant", "")
    if layer["type"] == "DummyData" and "Data layers replaced by DummyData" in variant:
        return "Data"
    return layer["type"]


def _upgraded_layers(raw, phase: str) -> list[tuple]:
    up = upgrade_net(raw)
    return [(layer.name, layer.type, list(layer.bottom), list(layer.top))
            for layer in (up.net.layer[i] for i in filter_net(up.net, phase=phase))]


@pytest.mark.parametrize(("path", "stem", "fmt"), CASES, ids=[c[1] for c in CASES])
def test_upgraded_layers_match_caffe(path: str, stem: str, fmt: str):
    corpus = corpus_or_skip()
    raw = text_format.Parse((corpus / f"{path}.prototxt").read_text(), caffe_pb2.NetParameter())
    doc = json.loads((corpus / "expected" / f"{stem}.json").read_text())
    assert detect_format(raw) == fmt
    up = upgrade_net(raw)
    assert len(up.origins) == len(up.net.layer)
    assert _upgraded_layers(raw, doc["phase"]) == _expected_layers(doc)


def test_every_expected_file_has_caffes_layer_list_after_upgrade_and_filter():
    corpus = corpus_or_skip()
    mismatched = []
    checked = 0
    for path in sorted((corpus / "expected").glob("*.json")):
        doc = json.loads(path.read_text())
        raw = text_format.Parse((corpus / doc["source"]).read_text(), caffe_pb2.NetParameter())
        got = _upgraded_layers(raw, doc["phase"])
        want = _expected_layers(doc)
        if "ConvolutionDepthwise loaded as Convolution" in doc.get("oracle_variant", ""):
            got = [(n, "Convolution" if t == "ConvolutionDepthwise" else t, b, tops)
                   for n, t, b, tops in got]
        if got != want:
            mismatched.append(path.name)
        checked += 1
    assert checked >= 30
    assert mismatched == []


def test_caffenet_v0_padding_layers_fold_into_their_convs():
    corpus = corpus_or_skip()
    text = (corpus / "bvlc/caffenet_imagenet_deploy_v0_2013.prototxt").read_text()
    up = upgrade_net(text_format.Parse(text, caffe_pb2.NetParameter()))
    folded = [n for n in up.notes if n.startswith("folded padding layer")]
    assert len(folded) == text.count('type: "padding"') == 4
    pads = {layer.name: list(layer.convolution_param.pad) for layer in up.net.layer
            if layer.type == "Convolution"}
    assert pads["conv1"] == [] and all(pads[f"conv{i}"] for i in range(2, 6))
