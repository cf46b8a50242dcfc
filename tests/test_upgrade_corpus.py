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
    # The oracle had to swap Data layers for DummyData (it has no database); the type as
    # written in the file is Data.
    swapped = "DummyData" in doc.get("oracle_variant", "")
    rows = []
    for layer in doc["layers"]:
        kind = "Data" if swapped and layer["type"] == "DummyData" else layer["type"]
        rows.append((layer["name"], kind, layer["bottoms"], [t["name"] for t in layer["tops"]]))
    return rows


@pytest.mark.parametrize(("path", "stem", "fmt"), CASES, ids=[c[1] for c in CASES])
def test_upgraded_layers_match_caffe(path: str, stem: str, fmt: str):
    corpus = corpus_or_skip()
    raw = text_format.Parse((corpus / f"{path}.prototxt").read_text(), caffe_pb2.NetParameter())
    doc = json.loads((corpus / "expected" / f"{stem}.json").read_text())
    assert detect_format(raw) == fmt
    up = upgrade_net(raw)
    assert len(up.origins) == len(up.net.layer)
    kept = filter_net(up.net, phase=doc["phase"])
    got = [(up.net.layer[i].name, up.net.layer[i].type, list(up.net.layer[i].bottom),
            list(up.net.layer[i].top)) for i in kept]
    assert got == _expected_layers(doc)


def test_caffenet_v0_padding_layers_fold_into_their_convs():
    corpus = corpus_or_skip()
    text = (corpus / "bvlc/caffenet_imagenet_deploy_v0_2013.prototxt").read_text()
    up = upgrade_net(text_format.Parse(text, caffe_pb2.NetParameter()))
    folded = [n for n in up.notes if n.startswith("folded padding layer")]
    assert len(folded) == text.count('type: "padding"') == 4
    pads = {layer.name: list(layer.convolution_param.pad) for layer in up.net.layer
            if layer.type == "Convolution"}
    assert pads["conv1"] == [] and all(pads[f"conv{i}"] for i in range(2, 6))
