"""Rules for the detection fork layers (SSD's Normalize, Permute, PriorBox, DetectionOutput and
Fast R-CNN's ROIPooling); expected figures are hand-computed from the forks' formulas."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf import text_format

from prototxt_tool import caffe_pb2
from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, Shape, UnknownShape, rule_for


def run(text: str, *bottoms: Shape | None) -> LayerCost:
    layer = text_format.Parse(text, caffe_pb2.LayerParameter())
    rule = rule_for(layer.type)
    assert rule is not None, layer.type
    return rule(LayerContext(layer, list(bottoms)))


def fails(text: str, *bottoms: Shape | None, match: str) -> None:
    with pytest.raises(ShapeError, match=match):
        run(text, *bottoms)


# --- Normalize ---------------------------------------------------------------------------


def test_normalize_channel_shared_by_default_is_a_scalar() -> None:
    cost = run('type: "Normalize" top: "n" norm_param { }', (1, 512, 38, 38))
    assert cost.tops == [(1, 512, 38, 38)]
    assert cost.params == [()]  # a 0-axis blob: one value
    assert cost.ops == 4 * 512 * 38 * 38
    assert cost.kind == "normalization"


def test_normalize_per_channel_scale() -> None:
    text = 'type: "Normalize" top: "n" norm_param { across_spatial: false channel_shared: false }'
    cost = run(text, (2, 64, 5, 5))
    assert cost.params == [(64,)]
    assert run(text, (3, 10)).tops == [(3, 10)]


def test_normalize_errors() -> None:
    fails('type: "Normalize" top: "n" norm_param { }', (10,), match="at least 2 axes")
    fails('type: "Normalize" top: "n" norm_param { }', (1, 2, 3, 4, 5), match="at most 4 axes")


# --- Permute -----------------------------------------------------------------------------

PERMUTE = 'type: "Permute" top: "p" permute_param {{ {} }}'


@pytest.mark.parametrize(("orders", "top"), [
    ("order: 0 order: 2 order: 3 order: 1", (1, 38, 37, 16)),
    ("order: 0 order: 2", (1, 38, 16, 37)),   # unlisted axes 1, 3 follow in order
    ("order: 3", (37, 1, 16, 38)),
    ("", (1, 16, 38, 37)),
])
def test_permute(orders: str, top: Shape) -> None:
    cost = run(PERMUTE.format(orders), (1, 16, 38, 37))
    assert cost.tops == [top]
    assert cost.ops == 0 and cost.kind == "reshape"


def test_permute_errors() -> None:
    fails(PERMUTE.format("order: 0 order: 0"), (1, 2, 3), match="given twice")
    fails(PERMUTE.format("order: 3"), (1, 2, 3), match="not less than")


# --- PriorBox ----------------------------------------------------------------------------

PRIOR = 'type: "PriorBox" top: "pb" prior_box_param {{ {} }}'


@pytest.mark.parametrize(("params", "num_priors"), [
    ("min_size: 30", 1),
    ("min_size: 30 max_size: 60 aspect_ratio: 2", 4),                 # [1, 2, 1/2] + max
    ("min_size: 60 max_size: 111 aspect_ratio: 2 aspect_ratio: 3", 6),  # [1, 2, 1/2, 3, 1/3] + 1
    ("min_size: 30 aspect_ratio: 2 flip: false", 2),                  # [1, 2]
    ("min_size: 30 aspect_ratio: 1 aspect_ratio: 2", 3),              # 1 is always there
    ("min_size: 30 aspect_ratio: 2 aspect_ratio: 0.5", 3),            # 0.5 = 1/2 already
    ("min_size: 30 aspect_ratio: 2 aspect_ratio: 2.0000005", 3),      # within 1e-6 of 2
    # float32(1 / float32(0.333333)) = 3.0000031 is 3.1e-6 away from 3: both stay,
    # and the reciprocal of 3 is appended without a duplicate check.
    ("min_size: 30 aspect_ratio: 0.333333 aspect_ratio: 3", 5),
    ("min_size: 30 min_size: 60 max_size: 60 max_size: 90 aspect_ratio: 2", 8),  # 3 * 2 + 2
])
def test_prior_box_count(params: str, num_priors: int) -> None:
    cost = run(PRIOR.format(params), (1, 512, 38, 19), (1, 3, 300, 300))
    assert cost.tops == [(1, 2, 38 * 19 * num_priors * 4)]
    assert cost.params == [] and cost.ops == 0 and cost.kind == "detection"


def test_prior_box_image_shape_is_not_needed() -> None:
    cost = run(PRIOR.format("min_size: 30 img_size: 300 step: 8"), (1, 8, 3, 3), None)
    assert cost.tops == [(1, 2, 36)]


def test_prior_box_three_d_feature_map_reads_legacy_axes() -> None:
    # height() of a 3-D blob is its axis 2, width() a missing axis 3 read as 1.
    assert run(PRIOR.format("min_size: 30"), (1, 8, 5), None).tops == [(1, 2, 20)]


@pytest.mark.parametrize(("params", "match"), [
    ("", "must provide min_size"),
    ("min_size: 0", "min_size must be positive"),
    ("min_size: 30 max_size: 30", "must be greater than min_size"),
    ("min_size: 30 min_size: 40 max_size: 50", "2 min_size but 1 max_size"),
    ("min_size: 30 variance: 0.1 variance: 0.2", "1 or 4 variance"),
    ("min_size: 30 variance: 0", "variance must be positive"),
    ("min_size: 30 img_size: 300 img_h: 300", "either img_size or img_h/img_w"),
    ("min_size: 30 img_h: 300", "img_w must be larger than 0"),
    ("min_size: 30 step: 0", "step must be larger than 0"),
    ("min_size: 30 step: 8 step_w: 8", "either step or step_h/step_w"),
])
def test_prior_box_errors(params: str, match: str) -> None:
    fails(PRIOR.format(params), (1, 8, 3, 3), (1, 3, 300, 300), match=match)


def test_prior_box_needs_the_image_bottom() -> None:
    fails(PRIOR.format("min_size: 30"), (1, 8, 3, 3), match="takes exactly 2 bottom")


# --- DetectionOutput ---------------------------------------------------------------------

DETECT = ('type: "DetectionOutput" top: "det" '
          'detection_output_param {{ num_classes: 21 {} }}')
LOC, CONF, PRIORS = (1, 1917 * 4), (1, 1917 * 21), (1, 2, 1917 * 4)


def test_detection_output_top_is_unknown() -> None:
    cost = run(DETECT.format(""), LOC, CONF, PRIORS)
    assert cost.tops == [None]
    assert cost.macs == 0 and cost.ops is None
    assert cost.kind == "detection"


def test_detection_output_per_class_locations() -> None:
    loc = (1, 1917 * 21 * 4)
    assert run(DETECT.format("share_location: false"), loc, CONF, PRIORS).tops == [None]
    fails(DETECT.format("share_location: false"), LOC, CONF, PRIORS,
          match="1917 priors x 21 location classes")


@pytest.mark.parametrize(("params", "loc", "conf", "match"), [
    ("", (1, 7664), CONF, "1917 priors x 1 location classes x 4"),
    ("", LOC, (1, 1917 * 20), "1917 priors x 21 classes"),
    ("", LOC, (2, 1917 * 21), "differ in num"),
    ("nms_param { nms_threshold: -0.1 }", LOC, CONF, "non negative"),
    ("nms_param { eta: 0 }", LOC, CONF, "eta"),
    ("nms_param { eta: 1.5 }", LOC, CONF, "eta"),
])
def test_detection_output_errors(params: str, loc: Shape, conf: Shape, match: str) -> None:
    fails(DETECT.format(params), loc, conf, PRIORS, match=match)


def test_detection_output_needs_num_classes() -> None:
    fails('type: "DetectionOutput" top: "det"', LOC, CONF, PRIORS, match="num_classes")


def test_detection_output_never_touches_named_files(tmp_path: Path) -> None:
    out = tmp_path / "must_not_be_created"
    text = DETECT.format(f'save_output_param {{ output_directory: "{out}" '
                         f'label_map_file: "{tmp_path / "missing.prototxt"}" '
                         f'name_size_file: "{tmp_path / "missing.txt"}" }}')
    assert run(text, LOC, CONF, PRIORS).tops == [None]
    assert not out.exists()


def test_detection_output_unknown_bottom() -> None:
    with pytest.raises(UnknownShape):
        run(DETECT.format(""), LOC, None, PRIORS)


# --- ROIPooling --------------------------------------------------------------------------

ROI = 'type: "ROIPooling" top: "pool5" roi_pooling_param {{ {} }}'


def test_roi_pooling() -> None:
    cost = run(ROI.format("pooled_w: 7 pooled_h: 6 spatial_scale: 0.0625"),
               (1, 512, 14, 14), (300, 5))
    assert cost.tops == [(300, 512, 6, 7)]
    assert cost.params == [] and cost.ops is None and cost.kind == "pooling"
    assert run(ROI.format("pooled_w: 2 pooled_h: 2"), (1, 3, 4, 4), (8, 5, 1, 1)).tops == [
        (8, 3, 2, 2)]


def test_roi_pooling_errors() -> None:
    fails(ROI.format("pooled_w: 7"), (1, 512, 14, 14), (300, 5), match="must be > 0")
    fails(ROI.format("pooled_w: 7 pooled_h: 7"), (1, 512, 14, 14), (300, 4),
          match="5 values per region")
    fails(ROI.format("pooled_w: 7 pooled_h: 7"), (1, 512, 14, 14), match="takes exactly 2 bottom")


def test_roi_pooling_unknown_rois() -> None:
    with pytest.raises(UnknownShape):
        run(ROI.format("pooled_w: 7 pooled_h: 7"), (1, 512, 14, 14), None)


# --- SmoothL1Loss ------------------------------------------------------------------------

SMOOTH_L1 = 'type: "SmoothL1Loss" top: "loss"'


def test_smooth_l1_loss() -> None:
    box = (2, 36, 14, 14)
    cost = run(SMOOTH_L1, box, box)
    assert cost.tops == [()]
    assert cost.ops == 3 * 2 * 36 * 14 * 14
    assert cost.kind == "loss"
    assert run(SMOOTH_L1, box, box, box, box).ops == 5 * 2 * 36 * 14 * 14
    # channels/height/width are compared through the legacy accessors: 128 x 84 == 128 x 84 x 1
    assert run(SMOOTH_L1, (128, 84), (128, 84, 1), (128, 84), (128, 84)).tops == [()]


@pytest.mark.parametrize(("bottoms", "match"), [
    (((2, 36, 14, 14), (2, 36, 14, 14), (2, 36, 14, 14)), "both inside and outside"),
    (((2, 36, 14, 14), (1, 36, 14, 14)), "first dimension"),
    (((2, 36, 14, 14), (2, 36, 14, 13)), "channels, height and width"),
    (((2, 36, 14, 14), (2, 36, 14, 14), (2, 36, 14, 14), (2, 4, 14, 14)), "channels"),
])
def test_smooth_l1_loss_errors(bottoms: tuple[Shape, ...], match: str) -> None:
    fails(SMOOTH_L1, *bottoms, match=match)


# --- AnnotatedData -----------------------------------------------------------------------

ANNOTATED = ('type: "AnnotatedData" top: "data" top: "label" data_param {{ batch_size: 8 }} '
             'transform_param {{ {} }}')
WARP = "resize_param { resize_mode: WARP height: 240 width: 320 }"


def run_with(text: str, overrides: dict[str, Shape]) -> LayerCost:
    layer = text_format.Parse(text, caffe_pb2.LayerParameter())
    rule = rule_for(layer.type)
    assert rule is not None
    return rule(LayerContext(layer, [], overrides))


def test_annotated_data_size_from_resize_param_channels_from_the_user() -> None:
    from prototxt_tool.errors import InputShapeNeeded

    with pytest.raises(InputShapeNeeded, match=r"batch_size 8 and resize_param 240x320 known, "
                                               r"channels not; pass --input-shape "
                                               r"data=8,C,240,320"):
        run(ANNOTATED.format(WARP))
    cost = run_with(ANNOTATED.format(WARP), {"data": (-1, 3, -1, -1)})
    assert cost.tops == [(8, 3, 240, 320), None]  # the label rows depend on the boxes
    assert cost.kind == "input" and cost.ops == 0


def test_annotated_data_known_channels_crop_and_label_override() -> None:
    text = ANNOTATED.format(f"force_color: true crop_size: 200 {WARP}")
    assert run(text).tops == [(8, 3, 200, 200), None]
    cost = run_with(text, {"label": (1, 1, 5, 8)})
    assert cost.tops[1] == (1, 1, 5, 8)
    grey = ANNOTATED.format("force_gray: true resize_param { height: 300 width: 300 }")
    assert run(grey).tops[0] == (8, 1, 300, 300)


def test_annotated_data_unknown_sizes() -> None:
    from prototxt_tool.errors import InputShapeNeeded

    # FIT_SMALL_SIZE keeps each image's aspect ratio; no resize at all keeps its size.
    fit = ANNOTATED.format("force_color: true resize_param { resize_mode: FIT_SMALL_SIZE "
                           "height: 300 width: 300 }").replace("batch_size: 8", "batch_size: 1")
    with pytest.raises(InputShapeNeeded, match="height, width not"):
        run(fit)
    with pytest.raises(InputShapeNeeded, match="height, width not"):
        run(ANNOTATED.format("force_color: true"))


def test_annotated_data_errors() -> None:
    fails(ANNOTATED.format("resize_param { resize_mode: FIT_SMALL_SIZE height: 3 width: 3 }"),
          match="FIT_SMALL_SIZE supports batch_size 1 only, got 8")
    fails(ANNOTATED.format(f"crop_size: 400 {WARP}"), match="larger than the resized image")
    fails('type: "AnnotatedData" top: "data" bottom: "x"', (1,), match="bottom")


# --- MultiBoxLoss ------------------------------------------------------------------------

MULTIBOX = ('type: "MultiBoxLoss" bottom: "loc" bottom: "conf" bottom: "prior" '
            'bottom: "label" top: "loss" multibox_loss_param {{ {} }}')
# 10 priors (the prior blob's height / 4), 21 classes, shared locations.
MB_LOC, MB_CONF, MB_PRIORS, MB_GT = (2, 40), (2, 210), (1, 2, 40), (1, 1, 3, 8)


def test_multibox_loss_is_a_scalar_and_accepts_unknown_ground_truth() -> None:
    cost = run(MULTIBOX.format("num_classes: 21"), MB_LOC, MB_CONF, MB_PRIORS, MB_GT)
    assert cost.tops == [()] and cost.kind == "loss"
    assert cost.ops is None  # matching depends on the boxes
    assert run(MULTIBOX.format("num_classes: 21"), MB_LOC, MB_CONF, MB_PRIORS, None).tops == [()]
    unshared = MULTIBOX.format("num_classes: 21 share_location: false mining_type: NONE")
    assert run(unshared, (2, 840), MB_CONF, MB_PRIORS, MB_GT).tops == [()]


def test_multibox_loss_unknown_predictions_are_unknown() -> None:
    with pytest.raises(UnknownShape):
        run(MULTIBOX.format("num_classes: 21"), None, MB_CONF, MB_PRIORS, MB_GT)


@pytest.mark.parametrize(("params", "bottoms", "match"), [
    ("", (MB_LOC, MB_CONF, MB_PRIORS, MB_GT), "must provide num_classes"),
    ("num_classes: 0", (MB_LOC, MB_CONF, MB_PRIORS, MB_GT), "not be less than 1"),
    ("num_classes: 21 background_label_id: 21", (MB_LOC, MB_CONF, MB_PRIORS, MB_GT),
     r"within \[0, 21\) for Softmax"),
    ("num_classes: 21 share_location: false", (MB_LOC, MB_CONF, MB_PRIORS, MB_GT),
     "negative mining needs share_location"),
    ("num_classes: 21 do_neg_mining: false", (MB_LOC, MB_CONF, MB_PRIORS, MB_GT), "contradicts"),
    ("num_classes: 21", ((2, 44), MB_CONF, MB_PRIORS, MB_GT), "do not match the 44 location"),
    ("num_classes: 21", (MB_LOC, (2, 200), MB_PRIORS, MB_GT), "do not match the 200 confidence"),
    ("num_classes: 21", (MB_LOC, (3, 210), MB_PRIORS, MB_GT), "differ in num"),
])
def test_multibox_loss_errors(params: str, bottoms: tuple[Shape, ...], match: str) -> None:
    fails(MULTIBOX.format(params), *bottoms, match=match)


def test_multibox_loss_needs_four_bottoms() -> None:
    fails(MULTIBOX.format("num_classes: 21"), MB_LOC, MB_CONF, MB_PRIORS, match="bottom")


# --- DetectionEvaluate -------------------------------------------------------------------

EVALUATE = ('type: "DetectionEvaluate" bottom: "det" bottom: "label" top: "eval" '
            'detection_evaluate_param {{ {} }}')


def test_detection_evaluate_top_depends_on_the_detections() -> None:
    cost = run(EVALUATE.format("num_classes: 21"), None, None)
    assert cost.tops == [None] and cost.ops is None and cost.kind == "detection"
    assert run(EVALUATE.format("num_classes: 21"), (1, 1, 100, 7), (1, 1, 4, 8)).tops == [None]


@pytest.mark.parametrize(("params", "bottoms", "match"), [
    ("", (None, None), "must provide num_classes"),
    ("num_classes: 3 overlap_threshold: 0", (None, None), "overlap_threshold must be positive"),
    ("num_classes: 3", ((1, 1, 100, 6), None), r"detections \[1, 1, 100, 6\] must be"),
    ("num_classes: 3", (None, (2, 1, 4, 8)), r"ground truth \[2, 1, 4, 8\] must be"),
    ("num_classes: 3", (None,), "bottom"),
])
def test_detection_evaluate_errors(params: str, bottoms: tuple[Shape | None, ...],
                                   match: str) -> None:
    fails(EVALUATE.format(params), *bottoms, match=match)
