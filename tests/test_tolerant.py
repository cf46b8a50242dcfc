"""Tolerant reading: unknown fields skipped exactly as protobuf's allow_unknown_field skips
them, recorded with their position and fork, and the layers that used them left unknown."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from google.protobuf import text_format

from prototxt_tool import caffe_pb2, pipeline, textformat
from prototxt_tool.cli import COMMANDS
from prototxt_tool.commands import build_cli
from prototxt_tool.errors import ParseError

SKIPPABLE = [
    'foo: 1',
    'foo: -2.5e3 name: "n"',
    'foo: BAR; name: "n"',
    "foo: 'a' \"b\"\n'c' name: \"n\"",
    'foo: "\\x41\\101"',
    'foo: [1, 2.0, X, "s"]',
    'foo: []',
    'foo: [{a: 1}, <b: [2, 3]>, 4]',
    'foo { a: 1 b { c: "}" } d: [] } name: "n"',
    'foo: { a: 1 }, name: "n"',
    'foo < a: 1 >; layer { name: "l" bar: 0x1F baz { } top: "t" }',
    'layer { name: "l" convolution_param { num_output: 2 qux: inf } }',
    'foo: -inf bar: nan baz: 1.5f qux: 18446744073709551615',
    'layer [{ foo: 1 }, { name: "b" foo: {} }]',
]
REJECTED = [
    'foo layer { }',             # no ":" and no "{": must be a message
    'foo: }',                    # not a value
    'foo: [1 2]',
    'foo: "unterminated',
    'foo: "\\"',
    'foo { a: 1 ',
    'foo { a }',
    'foo: 99999999999999999999999999x',
    'foo: 0x1FFFFFFFFFFFFFFFFF',  # beyond uint64 and not a float
    'foo: {a: 1} ]',
    '[ext.foo]: 1',               # extensions stay errors, as in protobuf
]


def both(text: str) -> tuple[object, object, list[textformat.UnknownField]]:
    ours, theirs = caffe_pb2.NetParameter(), caffe_pb2.NetParameter()
    skipped: list[textformat.UnknownField] = []
    try:
        textformat.parse(text, ours, unknown=skipped)
        mine: object = ours
    except ParseError as err:
        mine = (err.line, err.column)
    try:
        text_format.Parse(text, theirs, allow_unknown_field=True)
        ref: object = theirs
    except text_format.ParseError as err:
        ref = (err.GetLine(), err.GetColumn()) if err.GetLine() else "error"
    return mine, ref, skipped


@pytest.mark.parametrize("text", SKIPPABLE)
def test_skips_what_protobuf_skips(text: str) -> None:
    mine, ref, skipped = both(text)
    assert mine == ref
    assert skipped


@pytest.mark.parametrize("text", REJECTED)
def test_rejects_what_protobuf_rejects(text: str) -> None:
    mine, ref, _ = both(text)
    assert isinstance(mine, tuple)
    assert ref == "error" or mine == ref


def test_strict_by_default() -> None:
    with pytest.raises(ParseError, match='has no field named "foo"'):
        textformat.parse("foo: 1", caffe_pb2.NetParameter())


def test_records_path_kind_and_span() -> None:
    text = ('layer { name: "a" }\nlayer {\n  name: "b"\n  data_param { shuffle: true }\n'
            '  yolo_param { a: [1] }\n}\nengine: "MKL"\n')
    skipped: list[textformat.UnknownField] = []
    tree = textformat.parse(text, caffe_pb2.NetParameter(), unknown=skipped)
    got = [(s.path, s.message, s.value, s.span.line, s.span.column) for s in skipped]
    assert got == [("layer[1].data_param.shuffle", "caffe.DataParameter", "scalar", 4, 16),
                   ("layer[1].yolo_param", "caffe.LayerParameter", "message", 5, 3),
                   ("engine", "caffe.NetParameter", "scalar", 7, 1)]
    # positions of the known fields around them still work
    layer = tree.nested("layer", 1)
    assert layer.fields() == ["name", "data_param"]
    assert layer.location("name").line == 3  # type: ignore[union-attr]
    assert layer.nested("data_param").fields() == []  # type: ignore[union-attr]


V1_NET = """name: "v1"
input: "data" input_dim: 1 input_dim: 3 input_dim: 8 input_dim: 8
layers { name: "train" type: RELU bottom: "data" top: "data" include { phase: TRAIN }
  relu_param { fancy: 1 } }
layers { name: "drop" type: DROPOUT bottom: "data" top: "data"
  dropout_param { dropout_ratio: 0.5 sample_weights_test: true } }
"""


def test_skipped_fields_map_to_layers_of_the_view() -> None:
    source = pipeline.Source("v1.prototxt", V1_NET)
    loaded = pipeline.load_net(source, strict=False)
    assert [(s.path, s.layer) for s in loaded.skipped] == [
        ("layers[0].relu_param.fancy", None),  # a TRAIN layer: not in the TEST view
        ("layers[1].dropout_param.sample_weights_test", 1)]  # index 0 is the Input layer
    train = pipeline.load_net(source, phase="TRAIN", strict=False)
    assert [s.layer for s in train.skipped] == [1, 2]
    with pytest.raises(ParseError):
        pipeline.load_net(source)


NET = """name: "fork"
layer { name: "data" type: "Input" top: "data"
  input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
  convolution_param { num_output: 4 kernel_size: 3 winograd: true } }
layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }
engine: "MKLDNN"
"""


def invoke(*args: str, stdin: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_cli(COMMANDS), list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_analyze_warns_and_leaves_dependent_layer_unknown() -> None:
    code, out, err = invoke("analyze", "-", "--format", "json", stdin=NET)
    assert code == 0, err
    assert ("<stdin>:5:52: skipped unknown field 'layer[1].convolution_param.winograd' "
            "(in no Caffe fork dwsep knows)") in err
    assert "<stdin>:7:1: skipped unknown field 'engine' (defined by intel/caffe)" in err
    assert "layer 'conv': its figures depend on the skipped field" in err
    layers = {x["name"]: x for x in json.loads(out)["layers"]}
    assert layers["conv"]["macs"] is None and layers["conv"]["tops"][0]["shape"] is None
    assert layers["data"]["tops"][0]["shape"] == [1, 3, 8, 8]


def test_analyze_strict_refuses() -> None:
    code, out, err = invoke("analyze", "-", "--strict", stdin=NET)
    assert code == 2 and out == ""
    assert err.strip() == ('<stdin>:5:52: message type "caffe.ConvolutionParameter" has no '
                           'field named "winograd"')


def test_neutral_fork_field_keeps_figures() -> None:
    net = NET.replace(" winograd: true", "")
    _, exact, _ = invoke("analyze", "-", "--format", "json", stdin=net.replace("engine", "#"))
    code, out, err = invoke("analyze", "-", "--format", "json", stdin=net)
    assert code == 0 and "intel/caffe" in err
    assert json.loads(out)["layers"] == json.loads(exact)["layers"]


def test_loss_without_top_gets_caffes_automatic_top() -> None:
    net = ('layer { name: "data" type: "Input" top: "data" top: "label"\n'
           '  input_param { shape { dim: 2 dim: 10 } shape { dim: 2 } } }\n'
           'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "data" bottom: "label" }\n')
    code, out, err = invoke("analyze", "-", "--format", "json", stdin=net)
    assert code == 0, err
    loss = json.loads(out)["layers"][1]
    assert loss["tops"] == [{"name": "(automatic)", "shape": []}] and loss["ops"] == 80
    # no later layer may take it as a bottom, as in Caffe's Net::Init
    code, _, err = invoke("analyze", "-", stdin=net + 'layer { name: "r" type: "ReLU" '
                          'bottom: "(automatic)" top: "r" }\n')
    assert code == 2 and "bottom '(automatic)' is not produced" in err
