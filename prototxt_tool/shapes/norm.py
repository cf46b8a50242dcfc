"""Normalization and affine layers: BatchNorm, Scale, Bias, LRN, MVN.

BatchNorm in BVLC Caffe only normalizes; the learned gamma/beta live in a following Scale
layer (bias_term: true). That is why BatchNorm's three blobs are all running statistics
(mean, variance, moving-average factor) and Scale carries the learned parameters: the
published parameter counts of ResNet or MobileNet include Scale but not BatchNorm.
"""

from __future__ import annotations

import math
from typing import Any

from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, Shape, register
from prototxt_tool.shapes._util import axis_of, blob_counts, fmt

ACROSS_CHANNELS, WITHIN_CHANNEL = 0, 1


@register("BatchNorm")
def batch_norm(ctx: LayerContext) -> LayerCost:
    """BVLC BatchNormLayer: blobs mean [C], variance [C], factor [1]; all statistics.

    ops = 2 per element (subtract the mean, multiply by the inverse std).
    """
    blob_counts(ctx, (1, 1), (1, 1))
    shape = ctx.bottom(0)
    if len(shape) < 2:
        raise ShapeError(f"BatchNorm needs a bottom with a channel axis, got {fmt(shape)}")
    channels = shape[1]
    return LayerCost(tops=[shape], params=[(channels,), (channels,), (1,)],
                     ops=2 * math.prod(shape), kind="normalization", stats=3)


def _param_span(shape: Shape, axis_field: int, num_axes: int, what: str) -> Shape:
    """The slice of bottom 0's shape a Scale/Bias blob covers: `num_axes` axes from `axis`."""
    axis = axis_of(shape, axis_field)
    if num_axes < -1:
        raise ShapeError(f"{what} num_axes must be >= 0, or -1 for all axes, got {num_axes}")
    if num_axes >= 0 and len(shape) < axis + num_axes:
        raise ShapeError(f"{what} blob of {num_axes} axes from axis {axis} extends past the "
                         f"bottom {fmt(shape)}")
    return shape[axis:] if num_axes == -1 else shape[axis:axis + num_axes]


def _check_broadcast(shape: Shape, operand: Shape, axis_field: int, what: str) -> None:
    """ScaleLayer/BiasLayer::Reshape: the operand must match bottom 0 from `axis` on."""
    axis = 0 if not operand else axis_of(shape, axis_field)
    if len(shape) < axis + len(operand) or shape[axis:axis + len(operand)] != operand:
        raise ShapeError(f"{what} operand {fmt(operand)} does not match bottom {fmt(shape)} "
                         f"from axis {axis}")


def _operand(ctx: LayerContext, param: Any, what: str) -> tuple[Shape, Shape, bool]:
    """(bottom shape, operand shape, operand is a learned blob) for Scale and Bias."""
    blob_counts(ctx, (1, 2), (1, 1))
    shape = ctx.bottom(0)
    if len(ctx.bottoms) == 2:
        operand = ctx.bottom(1)
        learned = False
    else:
        operand = _param_span(shape, param.axis, param.num_axes, what)
        learned = True
    _check_broadcast(shape, operand, param.axis, what)
    return shape, operand, learned


@register("Scale")
def scale(ctx: LayerContext) -> LayerCost:
    """BVLC ScaleLayer: multiplies by a learned blob (1 bottom) or by bottom 1.

    Params: the scale blob (1 bottom only), then with bias_term the bias blob, which covers the
    same axes (Caffe builds it with an internal Bias layer). ops = 1 per element (+1 bias).
    """
    param = ctx.layer.scale_param
    shape, operand, learned = _operand(ctx, param, "Scale")
    params: list[Shape] = [operand] if learned else []
    if param.bias_term:
        params.append(operand)
    ops = math.prod(shape) * (2 if param.bias_term else 1)
    return LayerCost(tops=[shape], params=params, ops=ops, kind="scale")


@register("Bias")
def bias(ctx: LayerContext) -> LayerCost:
    """BVLC BiasLayer: adds a learned blob (1 bottom) or bottom 1; ops = 1 per element."""
    shape, operand, learned = _operand(ctx, ctx.layer.bias_param, "Bias")
    return LayerCost(tops=[shape], params=[operand] if learned else [],
                     ops=math.prod(shape), kind="scale")


@register("LRN")
def lrn(ctx: LayerContext) -> LayerCost:
    """BVLC LRNLayer (ACROSS_CHANNELS or WITHIN_CHANNEL); top = bottom, 4-D only.

    ops per element: the window's squares summed (local_size, or local_size^2 within a
    channel) plus 3 (scale and offset, power, multiply).
    """
    blob_counts(ctx, (1, 1), (1, 1))
    param = ctx.layer.lrn_param
    shape = ctx.bottom(0)
    if param.local_size % 2 != 1:
        raise ShapeError(f"LRN local_size must be odd, got {param.local_size}")
    if len(shape) != 4:
        raise ShapeError(f"LRN needs a 4-D (num, channels, height, width) bottom, got "
                         f"{fmt(shape)}")
    window = param.local_size if param.norm_region == ACROSS_CHANNELS else param.local_size ** 2
    return LayerCost(tops=[shape], ops=(window + 3) * math.prod(shape), kind="normalization")


@register("MVN")
def mvn(ctx: LayerContext) -> LayerCost:
    """BVLC MVNLayer: top = bottom; ops = 2 per element (mean, subtract), 4 with variance."""
    blob_counts(ctx, (1, 1), (1, 1))
    shape = ctx.bottom(0)
    per = 4 if ctx.layer.mvn_param.normalize_variance else 2
    return LayerCost(tops=[shape], ops=per * math.prod(shape), kind="normalization")
