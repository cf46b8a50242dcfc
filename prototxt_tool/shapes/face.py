"""Face-recognition losses of two forks: SphereFace's MarginInnerProduct (A-Softmax,
wy1iu/sphereface, `tools/caffe-sphereface/src/caffe/layers/margin_inner_product_layer.cpp`
at 966c44c) and the center loss (ydwen/caffe-face, `src/caffe/layers/center_loss_layer.cpp`
at 48ff38e).

Both flatten bottom 0 from `axis` into K values per row, as InnerProduct does, and both take
the label as bottom 1: they are training layers (the deploy nets of both projects end at the
feature layer), but their weights are what a trained model file holds.
"""

from __future__ import annotations

from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, Shape, register
from prototxt_tool.shapes._util import axis_of, blob_counts, fmt, legacy_dim, span
from prototxt_tool.shapes.inner_product import weight_norm_ops
from prototxt_tool.shapes.loss import SCALAR, loss_base

# Element-wise passes over the M x N cosines that Forward_cpu makes for each margin type
# (caffe_powx, caffe_abs, caffe_add_scalar, caffe_cpu_sign, caffe_mul, caffe_scal, caffe_add;
# copies are not counted), and the operations of the formula it writes into each row's label
# entry (|x| * ...). SINGLE writes the plain product and neither.
_PASSES = {0: 0, 1: 1, 2: 8, 3: 10}
_LABEL_OPS = {0: 0, 1: 4, 2: 6, 3: 7}


@register("MarginInnerProduct")
def margin_inner_product(ctx: LayerContext) -> LayerCost:
    """SphereFace's A-Softmax inner product: bottoms data and label, tops the scores and
    (optionally, but Forward always writes it) lambda, the current softmax blend weight.

    LayerSetUp: exactly 2 bottoms with equal legacy num (the fork CHECKs it: one label per
    row), at most 2 tops; one blob, the weight [N, K] (num_output x count from `axis`), no
    bias. Reshape: top 0 = bottom[:axis] + [N], top 1 = [1]. The margin `type` only changes
    the arithmetic.

    MACs = M*N*K, the product with the weight an InnerProduct computes (the fork runs that
    gemm again for cos(theta), and a third time scaled by lambda for the margin types; an
    implementation gets both from the first for M*N scalings, so they are counted once).
    ops: the weight rows normalised every pass, N*(3K+2) (squares summed, root, reciprocal,
    K scalings); |x| per row, M*(2K+1); cos(theta) and its sign, 2 per score; the margin
    type's element-wise passes (DOUBLE 1, TRIPLE 8, QUADRUPLE 10 per score) plus, except for
    SINGLE, the lambda blend (add, scale: 2 per score) and the label entry's formula (4, 6, 7
    per row).
    """
    blob_counts(ctx, bottoms=(2, 2), tops=(1, 2))
    p = ctx.layer.margin_inner_product_param
    data, label = ctx.bottom(0), ctx.bottom(1)
    if legacy_dim(data, 0) != legacy_dim(label, 0):
        raise ShapeError(f"data {fmt(data)} and label {fmt(label)} differ in num: "
                         "MarginInnerProduct takes one label per row")
    n = p.num_output
    if n <= 0:
        raise ShapeError(f"margin_inner_product_param num_output must be positive, got {n}")
    axis = axis_of(data, p.axis)
    m, k = span(data, 0, axis), span(data, axis)
    scores = m * n
    ops = weight_norm_ops(n, k) + m * (2 * k + 1) + 2 * scores + _PASSES[p.type] * scores
    if p.type:
        ops += 2 * scores + _LABEL_OPS[p.type] * m
    tops: list[Shape | None] = [(*data[:axis], n), (1,)][:ctx.tops]
    return LayerCost(tops=tops, params=[(n, k)], macs=m * n * k, ops=ops,
                     kind="fully connected")


@register("CenterLoss")
def center_loss(ctx: LayerContext) -> LayerCost:
    """The center loss: half the mean squared distance of each row of bottom 0 to the
    learned centre of its label (bottom 1).

    LayerSetUp allocates one blob, the centres [num_output, K] with K = count from `axis`
    (num_output 0 passes there, but then no label has a centre: refused here, as dwsep
    refuses it for InnerProduct).
    Reshape CHECKs bottom 1's legacy channels, height and width are 1 (one label per row)
    and LossLayer's first-axis agreement; the top is a scalar. The header overrides
    ExactNumTopBlobs with -1 but no Min/Max, so Caffe would accept extra tops and never shape
    them; dwsep takes the one top the layer writes (or none: Net::Init adds it).

    Forward: per row K subtractions from its centre, then one dot product of the distances
    with themselves: M*K MACs (against the learned centres, as InnerDistance's L2 counts
    them), M*K ops for the subtractions, 2 for the division by M and by 2.
    """
    data, label = loss_base(ctx, (2, 2), 1)
    p = ctx.layer.center_loss_param
    if any(legacy_dim(label, i) != 1 for i in (1, 2, 3)):
        raise ShapeError(f"CenterLoss label {fmt(label)} must be one value per row "
                         "(channels, height and width 1)")
    if p.num_output <= 0:
        raise ShapeError(f"center_loss_param num_output must be positive, got {p.num_output}")
    axis = axis_of(data, p.axis)
    m, k = legacy_dim(data, 0), span(data, axis)
    return LayerCost(tops=[SCALAR], params=[(p.num_output, k)], macs=m * k, ops=m * k + 2,
                     kind="loss")
