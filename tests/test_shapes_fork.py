"""Rules for the non-detection fork layers (Interp, BN, Upsample, ShuffleChannel, Axpy, Python).

Each expected figure is worked out by hand from the fork's C++ formula, shown next to it.
"""

from __future__ import annotations

import builtins
import importlib

import pytest
from google.protobuf import text_format

from prototxt_tool import caffe_pb2
from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, Shape, UnknownShape, rule_for


def run(text: str, *bottoms: Shape | None, overrides: dict[str, Shape] | None = None
        ) -> LayerCost:
    layer = text_format.Parse(text, caffe_pb2.LayerParameter())
    rule = rule_for(layer.type)
    assert rule is not None, layer.type
    return rule(LayerContext(layer, list(bottoms), overrides or {}))


def fails(text: str, *bottoms: Shape | None, match: str) -> None:
    with pytest.raises(ShapeError, match=match):
        run(text, *bottoms)


INTERP = 'type: "Interp" top: "out" interp_param {{ {} }}'


# --- Interp ------------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "bottom", "top"), [
    ("zoom_factor: 8", (1, 150, 60, 60), (1, 150, 473, 473)),         # 60 + 59 * 7
    ("shrink_factor: 8", (1, 3, 473, 473), (1, 3, 60, 60)),           # 472 // 8 + 1
    ("shrink_factor: 2", (1, 3, 10, 9), (1, 3, 5, 5)),                # 9 // 2 + 1, 8 // 2 + 1
    ("height: 60 width: 40", (2, 4, 7, 7), (2, 4, 60, 40)),
    ("shrink_factor: 2 zoom_factor: 3", (1, 1, 9, 9), (1, 1, 13, 13)),  # 8//2+1=5, 5+4*2
    # shrink alone wins over height/width; height/width win over shrink+zoom (Caffe's order)
    ("shrink_factor: 2 height: 3 width: 3", (1, 1, 9, 9), (1, 1, 5, 5)),
    ("shrink_factor: 2 zoom_factor: 3 height: 3 width: 4", (1, 1, 9, 9), (1, 1, 3, 4)),
    ("zoom_factor: 2 pad_beg: -1 pad_end: -1", (1, 1, 10, 12), (1, 1, 15, 19)),  # 8+7, 10+9
])
def test_interp_sizes(params: str, bottom: Shape, top: Shape) -> None:
    cost = run(INTERP.format(params), bottom)
    assert cost.tops == [top]
    assert cost.params == [] and cost.macs == 0
    assert cost.ops == 4 * top[0] * top[1] * top[2] * top[3]
    assert cost.kind == "upsample"


def test_interp_second_bottom_gives_the_size() -> None:
    cost = run(INTERP.format(""), (1, 21, 30, 40), (1, 3, 240, 320))
    assert cost.tops == [(1, 21, 240, 320)]


def test_interp_parameters_win_over_second_bottom() -> None:
    assert run(INTERP.format("zoom_factor: 2"), (1, 1, 5, 5), (1, 1, 99, 99)).tops == [
        (1, 1, 9, 9)]


@pytest.mark.parametrize(("params", "bottom", "match"), [
    ("", (1, 1, 5, 5), "no output size"),
    ("height: 5", (1, 1, 5, 5), "no output size"),
    ("pad_beg: 1 zoom_factor: 2", (1, 1, 5, 5), "non-positive padding"),
    ("zoom_factor: 0", (1, 1, 5, 5), "zoom_factor must be positive"),
    ("shrink_factor: 0", (1, 1, 5, 5), "shrink_factor must be positive"),
    ("zoom_factor: 2 pad_beg: -3 pad_end: -2", (1, 1, 5, 5), "leaves 0x0"),
    ("height: 0 width: 5", (1, 1, 5, 5), "not positive"),
    ("zoom_factor: 2", (1, 1, 2, 2, 2), "at most 4 axes"),
])
def test_interp_errors(params: str, bottom: Shape, match: str) -> None:
    fails(INTERP.format(params), bottom, match=match)


def test_interp_bottom_counts() -> None:
    fails(INTERP.format("zoom_factor: 2"), (1, 1, 2, 2), (1, 1, 2, 2), (1, 1, 2, 2),
          match="at most 2 bottom")


def test_interp_unknown_input() -> None:
    with pytest.raises(UnknownShape):
        run(INTERP.format("zoom_factor: 2"), None)
    with pytest.raises(UnknownShape):
        run(INTERP.format(""), (1, 1, 4, 4), None)


# --- BN ----------------------------------------------------------------------------------


def test_bn_pspnet_from_its_fields() -> None:
    cost = run('type: "BN" top: "x" bn_param { frozen: true momentum: 0.95 }', (1, 64, 8, 8))
    assert cost.tops == [(1, 64, 8, 8)]
    assert cost.params == [(1, 64, 1, 1)] * 4
    assert cost.stats == 2  # running mean and variance
    assert cost.ops == 4 * 64 * 64
    assert cost.kind == "normalization"


def test_bn_pspnet_from_four_param_specs_keeps_the_shape() -> None:
    text = 'type: "BN" top: "x" ' + "param { lr_mult: 1 } " * 4
    cost = run(text, (2, 8))
    assert cost.tops == [(2, 8)]  # ReshapeLike keeps a 2-D blob 2-D
    assert cost.params == [(1, 8, 1, 1)] * 4


def test_bn_segnet_inference() -> None:
    cost = run('type: "BN" top: "x" bn_param { bn_mode: INFERENCE }', (1, 64, 360, 480))
    assert cost.tops == [(1, 64, 360, 480)]
    assert cost.params == [(1, 64, 1, 1)] * 2
    assert cost.stats == 0
    assert cost.ops == 2 * 64 * 360 * 480  # scale and shift only


def test_bn_segnet_learn_with_statistics_tops() -> None:
    text = 'type: "BN" top: "x" top: "mean" top: "var" bn_param { scale_filler { value: 1 } }'
    cost = run(text, (4, 16, 2, 3))
    assert cost.tops == [(4, 16, 2, 3), (1, 16, 1, 1), (1, 16, 1, 1)]
    assert cost.ops == 4 * 4 * 16 * 2 * 3


def test_bn_segnet_top_is_four_d() -> None:
    # SegNet's Reshape uses num()/channels()/height()/width(): a 2-D bottom gives N x C x 1 x 1.
    assert run('type: "BN" top: "x"', (5, 7)).tops == [(5, 7, 1, 1)]


def test_bn_errors() -> None:
    fails('type: "BN" top: "x" top: "y" bn_param { frozen: true }', (1, 2, 3, 3),
          match="1 top")
    fails('type: "BN" top: "a" top: "b" top: "c" top: "d"', (1, 2, 3, 3), match="at most 3 top")
    fails('type: "BN" top: "x"', (1, 2, 3, 3, 3), match="at most 4 axes")


# --- Upsample ----------------------------------------------------------------------------

UPSAMPLE = 'type: "Upsample" top: "out" upsample_param {{ {} }}'


@pytest.mark.parametrize(("params", "bottom", "top"), [
    ("scale: 2", (1, 64, 45, 60), (1, 64, 90, 120)),
    ("", (1, 64, 45, 60), (1, 64, 90, 120)),                           # scale defaults to 2
    ("scale: 2 pad_out_h: true", (1, 64, 23, 30), (1, 64, 45, 60)),   # 23 * 2 - 1
    ("scale: 2 pad_out_w: true", (1, 8, 4, 5), (1, 8, 8, 9)),         # 5 * 2 - 1
    ("scale_h: 3 scale_w: 2", (1, 8, 4, 5), (1, 8, 12, 10)),
    ("upsample_h: 7 upsample_w: 9", (1, 8, 4, 5), (1, 8, 7, 9)),
    ("upsample_h: 7 upsample_w: 9 scale: 4", (1, 8, 4, 5), (1, 8, 7, 9)),
])
def test_upsample_sizes(params: str, bottom: Shape, top: Shape) -> None:
    cost = run(UPSAMPLE.format(params), bottom, bottom)
    assert cost.tops == [top]
    assert cost.ops == 0 and cost.params == []
    assert cost.kind == "upsample"


def test_upsample_unknown_mask_still_gives_the_size() -> None:
    assert run(UPSAMPLE.format("scale: 2"), (1, 2, 3, 4), None).tops == [(1, 2, 6, 8)]


@pytest.mark.parametrize(("params", "data", "mask", "match"), [
    ("scale: 1", (1, 2, 3, 4), (1, 2, 3, 4), "scale must be greater than 1"),
    ("scale_h: 2 scale_w: 1", (1, 2, 3, 4), (1, 2, 3, 4), "scale_w must be greater than 1"),
    ("upsample_h: 1 upsample_w: 4", (1, 2, 3, 4), (1, 2, 3, 4), "upsample_h must be greater"),
    ("scale: 2 scale_h: 2 scale_w: 2", (1, 2, 3, 4), (1, 2, 3, 4), "give upsample_h"),
    ("scale_h: 2", (1, 2, 3, 4), (1, 2, 3, 4), "give upsample_h"),
    ("scale: 3 pad_out_h: true", (1, 2, 3, 4), (1, 2, 3, 4), "pad_out_h needs scale_h == 2"),
    ("scale: 2", (1, 2, 3, 4), (1, 2, 3, 5), "mask"),
    ("scale: 2", (2, 3, 4), (2, 3, 4), "4-D"),
])
def test_upsample_errors(params: str, data: Shape, mask: Shape, match: str) -> None:
    fails(UPSAMPLE.format(params), data, mask, match=match)


def test_upsample_with_three_bottoms_is_refused() -> None:
    # one bottom is the YOLO forks' nearest Upsample (tests/test_shapes_wild.py)
    fails(UPSAMPLE.format("scale: 2"), (1, 2, 3, 4), (1, 2, 3, 4), (1, 2, 3, 4),
          match="takes exactly 2 bottom")


# --- ShuffleChannel ----------------------------------------------------------------------


def test_shuffle_channel_keeps_shape() -> None:
    cost = run('type: "ShuffleChannel" top: "s" shuffle_channel_param { group: 3 }',
               (1, 240, 28, 28))
    assert cost.tops == [(1, 240, 28, 28)]
    assert cost.ops == 0 and cost.params == [] and cost.kind == "reshape"


@pytest.mark.parametrize(("params", "match"), [
    ("group: 3", "not divisible by group 3"),
    ("group: 0", "greater than 0"),
])
def test_shuffle_channel_errors(params: str, match: str) -> None:
    fails(f'type: "ShuffleChannel" top: "s" shuffle_channel_param {{ {params} }}',
          (1, 10, 4, 4), match=match)


# --- Axpy --------------------------------------------------------------------------------

AXPY = 'type: "Axpy" top: "out"'


def test_axpy() -> None:
    cost = run(AXPY, (1, 256, 1, 1), (1, 256, 56, 56), (1, 256, 56, 56))
    assert cost.tops == [(1, 256, 56, 56)]
    assert cost.macs == 0
    assert cost.ops == 2 * 256 * 56 * 56  # one multiply and one add per output value
    assert cost.kind == "eltwise"


def test_axpy_accepts_a_two_d_scale() -> None:
    assert run(AXPY, (2, 8), (2, 8, 3, 3), (2, 8, 3, 3)).tops == [(2, 8, 3, 3)]


@pytest.mark.parametrize(("scale", "x", "y", "match"), [
    ((1, 64, 1, 1), (1, 32, 7, 7), (1, 32, 7, 7), "num and channels"),
    ((2, 32, 1, 1), (1, 32, 7, 7), (1, 32, 7, 7), "num and channels"),
    ((1, 32, 7, 1), (1, 32, 7, 7), (1, 32, 7, 7), "N x C x 1 x 1"),
    ((1, 32, 1, 1), (1, 32, 7, 7), (1, 32, 8, 8), "same shape"),
])
def test_axpy_errors(scale: Shape, x: Shape, y: Shape, match: str) -> None:
    fails(AXPY, scale, x, y, match=match)


def test_axpy_needs_three_bottoms() -> None:
    fails(AXPY, (1, 2, 1, 1), (1, 2, 3, 3), match="takes exactly 3 bottom")


# --- Python ------------------------------------------------------------------------------

PYTHON = ('type: "Python" top: "rois" top: "scores" '
          'python_param { module: "dwsep_must_never_import_this" layer: "L" }')


def test_python_tops_unknown_without_override() -> None:
    cost = run(PYTHON, (1, 18, 14, 14))
    assert cost.tops == [None, None]
    assert cost.macs is None and cost.ops is None


def test_python_tops_from_overrides() -> None:
    cost = run(PYTHON, (1, 18, 14, 14), overrides={"rois": (300, 5)})
    assert cost.tops == [(300, 5), None]


def test_python_override_with_minus_one_is_an_error() -> None:
    with pytest.raises(ShapeError, match="give every dimension"):
        run(PYTHON, (1, 18, 14, 14), overrides={"rois": (-1, 5)})


def test_python_module_is_never_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    layer = text_format.Parse(PYTHON, caffe_pb2.LayerParameter())
    rule = rule_for("Python")  # load the registry before imports are watched
    assert rule is not None
    real_import = builtins.__import__
    seen: list[str] = []

    def spy(name: str, *args: object, **kwargs: object) -> object:
        seen.append(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", spy)
    monkeypatch.setattr(importlib, "import_module", lambda name, *a: seen.append(name))
    assert rule(LayerContext(layer, [(1, 18, 14, 14)])).tops == [None, None]
    assert "dwsep_must_never_import_this" not in seen
