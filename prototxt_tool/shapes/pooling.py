"""Pooling and SPP (spatial pyramid pooling, which is built from Pooling layers).

BVLC's PoolingLayer (pooling_layer.cpp) rounds the output size UP by default, unlike
Convolution, and then drops a last window that would start in the padding. Nets written for
frameworks that round down either set BVLC master's `round_mode: FLOOR` or the older fork field
`ceil_mode: false` (BVLC pull request #3057, merged in many forks; DenseNet and ResNeXt ports use
it). Getting this wrong shifts every later shape by one, so both spellings are honoured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, Shape, register
from prototxt_tool.shapes._util import axis_of, blob_counts, fmt, has, legacy_dim

MAX, AVE, STOCHASTIC = 0, 1, 2
CEIL, FLOOR = 0, 1


@dataclass(frozen=True, slots=True)
class PoolWindow:
    """Kernel, stride and pad as (h, w) pairs, already checked."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    pad: tuple[int, int]


def _pair(param: Any, name: str, default: int) -> tuple[int, int] | None:
    """`name` or `name_h` + `name_w` (both required together); None when neither is given."""
    h, w = has(param, f"{name}_h"), has(param, f"{name}_w")
    if h or w:
        if not (h and w) or has(param, name):
            raise ShapeError(f"give either {name} or both {name}_h and {name}_w")
        return getattr(param, f"{name}_h"), getattr(param, f"{name}_w")
    if has(param, name):
        value = getattr(param, name)
        return value, value
    return (default, default) if default >= 0 else None


def pool_window(param: Any, height: int, width: int) -> PoolWindow:
    """PoolingLayer::LayerSetUp: the window, with global pooling and Caffe's checks."""
    given = [f for f in ("kernel_size", "kernel_h", "kernel_w") if has(param, f)]
    if param.global_pooling:
        if given:
            raise ShapeError("global_pooling takes its kernel from the input; "
                             "kernel_size/kernel_h/kernel_w cannot be given")
        kernel = (height, width)
    elif has(param, "kernel_size"):
        if len(given) == 3:
            raise ShapeError("give either kernel_size or kernel_h and kernel_w, not both")
        kernel = (param.kernel_size, param.kernel_size)
    elif len(given) == 2:
        kernel = (param.kernel_h, param.kernel_w)
    else:
        raise ShapeError("pooling needs kernel_size (or both kernel_h and kernel_w)")
    pad = _pair(param, "pad", 0)
    stride = _pair(param, "stride", 1)
    assert pad is not None and stride is not None
    _check_window(param, kernel, stride, pad)
    return PoolWindow(kernel, stride, pad)


def _check_window(param: Any, kernel: Shape, stride: Shape, pad: Shape,
                 pad_checked: bool = True) -> None:
    """PoolingLayer::LayerSetUp's checks of a window, per spatial axis (the N-D forks make
    the same ones): a positive kernel and stride, pad 0 and stride 1 for global pooling,
    padding only for MAX and AVE and smaller than the kernel. 3D-Caffe's PoolingND checks
    the pad (against the kernel, and for global pooling) only when it comes from the
    repeated `pad` field (`pad_checked`)."""
    if min(kernel) <= 0:
        raise ShapeError(f"pooling kernel must be positive, got {list(kernel)}")
    if param.global_pooling and ((pad_checked and max(pad)) or max(stride) != 1):
        raise ShapeError(f"global_pooling allows only pad 0 and stride 1, got pad "
                         f"{list(pad)} stride {list(stride)}")
    if min(stride) <= 0:
        raise ShapeError(f"pooling stride must be positive, got {list(stride)}")
    if max(pad) and param.pool not in (MAX, AVE):
        raise ShapeError("padding is implemented only for MAX and AVE pooling")
    if pad_checked and any(p >= k for p, k in zip(pad, kernel, strict=True)):
        raise ShapeError(f"pad {list(pad)} must be smaller than kernel {list(kernel)}")


def round_mode(param: Any) -> int:
    """CEIL or FLOOR from BVLC's round_mode or the fork's ceil_mode (false == FLOOR)."""
    mode = param.round_mode if has(param, "round_mode") else CEIL
    if has(param, "ceil_mode"):
        fork = CEIL if param.ceil_mode else FLOOR
        if has(param, "round_mode") and fork != mode:
            raise ShapeError("ceil_mode and round_mode disagree")
        mode = fork
    return mode


def pooled_dim(size: int, kernel: int, stride: int, pad: int, mode: int, extra: int = 0,
               clip: bool | None = None) -> int:
    """PoolingLayer::Reshape along one axis, including the padded-last-window clip, which
    Caffe applies to every axis once any axis is padded (`clip`; default: this axis is).
    `extra` is added before it: ChenYingpeng/caffe-yolov3's darknet window, see `pooling`."""
    span = size + 2 * pad - kernel
    steps = -(-span // stride) if mode == CEIL else span // stride
    out = steps + 1 + extra
    if (bool(pad) if clip is None else clip) and (out - 1) * stride >= size + pad:
        out -= 1  # the last window would start inside the padding: Caffe drops it
    return out


def pool_output(shape: Shape, window: PoolWindow, mode: int, extra: int = 0) -> Shape:
    """Top shape of a 4-D pooling, rejecting an empty output."""
    n, c, height, width = shape
    clip = window.pad != (0, 0)  # BVLC: `if (pad_h_ || pad_w_)` clips both axes
    out = [pooled_dim(size, window.kernel[i], window.stride[i], window.pad[i], mode, extra, clip)
           for i, size in enumerate((height, width))]
    if min(out) <= 0:
        raise ShapeError(f"non-positive pooling output {out[0]}x{out[1]} for bottom {fmt(shape)} "
                         f"(kernel {list(window.kernel)}, stride {list(window.stride)}, "
                         f"pad {list(window.pad)})")
    return (n, c, out[0], out[1])


YOLOV3 = "caffe-yolov3"  # forks.FORKS key of ChenYingpeng/caffe-yolov3


def darknet_pooling_forks(layers: Any) -> list[tuple[str, str]]:
    """[(YOLOV3, "Pooling")] when a Pooling is darknet's `maxpool size=2 stride=1` (kernel 2,
    stride 1, no pad; yolov3-tiny): BVLC's Pooling shrinks the map by one there, which a net
    converted from darknet does not mean; ChenYingpeng/caffe-yolov3 replaces BVLC's
    pooling_layer.cpp for it. analysis tries that reading only when BVLC's does not load
    the net."""
    for layer in layers:
        if layer.type != "Pooling":
            continue
        p = layer.pooling_param
        kernel = p.kernel_h if has(p, "kernel_h") else p.kernel_size
        stride = p.stride_h if has(p, "stride_h") else p.stride
        pad = p.pad_h if has(p, "pad_h") else p.pad
        if kernel == 2 and stride == 1 and pad == 0 and not p.global_pooling:
            return [(YOLOV3, "Pooling")]
    return []


def _four_d(shape: Shape, what: str) -> None:
    if len(shape) != 4:
        raise ShapeError(f"{what} needs a 4-D (num, channels, height, width) bottom, got "
                         f"{fmt(shape)}")


@register("Pooling")
def pooling(ctx: LayerContext) -> LayerCost:
    """BVLC PoolingLayer; a second top (MAX only: the argmax mask) has the pooled shape.
    A bottom of more than 4 axes is N-D pooling (`nd_pooling`), which BVLC refuses.

    ops = output elements x kernel area (one compare or add per window element).
    """
    param = ctx.layer.pooling_param
    blob_counts(ctx, (1, 1), (1, 2 if param.pool == MAX else 1))
    shape = ctx.bottom(0)
    if len(shape) > 4:
        return nd_pooling(param, shape, len(ctx.layer.top))
    _four_d(shape, "Pooling")
    window = pool_window(param, shape[2], shape[3])
    if ctx.read_as == YOLOV3:
        # ChenYingpeng/caffe-yolov3 caffe_layers/pooling_layer/pooling_layer.cpp, Reshape:
        # always rounds up, then one more row and column when kernel_h - stride_h is odd
        # (C++ %: a negative difference never is), so darknet's 2x2/1 maxpool keeps the size.
        odd = window.kernel[0] - window.stride[0]
        top = pool_output(shape, window, CEIL, 1 if odd > 0 and odd % 2 else 0)
    else:
        top = pool_output(shape, window, round_mode(param))
    ops = math.prod(top) * window.kernel[0] * window.kernel[1]
    return LayerCost(tops=[top] * len(ctx.layer.top), ops=ops, kind="pooling")


def nd_pooling(param: Any, shape: Shape, tops: int) -> LayerCost:
    """N-D pooling of the 3-D medical-imaging forks, whose PoolingParameter makes `kernel_size`,
    `stride` and `pad` repeated (once, or once per spatial axis): the 3D-Caffe shipped in
    DlutMedimgGroup/MouseCTSegmentation (3D-Caffe/src/caffe/layers/pooling_layer.cpp) and
    YueSun814/caffe_rc3 (src/caffe/layers/pooling_layer.cpp, the Caffe of DBC-Lab's infant
    brain nets). Both compute the same top from the fields dwsep's schema shares with them
    (one value each, BVLC's optional fields): see `_nd_pool`. Neither fork has round_mode or
    ceil_mode, and kernel_h/_w, stride_h/_w, pad_h/_w are 2-D only. Used only for bottoms of
    more than 4 axes, which BVLC's 2-D PoolingLayer refuses.
    """
    for name in ("round_mode", "ceil_mode", "kernel_h", "kernel_w", "stride_h", "stride_w",
                 "pad_h", "pad_w"):
        if has(param, name):
            raise ShapeError(f"{name} is not defined for N-D pooling (bottom {fmt(shape)}): "
                             "the N-D pooling forks take kernel_size/stride/pad per axis")
    axes = len(shape) - 2
    if param.global_pooling:
        if has(param, "kernel_size"):
            raise ShapeError("global_pooling takes its kernel from the input; "
                             "kernel_size cannot be given")
        kernel = shape[2:]
    elif has(param, "kernel_size"):
        kernel = (param.kernel_size,) * axes
    else:
        raise ShapeError(f"N-D pooling of {fmt(shape)} needs kernel_size")
    return _nd_pool(param, shape, 2, kernel, (param.stride,) * axes, (param.pad,) * axes, tops)


def _nd_pool(param: Any, shape: Shape, first: int, kernel: Shape, stride: Shape, pad: Shape,
             tops: int, pad_checked: bool = True) -> LayerCost:
    """The N-D forks' LayerSetUp checks and Reshape: the axes before `first` are kept, then
    per spatial axis ceil((in + 2 pad - kernel) / stride) + 1, minus one where the last
    window would start past the end, on every axis once any is padded. PoolingND checks
    pad < kernel (and pad 0 for global pooling) only for the repeated `pad` (`pad_checked`)."""
    _check_window(param, kernel, stride, pad, pad_checked)
    out = tuple(pooled_dim(size, k, s, p, CEIL, clip=max(pad) > 0)
                for size, k, s, p in zip(shape[first:], kernel, stride, pad, strict=True))
    if min(out) <= 0:
        raise ShapeError(f"non-positive pooling output {list(out)} for bottom {fmt(shape)} "
                         f"(kernel {list(kernel)}, stride {list(stride)}, pad {list(pad)})")
    top = (*shape[:first], *out)
    return LayerCost(tops=[top] * tops, ops=math.prod(top) * math.prod(kernel),
                     kind="pooling")


@register("PoolingND")
def pooling_nd(ctx: LayerContext) -> LayerCost:
    """3D-Caffe's PoolingND (3D-Caffe/src/caffe/layers/pooling_nd_layer.cpp as shipped in
    DlutMedimgGroup/MouseCTSegmentation; pooling_nd_param): pooling over every axis after
    `axis` (default 1, the channels), kernel_size/stride/pad given once or once per spatial
    axis (kernel_h/_w, pad_h/_w, stride_h/_w for exactly 2 spatial axes), shapes as `_nd_pool`.
    A mask top is allowed when `pooling_param.pool` is MAX (the fork's MaxTopBlobs reads that
    message, not pooling_nd_param, so it allows one unless a pooling_param says AVE).
    """
    p = ctx.layer.pooling_nd_param
    blob_counts(ctx, (1, 1), (1, 2 if ctx.layer.pooling_param.pool == MAX else 1))
    shape = ctx.bottom(0)
    first = axis_of(shape, p.axis) + 1
    axes = len(shape) - first
    if axes < 1:
        raise ShapeError(f"no spatial axis after axis {p.axis} of the bottom {fmt(shape)}")
    if p.global_pooling:
        if p.kernel_size or (has(p, "kernel_h") and has(p, "kernel_w")):
            raise ShapeError("global_pooling takes its kernel from the input; "
                             "kernel_size/kernel_h/kernel_w cannot be given")
        kernel = shape[first:]
    else:
        kernel = _nd_values(p, "kernel", axes, None)
    pad_checked = not (has(p, "pad_h") or has(p, "pad_w"))
    return _nd_pool(p, shape, first, kernel, _nd_values(p, "stride", axes, 1),
                    _nd_values(p, "pad", axes, 0), len(ctx.layer.top), pad_checked)


def _nd_values(p: Any, name: str, axes: int, default: int | None) -> Shape:
    """`name`_h/_w (2 spatial axes only, not with the repeated field) or `name` given once or
    once per spatial axis (none: `default`), as PoolingNDLayer::LayerSetUp reads them."""
    values = list(getattr(p, name if name != "kernel" else "kernel_size"))
    label = "kernel_size" if name == "kernel" else name
    if has(p, f"{name}_h") or has(p, f"{name}_w"):
        if axes != 2:
            raise ShapeError(f"{name}_h & {name}_w can only be used for 2 spatial axes, "
                             f"not {axes}")
        if values:
            raise ShapeError(f"either {label} or {name}_h/{name}_w, not both")
        return getattr(p, f"{name}_h"), getattr(p, f"{name}_w")
    if not values and default is not None:
        return (default,) * axes
    if len(values) not in (1, axes):
        raise ShapeError(f"{label} must be given once or once per spatial axis ({axes}), "
                         f"got {len(values)}")
    return tuple(values) * axes if len(values) == 1 else tuple(values)


def _spp_level(param: Any, level: int, height: int, width: int) -> tuple[PoolWindow, int]:
    """SPPLayer::GetPoolingParam: the window that cuts the map into 2^level bins per side."""
    bins = 2 ** level
    kernel = (-(-height // bins), -(-width // bins))
    pad = ((kernel[0] * bins - height + 1) // 2, (kernel[1] * bins - width + 1) // 2)
    if pad[0] >= kernel[0] or pad[1] >= kernel[1]:
        raise ShapeError(f"pyramid level {level} ({bins}x{bins} bins) needs pad {list(pad)} "
                         f">= kernel {list(kernel)} for a {height}x{width} input")
    if pad != (0, 0) and param.pool not in (MAX, AVE):
        raise ShapeError("padding is implemented only for MAX and AVE pooling")
    return PoolWindow(kernel, kernel, pad), CEIL


@register("SPP")
def spp(ctx: LayerContext) -> LayerCost:
    """BVLC SPPLayer: pools each pyramid level, flattens and concatenates them.

    With pyramid_height 1 the top is the single pooling's [N,C,h,w]; otherwise
    [N, sum over levels of C*h*w]. ops as for Pooling, summed over levels.
    """
    blob_counts(ctx, (1, 1), (1, 1))
    param = ctx.layer.spp_param
    shape = ctx.bottom(0)
    _four_d(shape, "SPP")
    if param.pyramid_height < 1:
        raise ShapeError(f"pyramid_height must be at least 1, got {param.pyramid_height}")
    tops, ops = [], 0
    for level in range(param.pyramid_height):
        window, mode = _spp_level(param, level, shape[2], shape[3])
        top = pool_output(shape, window, mode)
        tops.append(top)
        ops += math.prod(top) * window.kernel[0] * window.kernel[1]
    if param.pyramid_height == 1:
        return LayerCost(tops=[tops[0]], ops=ops, kind="pooling")
    width = sum(math.prod(t[1:]) for t in tops)
    return LayerCost(tops=[(shape[0], width)], ops=ops, kind="pooling")


@register("SmoothPooling")
def smooth_pooling(ctx: LayerContext) -> LayerCost:
    """yi94code/HRSOD caffe-master/src/caffe/layers/smooth_pooling_layer.cpp: global pooling
    of each channel by a smoothed max (the values' weights are their projection onto a
    simplex, the smoothing mu per channel or one for all).

    Bottom 0 is 4-D; top 0 N x C x 1 x 1, optional top 1 the weights, N x C x H x W. mu comes
    from exactly one place: a learned blob ([1, 1, 1, 1] with unique_smooth, else
    [1, C, 1, 1]) when has_smooth_blobs, or bottom 1 (legacy C x H x W of 1 x 1 x 1, or C x
    1 x 1). The projection sorts and partitions each channel's values until it converges, so
    its work depends on the data: ops unknown.
    """
    blob_counts(ctx, bottoms=(1, 2), tops=(1, 2))
    p = ctx.layer.smooth_pooling_param
    learned = p.has_smooth_blobs
    if learned == (len(ctx.bottoms) > 1):
        raise ShapeError("the smoothing comes from a learned blob (has_smooth_blobs) or from "
                         f"bottom 1, exactly one of them: has_smooth_blobs is "
                         f"{str(learned).lower()} with {len(ctx.bottoms)} bottom(s)")
    shape = ctx.bottom(0)
    if len(shape) != 4:
        raise ShapeError(f"SmoothPooling input must have 4 axes, got {fmt(shape)}")
    num, channels = shape[0], shape[1]
    per = 1 if p.unique_smooth else channels
    params: list[Shape] = [(1, per, 1, 1)] if learned else []
    if not learned:
        mu = ctx.bottom(1)
        if tuple(legacy_dim(mu, i) for i in (1, 2, 3)) != (per, 1, 1):
            raise ShapeError(f"smoothing bottom {fmt(mu)} must be N x {per} x 1 x 1")
    tops: list[Shape | None] = [(num, channels, 1, 1), shape][:ctx.tops]
    return LayerCost(tops=tops, params=params, ops=None, kind="pooling", data_dependent=True)
