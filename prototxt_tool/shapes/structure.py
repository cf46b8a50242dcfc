"""Layers that move, combine or regroup blobs without learned weights (except Parameter).

Concat, Slice, Split, Eltwise, Flatten, Reshape, Crop, Tile, Reduction, ArgMax, Silence,
Filter, BatchReindex and Parameter, each following its BVLC layer's Reshape() and checks.
Most do no arithmetic, so their ops are 0 unless stated.
"""

from __future__ import annotations

import math

from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, Shape, register
from prototxt_tool.shapes._util import (
    axis_of,
    blob_counts,
    fmt,
    has,
    not_in_place,
    same_shapes,
    span,
)

PROD, SUM, MAX = 0, 1, 2


def _legacy_or_axis(ctx: LayerContext, shape: Shape, param: object, legacy: str) -> int:
    """`axis`, or the old unsigned `concat_dim`/`slice_dim` (never both, as Caffe checks)."""
    if has(param, legacy):
        if has(param, "axis"):
            raise ShapeError(f"give either axis or {legacy}, not both")
        value = getattr(param, legacy)
        if value >= len(shape):
            raise ShapeError(f"{legacy} {value} out of range for the {len(shape)}-D bottom "
                             f"{fmt(shape)}")
        return int(value)
    return axis_of(shape, param.axis)  # type: ignore[attr-defined]


@register("Concat")
def concat(ctx: LayerContext) -> LayerCost:
    """BVLC ConcatLayer: shapes must agree except along the concat axis, which is summed."""
    blob_counts(ctx, (1, None), (1, 1))
    first = ctx.bottom(0)
    axis = _legacy_or_axis(ctx, first, ctx.layer.concat_param, "concat_dim")
    total = 0
    for i in range(len(ctx.bottoms)):
        shape = ctx.bottom(i)
        if len(shape) != len(first) or any(
                a != b for j, (a, b) in enumerate(zip(first, shape, strict=True)) if j != axis):
            raise ShapeError(f"Concat bottoms differ outside axis {axis}: {fmt(first)} vs "
                             f"{fmt(shape)} (bottom {i} '{ctx.layer.bottom[i]}')")
        total += shape[axis]
    top = (*first[:axis], total, *first[axis + 1:])
    return LayerCost(tops=[top], kind="concat")


def _slice_sizes(points: list[int], size: int, tops: int, shape: Shape) -> list[int]:
    """Sizes of the pieces SliceLayer::Reshape cuts along the axis."""
    if not points:
        if size % tops:
            raise ShapeError(f"{tops} tops do not evenly divide the slice axis of size {size} "
                             f"(bottom {fmt(shape)}); give slice_point")
        return [size // tops] * tops
    if len(points) != tops - 1:
        raise ShapeError(f"{len(points)} slice_point(s) need {len(points) + 1} tops, "
                         f"have {tops}")
    if tops > size:
        raise ShapeError(f"cannot cut an axis of size {size} into {tops} pieces")
    sizes, prev = [], 0
    for point in points:
        if point <= prev:
            raise ShapeError(f"slice_point values must increase and be positive, got {points}")
        sizes.append(point - prev)
        prev = point
    if prev >= size:
        raise ShapeError(f"slice_point {prev} is beyond the axis size {size} "
                         f"(bottom {fmt(shape)})")
    return [*sizes, size - prev]


@register("Slice")
def slice_layer(ctx: LayerContext) -> LayerCost:
    """BVLC SliceLayer: cuts at slice_point, or into equal pieces when none are given."""
    blob_counts(ctx, (1, 1), (1, None))
    shape = ctx.bottom(0)
    param = ctx.layer.slice_param
    axis = _legacy_or_axis(ctx, shape, param, "slice_dim")
    sizes = _slice_sizes(list(param.slice_point), shape[axis], len(ctx.layer.top), shape)
    tops: list[Shape | None] = [(*shape[:axis], s, *shape[axis + 1:]) for s in sizes]
    return LayerCost(tops=tops, kind="other")


@register("Split")
def split(ctx: LayerContext) -> LayerCost:
    """BVLC SplitLayer: every top shares the bottom (Caffe inserts these itself, too)."""
    blob_counts(ctx, (1, 1), (1, None))
    shape = ctx.bottom(0)
    return LayerCost(tops=[shape] * len(ctx.layer.top), kind="other")


@register("Eltwise")
def eltwise(ctx: LayerContext) -> LayerCost:
    """BVLC EltwiseLayer (PROD, SUM, MAX) over equally shaped bottoms.

    ops = (bottoms - 1) per element, plus one multiply per bottom and element when SUM has
    coefficients.
    """
    blob_counts(ctx, (2, None), (1, 1))
    param = ctx.layer.eltwise_param
    n = len(ctx.bottoms)
    if param.coeff and len(param.coeff) != n:
        raise ShapeError(f"Eltwise takes one coeff per bottom: {len(param.coeff)} coeff(s) "
                         f"for {n} bottoms")
    if param.coeff and param.operation == PROD:
        raise ShapeError("Eltwise coeff is only allowed with operation SUM")
    shape = same_shapes(ctx, "Eltwise")
    count = math.prod(shape)
    ops = (n - 1) * count
    if param.operation == SUM and any(c != 1 for c in param.coeff):
        ops += n * count
    return LayerCost(tops=[shape], ops=ops, kind="eltwise")


@register("Flatten")
def flatten(ctx: LayerContext) -> LayerCost:
    """BVLC FlattenLayer: axes axis..end_axis (inclusive) become one; never in place."""
    blob_counts(ctx, (1, 1), (1, 1))
    not_in_place(ctx)
    shape = ctx.bottom(0)
    start = axis_of(shape, ctx.layer.flatten_param.axis)
    end = axis_of(shape, ctx.layer.flatten_param.end_axis)
    if end + 1 < start:
        raise ShapeError(f"Flatten end_axis {end} comes before axis {start} "
                         f"(bottom {fmt(shape)})")
    top = (*shape[:start], span(shape, start, end + 1), *shape[end + 1:])
    return LayerCost(tops=[top], kind="reshape")


def _reshape_range(shape: Shape, axis: int, num_axes: int) -> tuple[int, int]:
    """ReshapeLayer: the [start, end) range of bottom axes that `shape` replaces."""
    start = axis if axis >= 0 else len(shape) + axis + 1
    if not 0 <= start <= len(shape):
        raise ShapeError(f"Reshape axis {axis} out of range for the {len(shape)}-D bottom "
                         f"{fmt(shape)}")
    if num_axes < -1:
        raise ShapeError(f"Reshape num_axes must be >= 0, or -1 for all, got {num_axes}")
    end = len(shape) if num_axes == -1 else start + num_axes
    if end > len(shape):
        raise ShapeError(f"Reshape axis {axis} + num_axes {num_axes} goes past the "
                         f"{len(shape)}-D bottom {fmt(shape)}")
    return start, end


@register("Reshape")
def reshape(ctx: LayerContext) -> LayerCost:
    """BVLC ReshapeLayer: dim 0 copies the bottom's axis, -1 is inferred (at most one)."""
    blob_counts(ctx, (1, 1), (1, 1))
    not_in_place(ctx)
    param = ctx.layer.reshape_param
    dims = list(param.shape.dim)
    if dims.count(-1) > 1:
        raise ShapeError(f"Reshape shape {dims} has more than one -1")
    shape = ctx.bottom(0)
    start, end = _reshape_range(shape, param.axis, param.num_axes)
    new = list(dims)
    for i, d in enumerate(dims):
        if d == 0:
            if start + i >= len(shape):
                raise ShapeError(f"Reshape dim {i} is 0 but the bottom {fmt(shape)} has no "
                                 f"axis {start + i} to copy")
            new[i] = shape[start + i]
    if -1 in dims:
        known = span(shape, 0, start) * span(shape, end) * math.prod(d for d in new if d != -1)
        if known == 0 or math.prod(shape) % known:
            raise ShapeError(f"bottom {fmt(shape)} ({math.prod(shape)} elements) is not "
                             f"divisible by the product {known} of Reshape's other dims")
        new[dims.index(-1)] = math.prod(shape) // known
    top = (*shape[:start], *new, *shape[end:])
    if math.prod(top) != math.prod(shape):
        raise ShapeError(f"Reshape to {fmt(top)} changes the element count of the bottom "
                         f"{fmt(shape)}")
    return LayerCost(tops=[top], kind="reshape")


@register("Crop")
def crop(ctx: LayerContext) -> LayerCost:
    """BVLC CropLayer: from `axis` on, take bottom 1's sizes at the given offsets."""
    blob_counts(ctx, (2, 2), (1, 1))
    data, like = ctx.bottom(0), ctx.bottom(1)
    param = ctx.layer.crop_param
    start = axis_of(data, param.axis)
    offsets = list(param.offset)
    if len(offsets) > 1 and start + len(offsets) != len(data):
        raise ShapeError(f"Crop needs one offset per axis from {start} of the bottom "
                         f"{fmt(data)}, got {len(offsets)}")
    if len(like) < len(data):
        raise ShapeError(f"Crop reference {fmt(like)} has fewer axes than the data {fmt(data)}")
    top = list(data)
    for i in range(start, len(data)):
        offset = 0 if not offsets else offsets[0 if len(offsets) == 1 else i - start]
        if data[i] - offset < like[i]:
            raise ShapeError(f"Crop of axis {i} out of bounds: size {like[i]} at offset "
                             f"{offset} from {fmt(data)} (reference {fmt(like)})")
        top[i] = like[i]
    return LayerCost(tops=[tuple(top)], kind="other")


@register("Tile")
def tile(ctx: LayerContext) -> LayerCost:
    """BVLC TileLayer: repeats the blob `tiles` times along `axis`; never in place."""
    blob_counts(ctx, (1, 1), (1, 1))
    not_in_place(ctx)
    param = ctx.layer.tile_param
    if not has(param, "tiles"):
        raise ShapeError("Tile needs tiles")
    if param.tiles <= 0:
        raise ShapeError(f"Tile tiles must be positive, got {param.tiles}")
    shape = ctx.bottom(0)
    axis = axis_of(shape, param.axis)
    top = (*shape[:axis], shape[axis] * param.tiles, *shape[axis + 1:])
    return LayerCost(tops=[top], kind="other")


@register("Reduction")
def reduction(ctx: LayerContext) -> LayerCost:
    """BVLC ReductionLayer: reduces all axes from `axis` on (axis 0 gives a scalar []).

    ops = one per bottom element.
    """
    blob_counts(ctx, (1, 1), (1, 1))
    shape = ctx.bottom(0)
    axis = axis_of(shape, ctx.layer.reduction_param.axis)
    return LayerCost(tops=[shape[:axis]], ops=math.prod(shape), kind="other")


@register("ArgMax")
def argmax(ctx: LayerContext) -> LayerCost:
    """BVLC ArgMaxLayer: top_k indices (and values) per instance or along `axis`.

    Without axis the top is [N, 1 or 2 (out_max_val), top_k] padded to at least 3 axes with 1s;
    with axis it is the bottom with that axis set to top_k. ops = one compare per element.
    """
    blob_counts(ctx, (1, 1), (1, 1))
    param = ctx.layer.argmax_param
    shape = ctx.bottom(0)
    if param.top_k < 1:
        raise ShapeError(f"ArgMax top_k must be at least 1, got {param.top_k}")
    if has(param, "axis"):
        axis = axis_of(shape, param.axis)
        if param.top_k > shape[axis]:
            raise ShapeError(f"ArgMax top_k {param.top_k} exceeds axis {axis} of the bottom "
                             f"{fmt(shape)}")
        top = (*shape[:axis], param.top_k, *shape[axis + 1:])
    else:
        if param.top_k > span(shape, 1):
            raise ShapeError(f"ArgMax top_k {param.top_k} exceeds the {span(shape, 1)} values "
                             f"per instance of the bottom {fmt(shape)}")
        dims = [1] * max(len(shape), 3)
        dims[0], dims[1], dims[2] = shape[0], 2 if param.out_max_val else 1, param.top_k
        top = tuple(dims)
    return LayerCost(tops=[top], ops=math.prod(shape), kind="other")


@register("Silence")
def silence(ctx: LayerContext) -> LayerCost:
    """BVLC SilenceLayer: swallows its bottoms, produces nothing."""
    blob_counts(ctx, (1, None), (0, 0))
    return LayerCost(tops=[], kind="other")


@register("Filter")
def filter_layer(ctx: LayerContext) -> LayerCost:
    """BVLC FilterLayer: keeps the items whose selector (last bottom) is non-zero.

    How many survive depends on the data, so the tops are unknown (None), as Caffe itself only
    knows them after a forward pass; the selector checks are still made.
    """
    blob_counts(ctx, (2, None), (1, None))
    if len(ctx.layer.top) != len(ctx.bottoms) - 1:
        raise ShapeError(f"Filter needs one top per filtered bottom ({len(ctx.bottoms) - 1}), "
                         f"has {len(ctx.layer.top)}")
    selector = ctx.bottom(len(ctx.bottoms) - 1)
    if any(d != 1 for d in selector[1:]):
        raise ShapeError(f"Filter selector {fmt(selector)} must be 1 on every axis but the first")
    for i in range(len(ctx.bottoms) - 1):
        shape = ctx.bottom(i)
        if not shape or shape[0] != selector[0]:
            raise ShapeError(f"Filter bottom {fmt(shape)} and selector {fmt(selector)} differ "
                             f"in their first axis")
    return LayerCost(tops=[None] * len(ctx.layer.top), kind="other")


@register("BatchReindex")
def batch_reindex(ctx: LayerContext) -> LayerCost:
    """BVLC BatchReindexLayer: top = [len(indices)] + bottom 0's shape after axis 0."""
    blob_counts(ctx, (2, 2), (1, 1))
    data, index = ctx.bottom(0), ctx.bottom(1)
    if len(index) != 1:
        raise ShapeError(f"BatchReindex indices must be 1-D, got {fmt(index)}")
    return LayerCost(tops=[(index[0], *data[1:])], kind="other")


@register("Parameter")
def parameter(ctx: LayerContext) -> LayerCost:
    """BVLC ParameterLayer: exposes one learned blob of parameter_param.shape as its top."""
    blob_counts(ctx, (0, 0), (1, 1))
    shape = tuple(int(d) for d in ctx.layer.parameter_param.shape.dim)
    return LayerCost(tops=[shape], params=[shape], kind="other")
