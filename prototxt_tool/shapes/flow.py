"""Optical-flow and stereo layers: FlowNet 2.0's Caffe (lmb-freiburg/flownet2 at b92e198:
Correlation, Correlation1D, Resample, FlowWarp and its L1Loss), NVIDIA/caffe's L1Loss (DetectNet, at
87a2554) and the AbsLoss and Warping of Ravi Garg's unsupervised-depth Caffe
(panzhenfu/caffe_Unsupervised_Depth_Estimation at 17da0a2, src/caffe/layers/); and the
drop-in DiceCoefLoss of HolmesShuan/A-Variation-of-Dice-coefficient-Loss-Caffe-Layer, a loss
used for the same kind of dense regression.

FlowNet2's Correlation, Resample and L1Loss have no CPU Forward (NOT_IMPLEMENTED / FATAL):
the work is counted from their .cu kernels. None of these layers owns a blob.
"""

from __future__ import annotations

import math

from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, register
from prototxt_tool.shapes._util import blob_counts, float32, fmt, has, legacy_dim, legacy_nchw, span
from prototxt_tool.shapes.loss import SCALAR, loss_base, same_item_size


@register("Correlation")
def correlation(ctx: LayerContext) -> LayerCost:
    """FlowNet's correlation of two feature maps (flownet2 src/caffe/layers/correlation_layer.cpp
    Reshape, correlation_layer.cu CorrelateData / CorrelateDataSubtract).

    Exactly 2 bottoms with equal legacy channels, height and width (num is not checked; the
    top takes bottom 0's). kernel_size (odd) and max_displacement are required. With border
    = max_displacement + (kernel_size - 1) / 2 and r = max_displacement / stride_2, the top is
    num x (2r+1)^2 x ceil((H + 2 pad - 2 border) / stride_1) x the same for W, each at least 1.

    ops per output element: MULTIPLY sums kernel_size^2 * C products (2 each), SUBTRACT as
    many |a - b| (3 each), then one division by that count. do_abs is read but no kernel
    uses it. No weights: 0 MACs.
    """
    return _correlation(ctx, one_d=False)


@register("Correlation1D")
def correlation_1d(ctx: LayerContext) -> LayerCost:
    """DispNet's horizontal correlation (flownet2 src/caffe/layers/correlation_layer1d.cpp,
    correlation_layer1d.cu): as Correlation, but displaced along x only. pad widens only W,
    the border (max_displacement + kernel radius) only limits W, H loses only the kernel
    radius; top channels 2r+1, or r+1 with single_direction -1 or 1 (other values are FATAL).
    """
    return _correlation(ctx, one_d=True)


def _correlation(ctx: LayerContext, one_d: bool) -> LayerCost:
    blob_counts(ctx, bottoms=(2, 2), tops=(1, 1))
    p = ctx.layer.correlation_param
    if not p.HasField("kernel_size"):
        raise ShapeError("correlation_param kernel_size is required")
    if not p.HasField("max_displacement"):
        raise ShapeError("correlation_param max_displacement is required")
    if p.kernel_size % 2 == 0:
        raise ShapeError(f"correlation_param kernel_size must be odd, got {p.kernel_size}")
    if p.stride_1 == 0 or p.stride_2 == 0:
        raise ShapeError("correlation_param stride_1 and stride_2 must be positive")
    if one_d and p.single_direction not in (-1, 0, 1):
        raise ShapeError(f"correlation_param single_direction must be -1, 0 or 1, got "
                         f"{p.single_direction}")
    first, second = ctx.bottom(0), ctx.bottom(1)
    num, channels, height, width = legacy_nchw(first)
    if legacy_nchw(second)[1:] != (channels, height, width):
        raise ShapeError(f"bottoms {fmt(first)} and {fmt(second)} differ in channels, height "
                         "or width")
    radius = (p.kernel_size - 1) // 2
    border = p.max_displacement + radius
    rows = height - 2 * radius if one_d else height + 2 * p.pad - 2 * border
    out_h = -(-rows // p.stride_1)
    out_w = -(-(width + 2 * p.pad - 2 * border) // p.stride_1)
    if out_h < 1 or out_w < 1:
        raise ShapeError(f"kernel_size {p.kernel_size} and max_displacement "
                         f"{p.max_displacement} do not fit in the {height}x{width} map "
                         f"(pad {p.pad}): the top would be {out_h}x{out_w}")
    grid_radius = p.max_displacement // p.stride_2
    if one_d:
        top_channels = grid_radius + 1 if p.single_direction else 2 * grid_radius + 1
    else:
        top_channels = (2 * grid_radius + 1) ** 2
    top = (num, top_channels, out_h, out_w)
    terms = p.kernel_size * p.kernel_size * channels
    per = (3 if p.correlation_type == 1 else 2) * terms + 1
    return LayerCost(tops=[top], ops=math.prod(top) * per, kind="other")


# kernel_width of resample_layer.cu's InterpolationKernel per type (CUBIC 4, LINEAR 2).
_RESAMPLE_KERNEL = {3: 4, 2: 2}


def _resample_radius(factor: float, kernel_width: int, antialias: bool) -> int:
    """Half-width of the window InterpolationKernel loops over along one axis (float32)."""
    if factor < 1.0:
        return 2
    a = float32(1.0 / factor) if antialias else 1.0
    return math.ceil(float32(kernel_width / a))


@register("Resample")
def resample(ctx: LayerContext) -> LayerCost:
    """FlowNet2's image resize (flownet2 src/caffe/layers/resample_layer.cpp Reshape,
    resample_layer.cu Forward_gpu).

    1 or 2 bottoms, 1 top: num x channels of bottom 0 (legacy) x height x width, from
    resample_param with one bottom, from bottom 1's legacy height and width with two; both
    must be >= 1. `type` NEAREST, LINEAR or CUBIC (AREA is FATAL in LayerSetUp).

    ops: NEAREST copies (0). LINEAR and CUBIC evaluate, per output element, a window of
    (2 rx + 1) x (2 ry + 1) taps, r = 2 when enlarging, else ceil(kernel_width * f) with
    antialias (kernel_width when antialias is off), f = bottom size / top size as float32;
    3 ops per tap (weight, weighted add, weight sum; taps outside the image are skipped by a
    bounds test, counted the same) plus 1 division.
    """
    blob_counts(ctx, bottoms=(1, 2), tops=(1, 1))
    p = ctx.layer.resample_param
    if p.type not in (1, 2, 3):
        raise ShapeError("Resample supports only NEAREST, LINEAR and CUBIC interpolation")
    num, channels, height, width = legacy_nchw(ctx.bottom(0))
    if len(ctx.bottoms) == 1:
        out_h, out_w = p.height, p.width
    else:
        _, _, out_h, out_w = legacy_nchw(ctx.bottom(1))
    if out_h < 1 or out_w < 1:
        raise ShapeError(f"Resample needs a top height and width > 0, got {out_h}x{out_w}"
                         + (" (set resample_param height and width)"
                            if len(ctx.bottoms) == 1 else ""))
    top = (num, channels, out_h, out_w)
    if p.type == 1:
        return LayerCost(tops=[top], ops=0, kind="upsample")
    fx, fy = float32(width / out_w), float32(height / out_h)
    antialias = (fx > 1 or fy > 1) and p.antialias
    kernel = _RESAMPLE_KERNEL[p.type]
    taps = ((2 * _resample_radius(fx, kernel, antialias) + 1)
            * (2 * _resample_radius(fy, kernel, antialias) + 1))
    return LayerCost(tops=[top], ops=math.prod(top) * (3 * taps + 1), kind="upsample")


@register("FlowWarp")
def flow_warp(ctx: LayerContext) -> LayerCost:
    """FlowNet2's backward warp of an image by a flow (flownet2 src/caffe/layers/
    flow_warp_layer.cpp): bottoms image N x C x H x W and flow N x 2 x H x W (legacy: equal
    num, 2 channels, equal height and width), top like the image (always 4-D).

    ops: per flow position 2 (the displaced coordinates), per element a bilinear blend of 4
    neighbours (4), as the Python WarpingLayer counts it; fill_value only says what a
    position warped outside the image gets.
    """
    blob_counts(ctx, bottoms=(2, 2), tops=(1, 1))
    image, flow = ctx.bottom(0), ctx.bottom(1)
    num, channels, height, width = legacy_nchw(image)
    if legacy_nchw(flow) != (num, 2, height, width):
        raise ShapeError(f"the flow {fmt(flow)} must be {num} x 2 x {height} x {width} for the "
                         f"image {fmt(image)}")
    top = (num, channels, height, width)
    positions = num * height * width
    return LayerCost(tops=[top], ops=2 * positions + 4 * math.prod(top), kind="other")


@register("Warping")
def warping(ctx: LayerContext) -> LayerCost:
    """The unsupervised-depth Caffe's backward warp (warping_layer.cpp, .cu WarpingForward):
    bottoms an image (exactly 4 axes), the horizontal and the vertical flow, each with the
    image's legacy num, height and width (their channels are not checked; the kernel reads
    one value per position); top like the image. GPU only (the CPU Forward aborts).

    ops: per position 2 (the displaced coordinates), per element a bilinear blend (4), as
    FlowWarp's.
    """
    blob_counts(ctx, bottoms=(3, 3), tops=(1, 1))
    image = ctx.bottom(0)
    if len(image) != 4:
        raise ShapeError(f"the image must have 4 axes (num, channels, height, width), got "
                         f"{fmt(image)}")
    num, _, height, width = image
    for i, what in ((1, "horizontal"), (2, "vertical")):
        flow = legacy_nchw(ctx.bottom(i))
        if (flow[0], flow[2], flow[3]) != (num, height, width):
            raise ShapeError(f"the {what} flow {fmt(ctx.bottom(i))} must have the image's num, "
                             f"height and width ({num}, {height}, {width})")
    positions = num * height * width
    return LayerCost(tops=[image], ops=2 * positions + 4 * math.prod(image), kind="other")


@register("AbsLoss")
def abs_loss(ctx: LayerContext) -> LayerCost:
    """Sum of |a - b| over a batch, divided by num (abs_loss_layer.cpp of Ravi Garg's
    unsupervised-depth Caffe): LossLayer's checks (2 bottoms, equal first axis) and equal
    count per item, as EuclideanLoss. ops: 3 per element (subtract, abs, add)."""
    data, target = loss_base(ctx, (2, 2), 1)
    same_item_size("AbsLoss", data, target)
    return LayerCost(tops=[SCALAR], ops=3 * math.prod(data), kind="loss")


@register("L1Loss")
def l1_loss(ctx: LayerContext) -> LayerCost:
    """L1Loss of NVIDIA/caffe (src/caffe/layers/l1_loss_layer.cpp) or of FlowNet2
    (src/caffe/layers/l1loss_layer.cpp / .cu): both a scalar top and no blobs.

    A layer with one bottom or an `l1_loss_param` is FlowNet2's (NVIDIA's takes exactly 2
    bottoms and has no such field); otherwise NVIDIA's: LossLayer's checks and equal count
    per item; ops 4 per element (subtract, sign, abs, add). Two bottoms and no field is a
    layer both forks load with the same top and no blobs; only the op count (this
    convention's, not Caffe's) would differ, and NVIDIA's is the one taken.
    """
    if len(ctx.bottoms) == 1 or has(ctx.layer, "l1_loss_param"):
        return _flownet_l1_loss(ctx)
    data, target = loss_base(ctx, (2, 2), 1)
    same_item_size("L1Loss", data, target)
    return LayerCost(tops=[SCALAR], ops=4 * math.prod(data), kind="loss")


def _flownet_l1_loss(ctx: LayerContext) -> LayerCost:
    """FlowNet2's L1Loss: 1 bottom (already a difference) or 2 (subtracted by an internal
    Eltwise SUM with coefficients 1, -1, which needs equal shapes). Forward_gpu, per element:
    the subtraction (2 bottoms), the NaN mask, and with normalize_by_num_entries its dot
    product (2). Then either (default) the plateau mask if plateau > 0, the masking, the sign
    and the dot product of the difference with its sign (2); or with l2_per_location the
    masking, the square and the channel sum (an internal 1x1 convolution with a constant
    weight, 1 per element), then per position the plateau mask and masking if plateau > 0
    (2), the square root with epsilon (2) and the dot product (2). Plus the final division.
    """
    blob_counts(ctx, bottoms=(1, 2), tops=(1, 1))
    p = ctx.layer.l1_loss_param
    data = ctx.bottom(0)
    if len(ctx.bottoms) == 2 and ctx.bottom(1) != data:
        raise ShapeError(f"FlowNet2's L1Loss subtracts its bottoms element-wise: {fmt(data)} "
                         f"and {fmt(ctx.bottom(1))} differ")
    count = math.prod(data)
    ops = (count if len(ctx.bottoms) == 2 else 0) + count + (2 * count if
                                                             p.normalize_by_num_entries else 0)
    plateau = p.plateau > 0
    if p.l2_per_location:
        positions = count // legacy_dim(data, 1) if legacy_dim(data, 1) else 0
        ops += 3 * count + positions * ((2 if plateau else 0) + 4)
    else:
        ops += (count if plateau else 0) + 4 * count
    return LayerCost(tops=[SCALAR], ops=ops + 1, kind="loss")


@register("DiceCoefLoss")
def dice_coef_loss(ctx: LayerContext) -> LayerCost:
    """1 - the mean over items of (2 x.y) / (x.x + y.y), HolmesShuan's DiceCoefLoss
    (dice_coef_loss_layer.cpp at 03bdeee; no parameters): LossLayer's checks and equal count
    per item, as EuclideanLoss. ops: three element-wise products, each summed per item by a
    gemv (3 per element each), a division and the absolute sum per item (3), 2 at the end.

    jolibrain's DiceCoefLoss (a BVLC pull request: `dice_coef_loss_param`, which dwsep skips,
    so such a layer is unknown) takes one-hot classes instead: bottom 0 N x classes x H x W,
    the label N x 1 x H x W. A layer shaped so (and not as HolmesShuan's) is read as that one:
    a scalar loss whose work (weights, contour terms) dwsep does not model, ops unknown.
    """
    data, target = loss_base(ctx, (2, 2), 1)
    if span(data, 1) != span(target, 1):
        if legacy_dim(target, 1) == 1 and span(data, 2) == span(target, 2):
            return LayerCost(tops=[SCALAR], ops=None, kind="loss")
        same_item_size("DiceCoefLoss", data, target)
    return LayerCost(tops=[SCALAR], ops=9 * math.prod(data) + 3 * data[0] + 2, kind="loss")
