"""DenseBlock (senlinuc/caffe_ocr), ContinuationIndicator (yalecyu/crnn.caffe), OutputDecay
(yi94code/HRSOD, FRD's nets) and human_parsing's Python CmapLayer: figures worked out by hand
from each fork's own source (see the rules' docstrings), then bad input through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import assert_one_line_layer_error, invoke

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "wild_layers"


def analyze(path: Path) -> dict:
    code, out, err = invoke("analyze", str(path), "--format", "json")
    assert code == 0, err
    return json.loads(out)


def layers(path: Path) -> dict[str, dict]:
    return {layer["name"]: layer for layer in analyze(path)["layers"]}


def test_dense_block() -> None:
    got = layers(FIXTURES / "densenet.prototxt")
    # block1: C = 16 (initChannel 99 is ignored), T = 3, G = 4; C_i = 16, 20, 24 (sum 60),
    # N*H*W = 2*8*10 = 160. Dropout is TRAIN only.
    b1 = got["block1"]
    assert b1["tops"][0]["shape"] == [2, 16 + 3 * 4, 8, 10]
    assert b1["param_shapes"] == [
        [4, 16, 3, 3], [4, 20, 3, 3], [4, 24, 3, 3],        # filters
        *[[1, c, 1, 1] for c in (16, 20, 24)] * 4,          # scale, bias, mean, variance
        [1]]                                                # moving-average factor
    assert b1["params"] == 4 * 9 * 60 + 4 * 60 + 1
    assert b1["learnable_params"] == 4 * 9 * 60 + 2 * 60    # means, variances, factor out
    assert b1["macs"] == 160 * 4 * 9 * 60
    assert b1["ops"] == 5 * 160 * 60                        # BN (4) + ReLU (1) per input
    # block2, use_BC: C = 28, T = 2, G = 2, 4G = 8; C_i = 28, 30 (sum 58). pad_h / filter_H
    # are not read by the fork: still 3x3, pad 1, the map stays 8x10.
    b2 = got["block2"]
    assert b2["tops"][0]["shape"] == [2, 32, 8, 10]
    assert b2["param_shapes"] == [
        [2, 8, 3, 3], [2, 8, 3, 3],                         # 3x3 filters on 4G
        *[[1, c, 1, 1] for c in (28, 30)] * 4,              # scale, bias, mean, var of C_i
        [8, 28, 1, 1], [8, 30, 1, 1],                       # 1x1 bottleneck filters
        *[[1, 8, 1, 1]] * 8,                                # scale, bias, mean, var of 4G
        [1]]
    assert b2["params"] == 2 * 144 + 4 * 58 + 8 * 58 + 8 * 8 + 1
    assert b2["learnable_params"] == 2 * 144 + 2 * 58 + 8 * 58 + 2 * 2 * 8
    assert b2["macs"] == 160 * 8 * 58 + 2 * 160 * 2 * 8 * 9
    assert b2["ops"] == 5 * 160 * 58 + 2 * 5 * 160 * 8


def test_dense_block_without_transitions_passes_the_bottom_through() -> None:
    from prototxt_tool import caffe_pb2, textformat
    from prototxt_tool.shapes import LayerContext, rule_for

    layer = caffe_pb2.LayerParameter()
    textformat.parse('type: "DenseBlock" bottom: "x" top: "y" '
                     'denseblock_param { numTransition: 0 }', layer)
    cost = rule_for("DenseBlock")(LayerContext(layer, [(1, 3, 4, 5)]))  # type: ignore[misc]
    assert cost.tops == [(1, 3, 4, 5)] and cost.params == [(1,)] and cost.macs == 0


def test_continuation_indicator_feeds_the_lstm() -> None:
    data = analyze(FIXTURES / "crnn.prototxt")
    got = {layer["name"]: layer for layer in data["layers"]}
    assert got["indicator"]["tops"][0]["shape"] == [5, 2]
    assert got["indicator"]["ops"] == 0 and got["indicator"]["params"] == 0
    assert got["lstm"]["tops"][0]["shape"] == [5, 2, 3]
    assert data["total"]["complete"]


def test_output_decay_is_in_place_and_free() -> None:
    got = layers(FIXTURES / "output_decay.prototxt")
    assert got["decay"]["tops"][0]["shape"] == [1, 1, 8, 8]
    assert got["decay"]["ops"] == 0 and got["decay"]["macs"] == 0 and got["decay"]["params"] == 0


def test_cmap_python_layer() -> None:
    got = layers(FIXTURES / "cmap.prototxt")
    assert got["cmap"]["tops"][0]["shape"] == [2, 5, 3, 4] and got["cmap"]["ops"] == 0


def test_cmap_param_str_that_is_not_a_literal_stays_unknown(tmp_path: Path) -> None:
    text = (FIXTURES / "cmap.prototxt").read_text().replace(
        "{ 'height': 3, 'width': 4}", "dict(height=3, width=4)")
    path = tmp_path / "net.prototxt"
    path.write_text(text)
    data = analyze(path)
    assert not data["total"]["complete"] and data["total"]["unknown_layers"] == ["cmap"]


def test_light_field_python_layers() -> None:
    got = layers(FIXTURES / "light_field.prototxt")
    positions = 256 * 256
    assert got["shift"]["tops"][0]["shape"] == [1, 3, 256, 256]
    assert got["shift"]["ops"] == 16 * 3 * positions          # bicubic, all 3 channels
    assert got["shift_luma"]["ops"] == 16 * 1 * positions     # not 3 channels: channel 0
    assert got["warp"]["tops"][0]["shape"] == [1, 3, 256, 256]
    assert got["warp"]["ops"] == 2 * positions + 4 * 3 * positions
    assert got["sample"]["tops"][0]["shape"] == [1, 6, 256, 256]
    assert got["sample"]["ops"] == 2 * 3 * positions * (2 + 4)  # 2 images of 3 channels


def test_ctc_training_heads() -> None:
    data = analyze(FIXTURES / "ctc.prototxt")
    got = {layer["name"]: layer for layer in data["layers"]}
    for name in ("warp_ctc", "ctc", "accuracy"):  # the work depends on the label lengths
        assert got[name]["tops"][0]["shape"] == [] and got[name]["ops"] is None, name
        assert got[name]["data_dependent"] and got[name]["params"] == 0
    assert got["warp_ctc"]["tops"][0]["name"] == "(automatic)"
    from prototxt_tool import analysis, pipeline  # data-dependent figures are still complete

    loaded = pipeline.load_net(pipeline.read_source(str(FIXTURES / "ctc.prototxt")))
    assert analysis.incomplete(analysis.analyze(loaded)) == []


def test_smooth_pooling() -> None:
    got = layers(FIXTURES / "smooth_pooling.prototxt")
    assert got["given"]["tops"][0]["shape"] == [2, 3, 1, 1] and got["given"]["params"] == 0
    assert [t["shape"] for t in got["learned"]["tops"]] == [[2, 3, 1, 1], [2, 3, 4, 5]]
    assert got["learned"]["param_shapes"] == [[1, 1, 1, 1]]          # one mu for all
    assert got["per_channel"]["param_shapes"] == [[1, 3, 1, 1]]      # one mu per channel
    assert got["given"]["ops"] is None and got["given"]["data_dependent"]


def _replace(fixture: str, old: str, new: str) -> str:
    text = (FIXTURES / fixture).read_text()
    assert old in text
    return text.replace(old, new)


@pytest.mark.parametrize(("text", "layer", "words"), [
    (_replace("densenet.prototxt", 'top: "block2"\n', 'top: "block2" param { lr_mult: 1 }\n'),
     "block2", "takes no param specs"),
    (_replace("densenet.prototxt", 'bottom: "data" top: "block1"',
              'bottom: "data" bottom: "data" top: "block1"'), "block1", "exactly 1 bottom"),
    (_replace("densenet.prototxt", "growthRate: 4", "growthRate: -4"), "block1",
     "growthRate must be >= 0"),
    (_replace("densenet.prototxt", "numTransition: 2", "numTransition: -1"), "block2",
     "numTransition must be >= 0"),
    (_replace("densenet.prototxt", "dim: 8 dim: 10", "dim: 80"), "block1", "4-D bottom"),
    (_replace("crnn.prototxt", "time_step: 5", "time_step: 0"), "indicator",
     "time_step must be greater than 0"),
    (_replace("crnn.prototxt", 'continuation_indicator_param { time_step: 5 batch_size: 2 }',
              ""), "indicator", "time_step must be greater than 0"),
    (_replace("crnn.prototxt", 'top: "indicator"\n', 'top: "indicator" bottom: "seq"\n'),
     "indicator", "exactly 0 bottom"),
    # the indicator is then 5 x 3, and BVLC's RecurrentLayer::Reshape checks cont against x
    (_replace("crnn.prototxt", "batch_size: 2", "batch_size: 3"), "lstm",
     "cont [5,3] must be [timesteps, streams] = [5,2]"),
    (_replace("output_decay.prototxt", 'bottom: "score" top: "score"\n  output',
              'bottom: "score" top: "decayed"\n  output'), "decay", "must run in place"),
    (_replace("cmap.prototxt", ", 'width': 4", ""), "cmap", "'width' must be an integer"),
    (_replace("cmap.prototxt", "'height': 3", "'height': 2.5"), "cmap",
     "'height' must be an integer"),
    (_replace("light_field.prototxt", '\\"ty\\": 0}', "}"), "shift", "'ty' must be a number"),
    (_replace("light_field.prototxt", "dim: 1 dim: 1 dim: 256 dim: 256", "dim: 1 dim: 256"),
     "shift_luma", "N x C x H x W"),
    (_replace("light_field.prototxt", "dim: 1 dim: 3 dim: 256 dim: 256",
              "dim: 1 dim: 3 dim: 128 dim: 256"), "warp", "only a 1x3x256x256"),
    (_replace("light_field.prototxt", "slice_point: 2", "slice_point: 3"), "warp",
     "must be 1 x 2 x H x W"),
    (_replace("light_field.prototxt", '\\"flow_size\\": 2', '\\"flow_size\\": 3'), "sample",
     ">= 6 channels"),
    (_replace("ctc.prototxt", "dim: 2 dim: 4", "dim: 3 dim: 4"), "warp_ctc",
     "do not fit 7 time steps of 2 sequences"),
    (_replace("ctc.prototxt", 'bottom: "label" }', 'bottom: "label" bottom: "label" }'),
     "warp_ctc", "do not fit"),
    (_replace("ctc.prototxt", "dim: 7 dim: 2 dim: 5", "dim: 7 dim: 2 dim: 5 dim: 2"),
     "warp_ctc", "must be T x N x C"),
    (_replace("ctc.prototxt", "alphabet_size: 5", "alphabet_size: 0"), "ctc",
     "alphabet_size must be greater than 0"),
    (_replace("ctc.prototxt", "time_step: 7", ""), "ctc", "time_step must be greater than 0"),
    (_replace("ctc.prototxt", "order: 1 order: 0", "order: 0 order: 1"), "accuracy",
     "same batch size"),
    (_replace("smooth_pooling.prototxt", "has_smooth_blobs: false ", ""), "given",
     "exactly one of them"),
    (_replace("smooth_pooling.prototxt", 'bottom: "data" top: "learned"',
              'bottom: "data" bottom: "mu" top: "learned"'), "learned", "exactly one of them"),
    (_replace("smooth_pooling.prototxt", "dim: 2 dim: 3 dim: 1 dim: 1", "dim: 2 dim: 1 dim: 1"),
     "given", "must be N x 3 x 1 x 1"),
    (_replace("smooth_pooling.prototxt", "dim: 4 dim: 5", "dim: 20"), "given", "4 axes"),
])
def test_bad_input_is_one_line_naming_the_layer(tmp_path: Path, text: str, layer: str,
                                               words: str) -> None:
    path = tmp_path / "net.prototxt"
    path.write_text(text)
    assert_one_line_layer_error(path, layer, words)
