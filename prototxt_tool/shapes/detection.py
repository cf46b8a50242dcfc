"""Shape and cost rules for the detection forks: SSD (weiliu89/caffe, branch ssd) and
Fast/Faster R-CNN (rbgirshick/caffe-fast-rcnn).

Each rule follows the fork's Reshape()/LayerSetUp(), CHECKs included; see the docstrings for
the file. Parameters these layers merely carry (label map files, output directories) are
never opened: a prototxt is untrusted input.
"""

from __future__ import annotations

import math
from typing import Any

from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, Shape, register
from prototxt_tool.shapes._util import blob_counts, float32, fmt, legacy_dim, legacy_nchw
from prototxt_tool.shapes.data import NCHW, Known, resolve

# --- Normalize -------------------------------------------------------------------------------

# Square, accumulate, divide by the norm, multiply by the learned scale.
NORMALIZE_OPS_PER_ELEMENT = 4


def normalize(ctx: LayerContext) -> LayerCost:
    """L2 normalization of SSD (weiliu89/caffe, src/caffe/layers/normalize_layer.cpp);
    registered through shared.py (happynear's Normalize has the same type name).

    Top like bottom (at least 2 axes). One learned scale blob: a 0-axis scalar when
    channel_shared (the default), else [C]; across_spatial only changes what is summed.
    """
    blob_counts(ctx, bottoms=(1, 1), tops=(1, 1))
    shape = ctx.bottom(0)
    if len(shape) < 2:
        raise ShapeError(f"Normalize needs a bottom of at least 2 axes, got {list(shape)}")
    channels = legacy_dim(shape, 1)
    scale: Shape = () if ctx.layer.norm_param.channel_shared else (channels,)
    return LayerCost(tops=[shape], params=[scale],
                     ops=NORMALIZE_OPS_PER_ELEMENT * math.prod(shape), kind="normalization")


# --- Permute ---------------------------------------------------------------------------------


@register("Permute")
def permute(ctx: LayerContext) -> LayerCost:
    """Axis transpose of SSD (weiliu89/caffe, src/caffe/layers/permute_layer.cpp).

    The listed `order` axes come first, then the unlisted ones in their original order
    (so `order: 0 order: 2` on N x C x H x W gives N x H x C x W). A copy, 0 ops.
    """
    blob_counts(ctx, bottoms=(1, 1), tops=(1, 1))
    shape = ctx.bottom(0)
    orders: list[int] = []
    for order in ctx.layer.permute_param.order:
        if order >= len(shape):
            raise ShapeError(f"permute order {order} is not less than the bottom's "
                             f"{len(shape)} axes {list(shape)}")
        if order in orders:
            raise ShapeError(f"permute order {order} is given twice")
        orders.append(order)
    orders += [axis for axis in range(len(shape)) if axis not in orders]
    return LayerCost(tops=[tuple(shape[axis] for axis in orders)], ops=0, kind="reshape")


# --- PriorBox --------------------------------------------------------------------------------

# Forks that register their own PriorBox with another count of priors per cell. The one of
# zihaozhang9/FaceBoxes has fields of its own (fixed_size, fixed_ratio, density); the two below
# read the very fields SSD's does, so only the net tells them apart (analysis.analyze tries
# them when SSD's reading does not load the net, see `prior_box_forks`).
TEXTBOXES, FACEBOXES = "textboxes", "faceboxes"
TEXTBOXES_PP = "textboxes++"  # MhLiao/TextBoxes_plusplus
_DENSE_FIELDS = ("fixed_size", "fixed_ratio", "density")
# MhLiao/TextBoxes src/caffe/proto/caffe.proto: PriorBoxParameter has only these, min_size and
# max_size optional (one value each).
_TEXTBOXES_FIELDS = frozenset({"min_size", "max_size", "aspect_ratio", "flip", "clip",
                               "variance"})


@register("PriorBox")
def prior_box(ctx: LayerContext) -> LayerCost:
    """Default boxes of SSD (weiliu89/caffe, src/caffe/layers/prior_box_layer.cpp) and of the
    forks that change their number (`prior_box_count`).

    Bottoms: the feature map and the image (only its size is read, in Forward). Top
    [1, 2, H * W * num_priors * 4]: box corners, then their variances. SSD's num_priors is
    (distinct aspect ratios incl. 1 and, with flip, the reciprocals) * len(min_size)
    + len(max_size). The boxes do not depend on the data: 0 ops.
    """
    blob_counts(ctx, bottoms=(2, 2), tops=(1, 1))
    p = ctx.layer.prior_box_param
    num_priors = prior_box_count(p, ctx.read_as)
    _check_prior_box_fields(p)
    _, _, height, width = legacy_nchw(ctx.bottom(0))
    length = width * height * num_priors * 4
    if length <= 0:
        raise ShapeError(f"feature map {height}x{width} gives no prior boxes")
    return LayerCost(tops=[(1, 2, length)], ops=0, kind="detection")


def prior_box_count(p: Any, fork: str | None = None) -> int:
    """Priors per feature-map cell, as the fork whose PriorBox reads the layer counts them:
    zihaozhang9/FaceBoxes' when it sets one of its own fields, else `fork`'s if it is
    TEXTBOXES or FACEBOXES, else SSD's."""
    if any(getattr(p, name) for name in _DENSE_FIELDS):
        return _dense_priors(p)
    if p.denser_prior_boxes:
        # MhLiao/TextBoxes_plusplus src/caffe/layers/prior_box_layer.cpp, LayerSetUp: SSD's
        # count, doubled (each prior also half a cell lower, as in TextBoxes).
        return 2 * _num_priors(p)
    if fork == TEXTBOXES:
        return _textboxes_priors(p)
    if fork == FACEBOXES and len(p.min_size) == 3:
        # sfzhang15/FaceBoxes src/caffe/layers/prior_box_layer.cpp, LayerSetUp: three
        # min_size values stand for the densified 32/64/128 anchors, 16 + 4 + 1 boxes.
        _num_priors(p)  # the same checks
        return 21 + len(p.max_size)
    return _num_priors(p)


def prior_box_forks(layers: Any) -> list[tuple[str, str]]:
    """The forks (TEXTBOXES, FACEBOXES) whose Caffe could load every PriorBox of `layers` and
    would count another number of priors for at least one of them, with what they redefine:
    what analysis tries when SSD's reading does not load the net."""
    boxes = [layer.prior_box_param for layer in layers if layer.type == "PriorBox"]
    if not boxes or any(any(getattr(p, n) for n in _DENSE_FIELDS) for p in boxes):
        return []
    if any(p.denser_prior_boxes for p in boxes):
        return [(TEXTBOXES_PP, "DetectionOutput")]  # the field tells the fork
    forks = []
    if all(_textboxes_can_read(p) for p in boxes):
        forks.append((TEXTBOXES, "PriorBox"))
    if any(len(p.min_size) == 3 and len(_aspect_ratios(p)) != 7 for p in boxes):
        forks.append((FACEBOXES, "PriorBox"))
    return forks


def _textboxes_can_read(p: Any) -> bool:
    return (len(p.min_size) <= 1 and len(p.max_size) <= 1 and not p.denser_prior_boxes
            and all(f.name in _TEXTBOXES_FIELDS for f, _ in p.ListFields()))


def _textboxes_priors(p: Any) -> int:
    """MhLiao/TextBoxes src/caffe/layers/prior_box_layer.cpp, LayerSetUp: one min_size (and
    at most one max_size); every prior is laid twice, the copy half a cell lower (Forward's
    center_y_offset_1), so num_priors = 2 * (len(ratios) + has max_size)."""
    if not _textboxes_can_read(p):
        extra = sorted({f.name for f, _ in p.ListFields()} - _TEXTBOXES_FIELDS)
        raise ShapeError("MhLiao/TextBoxes' PriorBox takes one min_size and one max_size and "
                         "none of " + ", ".join(extra or ["several min_size/max_size"]))
    return 2 * _num_priors(p)


def _dense_priors(p: Any) -> int:
    """zihaozhang9/FaceBoxes src/caffe/layers/prior_box_layer.cpp, LayerSetUp: len(ratios) *
    len(fixed_size) (or * len(min_size) without fixed_size), then per density d
    len(fixed_ratio or ratios) * (d^2 - 1) more, added as a double to the int count (so a
    fractional result is truncated), then one per max_size."""
    for name in ("min_size", "fixed_size", "density"):
        _positive(p, name)
    if p.fixed_size and not p.density:
        raise ShapeError("prior_box_param: fixed_size needs density")
    if len(p.density) < len(p.fixed_size):
        # Forward reads density[i] for each fixed_size[i]: the fork reads past its list.
        raise ShapeError(f"prior_box_param has {len(p.fixed_size)} fixed_size but only "
                         f"{len(p.density)} density values")
    if p.fixed_ratio and p.aspect_ratio:
        raise ShapeError("prior_box_param: fixed_ratio and aspect_ratio cannot both be given")
    if not p.min_size and not p.fixed_size:
        raise ShapeError("prior_box_param must provide min_size or fixed_size")
    ratios = _aspect_ratios(p)
    sizes = p.fixed_size or p.min_size
    num_priors = len(ratios) * len(sizes)
    per_density = len(p.fixed_ratio) if p.fixed_ratio else len(ratios)
    for density in p.density:
        num_priors = int(num_priors + per_density * (float(density) ** 2 - 1))
    return num_priors + _max_sizes(p)


def _num_priors(p: Any) -> int:
    if not p.min_size:
        raise ShapeError("prior_box_param must provide min_size")
    _positive(p, "min_size")
    ratios = _aspect_ratios(p)
    num_priors = len(ratios) * len(p.min_size)
    return num_priors + _max_sizes(p)


def _positive(p: Any, name: str) -> None:
    for value in getattr(p, name):
        if value <= 0:
            raise ShapeError(f"prior_box_param {name} must be positive, got {value:g}")


def _max_sizes(p: Any) -> int:
    """One more prior per max_size, paired with the min_size of the same index."""
    if p.max_size:
        if len(p.max_size) != len(p.min_size):
            raise ShapeError(f"prior_box_param has {len(p.min_size)} min_size but "
                             f"{len(p.max_size)} max_size")
        for low, high in zip(p.min_size, p.max_size, strict=True):
            if high <= low:
                raise ShapeError(f"max_size {high:g} must be greater than min_size {low:g}")
    return len(p.max_size)


def _aspect_ratios(p: Any) -> list[float]:
    """The fork's list: 1, then each new ratio (and its float reciprocal if flip); a ratio
    within 1e-6 of one already listed, reciprocals included, is skipped."""
    ratios = [1.0]
    for ratio in p.aspect_ratio:
        if any(abs(ratio - known) < 1e-6 for known in ratios):
            continue
        ratios.append(ratio)
        if p.flip:
            ratios.append(float32(1.0 / ratio) if ratio else math.inf)
    return ratios


def _check_prior_box_fields(p: Any) -> None:
    if len(p.variance) > 1 and len(p.variance) != 4:
        raise ShapeError(f"prior_box_param needs 1 or 4 variance values, got {len(p.variance)}")
    if any(v <= 0 for v in p.variance):
        raise ShapeError("prior_box_param variance must be positive")
    _check_pair(p, "img_size", "img_h", "img_w")
    _check_pair(p, "step", "step_h", "step_w")


def _check_pair(p: Any, single: str, first: str, second: str) -> None:
    """img_size vs img_h/img_w (and step vs step_h/step_w): one form, positive values."""
    if p.HasField(first) or p.HasField(second):
        if p.HasField(single):
            raise ShapeError(f"prior_box_param: give either {single} or {first}/{second}, "
                             "not both")
        names = (first, second)
    elif p.HasField(single):
        names = (single,)
    else:
        return
    for name in names:
        if getattr(p, name) <= 0:
            raise ShapeError(f"prior_box_param {name} must be larger than 0")


# --- DetectionOutput -------------------------------------------------------------------------


@register("DetectionOutput")
def detection_output(ctx: LayerContext) -> LayerCost:
    """Decoding + NMS of SSD (weiliu89/caffe, src/caffe/layers/detection_output_layer.cpp).

    The number of detections is known only after the forward pass (Caffe shows a placeholder
    1 x 1 x 1 x 7 until then), so the top and the cost are unknown. The bottoms are still
    checked as the fork does: loc channels == num_priors * num_loc_classes * 4 and conf
    channels == num_priors * num_classes, num_priors being the prior blob's height / 4.
    """
    p = ctx.layer.detection_output_param
    written = {f.name for f, _ in p.ListFields()}
    if written & _YOLO_OUTPUT_FIELDS or (len(ctx.bottoms) < 3
                                         and not written & _SSD_OUTPUT_FIELDS):
        return _yolo_detection_output(ctx, p, written)
    blob_counts(ctx, bottoms=(3, 4), tops=(1, 1))
    if not p.HasField("num_classes"):
        raise ShapeError("detection_output_param must specify num_classes")
    nms = p.nms_param
    if nms.nms_threshold < 0:
        raise ShapeError(f"nms_threshold must be non negative, got {nms.nms_threshold:g}")
    if not 0 < nms.eta <= 1:
        raise ShapeError(f"nms_param eta must be in (0, 1], got {nms.eta:g}")
    _check_detection_bottoms(ctx, p, _loc_values(ctx, p))
    return LayerCost(tops=[None], macs=0, ops=None, kind="detection", data_dependent=True)


def _loc_values(ctx: LayerContext, p: Any) -> int:
    """Location values per prior: SSD's 4, or in a MhLiao/TextBoxes_plusplus net
    (detection_output_layer.cpp Reshape) 12 with use_polygon (its default) and 9 without."""
    if ctx.read_as == TEXTBOXES_PP or p.HasField("use_polygon"):
        return 12 if p.use_polygon else 9
    return 4


# Fields of the YOLOv2 forks' DetectionOutputParameter that SSD's lacks, and the reverse.
_YOLO_OUTPUT_FIELDS = frozenset({"side", "classes", "num_box", "coords", "nms_threshold",
                                 "biases", "label_map_file"})
_SSD_OUTPUT_FIELDS = frozenset({"share_location", "background_label_id", "nms_param",
                                "save_output_param", "code_type", "variance_encoded_in_target",
                                "keep_top_k", "visualize", "visualize_threshold", "save_file",
                                "use_polygon"})


def _yolo_detection_output(ctx: LayerContext, p: Any, written: set[str]) -> LayerCost:
    """The YOLOv2 DetectionOutput of gklz1982/caffe-yolov2 and quhezheng/caffe_yolo_v2
    (src/caffe/layers/detection_output_layer.cpp), told from SSD's by its own fields (side,
    num_box, coords, biases, a top-level nms_threshold, ...) or, when no field of SSD's own
    is written, by fewer than SSD's 3 bottoms: one bottom or more, one top. LayerSetUp
    requires the class count (num_classes; quhezheng's message calls it classes), Reshape a
    bottom num of 1; the detections are data-dependent (placeholder [1, 1, 1, 7]).
    label_map_file is never opened."""
    blob_counts(ctx, bottoms=(1, None), tops=(1, 1))
    ssd = sorted(written & _SSD_OUTPUT_FIELDS)
    if ssd or {"classes", "num_classes"} <= written:
        mixed = ", ".join(ssd or ["classes and num_classes"])
        raise ShapeError(f"detection_output_param mixes the YOLOv2 forks' fields with {mixed}: "
                         "no fork's DetectionOutputParameter has both")
    if not written & {"classes", "num_classes"}:
        raise ShapeError("the YOLOv2 DetectionOutput needs num_classes (gklz1982/caffe-yolov2) "
                         "or classes (quhezheng/caffe_yolo_v2)")
    num = legacy_dim(ctx.bottom(0), 0)
    if num != 1:
        raise ShapeError(f"the YOLOv2 DetectionOutput takes one image (bottom num 1), got {num}")
    return LayerCost(tops=[None], macs=0, ops=None, kind="detection", data_dependent=True)


def _check_detection_bottoms(ctx: LayerContext, p: Any, per_prior: int = 4) -> None:
    loc, conf, priors = ctx.bottom(0), ctx.bottom(1), ctx.bottom(2)
    if legacy_dim(loc, 0) != legacy_dim(conf, 0):
        raise ShapeError(f"loc {list(loc)} and conf {list(conf)} differ in num")
    num_priors = legacy_dim(priors, 2) // 4
    loc_classes = 1 if p.share_location else p.num_classes
    if num_priors * loc_classes * per_prior != legacy_dim(loc, 1):
        raise ShapeError(f"{num_priors} priors x {loc_classes} location classes x {per_prior} "
                                 f"do not match the {legacy_dim(loc, 1)} location "
                                 f"predictions {list(loc)}")
    if num_priors * p.num_classes != legacy_dim(conf, 1):
        raise ShapeError(f"{num_priors} priors x {p.num_classes} classes do not match "
                                 f"the {legacy_dim(conf, 1)} confidence predictions "
                                 f"{list(conf)}")


# --- AnnotatedData ---------------------------------------------------------------------------


@register("AnnotatedData")
def annotated_data(ctx: LayerContext) -> LayerCost:
    """Image + box reader of SSD (weiliu89/caffe, src/caffe/layers/annotated_data_layer.cpp,
    shapes from DataTransformer::InferBlobShape and util/im_transforms.cpp InferNewSize).

    The batch samplers crop each image at random, then transform_param.resize_param warps
    the crop to height x width, so the data top is batch_size x C x height x width (crop_h/
    crop_w or crop_size, when given, win). FIT_SMALL_SIZE keeps the image's aspect ratio,
    so its size is the image's (unknown here) and the fork allows only batch_size 1 for it.
    Channels are the database's (3 or 1 only with force_color/force_gray), so, as for
    Data, what the layer does not say must come from --input-shape.

    The label top holds one row of 8 values per ground-truth box of the batch
    ([1, 1, boxes, 8]) or, for records without annotation type, one label per image
    ([batch_size]); either depends on the data, so it is unknown unless given.
    """
    blob_counts(ctx, bottoms=(0, 0), tops=(1, 2))
    layer = ctx.layer
    transform = layer.transform_param
    batch = layer.data_param.batch_size
    resize = transform.resize_param if transform.HasField("resize_param") else None
    fit_small = resize is not None and resize.resize_mode == resize.FIT_SMALL_SIZE
    if fit_small and batch != 1:
        raise ShapeError(f"resize_mode FIT_SMALL_SIZE supports batch_size 1 only, got {batch}")
    facts: tuple[str, ...] = (f"batch_size {batch}",) if batch > 0 else ()
    height: int | None = None
    width: int | None = None
    if resize is not None and not fit_small and resize.height and resize.width:
        height, width = resize.height, resize.width
        facts += (f"resize_param {height}x{width}",)
    crop_h = transform.crop_size or transform.crop_h
    crop_w = transform.crop_size or transform.crop_w
    if crop_h and crop_w:
        if height is not None and width is not None and (crop_h > height or crop_w > width):
            raise ShapeError(f"crop {crop_h}x{crop_w} is larger than the resized image "
                             f"{height}x{width}")
        height, width = crop_h, crop_w
        facts += (f"crop {crop_h}x{crop_w}",)
    channels = 3 if transform.force_color else 1 if transform.force_gray else None
    if channels:
        facts += (f"force_{'color' if channels == 3 else 'gray'}",)
    image = Known((batch or None, channels, height, width), NCHW, facts)
    tops: list[Shape | None] = [resolve(ctx, 0, image)]
    if len(layer.top) > 1:
        label = layer.top[1]
        override = ctx.overrides.get(label)
        tops.append(None if override is None else resolve(ctx, 1, None))
    return LayerCost(tops=tops, kind="input")


# --- MultiBoxLoss ----------------------------------------------------------------------------


@register("MultiBoxLoss")
def multibox_loss(ctx: LayerContext) -> LayerCost:
    """SSD's training loss (weiliu89/caffe, src/caffe/layers/multibox_loss_layer.cpp).

    Bottoms: location predictions [N, priors * loc_classes * 4], confidences
    [N, priors * num_classes], the prior boxes [1, 2, priors * 4] and the ground truth
    [1, 1, boxes, 8]; the CHECKs of LayerSetUp and Reshape are repeated here (num_classes
    given and >= 1, background_label_id inside [0, num_classes) for SOFTMAX, negative mining
    only with share_location, and the prediction counts). The ground truth's shape is never
    read, so it may be unknown. Top: the scalar loss. The work depends on how many boxes
    match the ground truth, so ops are unknown.
    """
    blob_counts(ctx, bottoms=(4, 4), tops=(1, 1))
    p = ctx.layer.multibox_loss_param
    if not p.HasField("num_classes"):
        raise ShapeError("multibox_loss_param must provide num_classes")
    if p.num_classes < 1:
        raise ShapeError(f"num_classes should not be less than 1, got {p.num_classes}")
    if p.conf_loss_type == p.SOFTMAX and not p.background_label_id < p.num_classes:
        raise ShapeError(f"background_label_id {p.background_label_id} should be within "
                         f"[0, {p.num_classes}) for Softmax")
    mining = p.mining_type != p.NONE
    if p.HasField("do_neg_mining") and p.do_neg_mining != mining:
        raise ShapeError("do_neg_mining contradicts mining_type (do_neg_mining is deprecated; "
                         "use mining_type)")
    if mining and not p.share_location:
        raise ShapeError("negative mining needs share_location: true")
    _check_detection_bottoms(ctx, p)
    return LayerCost(tops=[()], ops=None, kind="loss")


# --- DetectionEvaluate -----------------------------------------------------------------------


@register("DetectionEvaluate")
def detection_evaluate(ctx: LayerContext) -> LayerCost:
    """Per-image true/false positives of SSD (weiliu89/caffe,
    src/caffe/layers/detection_evaluate_layer.cpp).

    Bottoms: DetectionOutput's [1, 1, detections, 7] and the ground truth [1, 1, boxes, 8],
    checked when known. Top [1, 1, positive classes + valid detections, 5]: it depends on
    the detections, so it is unknown, as are the ops. name_size_file is never opened. (The
    fork misspells its bottom-count override, so Caffe checks no count; Reshape reads two.)
    """
    blob_counts(ctx, bottoms=(2, None), tops=(1, 1))
    p = ctx.layer.detection_evaluate_param
    if not p.HasField("num_classes"):
        raise ShapeError("detection_evaluate_param must provide num_classes")
    if not p.overlap_threshold > 0:
        raise ShapeError(f"overlap_threshold must be positive, got {p.overlap_threshold:g}")
    for index, what, width in ((0, "detections", 7), (1, "ground truth", 8)):
        shape = ctx.bottoms[index]
        if shape is not None:
            n, c, _, w = legacy_nchw(shape)
            if (n, c, w) != (1, 1, width):
                raise ShapeError(f"{what} {list(shape)} must be [1, 1, rows, {width}]")
    return LayerCost(tops=[None], ops=None, kind="detection")


# --- ROIPooling ------------------------------------------------------------------------------


@register("ROIPooling")
def roi_pooling(ctx: LayerContext) -> LayerCost:
    """Max pooling per region of rbgirshick/caffe-fast-rcnn (roi_pooling_layer.cpp).

    Bottoms: features [N, C, H, W] and rois [R, 5] (batch index, x1, y1, x2, y2). Top
    [R, C, pooled_h, pooled_w]; R is usually made by a Python proposal layer, so it is known
    only when given (--blob-shape rois=300,5). The comparisons depend on each region's
    size, so ops are unknown.
    """
    blob_counts(ctx, bottoms=(2, 2), tops=(1, 1))
    p = ctx.layer.roi_pooling_param
    if p.pooled_h <= 0 or p.pooled_w <= 0:
        raise ShapeError(f"roi_pooling_param pooled_h ({p.pooled_h}) and pooled_w "
                         f"({p.pooled_w}) must be > 0")
    features, rois = ctx.bottom(0), ctx.bottom(1)
    _, channels, _, _ = legacy_nchw(features)
    num_rois, *rest = legacy_nchw(rois)
    if math.prod(rest) != 5:
        raise ShapeError(f"rois {list(rois)} must hold 5 values per region")
    return LayerCost(tops=[(num_rois, channels, p.pooled_h, p.pooled_w)], ops=None,
                     kind="pooling", data_dependent=True)


@register("PSROIPooling")
def psroi_pooling(ctx: LayerContext) -> LayerCost:
    """Position-sensitive RoI pooling of R-FCN (daijifeng001/caffe-rfcn,
    src/caffe/layers/psroi_pooling_layer.cpp; py-R-FCN's Caffe has the same layer).

    Bottoms: score maps [N, output_dim * group_size^2, H, W] (legacy channels, checked as
    Reshape does) and rois [R, 5]. Top [R, output_dim, group_size, group_size]: each bin
    averages its own channel over its part of the region, so ops depend on each region's
    size (unknown), as for ROIPooling. No learned blobs.
    """
    blob_counts(ctx, bottoms=(2, 2), tops=(1, 1))
    p = ctx.layer.psroi_pooling_param
    missing = [f for f in ("spatial_scale", "output_dim", "group_size") if not p.HasField(f)]
    if missing:
        raise ShapeError(f"psroi_pooling_param needs {', '.join(missing)} (required fields "
                         "of the fork's PSROIPoolingParameter)")
    if p.output_dim <= 0 or p.group_size <= 0:
        raise ShapeError(f"psroi_pooling_param output_dim ({p.output_dim}) and group_size "
                         f"({p.group_size}) must be > 0")
    features, rois = ctx.bottom(0), ctx.bottom(1)
    channels = legacy_dim(features, 1)
    if channels != p.output_dim * p.group_size ** 2:
        raise ShapeError(f"input channels {channels} ({fmt(features)}) must be output_dim "
                         f"{p.output_dim} x group_size {p.group_size}^2 = "
                         f"{p.output_dim * p.group_size ** 2}")
    num_rois = legacy_dim(rois, 0)
    return LayerCost(tops=[(num_rois, p.output_dim, p.group_size, p.group_size)], ops=None,
                     kind="pooling", data_dependent=True)


# --- SmoothL1Loss ----------------------------------------------------------------------------


@register("SmoothL1Loss")
def smooth_l1_loss(ctx: LayerContext) -> LayerCost:
    """Box regression loss of rbgirshick/caffe-fast-rcnn (smooth_L1_loss_layer.cpp).

    Bottoms: prediction, target and optionally inside and outside weights (both or neither),
    all of the prediction's channels/height/width (legacy) and, as every LossLayer, its num.
    Top: a scalar. Ops: difference, smooth-L1 and sum per element (3), plus the two weight
    multiplies when given.
    """
    blob_counts(ctx, bottoms=(2, 4), tops=(0, 1))
    if len(ctx.bottoms) == 3:
        raise ShapeError("SmoothL1Loss with weights needs both inside and outside weights "
                         "(4 bottoms)")
    pred = ctx.bottom(0)
    others = [ctx.bottom(i) for i in range(1, len(ctx.bottoms))]
    if pred[0] != others[0][0]:
        raise ShapeError(f"prediction {list(pred)} and target {list(others[0])} differ in "
                         "the first dimension")
    chw = legacy_nchw(pred)[1:]
    for other in others:
        if legacy_nchw(other)[1:] != chw:
            raise ShapeError(f"bottom {list(other)} does not match the prediction {list(pred)} "
                             "in channels, height and width")
    per_element = 5 if len(ctx.bottoms) == 4 else 3
    return LayerCost(tops=[()] * len(ctx.layer.top), ops=per_element * math.prod(pred),
                     kind="loss")
