"""Unit tests of the BVLC layer rules on our own small layers (numbers worked out by hand)."""

from __future__ import annotations

import math

import pytest
from google.protobuf import text_format

from prototxt_tool import caffe_pb2
from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, UnknownShape, rule_for
from prototxt_tool.shapes.conv import conv_geometry, conv_kind
from prototxt_tool.shapes.pooling import CEIL, FLOOR, pooled_dim


def run(snippet: str, *bottoms: tuple[int, ...] | None, overrides: dict | None = None,
        tops: int = 1) -> LayerCost:
    """Parse a LayerParameter body, give it bottoms b0.. and tops t0.., run its rule."""
    layer = caffe_pb2.LayerParameter()
    text_format.Parse(snippet, layer)
    layer.name = layer.name or "l"
    if not layer.bottom:
        layer.bottom.extend(f"b{i}" for i in range(len(bottoms)))
    if not layer.top:
        layer.top.extend(f"t{i}" for i in range(tops))
    rule = rule_for(layer.type)
    assert rule is not None, layer.type
    return rule(LayerContext(layer, list(bottoms), overrides or {}))


def fails(snippet: str, *bottoms: tuple[int, ...], match: str, **kw: object) -> None:
    with pytest.raises(ShapeError, match=match):
        run(snippet, *bottoms, **kw)  # type: ignore[arg-type]


# -- Convolution ------------------------------------------------------------------------------

CONV = 'type: "Convolution" convolution_param { %s }'


def test_conv_basic_shapes_params_and_costs() -> None:
    c = run(CONV % "num_output: 32 kernel_size: 3 stride: 2 pad: 1", (1, 3, 224, 224))
    assert c.tops == [(1, 32, 112, 112)]
    assert c.params == [(32, 3, 3, 3), (32,)]
    assert c.macs == 32 * 112 * 112 * 3 * 9
    assert c.ops == 32 * 112 * 112
    assert c.kind == "standard conv"


def test_conv_no_bias_and_dilation() -> None:
    c = run(CONV % "num_output: 8 kernel_size: 3 dilation: 2 bias_term: false", (1, 4, 10, 10))
    assert c.tops == [(1, 8, 6, 6)]
    assert c.params == [(8, 4, 3, 3)]
    assert c.ops == 0


def test_conv_truncates_like_cpp_not_floor() -> None:
    # (4 - 5) / 2 is 0 in C++ (floor would give -1), so Caffe outputs 1, not 0.
    assert run(CONV % "num_output: 1 kernel_size: 5 stride: 2", (1, 1, 4, 4)).tops == [(1, 1, 1, 1)]


def test_conv_empty_output_is_an_error() -> None:
    fails(CONV % "num_output: 1 kernel_size: 5", (1, 1, 2, 2), match="non-positive output size -2")


def test_conv_nd_and_per_axis_values() -> None:
    c = run(CONV % "num_output: 4 kernel_size: 3 pad: 1", (1, 2, 8, 8, 8))
    assert c.tops == [(1, 4, 8, 8, 8)] and c.params[0] == (4, 2, 3, 3, 3)
    c = run(CONV % "num_output: 2 kernel_size: 3 kernel_size: 5 stride: 1 stride: 2", (1, 1, 8, 9))
    assert c.tops == [(1, 2, 6, 3)]
    c = run(CONV % "num_output: 2 kernel_h: 1 kernel_w: 7 pad_h: 0 pad_w: 3 stride_h: 2 "
                   "stride_w: 1", (1, 1, 17, 17))
    assert c.tops == [(1, 2, 9, 17)] and c.params[0] == (2, 1, 1, 7)


def test_conv_channel_axis() -> None:
    c = run(CONV % "num_output: 6 kernel_size: 3 axis: 2", (2, 5, 3, 8))
    assert c.tops == [(2, 5, 6, 6)] and c.params[0] == (6, 3, 3)


def test_conv_several_bottoms_give_several_tops() -> None:
    c = run(CONV % "num_output: 2 kernel_size: 1", (1, 3, 4, 4), (1, 3, 4, 4), tops=2)
    assert c.tops == [(1, 2, 4, 4)] * 2 and c.macs == 2 * 2 * 16 * 3


@pytest.mark.parametrize(("body", "bottom", "match"), [
    ("num_output: 2 kernel_h: 3 kernel_w: 3", (1, 1, 4, 4, 4), "only be used for 2-D"),
    ("num_output: 2 kernel_size: 3 kernel_h: 3 kernel_w: 3", (1, 1, 4, 4), "not both"),
    ("num_output: 2 kernel_size: 3 kernel_size: 3 kernel_size: 3", (1, 1, 4, 4), "3 times"),
    ("num_output: 2", (1, 1, 4, 4), "kernel_size must be given"),
    ("num_output: 2 kernel_size: 0", (1, 1, 4, 4), "kernel dimensions must be positive"),
    ("num_output: 2 kernel_size: 1 stride: 0", (1, 1, 4, 4), "stride dimensions"),
    ("num_output: 2 kernel_size: 1 dilation: 1 dilation: 1 dilation: 1", (1, 1, 4, 4),
     "dilation must be given"),
    ("num_output: 4 kernel_size: 1 group: 4", (1, 6, 4, 4),
     r"channels 6 not divisible.*\[1,6,4,4\]"),
    ("num_output: 6 kernel_size: 1 group: 4", (1, 8, 4, 4), "num_output 6 not divisible"),
    ("kernel_size: 1", (1, 8, 4, 4), "num_output must be positive"),
    ("num_output: 2 kernel_size: 1 axis: 4", (1, 8, 4, 4), "axis 4 out of range"),
])
def test_conv_errors(body: str, bottom: tuple[int, ...], match: str) -> None:
    fails(CONV % body, bottom, match=match)


def test_conv_bottoms_must_match_and_pair_with_tops() -> None:
    fails(CONV % "num_output: 2 kernel_size: 1", (1, 3, 4, 4), (1, 3, 5, 5), tops=2,
          match=r"bottoms differ: \[1,3,4,4\] vs \[1,3,5,5\]")
    fails(CONV % "num_output: 2 kernel_size: 1", (1, 3, 4, 4), tops=2, match="one top per bottom")


def test_unknown_bottom_makes_tops_unknown() -> None:
    with pytest.raises(UnknownShape):
        run(CONV % "num_output: 2 kernel_size: 1", None)


@pytest.mark.parametrize(("group", "cin", "cout", "kernel", "spatial", "kind"), [
    (32, 32, 32, (3, 3), (112, 112), "depthwise conv"),
    (1, 32, 64, (1, 1), (112, 112), "pointwise conv"),
    (1, 1024, 1000, (1, 1), (1, 1), "fully connected"),
    (3, 240, 60, (1, 1), (28, 28), "grouped conv"),
    (32, 32, 64, (3, 3), (56, 56), "grouped conv"),
    (1, 3, 64, (7, 7), (224, 224), "standard conv"),
])
def test_conv_kind(group: int, cin: int, cout: int, kernel: tuple[int, ...],
                   spatial: tuple[int, ...], kind: str) -> None:
    assert conv_kind(group, cin, cout, kernel, spatial) == kind


def test_depthwise_kind_through_rule() -> None:
    c = run(CONV % "num_output: 32 group: 32 kernel_size: 3 pad: 1 bias_term: false",
            (1, 32, 112, 112))
    assert c.kind == "depthwise conv" and c.params == [(32, 1, 3, 3)]
    assert c.macs == 32 * 112 * 112 * 9


def test_conv_geometry_helper_defaults() -> None:
    param = caffe_pb2.ConvolutionParameter(kernel_size=[3])
    geo = conv_geometry(param, 2)
    assert (geo.kernel, geo.stride, geo.pad, geo.dilation) == ((3, 3), (1, 1), (0, 0), (1, 1))


def test_deconvolution() -> None:
    c = run('type: "Deconvolution" convolution_param { num_output: 21 group: 21 kernel_size: 4 '
            'stride: 2 bias_term: false }', (1, 21, 16, 16))
    assert c.tops == [(1, 21, 34, 34)] and c.params == [(21, 1, 4, 4)]
    assert c.macs == 21 * 16 * 16 * 1 * 16 and c.kind == "deconvolution"
    c = run('type: "Deconvolution" convolution_param { num_output: 8 kernel_size: 3 pad: 1 '
            'stride: 2 }', (1, 4, 5, 5))
    assert c.tops == [(1, 8, 9, 9)] and c.params == [(4, 8, 3, 3), (8,)]


def test_convolution_depthwise_fork() -> None:
    layer = 'type: "ConvolutionDepthwise" convolution_param { %s kernel_size: 3 pad: 1 ' \
            'stride: 2 bias_term: false }'
    c = run(layer % "num_output: 54", (1, 54, 56, 56))
    assert c.tops == [(1, 54, 28, 28)] and c.params == [(54, 1, 3, 3)]
    assert c.kind == "depthwise conv"
    assert run(layer % "", (1, 54, 56, 56)).tops == [(1, 54, 28, 28)]
    fails(layer % "num_output: 64", (1, 32, 8, 8), match="num_output 64.*output 32 channels")


def test_depthwise_convolution_fork() -> None:
    layer = 'type: "DepthwiseConvolution" convolution_param { num_output: %d %s kernel_size: 3 }'
    assert run(layer % (8, "group: 8"), (1, 8, 5, 5)).params[0] == (8, 1, 3, 3)
    assert run(layer % (8, ""), (1, 8, 5, 5)).tops == [(1, 8, 3, 3)]
    fails(layer % (8, "group: 2"), (1, 8, 5, 5), match="group == input channels")
    fails(layer % (16, "group: 16"), (1, 8, 5, 5), match="num_output == input channels")


def test_im2col() -> None:
    c = run('type: "Im2col" convolution_param { kernel_size: 3 }', (1, 3, 8, 8))
    assert c.tops == [(1, 27, 6, 6)] and c.params == []


# -- Pooling ----------------------------------------------------------------------------------

POOL = 'type: "Pooling" pooling_param { %s }'


def test_pooling_rounds_up_by_default_and_down_on_request() -> None:
    assert run(POOL % "pool: MAX kernel_size: 3 stride: 2", (1, 64, 112, 112)).tops == \
        [(1, 64, 56, 56)]
    floor = (1, 64, 55, 55)
    assert run(POOL % "kernel_size: 3 stride: 2 round_mode: FLOOR", (1, 64, 112, 112)).tops \
        == [floor]
    assert run(POOL % "kernel_size: 3 stride: 2 ceil_mode: false", (1, 64, 112, 112)).tops \
        == [floor]
    assert run(POOL % "kernel_size: 3 stride: 2 ceil_mode: true", (1, 64, 112, 112)).tops \
        == [(1, 64, 56, 56)]


def test_pooling_drops_a_last_window_starting_in_the_padding() -> None:
    # ceil((5 + 2 - 2) / 2) + 1 = 4, but window 3 would start at 6 >= 5 + 1: Caffe keeps 3.
    assert pooled_dim(5, 2, 2, 1, CEIL) == 3
    assert pooled_dim(7, 3, 2, 1, CEIL) == 4
    assert pooled_dim(112, 3, 2, 0, FLOOR) == 55
    c = run(POOL % "pool: AVE kernel_size: 2 stride: 2 pad: 1", (1, 2, 5, 5))
    assert c.tops == [(1, 2, 3, 3)] and c.ops == 2 * 9 * 4 and c.kind == "pooling"


def test_pooling_hw_fields_and_global() -> None:
    c = run(POOL % "kernel_h: 3 kernel_w: 1 stride_h: 1 stride_w: 1 pad_h: 1 pad_w: 0",
            (1, 4, 9, 9))
    assert c.tops == [(1, 4, 9, 9)]
    c = run(POOL % "pool: AVE global_pooling: true", (1, 1024, 7, 7))
    assert c.tops == [(1, 1024, 1, 1)] and c.ops == 1024 * 49
    # Caffe takes kernel_size when only one of kernel_h/kernel_w is also given.
    assert run(POOL % "kernel_size: 2 kernel_h: 5", (1, 1, 4, 4)).tops == [(1, 1, 3, 3)]


def test_max_pooling_mask_top() -> None:
    c = run(POOL % "pool: MAX kernel_size: 2 stride: 2", (1, 64, 360, 480), tops=2)
    assert c.tops == [(1, 64, 180, 240)] * 2


@pytest.mark.parametrize(("body", "bottom", "tops", "match"), [
    ("kernel_size: 3 pad: 3", (1, 1, 8, 8), 1, "smaller than kernel"),
    ("pool: STOCHASTIC kernel_size: 3 pad: 1", (1, 1, 8, 8), 1, "only for MAX and AVE"),
    ("global_pooling: true kernel_size: 3", (1, 1, 8, 8), 1, "cannot be given"),
    ("global_pooling: true stride: 2", (1, 1, 8, 8), 1, "only pad 0 and stride 1"),
    ("stride: 2", (1, 1, 8, 8), 1, "needs kernel_size"),
    ("kernel_h: 3", (1, 1, 8, 8), 1, "needs kernel_size"),
    ("kernel_size: 2 kernel_h: 2 kernel_w: 2", (1, 1, 8, 8), 1, "not both"),
    ("kernel_size: 2 pad: 1 pad_h: 1 pad_w: 1", (1, 1, 8, 8), 1, "either pad"),
    ("kernel_size: 2 stride_h: 1", (1, 1, 8, 8), 1, "either stride"),
    ("kernel_size: 2 stride: 0", (1, 1, 8, 8), 1, "stride must be positive"),
    ("kernel_size: 0", (1, 1, 8, 8), 1, "kernel must be positive"),
    ("kernel_size: 2", (1, 8, 8), 1, r"4-D.*\[1,8,8\]"),
    ("pool: AVE kernel_size: 2", (1, 1, 8, 8), 2, "exactly 1 top"),
    ("kernel_size: 2 ceil_mode: true round_mode: FLOOR", (1, 1, 8, 8), 1, "disagree"),
])
def test_pooling_errors(body: str, bottom: tuple[int, ...], tops: int, match: str) -> None:
    fails(POOL % body, bottom, tops=tops, match=match)


def test_spp() -> None:
    # 13x13: bins 1 -> 1x1, bins 2 -> kernel 7 pad 1 -> 2x2, bins 4 -> kernel 4 pad 2 -> 4x4.
    c = run('type: "SPP" spp_param { pyramid_height: 3 }', (1, 8, 13, 13))
    assert c.tops == [(1, 8 * (1 + 4 + 16))]
    assert run('type: "SPP" spp_param { pyramid_height: 1 }', (2, 8, 13, 13)).tops == \
        [(2, 8, 1, 1)]
    fails('type: "SPP" spp_param { pyramid_height: 3 }', (1, 8, 5, 5), match="level 2")


# -- InnerProduct, Embed ----------------------------------------------------------------------

def test_inner_product() -> None:
    c = run('type: "InnerProduct" inner_product_param { num_output: 4096 }', (10, 256, 6, 6))
    assert c.tops == [(10, 4096)] and c.params == [(4096, 9216), (4096,)]
    assert c.macs == 10 * 9216 * 4096 and c.ops == 10 * 4096 and c.kind == "fully connected"
    c = run('type: "InnerProduct" inner_product_param { num_output: 7 axis: 2 transpose: true '
            'bias_term: false }', (2, 3, 4, 5))
    assert c.tops == [(2, 3, 7)] and c.params == [(20, 7)] and c.macs == 6 * 20 * 7
    fails('type: "InnerProduct" inner_product_param { }', (2, 3), match="num_output")
    fails('type: "InnerProduct" inner_product_param { num_output: 2 axis: 3 }', (2, 3),
          match="axis 3 out of range")


def test_embed() -> None:
    c = run('type: "Embed" embed_param { num_output: 8 input_dim: 100 }', (4, 5))
    assert c.tops == [(4, 5, 8)] and c.params == [(100, 8), (8,)] and c.macs == 0
    fails('type: "Embed" embed_param { num_output: 8 }', (4, 5), match="input_dim")


# -- Neurons, PReLU, Softmax ------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["ReLU", "ReLU6", "ELU", "Sigmoid", "TanH", "AbsVal", "BNLL",
                                  "Power", "Exp", "Log", "Threshold", "Dropout", "Swish",
                                  "Clip"])
def test_neurons_keep_shape(kind: str) -> None:
    c = run(f'type: "{kind}"', (2, 3, 4))
    assert c.tops == [(2, 3, 4)] and c.params == [] and c.macs == 0
    fails(f'type: "{kind}"', (2, 3, 4), (2, 3, 4), match="exactly 1 bottom")


def test_neuron_ops() -> None:
    assert run('type: "ReLU"', (2, 5)).ops == 10
    assert run('type: "Sigmoid"', (2, 5)).ops == 30
    assert run('type: "Dropout"', (2, 5)).ops == 0


def test_prelu() -> None:
    assert run('type: "PReLU"', (1, 16, 4, 4)).params == [(16,)]
    assert run('type: "PReLU" prelu_param { channel_shared: true }', (1, 16, 4, 4)).params \
        == [()]
    fails('type: "PReLU"', (16,), match="at least 2 axes")


def test_softmax() -> None:
    c = run('type: "Softmax" softmax_param { axis: 2 }', (1, 1917, 21))
    assert c.tops == [(1, 1917, 21)] and c.kind == "softmax"
    fails('type: "Softmax" softmax_param { axis: 3 }', (1, 10, 21), match="axis 3")


# -- BatchNorm, Scale, Bias, LRN, MVN ---------------------------------------------------------

def test_batch_norm() -> None:
    c = run('type: "BatchNorm"', (1, 32, 8, 8))
    assert c.params == [(32,), (32,), (1,)] and c.stats == 3 and c.kind == "normalization"
    fails('type: "BatchNorm"', (32,), match="channel axis")


def test_scale_one_bottom() -> None:
    assert run('type: "Scale"', (1, 32, 8, 8)).params == [(32,)]
    assert run('type: "Scale" scale_param { bias_term: true }', (1, 32, 8, 8)).params == \
        [(32,), (32,)]
    assert run('type: "Scale" scale_param { num_axes: -1 }', (1, 32, 8, 8)).params == \
        [(32, 8, 8)]
    assert run('type: "Scale" scale_param { num_axes: 0 }', (1, 32, 8, 8)).params == [()]
    assert run('type: "Scale" scale_param { axis: -1 }', (1, 32, 8, 5)).params == [(5,)]
    fails('type: "Scale" scale_param { axis: 3 num_axes: 2 }', (1, 32, 8, 8),
          match="extends past")
    fails('type: "Scale" scale_param { num_axes: -2 }', (1, 32, 8, 8), match="num_axes")


def test_scale_two_bottoms() -> None:
    c = run('type: "Scale"', (2, 3, 4, 5), (3, 4))
    assert c.tops == [(2, 3, 4, 5)] and c.params == []
    assert run('type: "Scale" scale_param { bias_term: true }', (2, 3, 4, 5), (3, 4)).params \
        == [(3, 4)]
    assert run('type: "Scale"', (2, 3, 4, 5), ()).tops == [(2, 3, 4, 5)]
    fails('type: "Scale"', (2, 3, 4, 5), (4,), match=r"\[4\] does not match .*\[2,3,4,5\]")


def test_bias() -> None:
    assert run('type: "Bias"', (1, 32, 8, 8)).params == [(32,)]
    assert run('type: "Bias"', (1, 32, 8, 8), (32,)).params == []
    fails('type: "Bias"', (1, 32, 8, 8), (8,), match="does not match")


def test_lrn_and_mvn() -> None:
    c = run('type: "LRN" lrn_param { local_size: 5 }', (1, 2, 3, 3))
    assert c.tops == [(1, 2, 3, 3)] and c.ops == 8 * 18
    c = run('type: "LRN" lrn_param { local_size: 3 norm_region: WITHIN_CHANNEL }', (1, 2, 3, 3))
    assert c.ops == 12 * 18
    fails('type: "LRN" lrn_param { local_size: 4 }', (1, 2, 3, 3), match="odd")
    fails('type: "LRN"', (2, 3, 3), match="4-D")
    assert run('type: "MVN"', (2, 3, 4)).ops == 4 * 24
    assert run('type: "MVN" mvn_param { normalize_variance: false }', (2, 3, 4)).ops == 2 * 24


# -- Structure --------------------------------------------------------------------------------

def test_concat() -> None:
    c = run('type: "Concat"', (1, 64, 28, 28), (1, 32, 28, 28), (1, 16, 28, 28))
    assert c.tops == [(1, 112, 28, 28)] and c.kind == "concat"
    assert run('type: "Concat" concat_param { axis: -1 }', (2, 3), (2, 5)).tops == [(2, 8)]
    assert run('type: "Concat" concat_param { concat_dim: 0 }', (2, 3), (4, 3)).tops == [(6, 3)]
    fails('type: "Concat"', (1, 64, 28, 28), (1, 32, 14, 14), match=r"\[1,32,14,14\]")
    fails('type: "Concat"', (1, 64, 28, 28), (1, 32, 28), match="differ")
    fails('type: "Concat" concat_param { axis: 1 concat_dim: 1 }', (2, 3), (2, 3),
          match="not both")
    fails('type: "Concat" concat_param { concat_dim: 2 }', (2, 3), (2, 3), match="out of range")


def test_slice() -> None:
    c = run('type: "Slice" slice_param { slice_dim: 1 slice_point: 1 }', (64, 2, 28, 28), tops=2)
    assert c.tops == [(64, 1, 28, 28)] * 2
    c = run('type: "Slice" slice_param { axis: -1 slice_point: 2 slice_point: 5 }', (3, 8),
            tops=3)
    assert c.tops == [(3, 2), (3, 3), (3, 3)]
    assert run('type: "Slice"', (4, 6), tops=3).tops == [(4, 2)] * 3
    fails('type: "Slice"', (4, 7), tops=3, match="evenly divide")
    fails('type: "Slice" slice_param { slice_point: 1 }', (4, 7), tops=3, match="need 2 tops")
    fails('type: "Slice" slice_param { slice_point: 3 slice_point: 2 }', (4, 7), tops=3,
          match="increase")
    fails('type: "Slice" slice_param { slice_point: 7 }', (4, 7), tops=2, match="beyond")


def test_split_and_silence() -> None:
    assert run('type: "Split"', (2, 3), tops=3).tops == [(2, 3)] * 3
    assert run('type: "Silence"', (2, 3), (4,), tops=0).tops == []
    fails('type: "Silence"', (2, 3), tops=1, match="exactly 0 top")


def test_eltwise() -> None:
    c = run('type: "Eltwise"', (1, 64, 56, 56), (1, 64, 56, 56))
    assert c.tops == [(1, 64, 56, 56)] and c.ops == 64 * 56 * 56 and c.kind == "eltwise"
    c = run('type: "Eltwise" eltwise_param { coeff: 1 coeff: -1 }', (2, 3), (2, 3))
    assert c.ops == 6 + 2 * 6
    assert run('type: "Eltwise" eltwise_param { operation: MAX }', (2, 3), (2, 3), (2, 3)).ops \
        == 12
    fails('type: "Eltwise"', (1, 64, 56, 56), (1, 128, 56, 56),
          match=r"^Eltwise bottoms differ: \[1,64,56,56\] vs \[1,128,56,56\]")
    fails('type: "Eltwise" eltwise_param { coeff: 1 }', (2, 3), (2, 3), match="one coeff")
    fails('type: "Eltwise" eltwise_param { operation: PROD coeff: 1 coeff: 1 }', (2, 3), (2, 3),
          match="only allowed with operation SUM")
    fails('type: "Eltwise"', (2, 3), match="at least 2 bottom")


def test_flatten() -> None:
    assert run('type: "Flatten"', (2, 3, 4, 5)).tops == [(2, 60)]
    assert run('type: "Flatten" flatten_param { axis: 2 }', (2, 3, 4, 5)).tops == [(2, 3, 20)]
    assert run('type: "Flatten" flatten_param { axis: 2 end_axis: 1 }', (2, 3, 4, 5)).tops == \
        [(2, 3, 1, 4, 5)]
    fails('type: "Flatten" flatten_param { axis: 2 end_axis: 0 }', (2, 3, 4, 5),
          match="comes before")
    fails('type: "Flatten" bottom: "x" top: "x"', (2, 3), match="in place")


def test_reshape() -> None:
    r = 'type: "Reshape" reshape_param { shape { %s } %s }'
    assert run(r % ("dim: 0 dim: -1 dim: 21", ""), (1, 40257)).tops == [(1, 1917, 21)]
    assert run(r % ("dim: 0 dim: 2 dim: -1 dim: 0", ""), (1, 18, 14, 14)).tops == \
        [(1, 2, 126, 14)]
    assert run(r % ("dim: 12", "axis: 1 num_axes: 2"), (2, 3, 4, 5)).tops == [(2, 12, 5)]
    assert run(r % ("dim: 1", "axis: -1 num_axes: 0"), (2, 3)).tops == [(2, 3, 1)]
    assert run(r % ("dim: -1", "axis: 1"), (2, 3, 4)).tops == [(2, 12)]
    fails(r % ("dim: -1 dim: -1", ""), (2, 3), match="more than one -1")
    fails(r % ("dim: 0 dim: -1 dim: 7", ""), (2, 3, 5), match=r"\[2,3,5\].*not divisible")
    fails(r % ("dim: 0 dim: 0 dim: 0", ""), (2, 3), match="no axis 2 to copy")
    fails(r % ("dim: 5", ""), (2, 3), match="changes the element count")
    fails(r % ("dim: 6", "axis: 3"), (2, 3), match="out of range")
    fails(r % ("dim: 6", "axis: 1 num_axes: 2"), (2, 3), match="goes past")
    fails('type: "Reshape" bottom: "x" top: "x" reshape_param { shape { dim: -1 } }', (2, 3),
          match="in place")


def test_crop() -> None:
    c = 'type: "Crop" crop_param { %s }'
    assert run(c % "axis: 2 offset: 4", (1, 21, 40, 40), (1, 3, 32, 32)).tops == \
        [(1, 21, 32, 32)]
    assert run(c % "axis: 2 offset: 1 offset: 2", (1, 21, 40, 40), (1, 3, 32, 32)).tops == \
        [(1, 21, 32, 32)]
    assert run(c % "axis: 0", (1, 21, 40, 40), (1, 3, 32, 32)).tops == [(1, 3, 32, 32)]
    fails(c % "axis: 1 offset: 1 offset: 2", (1, 21, 40, 40), (1, 3, 32, 32),
          match="one offset per axis")
    fails(c % "axis: 2 offset: 9", (1, 21, 40, 40), (1, 3, 32, 32), match="out of bounds")
    fails(c % "axis: 2", (1, 21, 40, 40), match="exactly 2 bottom")


def test_tile_reduction_argmax() -> None:
    assert run('type: "Tile" tile_param { axis: 1 tiles: 3 }', (2, 4)).tops == [(2, 12)]
    fails('type: "Tile"', (2, 4), match="needs tiles")
    fails('type: "Tile" tile_param { tiles: 0 }', (2, 4), match="positive")
    fails('type: "Tile" bottom: "x" top: "x" tile_param { tiles: 2 }', (2, 4), match="in place")
    assert run('type: "Reduction"', (2, 3, 4)).tops == [()]
    assert run('type: "Reduction" reduction_param { axis: 2 }', (2, 3, 4)).tops == [(2, 3)]
    a = 'type: "ArgMax" argmax_param { %s }'
    assert run(a % "top_k: 5", (10, 1000)).tops == [(10, 1, 5)]
    assert run(a % "top_k: 5 out_max_val: true", (10, 1000)).tops == [(10, 2, 5)]
    assert run(a % "axis: 1 top_k: 5", (10, 1000)).tops == [(10, 5)]
    assert run(a % "", (2, 3, 4, 5)).tops == [(2, 1, 1, 1)]
    fails(a % "top_k: 61", (2, 3, 4, 5), match="exceeds the 60 values")
    fails(a % "axis: 1 top_k: 4", (2, 3, 4, 5), match="exceeds axis 1")


def test_filter_batch_reindex_parameter() -> None:
    c = run('type: "Filter"', (10, 3), (10, 1), tops=1)
    assert c.tops == [None]
    fails('type: "Filter"', (10, 3), (10, 2), match="selector")
    fails('type: "Filter"', (10, 3), (9, 1), match="first axis")
    fails('type: "Filter"', (10, 3), (10,), tops=2, match="one top per filtered bottom")
    assert run('type: "BatchReindex"', (10, 3, 4), (6,)).tops == [(6, 3, 4)]
    fails('type: "BatchReindex"', (10, 3, 4), (6, 1), match="1-D")
    c = run('type: "Parameter" parameter_param { shape { dim: 3 dim: 4 } }')
    assert c.tops == [(3, 4)] and c.params == [(3, 4)]


# -- Losses, Accuracy -------------------------------------------------------------------------

def test_softmax_with_loss() -> None:
    c = run('type: "SoftmaxWithLoss"', (10, 1000), (10,))
    assert c.tops == [()] and c.kind == "loss"
    assert run('type: "SoftmaxWithLoss"', (10, 1000), (10,), tops=2).tops == [(), (10, 1000)]
    assert run('type: "SoftmaxWithLoss"', (2, 21, 5, 5), (2, 1, 5, 5)).tops == [()]
    fails('type: "SoftmaxWithLoss"', (10, 1000), (5,), match="same first dimension")
    fails('type: "SoftmaxWithLoss"', (10, 21, 5, 5), (10, 5), match="one label per prediction")
    fails('type: "SoftmaxWithLoss"', (10, 1000), match="exactly 2 bottom")


def test_other_losses() -> None:
    assert run('type: "EuclideanLoss"', (4, 3, 2), (4, 6)).tops == [()]
    fails('type: "EuclideanLoss"', (4, 3), (4, 6), match="differ in size")
    assert run('type: "SigmoidCrossEntropyLoss"', (4, 6), (4, 3, 2)).tops == [()]
    fails('type: "SigmoidCrossEntropyLoss"', (4, 6), (4, 5), match="same count")
    assert run('type: "HingeLoss"', (4, 10), (4,)).tops == [()]
    assert run('type: "MultinomialLogisticLoss"', (4, 10), (4,)).tops == [()]
    fails('type: "MultinomialLogisticLoss"', (4, 10), (4, 2), match="one value per item")
    assert run('type: "ContrastiveLoss"', (64, 2), (64, 2), (64,)).tops == [()]
    fails('type: "ContrastiveLoss"', (64, 2), (64, 3), (64,), match="differ in channels")
    fails('type: "ContrastiveLoss"', (64, 2, 3), (64, 2, 3), (64,), match="N x C x 1 x 1")
    fails('type: "ContrastiveLoss"', (64, 2), (64, 2), (64, 2), match="one value per pair")
    assert run('type: "InfogainLoss"', (4, 10), (4,), (10, 10)).tops == [()]
    fails('type: "InfogainLoss"', (4, 10), (4,), (9, 9), match="10x10")


def test_accuracy() -> None:
    a = 'type: "Accuracy" accuracy_param { top_k: %d }'
    assert run(a % 5, (50, 1000), (50,)).tops == [()]
    assert run(a % 1, (50, 1000), (50,), tops=2).tops == [(), (1000,)]
    fails(a % 2000, (50, 1000), (50,), match="top_k 2000 exceeds")
    fails(a % 1, (50, 10, 3), (50,), match="one label per prediction")


# -- Data layers ------------------------------------------------------------------------------

def test_input() -> None:
    one = 'type: "Input" input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } }'
    assert run(one, tops=2).tops == [(1, 3, 8, 8)] * 2
    two = 'type: "Input" input_param { shape { dim: 1 dim: 3 } shape { dim: 1 dim: 2 } }'
    assert run(two, tops=2).tops == [(1, 3), (1, 2)]
    fails(two, tops=3, match="2 shapes for 3 tops")
    assert run(one, overrides={"t0": (2, 3, 16, 16)}).tops == [(2, 3, 16, 16)]
    assert run(one, overrides={"t0": (-1, 3, 16, 16)}).tops == [(1, 3, 16, 16)]
    assert run(one, overrides={"t0": (5, 7)}).tops == [(5, 7)]
    fails(one, overrides={"t0": (-1, 7)}, match="top has 4 axes")
    fails(one, overrides={"t0": (0, 3, 8, 8)}, match="neither positive nor -1")
    fails('type: "Input"', match="no declared shape; pass --input-shape t0=")
    assert run('type: "Input"', overrides={"t0": (1, 2)}).tops == [(1, 2)]
    fails('type: "Input"', overrides={"t0": (-1, 2)}, match="no shape of its own")


def test_dummy_data() -> None:
    d = 'type: "DummyData" dummy_data_param { %s }'
    assert run(d % "shape { dim: 4 dim: 2 }", tops=2).tops == [(4, 2)] * 2
    assert run(d % "num: 5 channels: 1 channels: 2 height: 3 width: 4", tops=2).tops == \
        [(5, 1, 3, 4), (5, 2, 3, 4)]
    assert run(d % "shape { dim: 4 dim: 2 }", overrides={"t0": (-1, 9)}).tops == [(4, 9)]
    fails(d % "shape { dim: 4 } num: 2 channels: 1 height: 1 width: 1", match="both shape")
    fails(d % "num: 1 num: 2 num: 3 channels: 1 height: 1 width: 1", tops=2,
          match="'num' once or once per top")
    fails(d % "shape { dim: 1 } shape { dim: 2 }", tops=3, match="'shape' once")
    fails(d % "shape { dim: 1 } data_filler {} data_filler {}", tops=3, match="data_filler")


def test_data_layer_known_and_missing() -> None:
    layer = ('type: "Data" top: "data" top: "label" data_param { batch_size: 256 } '
             'transform_param { crop_size: 227 %s }')
    with pytest.raises(ShapeError) as err:
        run(layer % "")
    assert str(err.value) == (
        "top 'data' shape unknown: batch_size 256 and crop_size 227 known, channels not; "
        "pass --input-shape data=256,C,227,227 (or _,C,227,227)")
    c = run(layer % "", overrides={"data": (-1, 3, -1, -1)})
    assert c.tops == [(256, 3, 227, 227), (256,)] and c.kind == "input"
    assert run(layer % "force_color: true").tops == [(256, 3, 227, 227), (256,)]
    assert run(layer % "force_gray: true").tops[0] == (256, 1, 227, 227)
    fails(layer % "", overrides={"data": (-1, -1, 227, 227)}, match="does not give its channels")


def test_data_layer_without_batch() -> None:
    layer = 'type: "Data" top: "data" top: "label" data_param { source: "x" }'
    fails(layer, match=r"top 'data' shape unknown: batch_size, channels, height, width not; "
                       r"pass --input-shape data=N,C,H,W$")
    c = run(layer, overrides={"data": (8, 1, 28, 28)})
    assert c.tops == [(8, 1, 28, 28), (8,)]


def test_image_window_memory_hdf5() -> None:
    img = 'type: "ImageData" image_data_param { batch_size: 4 %s }'
    assert run(img % "new_height: 32 new_width: 30 is_color: false", tops=2).tops == \
        [(4, 1, 32, 30), (4,)]
    assert run(img % "" + ' transform_param { crop_size: 20 }').tops == [(4, 3, 20, 20)]
    fails(img % "new_height: 32", match="together")
    fails(img % "", match="height, width not")
    win = 'type: "WindowData" window_data_param { batch_size: 128 } %s'
    fails(win % "", match="crop_size")
    fails(win % "transform_param { crop_size: 227 }", match="channels not")
    assert run(win % "transform_param { crop_size: 227 }", tops=2,
               overrides={"t0": (-1, 3, -1, -1)}).tops == [(128, 3, 227, 227), (128,)]
    mem = 'type: "MemoryData" memory_data_param { batch_size: 2 channels: 3 height: 4 width: %d }'
    assert run(mem % 5, tops=2).tops == [(2, 3, 4, 5), (2,)]
    fails(mem % 0, match="positive")
    h5 = 'type: "HDF5Data" hdf5_data_param { batch_size: 16 }'
    fails(h5, match="HDF5Data reads it")
    assert run(h5, tops=2, overrides={"t0": (-1, 10), "t1": (16, 1)}).tops == [(16, 10), (16, 1)]
    fails(h5, overrides={"t0": (-1, -1)}, match="does not give its dim")


BVLC_TYPES = [
    "Convolution", "Deconvolution", "ConvolutionDepthwise", "DepthwiseConvolution", "Im2col",
    "Pooling", "SPP", "InnerProduct", "Embed", "ReLU", "ReLU6", "PReLU", "ELU", "Sigmoid", "TanH",
    "AbsVal", "BNLL", "Power", "Exp", "Log", "Threshold", "Dropout", "Swish", "Clip", "Softmax",
    "BatchNorm", "Scale", "Bias", "LRN", "MVN", "Concat", "Slice", "Split", "Eltwise", "Flatten",
    "Reshape", "Crop", "Tile", "Reduction", "ArgMax", "Silence", "Filter", "BatchReindex",
    "Parameter", "SoftmaxWithLoss", "EuclideanLoss", "SigmoidCrossEntropyLoss", "HingeLoss",
    "ContrastiveLoss", "InfogainLoss", "MultinomialLogisticLoss", "Accuracy", "Input",
    "DummyData", "Data", "ImageData", "HDF5Data", "MemoryData", "WindowData", "LSTM", "RNN",
]


@pytest.mark.parametrize("type_name", BVLC_TYPES)
def test_every_type_is_registered_and_documented(type_name: str) -> None:
    rule = rule_for(type_name)
    assert rule is not None and rule.__doc__


def test_counts_are_integers() -> None:
    c = run(CONV % "num_output: 3 kernel_size: 1", (2, 3, 4, 4))
    assert isinstance(c.macs, int) and c.macs == math.prod((2, 3, 4, 4)) * 3


# -- Recurrent --------------------------------------------------------------------------------

LSTM = 'type: "LSTM" recurrent_param { num_output: 8 %s }'


def test_lstm() -> None:
    c = run(LSTM % "", (5, 2, 3, 4), (5, 2))
    assert c.tops == [(5, 2, 8)] and c.params == [(32, 12), (32,), (32, 8)]
    assert c.macs == 5 * 2 * 32 * (12 + 8)
    c = run(LSTM % "", (5, 2, 12), (5, 2), (2, 6))
    assert c.params == [(32, 12), (32,), (32, 6), (32, 8)]
    assert c.macs == 5 * 2 * 32 * 20 + 2 * 32 * 6
    c = run(LSTM % "expose_hidden: true", (5, 2, 12), (5, 2), (1, 2, 8), (1, 2, 8), tops=3)
    assert c.tops == [(5, 2, 8), (1, 2, 8), (1, 2, 8)]


def test_rnn() -> None:
    c = run('type: "RNN" recurrent_param { num_output: 8 }', (5, 2, 12), (5, 2))
    assert c.tops == [(5, 2, 8)]
    assert c.params == [(8, 12), (8,), (8, 8), (8, 8), (8,)]
    assert c.macs == 5 * 2 * 8 * (12 + 16)


@pytest.mark.parametrize(("body", "bottoms", "tops", "match"), [
    ("", [(5, 2, 12), (5, 3)], 1, r"cont \[5,3\] must be \[timesteps, streams\] = \[5,2\]"),
    ("", [(5,), (5, 1)], 1, "at least 2 axes"),
    ("", [(5, 2, 12), (5, 2), (3, 6)], 1, "static input"),
    ("expose_hidden: true", [(5, 2, 12), (5, 2), (1, 2, 8), (1, 2, 7)], 3, "initial state"),
    ("expose_hidden: true", [(5, 2, 12), (5, 2)], 3, "at least 4 bottom"),
    ("", [(5, 2, 12), (5, 2)], 2, "exactly 1 top"),
])
def test_recurrent_errors(body: str, bottoms: list[tuple[int, ...]], tops: int,
                          match: str) -> None:
    fails(LSTM % body, *bottoms, tops=tops, match=match)


def test_recurrent_needs_num_output() -> None:
    fails('type: "LSTM" recurrent_param { }', (5, 2, 12), (5, 2), match="num_output")
