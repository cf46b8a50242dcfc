"""InnerProduct (fully connected) and Embed (a learned lookup table)."""

from __future__ import annotations

import math

from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, Shape, register
from prototxt_tool.shapes._util import axis_of, blob_counts, span


@register("InnerProduct")
def inner_product(ctx: LayerContext) -> LayerCost:
    """BVLC InnerProductLayer: everything from `axis` on is flattened into K inputs.

    Weight [N, K] ([K, N] with transpose), bias [N]; top = bottom[:axis] + [N].
    MACs = M x K x N with M = count before axis; ops = M x N bias adds. happynear/caffe-windows'
    `normalize` (src/caffe/layers/inner_product_layer.cpp, Forward_cpu) first rescales each of
    the N weight rows to unit norm: + N x (2K + 2) ops (squares summed, +1e-6 and root, K
    scalings), as its InnerDistance counts them.
    """
    blob_counts(ctx, (1, 1), (1, 1))
    param = ctx.layer.inner_product_param
    shape = ctx.bottom(0)
    axis = axis_of(shape, param.axis)
    n = param.num_output
    if n <= 0:
        raise ShapeError(f"num_output must be positive, got {n}")
    m, k = span(shape, 0, axis), span(shape, axis)
    params: list[Shape] = [(k, n) if param.transpose else (n, k)]
    if param.bias_term:
        params.append((n,))
    ops = (m * n if param.bias_term else 0) + (weight_norm_ops(n, k) if param.normalize else 0)
    return LayerCost(tops=[(*shape[:axis], n)], params=params, macs=m * k * n, ops=ops,
                     kind="fully connected")


def weight_norm_ops(rows: int, k: int) -> int:
    """Rescaling `rows` weight rows of K values to unit L2 norm, every forward pass (happynear's
    `normalize`, SphereFace's MarginInnerProduct): per row K squares and K adds, the root and
    its reciprocal (happynear: + 1e-6 and the root), K scalings; 3 per element as for a
    normalized blob (happynear's Normalize)."""
    return rows * (3 * k + 2)


@register("Embed")
def embed(ctx: LayerContext) -> LayerCost:
    """BVLC EmbedLayer: each input index picks a row of the [input_dim, num_output] table.

    top = bottom shape + [num_output]. A lookup multiplies nothing, so MACs = 0 (the table is
    not a weight matrix applied to the input); ops = the bias adds.
    """
    blob_counts(ctx, (1, 1), (1, 1))
    param = ctx.layer.embed_param
    shape = ctx.bottom(0)
    if param.num_output <= 0:
        raise ShapeError(f"Embed num_output must be positive, got {param.num_output}")
    if param.input_dim <= 0:
        raise ShapeError(f"Embed input_dim must be positive, got {param.input_dim}")
    params: list[Shape] = [(param.input_dim, param.num_output)]
    if param.bias_term:
        params.append((param.num_output,))
    top = (*shape, param.num_output)
    return LayerCost(tops=[top], params=params, macs=0,
                     ops=math.prod(top) if param.bias_term else 0, kind="other")
