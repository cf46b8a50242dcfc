"""Reading and writing .caffemodel files: round trip, analyze of a model, bad binaries."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from weights_helpers import gen, model_bytes, model_proto, run, write

from prototxt_tool import caffe_pb2
from prototxt_tool.weights.model import open_model, write_model

LENET_DATA = """name: "small"
layer { name: "data" type: "Data" top: "data" top: "label" data_param { batch_size: 4 } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        convolution_param { num_output: 6 kernel_size: 5 } }
layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" }
layer { name: "ip1" type: "InnerProduct" bottom: "conv1" top: "ip1"
        inner_product_param { num_output: 10 } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip1" bottom: "label" top: "loss" }
"""


@pytest.fixture(scope="module")
def mobilenet() -> str:
    return gen("mobilenet", "-a", "0.25", "-r", "64")


def test_round_trip_is_byte_identical(tmp_path: Path, mobilenet: str) -> None:
    src = write(tmp_path / "a.caffemodel", model_proto(mobilenet))
    model = open_model(src)
    assert [rec.name for rec in model.layers][:3] == ["data", "conv1", "conv1/bn"]
    write_model(model, str(tmp_path / "b.caffemodel"), {})
    assert (tmp_path / "b.caffemodel").read_bytes() == Path(src).read_bytes()


def test_legacy_and_double_blobs_are_read_as_caffe_does(tmp_path: Path) -> None:
    net = caffe_pb2.NetParameter()
    layer = net.layers.add(name="ip", type=caffe_pb2.V1LayerParameter.INNER_PRODUCT)
    w = layer.blobs.add(num=1, channels=1, height=3, width=2)
    w.double_data.extend([1, 2, 3, 4, 5, 6])
    path = write(tmp_path / "v1.caffemodel", net)
    model = open_model(path)
    assert model.format == "V1"
    blob = model.layers[0].blobs[0]
    assert (blob.shape, blob.legacy, blob.values, blob.double) == ((1, 1, 3, 2), True, 6, True)
    assert model.array(blob).reshape(-1).tolist() == [1, 2, 3, 4, 5, 6]
    write_model(model, str(tmp_path / "copy.caffemodel"), {})
    assert (tmp_path / "copy.caffemodel").read_bytes() == Path(path).read_bytes()


def test_analyze_a_caffemodel_counts_the_stored_blobs(tmp_path: Path, mobilenet: str) -> None:
    (tmp_path / "net.prototxt").write_text(mobilenet)
    path = write(tmp_path / "weights.bin", model_bytes(mobilenet, seed=1))  # no extension
    code, out, err = run("analyze", path, "--format", "json")
    assert code == 0, err
    code, ref, _ = run("analyze", str(tmp_path / "net.prototxt"), "--format", "json")
    got, want = json.loads(out), json.loads(ref)
    assert got["total"] == want["total"]
    assert [x["tops"] for x in got["layers"]] == [x["tops"] for x in want["layers"]]


def test_analyze_a_model_fed_by_data_layers_without_input(tmp_path: Path) -> None:
    proto = model_proto(LENET_DATA, phase="TRAIN", input_shapes={"data": (4, 1, 28, 28)})
    path = write(tmp_path / "lenet.caffemodel", proto)
    code, out, err = run("analyze", path, "--phase", "train", "--format", "json")
    assert code == 0, err
    assert "pass --input-shape" in err and "shape(s) from weights" in err
    layers = {x["name"]: x for x in json.loads(out)["layers"]}
    assert layers["conv1"]["param_shapes"] == [[6, 1, 5, 5], [6]]
    assert layers["ip1"]["param_shapes"] == [[10, 6 * 24 * 24], [10]]
    assert layers["ip1"]["tops"][0]["shape"] is None
    code, out, err = run("analyze", path, "--phase", "train", "--format", "json",
                         "--input-shape", "data=4,1,28,28")
    assert code == 0 and err == ""
    layers = {x["name"]: x for x in json.loads(out)["layers"]}
    assert layers["ip1"]["tops"][0]["shape"] == [4, 10]


def test_analyze_refuses_blobs_that_do_not_fit(tmp_path: Path) -> None:
    proto = model_proto(LENET_DATA, phase="TRAIN", input_shapes={"data": (4, 1, 28, 28)})
    path = write(tmp_path / "lenet.caffemodel", proto)
    code, _, err = run("analyze", path, "--phase", "train", "--input-shape", "data=4,3,28,28")
    assert code == 2
    assert "layer 'conv1' (Convolution)" in err and "[6,1,5,5]" in err and "[6,3,5,5]" in err


def test_analyze_a_v1_caffemodel(tmp_path: Path) -> None:
    net = caffe_pb2.NetParameter(name="old", input=["data"], input_dim=[1, 3, 8, 8])
    layer = net.layers.add(name="conv", type=caffe_pb2.V1LayerParameter.CONVOLUTION,
                           bottom=["data"], top=["conv"])
    layer.convolution_param.num_output = 4
    layer.convolution_param.kernel_size.append(3)
    layer.blobs.add(num=4, channels=3, height=3, width=3).data.extend([0.0] * 108)
    layer.blobs.add(num=1, channels=1, height=1, width=4).data.extend([0.0] * 4)
    code, out, err = run("analyze", write(tmp_path / "old.caffemodel", net), "--format", "json")
    assert code == 0, err
    got = json.loads(out)
    assert got["format"] == "V1"
    assert got["layers"][1]["params"] == 112
    assert got["layers"][1]["tops"][0]["shape"] == [1, 4, 6, 6]


@pytest.mark.parametrize("cut", [1, 7, 100, -5])
def test_truncated_model_is_one_line(tmp_path: Path, mobilenet: str, cut: int) -> None:
    data = model_bytes(mobilenet, seed=2)
    path = write(tmp_path / "cut.caffemodel", data[:cut])
    for args in (["analyze", path], ["check", str(write(tmp_path / "n.prototxt",
                                                         mobilenet.encode())), path],
                 ["lint", "--weights", path, str(tmp_path / "n.prototxt")]):
        code, _, err = run(*args)
        assert code == 2, (args, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and path in lines[0], err
        assert "Traceback" not in err


def test_non_caffe_binary_is_one_line(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    path = write(tmp_path / "noise.caffemodel", b"\x00\xff" + rng.bytes(5000))
    code, _, err = run("analyze", path)
    assert code == 2
    assert err.count("\n") == 1 and "not a Caffe binary model" in err and path in err
    # Non-UTF-8 text without control bytes is read as Caffe's tokenizer reads it (#15)
    text = write(tmp_path / "latin1.prototxt", 'name: "caf\xe9"\n'.encode("latin-1"))
    code, _, err = run("analyze", text)
    assert code == 0 and "not a Caffe binary model" not in err


def test_names_that_are_not_utf8_are_refused(tmp_path: Path) -> None:
    from prototxt_tool.weights.wire import len_field

    layer = len_field(1, 2) + b"\xff\xfe"  # LayerParameter.name, not UTF-8
    path = write(tmp_path / "bad.caffemodel", len_field(100, len(layer)) + layer)
    code, _, err = run("analyze", path)
    assert code == 2 and err.count("\n") == 1 and "not UTF-8 text" in err
