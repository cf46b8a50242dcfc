"""`dwsep check` / `dwsep lint --weights`: Caffe's CopyTrainedLayersFrom, statically."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, corpus_or_skip
from weights_helpers import gen, model_bytes, model_proto, run, write

NET = """name: "small"
input: "data"
input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        convolution_param { num_output: 4 kernel_size: 3 } }
layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" }
layer { name: "scale1" type: "Scale" bottom: "conv1" top: "conv1"
        scale_param { bias_term: true } }
layer { name: "fc" type: "InnerProduct" bottom: "conv1" top: "fc"
        inner_product_param { num_output: 5 } }
layer { name: "fc_train" type: "InnerProduct" bottom: "conv1" top: "fc_train"
        inner_product_param { num_output: 2 } include { phase: TRAIN } }
"""
LINE = {"conv1": 4, "bn1": 6, "scale1": 7, "fc": 9}


def check(tmp_path: Path, net: str, proto: object, *args: str) -> tuple[int, list[dict]]:
    n = write(tmp_path / "net.prototxt", net.encode())
    w = write(tmp_path / "net.caffemodel", proto)  # type: ignore[arg-type]
    phase = () if "--phase" in args else ("--phase", "test")
    code, out, err = run("check", n, w, "--format", "json", *phase, *args)
    assert code in (0, 1), err
    return code, json.loads(out)


def codes(findings: list[dict]) -> list[tuple[str, str, int]]:
    return [(f["code"], f["layer"], f["line"]) for f in findings]


def test_matching_pair_passes(tmp_path: Path) -> None:
    mobilenet = gen("mobilenet", "-a", "0.25", "-r", "64")
    n = write(tmp_path / "mb.prototxt", mobilenet.encode())
    w = write(tmp_path / "mb.caffemodel", model_bytes(mobilenet, seed=1))
    code, out, err = run("check", n, w)
    assert (code, out, err) == (0, "All checks passed (1 file).\n", "")
    code, out, _ = run("lint", "--weights", w, n, "--select", "W")
    assert code == 0 and out.startswith("All checks passed")


def test_wrong_shape_is_reported_at_its_layer_with_both_shapes(tmp_path: Path) -> None:
    proto = model_proto(NET)
    fc = next(x for x in proto.layer if x.name == "fc")
    del fc.blobs[0].shape.dim[:]
    fc.blobs[0].shape.dim.extend([1000, 256])
    code, found = check(tmp_path, NET, proto)
    assert code == 1
    assert codes(found) == [("W002", "fc", LINE["fc"])]
    assert "[1000,256]" in found[0]["message"] and "[5,144]" in found[0]["message"]


def test_missing_blob_is_a_blob_count_error(tmp_path: Path) -> None:
    proto = model_proto(NET)
    scale = next(x for x in proto.layer if x.name == "scale1")
    del scale.blobs[1]
    code, found = check(tmp_path, NET, proto)
    assert code == 1
    assert codes(found) == [("W001", "scale1", LINE["scale1"])]
    assert "allocates 2 blobs" in found[0]["message"] and "have 1 blob" in found[0]["message"]


def test_renamed_and_extra_layers(tmp_path: Path) -> None:
    proto = model_proto(NET)
    next(x for x in proto.layer if x.name == "conv1").name = "conv_1"
    extra = proto.layer.add(name="fc9", type="InnerProduct")
    extra.blobs.add().shape.dim.extend([3])
    code, found = check(tmp_path, NET, proto, "--fail-on", "warning")
    assert code == 1
    assert sorted(codes(found)) == [("W004", "conv1", LINE["conv1"]), ("W005", "conv_1", 1),
                                    ("W005", "fc9", 1)]


def test_legacy_blobs_compare_as_caffe_does(tmp_path: Path) -> None:
    proto = model_proto(NET)
    conv = next(x for x in proto.layer if x.name == "conv1")
    weights, bias = conv.blobs
    bias.ClearField("shape")
    bias.num, bias.channels, bias.height, bias.width = 1, 1, 1, 4  # fits a [4] bias
    weights.ClearField("shape")
    weights.num, weights.channels, weights.height, weights.width = 4, 3, 3, 3
    code, found = check(tmp_path, NET, proto)
    assert (code, found) == (0, [])
    bias.num, bias.width = 4, 1  # 4x1x1x1 is not 1x1x1x4: Caffe refuses it
    code, found = check(tmp_path, NET, proto)
    assert codes(found) == [("W002", "conv1", LINE["conv1"])]
    assert "[4,1,1,1] (legacy num/channels/height/width)" in found[0]["message"]


def test_values_that_do_not_fill_the_shape(tmp_path: Path) -> None:
    proto = model_proto(NET)
    conv = next(x for x in proto.layer if x.name == "conv1")
    del conv.blobs[0].data[10:]
    _, found = check(tmp_path, NET, proto)
    assert codes(found) == [("W003", "conv1", LINE["conv1"])]
    assert "holds 10 values" in found[0]["message"]


def test_batchnorm_statistics(tmp_path: Path) -> None:
    proto = model_proto(NET)
    bn = next(x for x in proto.layer if x.name == "bn1")
    bn.blobs[2].data[0] = 0.0
    _, found = check(tmp_path, NET, proto)
    assert codes(found) == [("W006", "bn1", LINE["bn1"])]
    assert "factor" in found[0]["message"]
    proto.layer.remove(bn)
    _, found = check(tmp_path, NET, proto)
    assert codes(found) == [("W006", "bn1", LINE["bn1"])]
    assert "no statistics" in found[0]["message"]


def test_weights_of_another_phase(tmp_path: Path) -> None:
    proto = model_proto(NET, phase="TRAIN")
    code, found = check(tmp_path, NET, proto, "--phase", "test")
    assert code == 0
    assert len(found) == 1 and found[0]["code"] == "W007" and found[0]["layer"] == "fc_train"
    assert "phase TRAIN only" in found[0]["message"]
    code, found = check(tmp_path, NET, proto, "--phase", "train")
    assert (code, found) == (0, [])


def test_data_layer_nets_need_an_input_shape(tmp_path: Path) -> None:
    net = NET.replace('input: "data"\ninput_shape { dim: 1 dim: 3 dim: 8 dim: 8 }\n',
                      'layer { name: "d" type: "Data" top: "data" data_param '
                      '{ batch_size: 2 } }\n')
    proto = model_proto(net, input_shapes={"data": (2, 3, 8, 8)})
    _, found = check(tmp_path, net, proto)
    assert [f["code"] for f in found] == ["W008"]
    code, found = check(tmp_path, net, proto, "--input-shape", "data=_,3,8,8")
    assert (code, found) == (0, [])


def test_check_text_output_and_syntax_errors(tmp_path: Path) -> None:
    n = write(tmp_path / "n.prototxt", NET.encode())
    proto = model_proto(NET)
    next(x for x in proto.layer if x.name == "fc").blobs[1].shape.dim[0] = 7
    w = write(tmp_path / "w.caffemodel", proto)
    code, out, _ = run("check", n, w, "--phase", "test")
    assert code == 1
    assert out.splitlines()[0] == (f"{n}:{LINE['fc']}:9: W002 [error] cannot copy param 1 of "
                                   "layer 'fc': the weights have [7], the net expects [5]")
    bad = write(tmp_path / "bad.prototxt", b"layer { name: \n")
    code, out, err = run("check", bad, w)
    assert code == 2 and err.count("\n") == 1 and bad in err


EXPECTED = sorted((CORPUS / "expected").glob("*.json")) if (CORPUS / "expected").is_dir() else []
SMALL = [p for p in EXPECTED if json.loads(p.read_text())["total_params"] < 3_000_000]


@pytest.mark.parametrize("expected_file", SMALL, ids=[p.stem for p in SMALL])
def test_corpus_layouts_load_and_analyze(tmp_path: Path, expected_file: Path) -> None:
    """A model in the layout of each small corpus net (blobs from dwsep's analysis, zeros)
    checks clean against its prototxt, and `analyze` of the model gives Caffe's param total."""
    corpus_or_skip()
    exp = json.loads(expected_file.read_text())
    src = CORPUS / exp["source"]
    shapes = {k: tuple(-1 if d is None else d for d in v)
              for k, v in exp.get("input_shapes", {}).items()}
    flags = [f"--input-shape={k}=" + ",".join("_" if d == -1 else str(d) for d in v)
             for k, v in shapes.items()]
    data = model_bytes(src.read_text(), exp["phase"], shapes, str(src))
    w = write(tmp_path / "m.caffemodel", data)
    phase = exp["phase"].lower()
    code, out, err = run("check", str(src), w, "--phase", phase, *flags)
    assert code == 0 and out.startswith("All checks passed"), out + err
    code, out, err = run("analyze", w, "--phase", phase, "--format", "json", *flags)
    assert code == 0, err
    assert sum(x["params"] for x in json.loads(out)["layers"]) == exp["total_params"]


def test_model_values_are_read_in_place(tmp_path: Path) -> None:
    from prototxt_tool.weights.model import open_model

    proto = model_proto(NET, seed=5)
    model = open_model(write(tmp_path / "m.caffemodel", proto))
    conv = next(r for r in model.layers if r.name == "conv1")
    want = np.array(proto.layer[1].blobs[0].data, dtype=np.float32).reshape(4, 3, 3, 3)
    assert np.array_equal(model.array(conv.blobs[0]), want)


def test_v1_weights_are_checked_as_upgraded(tmp_path: Path) -> None:
    from prototxt_tool import caffe_pb2

    net = caffe_pb2.NetParameter(name="old")
    layer = net.layers.add(name="conv1", type=caffe_pb2.V1LayerParameter.CONVOLUTION)
    layer.blobs.add(num=4, channels=3, height=3, width=3).data.extend([0.0] * 108)
    layer.blobs.add(num=1, channels=1, height=1, width=4).data.extend([0.0] * 4)
    for name in ("bn1", "scale1", "fc"):
        src = next(x for x in model_proto(NET).layer if x.name == name)
        net.layer.add().CopyFrom(src)
    code, found = check(tmp_path, NET, net)
    assert (code, found) == (0, [])
    layer.blobs[1].width = 5
    code, found = check(tmp_path, NET, net)
    assert codes(found) == [("W002", "conv1", LINE["conv1"])]
