"""Shape and cost rules for layer types that only exist in Caffe forks (segmentation, SE, ...).

Each rule follows the Reshape()/LayerSetUp() of the fork that defines the type, named in its
docstring, including the CHECKs that make Caffe refuse a net: a file written for that fork must
get the numbers the fork itself would print. Detection-specific types live in detection.py.
"""

from __future__ import annotations

import math
from typing import Any

from prototxt_tool.errors import ShapeError
from prototxt_tool.shapes import LayerContext, LayerCost, Shape, register
from prototxt_tool.shapes._forks import which_fork
from prototxt_tool.shapes._util import blob_counts, dim, fmt, has, legacy_dim, legacy_nchw

# --- Interp ----------------------------------------------------------------------------------

# Bilinear interpolation reads 4 neighbours per output value; counted as 4 ops per element.
INTERP_OPS_PER_ELEMENT = 4


@register("Interp")
def interp(ctx: LayerContext) -> LayerCost:
    """Bilinear resize of PSPNet / DeepLab v2 (src/caffe/layers/interp_layer.cpp).

    PSPNet (hszhao/PSPNet) ships DeepLab v2's layer; its own copy is not in our source index, so
    the order below is DeepLab v2's as kept in maweifei/deeplab-ver2: shrink only, zoom only,
    height+width, shrink then zoom, else the second bottom's height/width. The input is first
    cropped by pad_beg/pad_end (both <= 0). Sizes use the "corner-aligned" formulas
    (h - 1) / shrink + 1 and h + (h - 1) * (zoom - 1), so 60 zoomed by 8 gives 473, not 480.
    """
    blob_counts(ctx, bottoms=(1, 2), tops=(1, 1))
    p = ctx.layer.interp_param
    if p.pad_beg > 0 or p.pad_end > 0:
        raise ShapeError(f"interp_param pad_beg {p.pad_beg} / pad_end {p.pad_end}: only "
                         "non-positive padding (cropping) is supported")
    num, channels, height, width = legacy_nchw(ctx.bottom(0))
    h_eff = height + p.pad_beg + p.pad_end
    w_eff = width + p.pad_beg + p.pad_end
    out_h, out_w = _interp_size(ctx, h_eff, w_eff)
    if h_eff <= 0 or w_eff <= 0:
        raise ShapeError(f"input {height}x{width} cropped by pad_beg/pad_end leaves "
                         f"{h_eff}x{w_eff}")
    if out_h <= 0 or out_w <= 0:
        raise ShapeError(f"output size {out_h}x{out_w} is not positive")
    top = (num, channels, out_h, out_w)
    return LayerCost(tops=[top], ops=INTERP_OPS_PER_ELEMENT * math.prod(top), kind="upsample")


def _interp_size(ctx: LayerContext, h: int, w: int) -> tuple[int, int]:
    p = ctx.layer.interp_param
    shrink, zoom = p.HasField("shrink_factor"), p.HasField("zoom_factor")
    if shrink and not zoom:
        return _shrink(h, p.shrink_factor), _shrink(w, p.shrink_factor)
    if zoom and not shrink:
        return _zoom(h, p.zoom_factor), _zoom(w, p.zoom_factor)
    if p.HasField("height") and p.HasField("width"):
        return p.height, p.width
    if shrink and zoom:
        h, w = _shrink(h, p.shrink_factor), _shrink(w, p.shrink_factor)
        return _zoom(h, p.zoom_factor), _zoom(w, p.zoom_factor)
    if len(ctx.bottoms) == 2:
        size = ctx.bottom(1)
        return legacy_dim(size, 2), legacy_dim(size, 3)
    raise ShapeError("interp_param gives no output size: set zoom_factor, shrink_factor, "
                     "height and width, or give a second bottom")


def _shrink(size: int, factor: int) -> int:
    if factor < 1:
        raise ShapeError(f"shrink_factor must be positive, got {factor}")
    # A non-positive size is reported by the caller (as Caffe does, after this division).
    return (size - 1) // factor + 1 if size > 0 else size


def _zoom(size: int, factor: int) -> int:
    if factor < 1:
        raise ShapeError(f"zoom_factor must be positive, got {factor}")
    return size + (size - 1) * (factor - 1)


@register("BilinearInterpolation")
def bilinear_interpolation(ctx: LayerContext) -> LayerCost:
    """Bilinear resize to a second bottom's size, of ctensmeyer/caffe (the Caffe of
    ctensmeyer/binarization_2017; src/caffe/layers/bilinear_layer.cpp, declared in
    include/caffe/vision_layers.hpp).

    Exactly 2 bottoms, 1 top, no parameters. Top: bottom 0's legacy num and channels, and
    bottom 1's shape()[2] x shape()[3] (so bottom 1 needs 4 axes; both must be positive, the
    fork CHECKs it). Corner-aligned weights from the 4 neighbours: counted as Interp's 4 ops
    per output element.
    """
    blob_counts(ctx, bottoms=(2, 2), tops=(1, 1))
    num, channels, _, _ = legacy_nchw(ctx.bottom(0))
    size = ctx.bottom(1)
    if len(size) < 4:
        raise ShapeError(f"reads the output height and width as axes 2 and 3 of bottom 1, "
                         f"which is {fmt(size)}")
    height, width = size[2], size[3]
    if height <= 0 or width <= 0:
        raise ShapeError(f"output size {height}x{width} from bottom 1 is not positive")
    top = (num, channels, height, width)
    return LayerCost(tops=[top], ops=INTERP_OPS_PER_ELEMENT * math.prod(top), kind="upsample")


# --- BN --------------------------------------------------------------------------------------

# Fields only PSPNet's BN has; SegNet's BN knows bn_mode / scale_filler / shift_filler instead.
_PSPNET_BN_FIELDS = ("slope_filler", "bias_filler", "frozen", "momentum", "eps")
_SEGNET_BN_FIELDS = ("bn_mode", "scale_filler", "shift_filler")


@register("BN")
def bn(ctx: LayerContext) -> LayerCost:
    """Fork batch normalization; two unrelated forks use the type name "BN".

    hszhao/PSPNet (src/caffe/layers/bn_layer.cpp) allocates 4 blobs of shape [1, C, 1, 1]:
    slope, bias, running mean, running variance. alexgkendall/caffe-segnet (same path)
    allocates 2: scale and shift. The file says which one it was written for: PSPNet-only
    bn_param fields, or more than 2 `param {}` specs (Caffe rejects more specs than blobs,
    so SegNet's layer could not load it), mean PSPNet; SegNet-only fields (bn_mode,
    scale_filler, shift_filler) mean SegNet, unless PSPNet's are there too (as before).
    Anything else is read as SegNet's, or as PSPNet's with `--fork pspnet`.
    """
    if _is_pspnet_bn(ctx.layer):
        return _bn_pspnet(ctx)
    p = ctx.layer.bn_param
    segnet = next((f for f in _SEGNET_BN_FIELDS if has(p, f)), "")
    fork = which_fork(ctx, "BN", {"segnet": segnet and f"bn_param {segnet}"}, default="segnet")
    return _bn_pspnet(ctx) if fork == "pspnet" else _bn_segnet(ctx)


def _is_pspnet_bn(layer: Any) -> bool:
    p = layer.bn_param
    fields = {f.name for f in p.DESCRIPTOR.fields}
    if any(name in fields and p.HasField(name) for name in _PSPNET_BN_FIELDS):
        return True
    return len(layer.param) > 2


def _bn_pspnet(ctx: LayerContext) -> LayerCost:
    """PSPNet: top like bottom; (x - mean) * inv_std * slope + bias = 4 ops per element."""
    blob_counts(ctx, bottoms=(1, 1), tops=(1, 1))
    shape = ctx.bottom(0)
    blob = (1, legacy_dim(shape, 1), 1, 1)
    return LayerCost(tops=[shape], params=[blob] * 4, ops=4 * math.prod(shape),
                     kind="normalization", stats=2)


def _bn_segnet(ctx: LayerContext) -> LayerCost:
    """SegNet: top is 4-D from the legacy accessors; optional tops 2 and 3 hold the batch mean
    and variance as [1, C, 1, 1]. INFERENCE mode only scales and shifts (2 ops per element,
    the statistics are folded into the weights); LEARN also normalizes (4)."""
    blob_counts(ctx, bottoms=(1, 1), tops=(1, 3))
    top = legacy_nchw(ctx.bottom(0))
    blob = (1, top[1], 1, 1)
    p = ctx.layer.bn_param
    inference = p.HasField("bn_mode") and p.BNMode.Name(p.bn_mode) == "INFERENCE"
    per_element = 2 if inference else 4
    tops: list[Shape | None] = [top] + [blob] * (len(ctx.layer.top) - 1)
    return LayerCost(tops=tops, params=[blob, blob], ops=per_element * math.prod(top),
                     kind="normalization")


# --- Upsample --------------------------------------------------------------------------------


@register("Upsample")
def upsample(ctx: LayerContext) -> LayerCost:
    """Max-unpooling of alexgkendall/caffe-segnet (src/caffe/layers/upsample_layer.cpp).

    Bottoms: the data and the argmax mask of the matching MAX pooling (same N, C, H, W, both
    4-D). Output H x W is upsample_h x upsample_w when both are given, else
    H * scale_h - pad_out_h (pad_out only with scale 2: it undoes a ceil-rounded pooling of
    an odd size). Values are scattered, not computed: 0 ops.
    """
    if len(ctx.bottoms) == 1:  # SegNet's needs the mask: this is the YOLO forks' layer
        return _nearest_upsample(ctx)
    blob_counts(ctx, bottoms=(2, 2), tops=(1, 1))
    data = ctx.bottom(0)
    mask = ctx.bottoms[1]  # only checked: the output size does not depend on it
    if len(data) != 4 or (mask is not None and len(mask) != 4):
        raise ShapeError(f"Upsample needs 4-D data and mask, got {_fmt(data)} and {_fmt(mask)}")
    if mask is not None and mask != data:
        raise ShapeError(f"mask {list(mask)} must have the shape of the data {list(data)}")
    out_h, out_w = _upsample_size(ctx.layer.upsample_param, data[2], data[3])
    return LayerCost(tops=[(data[0], data[1], out_h, out_w)], ops=0, kind="upsample")


def _nearest_upsample(ctx: LayerContext) -> LayerCost:
    """Nearest-neighbour Upsample of the YOLOv3 forks (eric612/MobileNet-YOLO and
    ChenYingpeng/caffe-yolov3, src/caffe/layers/upsample_layer.cpp): one bottom, the last two
    axes multiplied by `scale` (int32, default 1 in those forks' UpsampleParameter, where
    SegNet's default is 2: only an explicit scale is read as written). A copy: 0 ops.
    """
    blob_counts(ctx, bottoms=(1, 1), tops=(1, 1))
    shape = ctx.bottom(0)
    p = ctx.layer.upsample_param
    scale = p.scale if p.HasField("scale") else 1
    if len(shape) < 2:
        raise ShapeError(f"Upsample needs at least 2 axes, got {_fmt(shape)}")
    return LayerCost(tops=[(*shape[:-2], shape[-2] * scale, shape[-1] * scale)], ops=0,
                     kind="upsample")


def _upsample_size(p: Any, height: int, width: int) -> tuple[int, int]:
    has = p.HasField
    explicit = has("upsample_h") and has("upsample_w")
    if not (explicit or (not has("scale") and has("scale_h") and has("scale_w"))
            or (not has("scale_h") and not has("scale_w"))):
        raise ShapeError("upsample_param: give upsample_h and upsample_w, or scale, "
                         "or scale_h and scale_w")
    if explicit:
        _greater_than_one(upsample_h=p.upsample_h, upsample_w=p.upsample_w)
        return p.upsample_h, p.upsample_w
    if has("scale_h"):
        scale_h, scale_w = p.scale_h, p.scale_w
        _greater_than_one(scale_h=scale_h, scale_w=scale_w)
    else:
        scale_h = scale_w = p.scale
        _greater_than_one(scale=scale_h)
    for axis, pad, scale in (("h", p.pad_out_h, scale_h), ("w", p.pad_out_w, scale_w)):
        if pad and scale != 2:
            raise ShapeError(f"pad_out_{axis} needs scale_{axis} == 2, got {scale}")
    return height * scale_h - int(p.pad_out_h), width * scale_w - int(p.pad_out_w)


def _greater_than_one(**values: int) -> None:
    for name, value in values.items():
        if value <= 1:
            raise ShapeError(f"upsample_param {name} must be greater than 1, got {value}")


def _fmt(shape: Shape | None) -> str:
    return "unknown" if shape is None else str(list(shape))


# --- ShuffleChannel --------------------------------------------------------------------------


@register("ShuffleChannel")
def shuffle_channel(ctx: LayerContext) -> LayerCost:
    """Channel shuffle of farmingyard/ShuffleNet (shuffle_channel_layer.cpp): same shape,
    channels regrouped. The fork checks channels % group only in Forward (it would abort on
    the first batch), so the mismatch is reported here. Pure data movement: 0 ops."""
    blob_counts(ctx, bottoms=(1, 1), tops=(1, 1))
    group = ctx.layer.shuffle_channel_param.group
    if group <= 0:
        raise ShapeError(f"shuffle_channel_param group must be greater than 0, got {group}")
    shape = ctx.bottom(0)
    channels = dim(shape, 1)
    if channels % group:
        raise ShapeError(f"{channels} channels are not divisible by group {group}")
    return LayerCost(tops=[shape], ops=0, kind="reshape")


# --- Axpy ------------------------------------------------------------------------------------


@register("Axpy")
def axpy(ctx: LayerContext) -> LayerCost:
    """SE block fusion of hujie-frank/SENet (src/caffe/layers/axpy_layer.cpp):
    top = a * x + y with a [N, C(, 1, 1)] one scale per channel, x and y of equal shape.
    Top like x; one multiply and one add per output element, no weights."""
    blob_counts(ctx, bottoms=(3, 3), tops=(1, 1))
    scale, x, y = ctx.bottom(0), ctx.bottom(1), ctx.bottom(2)
    if dim(scale, 0) != dim(x, 0) or dim(scale, 1) != dim(x, 1):
        raise ShapeError(f"scale {list(scale)} must match x {list(x)} in num and channels")
    if len(scale) == 4 and (scale[2] != 1 or scale[3] != 1):
        raise ShapeError(f"scale {list(scale)} must be N x C x 1 x 1")
    if x != y:
        raise ShapeError(f"x {list(x)} and y {list(y)} must have the same shape")
    return LayerCost(tops=[x], ops=2 * math.prod(x), kind="eltwise")


# --- Python ----------------------------------------------------------------------------------


@register("Python")
def python_layer(ctx: LayerContext) -> LayerCost:
    """BVLC's Python layer: its shapes come from user code we must never import or run.

    A top's shape is known only when given on the command line (--input-shape/--blob-shape
    NAME=dims); otherwise it stays unknown and so do the layer's MACs and ops. The few
    modules of python_layers.KNOWN (py-faster-rcnn's proposal layer, ...) are modelled from
    their source instead, never imported.
    """
    from prototxt_tool.shapes.python_layers import KNOWN

    p = ctx.layer.python_param
    known = KNOWN.get((p.module, p.layer))
    if known is not None and not any(t in ctx.overrides for t in ctx.layer.top):
        return known(ctx)
    tops: list[Shape | None] = []
    for name in ctx.layer.top:
        shape = ctx.overrides.get(name)
        if shape is not None and any(d < 0 for d in shape):
            raise ShapeError(f"the shape given for '{name}' {list(shape)} has -1, but a Python "
                             "layer has no own shape to take it from: give every dimension")
        tops.append(tuple(shape) if shape is not None else None)
    return LayerCost(tops=tops, macs=None, ops=None, kind="other")
