"""Layers of happynear/caffe-windows (branch ms, commit 967eedf2), the Caffe of AMSoftmax and
NormFace: Normalize (its own, see shared.py for telling it from SSD's), Flip, InnerDistance,
ChannelScale.

Each rule follows the fork's src/caffe/layers/<name>_layer.cpp (LayerSetUp / Reshape for
shapes and blobs, Forward_cpu for the work) and the blob counts its header declares.
"""

from __future__ import annotations

import math

from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, Shape, register
from prototxt_tool.shapes._util import axis_of, blob_counts, fmt, legacy_dim, legacy_nchw, span
from prototxt_tool.shapes.inner_product import weight_norm_ops

NORM_TYPES = ("L2", "L1")


def normalize(ctx: LayerContext) -> LayerCost:
    """happynear's Normalize (normalize_layer.cpp): each position's channel vector divided by
    its L2 (or L1) norm; no blobs.

    Reshape uses the legacy accessors: top 0 is N x C x H x W even for a 2-D bottom (an
    InnerProduct's N x D becomes N x D x 1 x 1), and an optional top 1 holds the norm,
    N x 1 x H x W. Forward implements only normalize_type "L2" and "L1" (anything else is
    NOT_IMPLEMENTED). ops: 3 per element (square or abs, sum, divide) plus, per position,
    2 for L2 (add 1e-6, square root) or 1 for L1 (add 1e-6). fix_gradient and bp_norm only
    change the backward pass.
    """
    blob_counts(ctx, bottoms=(1, 1), tops=(1, 2))
    norm_type = ctx.layer.normalize_param.normalize_type
    if norm_type not in NORM_TYPES:
        raise ShapeError(f"normalize_param normalize_type {norm_type!r} is not implemented "
                         f"by happynear's Normalize (only \"L2\" and \"L1\")")
    num, channels, height, width = legacy_nchw(ctx.bottom(0))
    top = (num, channels, height, width)
    positions = num * height * width
    ops = 3 * math.prod(top) + (2 if norm_type == "L2" else 1) * positions
    tops: list[Shape | None] = [top, (num, 1, height, width)][:ctx.tops]
    return LayerCost(tops=tops, params=[], ops=ops, kind="normalization")


@register("Flip")
def flip(ctx: LayerContext) -> LayerCost:
    """Mirror along width (flip_width, default true) and/or height (flip_layer.cpp).

    Top like bottom (ReshapeLike); Forward indexes it through num/channels/height/width, so at
    most 4 axes. A permuted copy: 0 ops, no blobs.
    """
    blob_counts(ctx, bottoms=(1, 1), tops=(1, 1))
    shape = ctx.bottom(0)
    legacy_nchw(shape)
    return LayerCost(tops=[shape], ops=0, kind="reshape")


@register("InnerDistance")
def inner_distance(ctx: LayerContext) -> LayerCost:
    """Distance of each input row to N centres (inner_distance_layer.cpp), a "fully connected"
    layer whose products are replaced by differences.

    K = bottom 0's count from `axis`, M = the count before it; top = bottom[:axis] + [N].
    With one bottom N = num_output and the layer owns the centres, [N, K] ([K, N] with
    transpose); with more, bottom 1 holds the centres and N = its num, and the layer owns a
    matrix only with update_center_only and exactly 2 bottoms (LayerSetUp's condition). The
    fork declares bias_term but allocates no bias. (Its header's Min/MaxNumBottomBlobs are
    not the names Layer::CheckBlobCounts calls, so only "at least 1" holds.)

    Forward: "L2" sums (x - w)^2, M*N*K MACs plus M*N*K subtractions as ops; "L1" sums
    |x - w|, no multiply: 0 MACs and 3 ops (subtract, abs, add) per term; other types are
    NOT_IMPLEMENTED. normalize (one bottom) rescales each centre row every pass: N*(2K + 2)
    ops (squares summed, +1e-6 and root, K scalings).
    """
    blob_counts(ctx, bottoms=(1, None), tops=(1, 1))
    p = ctx.layer.inner_distance_param
    if p.distance_type not in NORM_TYPES:
        raise ShapeError(f"inner_distance_param distance_type {p.distance_type!r} is not "
                         "implemented by happynear's InnerDistance (only \"L2\" and \"L1\")")
    shape = ctx.bottom(0)
    axis = axis_of(shape, p.axis)
    m, k = span(shape, 0, axis), span(shape, axis)
    bottoms = len(ctx.bottoms)
    if bottoms == 1:
        n = p.num_output
        if n <= 0:
            raise ShapeError(f"inner_distance_param num_output must be positive, got {n}")
    else:
        n = legacy_dim(ctx.bottom(1), 0)
    owns = bottoms == 1 or (p.update_center_only and bottoms == 2)
    params: list[Shape] = [((k, n) if p.transpose else (n, k))] if owns else []
    terms = m * n * k
    if p.distance_type == "L2":
        macs, ops = terms, terms
    else:
        macs, ops = 0, 3 * terms
    if p.normalize and bottoms == 1:
        ops += weight_norm_ops(n, k)
    return LayerCost(tops=[(*shape[:axis], n)], params=params, macs=macs, ops=ops,
                     kind="fully connected")


@register("ChannelScale")
def channel_scale(ctx: LayerContext) -> LayerCost:
    """Bottom 0 times bottom 1's value at each position (channel_scale_layer.cpp), typically
    undoing a two-top Normalize: x / |x| times |x|.

    LayerSetUp CHECKs num(0) == num(1) and count(0) / channels(0) == count(1) (legacy
    accessors: at most 4 axes). Top 0 like bottom 0; with global_scale the layer instead
    multiplies everything by one stored scalar blob [1] (its lr_mult must be 0: a statistic,
    not learned) and may write it to a top 1 [1]. ops: 1 per element, 0 without do_forward
    (a copy).
    """
    blob_counts(ctx, bottoms=(2, 2), tops=(1, 2))
    p = ctx.layer.channel_scale_param
    shape, scale = ctx.bottom(0), ctx.bottom(1)
    num, channels, _, _ = legacy_nchw(shape)
    legacy_nchw(scale)
    if num != legacy_dim(scale, 0):
        raise ShapeError(f"bottoms differ in num: {fmt(shape)} vs {fmt(scale)}")
    per_position = math.prod(shape) // channels if channels else 0
    if per_position != math.prod(scale):
        raise ShapeError(f"bottom 1 {fmt(scale)} must hold one value per position of bottom 0 "
                         f"{fmt(shape)} ({per_position})")
    if ctx.tops == 2 and not p.global_scale:
        raise ShapeError("a second top is only written with channel_scale_param global_scale")
    if p.global_scale and ctx.layer.param and ctx.layer.param[0].lr_mult != 0:
        raise ShapeError("global_scale keeps a statistic: its param lr_mult must be 0")
    tops: list[Shape | None] = [shape, (1,)][:ctx.tops]
    params: list[Shape] = [(1,)] if p.global_scale else []
    return LayerCost(tops=tops, params=params, ops=math.prod(shape) if p.do_forward else 0,
                     kind="scale", stats=len(params))
