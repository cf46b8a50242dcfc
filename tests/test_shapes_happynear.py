"""happynear/caffe-windows layers (Normalize, Flip, InnerDistance, ChannelScale), ctensmeyer's
BilinearInterpolation, and the choice between forks that share a type name (Normalize: SSD's
or happynear's; BN: SegNet's or PSPNet's), on the command line as `--fork NAME`.

Every figure is worked out by hand from the fork's own C++ (named in the rule's docstring).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import invoke
from test_shapes_wild import fails, run

from prototxt_tool import analysis, pipeline
from prototxt_tool.shapes import AmbiguousType

FIXTURES = Path(__file__).parent / "fixtures" / "forks"


# --- Normalize: which fork -----------------------------------------------------------------

HAPPY = 'type: "Normalize" top: "n" normalize_param { }'


def test_happynear_normalize_l2_and_its_norm_top() -> None:
    cost = run(HAPPY, (2, 8, 3, 3))
    # 3 per element (square, sum, divide) + 2 per position (eps, sqrt); no blobs
    assert cost.tops == [(2, 8, 3, 3)] and cost.params == []
    assert cost.ops == 3 * 144 + 2 * 18 and cost.kind == "normalization"
    two = run('type: "Normalize" top: "n" top: "len"', (4, 512))  # 2 tops: happynear's
    assert two.tops == [(4, 512, 1, 1), (4, 1, 1, 1)]  # legacy accessors: always 4-D
    assert two.ops == 3 * 2048 + 2 * 4
    l1 = run('type: "Normalize" top: "n" normalize_param { normalize_type: "L1" }', (1, 4, 2, 2))
    assert l1.ops == 3 * 16 + 1 * 4  # abs, sum, divide; + eps only


def test_happynear_normalize_errors() -> None:
    fails('type: "Normalize" top: "n" normalize_param { normalize_type: "L3" }', (1, 4),
          match="'L3' is not implemented")
    fails(HAPPY, (1, 2), (1, 2), match="exactly 1 bottom")
    fails('type: "Normalize" top: "a" top: "b" top: "c"', (1, 2), match="at most 2 top")
    fails(HAPPY, (1, 2, 3, 4, 5), match="at most 4 axes")


def test_normalize_fork_from_what_the_layer_writes() -> None:
    ssd = run('type: "Normalize" top: "n" norm_param { channel_shared: false }', (1, 6, 2, 2))
    assert ssd.params == [(6,)] and ssd.ops == 4 * 24
    spec = run('type: "Normalize" top: "n" param { lr_mult: 1 }', (1, 6, 2, 2))
    assert spec.params == [()]  # a param {} spec needs a blob: SSD's scale
    fails('type: "Normalize" top: "n" top: "m" norm_param { }', (1, 2),
          match="norm_param is weiliu89/caffe's Normalize, more than one top is "
                "happynear/caffe-windows's: neither fork would load this layer")
    fails('type: "Normalize" top: "n" norm_param { } normalize_param { }', (1, 2),
          match="neither fork")


def test_bare_normalize_is_ambiguous_unless_told() -> None:
    bare = 'type: "Normalize" top: "n"'
    with pytest.raises(AmbiguousType, match="choose with --fork ssd or --fork happynear"):
        run(bare, (1, 6, 2, 2))
    assert run(bare, (1, 6, 2, 2), fork="ssd").params == [()]
    assert run(bare, (1, 6, 2, 2), fork="happynear").params == []
    # a field tolerant reading skipped that only happynear defines says it, above --fork
    assert run(bare, (1, 6, 2, 2), fork="ssd",
               written_for=frozenset({"happynear"})).params == []
    # and what the layer writes comes first
    assert run(HAPPY, (1, 6, 2, 2), fork="ssd").params == []


def test_softmax_param_normalize_type_happynears_field() -> None:
    """happynear's Normalize read softmax_param.normalize_type before 8bcb7c7b (the field is
    happynear's only, so it tells the fork; the layer ignores it now); its Softmax never reads
    it; its SoftmaxWithLoss normalizes with it."""
    text = """input: "data" input_shape { dim: 2 dim: 4 dim: 2 dim: 2 }
input: "label" input_shape { dim: 2 dim: 1 dim: 2 dim: 2 }
layer { name: "n" type: "Normalize" bottom: "data" top: "n"
  softmax_param { normalize_type: "L1" } }
layer { name: "s" type: "Softmax" bottom: "n" top: "s" softmax_param { normalize_type: "L2" } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "n" bottom: "label" top: "loss"
  softmax_param { normalize_type: "L2" } }
"""
    a = analysis.analyze(pipeline.load_net(pipeline.Source("t.prototxt", text)))
    n, s, loss = a.layers[1:]
    assert n.params == 0 and n.ops == 3 * 32 + 2 * 8  # read as L2: normalize_param's default
    assert s.ops == 3 * 32  # BVLC's softmax: exp, sum, divide
    assert loss.tops[0].shape == () and loss.ops == 4 * 32 + 2 * 8
    fails('type: "SoftmaxWithLoss" top: "l" softmax_param { normalize_type: "cos" }',
          (2, 3), (2,), match="'cos' is not implemented")


# --- Flip, InnerDistance, ChannelScale -----------------------------------------------------


def test_flip_keeps_the_shape() -> None:
    cost = run('type: "Flip" top: "f" flip_param { flip_height: true }', (2, 3, 4, 5))
    assert cost.tops == [(2, 3, 4, 5)] and cost.ops == 0 and cost.params == []
    assert run('type: "Flip" top: "f"', (7, 9)).tops == [(7, 9)]  # ReshapeLike
    fails('type: "Flip" top: "f"', (1, 2, 3, 4, 5), match="at most 4 axes")
    fails('type: "Flip" top: "f" top: "g"', (1, 2), match="exactly 1 top")


def test_inner_distance_owns_its_centres() -> None:
    text = 'type: "InnerDistance" top: "d" inner_distance_param {{ num_output: 3 {} }}'
    cost = run(text.format(""), (2, 100, 1, 1))
    # K = 100, M = 2, N = 3: (x - w)^2 summed: 600 MACs and 600 subtractions; no bias blob
    assert cost.tops == [(2, 3)] and cost.params == [(3, 100)]
    assert (cost.macs, cost.ops, cost.kind) == (600, 600, "fully connected")
    assert run(text.format("transpose: true"), (2, 100)).params == [(100, 3)]
    l1 = run(text.format('distance_type: "L1"'), (2, 100))
    assert (l1.macs, l1.ops) == (0, 3 * 600)  # subtract, abs, add: no multiply
    norm = run(text.format("normalize: true"), (2, 100))
    # each centre row rescaled per pass: square, add and scale per value, + eps and root
    assert norm.ops == 600 + 3 * (3 * 100 + 2)
    axis2 = run(text.format("axis: 2"), (2, 4, 5, 6))
    assert axis2.tops == [(2, 4, 3)] and axis2.params == [(3, 30)] and axis2.macs == 8 * 3 * 30


def test_inner_distance_with_centres_as_a_bottom() -> None:
    text = 'type: "InnerDistance" top: "d" inner_distance_param { %s }'
    cost = run(text % "", (8, 16), (10, 16))  # N = bottom 1's num, no blob of its own
    assert cost.tops == [(8, 10)] and cost.params == [] and cost.macs == 8 * 10 * 16
    only = run(text % "update_center_only: true", (8, 16), (10, 16))
    assert only.params == [(10, 16)]  # LayerSetUp allocates it in this one case
    assert run(text % "update_center_only: true", (8, 16), (10, 16), (8,)).params == []


def test_inner_distance_errors() -> None:
    fails('type: "InnerDistance" top: "d"', (2, 5), match="num_output must be positive")
    fails('type: "InnerDistance" top: "d" inner_distance_param { num_output: 2 '
          'distance_type: "cos" }', (2, 5), match="'cos' is not implemented")
    fails('type: "InnerDistance" top: "d" inner_distance_param { num_output: 2 axis: 3 }',
          (2, 5), match="axis 3 out of range")


def test_channel_scale_puts_the_norm_back() -> None:
    cost = run('type: "ChannelScale" top: "s"', (10, 128, 1, 1), (10, 1, 1, 1))
    assert cost.tops == [(10, 128, 1, 1)] and cost.params == [] and cost.ops == 1280
    assert cost.kind == "scale"
    assert run('type: "ChannelScale" top: "s" channel_scale_param { do_forward: false }',
               (2, 3, 4, 4), (2, 1, 4, 4)).ops == 0
    glob = run('type: "ChannelScale" top: "s" top: "g" channel_scale_param { global_scale: '
               'true }', (2, 3), (2,))
    assert glob.tops == [(2, 3), (1,)] and glob.params == [(1,)] and glob.stats == 1


def test_channel_scale_errors() -> None:
    fails('type: "ChannelScale" top: "s"', (2, 3, 4, 4), (3, 1, 4, 4), match="differ in num")
    fails('type: "ChannelScale" top: "s"', (2, 3, 4, 4), (2, 1, 4, 2),
          match="one value per position")
    fails('type: "ChannelScale" top: "s"', (2, 3), match="exactly 2 bottom")
    fails('type: "ChannelScale" top: "s" top: "t"', (2, 3), (2,), match="only written with")
    fails('type: "ChannelScale" top: "s" param { lr_mult: 1 } channel_scale_param { '
          'global_scale: true }', (2, 3), (2,), match="lr_mult must be 0")


# --- BilinearInterpolation (ctensmeyer/caffe) ----------------------------------------------


def test_bilinear_interpolation_takes_bottom_1s_size() -> None:
    cost = run('type: "BilinearInterpolation" top: "u"', (1, 64, 32, 32), (1, 4, 256, 256))
    assert cost.tops == [(1, 64, 256, 256)] and cost.params == []
    assert cost.ops == 4 * 64 * 256 * 256 and cost.kind == "upsample"
    fails('type: "BilinearInterpolation" top: "u"', (1, 2, 3, 3), (1, 4, 8),
          match="axes 2 and 3 of bottom 1")
    fails('type: "BilinearInterpolation" top: "u"', (1, 2, 3, 3), match="exactly 2 bottom")


# --- BN: --fork pspnet for a bare BN --------------------------------------------------------


def test_bare_bn_stays_segnet_unless_fork_pspnet() -> None:
    assert run('type: "BN" top: "b"', (1, 4, 2, 2)).params == [(1, 4, 1, 1)] * 2
    assert run('type: "BN" top: "b"', (1, 4, 2, 2), fork="pspnet").params == \
        [(1, 4, 1, 1)] * 4
    segnet = 'type: "BN" top: "b" bn_param { bn_mode: INFERENCE }'
    assert len(run(segnet, (1, 4, 2, 2), fork="pspnet").params) == 2  # the layer tells


# --- the command line ------------------------------------------------------------------------


def layers(out: str) -> dict[str, dict]:
    return {layer["name"]: layer for layer in json.loads(out)["layers"]}


def test_cli_bare_normalize_both_ways() -> None:
    net = str(FIXTURES / "normalize_bare.prototxt")
    code, out, err = invoke("analyze", net, "--format", "json")
    assert code == 0
    assert ("layer 'norm': type 'Normalize' is a different layer in weiliu89/caffe and "
            "happynear/caffe-windows") in err and "--fork ssd or --fork happynear" in err
    assert layers(out)["norm"]["kind"] == "unknown" and layers(out)["norm"]["ops"] is None
    code, out, _ = invoke("analyze", net, "--format", "json", "--fork", "ssd")
    norm = layers(out)["norm"]
    assert code == 0 and (norm["params"], norm["ops"]) == (1, 4 * 144)
    code, out, err = invoke("analyze", net, "--format", "json", "--fork", "HappyNear")
    norm = layers(out)["norm"]
    assert code == 0 and (norm["params"], norm["ops"]) == (0, 3 * 144 + 2 * 18), err
    code, _, err = invoke("analyze", net, "--fork", "nvidia")
    assert code == 2 and "'caffe-yolov3', 'faceboxes', 'happynear', 'pspnet'," in err


@pytest.mark.parametrize("command", ["diff", "draw", "report", "lint"])
def test_every_analyzing_command_takes_fork(command: str) -> None:
    net = str(FIXTURES / "normalize_bare.prototxt")
    args = [command, net, net] if command == "diff" else [command, net]
    code, _, err = invoke(*args, "--fork", "ssd")
    assert code == 0, err
    assert "different layer" not in err
    code, _, err = invoke(*args, "--fork", "bvlc")
    assert code == 2 and "Invalid value for '--fork'" in err


def test_cli_happynear_net_end_to_end() -> None:
    code, out, err = invoke("analyze", str(FIXTURES / "happynear_face.prototxt"), "--format",
                            "json")
    assert code == 0 and "warning" not in err, err
    got = {name: (layer["tops"][-1]["shape"], layer["params"], layer["macs"], layer["ops"])
           for name, layer in layers(out).items()}
    # 4 rows of 72 features; fc5 to 5 outputs; InnerDistance to 3 centres of 5 values
    fc5_macs, fc5_ops = 4 * 72 * 5, 4 * 5  # bias adds
    norm_ops = 3 * 20 + 2 * 4  # square, sum, divide per element; sqrt, + eps per row
    centre_macs = centre_ops = 4 * 3 * 5  # L2: multiply-add and subtract per row x centre x value
    assert got["flip"] == ([2, 3, 4, 6], 0, 0, 0)
    assert got["fc5"] == ([4, 5], 5 * 72 + 5, fc5_macs, fc5_ops)
    assert got["norm"] == ([4, 1, 1, 1], 0, 0, norm_ops)
    assert got["rescale"] == ([4, 5, 1, 1], 0, 0, 4 * 5)  # one multiply per element
    assert got["centres"] == ([4, 3], 3 * 5, centre_macs, centre_ops)
    total = json.loads(out)["total"]
    assert total["macs"] == fc5_macs + centre_macs
    assert total["ops"] == fc5_ops + norm_ops + 4 * 5 + centre_ops  # Flip and Concat: none


def test_cli_bilinear_end_to_end_and_a_bad_layer() -> None:
    code, out, _ = invoke("analyze", str(FIXTURES / "bilinear.prototxt"), "--format", "json")
    assert code == 0
    up = layers(out)["up"]
    assert up["tops"][0]["shape"] == [1, 2, 8, 8] and up["ops"] == 4 * 2 * 8 * 8
    bad = (FIXTURES / "bilinear.prototxt").read_text().replace('bottom: "data" top: "up"',
                                                               'top: "up"')
    code, out, err = invoke("analyze", "-", stdin=bad)
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        "<stdin>:11:9: layer 'up' (BilinearInterpolation): takes exactly 2 "
        "bottom blob(s), has 1"]


def test_lint_reports_the_ambiguous_layer_and_fork_settles_it() -> None:
    net = str(FIXTURES / "normalize_bare.prototxt")
    code, out, _ = invoke("lint", net)
    assert ":6:22: G010 [warning] layer 'norm': type 'Normalize' is a different layer" in out
    code, out, _ = invoke("lint", "--fork", "happynear", net)
    assert code == 0 and "G010" not in out


def test_a_happynear_field_elsewhere_in_the_file_tells_a_bare_normalize() -> None:
    """AMSoftmax's face_train_test.prototxt: a bare Normalize, and happynear's own
    label_specific_add_param two layers on: only happynear's Caffe parses the file."""
    text = """input: "data" input_shape { dim: 2 dim: 6 }
input: "label" input_shape { dim: 2 }
layer { name: "n" type: "Normalize" bottom: "data" top: "n" }
layer { name: "fc" type: "InnerProduct" bottom: "n" top: "fc"
  inner_product_param { num_output: 3 normalize: true } }
layer { name: "margin" type: "LabelSpecificAdd" bottom: "fc" bottom: "label" top: "fc"
  label_specific_add_param { bias: -0.35 } }
"""
    loaded = pipeline.load_net(pipeline.Source("t.prototxt", text), strict=False)
    a = analysis.analyze(loaded)
    assert a.layers[1].tops[0].shape == (2, 6, 1, 1) and a.layers[1].params == 0
    assert not any("different layer" in w for w in a.warnings)
    # happynear's InnerProduct normalize: the bias adds, and the weight rows rescaled every
    # pass, 3 rows of 6 values (square, add and scale each; + eps and root per row)
    fc = a.layers[2]
    assert fc.param_shapes == [(3, 6), (3,)] and fc.macs == 36
    assert fc.ops == 2 * 3 + 3 * (3 * 6 + 2)
    assert a.layers[3].kind == "unknown"


def test_a_param_spec_without_its_blob_is_refused_as_caffe_does() -> None:
    """Net::Init: CHECK_LE(param_size, num_param_blobs). happynear's own test net gives
    InnerDistance the two specs of the weight + bias it had before commit bf83a197."""
    text = (FIXTURES / "happynear_face.prototxt").read_text().replace(
        'top: "dist"', 'top: "dist" param { lr_mult: 1 } param { lr_mult: 2 }')
    code, out, err = invoke("analyze", "-", stdin=text)
    assert code == 2 and out == ""
    assert err.strip() == ("<stdin>:15:9: layer 'centres' (InnerDistance): 2 param {} specs "
                           "for its 1 blob(s): Caffe refuses it (\"Too many params specified "
                           "for layer\")")


def test_a_fork_that_decides_other_types_leaves_the_net_fitting_alone() -> None:
    """--fork happynear says nothing about PriorBox: a TextBoxes net is still told by its
    predictions; --fork ssd does decide PriorBox, and SSD's count does not fit that net."""
    net = str(FIXTURES / "textboxes_priors.prototxt")
    code, _, err = invoke("analyze", net, "--fork", "happynear")
    assert code == 0 and "read as a MhLiao/TextBoxes net" in err
    code, _, err = invoke("analyze", net, "--fork", "ssd")
    assert code == 2 and "do not match" in err
