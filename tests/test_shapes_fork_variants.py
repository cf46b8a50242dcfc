"""Fork variants of BVLC/SSD layer types found in public nets: N-D pooling (the 3-D medical
imaging forks), the PriorBox meanings of FaceBoxes and TextBoxes, R-FCN's PSROIPooling.
Each figure is worked out by hand from the fork's own C++, shown next to it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from test_shapes_wild import fails, run

from prototxt_tool import analysis, caffe_pb2, pipeline, textformat
from prototxt_tool.errors import ShapeError
from prototxt_tool.lint import LintOptions, lint_source
from prototxt_tool.lint.config import LintConfig
from prototxt_tool.shapes import LayerContext, Shape, rule_for

# --- N-D pooling ----------------------------------------------------------------------------

POOL = 'type: "Pooling" top: "t" pooling_param { %s }'


@pytest.mark.parametrize(("body", "bottom", "top", "ops"), [
    # ceil((40 - 3) / 2) + 1 = 20 on each of the 3 spatial axes; 27 compares per output
    ("pool: MAX kernel_size: 3 stride: 2", (1, 38, 40, 40, 40), (1, 38, 20, 20, 20),
     38 * 20 ** 3 * 27),
    ("kernel_size: 2 stride: 2", (2, 4, 96, 96, 95), (2, 4, 48, 48, 48), 2 * 4 * 48 ** 3 * 8),
    # pad 1: ceil((5 + 2 - 2) / 2) + 1 = 4, but window 3 starts at 6 >= 5 + 1: 3 kept
    ("pool: AVE kernel_size: 2 stride: 2 pad: 1", (1, 1, 5, 5, 5), (1, 1, 3, 3, 3), 27 * 8),
    ("pool: AVE global_pooling: true", (1, 8, 4, 5, 6), (1, 8, 1, 1, 1), 8 * 120),
    # 4 spatial axes are as good as 3
    ("kernel_size: 2 stride: 2", (1, 1, 4, 4, 4, 4), (1, 1, 2, 2, 2, 2), 16 * 16),
])
def test_nd_pooling(body: str, bottom: Shape, top: Shape, ops: int) -> None:
    cost = run(POOL % body, bottom)
    assert cost.tops == [top] and cost.ops == ops and cost.kind == "pooling"
    assert cost.params == [] and cost.macs == 0


def test_nd_max_pooling_mask_top() -> None:
    cost = run('type: "Pooling" top: "p" top: "mask" pooling_param { kernel_size: 2 stride: 2 }',
               (1, 2, 4, 4, 4))
    assert cost.tops == [(1, 2, 2, 2, 2)] * 2


@pytest.mark.parametrize(("body", "match"), [
    ("stride: 2", "needs kernel_size"),
    ("kernel_h: 2 kernel_w: 2", "kernel_h is not defined for N-D"),
    ("kernel_size: 2 round_mode: FLOOR", "round_mode is not defined for N-D"),
    ("kernel_size: 2 ceil_mode: false", "ceil_mode is not defined for N-D"),
    ("kernel_size: 2 pad: 2", "smaller than kernel"),
    ("pool: STOCHASTIC kernel_size: 3 pad: 1", "only for MAX and AVE"),
    ("global_pooling: true kernel_size: 2", "cannot be given"),
    ("global_pooling: true stride: 2", "only pad 0 and stride 1"),
    ("kernel_size: 2 stride: 0", "stride must be positive"),
    ("kernel_size: 0", "kernel must be positive"),
    ("kernel_size: 9", r"non-positive pooling output \[-4, -4, -4\]"),
])
def test_nd_pooling_errors(body: str, match: str) -> None:
    fails(POOL % body, (1, 1, 4, 4, 4), match=match)


ND = 'type: "PoolingND" top: "t" pooling_nd_param { %s }'


@pytest.mark.parametrize(("body", "bottom", "top", "kernel"), [
    ("pool: MAX kernel_size: 2 stride: 2", (1, 32, 96, 96, 96), (1, 32, 48, 48, 48), 8),
    # once per spatial axis: ceil((9 - 1) / 1) + 1, ceil((9 - 3) / 2) + 1, ceil((8 - 3) / 2) + 1
    ("kernel_size: 1 kernel_size: 3 kernel_size: 3 stride: 1 stride: 2 stride: 2",
     (2, 4, 9, 9, 8), (2, 4, 9, 4, 4), 9),
    # a pad on one axis clips every axis: ceil((5 + 2 - 3) / 2) + 1 = 3 (4 < 6 kept), then
    # ceil((4 - 1) / 2) + 1 = 3 with the last window at 4 >= 4 + 0: dropped, 2
    ("kernel_size: 3 kernel_size: 1 kernel_size: 1 stride: 2 pad: 1 pad: 0 pad: 0",
     (1, 1, 5, 4, 4), (1, 1, 3, 2, 2), 3),
    ("kernel_h: 3 kernel_w: 2 stride_h: 1 stride_w: 2", (1, 3, 6, 6), (1, 3, 4, 3), 6),
    ("pool: AVE global_pooling: true", (1, 8, 3, 4, 5), (1, 8, 1, 1, 1), 60),
    ("axis: 2 kernel_size: 2 stride: 2", (2, 3, 4, 6, 6), (2, 3, 4, 3, 3), 4),  # N x C x T kept
    # the pad_h/_w form skips the pad < kernel check: ceil((4 + 4 - 1) / 1) + 1 = 8 -> 7
    ("kernel_size: 1 pad_h: 2 pad_w: 0", (1, 1, 4, 4), (1, 1, 7, 4), 1),
])
def test_pooling_nd(body: str, bottom: Shape, top: Shape, kernel: int) -> None:
    cost = run(ND % body, bottom)
    assert cost.tops == [top] and cost.ops == top[0] * math.prod(top[1:]) * kernel
    assert cost.params == [] and cost.kind == "pooling"


@pytest.mark.parametrize(("body", "bottom", "match"), [
    ("kernel_size: 2 kernel_size: 2", (1, 1, 4, 4, 4), r"once per spatial axis \(3\), got 2"),
    ("stride: 2", (1, 1, 4, 4, 4), "kernel_size must be given once"),
    ("kernel_h: 2 kernel_w: 2", (1, 1, 4, 4, 4), "only be used for 2 spatial axes, not 3"),
    ("kernel_size: 2 kernel_h: 2", (1, 1, 4, 4), "either kernel_size or kernel_h"),
    ("kernel_h: 2", (1, 1, 4, 4), "kernel must be positive"),
    ("kernel_size: 2 pad: 2", (1, 1, 4, 4, 4), "smaller than kernel"),
    ("global_pooling: true kernel_size: 2", (1, 1, 4, 4, 4), "cannot be given"),
    ("global_pooling: true stride: 2", (1, 1, 4, 4, 4), "only pad 0 and stride 1"),
    ("kernel_size: 2 stride: 0", (1, 1, 4, 4, 4), "stride must be positive"),
    ("pool: STOCHASTIC kernel_size: 2 pad: 1", (1, 1, 4, 4, 4), "only for MAX and AVE"),
    ("axis: 4 kernel_size: 2", (1, 1, 4, 4, 4), "no spatial axis after axis 4"),
    ("axis: 5 kernel_size: 2", (1, 1, 4, 4, 4), "out of range"),
])
def test_pooling_nd_errors(body: str, bottom: Shape, match: str) -> None:
    fails(ND % body, bottom, match=match)


def test_pooling_nd_mask_top_follows_pooling_param() -> None:
    two = 'type: "PoolingND" top: "p" top: "m" pooling_nd_param { pool: AVE kernel_size: 2 } %s'
    assert run(two % "", (1, 1, 4, 4, 4)).tops == [(1, 1, 3, 3, 3)] * 2
    fails(two % "pooling_param { pool: AVE }", (1, 1, 4, 4, 4), match="exactly 1 top")


def test_padding_one_axis_clips_both() -> None:
    """BVLC's Reshape clips the last window of both axes once pad_h or pad_w is set: width
    ceil((4 - 1) / 2) + 1 = 3, and (3 - 1) * 2 >= 4 + 0 drops one although pad_w is 0."""
    body = "kernel_h: 3 kernel_w: 1 stride: 2 pad_h: 1 pad_w: 0"
    assert run(POOL % body, (1, 1, 4, 4)).tops == [(1, 1, 3, 2)]
    # without any pad nothing is clipped: 2 = ceil(1 / 2) + 1 rows, 3 columns
    assert run(POOL % "kernel_h: 3 kernel_w: 1 stride: 2", (1, 1, 4, 4)).tops == [(1, 1, 2, 3)]


def test_pooling_below_four_axes_is_still_refused() -> None:
    fails(POOL % "kernel_size: 2", (1, 8, 8), match="4-D")


# --- PriorBox of other forks ------------------------------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures" / "forks"


def prior_count(params: str, fork: str | None = None) -> int:
    layer = caffe_pb2.LayerParameter()
    textformat.parse(f'type: "PriorBox" bottom: "f" bottom: "img" top: "p" '
                     f'prior_box_param {{ {params} }}', layer)
    rule = rule_for("PriorBox")
    assert rule is not None
    top = rule(LayerContext(layer, [(1, 8, 2, 3), (1, 3, 16, 24)], {}, fork=fork)).tops[0]
    assert top is not None and top[:2] == (1, 2) and top[2] % (2 * 3 * 4) == 0
    return top[2] // (2 * 3 * 4)


@pytest.mark.parametrize(("params", "priors"), [
    # zihaozhang9/FaceBoxes: len(ratios) * len(fixed_size) + per density len(ratios)*(d^2-1)
    ("fixed_size: 32 fixed_size: 64 fixed_size: 128 density: 4 density: 2 density: 1",
     3 + 15 + 3 + 0),
    ("fixed_size: 256 density: 1 step: 64", 1),
    ("fixed_size: 32 density: 2 aspect_ratio: 2", 3 + 3 * 3),         # ratios 1, 2, 1/2
    ("fixed_size: 32 density: 2 fixed_ratio: 1 fixed_ratio: 2", 1 + 2 * 3),
    ("fixed_size: 8 density: 1.5", 2),                   # int(1 + 1 * (2.25 - 1)) = 2
    ("min_size: 16 max_size: 32 density: 2", 1 + 3 + 1),  # min_size in place of fixed_size
])
def test_dense_prior_box(params: str, priors: int) -> None:
    assert prior_count(params) == priors


@pytest.mark.parametrize(("params", "match"), [
    ("fixed_size: 32", "fixed_size needs density"),
    ("fixed_size: 32 fixed_size: 64 density: 2", "2 fixed_size but only 1 density"),
    ("fixed_size: 32 density: 1 fixed_ratio: 1 aspect_ratio: 2", "cannot both"),
    ("fixed_size: 32 density: 0", "density must be positive"),
    ("fixed_size: -4 density: 1", "fixed_size must be positive"),
    ("density: 1", "must provide min_size or fixed_size"),
    ("min_size: 16 max_size: 8 density: 1", "must be greater than min_size"),
])
def test_dense_prior_box_errors(params: str, match: str) -> None:
    with pytest.raises(ShapeError, match=match):
        prior_count(params)


def test_textboxes_and_faceboxes_counts() -> None:
    ssd = "min_size: 30 max_size: 60 aspect_ratio: 2 aspect_ratio: 3 flip: false"
    assert prior_count(ssd) == 3 + 1
    assert prior_count(ssd, "textboxes") == 2 * (3 + 1)  # each prior twice, offset half a cell
    three = "min_size: 32 min_size: 64 min_size: 128"
    assert prior_count(three) == 3
    assert prior_count(three, "faceboxes") == 21  # sfzhang15: 16 + 4 + 1 densified anchors
    # its LayerSetUp: the 21 densified anchors plus one prior per max_size
    assert prior_count(three + " max_size: 40 max_size: 80 max_size: 160", "faceboxes") == 21 + 3
    assert prior_count("min_size: 32 min_size: 64", "faceboxes") == 2  # only 3 sizes differ
    assert prior_count(ssd, "happynear") == 4  # a fork without a PriorBox of its own: SSD's
    with pytest.raises(ShapeError, match=r"TextBoxes' PriorBox .* none of step"):
        prior_count(ssd + " step: 8", "textboxes")
    with pytest.raises(ShapeError, match="several min_size"):
        prior_count("min_size: 8 min_size: 16", "textboxes")


def load(name: str, edit: tuple[str, str] = ("", "")) -> pipeline.LoadedNet:
    path = FIXTURES / name
    text = path.read_text(encoding="utf-8").replace(*edit)
    return pipeline.load_net(pipeline.Source(str(path), text))


@pytest.mark.parametrize(("name", "per_cell", "repo"), [
    ("textboxes_priors.prototxt", 4, "MhLiao/TextBoxes"),
    ("faceboxes_priors.prototxt", 21, "sfzhang15/FaceBoxes"),
])
def test_the_net_tells_which_prior_box(name: str, per_cell: int, repo: str) -> None:
    """SSD's count does not fit the predictions, the fork's does: the net is that fork's."""
    result = analysis.analyze(load(name))
    priors = next(r for r in result.layers if r.type == "PriorBox")
    assert priors.tops[0].shape == (1, 2, 2 * 2 * per_cell * 4)  # 2x2 map
    assert not analysis.incomplete(result)
    assert any(repo in w and "PriorBox" in w for w in result.warnings)
    collected = analysis.analyze(load(name), errors="collect")  # lint's mode agrees
    assert [r.error for r in collected.layers] == [None] * len(collected.layers)
    assert next(r for r in collected.layers if r.type == "PriorBox").tops == priors.tops


def test_when_no_prior_box_fits_the_ssd_error_stays() -> None:
    # loc for 3 priors per cell fits neither SSD's 2 nor TextBoxes' 4
    loaded = load("textboxes_priors.prototxt", ("num_output: 16", "num_output: 12"))
    with pytest.raises(ShapeError, match=r"'detection_out'.*8 priors x 1 location classes x 4 "
                                          r"do not match the 48 location predictions"):
        analysis.analyze(loaded)
    result = analysis.analyze(loaded, errors="collect")
    assert "8 priors" in (result.layers[-1].error or "")


def test_a_chosen_fork_is_not_second_guessed() -> None:
    result = analysis.analyze(load("textboxes_priors.prototxt"), fork="textboxes")
    assert not any("PriorBox" in w for w in result.warnings)
    with pytest.raises(ShapeError, match="do not match"):
        analysis.analyze(load("textboxes_priors.prototxt"), fork="faceboxes")


def test_fitting_keeps_the_fork_chosen_for_other_types() -> None:
    """--fork happynear decides a bare Normalize; the net's PriorBox still makes it a TextBoxes
    net. Fitting once replaced the chosen fork, and the Normalize fell back to unknown."""
    norm = 'layer { name: "norm" type: "Normalize" bottom: "feat" top: "norm" }\n'
    text = (FIXTURES / "textboxes_priors.prototxt").read_text(encoding="utf-8") + norm
    loaded = pipeline.load_net(pipeline.Source("textboxes_norm.prototxt", text))
    result = analysis.analyze(loaded, fork="happynear")
    layer = next(r for r in result.layers if r.name == "norm")
    assert layer.ambiguous is None and layer.kind == "normalization"
    assert layer.params == 0  # happynear's Normalize has no blob (SSD's has its scale)
    priors = next(r for r in result.layers if r.type == "PriorBox")
    assert priors.tops[0].shape == (1, 2, 2 * 2 * 4 * 4)  # TextBoxes: 4 per cell
    assert any("MhLiao/TextBoxes" in w for w in result.warnings)
    assert not any("Normalize" in w for w in result.warnings)


# --- darknet's pooling (ChenYingpeng/caffe-yolov3) ----------------------------------------------


@pytest.mark.parametrize(("body", "size", "bvlc", "darknet"), [
    ("kernel_size: 2 stride: 1", 13, 12, 13),          # 2 - 1 odd: ceil(11 / 1) + 1 + 1
    ("kernel_size: 3 stride: 2", 13, 6, 7),            # 3 - 2 odd too: 6 + 1
    ("kernel_size: 2 stride: 2", 13, 7, 7),            # even: as BVLC
    ("kernel_size: 2 stride: 3", 13, 5, 5),            # -1 % 2 is -1 in C++: as BVLC
    ("kernel_size: 2 stride: 1 pad: 1", 13, 14, 14),   # 13 + 1 + 1 = 15, last window clipped
    ("kernel_size: 2 stride: 2 round_mode: FLOOR", 13, 6, 7),  # the fork always rounds up
])
def test_darknet_pooling(body: str, size: int, bvlc: int, darknet: int) -> None:
    layer = caffe_pb2.LayerParameter()
    textformat.parse(POOL % body, layer)
    rule = rule_for("Pooling")
    assert rule is not None
    for fork, side in ((None, bvlc), ("caffe-yolov3", darknet)):
        cost = rule(LayerContext(layer, [(1, 8, size, size)], {}, fork=fork))
        k = 4 if "kernel_size: 2" in body else 9
        assert cost.tops == [(1, 8, side, side)] and cost.ops == 8 * side * side * k


def test_the_net_tells_darknet_pooling() -> None:
    result = analysis.analyze(load("darknet_pool.prototxt"))
    assert [r.tops[0].shape for r in result.layers[1:]] == [(1, 3, 4, 4), (1, 6, 4, 4)]
    assert any("ChenYingpeng/caffe-yolov3 net (its own Pooling)" in w and "Concat" in w
               for w in result.warnings)
    # without the route BVLC's reading loads the net, and stays
    alone = load("darknet_pool.prototxt", ('layer { name: "route"', "# "))
    assert analysis.analyze(alone).layers[-1].tops[0].shape == (1, 3, 3, 3)


# --- PSROIPooling (R-FCN) -------------------------------------------------------------------

PSROI = 'type: "PSROIPooling" top: "t" psroi_pooling_param { %s }'


def test_psroi_pooling() -> None:
    cost = run(PSROI % "spatial_scale: 0.0625 output_dim: 21 group_size: 7",
               (1, 21 * 49, 38, 50), (300, 5))
    assert cost.tops == [(300, 21, 7, 7)] and cost.params == [] and cost.macs == 0
    assert cost.data_dependent and cost.ops is None and cost.kind == "pooling"
    # legacy accessors: a 4-D rois blob [R, 5, 1, 1] is read by its num too
    assert run(PSROI % "spatial_scale: 1 output_dim: 8 group_size: 1", (1, 8, 4, 4),
               (128, 5, 1, 1)).tops == [(128, 8, 1, 1)]


@pytest.mark.parametrize(("body", "bottoms", "match"), [
    ("output_dim: 2 group_size: 3", 2, "needs spatial_scale"),
    ("spatial_scale: 1", 2, "needs output_dim, group_size"),
    ("spatial_scale: 1 output_dim: 0 group_size: 3", 2, "must be > 0"),
    ("spatial_scale: 1 output_dim: 2 group_size: -1", 2, "must be > 0"),
    ("spatial_scale: 1 output_dim: 3 group_size: 3", 2, r"input channels 18 .* = 27"),
    ("spatial_scale: 1 output_dim: 2 group_size: 3", 1, "exactly 2 bottom"),
])
def test_psroi_pooling_errors(body: str, bottoms: int, match: str) -> None:
    fails(PSROI % body, *[(1, 18, 4, 4), (10, 5)][:bottoms], match=match)


def test_rfcn_head_net() -> None:
    result = analysis.analyze(load("rfcn_head.prototxt"))
    shapes = {r.name: r.tops[0].shape for r in result.layers}
    assert shapes["psroipooled_cls_rois"] == (300, 2, 3, 3)
    assert shapes["cls_prob"] == (300, 2, 1, 1)
    assert not analysis.incomplete(result)  # data-dependent ops do not count


# --- Region (YOLOv2, quhezheng/caffe_yolo_v2) -------------------------------------------------

REGION = ('type: "Region" bottom: "x" top: "r" region_param { classes: 20 coords: 4 '
          'boxes_of_each_grid: 5 softmax: true }')


def test_region() -> None:
    cost = run(REGION, (1, 125, 13, 13))
    assert cost.tops == [(1, 125, 13, 13)] and cost.params == [] and cost.macs == 0
    # the fork never sets its softmax_ flag from the field: whether the softmax runs is unknown
    assert cost.ops is None and not cost.data_dependent
    assert run(REGION, (2, 425)).tops == [(2, 425, 1, 1)]  # legacy num/channels/height/width
    fails(REGION.replace('top: "r"', 'top: "x"'), (1, 125, 13, 13), match="in place")
    fails(REGION, (1, 125, 13, 13), (1, 1), match="exactly 1 bottom")


def test_targets_refuse_the_dense_prior_box_fields() -> None:
    """No converter's caffe.proto has zihaozhang9/FaceBoxes' fields (lint T004)."""
    text = ('input: "data" input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }\n'
            'layer { name: "p" type: "PriorBox" bottom: "data" bottom: "data" top: "p"\n'
            '  prior_box_param { fixed_size: 4 density: 2 } }\n')
    found = lint_source(pipeline.Source("dense.prototxt", text), LintConfig(),
                        LintOptions(targets=("ncnn",)))
    t004 = [f for f in found if f.code == "T004"]
    assert len(t004) == 2 and all("zihaozhang9/FaceBoxes" in f.message for f in t004)


# --- DetectionOutput of the YOLOv2 forks (gklz1982/caffe-yolov2, quhezheng/caffe_yolo_v2) ------

YOLO_OUT = 'type: "DetectionOutput" top: "d" detection_output_param { %s }'


@pytest.mark.parametrize("body", [
    "num_classes: 20 coords: 4 confidence_threshold: 0.6 biases: 0.73 biases: 0.87",  # gklz1982
    "side: 13 classes: 80 num_box: 5 nms_threshold: 0.45 label_map_file: '/etc/passwd'",
    "num_classes: 20",  # one bottom: not SSD's (3 or 4)
])
def test_yolo_detection_output(body: str) -> None:
    cost = run(YOLO_OUT % body, (1, 125, 13, 13))
    assert cost.tops == [None] and cost.data_dependent and cost.ops is None
    assert cost.params == [] and cost.macs == 0 and cost.kind == "detection"


@pytest.mark.parametrize(("body", "bottoms", "match"), [
    ("coords: 4", [(1, 125, 13, 13)], "needs num_classes .* or classes"),
    ("num_classes: 2 classes: 2 side: 13", [(1, 35, 13, 13)], "classes and num_classes"),
    ("num_classes: 2 biases: 1 keep_top_k: 10", [(1, 35, 13, 13)], "mixes .* keep_top_k"),
    ("num_classes: 2 coords: 4", [(2, 35, 13, 13)], "one image .* got 2"),
    # SSD's own fields and 2 bottoms: SSD's layer, which takes 3 or 4
    ("num_classes: 2 share_location: true", [(1, 8), (1, 4)], "at least 3 bottom"),
])
def test_yolo_detection_output_errors(body: str, bottoms: list[Shape], match: str) -> None:
    fails(YOLO_OUT % body, *bottoms, match=match)


def test_textboxes_pp() -> None:
    """denser_prior_boxes doubles the priors; the polygon locations (12 per prior, the fork's
    default use_polygon) make SSD's reading fail, so the net is read as TextBoxes++'s."""
    result = analysis.analyze(load("textboxes_pp.prototxt"))
    priors = next(r for r in result.layers if r.type == "PriorBox")
    assert priors.tops[0].shape == (1, 2, 2 * 2 * 4 * 4)
    assert not analysis.incomplete(result)
    assert any("MhLiao/TextBoxes_plusplus net (its own DetectionOutput)" in w
               for w in result.warnings)
    # written, use_polygon tells by itself; false means rotated boxes, 9 values per prior
    said = load("textboxes_pp.prototxt", ("keep_top_k: 50", "keep_top_k: 50 use_polygon: true"))
    assert not analysis.analyze(said).warnings
    rbox = load("textboxes_pp.prototxt", ("keep_top_k: 50", "keep_top_k: 50 use_polygon: false"))
    with pytest.raises(ShapeError, match="16 priors x 1 location classes x 9 do not match "
                                         "the 192"):
        analysis.analyze(rbox)
    chosen = analysis.analyze(load("textboxes_pp.prototxt"), fork="textboxes++")
    assert not chosen.warnings and not analysis.incomplete(chosen)
