"""Loss layers and Accuracy: scalar tops ([]), plus the label-count checks Caffe makes.

Every BVLC LossLayer checks that data and label agree in their first axis and outputs a
0-axis blob (a scalar). Some add an optional second top (SoftmaxWithLoss and InfogainLoss:
the probabilities, shaped like the predictions). ops = one per prediction element (per
bottom-0 element), times 4 for the softmax-based losses (exp, sum, divide, log).
"""

from __future__ import annotations

import math

from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, Shape, register
from prototxt_tool.shapes._util import axis_of, blob_counts, fmt, legacy_dim, legacy_nchw, span

SCALAR: Shape = ()

# Types whose class derives from LossLayer, whose AutoTopBlobs() is true: Net::Init gives
# such a layer written without a top one top named "(automatic)" (net.cpp AppendTop), which
# no other layer can use as a bottom. BVLC's, plus fast-rcnn's SmoothL1Loss, SSD's
# MultiBoxLoss, caffe_ocr's WarpCTCLoss, crnn.caffe's CtcLoss, caffe-face's CenterLoss,
# NVIDIA's and FlowNet2's L1Loss, the unsupervised-depth AbsLoss and DiceCoefLoss (LossLayer
# subclasses in their forks).
AUTO_TOP = "(automatic)"
AUTO_TOP_TYPES = frozenset({
    "ContrastiveLoss", "EuclideanLoss", "HingeLoss", "InfogainLoss", "MultinomialLogisticLoss",
    "SigmoidCrossEntropyLoss", "SoftmaxWithLoss", "SmoothL1Loss", "MultiBoxLoss", "WarpCTCLoss",
    "CtcLoss", "CenterLoss", "L1Loss", "AbsLoss",
    "DiceCoefLoss"})


def loss_base(ctx: LayerContext, bottoms: tuple[int, int], tops: int) -> tuple[Shape, Shape]:
    """LossLayer::Reshape: counts, and data/label sharing their first axis (fork losses built
    on LossLayer call it too)."""
    blob_counts(ctx, bottoms, (1, tops))
    data, label = ctx.bottom(0), ctx.bottom(1)
    if not data or not label or data[0] != label[0]:
        raise ShapeError(f"data {fmt(data)} and label {fmt(label)} must have the same first "
                         f"dimension")
    return data, label


def _labels_per_prediction(data: Shape, label: Shape, axis_field: int) -> int:
    """The class axis of a softmax-style loss; label count must be outer x inner."""
    axis = axis_of(data, axis_field)
    if span(data, 0, axis) * span(data, axis + 1) != math.prod(label):
        raise ShapeError(f"label {fmt(label)} must hold one label per prediction of "
                         f"{fmt(data)} over axis {axis} "
                         f"({span(data, 0, axis) * span(data, axis + 1)} labels)")
    return axis


def _cost(ctx: LayerContext, data: Shape, per: int, second: Shape | None = None) -> LayerCost:
    tops: list[Shape | None] = [SCALAR]
    if len(ctx.layer.top) > 1:
        tops.append(second)
    return LayerCost(tops=tops, ops=per * math.prod(data), kind="loss")


@register("SoftmaxWithLoss")
def softmax_with_loss(ctx: LayerContext) -> LayerCost:
    """BVLC SoftmaxWithLossLayer; optional second top = the probabilities (bottom 0's shape).

    ops: 4 per element (softmax's 3, the log-likelihood). happynear/caffe-windows'
    `softmax_param { normalize_type }` (softmax_loss_layer.cpp, LayerSetUp) may put its L2/L1
    Normalize in the softmax's place: its 3 per element plus 2 (L2) or 1 (L1) per position,
    + 1 per element; another value is NOT_IMPLEMENTED.
    """
    data, label = loss_base(ctx, (2, 2), 2)
    param = ctx.layer.softmax_param
    _labels_per_prediction(data, label, param.axis)
    if param.normalize_type == "Softmax":
        return _cost(ctx, data, 4, data)
    if param.normalize_type not in ("L2", "L1"):
        raise ShapeError(f"softmax_param normalize_type {param.normalize_type!r} is not "
                         "implemented by happynear's SoftmaxWithLoss (Softmax, L2 or L1)")
    num, _, height, width = legacy_nchw(data)
    cost = _cost(ctx, data, 4, data)
    cost.ops = (cost.ops or 0) + (2 if param.normalize_type == "L2" else 1) * num * height * width
    return cost


@register("InfogainLoss")
def infogain_loss(ctx: LayerContext) -> LayerCost:
    """BVLC InfogainLossLayer: softmax + an infogain matrix H [L, L] (bottom 2, or a file).

    The matrix file (infogain_loss_param.source) is never opened; only a bottom H is checked.
    """
    data, label = loss_base(ctx, (2, 3), 2)
    axis = _labels_per_prediction(data, label, ctx.layer.infogain_loss_param.axis)
    if len(ctx.bottoms) == 3:
        h = ctx.bottom(2)
        if math.prod(h) != data[axis] ** 2:
            raise ShapeError(f"infogain matrix {fmt(h)} must have {data[axis]}x{data[axis]} "
                             f"entries for {data[axis]} labels")
    return _cost(ctx, data, 4, data)


@register("EuclideanLoss")
def euclidean_loss(ctx: LayerContext) -> LayerCost:
    """BVLC EuclideanLossLayer: both inputs hold the same number of values per item."""
    data, label = loss_base(ctx, (2, 2), 1)
    same_item_size("EuclideanLoss", data, label)
    return _cost(ctx, data, 3)


def same_item_size(what: str, data: Shape, target: Shape) -> None:
    """EuclideanLossLayer::Reshape's check, which the forks' element-wise losses copy: the
    two inputs hold as many values per item."""
    if span(data, 1) != span(target, 1):
        raise ShapeError(f"{what} inputs {fmt(data)} and {fmt(target)} differ in size per item")


@register("SigmoidCrossEntropyLoss")
def sigmoid_cross_entropy_loss(ctx: LayerContext) -> LayerCost:
    """BVLC SigmoidCrossEntropyLossLayer: one target per prediction."""
    data, label = loss_base(ctx, (2, 2), 1)
    if math.prod(data) != math.prod(label):
        raise ShapeError(f"SigmoidCrossEntropyLoss inputs {fmt(data)} and {fmt(label)} must "
                         f"have the same count")
    return _cost(ctx, data, 4)


@register("HingeLoss")
def hinge_loss(ctx: LayerContext) -> LayerCost:
    """BVLC HingeLossLayer (only the LossLayer checks)."""
    data, _ = loss_base(ctx, (2, 2), 1)
    return _cost(ctx, data, 2)


@register("MultinomialLogisticLoss")
def multinomial_logistic_loss(ctx: LayerContext) -> LayerCost:
    """BVLC MultinomialLogisticLossLayer: the label must be [N] (read as N x 1 x 1 x 1)."""
    data, label = loss_base(ctx, (2, 2), 1)
    if any(legacy_dim(label, i) != 1 for i in (1, 2, 3)):
        raise ShapeError(f"MultinomialLogisticLoss label {fmt(label)} must be one value per "
                         f"item")
    return _cost(ctx, data, 1)


@register("ContrastiveLoss")
def contrastive_loss(ctx: LayerContext) -> LayerCost:
    """BVLC ContrastiveLossLayer: two [N, C] (x 1 x 1) features and a [N] similarity label."""
    a, b = loss_base(ctx, (3, 3), 1)
    sim = ctx.bottom(2)
    if legacy_dim(a, 1) != legacy_dim(b, 1):
        raise ShapeError(f"ContrastiveLoss features {fmt(a)} and {fmt(b)} differ in channels")
    for shape in (a, b):
        if legacy_dim(shape, 2) != 1 or legacy_dim(shape, 3) != 1:
            raise ShapeError(f"ContrastiveLoss features must be N x C x 1 x 1, got {fmt(shape)}")
    if any(legacy_dim(sim, i) != 1 for i in (1, 2, 3)):
        raise ShapeError(f"ContrastiveLoss similarity {fmt(sim)} must be one value per pair")
    return _cost(ctx, a, 3)


@register("Accuracy")
def accuracy(ctx: LayerContext) -> LayerCost:
    """BVLC AccuracyLayer: scalar accuracy, optional second top = per-class [num_classes].

    ops = one compare per prediction element.
    """
    blob_counts(ctx, (2, 2), (1, 2))
    data, label = ctx.bottom(0), ctx.bottom(1)
    param = ctx.layer.accuracy_param
    if param.top_k * math.prod(label) > math.prod(data):
        raise ShapeError(f"Accuracy top_k {param.top_k} exceeds the number of classes "
                         f"({fmt(data)} predictions for {fmt(label)} labels)")
    axis = _labels_per_prediction(data, label, param.axis)
    tops: list[Shape | None] = [SCALAR]
    if len(ctx.layer.top) > 1:
        tops.append((data[axis],))
    return LayerCost(tops=tops, ops=math.prod(data), kind="other")
